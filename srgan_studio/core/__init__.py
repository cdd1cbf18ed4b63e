"""Qt-free engine: image I/O, tiling, inference, batch, models, settings."""
