"""What a batch run keeps per input (status, outputs, errors, time) and its ETA."""

from __future__ import annotations

import time

from .batch_events import FileResult
from .batch_plan import BatchItem
from .progress import remaining_seconds


class FileState:
    """Bookkeeping for one input; touched only by the thread that runs the generator."""

    __slots__ = ("item", "status", "pending", "outputs", "errors", "seconds", "dispatched", "reported")

    def __init__(self, item: BatchItem):
        self.item = item
        self.status = "pending"  # pending -> running -> (result) ; or cancelled
        self.pending = set(item.todo)  # outputs not yet written or failed
        self.outputs = [p for m, p in item.outputs.items() if m not in item.todo and not _refused(item, m)]
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
        return FileResult(self.item.input, status, tuple(self.outputs), self.seconds, "; ".join(self.errors) or None)


def _refused(item: BatchItem, model: str) -> bool:
    return any(e.startswith(f"{model}: ") for e in item.errors)


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
