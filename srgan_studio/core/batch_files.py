"""Reading and writing one batch file, with any failure turned into a one-line reason for the report."""

from __future__ import annotations

import time
from pathlib import Path

from .batch_plan import BatchItem, BatchJob, BatchPlan, is_complete, is_within
from .errors import ImageWriteError, StudioError


def reason(exc: BaseException, path: Path | None = None) -> str:
    """One line for the report; the input's own path is dropped (the entry already names it)."""
    if isinstance(exc, StudioError):
        text = str(exc)
        if path is not None and exc.path == path:
            text = text.removeprefix(f"{path}: ")
        return text
    if isinstance(exc, MemoryError):
        return "out of memory"
    return f"unexpected error ({type(exc).__name__}: {exc})"


def read_input(item: BatchItem, job: BatchJob):
    from .imageio import DEFAULT_MAX_PIXELS, read_image

    start = time.monotonic()
    try:
        image = read_image(item.input, max_pixels=job.max_pixels or DEFAULT_MAX_PIXELS)
    except Exception as exc:  # noqa: BLE001 - a bad file fails alone
        return None, reason(exc, item.input), time.monotonic() - start
    return image, None, time.monotonic() - start


def judge_kind(item: BatchItem, image) -> str | None:
    """The kind of an input whose twin waits for its pixels (``BatchItem.undecided``), judged on the pixels
    just decoded for the model; None when the plan has decided. An unreadable input counts as clean."""
    if not item.undecided:
        return None
    from .input_kind import CLEAN, classify_file

    return CLEAN if image is None else classify_file(item.input, color=image.color).kind


def write_output(
    image, model: str, item: BatchItem, plan: BatchPlan, job: BatchJob, dpi_scale: float
) -> tuple[str | None, float]:
    from .imageio import write_image

    target = item.outputs[model]
    start = time.monotonic()
    try:
        # A symlinked subfolder must not lead the output out of OUTPUT_DIR (into the inputs, say).
        if not is_within(target.parent.resolve(), plan.output_dir.resolve()):
            raise ImageWriteError("output folder leads outside the output folder through a link", target.parent)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Re-checked now: a complete file that appeared since planning is not ours to replace.
        write_image(
            image,
            target,
            format=item.format,
            quality=job.quality,
            keep_metadata=job.keep_metadata,
            dpi_scale=dpi_scale,
            overwrite=job.overwrite or not is_complete(target),
        )
    except Exception as exc:  # noqa: BLE001 - a failed write fails its file only
        return reason(exc), time.monotonic() - start
    return None, time.monotonic() - start
