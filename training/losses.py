"""Losses: pixel (MSE, L1, Charbonnier), VGG19 perceptual, discriminator
feature matching, and adversarial (BCE as SRGAN, relativistic average as ESRGAN).

The VGG19 network is built here in plain torch with torchvision's layer
numbering (``features.<i>.weight``), so torchvision is not needed: weights come
from a file (a torchvision-layout state_dict, .pth or .safetensors) or, when no
file is given and torchvision is installed, from its weight API. Without
weights the loss refuses to build: random VGG features are not a perceptual
loss and would silently train a worse model.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F


class LossError(ValueError):
    """A loss that cannot be built (e.g. no VGG19 weights); message is one line."""


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


def lowpass_loss(sr: torch.Tensor, hr: torch.Tensor, factor: int) -> torch.Tensor:
    """L1 between SR and HR after ``factor`` x ``factor`` average pooling: checks
    colour and structure (what the LR input determines), not texture."""
    return F.l1_loss(F.avg_pool2d(sr, factor), F.avg_pool2d(hr, factor))


def grid_loss(sr: torch.Tensor, hr: torch.Tensor, period: int, window: int = 32) -> torch.Tensor:
    """Mean square of the ``period``-periodic component of SR - HR in each window.

    Sub-pixel upsampling makes checkerboards: a pattern that repeats every
    ``period`` pixels. Averaging the residual over all pixels of each phase
    (i mod p, j mod p) of a window keeps exactly that pattern, while real
    texture differences, which have no fixed phase, average out.
    """
    w = max(period, window // period * period)
    r = sr - hr
    b, c, h, wd = r.shape
    r = r[..., : h // w * w, : wd // w * w]
    if r.shape[-1] == 0 or r.shape[-2] == 0:
        raise ValueError(f"grid loss needs patches of at least {w} px")
    r = r.reshape(b, c, h // w, w // period, period, wd // w, w // period, period)
    phase = r.mean(dim=(3, 6))  # (b, c, H/w, p, W/w, p)
    periodic = phase - phase.mean(dim=(3, 5), keepdim=True)
    return (periodic**2).mean()


# --- VGG19 perceptual loss ---------------------------------------------------

# torchvision's vgg19 "features" (config E): numbers are conv widths, "M" max-pool.
VGG19_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M")
# Index of the ReLU output in torchvision's features Sequential.
VGG_LAYERS = {"vgg22": 8, "vgg54": 35}
# Ledig et al. rescale VGG feature maps by 1/12.75 so the loss is on the scale of the MSE loss.
VGG_RESCALE = 1.0 / 12.75
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def vgg19_features(last: int) -> nn.Sequential:
    """torchvision's vgg19().features truncated after index ``last`` (same indices)."""
    layers: list[nn.Module] = []
    cin = 3
    for v in VGG19_CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU(inplace=True)]
            cin = v
        if len(layers) > last:
            break
    return nn.Sequential(*layers[: last + 1])


def _read_state(path: Path) -> dict[str, torch.Tensor]:
    if not path.exists():
        raise LossError(f"{path}: VGG19 weights file does not exist")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any reader failure is "not a weights file"
        raise LossError(
            f"{path}: cannot read VGG19 weights ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
        ) from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise LossError(f"{path}: not a VGG19 state_dict")
    return state


def _torchvision_state() -> dict[str, torch.Tensor]:
    try:
        from torchvision.models import VGG19_Weights, vgg19
    except ImportError:
        raise LossError(
            "VGG19 weights are needed for a VGG content loss: give gan.vgg_weights (a torchvision "
            "vgg19 state_dict, .pth or .safetensors), or install torchvision with cached ImageNet weights, "
            'or use content_loss = "feature_match"'
        ) from None
    try:
        return vgg19(weights=VGG19_Weights.IMAGENET1K_V1).state_dict()
    except Exception as exc:  # noqa: BLE001 - e.g. no network to download them
        raise LossError(
            f"torchvision could not provide the ImageNet VGG19 weights ({str(exc).splitlines()[0]}); "
            'give gan.vgg_weights or use content_loss = "feature_match"'
        ) from None


class VGGLoss(nn.Module):
    """MSE between rescaled VGG19 feature maps of SR and HR (VGG22 or VGG54)."""

    def __init__(self, layer: str = "vgg54", weights: str | Path = ""):
        super().__init__()
        if layer not in VGG_LAYERS:
            raise LossError(f"unknown VGG layer {layer!r}; known: {sorted(VGG_LAYERS)}")
        self.features = vgg19_features(VGG_LAYERS[layer])
        state = _read_state(Path(weights)) if weights else _torchvision_state()
        state = {k.removeprefix("features."): v for k, v in state.items() if not k.startswith("classifier.")}
        wanted = self.features.state_dict()
        missing = [k for k in wanted if k not in state]
        if missing:
            where = f"{weights}: " if weights else ""
            raise LossError(
                f"{where}not VGG19 weights (missing {missing[0]}; expected torchvision's features.N.weight layout)"
            )
        for k, v in wanted.items():
            if state[k].shape != v.shape:
                where = f"{weights}: " if weights else ""
                raise LossError(f"{where}VGG19 tensor {k} has shape {tuple(state[k].shape)}, expected {tuple(v.shape)}")
        self.features.load_state_dict({k: state[k].float() for k in wanted})
        self.features.eval()
        for p in self.features.parameters():
            p.requires_grad_(False)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def train(self, mode: bool = True) -> VGGLoss:
        super().train(mode)
        self.features.eval()  # fixed feature extractor, whatever the caller does
        return self

    def feats(self, x: torch.Tensor) -> torch.Tensor:
        return self.features((x - self.mean) / self.std) * VGG_RESCALE

    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            target = self.feats(hr)
        return F.mse_loss(self.feats(sr), target)


# --- no-pretraining content loss ---------------------------------------------


def feature_match_loss(sr_feats: list[torch.Tensor], hr_feats: list[torch.Tensor]) -> torch.Tensor:
    """Mean over layers of the L1 distance between the discriminator's activations
    on SR and (detached) HR: a learned perceptual distance that needs no ImageNet."""
    if len(sr_feats) != len(hr_feats) or not sr_feats:
        raise ValueError("feature lists must be non-empty and of equal length")
    total = sum(F.l1_loss(a, b.detach()) for a, b in zip(sr_feats, hr_feats, strict=True))
    return total / len(sr_feats)


# --- adversarial ---------------------------------------------------------------


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def d_loss(kind: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Discriminator loss from logits on HR (real) and detached SR (fake)."""
    if kind == "bce":
        return 0.5 * (_bce(real, 1.0) + _bce(fake, 0.0))
    if kind == "ragan":
        return 0.5 * (_bce(real - fake.mean(), 1.0) + _bce(fake - real.mean(), 0.0))
    raise ValueError(f"unknown adversarial loss {kind!r}")


def g_adv_loss(kind: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Generator adversarial loss; ``real`` is D(HR) without grad (used by RaGAN only)."""
    if kind == "bce":
        # Non-saturating form (-log D(G(z))), as the SRGAN paper uses.
        return _bce(fake, 1.0)
    if kind == "ragan":
        real = real.detach()
        return 0.5 * (_bce(real - fake.mean(), 0.0) + _bce(fake - real.mean(), 1.0))
    raise ValueError(f"unknown adversarial loss {kind!r}")
