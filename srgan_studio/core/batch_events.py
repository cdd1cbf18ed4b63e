"""What a batch run tells its caller: events, per-file results, the summary and the JSON report.

Events (all frozen dataclasses; every one carries ``files_done``,
``files_total`` and ``eta_seconds`` for the overall progress bar)
    BatchStarted(inputs, models, output_dir, notes, passes, passes_note)  once, first.
    FileStarted(index, path, model)                    a model starts on input ``index``.
    TileProgress(index, path, model, done, total, stage, message)  after each tile.
    FileFinished(index, result: FileResult)            an input is finished (all its
        outputs written, skipped or failed). Inputs whose outputs all existed are
        reported right after BatchStarted with status "skipped".

FileResult.status: "done", "skipped" (every output existed), "failed" (the
error says why; the batch goes on), "cancelled" (it was being processed when
the stop came: its outputs already written stay, the one in progress leaves no
file), "pending" (never started because of the stop; only in the summary).

Stopping: cancel the token (the CLI does on Ctrl-C). The model stops at its
next tile; outputs already computed are still written (each write is atomic),
the reader stops, and the generator returns the summary. Closing the
generator (``gen.close()``) stops the same way and joins the threads.

Inputs are found by ``discover.find_images`` (image extension or signature;
hidden files, non-images, broken links and symlink loops get a ``Note``).
Output names and the folder checks are in ``batch_plan``.

Report (``BatchSummary`` as JSON, ``schema_version`` 1): tool, seconds,
input_dir, output_dir, cancelled, totals {inputs, done, skipped, failed,
cancelled, pending}, settings (the BatchJob), notes [{path, message}], files
[{input, status, outputs, seconds, error, passes}], one entry per input in order; passes
lists each output's model passes per tile (null: unknown; see ``batch_passes``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .atomic import atomic_write_bytes
from .batch_plan import BatchPlan
from .discover import Note

REPORT_SCHEMA_VERSION = 1


@dataclass(frozen=True, kw_only=True)
class BatchEvent:
    files_done: int
    files_total: int
    eta_seconds: float | None


@dataclass(frozen=True, kw_only=True)
class BatchStarted(BatchEvent):
    inputs: tuple[Path, ...]
    models: tuple[str, ...]
    output_dir: Path
    notes: tuple[Note, ...]
    passes: int = 1  # model passes per tile (core/ensemble.py)
    passes_note: str | None = None  # kept outputs made with another count (batch_passes.mixed_note)


@dataclass(frozen=True, kw_only=True)
class FileStarted(BatchEvent):
    index: int
    path: Path
    model: str


@dataclass(frozen=True, kw_only=True)
class TileProgress(BatchEvent):
    index: int
    path: Path
    model: str
    done: int
    total: int
    stage: str = ""
    message: str = ""


@dataclass(frozen=True)
class FileResult:
    input: Path
    status: str  # done | skipped | failed | cancelled | pending
    outputs: tuple[Path, ...] = ()  # complete outputs of this input (written or already there)
    seconds: float = 0.0  # time spent on this input: decode + models + encode
    error: str | None = None
    passes: tuple[int | None, ...] = ()  # model passes per tile of each output (None: unknown), as outputs

    def to_json(self) -> dict[str, Any]:
        return {
            "input": str(self.input),
            "status": self.status,
            "outputs": [str(p) for p in self.outputs],
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "passes": list(self.passes),
        }


@dataclass(frozen=True, kw_only=True)
class FileFinished(BatchEvent):
    index: int
    result: FileResult

    @property
    def path(self) -> Path:
        return self.result.input


@dataclass(frozen=True)
class BatchSummary:
    results: tuple[FileResult, ...]
    notes: tuple[Note, ...]
    cancelled: bool
    seconds: float
    report: Path | None = None
    report_error: str | None = None
    passes_note: str | None = None  # as BatchStarted's

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def done(self) -> int:
        return self.count("done")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def not_finished(self) -> int:
        return self.count("cancelled") + self.count("pending")

    @property
    def exit_code(self) -> int:
        """130 after a stop, 1 when any file failed (or the report could not be written), else 0."""
        if self.cancelled:
            return 130
        return 1 if self.failed or self.report_error else 0

    def totals(self) -> dict[str, int]:
        return {
            "inputs": len(self.results),
            "done": self.done,
            "skipped": self.skipped,
            "failed": self.failed,
            "cancelled": self.count("cancelled"),
            "pending": self.count("pending"),
        }

    def line(self) -> str:
        text = f"{self.done} done, {self.skipped} skipped, {self.failed} failed"
        if self.not_finished:
            text += f", {self.not_finished} not finished (stopped)"
        return text + f" in {self.seconds:.1f} s"


def report_data(summary: BatchSummary, plan: BatchPlan) -> dict[str, Any]:
    from .. import __version__

    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": f"srgan-studio {__version__}",
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(summary.seconds, 3),
        "input_dir": str(plan.input_dir),
        "output_dir": str(plan.output_dir),
        "cancelled": summary.cancelled,
        "totals": summary.totals(),
        "settings": plan.job.settings(),
        "shard": plan.shard,
        "notes": [{"path": str(n.path), "message": n.message} for n in summary.notes],
        "files": [r.to_json() for r in summary.results],
    }


def write_report(summary: BatchSummary, plan: BatchPlan) -> BatchSummary:
    report = Path(plan.job.report).expanduser().absolute()
    data = json.dumps(report_data(summary, plan), indent=2, ensure_ascii=False) + "\n"
    try:
        atomic_write_bytes(report, data.encode("utf-8"))
    except OSError as exc:
        return replace(
            summary, report=report, report_error=f"{report}: cannot write the report ({exc.strerror or exc})"
        )
    return replace(summary, report=report)
