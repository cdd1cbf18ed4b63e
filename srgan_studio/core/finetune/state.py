"""A run's state, typed: what ``finetune.json`` in the run folder holds.

The status is an enum and every change goes through ``RunState.move_to``, which
knows the allowed transitions, so no code path can, say, register a run that
never finished training. Version 1 files (written before this module) load too.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import SettingsError
from .options import FinetuneOptions

STATE_FILE = "finetune.json"
STATE_VERSION = 2
READABLE_VERSIONS = (1, 2)


class RunStatus(str, enum.Enum):
    CREATED = "created"  # folder, links and recipes written
    ESTIMATED = "estimated"  # the dry run measured the step time
    TRAINING = "training"  # a trainer process runs (or ran, until the app died)
    PAUSED = "paused"
    CANCELLED = "cancelled"  # stopped by the user; the last checkpoint is kept
    FAILED = "failed"  # the trainer died; the last checkpoint is kept
    TRAINED = "trained"
    EVALUATED = "evaluated"  # scored on the held-out photos
    REGISTERED = "registered"  # added to the user's models


_S = RunStatus
_RESUMABLE = {_S.TRAINING, _S.CANCELLED, _S.FAILED}
ALLOWED: dict[RunStatus, frozenset[RunStatus]] = {
    _S.CREATED: frozenset({_S.ESTIMATED, _S.TRAINING, _S.CANCELLED, _S.FAILED}),
    _S.ESTIMATED: frozenset({_S.TRAINING, _S.CANCELLED, _S.FAILED}),
    # TRAINING -> TRAINING: a trainer restarted after a restart-style pause or an app crash.
    _S.TRAINING: frozenset({_S.TRAINING, _S.PAUSED, _S.CANCELLED, _S.FAILED, _S.TRAINED}),
    _S.PAUSED: frozenset({_S.TRAINING, _S.CANCELLED, _S.FAILED}),
    _S.CANCELLED: frozenset({_S.TRAINING, _S.ESTIMATED}),
    _S.FAILED: frozenset({_S.TRAINING, _S.ESTIMATED}),
    _S.TRAINED: frozenset({_S.EVALUATED, _S.REGISTERED}),
    _S.EVALUATED: frozenset({_S.EVALUATED, _S.REGISTERED}),
    _S.REGISTERED: frozenset({_S.EVALUATED}),
}


class StatusError(RuntimeError):
    """A status change the run's life does not allow: a bug, not a user error."""


@dataclass
class StageState:
    name: str  # "psnr" or "gan"
    steps: int = 0  # planned (0 until the budget is known)
    step: int = 0  # last checkpointed step
    seconds: float = 0.0  # training time used, pauses excluded
    done: bool = False
    best_step: int = -1  # the step of the kept (best) weights; 0: the base won; -1: not known
    best_psnr: float | None = None
    base_psnr: float | None = None


@dataclass(frozen=True)
class BaseInfo:
    name: str
    title: str
    weights: str
    onnx: str
    arch: dict[str, Any]
    scale: int


@dataclass
class BaseChoice:
    """How ``auto`` chose the base (base_choice.py); runs given a base by name have none."""

    scores: dict[str, float] = field(default_factory=dict)  # candidate -> mean Y-PSNR on the held-out photos
    photos: int = 0  # held-out photos scored
    reason: str = ""  # why the fixed rule chose instead ('' when the scores did)


@dataclass
class PhotoScore:
    """The base on one held-out pair (base_scores.py)."""

    photo: str  # the held-out file's name
    pair: str  # sha256 of the pair's pixels (HR, LR)
    psnr_y: float
    ssim_y: float
    sr: str  # sha256 of the base's output pixels, kept as a PNG in the run folder


@dataclass
class BaseScores:
    """The base's scores on the held-out pairs, reused by the final figure (base_scores.py).

    The trainer's step-0 validation still scores the base itself: it runs in the trainer's process, in
    PyTorch, which keep_best then compares every step with; one validation is about 0.45 s (restore_x4,
    4 photos, 256 px) of a budget of minutes, not worth handing the trainer scores from another engine."""

    model: str  # sha256 of the base's ONNX file
    metric: str
    photos: list[PhotoScore] = field(default_factory=list)


@dataclass
class PhotoSplit:
    train: list[str]
    heldout: list[str]
    skipped: list[list[str]] = field(default_factory=list)  # [path, reason]


@dataclass
class Plan:
    """Hyperparameters decided when training starts (budget.choose_plan), kept for resumes."""

    batch_size: int
    lr: float
    patch_size: int


@dataclass
class RunState:
    status: RunStatus
    options: FinetuneOptions
    base: BaseInfo
    photos: PhotoSplit
    stages: list[StageState]
    patch_size: int = 96  # the run's HR patch: the one asked for, shrunk for small photos
    seconds_per_sample: dict[str, float] = field(default_factory=dict)  # per stage, from the dry run
    plan: Plan | None = None
    created: float = 0.0
    updated: float = 0.0
    error: str = ""
    metrics: dict[str, Any] | None = None  # held-out scores after evaluation
    model: str = ""  # the registered model's name
    base_choice: BaseChoice | None = None  # absent from runs made before auto measured
    base_scores: BaseScores | None = None  # absent until the base was scored on the held-out pairs
    version: int = STATE_VERSION

    def can_move_to(self, status: RunStatus) -> bool:
        return status is self.status or status in ALLOWED[self.status]

    def move_to(self, status: RunStatus) -> None:
        if not self.can_move_to(status):
            raise StatusError(f"a fine-tuning run cannot go from {self.status.value} to {status.value}")
        self.status = status

    @property
    def resumable(self) -> bool:
        unfinished = not all(s.done for s in self.stages)
        return unfinished and self.status in {_S.CREATED, _S.ESTIMATED, _S.PAUSED, *_RESUMABLE}

    def stage(self, name: str) -> StageState:
        return next(s for s in self.stages if s.name == name)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data

    @classmethod
    def from_json(cls, data: Any, where: Any = None) -> RunState:
        """Parse a state file's JSON; an unknown or damaged format is a one-line SettingsError."""
        if not isinstance(data, dict) or data.get("version") not in READABLE_VERSIONS:
            raise SettingsError("fine-tuning state has an unknown format", where)
        try:
            return _parse(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise SettingsError(f"fine-tuning state is damaged ({type(exc).__name__}: {exc})", where) from None


def _parse(data: dict[str, Any]) -> RunState:
    options = FinetuneOptions.from_dict(data["options"])
    if data["version"] == 1:  # v1 kept seconds per step at the user's batch size
        batch = options.batch_size or 8
        per_sample = {k: float(v) / batch for k, v in (data.get("seconds_per_step") or {}).items()}
    else:
        per_sample = {k: float(v) for k, v in (data.get("seconds_per_sample") or {}).items()}
    plan, choice, scores = data.get("plan"), data.get("base_choice"), data.get("base_scores")
    return RunState(
        status=RunStatus(data["status"]),
        options=options,
        base=BaseInfo(**data["base"]),
        photos=PhotoSplit(**data["photos"]),
        stages=[StageState(**s) for s in data["stages"]],
        patch_size=int(data.get("patch_size") or options.patch_size),
        seconds_per_sample=per_sample,
        plan=Plan(**plan) if plan else None,
        created=float(data.get("created", 0.0)),
        updated=float(data.get("updated", 0.0)),
        error=str(data.get("error", "")),
        metrics=data.get("metrics"),
        model=str(data.get("model", "")),
        base_choice=BaseChoice(**choice) if choice else None,
        base_scores=_base_scores(scores),
    )


def _base_scores(data: Any) -> BaseScores | None:
    """A cache: one that cannot be read is none (scored again), never a damaged run."""
    try:
        return BaseScores(str(data["model"]), str(data["metric"]), [PhotoScore(**p) for p in data["photos"]])
    except (KeyError, TypeError, ValueError):
        return None
