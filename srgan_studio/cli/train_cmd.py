"""`srgan-studio train RECIPE`: run a training recipe (needs the [train] extra: torch)."""

from __future__ import annotations

import argparse
import json
import sys

from ..core.errors import SettingsError, StudioError
from ..core.progress import format_eta
from .checks import check_budget
from .help import examples


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a model from a TOML recipe (needs torch)",
        description="Train the generator a recipe describes (training/recipes/, one strict TOML file per "
        "experiment: an unknown key is an error). Checkpoints are written atomically, and --resume continues "
        "bit for bit.",
        **examples(
            ("srgan-studio train training/recipes/srresnet_x4.toml", "into runs/srresnet_x4"),
            ("srgan-studio train training/recipes/srresnet_x4.toml --resume", "continue it after Ctrl-C"),
            ("srgan-studio train RECIPE --out runs/try2 --data my_photos/", "another run folder and data"),
            ("srgan-studio train RECIPE --minutes 30 --set train.lr=1e-4", "a time budget and an override"),
        ),
    )
    p.add_argument("recipe", help="recipe TOML file, e.g. training/recipes/srresnet_x4.toml")
    p.add_argument("--data", help="training photo folder (overrides data.train)")
    p.add_argument("--out", help="run folder (default: runs/<experiment name>)")
    p.add_argument("--resume", action="store_true", help="continue from the run folder's last checkpoint")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="total steps (overrides train.steps)")
    budget.add_argument(
        "--minutes",
        type=float,
        help="stop after this many minutes of training (checkpointed); time stopped by Ctrl-Z or SIGSTOP "
        "is not counted (POSIX; wall time on Windows)",
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a recipe value (repeatable)",
    )
    p.add_argument(
        "--progress",
        choices=("auto", "json", "bar", "none"),
        default="auto",
        help="json: JSON lines on stdout (for the app); bar: a readable bar on stderr; none: quiet; "
        "auto (default): bar on a terminal, else json",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_budget(args.steps, args.minutes)
    try:
        from ..training.checkpoint import CheckpointError
        from ..training.recipe import RecipeError
        from ..training.trainer import Trainer, TrainingError, prepare_run
    except ImportError as exc:
        raise StudioError(f"training needs PyTorch: pip install 'srgan-studio[train]' ({exc})") from None
    overrides = list(args.overrides)
    if args.steps:
        overrides.append(f"train.steps={args.steps}")
    mode = args.progress
    if mode == "auto":
        mode = "bar" if sys.stderr.isatty() else "json"

    def emit(record: dict) -> None:
        if mode == "json":
            sys.stdout.write(json.dumps(record) + "\n")
            sys.stdout.flush()
        elif mode == "bar":
            print_record(record)

    try:
        recipe, run_dir = prepare_run(args.recipe, args.out, resume=args.resume, overrides=overrides, data=args.data)
        trainer = Trainer(recipe, run_dir, emit=emit, minutes=args.minutes or 0.0)
        if args.resume and not trainer.resume():
            emit({"event": "note", "message": f"{run_dir}: no checkpoint yet, starting from step 0"})
        result = trainer.train()
    except (RecipeError, CheckpointError, TrainingError, FileNotFoundError, ValueError) as exc:
        raise SettingsError(str(exc)) from None
    if mode != "json":
        print(f"\n{result['status']}: step {result['step']}, weights {result['weights']}", file=sys.stderr)
    return 0


def print_record(record: dict, stream=None) -> None:
    """Human-readable progress for a terminal."""
    stream = stream or sys.stderr
    ev = record.get("event")
    if ev == "step":
        losses = " ".join(f"{k}={v:.4f}" for k, v in record["losses"].items())
        stream.write(
            f"\rstep {record['step']}/{record['steps']} {losses} lr={record['lr']:.2e} "
            f"{record['it_per_s']:.2f} it/s ETA {format_eta(record.get('eta_s'))}   "
        )
    elif ev == "val":
        text = "  ".join(f"{k}: {v['psnr_y']:.2f} dB / {v['ssim_y']:.4f}" for k, v in record["metrics"].items())
        stream.write(f"\n[val @ {record['step']}] {text}\n")
    elif ev in ("start", "end", "error", "skipped"):
        stream.write(f"\n{json.dumps(record)}\n")
    stream.flush()
