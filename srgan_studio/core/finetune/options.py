"""What the user asks for: the fine-tuning options, checked in one place."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from ..errors import SettingsError

GOALS = ("faithful", "realistic")
MIN_HELDOUT = 2
MIN_TRAIN = 1
_NAME_OK = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def name_problem(name: str) -> str:
    """Why ``name`` cannot name a model ('' when it can)."""
    if _NAME_OK.match(name):
        return ""
    return f"model name {name!r} must be lowercase letters, digits, '_', '-' or '.' (at most 64)"


def stage_names(goal: str) -> list[str]:
    return ["psnr", "gan"] if goal == "realistic" else ["psnr"]


@dataclass
class FinetuneOptions:
    photos: str
    base: str
    name: str
    goal: str = "faithful"
    preset: str = "clean"
    steps: int = 0  # total steps over all stages; 0: derive from minutes
    minutes: float = 0.0  # total training-time budget, pauses not counted; 0: steps only
    lr: float = 0.0  # 0: chosen for the time available (budget.choose_schedule)
    batch_size: int = 0  # 0: chosen for the time available
    patch_size: int = 96
    ema: float = 0.999
    gan_share: float = 0.5  # realistic: the GAN stage's share of the budget
    preview_seconds: float = 60.0  # a checkpoint and a preview this often
    val_every: int = 0  # held-out-crop validation every N steps; 0: about 20 times per stage
    threads: int = 0  # 0: all cores
    seed: int = 0
    heldout: int = 0  # number of held-out photos; 0: about 10%, at least 2
    previews: bool = True  # render before/after previews (each needs a short-lived torch process)
    device: str = "auto"  # the trainer's train.device: auto, cpu, cuda or cuda:N
    detail_sampling: bool = True  # draw patches towards detailed regions (flat sky teaches nothing)

    def check(self) -> None:
        from .presets import preset_names

        def need(cond: bool, msg: str) -> None:
            if not cond:
                raise SettingsError(msg)

        need(not name_problem(self.name), name_problem(self.name))
        need(self.goal in GOALS, f"goal must be one of {GOALS}, not {self.goal!r}")
        need(self.preset in preset_names(), f"preset must be one of {preset_names()}, not {self.preset!r}")
        need(self.steps > 0 or self.minutes > 0, "give a budget: steps or minutes")
        need(self.steps >= 0 and self.minutes >= 0, "the budget cannot be negative")
        need(self.lr == 0 or 0 < self.lr < 1, f"learning rate must be in (0, 1), not {self.lr}")
        need(self.batch_size == 0 or 1 <= self.batch_size <= 256, f"batch size must be 1..256, not {self.batch_size}")
        need(16 <= self.patch_size <= 512, f"patch size must be 16..512, not {self.patch_size}")
        need(0 <= self.ema < 1, f"EMA must be in [0, 1), not {self.ema}")
        need(0 < self.gan_share < 1, f"GAN share must be in (0, 1), not {self.gan_share}")
        need(self.preview_seconds > 0, "preview interval must be positive")
        need(self.heldout == 0 or self.heldout >= MIN_HELDOUT, f"hold out at least {MIN_HELDOUT} photos")
        need(
            self.device == "auto" or self.device == "cpu" or re.fullmatch(r"cuda(:\d+)?", self.device) is not None,
            f"device must be auto, cpu, cuda or cuda:N, not {self.device!r}",
        )

    @property
    def timed(self) -> bool:
        """The clock, not a step count, ends the run."""
        return bool(self.minutes and not self.steps)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FinetuneOptions:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
