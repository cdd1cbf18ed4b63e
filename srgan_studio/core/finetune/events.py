"""What fine-tuning yields to the wizard and the CLI while it runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StageStarted:
    stage: str
    index: int  # 0-based
    count: int
    steps: int  # planned steps of this stage (a minutes budget plans more than it expects)
    resumed_from: int  # 0 for a fresh start
    device: str = "cpu"
    precision: str = "fp32"
    threads: int = 0


@dataclass(frozen=True)
class StepProgress:
    stage: str
    step: int  # within the stage
    steps: int  # planned steps of the stage
    losses: dict[str, float]
    lr: float
    it_per_s: float
    eta_s: float | None  # for the whole run, all stages
    fraction: float  # of the whole run
    run_step: int = 0  # over all stages
    expected_steps: int = 0  # over all stages: exact for a steps budget, an estimate for minutes
    budget_minutes: float = 0.0  # the user's minutes budget (0 for a steps budget)


@dataclass(frozen=True)
class Validation:
    stage: str
    step: int
    psnr_y: float
    ssim_y: float
    best: bool = False  # the weights kept so far (the best on the held-out crops)


@dataclass(frozen=True)
class CheckpointSaved:
    stage: str
    step: int
    path: str


@dataclass(frozen=True)
class PreviewReady:
    stage: str
    step: int
    lr: Path  # the degraded LR crop, as the model sees it
    bicubic: Path
    base: Path  # the base model's output on it ("before")
    current: Path  # the fine-tuned model's output now ("after")
    hr: Path  # the original crop: the same region as the three outputs


@dataclass(frozen=True)
class Notice:
    message: str
    problem: bool = False  # a failure the user should see (with the log path in the message)


@dataclass(frozen=True)
class StageFinished:
    stage: str
    step: int
    status: str  # the trainer's: "done", "stopped", "time budget reached"
    seconds: float
    best_step: int = -1  # the step of the weights kept (0: the base scored best); -1 without validation


@dataclass(frozen=True)
class TrainOutcome:
    status: str  # "trained"
    weights: Path  # final generator weights (the best kept, EMA when on)
    steps: int


@dataclass(frozen=True)
class Estimate:
    seconds_per_step: dict[str, float]  # per stage, at the batch the run will use
    steps_for_budget: dict[str, int]  # per stage, expected in the minutes budget (empty for a steps budget)
    batch_size: int = 0
    lr: float = 0.0

    def total_seconds(self, steps: dict[str, int]) -> float:
        return sum(self.seconds_per_step.get(s, 0.0) * n for s, n in steps.items())
