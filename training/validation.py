"""Running a PyTorch generator on uint8 images and scoring it (Y-PSNR, SSIM, texture, checker)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from ..core.metrics import lattice_amplitude, psnr_y, ssim_y, texture_ratio


@torch.no_grad()
def run_model(model: nn.Module, lr: np.ndarray, channels_last: bool = True) -> np.ndarray:
    """uint8 HxWx3 in -> uint8 HxWx3 out (clamped, rounded)."""
    device = next(model.parameters()).device
    x = torch.from_numpy(lr.copy()).permute(2, 0, 1)[None].float().div_(255.0).to(device)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = model(x).clamp_(0, 1).mul_(255.0).round_()
    return y[0].permute(1, 2, 0).to(torch.uint8).cpu().numpy()


def evaluate_model(
    model: nn.Module, pairs: list[tuple[str, np.ndarray, np.ndarray]], scale: int, channels_last: bool = True
) -> dict[str, float]:
    was_training = model.training
    model.eval()
    ps, ss, tx, ck = [], [], [], []
    for _name, lr, hr in pairs:
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
