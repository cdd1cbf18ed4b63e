"""RRDBNet generator of ESRGAN (Wang et al., "ESRGAN: Enhanced Super-Resolution
Generative Adversarial Networks", ECCV 2018 workshops, arXiv 1809.00219, fig. 4).

Layout: conv3x3 -> ``blocks`` Residual-in-Residual Dense Blocks (each three
5-conv dense blocks with growth ``growth``, every residual scaled by
``res_scale``, no BN) -> conv3x3 + long skip -> one (nearest x2, conv3x3,
LeakyReLU 0.2) per factor of 2 -> conv3x3 + LeakyReLU -> conv3x3.
Parameter names follow BasicSR's RRDBNet (conv_first, body.N.rdb1.conv1, ...),
so its state dicts read naturally, although no foreign weights are bundled.

Options beyond the paper: scale 3 (one nearest x3 step), and ``bicubic_skip``
(output += bicubic(input), last conv zero-initialised; as in SRResNet).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .registry import register, upsample_factors


class ResidualDenseBlock(nn.Module):
    def __init__(self, channels: int, growth: int, res_scale: float):
        super().__init__()
        self.res_scale = res_scale
        self.conv1 = nn.Conv2d(channels, growth, 3, padding=1)
        self.conv2 = nn.Conv2d(channels + growth, growth, 3, padding=1)
        self.conv3 = nn.Conv2d(channels + 2 * growth, growth, 3, padding=1)
        self.conv4 = nn.Conv2d(channels + 3 * growth, growth, 3, padding=1)
        self.conv5 = nn.Conv2d(channels + 4 * growth, channels, 3, padding=1)
        self.act = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.act(self.conv1(x))
        x2 = self.act(self.conv2(torch.cat((x, x1), 1)))
        x3 = self.act(self.conv3(torch.cat((x, x1, x2), 1)))
        x4 = self.act(self.conv4(torch.cat((x, x1, x2, x3), 1)))
        x5 = self.conv5(torch.cat((x, x1, x2, x3, x4), 1))
        return x + x5 * self.res_scale


class RRDB(nn.Module):
    def __init__(self, channels: int, growth: int, res_scale: float):
        super().__init__()
        self.res_scale = res_scale
        self.rdb1 = ResidualDenseBlock(channels, growth, res_scale)
        self.rdb2 = ResidualDenseBlock(channels, growth, res_scale)
        self.rdb3 = ResidualDenseBlock(channels, growth, res_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.rdb3(self.rdb2(self.rdb1(x))) * self.res_scale


class RRDBNet(nn.Module):
    def __init__(
        self,
        scale: int = 4,
        in_channels: int = 3,
        out_channels: int = 3,
        channels: int = 64,
        blocks: int = 23,
        growth: int = 32,
        res_scale: float = 0.2,
        bicubic_skip: bool = False,
    ):
        super().__init__()
        self.scale = scale
        self.factors = upsample_factors(scale, "RRDBNet")
        self.bicubic_skip = bicubic_skip
        self.conv_first = nn.Conv2d(in_channels, channels, 3, padding=1)
        self.body = nn.Sequential(*[RRDB(channels, growth, res_scale) for _ in range(blocks)])
        self.conv_body = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv_up = nn.ModuleList(nn.Conv2d(channels, channels, 3, padding=1) for _ in self.factors)
        self.conv_hr = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv_last = nn.Conv2d(channels, out_channels, 3, padding=1)
        self.act = nn.LeakyReLU(0.2, inplace=True)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
                nn.init.zeros_(m.bias)
        # ESRGAN's trick for training very deep nets: dense-block convs start at 0.1x.
        for m in self.body.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.data.mul_(0.1)
        if self.bicubic_skip:
            nn.init.zeros_(self.conv_last.weight)
            nn.init.zeros_(self.conv_last.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        for factor, conv in zip(self.factors, self.conv_up, strict=True):
            feat = self.act(conv(F.interpolate(feat, scale_factor=factor, mode="nearest")))
        out = self.conv_last(self.act(self.conv_hr(feat)))
        if self.bicubic_skip:
            out = out + F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return out


@register("rrdbnet")
def rrdbnet(**options) -> RRDBNet:
    return RRDBNet(**options)
