"""Sample inputs for scripts/screenshot_driver.py: generated photos, phone JPEGs and bad files.

Nothing here is a real photo: every image is drawn, so the screenshots need no data set.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont


def sample_photo(path: Path, w: int = 360, h: int = 240) -> Path:
    """A synthetic low-resolution 'photo': sky, sun, hills, a house, text and fine texture."""
    big_w, big_h = w * 4, h * 4
    y = np.linspace(0, 1, big_h)[:, None]
    sky = np.stack([120 + 100 * y, 170 + 60 * y, 235 - 30 * y], axis=2) * np.ones((1, big_w, 1))
    im = Image.fromarray(sky.astype(np.uint8))
    d = ImageDraw.Draw(im)
    d.ellipse((big_w * 0.72, big_h * 0.10, big_w * 0.84, big_h * 0.28), fill=(255, 236, 170))
    d.polygon(
        [
            (0, big_h * 0.70),
            (big_w * 0.25, big_h * 0.42),
            (big_w * 0.55, big_h * 0.68),
            (big_w * 0.80, big_h * 0.46),
            (big_w, big_h * 0.62),
            (big_w, big_h),
            (0, big_h),
        ],
        fill=(58, 98, 72),
    )
    rng = np.random.default_rng(3)
    for _ in range(900):  # grass blades: fine texture the models must reconstruct
        x0, y0 = rng.uniform(0, big_w), rng.uniform(big_h * 0.72, big_h)
        d.line(
            (x0, y0, x0 + rng.uniform(-6, 6), y0 - rng.uniform(10, 28)),
            fill=(int(rng.uniform(40, 110)), int(rng.uniform(120, 190)), 60),
            width=2,
        )
    hx, hy = big_w * 0.18, big_h * 0.52
    d.rectangle((hx, hy, hx + 260, hy + 200), fill=(196, 90, 70))
    d.polygon([(hx - 20, hy), (hx + 130, hy - 110), (hx + 280, hy)], fill=(90, 50, 45))
    for i in range(3):
        d.rectangle(
            (hx + 25 + i * 80, hy + 50, hx + 75 + i * 80, hy + 110), fill=(240, 230, 190), outline=(60, 40, 30), width=5
        )
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", 64)
    except OSError:
        font = ImageFont.load_default()
    d.text((big_w * 0.50, big_h * 0.80), "SRGAN Studio", fill=(255, 255, 255), font=font)
    for i in range(0, big_w, 12):  # a fence: high-frequency stripes
        d.line((i, big_h * 0.90, i, big_h * 0.97), fill=(235, 225, 200), width=4)
    im = im.filter(ImageFilter.GaussianBlur(1.2)).resize((w, h), Image.BICUBIC)
    im.save(path)
    return path


def transparent_photo(path: Path, source: Path) -> Path:
    """The sample with a disc cut out and a faded border: transparency the panes must show."""
    im = Image.open(source).convert("RGBA")
    w, h = im.size
    y, x = np.mgrid[0:h, 0:w]
    alpha = np.clip(np.minimum.reduce([x, y, w - 1 - x, h - 1 - y]) * 12, 0, 255).astype(np.float32)
    alpha[(x - 0.3 * w) ** 2 + (y - 0.35 * h) ** 2 < (0.15 * h) ** 2] = 0
    im.putalpha(Image.fromarray(alpha.astype(np.uint8)))
    im.save(path)
    return path


def sample_folder(folder: Path, n: int = 6) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        sample_photo(folder / f"holiday_{i + 1:02d}.png", 96 + 16 * i, 64 + 8 * i)
    (folder / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (folder / "readme.txt").write_text("not an image")
    return folder


def phone_jpegs(folder: Path) -> tuple[Path, Path]:
    """A small 'phone photo' (the sample drawn at 640x428 with sensor noise) at JPEG quality 70 and 95."""
    base = sample_photo(folder / "_phone_src.png", 640, 428)
    rng = np.random.default_rng(7)
    px = np.asarray(Image.open(base), dtype=np.float32) + rng.normal(0, 2.0, (428, 640, 3))
    im = Image.fromarray(np.clip(px, 0, 255).astype(np.uint8))
    q70, q95 = folder / "IMG_2041.jpg", folder / "IMG_2042.jpg"
    im.save(q70, quality=70)
    im.save(q95, quality=95)
    base.unlink()
    return q70, q95


def bad_files(folder: Path) -> dict[str, Path]:
    """A text file renamed .jpg, a JPEG cut in half, and a PNG whose header claims 40000x30000 px."""
    folder.mkdir(parents=True, exist_ok=True)
    text = folder / "notes.jpg"
    text.write_text("shopping list: milk, eggs\n")
    good = folder / "_good.jpg"
    sample_photo(folder / "_good.png", 200, 140)
    Image.open(folder / "_good.png").save(good, quality=90)
    data = good.read_bytes()
    cut = folder / "cut_short.jpg"
    cut.write_bytes(data[: len(data) // 2])
    bomb = folder / "panorama.png"
    bomb.write_bytes(_png_claiming(40000, 30000))
    for p in (good, folder / "_good.png"):
        p.unlink()
    return {"text": text, "truncated": cut, "bomb": bomb}


def _png_claiming(w: int, h: int) -> bytes:
    """A tiny PNG whose IHDR says ``w`` x ``h``: a decompression bomb by its header alone."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def mixed_folder(folder: Path) -> Path:
    """A phone's export folder: good JPEGs and PNGs, a text file named .jpg, a cut-off JPEG, a note."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(3):
        sample_photo(folder / f"_tmp{i}.png", 120 + 20 * i, 80 + 12 * i)
        Image.open(folder / f"_tmp{i}.png").save(folder / f"IMG_{3001 + i}.jpg", quality=75 + 10 * i)
        (folder / f"_tmp{i}.png").unlink()
    sample_photo(folder / "scan_01.png", 140, 100)
    bad = bad_files(folder / "_bad")
    for p in bad.values():
        if p.suffix == ".jpg":
            p.rename(folder / p.name)
        else:
            p.unlink()
    (folder / "_bad").rmdir()
    (folder / "readme.txt").write_text("not an image")
    return folder
