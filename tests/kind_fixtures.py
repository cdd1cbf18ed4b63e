"""Synthetic inputs for the input-kind rule (tests/test_input_kind.py and benchmarks/bench_input_kind.py).

No dataset images: a screenshot drawn in flat UI colours, a natural-like picture (dead leaves: overlapping
discs of every size, whose spectrum falls off like a photograph's) and that picture as a soft photo.
"""

from __future__ import annotations

import numpy as np
from PIL import Image as PILImage
from PIL import ImageFilter

RULE_STYLES = ("lines", "stripes")


def ruled_screenshot(period: int = 12, offset: int = 0, style: str = "lines", h: int = 240, w: int = 320) -> np.ndarray:
    """A window with a title bar, a side bar of text-like strokes and a table ruled every ``period`` px.

    ``style`` "lines": 2-px rules across and down; "stripes": rows banded in two colours, ``period`` px each
    (a zebra-striped list). ``offset`` shifts the ruling against the 8-px JPEG block grid.
    """
    img = np.empty((h, w, 3), np.uint8)
    img[:] = (246, 246, 248)
    img[:28] = (52, 58, 70)  # title bar
    img[9:18, 10:200:7] = (230, 230, 230)  # its title
    img[28:, :90] = (228, 232, 238)  # side bar
    top, left = 40, 100
    if style == "lines":
        for y in range(top + offset, h - 8, period):
            img[y : y + 2, left : w - 8] = (200, 204, 210)
        for x in range(left + offset, w - 8, period):
            img[top : h - 8, x : x + 2] = (200, 204, 210)
    else:
        for y in range(top + offset, h - 8, 2 * period):
            img[y : y + period, left : w - 8] = (226, 234, 244)
    rng = np.random.default_rng(period * 100 + offset)
    for y in range(38, h - 12, 18):  # lines of glyphs 7 px tall, 1-px strokes
        x = 8
        while x < 80:
            glyph = int(rng.integers(3, 6))
            img[y : y + 7, x] = 40
            if rng.random() < 0.6:
                img[y + 3, x : x + glyph] = 40
            if rng.random() < 0.5:
                img[y : y + 7, x + glyph] = 40
            x += glyph + int(rng.integers(2, 4))
    img[60:84, 200:280] = (70, 120, 220)  # a button
    return img


def dead_leaves(size: int = 512, seed: int = 0) -> np.ndarray:
    """A natural-like picture: opaque discs, many small and few large, in random colours."""
    rng = np.random.default_rng(seed)
    img = np.full((size, size, 3), 128, np.uint8)
    for _ in range(size * 4):
        r = size / 200 / rng.uniform(0.02, 1.0) ** 0.5
        cy, cx = rng.uniform(0, size, 2)
        y0, y1 = max(int(cy - r), 0), min(int(cy + r) + 1, size)
        x0, x1 = max(int(cx - r), 0), min(int(cx + r) + 1, size)
        yy, xx = np.ogrid[y0:y1, x0:x1]
        img[y0:y1, x0:x1][(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = rng.integers(0, 256, 3)
    return img


def downscale(hr: np.ndarray, factor: int = 4, resample=PILImage.BICUBIC) -> np.ndarray:
    h, w = hr.shape[:2]
    return np.asarray(PILImage.fromarray(hr).resize((w // factor, h // factor), resample))


def soft_photo(lr: np.ndarray, seed: int = 0, noise: float = 4.0, blur: float = 1.0) -> np.ndarray:
    """Sensor noise, then a soft lens (or a later resize) that hides it, as the "photo" degradation does."""
    rng = np.random.default_rng(seed)
    grainy = np.clip(lr + rng.normal(0.0, noise, lr.shape) + 0.5, 0, 255).astype(np.uint8)
    return np.asarray(PILImage.fromarray(grainy).filter(ImageFilter.GaussianBlur(blur)))


def flat_ui(seed: int = 0, h: int = 240, w: int = 320, text: bool = True) -> np.ndarray:
    """A flat UI screenshot drawn on an 8-px grid: panels, buttons and a toolbar whose edges all fall on
    multiples of 8 (the JPEG block edges), in flat colours, uncompressed; with ``text``, lines of glyphs
    whose strokes fall anywhere."""
    rng = np.random.default_rng(seed)

    def colour() -> np.ndarray:
        return rng.integers(0, 256, 3) if rng.random() < 0.4 else np.full(3, rng.integers(180, 256))

    img = np.empty((h, w, 3), np.uint8)
    img[:] = colour()
    img[: 8 * int(rng.integers(3, 6))] = colour()  # title bar
    for _ in range(int(rng.integers(4, 12))):  # panels and buttons, some with a 1-px border
        y0, x0 = 8 * int(rng.integers(0, h // 8 - 2)), 8 * int(rng.integers(0, w // 8 - 2))
        y1, x1 = min(h, y0 + 8 * int(rng.integers(2, 12))), min(w, x0 + 8 * int(rng.integers(2, 20)))
        img[y0:y1, x0:x1] = colour()
        if rng.random() < 0.4:
            img[y0:y1, x0:x1][[0, -1]] = img[y0:y1, x0:x1][:, [0, -1]] = colour()[None]
    if text:
        for y in range(44, h - 12, 24):
            x = int(rng.integers(8, 40))
            while x < w // 2:
                glyph = int(rng.integers(3, 6))
                img[y : y + 7, x] = 30
                if rng.random() < 0.6:
                    img[y + 3, x : x + glyph] = 30
                x += glyph + int(rng.integers(2, 4))
    return img
