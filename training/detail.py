"""Patch positions drawn towards detail (``data.detail_sampling``): flat sky teaches nothing.

Each candidate position (a grid with a quarter-patch stride) is weighted by the
edge energy inside its patch, plus a floor of a tenth of the mean so flat regions
still appear now and then; the position is then jittered within its grid cell.
"""

from __future__ import annotations

import numpy as np

FLOOR = 0.1


class DetailSampler:
    def __init__(self, img: np.ndarray, patch: int, floor: float = FLOOR):
        h, w = img.shape[:2]
        self.patch = patch
        self.stride = max(4, patch // 4)
        self.max_y, self.max_x = h - patch, w - patch
        y = img[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        energy = np.zeros((h + 1, w + 1), dtype=np.float64)
        grad = np.zeros((h, w), dtype=np.float32)
        grad[1:, :] += np.abs(np.diff(y, axis=0))
        grad[:, 1:] += np.abs(np.diff(y, axis=1))
        energy[1:, 1:] = grad.cumsum(0).cumsum(1)  # integral image: any patch's sum in four lookups
        tops = np.arange(0, self.max_y + 1, self.stride)
        lefts = np.arange(0, self.max_x + 1, self.stride)
        t, left = np.meshgrid(tops, lefts, indexing="ij")
        sums = energy[t + patch, left + patch] - energy[t, left + patch] - energy[t + patch, left] + energy[t, left]
        weights = sums.ravel() + floor * max(float(sums.mean()), 1e-9)
        self.tops, self.lefts = t.ravel(), left.ravel()
        self.p = weights / weights.sum()

    def position(self, rng: np.random.Generator) -> tuple[int, int]:
        k = int(rng.choice(len(self.p), p=self.p))
        top, left = int(self.tops[k]), int(self.lefts[k])
        y = top + int(rng.integers(0, min(self.stride, self.max_y - top + 1)))
        x = left + int(rng.integers(0, min(self.stride, self.max_x - left + 1)))
        return y, x
