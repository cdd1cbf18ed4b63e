"""What one compare pane shows: a model and its partly rendered output (no Qt).

The preview is rendered in blocks of BLOCK input pixels. A ``RenderTarget``
holds the output canvas (display-ready uint8 RGB at full x-scale detail) and
which blocks are done; it belongs to one (image, model) pair and is replaced
when either changes, so a job still finishing for the old pair writes into a
canvas nobody shows any more.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..core.descriptor import ModelDescriptor

if TYPE_CHECKING:
    import numpy as np

BLOCK = 128  # input pixels per preview block side (and the preview's engine tile size)


def block_edges(length: int) -> list[int]:
    """Block boundaries along one side: the same even split as the engine's tile plan.

    The preview runs the engine with ``tile=BLOCK``, so every block is exactly
    one engine tile and a region made of whole blocks computes no pixel twice
    (tests/test_gui_compare.py checks this against core.tiling.plan_tiles).
    """
    n = max(1, -(-length // BLOCK))
    return [round(i * length / n) for i in range(n + 1)]


CHECKER = 8  # input pixels per checkerboard square behind transparent parts
CHECKER_SHADES = (204.0, 153.0)


def checkerboard(h: int, w: int, cell: int, origin: tuple[int, int] = (0, 0)) -> np.ndarray:
    """HxW float32 light/dark squares of ``cell`` px, phased by ``origin`` (x, y) so tiles line up."""
    import numpy as np

    ys = (np.arange(h) + origin[1]) // cell
    xs = (np.arange(w) + origin[0]) // cell
    light, dark = CHECKER_SHADES
    return np.where((ys[:, None] + xs[None, :]) % 2 == 0, light, dark).astype(np.float32)


def display_rgb(
    color: np.ndarray, alpha: np.ndarray | None = None, cell: int = CHECKER, origin: tuple[int, int] = (0, 0)
) -> np.ndarray:
    """Any engine image -> contiguous uint8 HxWx3 for the screen.

    16-bit keeps its top byte, grey is repeated, alpha is composited over a
    checkerboard (as image editors show transparency): ``cell`` is the square's
    size in this image's pixels, ``origin`` where the image sits in the whole.
    """
    import numpy as np

    if color.dtype == np.uint16:
        color = (color >> 8).astype(np.uint8)
    elif color.dtype != np.uint8:
        color = np.clip(color, 0, 255).astype(np.uint8)
    if color.ndim == 2:
        color = color[:, :, None]
    if color.shape[2] == 1:
        color = np.repeat(color, 3, axis=2)
    elif color.shape[2] > 3:
        color = color[:, :, :3]
    if alpha is not None:
        a = alpha.astype(np.float32)
        a /= 65535.0 if alpha.dtype == np.uint16 else 255.0
        bg = checkerboard(color.shape[0], color.shape[1], cell, origin)[:, :, None]
        color = (color.astype(np.float32) * a[:, :, None] + bg * (1 - a[:, :, None])).round().astype(np.uint8)
    return np.ascontiguousarray(color)


@dataclass
class RenderTarget:
    descriptor: ModelDescriptor
    in_w: int
    in_h: int
    canvas: np.ndarray = field(init=False)
    done: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        import numpy as np

        s = self.descriptor.scale
        # np.zeros maps lazily: untouched parts of a big canvas cost no memory.
        self.canvas = np.zeros((self.in_h * s, self.in_w * s, 3), np.uint8)
        self.xs = block_edges(self.in_w)
        self.ys = block_edges(self.in_h)
        self.done = np.zeros((len(self.ys) - 1, len(self.xs) - 1), bool)

    @property
    def scale(self) -> int:
        return self.descriptor.scale

    @property
    def fraction(self) -> float:
        return float(self.done.mean()) if self.done.size else 1.0

    def block_box(self, by: int, bx: int) -> tuple[int, int, int, int]:
        return (self.xs[bx], self.ys[by], self.xs[bx + 1], self.ys[by + 1])

    def block_range(self, lo: float, hi: float, axis: str) -> range:
        """Indices of the blocks meeting [lo, hi) along ``axis`` ("x" or "y"), input pixels."""
        edges = self.xs if axis == "x" else self.ys
        first = max(0, bisect.bisect_right(edges, lo) - 1)
        last = min(len(edges) - 1, bisect.bisect_left(edges, hi))
        return range(first, last)

    def blocks_in(self, box: tuple[int, int, int, int]) -> list[tuple[int, int]]:
        """Blocks (row, col) touching ``box`` (input pixels)."""
        x0, y0, x1, y1 = box
        if x1 <= x0 or y1 <= y0:
            return []
        return [(by, bx) for by in self.block_range(y0, y1, "y") for bx in self.block_range(x0, x1, "x")]

    def paste(self, box: tuple[int, int, int, int], color: np.ndarray, alpha: np.ndarray | None) -> None:
        s = self.scale
        x0, y0, x1, y1 = box
        rgb = display_rgb(color, alpha, CHECKER * s, (x0 * s, y0 * s))  # squares line up with the original's
        self.canvas[y0 * s : y0 * s + rgb.shape[0], x0 * s : x0 * s + rgb.shape[1]] = rgb
        for by, bx in self.blocks_in(box):
            bx0, by0, bx1, by1 = self.block_box(by, bx)
            if x0 <= bx0 and y0 <= by0 and bx1 <= x1 and by1 <= y1:
                self.done[by, bx] = True


class RenderSlot:
    """One pane's model choice, render target and status line."""

    def __init__(self, key: str, default_model: str):
        self.key = key
        self.default_model = default_model
        self.descriptor: ModelDescriptor | None = None
        self.missing = ""  # why there is no model, e.g. "model not installed"
        self.target: RenderTarget | None = None
        self.status = ""
        self.tile_fraction = 0.0  # progress inside the region being rendered
        self.busy = False
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, fn: Callable[[], None]) -> None:
        self._listeners.append(fn)

    def changed(self) -> None:
        for fn in list(self._listeners):
            fn()

    @property
    def title(self) -> str:
        if self.descriptor is not None:
            return self.descriptor.title
        return self.default_model

    @property
    def fraction(self) -> float:
        return self.target.fraction if self.target is not None else 0.0

    def set_model(self, descriptor: ModelDescriptor | None, missing: str = "") -> None:
        self.descriptor = descriptor
        self.missing = "" if descriptor is not None else (missing or "model not installed")
        self.target = None
        self.status = self.missing
        self.changed()

    def reset_target(self, in_w: int, in_h: int) -> None:
        self.target = RenderTarget(self.descriptor, in_w, in_h) if self.descriptor is not None else None
        self.status = self.missing
        self.tile_fraction = 0.0
        self.changed()
