"""The learning-rate schedule and the EMA of the generator's weights: what changes with the step."""

from __future__ import annotations

import copy
import math

import torch
import torch.nn as nn

from .recipe import Recipe


def lr_at(recipe: Recipe, step: int) -> float:
    t = recipe.train
    if t.warmup_steps and step < t.warmup_steps:
        return t.lr * (step + 1) / t.warmup_steps
    if t.schedule == "cosine":
        span = max(1, t.steps - t.warmup_steps)
        frac = min(1.0, (step - t.warmup_steps) / span)
        return t.min_lr + 0.5 * (t.lr - t.min_lr) * (1 + math.cos(math.pi * frac))
    if t.schedule == "step":
        return t.lr * 0.1 ** sum(step >= m for m in t.milestones)
    return t.lr


class EMA:
    def __init__(self, model: nn.Module, decay: float):
        self.decay = decay
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        for e, p in zip(self.model.parameters(), model.parameters(), strict=True):
            e.lerp_(p, 1.0 - self.decay)
        for e, b in zip(self.model.buffers(), model.buffers(), strict=True):
            e.copy_(b)
