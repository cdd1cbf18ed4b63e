"""Training data: random HR crops from any photo folder, LR made on the fly.

- Recursive over a folder; unreadable files are skipped and logged once.
- Decoded images are cached in memory (uint8) so CPU time goes to the model.
- Augmentation: flips and 90-degree rotations.
- LR = the degradation pipeline (``core.degradation``) applied to the HR crop:
  for the ``clean`` preset a Pillow BICUBIC downscale (antialiased; matches
  MATLAB imresize to ~0.01 dB on Set5), otherwise Real-ESRGAN's second-order
  model of blur, resize, noise and JPEG.
- Each batch is a pure function of (seed, step): resuming at step k yields the
  same batches bit for bit with no data-RNG state to save.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from ..core.degradation import CLEAN, DegradationConfig, degrade, degrade_pair
from ..core.formats import SUFFIX_FORMAT
from .detail import DetailSampler

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = SUFFIX_FORMAT


def find_images(folder: Path) -> list[Path]:
    """The photos the app's folder scan counts (core/discover.py), by extension or by content,
    so a ``.jfif`` or an extension-less JPEG the fine-tune wizard listed is one the trainer trains on."""
    from ..core.discover import find_images as discover

    found, _notes = discover(Path(folder), recursive=True)
    return sorted(f.path for f in found)


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        im.load()
        return np.asarray(im.convert("RGB"))


class PatchDataset:
    def __init__(
        self,
        folder: str | Path,
        patch_size: int,
        scale: int,
        degradation: DegradationConfig = CLEAN,
        min_count: int = 1,
        detail: bool = False,
    ):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise FileNotFoundError(f"{self.folder}: training data folder does not exist")
        self.patch_size = patch_size
        self.scale = scale
        self.degradation = degradation
        if patch_size % scale:
            raise ValueError(f"patch size {patch_size} must be a multiple of the scale {scale}")
        self.images: list[np.ndarray] = []
        self.skipped: list[tuple[Path, str]] = []
        for path in find_images(self.folder):
            try:
                img = load_rgb(path)
            except Exception as exc:  # noqa: BLE001 - any decoder failure means "skip this file"
                self.skipped.append((path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
                log.warning("skipping %s: %s", path, self.skipped[-1][1])
                continue
            if min(img.shape[:2]) < patch_size:
                self.skipped.append((path, f"smaller than the {patch_size}px patch"))
                log.warning("skipping %s: smaller than the %dpx patch", path, patch_size)
                continue
            self.images.append(img)
        if len(self.images) < min_count:
            raise ValueError(f"{self.folder}: {len(self.images)} usable images (need at least {min_count})")
        # Sample images in proportion to their area so big photos are not under-used.
        areas = np.array([im.shape[0] * im.shape[1] for im in self.images], dtype=np.float64)
        self.weights = areas / areas.sum()
        self.samplers = [DetailSampler(im, patch_size) for im in self.images] if detail else None

    def __len__(self) -> int:
        return len(self.images)

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        index = rng.choice(len(self.images), p=self.weights)
        img = self.images[index]
        p = self.patch_size
        if self.samplers is None:  # the uniform draw: existing recipes keep their exact batches
            y = int(rng.integers(0, img.shape[0] - p + 1))
            x = int(rng.integers(0, img.shape[1] - p + 1))
        else:
            y, x = self.samplers[index].position(rng)
        hr = img[y : y + p, x : x + p]
        if rng.random() < 0.5:
            hr = hr[:, ::-1]
        if rng.random() < 0.5:
            hr = hr[::-1]
        if rng.random() < 0.5:
            hr = hr.transpose(1, 0, 2)
        hr = np.ascontiguousarray(hr)
        return degrade_pair(hr, self.scale, self.degradation, rng)

    def batch(self, seed: int, step: int, batch_size: int, stream: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(lr, hr) as float32 NCHW in [0, 1]; a pure function of (seed, step, stream).
        ``stream`` is the distributed rank; stream 0 is the single-process sequence."""
        rng = np.random.default_rng([seed, step] if stream == 0 else [seed, step, stream])
        pairs = [self.sample(rng) for _ in range(batch_size)]
        hr = np.stack([p[0] for p in pairs]).transpose(0, 3, 1, 2).astype(np.float32) / 255.0
        lr = np.stack([p[1] for p in pairs]).transpose(0, 3, 1, 2).astype(np.float32) / 255.0
        return lr, hr


def prefetch(
    dataset: PatchDataset, seed: int, start: int, stop: int, batch_size: int, depth: int = 3, stream: int = 0
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Build batches in a background thread (Pillow releases the GIL) so data
    preparation overlaps the model's forward/backward."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop_flag = threading.Event()

    def work() -> None:
        try:
            for step in range(start, stop):
                if stop_flag.is_set():
                    return
                q.put((step, *dataset.batch(seed, step, batch_size, stream)))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put(exc)
        q.put(None)

    thread = threading.Thread(target=work, daemon=True, name="batch-prefetch")
    thread.start()
    try:
        while True:
            item = q.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop_flag.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.05)


def load_eval_pairs(
    folder: Path,
    scale: int,
    degradation: DegradationConfig = CLEAN,
    seed: int = 0,
    draw: int = 0,
    skipped: dict[Path, Exception] | None = None,
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, lr, hr) with HR mod-cropped to the scale and LR its BICUBIC downscale, or, with a
    degradation, the pipeline's LR drawn from (seed, image index, draw) so every run sees the same inputs.

    Draw 0 uses the generator [seed, index] that single-draw figures were always measured with, so they
    stay bit for bit; draw k > 0 uses [seed, index, k], a stream independent of it.

    With ``skipped``, a file that cannot be decoded goes there instead of raising; the others keep
    their index, so their draws are the same as with the file readable."""
    pairs = []
    for index, path in enumerate(find_images(Path(folder))):
        try:
            hr = load_rgb(path)
        except Exception as exc:  # noqa: BLE001 - any decoder failure means "skip this file"
            if skipped is None:
                raise
            skipped[path] = exc
            continue
        h, w = hr.shape[0] - hr.shape[0] % scale, hr.shape[1] - hr.shape[1] % scale
        hr = np.ascontiguousarray(hr[:h, :w])
        rng = np.random.default_rng([seed, index] if draw == 0 else [seed, index, draw])
        lr = degrade(hr, scale, degradation, rng)
        pairs.append((str(path.relative_to(folder)), lr, hr))
    return pairs
