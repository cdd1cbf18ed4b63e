"""The image formats: the one table of what is read and written, and how outputs are named.

A format's key (``"jpeg"``) is what settings, flags, reports and file lists use;
``pil`` (``"JPEG"``) is Pillow's name, used only where Pillow is called. The
first suffix of a format is the one new files get.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import StudioError


@dataclass(frozen=True)
class ImageFormat:
    key: str  # "jpeg"
    pil: str  # "JPEG"
    suffixes: tuple[str, ...]  # the first is given to new files
    label: str  # shown in the save and batch dialogs
    write: bool = True
    quality: bool = False  # takes a quality setting
    sixteen_bit: bool = False  # keeps 16-bit samples when written


FORMATS: dict[str, ImageFormat] = {
    f.key: f
    for f in (
        ImageFormat("png", "PNG", (".png",), "PNG (lossless, 16-bit kept)", sixteen_bit=True),
        ImageFormat("jpeg", "JPEG", (".jpg", ".jpeg", ".jpe", ".jfif"), "JPEG", quality=True),
        ImageFormat("webp", "WEBP", (".webp",), "WebP", quality=True),
        ImageFormat("tiff", "TIFF", (".tif", ".tiff"), "TIFF (16-bit kept)", sixteen_bit=True),
        ImageFormat("bmp", "BMP", (".bmp", ".dib"), "BMP", write=False),
    )
}
ALIASES = {"jpg": "jpeg", "tif": "tiff"}
WRITABLE = tuple(key for key, f in FORMATS.items() if f.write)
CHOICES = (*WRITABLE, *ALIASES)  # what --format accepts
FALLBACK = "png"  # what an input of a format that cannot be written becomes
DEFAULT_QUALITY = 95
SUFFIX_FORMAT = {suffix: f.key for f in FORMATS.values() for suffix in f.suffixes}


def normalize(name: str) -> str:
    """The key for a name a user or a file gave: ``JPG``, ``.jpeg``, ``jpeg`` -> ``jpeg``."""
    key = name.strip().lower().lstrip(".")
    key = ALIASES.get(key, key)
    if key not in FORMATS:
        raise StudioError(f"unknown image format {name!r}; choose one of {', '.join(WRITABLE)}")
    return key


def writable(name: str) -> str:
    """``normalize``, and an error for a format that is only read."""
    key = normalize(name)
    if not FORMATS[key].write:
        raise StudioError(f"cannot write {FORMATS[key].label}; choose one of {', '.join(WRITABLE)}")
    return key


def from_suffix(path: str | Path) -> str | None:
    """The format a file name asks for (``photo.JPG`` -> ``jpeg``), or None."""
    return SUFFIX_FORMAT.get(Path(path).suffix.lower())


def output_format(source_format: str | None, wanted: str | None = None) -> str:
    """``wanted`` when given, else the source's own format where it can be written, else PNG."""
    if wanted:
        return writable(wanted)
    return source_format if source_format in WRITABLE else FALLBACK


def output_name(source: str | Path, tag: str, fmt: str, *, stem: str | None = None) -> str:
    """``<stem>_<tag><ext>``: the one rule for naming outputs (``photo_x4.jpg``, ``photo_srgan_x4.png``).

    The extension is the source's own when it is already of ``fmt`` (``.jpeg`` stays
    ``.jpeg``), else ``fmt``'s usual one.
    """
    source = Path(source)
    suffix = source.suffix.lower()
    ext = source.suffix if SUFFIX_FORMAT.get(suffix) == fmt else FORMATS[fmt].suffixes[0]
    return f"{source.stem if stem is None else stem}_{tag}{ext}"


def file_dialog_filter() -> str:
    """``Images (*.png *.jpg ...)`` for an open-file dialog."""
    return f"Images ({' '.join('*' + s for s in SUFFIX_FORMAT)})"
