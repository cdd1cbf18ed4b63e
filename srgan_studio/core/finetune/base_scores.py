"""The base model's scores on the held-out pairs, computed once per run and reused.

``--base auto`` upscales every held-out pair with each candidate; the final figure's base column,
and the rescoring of a run made by an earlier version (old_val.py), upscale them again with the
base. Each photo's base output (a lossless PNG in ``base-sr/``) and its Y-PSNR and Y-SSIM are kept
in the run state, keyed by what decides them: the sha256 of the base's ONNX file (what the engine
runs), of the pair's pixels (HR and LR: the photo, the crop, the preset and its seed) and the
metric. Anything else is a miss and is scored afresh, so a stale entry can never be shown.

The trainer's step-0 validation scores the base too, in its own process and in PyTorch; it stays
(see ``BaseScores``'s note in state.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..atomic import atomic_path, file_sha256
from ..metrics import psnr_y, ssim_y
from .state import BaseScores, PhotoScore

if TYPE_CHECKING:
    from .run import FinetuneRun

# Changes whenever the scoring changes: Y channel, border = scale, the engine in fp32 (evaluate.fp32_upscaler).
METRIC = "y-psnr,y-ssim;border=scale;onnx-fp32;v1"
SR_DIR = "base-sr"

Scored = tuple[np.ndarray, float, float]  # (base output, Y-PSNR, Y-SSIM)


def pixels_sha256(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(repr(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def model_key(run: FinetuneRun) -> str:
    return file_sha256(Path(run.state.base.onnx))


def score(sr: np.ndarray, hr: np.ndarray, scale: int) -> Scored:
    return sr, psnr_y(sr, hr, scale), ssim_y(sr, hr, scale)


class BaseCache:
    """The run's cached base scores, looked up and filled photo by photo; ``save`` writes the state."""

    def __init__(self, run: FinetuneRun):
        self.run = run
        self.dir = run.dir / SR_DIR
        self.hits = self.misses = 0
        try:
            self.model = model_key(run)
        except OSError:
            self.model = ""  # no base file to key on: nothing cached; scoring it says what is wrong
        cached = run.state.base_scores
        fits = cached is not None and self.model and cached.model == self.model and cached.metric == METRIC
        self.entries = {p.photo: p for p in cached.photos} if fits else {}

    def _sr_path(self, entry: PhotoScore) -> Path:
        return self.dir / f"{entry.pair[:24]}.png"

    def get(self, photo: str, hr: np.ndarray, lr: np.ndarray) -> Scored | None:
        entry = self.entries.get(photo)
        if entry is None or entry.pair != pixels_sha256(hr, lr):
            return None
        try:
            from PIL import Image

            with Image.open(self._sr_path(entry)) as im:
                sr = np.asarray(im.convert("RGB"))
        except OSError:
            return None
        if pixels_sha256(sr) != entry.sr:
            return None
        return sr, entry.psnr_y, entry.ssim_y

    def put(self, photo: str, hr: np.ndarray, lr: np.ndarray, scored: Scored) -> None:
        from PIL import Image

        if not self.model:
            return

        sr, psnr, ssim = scored
        entry = PhotoScore(photo, pixels_sha256(hr, lr), float(psnr), float(ssim), pixels_sha256(sr))
        self.dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(self._sr_path(entry)) as tmp:
            Image.fromarray(sr).save(tmp, "PNG")
        self.entries[photo] = entry

    def scored(self, photo: str, hr: np.ndarray, lr: np.ndarray, compute: Callable[[], np.ndarray]) -> Scored:
        """The base's output and scores on this pair: cached, else ``compute()``d, scored and cached."""
        got = self.get(photo, hr, lr)
        if got is not None:
            self.hits += 1
            return got
        self.misses += 1
        result = score(compute(), hr, self.run.scale)
        self.put(photo, hr, lr, result)
        return result

    def keep(self) -> None:
        """Into the run state (the caller saves it): the entries of the photos still held out; outputs
        no entry names any more are removed."""
        if not self.model:
            return
        held = {p.name for p in self.run.heldout_dir.iterdir()}
        photos = [e for name, e in sorted(self.entries.items()) if name in held]
        self.run.state.base_scores = BaseScores(self.model, METRIC, photos)
        named = {self._sr_path(e).name for e in photos}
        for png in self.dir.glob("*.png") if self.dir.is_dir() else ():
            if png.name not in named:
                png.unlink(missing_ok=True)


def base_psnr_on_pairs(run: FinetuneRun) -> list[float]:
    """The base's Y-PSNR on each held-out pair, as the final figure scores it: cached, else scored and
    cached (the run state is saved)."""
    from ..descriptor import ModelDescriptor
    from .evaluate import EVAL_SIDE, degraded_pair, fp32_upscaler, heldout_photos, upscale_checked

    cache = BaseCache(run)
    up = None

    def upscaler():
        nonlocal up
        up = up or fp32_upscaler(ModelDescriptor.load(Path(run.state.base.onnx).with_suffix(".json")))
        return up

    out = []
    for path in heldout_photos(run):
        hr, lr = degraded_pair(path, run.scale, run.options.preset, EVAL_SIDE)
        out.append(cache.scored(path.name, hr, lr, lambda: upscale_checked(upscaler(), lr, hr, path))[1])  # noqa: B023
    cache.keep()
    run.save()
    return out


def keep_base_outputs(run: FinetuneRun, pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
    """The chosen base's (HR, LR, output) per held-out photo from ``--base auto``, into the cache."""
    if not pairs:
        return
    cache = BaseCache(run)
    for path, (hr, lr, sr) in zip(sorted(run.heldout_dir.iterdir()), pairs, strict=True):
        cache.put(path.name, hr, lr, score(sr, hr, run.scale))
    cache.keep()
