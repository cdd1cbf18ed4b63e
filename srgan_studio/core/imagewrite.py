"""Faithful, atomic image writing (Pillow + numpy; no Qt, no torch).

Writing is atomic (temp file + os.replace) and never replaces an existing file unless asked.
``keep_metadata=False`` drops EXIF, XMP and DPI but keeps the ICC profile, because without it the
colours themselves would change. 16-bit PNG is written by a small PNG encoder here, since Pillow
reduces 16-bit RGB to 8 bits; 16-bit TIFF goes through tifffile.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import PngImagePlugin

from . import formats
from .atomic import atomic_path
from .errors import ImageWriteError, StudioError
from .formats import FORMATS
from .image import _ICC_TAG, _XMP_TAG, SIXTEEN_BIT_WRITE, Image, _optional, to_8bit


def write_image(
    image: Image,
    path: str | Path,
    *,
    format: str | None = None,  # noqa: A002 - public name in the contract
    quality: int = formats.DEFAULT_QUALITY,
    keep_metadata: bool = True,
    dpi_scale: float = 1.0,
    overwrite: bool = False,
) -> Path:
    """Write atomically; refuse to replace an existing file unless ``overwrite``."""
    path = Path(path)
    key = format or formats.from_suffix(path)
    if key is None:
        raise ImageWriteError(
            f"cannot tell the output format from the name; use one of {', '.join(formats.WRITABLE)}", path
        )
    try:
        fmt = FORMATS[formats.writable(key)].pil
    except StudioError as exc:
        raise ImageWriteError(str(exc), path) from None
    if not 1 <= int(quality) <= 100:
        raise ImageWriteError(f"quality must be 1-100, not {quality}", path)
    if not path.parent.is_dir():
        raise ImageWriteError("output folder does not exist", path)
    if path.exists() and not overwrite:
        raise ImageWriteError("already exists; refusing to overwrite it", path)

    meta = image.meta
    icc = meta.icc
    exif = meta.exif if keep_metadata else None
    xmp = meta.xmp if keep_metadata else None
    dpi = None
    if keep_metadata and meta.dpi:
        dpi = (meta.dpi[0] * dpi_scale, meta.dpi[1] * dpi_scale)

    color, alpha = image.color, image.alpha
    if fmt not in SIXTEEN_BIT_WRITE:
        color = to_8bit(color)
        alpha = None if alpha is None else to_8bit(alpha)
    if fmt == "JPEG" and alpha is not None:
        color = _over_white(color, alpha)
        alpha = None
    try:
        with atomic_path(path) as tmp:
            if color.dtype == np.uint16 and fmt == "PNG":
                tmp.write_bytes(_encode_png16(color, alpha, icc=icc, exif=exif, xmp=xmp, dpi=dpi))
            elif color.dtype == np.uint16 and (color.shape[2] == 3 or alpha is not None):
                _optional("tifffile", path, ImageWriteError)
                _write_tiff16(tmp, color, alpha, icc=icc, xmp=xmp, dpi=dpi)
            else:
                _write_pillow(tmp, fmt, color, alpha, quality=int(quality), icc=icc, exif=exif, xmp=xmp, dpi=dpi)
    except ImageWriteError:
        raise
    except OSError as exc:
        raise ImageWriteError(f"cannot write ({exc.strerror or exc})", path) from None
    return path


def _over_white(color: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """JPEG has no alpha: composite over white, never over black."""
    a = alpha.astype(np.float32)[..., None] / 255.0
    out = color.astype(np.float32) * a + 255.0 * (1.0 - a)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _to_pil(color: np.ndarray, alpha: np.ndarray | None) -> PILImage.Image:
    if color.dtype == np.uint16:  # grey 16-bit without alpha (TIFF)
        return PILImage.fromarray(np.ascontiguousarray(color[..., 0], dtype="<u2"))
    if color.shape[2] == 1:
        if alpha is None:
            return PILImage.fromarray(color[..., 0])
        return PILImage.fromarray(np.dstack([color[..., 0], alpha]), mode="LA")
    if alpha is None:
        return PILImage.fromarray(color, mode="RGB")
    return PILImage.fromarray(np.dstack([color, alpha]), mode="RGBA")


def _write_pillow(tmp: Path, fmt: str, color, alpha, *, quality, icc, exif, xmp, dpi) -> None:
    im = _to_pil(color, alpha)
    kw: dict = {}
    if icc:
        kw["icc_profile"] = icc
    if dpi:
        kw["dpi"] = dpi
    if fmt == "JPEG":
        kw.update(quality=quality, subsampling=0 if quality >= 90 else 2, optimize=True)
        if exif:
            kw["exif"] = exif
        if xmp:
            kw["xmp"] = xmp
    elif fmt == "WEBP":
        kw.update(quality=quality, lossless=quality >= 100, method=4)
        if exif:
            kw["exif"] = exif
        if xmp:
            kw["xmp"] = xmp
    elif fmt == "PNG":
        if exif:
            kw["exif"] = exif
        if xmp:
            info = PngImagePlugin.PngInfo()
            info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8", "replace"))
            kw["pnginfo"] = info
    elif fmt == "TIFF":
        kw["compression"] = "tiff_adobe_deflate"
        tiffinfo = _exif_as_tiff_tags(exif) if exif else {}
        if xmp:
            tiffinfo[_XMP_TAG] = xmp
        if tiffinfo:
            kw["tiffinfo"] = tiffinfo
    im.save(tmp, format=fmt, **kw)


# Tags that describe the pixel layout or point to sub-IFDs: the TIFF writer owns them.
_TIFF_STRUCTURE = {
    254,
    256,
    257,
    258,
    259,
    262,
    273,
    274,
    277,
    278,
    279,
    282,
    283,
    284,
    296,
    317,
    338,
    339,
    34665,
    34853,
    40965,
}


def _exif_as_tiff_tags(exif: bytes) -> dict:
    """TIFF keeps EXIF's main fields (Make, Model, DateTime, ...) as ordinary tags of the image."""
    e = PILImage.Exif()
    e.load(exif)
    return {k: v for k, v in e.items() if k not in _TIFF_STRUCTURE and isinstance(v, (str, int, float, bytes, tuple))}


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _encode_png16(color, alpha, *, icc, exif, xmp, dpi) -> bytes:
    h, w, c = color.shape
    planes = [color] if alpha is None else [color, alpha[..., None]]
    arr = np.concatenate(planes, axis=2) if len(planes) > 1 else color
    ctype = {1: 0, 2: 4, 3: 2, 4: 6}[arr.shape[2]]
    # Filter "Up" (type 2) on every row: vectorised, and compresses photos far better than none.
    rows = arr.astype(">u2").reshape(h, -1).view(np.uint8).reshape(h, -1)
    up = rows.copy()
    up[1:] = rows[1:] - rows[:-1]  # uint8 wrap-around is the PNG rule
    raw = np.concatenate([np.full((h, 1), 2, np.uint8), up], axis=1).tobytes()
    out = [b"\x89PNG\r\n\x1a\n", _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, ctype, 0, 0, 0))]
    if icc:
        out.append(_png_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc)))
    if dpi:
        ppm = [max(1, round(v / 0.0254)) for v in dpi]
        out.append(_png_chunk(b"pHYs", struct.pack(">IIB", ppm[0], ppm[1], 1)))
    if exif:
        out.append(_png_chunk(b"eXIf", exif[6:] if exif.startswith(b"Exif\x00\x00") else exif))
    if xmp:
        out.append(_png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp))
    out.append(_png_chunk(b"IDAT", zlib.compress(raw, 6)))
    out.append(_png_chunk(b"IEND", b""))
    return b"".join(out)


def _write_tiff16(tmp: Path, color, alpha, *, icc, xmp, dpi) -> None:
    import tifffile

    arr = color if alpha is None else np.concatenate([color, alpha[..., None]], axis=2)
    photometric = "rgb" if color.shape[2] == 3 else "minisblack"
    extratags = []
    if icc:
        extratags.append((_ICC_TAG, 7, len(icc), icc, True))
    if xmp:
        extratags.append((_XMP_TAG, 1, len(xmp), xmp, True))
    kw: dict = {}
    if dpi:
        kw["resolution"] = (dpi[0], dpi[1])
        kw["resolutionunit"] = "INCH"
    tifffile.imwrite(
        tmp,
        arr,
        photometric=photometric,
        extrasamples=("unassalpha",) if alpha is not None else None,
        compression="zlib",
        extratags=extratags,
        metadata=None,
        **kw,
    )
