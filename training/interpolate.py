"""Network interpolation on PyTorch weights (ESRGAN, Wang et al. 2018, §3.4).

``theta = (1 - alpha) * theta_psnr + alpha * theta_gan`` for two models of one
architecture: alpha 0 is the PSNR model, 1 the GAN model, and values between
trade fidelity for texture without the noise that blending outputs gives.
(``srgan_studio.core.interpolate`` does the same on exported ONNX files.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .checkpoint import CheckpointError, load_weights, save_weights


def interpolate_state(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], alpha: float) -> dict[str, torch.Tensor]:
    """Blend two state dicts; float tensors are mixed, all others must be equal."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], not {alpha}")
    if set(a) != set(b):
        diff = sorted(set(a) ^ set(b))
        raise ValueError(f"the models have different parameters (e.g. {diff[0]!r}); not the same architecture")
    out = {}
    for k, ta in a.items():
        tb = b[k]
        if ta.shape != tb.shape:
            raise ValueError(f"{k!r} has shape {tuple(ta.shape)} in one model and {tuple(tb.shape)} in the other")
        if ta.is_floating_point():
            mixed = torch.lerp(ta.double(), tb.to(ta.device).double(), alpha)
            out[k] = mixed.to(ta.dtype)
        else:
            if not torch.equal(ta, tb):
                raise ValueError(f"non-float tensor {k!r} differs between the models")
            out[k] = ta.clone()
    return out


def interpolate_files(psnr: str | Path, gan: str | Path, alpha: float, out: str | Path) -> dict[str, Any]:
    """Blend two weights files (or checkpoints) into a new weights file; returns its arch."""
    sa, arch_a, _ = load_weights(psnr)
    sb, arch_b, _ = load_weights(gan)
    if arch_a != arch_b:
        raise CheckpointError(f"{gan}: architecture {arch_b} differs from {psnr}'s {arch_a}")
    try:
        state = interpolate_state(sa, sb, alpha)
    except ValueError as exc:
        raise CheckpointError(f"{gan}: cannot interpolate with {psnr} ({exc})") from None
    save_weights(out, state, arch_a, {"interpolated": {"psnr": str(psnr), "gan": str(gan), "alpha": alpha}})
    return arch_a
