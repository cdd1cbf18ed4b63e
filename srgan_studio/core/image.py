"""The decoded image and the helpers that reading (imageio) and writing (imagewrite) share.

Plain numpy arrays: colour (H, W, 3) or (H, W, 1) and an optional alpha (H, W), uint8 or uint16, plus the
metadata kept from the file. No Qt, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ImageReadError
from .formats import FORMATS

# pypng and tifffile are dependencies, but a trimmed install (or a frozen app
# built without them) should fail on the one file that needs them, in one line.
_PACKAGES = {"png": "pypng", "tifffile": "tifffile"}


def _optional(module: str, path: Path, error: type = ImageReadError):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        pkg = _PACKAGES[module]
        raise error(f"16-bit PNG/TIFF needs the {pkg} package (pip install {pkg})", path) from None


# Pillow's names for the formats of core/formats.py (the table is there).
SUPPORTED_READ = tuple(f.pil for f in FORMATS.values())
SUPPORTED_WRITE = tuple(f.pil for f in FORMATS.values() if f.write)
SIXTEEN_BIT_WRITE = tuple(f.pil for f in FORMATS.values() if f.write and f.sixteen_bit)
DEFAULT_MAX_PIXELS = 180_000_000
_ORIENTATION = 0x0112
_XMP_TAG = 700
_ICC_TAG = 34675


@dataclass
class ImageMeta:
    icc: bytes | None = None
    exif: bytes | None = None  # orientation already reset to 1
    xmp: bytes | None = None
    dpi: tuple[float, float] | None = None
    format: str = ""
    source: Path | None = None


@dataclass
class Image:
    color: np.ndarray  # (H, W, 3) or (H, W, 1), uint8 or uint16
    alpha: np.ndarray | None = None  # (H, W), same dtype as color
    meta: ImageMeta = field(default_factory=ImageMeta)

    @property
    def height(self) -> int:
        return int(self.color.shape[0])

    @property
    def width(self) -> int:
        return int(self.color.shape[1])

    @property
    def bits(self) -> int:
        return 16 if self.color.dtype == np.uint16 else 8

    @property
    def is_grey(self) -> bool:
        return self.color.shape[2] == 1

    @property
    def has_alpha(self) -> bool:
        return self.alpha is not None


def to_8bit(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    return ((arr.astype(np.uint32) + 128) // 257).astype(np.uint8)
