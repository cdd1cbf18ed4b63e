"""Geometric self-ensemble ("EDSR+", test-time augmentation): the model runs on flipped and
transposed copies of a tile, each output is turned back and the passes are averaged in float.

A convolutional SR network is not exactly equivariant to flips and transposes (its learnt
kernels are not symmetric), so each orientation makes slightly different errors; averaging
them removes part of the error that does not depend on the orientation. The cost is one
model pass per transform.

The transforms act on the tile the engine already cut (core plus context), before the size
multiple is padded on, so a transposed non-square tile is padded for its own shape and the
context stays on every side; the inverse is applied to the model's output before the core
is cropped, so the tiling, region and out-of-memory logic see one ordinary tile.

The number of passes is the one fact here: ``PASSES`` and ``CHOICES`` feed the settings,
the dialog and both CLI commands.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .cancel import NEVER, CancelToken
from .errors import StudioError

# A transform is (transpose, flip rows, flip columns), applied in that order to an HWC array.
# The first 4 are a subgroup (the mirrors, no transposes), so the cheaper mode is closed under
# inversion and keeps its passes balanced. Measured with eval (restore_x4, 'photo', seed 0, 3 draws,
# Set5): 1 pass 26.861 dB, 2 (id + mirror) 26.870, 4 26.880, 8 26.880; 2 passes kept half the gain
# for twice the time, so they are not offered.
_ORDER = (
    (False, False, False),
    (False, False, True),
    (False, True, False),
    (False, True, True),
    (True, False, False),
    (True, False, True),
    (True, True, False),
    (True, True, True),
)
PASSES = (1, 4, 8)
CHOICES = (
    (1, "Normal: 1 pass"),
    (4, "Better: 4 passes (mirrored), about 4x slower"),
    (8, "Best quality: 8 passes, about 8x slower"),
)
HELP = "passes per tile, averaged over flips and transposes: 1 (off), 4, or 8 (best quality, about 8x slower)"


def check_passes(value, where: str = "ensemble") -> int:
    """``value`` as an int in PASSES, or a one-line StudioError naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in PASSES:
        allowed = ", ".join(map(str, PASSES[:-1])) + f" or {PASSES[-1]}"
        raise StudioError(f"{where} must be {allowed} (passes per tile), not {value!r}")
    return value


def transforms(passes: int) -> tuple[tuple[bool, bool, bool], ...]:
    return _ORDER[: check_passes(passes)]


def forward(x: np.ndarray, t: tuple[bool, bool, bool]) -> np.ndarray:
    transpose, rows, cols = t
    if transpose:
        x = x.transpose(1, 0, *range(2, x.ndim))
    if rows:
        x = x[::-1]
    if cols:
        x = x[:, ::-1]
    return np.ascontiguousarray(x)


def inverse(y: np.ndarray, t: tuple[bool, bool, bool]) -> np.ndarray:
    """Undo ``forward``: the flips first, then the transpose (each is its own inverse)."""
    transpose, rows, cols = t
    if cols:
        y = y[:, ::-1]
    if rows:
        y = y[::-1]
    if transpose:
        y = y.transpose(1, 0, *range(2, y.ndim))
    return y


def self_ensemble(
    run: Callable[[np.ndarray], np.ndarray], x: np.ndarray, passes: int, cancel: CancelToken = NEVER
) -> np.ndarray:
    """The mean of ``inverse(run(forward(x)))`` over the first ``passes`` transforms (float32, HWC).

    ``cancel`` is checked before every pass after the first, so an 8-pass tile stops within one pass.
    """
    chosen = transforms(passes)
    if len(chosen) == 1:
        return run(x)
    total = None
    for i, t in enumerate(chosen):
        if i:
            cancel.raise_if_cancelled()
        y = inverse(run(forward(x, t)), t)
        # float64: a sum of up to 8 float32 values is exact, so passes that agree give that value back bit for bit
        if total is None:
            total = y.astype(np.float64)
        else:
            total += y
    return (total * (1.0 / len(chosen))).astype(np.float32)
