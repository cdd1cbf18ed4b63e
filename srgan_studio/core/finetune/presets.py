"""The degradation presets a fine-tune offers: configurations of core/degradation.py.

The trainer degrades its patches with the very same pipeline (``data.degradation``
names the preset), and the held-out scoring and the previews call ``degrade`` here,
so training, previews and the final figures all see one implementation.
"""

from __future__ import annotations

import numpy as np

# The presets offered to users, in the order shown, with their titles.
PRESET_TITLES = {
    "clean": "Clean downscale",
    "phone_jpeg": "Phone JPEG (compression, light noise)",
    "old_print": "Old scanned print (blur, noise and JPEG)",
    "photo": "Damaged photo (blur, noise, resizing and JPEG)",
}
# Presets of damaged photos: the rule starts them from the restore model when ``auto`` cannot measure.
DAMAGED = ("phone_jpeg", "old_print", "photo")


def preset_names() -> tuple[str, ...]:
    from ..degradation import PRESETS

    return tuple(name for name in PRESET_TITLES if name in PRESETS)


def degrade(hr: np.ndarray, scale: int, preset: str, seed: int) -> np.ndarray:
    """The LR the model sees for ``hr`` under ``preset``, the same for every method scored."""
    from ..degradation import PRESETS
    from ..degradation import degrade as pipeline

    return pipeline(hr, scale, PRESETS[preset], np.random.default_rng(seed))
