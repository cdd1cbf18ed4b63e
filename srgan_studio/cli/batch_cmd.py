"""``srgan-studio batch INPUT_DIR OUTPUT_DIR``: restore every image in a folder."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ..core import formats
from ..core.batch import BatchJob, BatchStarted, FileFinished, FileStarted, TileProgress, run_batch
from ..core.batch_plan import AUTO
from ..core.cancel import CancelToken
from ..core.ensemble import HELP as ENSEMBLE_HELP
from ..core.ensemble import check_passes
from ..core.progress import drive, format_eta
from ..core.runtime.precision import PRECISIONS
from .checks import check_limits
from .help import examples
from .size_args import add_size_arguments, size_from_args

MAX_NOTES_SHOWN = 20
AUTO_TEXT = "auto (restore_x4 for photos, srresnet_x4 for clean sources)"


def register(sub) -> None:
    p = sub.add_parser(
        "batch",
        help="restore every image in a folder",
        description=(
            "Restore every image in INPUT_DIR into OUTPUT_DIR as <name>_<model>.<ext>. "
            "Existing complete outputs are skipped, so running the same command again resumes. "
            "Inputs are never overwritten. Exit code: 0 all good, 1 some file failed, 130 stopped."
        ),
        **examples(
            ("srgan-studio batch photos/ restored/", "each file with the model for its kind"),
            (
                "srgan-studio batch photos/ restored/ -m srresnet_x4,srgan_x4 -r",
                "two models side by side, subfolders too",
            ),
            ("srgan-studio batch photos/ restored/ --report restored/report.json", "a JSON report of every file"),
            ("srgan-studio batch scans/ restored/ --shard 2/8 -q", "the 2nd of 8 machines sharing the work"),
        ),
    )
    p.add_argument("input_dir", type=Path, metavar="INPUT_DIR")
    p.add_argument(
        "output_dir",
        type=Path,
        metavar="OUTPUT_DIR",
        help="created if missing when its parent exists; may be INPUT_DIR itself",
    )
    p.add_argument(
        "-m",
        "--model",
        action="append",
        metavar="NAME[,NAME...]",
        help="model(s) to run; several write side by side (default: auto = restore_x4 for photos, "
        "JPEG or noisy, srresnet_x4 for clean sources, per file)",
    )
    p.add_argument("-r", "--recursive", action="store_true", help="walk subfolders, mirroring the tree")
    p.add_argument(
        "--format",
        choices=formats.CHOICES,
        type=str.lower,
        help="output format (default: the input's when writable, else png)",
    )
    p.add_argument("--quality", type=int, metavar="Q", help="JPEG/WebP quality 1-100 (default: settings, 95)")
    policy = p.add_mutually_exclusive_group()
    policy.add_argument("--overwrite", action="store_true", help="replace outputs that already exist")
    policy.add_argument("--skip-existing", action="store_true", help="skip outputs that already exist (default)")
    p.add_argument("--report", type=Path, metavar="FILE", help="write a JSON report")
    p.add_argument(
        "--workers",
        type=int,
        default=2,
        metavar="N",
        help="encoder threads overlapping with the model (default 2; 0: one step after another)",
    )
    p.add_argument(
        "--device", help="auto, cpu, cuda[:N] or gpu[:N] (OpenVINO, Intel graphics) (default: settings, auto)"
    )
    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        help="inference precision (default: settings, auto = bf16/fp16 where the hardware and model allow; int8 through OpenVINO)",
    )
    p.add_argument("--tile", type=int, metavar="N", help="tile size in input pixels (default: automatic)")
    p.add_argument("--threads", type=int, metavar="N", help="CPU inference threads (default: automatic)")
    p.add_argument(
        "--alpha",
        choices=("model", "bicubic"),
        help="upscale transparency through the model or bicubic (default: settings, model)",
    )
    p.add_argument("--ensemble", type=int, metavar="N", help=ENSEMBLE_HELP + " (default: settings)")
    p.add_argument("--no-metadata", action="store_true", help="drop EXIF, XMP and DPI (the ICC profile is kept)")
    p.add_argument(
        "--max-megapixels",
        type=float,
        metavar="X",
        help="refuse inputs larger than this (decompression-bomb limit; default: settings, 180)",
    )
    p.add_argument(
        "--shard",
        metavar="K/N",
        help="process slice K of N of the sorted inputs (round robin), e.g. one SLURM array task "
        "each; writes its own report (report.shard-K-of-N.json)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only failures and the summary")
    add_size_arguments(p)
    p.set_defaults(func=run)


def _models(values: list[str] | None) -> list[str]:
    if not values:
        return [_default_model()]
    names = [n.strip() for v in values for n in v.split(",")]
    return [n for n in names if n]


def _default_model() -> str:
    """The settings' default model when it is installed, else ``auto`` (per input kind)."""
    from ..core.batch_plan import AUTO
    from ..core.registry import default_registry
    from ..core.settings import load_settings

    preferred = load_settings().default_model
    return (default_registry().find(preferred) if preferred else None) or AUTO


def job_from_args(args: argparse.Namespace) -> BatchJob:
    """The job for these flags; flags left out take the app's saved settings."""
    from ..core.batch_plan import Shard
    from ..core.settings import load_settings

    st = load_settings()

    def pick(value, default):
        return default if value is None else value

    check_limits(pick(args.threads, st.threads), pick(args.max_megapixels, st.max_megapixels))
    ensemble = check_passes(args.ensemble, "--ensemble") if args.ensemble is not None else st.ensemble
    return BatchJob(
        input_dir=args.input_dir,
        output_dir=args.output_dir,
        models=_models(args.model),
        recursive=args.recursive,
        format=args.format,
        quality=pick(args.quality, st.jpeg_quality),
        overwrite=args.overwrite,
        report=args.report,
        workers=args.workers,
        device=pick(args.device, st.device),
        precision=pick(args.precision, st.precision),
        engine=st.engine,
        tile=pick(args.tile, st.tile),
        threads=pick(args.threads, st.threads),
        keep_metadata=False if args.no_metadata else st.keep_metadata,
        alpha_mode=pick(args.alpha, st.alpha_mode),
        max_pixels=int(pick(args.max_megapixels, st.max_megapixels) * 1e6),
        size=size_from_args(args),
        shard=Shard.parse(args.shard) if args.shard else None,
        ensemble=ensemble,
    )


@contextmanager
def _ctrl_c_cancels(token: CancelToken, err):
    """First Ctrl-C stops at the next tile; a second one quits at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if token.cancelled:
            raise KeyboardInterrupt
        token.cancel()
        print("\nstopping at the next tile (Ctrl-C again to quit at once)", file=err, flush=True)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Printer:
    """One rewritten status line on a terminal; one line per finished file otherwise."""

    def __init__(self, err, quiet: bool):
        self.err = err
        self.quiet = quiet
        self.tty = err.isatty()
        self.width = 0
        self.last = 0.0
        self.auto = False  # models chosen per file: name them on each file's line
        self.chosen: dict[int, list[str]] = {}

    def status(self, text: str) -> None:
        if not self.tty or self.quiet:
            return
        now = time.monotonic()
        if now - self.last < 0.1:
            return
        self.last = now
        text = text[:119]
        self.err.write("\r" + text.ljust(self.width))
        self.err.flush()
        self.width = len(text)

    def clear(self) -> None:
        if self.tty and self.width:
            self.err.write("\r" + " " * self.width + "\r")
            self.err.flush()
            self.width = 0

    def line(self, text: str, important: bool = False) -> None:
        if self.quiet and not important:
            return
        self.clear()
        print(text, file=self.err, flush=True)

    def event(self, ev) -> None:
        counter = f"[{ev.files_done}/{ev.files_total}]"
        if isinstance(ev, BatchStarted):
            for note in ev.notes[:MAX_NOTES_SHOWN]:
                self.line(f"note: {note}")
            if len(ev.notes) > MAX_NOTES_SHOWN:
                self.line(f"note: ... and {len(ev.notes) - MAX_NOTES_SHOWN} more (see --report)")
            self.auto = AUTO in ev.models
            models = ", ".join(AUTO_TEXT if m == AUTO else m for m in ev.models)
            passes = f", {ev.passes} passes per tile" if ev.passes > 1 else ""
            self.line(f"{ev.files_total} images, model(s) {models}{passes} -> {ev.output_dir}")
            if ev.passes_note:
                # Shown under -q too: the folder will hold outputs of two pass counts.
                self.line(f"note: {ev.passes_note}", important=True)
        elif isinstance(ev, FileStarted):
            self.chosen.setdefault(ev.index, []).append(ev.model)
            self.status(f"{counter} {ev.path.name} · {ev.model} · ETA {format_eta(ev.eta_seconds)}")
        elif isinstance(ev, TileProgress):
            if ev.message:
                self.line(f"{ev.path.name}: {ev.message}")
            self.status(
                f"{counter} {ev.path.name} · {ev.model} · tile {ev.done}/{ev.total} · ETA {format_eta(ev.eta_seconds)}"
            )
        elif isinstance(ev, FileFinished):
            r = ev.result
            if r.status == "failed":
                self.line(f"{counter} failed {r.input}: {r.error}", important=True)
            elif not self.tty or r.status == "cancelled":
                chosen = self.chosen.pop(ev.index, None)
                suffix = f" ({', '.join(chosen)})" if self.auto and chosen else ""
                self.line(f"{counter} {r.status} {r.input}{suffix}")
            else:
                self.status(f"{counter} {r.status} {r.input.name} · ETA {format_eta(ev.eta_seconds)}")


def run(args: argparse.Namespace) -> int:
    for stream in (sys.stdout, sys.stderr):
        # A non-ASCII file name must not crash the run on a console that cannot show it.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    job = job_from_args(args)
    token = CancelToken()
    printer = _Printer(sys.stderr, args.quiet)
    with _ctrl_c_cancels(token, sys.stderr):
        summary = drive(run_batch(job, cancel=token), printer.event)
    text = ("stopped: " if summary.cancelled else "") + summary.line()
    printer.clear()
    print(text, flush=True)
    if summary.report_error:
        printer.line(f"srgan-studio: error: {summary.report_error}", important=True)
    elif summary.report is not None:
        printer.line(f"report: {summary.report}")
    return summary.exit_code
