"""Stage 2: adversarial training of the generator (SRGAN, or ESRGAN's RaGAN).

Each step updates G once, then D once (the order of Ledig et al. and BasicSR):

- G: ``pixel_weight * pixel + lowpass_weight * lowpass + content_weight * content
  + adv_weight * adversarial``, with D's parameters frozen so no D weight
  gradients are computed. The low-pass term (L1 between SR and HR average-pooled
  by the scale) pins colours and structure, the usual GAN failure, while leaving
  the high frequencies free for texture; a full-resolution pixel loss would pull
  those back towards the blurry PSNR optimum. The grid term (``grid_weight``)
  penalises the part of SR - HR that repeats with the upsampling period: the
  checkerboard that sub-pixel convolutions drift into under GAN pressure. The content
  loss is VGG22/VGG54 when ImageNet VGG19 weights are available, else
  discriminator feature matching (L1 between D's activations on SR and HR), which
  needs no pretrained network. The recipe and the model descriptor record which.
- D: BCE (or relativistic average BCE) on HR vs the detached SR batch.

Phase shift (``d_shift``): LR patches are cut from the HR crops, so G's sub-pixel
lattice (period = scale) always sits at the same phase relative to D's stride-2
grid. G can then feed D a fixed-phase pattern that D's strided convs alias into
"texture" features, and feature matching rewards it: the checkerboard. With
``d_shift = s``, D sees SR and HR cropped (identically) at a per-sample offset
in [0, s) with size patch - s, so no fixed-phase pattern pays; real texture has
no phase and is unaffected. The offsets come from (seed, step), so resuming
stays bit for bit.

D's learning rate follows G's schedule: ``gan.d_lr * lr_now / train.lr``.

fp16 (CUDA without bf16, training/device.py): both losses go through the trainer's one
GradScaler, as PyTorch's AMP notes do for several models and optimisers: each
``scaler.step`` skips its own optimiser when its gradients overflowed, and one
``scaler.update`` per iteration lowers the scale if either did. Unscaled, fp16
gradients of the small adversarial term underflow to zero and an overflow writes
inf into the weights.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from . import distributed
from .archs import build_model
from .losses import VGGLoss, d_loss, feature_match_loss, g_adv_loss, grid_loss, lowpass_loss, pixel_loss
from .recipe import Recipe, RecipeError

# Discriminators whose dense layer is sized from the training patch size.
PATCH_SIZED = {"srgan_discriminator"}


def build_discriminator(recipe: Recipe) -> nn.Module:
    g = recipe.gan
    options = dict(g.discriminator_options)
    if g.discriminator in PATCH_SIZED:
        options.setdefault("patch_size", recipe.data.patch_size - g.d_shift)
    try:
        return build_model(g.discriminator, **options)
    except TypeError as exc:
        raise RecipeError(f"gan.discriminator_options do not fit {g.discriminator!r}: {exc}") from None


class GanStage:
    def __init__(
        self,
        recipe: Recipe,
        generator: nn.Module,
        memory_format: torch.memory_format = torch.contiguous_format,
        dist_info: distributed.DistInfo | None = None,
        scaler: torch.amp.GradScaler | None = None,
    ):
        self.recipe = recipe
        self.dist = dist_info or distributed.DistInfo()
        self.generator = generator
        self.scale = int(recipe.model.options.get("scale", 4))
        g = recipe.gan
        self.d = build_discriminator(recipe).to(memory_format=memory_format).train()
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=g.d_lr, betas=tuple(g.d_betas))
        self.vgg = None
        if g.content_loss in ("vgg22", "vgg54") and g.content_weight:
            self.vgg = VGGLoss(g.content_loss, g.vgg_weights).to(memory_format=memory_format)
        self.match = g.content_loss == "feature_match" and g.content_weight > 0
        self.shift = g.d_shift
        self.memory_format = memory_format
        self.seed = recipe.experiment.seed
        self.scaler = scaler

    def _offsets(self, step: int, n: int) -> list[tuple[int, int]]:
        if not self.shift:
            return []
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + step)
        return [tuple(v) for v in torch.randint(0, self.shift, (n, 2), generator=gen).tolist()]

    def _crop(self, t: torch.Tensor, offsets: list[tuple[int, int]]) -> torch.Tensor:
        if not offsets:
            return t
        size = t.shape[-1] - self.shift
        crops = torch.stack([t[i, :, y : y + size, x : x + size] for i, (y, x) in enumerate(offsets)])
        return crops.contiguous(memory_format=self.memory_format)

    def modules(self) -> dict[str, nn.Module]:
        return {"d": self.d}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"d": self.opt_d}

    def to(self, device: torch.device) -> GanStage:
        """Move D (and the VGG loss) to the generator's device; the optimiser keeps the same parameters."""
        self.d.to(device)
        if self.vgg is not None:
            self.vgg.to(device)
        return self

    def _backward(self, loss: torch.Tensor) -> None:
        (loss if self.scaler is None else self.scaler.scale(loss)).backward()

    def _step(self, opt: torch.optim.Optimizer) -> None:
        if self.scaler is None:
            opt.step()
        else:
            self.scaler.step(opt)  # skipped when this optimiser's gradients hold inf or nan

    def step(
        self, lr_t: torch.Tensor, hr_t: torch.Tensor, opt_g: torch.optim.Optimizer, lr_now: float, step: int
    ) -> dict[str, float]:
        g, t = self.recipe.gan, self.recipe.train
        for group in self.opt_d.param_groups:
            group["lr"] = g.d_lr * lr_now / t.lr

        # D(HR) is computed once, with D's graph, and serves both updates: its
        # detached logits/features are the G step's targets, and its graph the D
        # step's real branch (D does not change in between). Saves one D forward.
        offsets = self._offsets(step, hr_t.shape[0])
        self.d.requires_grad_(True)
        real, real_feats = self.d(self._crop(hr_t, offsets), features=True)

        # --- generator -------------------------------------------------------
        self.d.requires_grad_(False)
        sr = self.generator(lr_t)
        fake_logit, fake_feats = self.d(self._crop(sr, offsets), features=True)
        real_logit = real.detach()
        losses: dict[str, float] = {}
        total = g.adv_weight * g_adv_loss(g.adversarial, real_logit, fake_logit)
        losses["adv"] = float(total.detach()) / g.adv_weight if g.adv_weight else 0.0
        if g.pixel_weight:
            pix = pixel_loss(t.pixel_loss, sr, hr_t)
            total = total + g.pixel_weight * pix
            losses["pixel"] = float(pix.detach())
        if g.lowpass_weight:
            low = lowpass_loss(sr, hr_t, self.scale)
            total = total + g.lowpass_weight * low
            losses["lowpass"] = float(low.detach())
        if g.grid_weight:
            grid = grid_loss(sr, hr_t, self.scale)
            total = total + g.grid_weight * grid
            losses["grid"] = float(grid.detach())
        if self.match:
            content = feature_match_loss(fake_feats, [f.detach() for f in real_feats])
        elif self.vgg is not None:
            content = self.vgg(sr, hr_t)
        else:
            content = None
        if content is not None:
            total = total + g.content_weight * content
            losses["content"] = float(content.detach())
        opt_g.zero_grad(set_to_none=True)
        self._backward(total)
        if t.grad_clip:
            if self.scaler is not None:
                self.scaler.unscale_(opt_g)  # clip the true gradients, not the scaled ones
            torch.nn.utils.clip_grad_norm_(self.generator.parameters(), t.grad_clip)
        self._step(opt_g)
        losses["g"] = float(total.detach())

        # --- discriminator ---------------------------------------------------
        self.d.requires_grad_(True)
        fake = self.d(self._crop(sr.detach(), offsets))
        loss_d = d_loss(g.adversarial, real, fake)
        self.opt_d.zero_grad(set_to_none=True)
        self._backward(loss_d)
        distributed.average_gradients(self.d, self.dist)
        self._step(self.opt_d)
        if self.scaler is not None:
            self.scaler.update()
        losses["d"] = float(loss_d.detach())
        # D's confidence (probability "real") on HR and SR: a quick health check of the game.
        losses["p_real"] = float(torch.sigmoid(real.detach()).mean())
        losses["p_fake"] = float(torch.sigmoid(fake.detach()).mean())
        return losses
