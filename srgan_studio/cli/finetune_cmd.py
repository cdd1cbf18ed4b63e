"""`srgan-studio finetune PHOTO_DIR --name NAME`: the wizard, headless.

Training runs in a child process (as in the app) on all cores; Ctrl-C stops it at
a checkpoint, and the same command with ``--resume`` continues it.
"""

from __future__ import annotations

import argparse
import signal
import sys

from ..core.errors import Cancelled, SettingsError
from ..core.progress import drive
from .checks import check_budget, check_threads
from .help import examples

PRESETS = ("clean", "phone_jpeg", "old_print", "photo")  # core.finetune.presets.PRESET_TITLES, kept import-free


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "finetune",
        help="fine-tune a model on your own photos (needs torch)",
        description="Fine-tune a model on a folder of your own photos, measure the gain on held-out "
        "photos and register the result as a user model.",
        **examples(
            ("srgan-studio finetune scans/ --name scans_x4 --minutes 10 --preset old_print", "a 10-minute run"),
            ("srgan-studio finetune --resume --name scans_x4", "continue after Ctrl-C"),
            ("srgan-studio upscale old.jpg --model scans_x4", "use the new model"),
        ),
    )
    p.add_argument("photos", metavar="PHOTO_DIR", nargs="?", help="folder of your own high-resolution photos")
    p.add_argument(
        "--base",
        default="auto",
        help="model to start from (default auto: the PSNR-trained model that scores best on your held-out photos)",
    )
    p.add_argument("--name", required=True, help="name of the new model (lowercase, e.g. my_scans)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, help="training time budget (default: 5)")
    budget.add_argument("--steps", type=int, help="training steps, over all stages")
    p.add_argument("--preset", choices=PRESETS, default="clean", help="how your low-resolution photos were degraded")
    p.add_argument(
        "--goal",
        choices=("faithful", "realistic"),
        default="faithful",
        help="faithful: PSNR stage only; realistic: PSNR then a GAN stage",
    )
    p.add_argument("--lr", type=float, default=0.0, help="learning rate (default: chosen for the budget)")
    p.add_argument("--batch", type=int, default=0, help="batch size (default: chosen for the budget)")
    p.add_argument("--patch", type=int, default=96, help="HR patch size in pixels (default 96)")
    p.add_argument("--ema", type=float, default=0.999, help="EMA decay, 0 = off (default 0.999)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for training (default: all cores)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    p.add_argument("--resume", action="store_true", help="continue the run called NAME from its last checkpoint")
    p.add_argument("--no-register", action="store_true", help="train and evaluate, but do not add the model")
    p.add_argument(
        "--register-anyway",
        action="store_true",
        help="add the model even if it did not beat its base on the held-out photos",
    )
    p.add_argument(
        "--progress",
        choices=("auto", "bar", "none"),
        default="auto",
        help="bar: one rewritten line; none: no progress; auto (default): bar on a terminal, else a line now and then",
    )
    p.set_defaults(func=run)


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _new_run(args: argparse.Namespace):
    from ..core import finetune as ft

    if not args.photos:
        raise SettingsError("give the photo folder (or --resume --name NAME)")
    opts = ft.FinetuneOptions(
        photos=args.photos,
        base=args.base,
        name=args.name,
        goal=args.goal,
        preset=args.preset,
        steps=args.steps or 0,
        minutes=args.minutes if args.minutes else (0.0 if args.steps else 5.0),
        lr=args.lr,
        batch_size=args.batch,
        patch_size=args.patch,
        ema=args.ema,
        threads=args.threads,
        device=args.device,
        previews=False,
    )  # nobody sees previews here
    opts.check()
    scan = ft.scan_folder(args.photos, args.patch)
    for path, reason in scan.bad:
        _say(f"skipped {path}: {reason}")
    scan.check()
    for w in scan.warnings:
        _say(f"warning: {w}")
    run_ = ft.FinetuneRun.create(opts, scan)
    _say(f"{len(run_.state.photos.train)} training photos, held out: {', '.join(run_.state.photos.heldout)}")
    _say(ft.describe_base(run_.state))
    return run_


def run(args: argparse.Namespace) -> int:
    from ..core import finetune as ft

    check_budget(args.steps, args.minutes)
    check_threads(args.threads)
    bar = args.progress == "bar" or (args.progress == "auto" and sys.stderr.isatty())
    if args.resume:
        run_ = ft.FinetuneRun.open(args.name)
        _say(f"resuming {run_.name} ({run_.status.value})")
    else:
        run_ = _new_run(args)

    def on_interrupt(signum, frame):
        _say("\nstopping at the next step; the trainer saves a checkpoint first...")
        run_.cancel()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        outcome = _drive(run_.train(), bar)
    except (Cancelled, KeyboardInterrupt):
        _say(
            f"\nstopped; the last checkpoint is kept. Continue with: srgan-studio finetune --resume --name {run_.name}"
        )
        return 130
    finally:
        signal.signal(signal.SIGINT, previous)
    _say(f"\ntrained {outcome.steps} steps")
    result = _drive(ft.evaluate(run_), bar)
    _print_result(run_, result)
    if args.no_register:
        return 0
    lost = ft.did_not_beat_base(run_)
    if lost and not args.register_anyway:
        print(f"{lost}: not registered (add --register-anyway to register it all the same)")
        return 0
    desc = ft.register(run_, anyway=args.register_anyway)
    print(f"registered {desc.name}: srgan-studio upscale PHOTO --model {desc.name}")
    return 0


def _print_result(run_, result) -> None:
    print(f"held-out photos: {len(result.rows)} (centre crops up to {result.eval_side} px, Y channel)")
    print(f"{'method':<16}{'PSNR (dB)':>10}{'SSIM':>9}")
    for method, label in (("bicubic", "bicubic"), ("base", run_.state.base.name), ("finetuned", run_.name)):
        m = result.mean[method]
        print(f"{label:<16}{m['psnr_y']:>10.2f}{m['ssim_y']:>9.4f}")
    print(f"gain: {result.gain_db:+.2f} dB over the base, {result.gain_over_bicubic_db:+.2f} dB over bicubic")


def _describe(ev, bar: bool) -> str | None:
    """One progress line for an event, or None for events not shown here."""
    from ..core import finetune as ft

    if isinstance(ev, ft.StepProgress):
        losses = " ".join(f"{k}={v:.4f}" for k, v in ev.losses.items() if k in ("pixel", "g", "d"))
        budget = (
            f" of about {ev.expected_steps} ({ft.format_minutes(ev.budget_minutes * 60)} budget)"
            if ev.budget_minutes
            else f"/{ev.expected_steps}"
        )
        if not bar and ev.step % 10 and ev.step != ev.steps:
            return None
        return (
            f"{ev.stage} step {ev.run_step}{budget} {losses} lr={ev.lr:.1e} {ev.it_per_s:.2f} it/s "
            f"ETA {ft.format_eta(ev.eta_s)}"
        )
    if isinstance(ev, ft.Validation):
        kept = " (kept)" if ev.best else ""
        return f"[held-out crops @ {ev.stage} {ev.step}] {ev.psnr_y:.2f} dB / {ev.ssim_y:.4f}{kept}"
    if isinstance(ev, ft.StageStarted):
        start = f", resuming at step {ev.resumed_from}" if ev.resumed_from else ""
        threads = f", {ev.threads} thread(s)" if ev.threads else ""
        return f"stage {ev.index + 1}/{ev.count}: {ev.stage.upper()} on {ev.device}, {ev.precision}{threads}{start}"
    if isinstance(ev, ft.StageFinished) and ev.best_step >= 0:
        return (
            f"{ev.stage.upper()} kept the weights of step {ev.best_step}"
            if ev.best_step
            else f"{ev.stage.upper()}: the base scored best on the held-out crops; its weights are kept"
        )
    if isinstance(ev, (ft.Notice, ft.EvalProgress)):
        return ev.message
    return None


def _drive(gen, bar: bool):
    """Run a generator to its end, printing its progress."""
    from ..core import finetune as ft

    def show(ev) -> None:
        text = _describe(ev, bar)
        if text is None:
            return
        if bar and isinstance(ev, ft.StepProgress):
            sys.stderr.write(f"\r{text}   ")
            sys.stderr.flush()
        else:
            _say(("\n" if bar else "") + text)

    return drive(gen, show)
