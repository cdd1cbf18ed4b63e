"""What a batch run keeps per input (status, outputs, errors, time) and its ETA."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from .batch_events import FileResult
from .batch_passes import kept_outputs
from .batch_plan import BatchItem
from .progress import remaining_seconds


class FileState:
    """Bookkeeping for one input; touched only by the thread that runs the generator."""

    __slots__ = (
        "item",
        "status",
        "pending",
        "outputs",
        "passes",
        "errors",
        "seconds",
        "dispatched",
        "reported",
    )

    def __init__(self, item: BatchItem, earlier: Mapping[str, int] | None = None):
        self.item = item
        self.status = "pending"  # pending -> running -> (result) ; or cancelled
        self.pending = set(item.todo)  # outputs not yet written or failed
        self.outputs = list(kept_outputs(item).values())
        # Each output's model passes, None when unknown: kept ones as the earlier report says (batch_passes).
        self.passes = [(earlier or {}).get(str(p)) for p in self.outputs]
        self.errors = list(item.errors)
        self.seconds = 0.0
        self.dispatched = False  # every model has run, failed or been stopped
        self.reported = False

    def result(self) -> FileResult:
        status = self.status
        if status == "running":
            status = "failed" if self.errors else "done"
        elif status == "pending" and self.dispatched:
            status = "failed" if self.errors else "skipped"
        error = "; ".join(self.errors) or None
        return FileResult(self.item.input, status, tuple(self.outputs), self.seconds, error, tuple(self.passes))

    def add_output(self, path: Path, passes: int) -> None:
        """An output this run has written, with the model passes it was made with."""
        self.outputs.append(path)
        self.passes.append(passes)


class Eta:
    """ETA from the work done so far; skipped outputs cost nothing and are not counted."""

    def __init__(self, units: int):
        self.units = units
        self.done = 0.0
        self.start: float | None = None

    def seconds(self, partial: float = 0.0) -> float | None:
        if self.start is None:
            return None
        return remaining_seconds(time.monotonic() - self.start, self.done + partial, self.units)
