"""Losses. Pixel losses here; perceptual and adversarial losses in gan.py."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def charbonnier(sr: torch.Tensor, hr: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    return torch.sqrt((sr - hr) ** 2 + eps * eps).mean()


def pixel_loss(kind: str, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
    if kind == "l1":
        return F.l1_loss(sr, hr)
    if kind == "mse":
        return F.mse_loss(sr, hr)
    if kind == "charbonnier":
        return charbonnier(sr, hr)
    raise ValueError(f"unknown pixel loss {kind!r}")
