"""Batch folder restoration: every image in a folder through one or more models.

Usage (the CLI and the GUI batch window share it)::

    from srgan_studio.core.batch import BatchJob, run_batch, FileFinished
    gen = run_batch(BatchJob(input_dir, output_dir, models=["srresnet_x4"]), cancel=token)
    summary = drive(gen, on_event)   # core.progress: each BatchStarted, FileStarted, TileProgress,
                                     # FileFinished goes to on_event; the return value is a BatchSummary

``run_batch`` raises a ``StudioError`` at its first ``next()`` when the job
cannot start (missing input folder, no images found, unknown model, missing or
read-only output folder, bad report path); no file has been touched then.
Once it has yielded ``BatchStarted``, errors stay with their file.

BatchJob fields
    input_dir, output_dir   folders. OUTPUT_DIR may equal INPUT_DIR; nothing is
                            ever written into INPUT_DIR otherwise.
    models                  registry names; each writes ``<stem>_<model><ext>``
                            side by side (``photo_srresnet_x4.png``).
    recursive               walk subfolders, mirroring the tree under OUTPUT_DIR.
    format                  "png" | "jpeg" | "webp" | "tiff", or None: keep the
                            input's format when it can be written, else PNG.
    quality                 JPEG / WebP quality, 1-100.
    overwrite               False (default): an output that already exists is
                            complete (writes are atomic) and is skipped, so
                            re-running resumes. True: replace it. Inputs are
                            never overwritten either way.
    report                  JSON report path, or None. Written atomically, also
                            after a stop. It may not be inside INPUT_DIR unless
                            also inside OUTPUT_DIR.
    workers                 encoder threads of the pipeline (default 2). 0 runs
                            read, model and write strictly one after another.
    device, tile, threads, alpha_mode   passed to ``Upscaler``.
    keep_metadata           copy ICC / EXIF / XMP / DPI (scaled) to outputs.
    max_pixels              decompression-bomb limit for each input (None: default).
    ensemble                model passes per tile, 1, 4 or 8 (core/ensemble.py), as
                            ``upscale --ensemble``. The report records each output's
                            count; a resumed run says in one line when the outputs it
                            keeps were made with another (``batch_passes``).

Output folder: created when missing if its parent exists (one level, like
``mkdir``); a missing parent, a file in its place or a read-only folder fail
before any work. ``.srgan-partial-*`` temp files left there by a killed run are
removed at start.

Events, results and the report are described in ``batch_events``; reading and writing one
file in ``batch_files``; the run itself (reader, model and writer threads, and what bounds
their memory) in ``batch_runner``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from .atomic import clean_partials
from .batch_events import (
    BatchEvent,
    BatchStarted,
    BatchSummary,
    FileFinished,
    FileResult,
    FileStarted,
    TileProgress,
    report_data,
    write_report,
)
from .batch_passes import earlier_passes
from .batch_plan import BatchItem, BatchJob, BatchPlan, plan_batch
from .batch_runner import READ_AHEAD, BatchRunner
from .cancel import NEVER, CancelToken
from .discover import Note
from .errors import ImageWriteError

__all__ = [
    "BatchJob",
    "BatchPlan",
    "BatchItem",
    "plan_batch",
    "run_batch",
    "BatchEvent",
    "BatchStarted",
    "FileStarted",
    "TileProgress",
    "FileFinished",
    "FileResult",
    "BatchSummary",
    "Note",
    "report_data",
    "READ_AHEAD",
]

SHARD_PARTIALS_AGE = 3600.0  # seconds: a temp file this old belongs to no running shard


def run_batch(job: BatchJob, cancel: CancelToken = NEVER) -> Generator[BatchEvent, None, BatchSummary]:
    """Run ``job``, yielding events; return the summary. See the module docstring."""
    plan = plan_batch(job)
    if plan.create_output_dir:
        try:
            plan.output_dir.mkdir()
        except FileExistsError:
            pass
        except OSError as exc:
            raise ImageWriteError(f"cannot create the output folder ({exc.strerror or exc})", plan.output_dir) from None
    notes = list(plan.notes)
    # Other shards may be writing into the same folder right now: only their old leftovers are ours to clean.
    min_age = SHARD_PARTIALS_AGE if plan.shard is not None else 0.0
    for p in clean_partials(plan.output_dir, recursive=job.recursive, min_age=min_age):
        notes.append(Note(p, "temp file of an interrupted run, removed"))
    upscalers = _make_upscalers(plan)
    # Read before this run replaces the report: which pass count made the outputs it keeps.
    earlier = {} if job.overwrite else earlier_passes(plan.job.report)
    runner = BatchRunner(plan, upscalers, cancel, tuple(notes), earlier)
    try:
        yield from runner.run()
    finally:
        summary = runner.summary()
        if plan.job.report is not None:  # a shard always has its own
            summary = write_report(summary, plan)
    return summary


def _make_upscalers(plan: BatchPlan) -> dict[str, Any]:
    from .sizing import SizedUpscaler
    from .upscale import Upscaler

    job = plan.job
    needed = {m for item in plan.items for m in item.todo}
    upscalers = {}
    for name, desc in plan.descriptors.items():
        if name in needed:
            up = Upscaler(
                desc,
                device=job.device,
                threads=job.threads,
                tile=job.tile,
                alpha_mode=job.alpha_mode,
                precision=job.precision,
                engine=job.engine,
                ensemble=job.ensemble,
            )
            up.session  # noqa: B018 - load now: a missing or corrupt model fails before any work
            upscalers[name] = up if job.size.is_native else SizedUpscaler(up, job.size, job.max_pixels)
    return upscalers
