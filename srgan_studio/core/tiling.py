"""Tile plans: a pure function from image size to tile boxes.

Each tile has a *core* box (the LR pixels it is responsible for; the cores
partition the image) and a *padded* box (the core grown by ``overlap`` pixels
of real context on each side, clipped to the image). The model runs on the
padded box and only the core of its output is kept ("crop", not blend).

Why crop rather than a half-sine blend: a convolutional net's output at a
pixel depends only on the input within its receptive field. When the context
``overlap`` covers the part of that field that still matters, the kept core is
the one-pass result to float rounding, so there is no seam to hide; a blend
would only mix in the less exact border of the neighbour. Measured on a
16-block, 64-channel SRResNet x4 with random weights (max abs error at the
tile border, in 1/255 units): context 8 -> 16, 12 -> 0.4, 16 -> 0.003,
24 -> 0.001, 40 (its full theoretical field) -> 0. Cropping also lets the
output go straight into the final uint8/uint16 buffer with no float
accumulator, and any core can be split again (out-of-memory retry) without
changing the result.

Cores are spread evenly (chaiNNer style), so no thin sliver tile is left at
the right or bottom edge.

Defaults (benchmarks/bench_inference.py, 2 busy CPU cores): ONNX Runtime needs
about 10-14 KB per padded LR pixel for SRResNet x4, so a 224 px core with 16 px
of context peaks near 0.8 GB RSS on a 640x640 image (one untiled pass: 3.3 GB)
and runs no slower than one pass; 16 px of context keeps a full-depth
SRResNet within 1/255 of one pass (8 px gives 3/255, 4 px 35/255). A model
whose descriptor states a larger ``receptive_field`` gets that as overlap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_OVERLAP = 16  # LR context pixels when a descriptor gives no receptive field
DEFAULT_TILE = 224  # LR core size on CPU: bounds memory (see benchmarks/bench_inference.py)
MIN_TILE = 32


@dataclass(frozen=True)
class Tile:
    x0: int
    y0: int
    x1: int
    y1: int  # core box (LR), x1/y1 exclusive
    px0: int
    py0: int
    px1: int
    py1: int  # padded box (LR): core plus context, clipped to the image

    @property
    def core(self) -> tuple[int, int, int, int]:
        return (self.x0, self.y0, self.x1, self.y1)

    @property
    def padded(self) -> tuple[int, int, int, int]:
        return (self.px0, self.py0, self.px1, self.py1)

    @property
    def inner(self) -> tuple[int, int, int, int]:
        """The core relative to the padded box (where to crop the model output, in LR units)."""
        return (self.x0 - self.px0, self.y0 - self.py0, self.x1 - self.px0, self.y1 - self.py0)


def _splits(length: int, tile: int) -> list[tuple[int, int]]:
    n = max(1, math.ceil(length / tile))
    edges = [round(i * length / n) for i in range(n + 1)]
    return [(edges[i], edges[i + 1]) for i in range(n)]


def plan_tiles(height: int, width: int, tile: int, overlap: int) -> list[Tile]:
    """Row-major tiles whose cores cover ``height x width`` exactly once.

    ``tile`` is the largest core side; ``tile <= 0`` means one tile. ``overlap``
    is the context added on each side of a core.
    """
    if height <= 0 or width <= 0:
        raise ValueError(f"image size must be positive, not {height}x{width}")
    if overlap < 0:
        raise ValueError(f"overlap must be >= 0, not {overlap}")
    if tile <= 0:
        tile = max(height, width)
    return plan_box((0, 0, width, height), height, width, tile, overlap)


def plan_box(box: tuple[int, int, int, int], height: int, width: int, tile: int, overlap: int) -> list[Tile]:
    """Split the core ``box`` of a ``height x width`` image into tiles (used to re-split on out-of-memory)."""
    bx0, by0, bx1, by1 = box
    tiles = []
    for y0, y1 in _splits(by1 - by0, tile):
        for x0, x1 in _splits(bx1 - bx0, tile):
            x0, x1, y0, y1 = x0 + bx0, x1 + bx0, y0 + by0, y1 + by0
            tiles.append(
                Tile(
                    x0,
                    y0,
                    x1,
                    y1,
                    max(0, x0 - overlap),
                    max(0, y0 - overlap),
                    min(width, x1 + overlap),
                    min(height, y1 + overlap),
                )
            )
    return tiles


def tiles_for_region(tiles: list[Tile], region: tuple[int, int, int, int]) -> list[Tile]:
    """The tiles of a full plan whose cores meet ``region`` (x0, y0, x1, y1)."""
    rx0, ry0, rx1, ry1 = region
    return [t for t in tiles if t.x0 < rx1 and t.x1 > rx0 and t.y0 < ry1 and t.y1 > ry0]


def intersect(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def padded_pixels(tiles: list[Tile]) -> int:
    """LR pixels the model actually processes for a plan (overhead = this / image pixels)."""
    return sum((t.px1 - t.px0) * (t.py1 - t.py0) for t in tiles)
