"""SRGAN discriminator (Ledig et al., CVPR 2017, arXiv 1609.04802, fig. 4).

Paper layout: conv3x3(64) + LeakyReLU(0.2); seven conv3x3 + BN + LeakyReLU
blocks with channels 64, 128, 128, 256, 256, 512, 512 and strides 2, 1, 2, 1,
2, 1, 2; dense(1024) + LeakyReLU; dense(1) (a logit: the sigmoid lives in the
BCE loss, which is numerically safer).

Patch sizes other than 96 (the only change to the paper's network):
the four stride-2 convs map a p x p patch to ceil(p/16) x ceil(p/16), so the
first dense layer is sized from ``patch_size`` (default 96 -> 512*6*6 inputs,
exactly the paper). The GAN stage passes the recipe's ``data.patch_size``
automatically, so any training patch size (a multiple of the scale) works. The
dense layer keeps the spatial layout, as in the paper, instead of pooling it
away; a patch of the wrong size is rejected with a clear error rather than
silently resized.

``forward(x, features=True)`` also returns each block's activations, which the
GAN stage uses for the discriminator feature-matching content loss.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from .registry import register

CHANNELS = (64, 128, 128, 256, 256, 512, 512)
STRIDES = (2, 1, 2, 1, 2, 1, 2)


def _block(cin: int, cout: int, stride: int, batch_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return nn.Sequential(*layers)


class SRGANDiscriminator(nn.Module):
    def __init__(
        self,
        patch_size: int = 96,
        in_channels: int = 3,
        base_channels: int = 64,
        dense: int = 1024,
        batch_norm: bool = True,
    ):
        # base_channels / dense shrink the network for tests; the paper is 64 / 1024.
        super().__init__()
        if patch_size < 16:
            raise ValueError(f"discriminator patch_size must be at least 16, not {patch_size}")
        self.patch_size = patch_size
        mult = base_channels / 64
        chans = [max(1, int(c * mult)) for c in CHANNELS]
        cin = max(1, int(64 * mult))
        blocks = [nn.Sequential(nn.Conv2d(in_channels, cin, 3, padding=1), nn.LeakyReLU(0.2, inplace=True))]
        for cout, stride in zip(chans, STRIDES, strict=True):
            blocks.append(_block(cin, cout, stride, batch_norm))
            cin = cout
        self.features = nn.ModuleList(blocks)
        side = patch_size
        for s in STRIDES:
            side = math.ceil(side / s)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(cin * side * side, dense),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(dense, 1),
        )
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, a=0.2, nonlinearity="leaky_relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor, features: bool = False):
        if x.shape[-2:] != (self.patch_size, self.patch_size):
            raise ValueError(f"discriminator was built for {self.patch_size}px patches, got {tuple(x.shape[-2:])}")
        feats = []
        for block in self.features:
            x = block(x)
            if features:
                feats.append(x)
        logit = self.classifier(x)
        return (logit, feats) if features else logit


@register("srgan_discriminator")
def srgan_discriminator(**options) -> SRGANDiscriminator:
    return SRGANDiscriminator(**options)
