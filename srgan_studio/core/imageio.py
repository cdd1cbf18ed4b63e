"""Faithful image reading (Pillow + numpy; no Qt, no torch), and the module the app imports for image I/O.

Reading sniffs the content, never trusts the extension, applies the EXIF
orientation (the returned pixels are upright and the kept EXIF says 1), and
returns plain numpy arrays: colour (H, W, 3) or (H, W, 1) and an optional
alpha (H, W), uint8 or uint16.

Pillow decodes 16-bit RGB(A) PNG and TIFF to 8 bits, so those two cases go
through pypng / tifffile to keep the 16 bits.

The image type lives in ``image.py`` and writing in ``imagewrite.py``; both are
re-exported here so callers have one place to import image I/O from.
"""

from __future__ import annotations

import struct
import threading
import warnings
import zlib
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import ImageCms, UnidentifiedImageError

from . import formats
from .errors import ImageReadError
from .formats import FORMATS
from .image import (  # noqa: F401 - re-exported: the app imports image I/O from here
    _ICC_TAG,
    _ORIENTATION,
    _XMP_TAG,
    DEFAULT_MAX_PIXELS,
    SIXTEEN_BIT_WRITE,
    SUPPORTED_READ,
    SUPPORTED_WRITE,
    Image,
    ImageMeta,
    _optional,
    to_8bit,
)
from .imagewrite import write_image  # noqa: F401 - re-exported

# Pillow's bomb limit is a module global read inside Image.open; this lock keeps
# two threads from opening with each other's limit.
_open_lock = threading.Lock()

TRUNCATED = "truncated or damaged file"
_X_RESOLUTION = 282


def format_from_suffix(path: str | Path) -> str | None:
    """Pillow's name for the format a file name asks for (``photo.JPG`` -> ``JPEG``), or None."""
    key = formats.from_suffix(path)
    return None if key is None else FORMATS[key].pil


# ---------------------------------------------------------------- reading


def read_image(path: str | Path, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Image:
    """Decode an image file into upright numpy arrays plus its metadata."""
    path = Path(path)
    if path.is_dir():
        raise ImageReadError("is a folder, not an image", path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ImageReadError("file not found", path) from None
    except OSError as exc:
        raise ImageReadError(f"cannot read ({exc.strerror or exc})", path) from None
    if size == 0:
        raise ImageReadError("file is empty (0 bytes)", path)

    im = _open(path, max_pixels)
    if im is None:
        return _read_tiff_only(path, max_pixels)
    try:
        return _decode(im, path)
    finally:
        im.close()


def _open(path: Path, max_pixels: int | None) -> PILImage.Image:
    try:
        with _open_lock, warnings.catch_warnings():
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            saved = PILImage.MAX_IMAGE_PIXELS
            if max_pixels is not None:
                # Pillow raises above twice its limit; our exact check follows.
                PILImage.MAX_IMAGE_PIXELS = max(1, max_pixels // 2)
            try:
                im = PILImage.open(path, formats=SUPPORTED_READ)
            finally:
                PILImage.MAX_IMAGE_PIXELS = saved
    except PILImage.DecompressionBombError:
        raise ImageReadError(_too_big_text(_claimed_size(path), max_pixels), path) from None
    except UnidentifiedImageError:
        if _is_tiff(path):
            return None
        raise ImageReadError("not an image in a supported format (PNG, JPEG, WebP, TIFF, BMP)", path) from None
    except OSError as exc:
        raise ImageReadError(_truncated_or(exc, f"cannot read ({exc.strerror or exc})"), path) from None
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types on corrupt headers
        raise ImageReadError(f"corrupt image header ({exc})", path) from None
    w, h = im.size
    if max_pixels is not None and w * h > max_pixels:
        im.close()
        raise ImageReadError(_too_big_text((w, h), max_pixels), path)
    return im


def _truncated_or(exc: BaseException, text: str) -> str:
    """Pillow's words for a file that ends early ("Truncated File Read", "image file is truncated
    (142 bytes not processed)") are its internals; the user needs to know the file is cut off."""
    return TRUNCATED if "truncated" in str(exc).lower() else text


def _is_tiff(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) in (b"II*\x00", b"MM\x00*")


def _read_tiff_only(path: Path, max_pixels: int | None) -> Image:
    """TIFF layouts Pillow cannot open (16-bit grey + alpha): pixels, ICC, XMP and DPI via tifffile."""
    tifffile = _optional("tifffile", path)

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            shape = page.shape
            if max_pixels is not None and shape[0] * shape[1] > max_pixels:
                raise ImageReadError(_too_big_text((shape[1], shape[0]), max_pixels), path)
            arr = page.asarray()
            tags = page.tags
            icc = tags[_ICC_TAG].value if _ICC_TAG in tags else None
            xmp = tags[_XMP_TAG].value if _XMP_TAG in tags else None
            dpi = None
            if 282 in tags and 283 in tags and tags.get(296) and tags[296].value == 2:
                dpi = tuple(float(n) / float(d) for n, d in (tags[282].value, tags[283].value))
    except ImageReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - tifffile raises many types on bad files
        raise ImageReadError(f"unsupported or corrupt TIFF ({exc})", path) from None
    if arr.dtype not in (np.uint8, np.uint16) or arr.ndim not in (2, 3):
        raise ImageReadError(f"unsupported TIFF layout {arr.dtype} {arr.shape}", path)
    if arr.ndim == 2:
        color, alpha = arr[..., None], None
    elif arr.shape[2] == 2:
        color, alpha = arr[..., :1], arr[..., 1]
    elif arr.shape[2] >= 4:
        color, alpha = arr[..., :3], arr[..., 3]
    else:
        color, alpha = arr, None
    meta = ImageMeta(
        icc=bytes(icc) if icc else None, xmp=bytes(xmp) if xmp else None, dpi=dpi, format="TIFF", source=path
    )
    return Image(np.ascontiguousarray(color), None if alpha is None else np.ascontiguousarray(alpha), meta)


def _claimed_size(path: Path) -> tuple[int, int] | None:
    """The width and height a header claims, for the message after Pillow refused the file as a bomb (its
    error gives only a pixel count). Pillow had parsed this header before its check, so reading it again
    without the limit decodes nothing either; the lock keeps other threads' opens under their limits."""
    try:
        with _open_lock:
            saved = PILImage.MAX_IMAGE_PIXELS
            PILImage.MAX_IMAGE_PIXELS = None
            try:
                with PILImage.open(path, formats=SUPPORTED_READ) as im:
                    return im.size
            finally:
                PILImage.MAX_IMAGE_PIXELS = saved
    except Exception:  # noqa: BLE001 - only the message loses the size
        return None


def _megapixels(pixels: float) -> str:
    mp = pixels / 1e6
    return f"{mp:.2g}" if mp < 1 else f"{mp:.1f}".removesuffix(".0")


def _too_big_text(size: tuple[int, int] | None, max_pixels: int | None) -> str:
    """The size tells a user whether the file is a real panorama (raise the limit) or a broken or hostile
    header: "30000x20000 = 600 megapixels, over the limit of 180 megapixels for safety"."""
    have = f"{size[0]}x{size[1]} = {_megapixels(size[0] * size[1])} megapixels" if size else "too many pixels"
    if max_pixels is None and PILImage.MAX_IMAGE_PIXELS:
        max_pixels = 2 * PILImage.MAX_IMAGE_PIXELS  # no limit asked for: Pillow's own refuses above twice its value
    limit = _megapixels(max_pixels) if max_pixels else "?"
    return f"{have}, over the limit of {limit} megapixels for safety; raise the limit to open it"


def _decode(im: PILImage.Image, path: Path) -> Image:
    fmt = im.format or ""
    info = dict(im.info)
    try:
        exif = im.getexif()
        orientation = int(exif.get(_ORIENTATION, 1) or 1)
        icc = info.get("icc_profile") or None
        xmp = _xmp_of(im, info)
        dpi = _dpi_of(info, fmt, exif)
        color, alpha, icc = _pixels(im, path, fmt, icc)
    except ImageReadError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error) as exc:
        raise ImageReadError(_truncated_or(exc, f"file is truncated or corrupt ({exc})"), path) from None
    color = _orient(color, orientation)
    alpha = _orient(alpha, orientation) if alpha is not None else None
    if orientation in (5, 6, 7, 8) and dpi is not None:
        dpi = (dpi[1], dpi[0])
    exif_bytes = None
    if len(exif):
        if _ORIENTATION in exif:
            exif[_ORIENTATION] = 1
        exif_bytes = exif.tobytes()
    meta = ImageMeta(icc=icc, exif=exif_bytes, xmp=xmp, dpi=dpi, format=fmt, source=path)
    return Image(np.ascontiguousarray(color), None if alpha is None else np.ascontiguousarray(alpha), meta)


def _xmp_of(im: PILImage.Image, info: dict) -> bytes | None:
    xmp = info.get("xmp") or info.get("XML:com.adobe.xmp")
    if xmp is None and hasattr(im, "tag_v2"):
        xmp = im.tag_v2.get(_XMP_TAG)
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    if isinstance(xmp, tuple):  # some TIFF writers store it as a byte tuple
        xmp = bytes(xmp)
    return bytes(xmp) if xmp else None


def _dpi_of(info: dict, fmt: str, exif) -> tuple[float, float] | None:
    dpi = info.get("dpi")
    if not dpi:
        return None
    if fmt == "JPEG" and not info.get("jfif_unit") and exif.get(_X_RESOLUTION) is None:
        # No density in JFIF units (none, or aspect ratio only) and none in the EXIF: Pillow says 72 dpi for any
        # such file with EXIF, which the output then doubled into an invented 144 dpi (x2).
        return None
    try:
        x, y = float(dpi[0]), float(dpi[1])
    except (TypeError, ValueError, IndexError):
        return None
    return (x, y) if x > 0 and y > 0 else None


def _pixels(im: PILImage.Image, path: Path, fmt: str, icc: bytes | None):
    """Return (color, alpha, icc) arrays for the first frame."""
    deep = _sixteen_bit_rgb(im, path, fmt)
    if deep is not None:
        return deep[0], deep[1], icc
    im.load()
    mode = im.mode
    if mode == "1":
        return np.asarray(im.convert("L"))[..., None], None, icc
    if mode == "L":
        return np.asarray(im)[..., None], None, icc
    if mode in ("LA", "La"):
        arr = np.asarray(im.convert("LA"))
        return arr[..., :1], arr[..., 1], icc
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in im.info
        arr = np.asarray(im.convert("RGBA" if has_alpha else "RGB"))
        return (arr[..., :3], arr[..., 3], icc) if has_alpha else (arr, None, icc)
    if mode == "RGB":
        return np.asarray(im), None, icc
    if mode in ("RGBA", "RGBa", "RGBX"):
        arr = np.asarray(im.convert("RGBA"))
        alpha = arr[..., 3] if mode != "RGBX" else None
        return arr[..., :3], alpha, icc
    if mode.startswith("I;16"):
        arr = np.asarray(im).astype(np.uint16)
        return arr[..., None], None, icc
    if mode == "I":
        arr = np.clip(np.asarray(im), 0, 65535).astype(np.uint16)
        return arr[..., None], None, icc
    if mode == "CMYK":
        return _cmyk_to_rgb(im, path, icc)
    if mode == "YCbCr":
        return np.asarray(im.convert("RGB")), None, icc
    raise ImageReadError(f"colour mode {mode} is not supported", path)


def _cmyk_to_rgb(im: PILImage.Image, path: Path, icc: bytes | None):
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(_bytes_io(icc))
            srgb = ImageCms.createProfile("sRGB")
            rgb = ImageCms.profileToProfile(im, src, srgb, outputMode="RGB")
            out_icc = ImageCms.ImageCmsProfile(srgb).tobytes()
            return np.asarray(rgb), None, out_icc
        except (ImageCms.PyCMSError, OSError, ValueError) as exc:
            raise ImageReadError(f"cannot convert CMYK with its ICC profile ({exc})", path) from None
    # No profile: Pillow's naive conversion, and no ICC (the result is plain sRGB-ish).
    return np.asarray(im.convert("RGB")), None, None


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


def _sixteen_bit_rgb(im: PILImage.Image, path: Path, fmt: str):
    """Decode 16-bit colour PNG/TIFF (Pillow would drop them to 8 bits)."""
    if fmt == "PNG":
        with open(path, "rb") as fh:
            head = fh.read(26)
        if len(head) < 26 or head[24] != 16 or head[25] not in (2, 4, 6):
            return None
        png = _optional("png", path)

        try:
            w, h, rows, info = png.Reader(filename=str(path)).asDirect()
            arr = np.vstack([np.asarray(r, dtype=np.uint16) for r in rows])
        except (png.Error, zlib.error, ValueError) as exc:
            raise ImageReadError(f"file is truncated or corrupt ({exc})", path) from None
        planes = info["planes"]
        arr = arr.reshape(h, w, planes)
        if planes in (2, 4):
            return arr[..., :-1], arr[..., -1]
        return arr, None
    if fmt == "TIFF" and hasattr(im, "tag_v2"):
        bits = im.tag_v2.get(258)
        bits = bits if isinstance(bits, tuple) else (bits,)
        if not bits or bits[0] != 16 or len(bits) < 2:
            return None
        tifffile = _optional("tifffile", path)

        try:
            arr = tifffile.imread(str(path), key=0)
        except Exception as exc:  # noqa: BLE001 - e.g. LZW needs imagecodecs
            warnings.warn(f"{path}: reading as 8-bit, 16-bit decode failed ({exc})", stacklevel=3)
            return None
        if arr.ndim == 3 and arr.shape[0] in (3, 4) and arr.shape[-1] not in (3, 4):
            arr = np.moveaxis(arr, 0, -1)  # planar configuration
        if arr.dtype != np.uint16 or arr.ndim != 3:
            return None
        if arr.shape[2] == 2:
            return arr[..., :1], arr[..., 1]
        if arr.shape[2] >= 4:
            return arr[..., :3], arr[..., 3]
        return arr, None
    return None


def _orient(arr: np.ndarray, orientation: int) -> np.ndarray:
    """Make pixels upright, the numpy twin of ImageOps.exif_transpose."""
    if orientation == 2:
        return arr[:, ::-1]
    if orientation == 3:
        return arr[::-1, ::-1]
    if orientation == 4:
        return arr[::-1]
    if orientation == 5:
        return arr.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(arr, -1)
    if orientation == 7:
        return arr[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:
        return np.rot90(arr, 1)
    return arr
