"""Running a PyTorch generator on uint8 images and scoring it (Y-PSNR, SSIM, texture, checker)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from ..core.degradation import DegradationConfig
from ..core.metrics import lattice_amplitude, psnr_y, ssim_y, texture_ratio
from .data import find_images, load_eval_pairs, load_rgb

Pairs = list[tuple[str, np.ndarray, np.ndarray]]  # (name, lr, hr), uint8 HxWx3


class ValidationDataError(ValueError):
    """A validation folder whose pairs do not fit; one line."""


def load_val_set(folder: Path, scale: int, degradation: DegradationConfig, seed: int = 0) -> Pairs:
    """A ``data.val`` folder's pairs. One holding ``hr/`` and ``lr/`` (the same file names) gives its pairs
    as they are: a fine-tune writes its held-out photos so, degraded as the app's final scoring degrades
    them, so that what validation keeps is the best on that figure. Otherwise each image is degraded here."""
    folder = Path(folder)
    hr_dir, lr_dir = folder / "hr", folder / "lr"
    if not (hr_dir.is_dir() and lr_dir.is_dir()):
        return load_eval_pairs(folder, scale, degradation, seed=seed)
    pairs = []
    for hr_path in find_images(hr_dir):
        name = str(hr_path.relative_to(hr_dir))
        if not (lr_dir / name).is_file():
            raise ValidationDataError(f"{lr_dir / name}: missing, the LR of {hr_path}")
        hr, lr = load_rgb(hr_path), load_rgb(lr_dir / name)
        if hr.shape != (lr.shape[0] * scale, lr.shape[1] * scale, 3):
            raise ValidationDataError(f"{lr_dir / name}: {lr.shape[1]}x{lr.shape[0]} is not {hr_path} / {scale}")
        pairs.append((name, lr, hr))
    return pairs


@contextlib.contextmanager
def true_fp32() -> Iterator[None]:
    """No TF32 while scoring: on a GPU, cuDNN's TF32 convolutions would move the scores off the app's
    fp32 ones, which keep_best's choice must match."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


@torch.no_grad()
def run_model(model: nn.Module, lr: np.ndarray, channels_last: bool = True) -> np.ndarray:
    """uint8 HxWx3 in -> uint8 HxWx3 out (clamped, rounded)."""
    device = next(model.parameters()).device
    x = torch.from_numpy(lr.copy()).permute(2, 0, 1)[None].float().div_(255.0).to(device)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = model(x).clamp_(0, 1).mul_(255.0).round_()
    return y[0].permute(1, 2, 0).to(torch.uint8).cpu().numpy()


def evaluate_model(model: nn.Module, pairs: Pairs, scale: int, channels_last: bool = True) -> dict[str, float]:
    was_training = model.training
    model.eval()
    ps, ss, tx, ck = [], [], [], []
    for _name, lr, hr in pairs:
        with true_fp32():
            sr = run_model(model, lr, channels_last)
        ps.append(psnr_y(sr, hr, scale))
        ss.append(ssim_y(sr, hr, scale))
        tx.append(texture_ratio(sr, hr, scale))
        ck.append(lattice_amplitude(sr, scale))
    model.train(was_training)
    return {
        "psnr_y": float(np.mean(ps)),
        "ssim_y": float(np.mean(ss)),
        "texture": float(np.mean(tx)),
        "checker": float(np.mean(ck)),
    }
