"""Generate the mixed fixture folder for batch tests: good images and every kind of bad input.

All images are tiny (at most 64 px) and made here, never copied from a dataset.
``make_mixed_folder(path)`` returns {file name: Case} with what the batch must do.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

NON_ASCII_NAME = "фото café 1.png"


@dataclass(frozen=True)
class Case:
    status: str  # the FileResult.status the batch must report
    size: tuple[int, int] | None = None  # upright input size (w, h) for images that must succeed
    mode: str | None = None  # expected Pillow mode family of the output ("RGB", "RGBA", "L", "I;16", "RGB16")
    reason: str = ""  # a word the error must contain (case-insensitive), for failures


def gradient(w: int, h: int, seed: int = 0) -> np.ndarray:
    """A smooth RGB image with a little structure, so upscaling has something to do."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 255 * x / max(w - 1, 1)
    g = 255 * y / max(h - 1, 1)
    b = 128 + 100 * np.sin(x / 3.0) * np.cos(y / 4.0)
    img = np.stack([r, g, b], axis=-1) + rng.normal(0, 4, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(width: int, height: int, bit_depth: int, color_type: int, raw: bytes) -> bytes:
    """A PNG from raw scanlines (each already prefixed with its filter byte)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b"")


def write_png16_rgb(path: Path, rgb16: np.ndarray) -> None:
    """16-bit RGB PNG (Pillow cannot write one)."""
    h, w, _ = rgb16.shape
    rows = rgb16.astype(">u2").reshape(h, w * 3).view(np.uint8)
    raw = b"".join(b"\x00" + rows[i].tobytes() for i in range(h))
    path.write_bytes(png_bytes(w, h, 16, 2, raw))


def write_bomb_png(path: Path, width: int = 60000, height: int = 60000) -> None:
    """A few hundred bytes whose header claims a huge image: decoding it would take gigabytes."""
    path.write_bytes(png_bytes(width, height, 8, 2, b"\x00" * 64))


def write_good(path: Path, w: int = 48, h: int = 40, seed: int = 0, fmt: str | None = None) -> None:
    Image.fromarray(gradient(w, h, seed)).save(path, format=fmt)


def make_mixed_folder(folder: Path) -> dict[str, Case]:
    folder.mkdir(parents=True, exist_ok=True)
    cases: dict[str, Case] = {}

    write_good(folder / "good.png", 48, 40, seed=1)
    cases["good.png"] = Case("done", (48, 40), "RGB")
    write_good(folder / "good.jpg", 40, 32, seed=2, fmt="JPEG")
    cases["good.jpg"] = Case("done", (40, 32), "RGB")

    (folder / "zero.png").write_bytes(b"")
    cases["zero.png"] = Case("failed", reason="empty")

    buf = folder / "_full.jpg"
    write_good(buf, 64, 64, seed=3, fmt="JPEG")
    data = buf.read_bytes()
    buf.unlink()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 2])
    cases["truncated.jpg"] = Case("failed", reason="truncated")

    (folder / "text.png").write_text("this is a note, not a picture\n", encoding="utf-8")
    cases["text.png"] = Case("failed", reason="not an image")

    rgb16 = gradient(32, 24, seed=4).astype(np.uint16) * 257 + np.arange(32, dtype=np.uint16)[None, :, None]
    write_png16_rgb(folder / "sixteen.png", rgb16)
    cases["sixteen.png"] = Case("done", (32, 24), "RGB16")

    pal = Image.fromarray(gradient(32, 32, seed=5)).quantize(16)
    arr = np.array(pal)
    arr[:8, :8] = 15  # a transparent corner
    pal = Image.fromarray(arr, mode="P")
    pal.putpalette(Image.fromarray(gradient(32, 32, seed=5)).quantize(16).getpalette())
    pal.info["transparency"] = 15
    pal.save(folder / "palette.png", transparency=15)
    cases["palette.png"] = Case("done", (32, 32), "RGBA")

    Image.fromarray(gradient(40, 32, seed=6)).convert("CMYK").save(folder / "cmyk.jpg", format="JPEG", quality=95)
    cases["cmyk.jpg"] = Case("done", (40, 32), "RGB")

    # Stored 48x40 with orientation 6 (rotate 90° clockwise to view): upright it is 40x48.
    stored = np.zeros((40, 48, 3), np.uint8)
    stored[:, :24] = (220, 30, 30)  # stored left half red -> upright top
    stored[:, 24:] = (30, 30, 220)  # stored right half blue -> upright bottom
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(folder / "rotated.jpg", format="JPEG", quality=95, exif=exif.tobytes())
    cases["rotated.jpg"] = Case("done", (40, 48), "RGB")

    Image.fromarray(gradient(32, 40, seed=7)[..., 1]).save(folder / "grey.png")
    cases["grey.png"] = Case("done", (32, 40), "L")

    write_bomb_png(folder / "bomb.png")
    cases["bomb.png"] = Case("failed", reason="pixels")

    write_good(folder / NON_ASCII_NAME, 36, 28, seed=8)
    cases[NON_ASCII_NAME] = Case("done", (36, 28), "RGB")

    # Not inputs at all: skipped with a note, never reported as failures.
    (folder / "readme.txt").write_text("notes\n", encoding="utf-8")
    write_good(folder / ".hidden.png", 16, 16, seed=9)
    return cases


SKIPPED_NOTES = {"readme.txt": "not an image", ".hidden.png": "hidden"}
