"""User-facing errors.

Every error a user can cause (a bad file, folder, model or setting) is a
StudioError whose str() is one clear line naming the file and the problem.
The CLI prints that line and exits non-zero; the GUI shows it in a dialog.
Anything else is a bug and may show a traceback.
"""

from __future__ import annotations

from pathlib import Path


class StudioError(Exception):
    """A problem the user can fix; str() is one line, no traceback needed."""

    def __init__(self, message: str, path: str | Path | None = None):
        self.path = Path(path) if path is not None else None
        text = f"{self.path}: {message}" if self.path is not None else message
        super().__init__(text.replace("\n", " "))


class ImageReadError(StudioError):
    """An input image that cannot be decoded (corrupt, truncated, not an image, too large)."""


class ImageWriteError(StudioError):
    """An output that cannot be written (folder missing or read-only, disk full, would overwrite)."""


class ModelError(StudioError):
    """A model file or descriptor that is missing, corrupt or unsupported."""


class SettingsError(StudioError):
    """A bad setting or recipe value."""


class Cancelled(Exception):
    """Raised at a cancel point after the user asked to stop. Not an error."""
