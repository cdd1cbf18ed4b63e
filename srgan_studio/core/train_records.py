"""The trainer's progress records: one JSON object per line, typed on both sides.

The trainer (``training/trainer.py``) builds these dataclasses and writes
``to_json(record)``; the app reads each line back with ``parse_record(obj)``,
a pure function. One definition of every field, so the two sides cannot drift.
Unknown events and malformed lines parse to ``None`` (an older or newer
trainer must not crash the app); missing optional fields take their defaults.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StartRecord:
    step: int  # the step training starts from (> 0 when resumed)
    steps: int  # planned steps of this stage
    images: int = 0
    device: str = "cpu"  # "cpu", "cuda:0", ...
    precision: str = "fp32"  # "fp32", "bf16", "fp16"
    threads: int = 0  # CPU threads (0 when not known)
    ranks: int = 1  # distributed processes


@dataclass(frozen=True)
class StepRecord:
    step: int
    steps: int
    lr: float
    losses: dict[str, float] = field(default_factory=dict)
    it_per_s: float = 0.0
    eta_s: float | None = None
    threads: int = 0  # CPU threads the step ran with (0 when not known)


@dataclass(frozen=True)
class ValRecord:
    step: int
    metrics: dict[str, dict[str, float]]  # validation set -> {"psnr_y", "ssim_y", ...}
    best: bool = False  # these weights are the best kept so far (train.keep_best)

    @property
    def psnr_y(self) -> float:
        """Mean Y-PSNR over the validation sets (nan without any)."""
        values = [m["psnr_y"] for m in self.metrics.values() if "psnr_y" in m]
        return sum(values) / len(values) if values else math.nan

    @property
    def ssim_y(self) -> float:
        values = [m["ssim_y"] for m in self.metrics.values() if "ssim_y" in m]
        return sum(values) / len(values) if values else math.nan


@dataclass(frozen=True)
class CheckpointRecord:
    step: int
    path: str


@dataclass(frozen=True)
class SkippedRecord:
    file: str
    reason: str


@dataclass(frozen=True)
class NoteRecord:
    message: str


@dataclass(frozen=True)
class ErrorRecord:
    error: str
    step: int = 0


@dataclass(frozen=True)
class EndRecord:
    status: str  # "done", "stopped", "time budget reached"
    step: int
    checkpoint: str = ""
    weights: str = ""
    seconds: float = 0.0
    steps_run: int = 0
    best_step: int = -1  # with train.keep_best: the step of the exported weights (0 = the initial ones)
    best_psnr: float | None = None
    base_psnr: float | None = None  # the initial weights' validation score, when keep_best scored them


TrainRecord = (
    StartRecord | StepRecord | ValRecord | CheckpointRecord | SkippedRecord | NoteRecord | ErrorRecord | EndRecord
)

EVENTS: dict[str, type] = {
    "start": StartRecord,
    "step": StepRecord,
    "val": ValRecord,
    "checkpoint": CheckpointRecord,
    "skipped": SkippedRecord,
    "note": NoteRecord,
    "error": ErrorRecord,
    "end": EndRecord,
}
_NAMES = {cls: name for name, cls in EVENTS.items()}


def to_dict(record: TrainRecord) -> dict[str, Any]:
    """The JSON object the trainer writes: ``{"event": name, **fields}``."""
    return {"event": _NAMES[type(record)], **dataclasses.asdict(record)}


def to_json(record: TrainRecord) -> str:
    return json.dumps(to_dict(record))


def parse_record(obj: Any) -> TrainRecord | None:
    """A typed record from one decoded JSON line, or None when it is not one."""
    if not isinstance(obj, dict):
        return None
    cls = EVENTS.get(obj.get("event"))  # type: ignore[arg-type]
    if cls is None:
        return None
    known = {f.name: f for f in dataclasses.fields(cls)}
    values = {k: v for k, v in obj.items() if k in known}
    try:
        record = cls(**values)
    except TypeError:  # a required field is missing
        return None
    return record if _types_ok(record) else None


def parse_line(line: str) -> TrainRecord | None:
    """A typed record from one line of the trainer's stdout (other lines give None)."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        return parse_record(json.loads(line))
    except json.JSONDecodeError:
        return None


def _types_ok(record: TrainRecord) -> bool:
    for f in dataclasses.fields(record):
        v = getattr(record, f.name)
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
        if kind == "int" and (isinstance(v, bool) or not isinstance(v, int)):
            return False
        if kind == "float" and (isinstance(v, bool) or not isinstance(v, (int, float))):
            return False
        if kind == "str" and not isinstance(v, str):
            return False
        if kind.startswith("dict") and not isinstance(v, dict):
            return False
    return True
