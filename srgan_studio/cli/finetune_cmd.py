"""`srgan-studio finetune PHOTO_DIR --base srresnet --name NAME`: the wizard, headless.

Training runs in a child process (as in the app); Ctrl-C stops it at a
checkpoint, and the same command with ``--resume`` continues it.
"""

from __future__ import annotations

import argparse
import signal
import sys

from ..core.errors import Cancelled, SettingsError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("finetune", help="fine-tune a model on your own photos (needs torch)",
                       description="Fine-tune a model on a folder of your own photos, measure the gain on held-out "
                                   "photos and register the result as a user model.")
    p.add_argument("photos", metavar="PHOTO_DIR", nargs="?", help="folder of your own high-resolution photos")
    p.add_argument("--base", default="srresnet", help="model to start from (default: srresnet)")
    p.add_argument("--name", required=True, help="name of the new model (lowercase, e.g. my_scans)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, help="training time budget (default: 5)")
    budget.add_argument("--steps", type=int, help="training steps, over all stages")
    p.add_argument("--preset", choices=("clean", "phone_jpeg", "old_print"), default="clean",
                   help="how your low-resolution photos were degraded")
    p.add_argument("--goal", choices=("faithful", "realistic"), default="faithful",
                   help="faithful: PSNR stage only; realistic: PSNR then a GAN stage")
    p.add_argument("--lr", type=float, default=1e-4, help="learning rate (default 1e-4)")
    p.add_argument("--batch", type=int, default=8, help="batch size (default 8)")
    p.add_argument("--patch", type=int, default=96, help="HR patch size in pixels (default 96)")
    p.add_argument("--ema", type=float, default=0.999, help="EMA decay, 0 = off (default 0.999)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for training (default: all cores but one)")
    p.add_argument("--resume", action="store_true", help="continue the run called NAME from its last checkpoint")
    p.add_argument("--no-register", action="store_true", help="train and evaluate, but do not add the model")
    p.add_argument("--progress", choices=("auto", "bar", "none"), default="auto")
    p.set_defaults(func=run)


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    from ..core import finetune as ft
    from ..core.finetune_eval import evaluate
    from ..core.finetune_eval import register as register_model

    bar = args.progress == "bar" or (args.progress == "auto" and sys.stderr.isatty())
    if args.resume:
        run_ = ft.FinetuneRun.open(args.name)
        _say(f"resuming {run_.name} ({run_.status})")
    else:
        if not args.photos:
            raise SettingsError("give the photo folder (or --resume NAME)")
        opts = ft.FinetuneOptions(photos=args.photos, base=args.base, name=args.name, goal=args.goal,
                                  preset=args.preset, steps=args.steps or 0,
                                  minutes=args.minutes if args.minutes else (0.0 if args.steps else 5.0),
                                  lr=args.lr, batch_size=args.batch, patch_size=args.patch, ema=args.ema,
                                  threads=args.threads, previews=False)   # nobody looks at previews here
        opts.check()
        scan = ft.scan_folder(args.photos, args.patch)
        for path, reason in scan.bad:
            _say(f"skipped {path}: {reason}")
        scan.check()
        for w in scan.warnings:
            _say(f"warning: {w}")
        run_ = ft.FinetuneRun.create(opts, scan)
        _say(f"{len(run_.state['photos']['train'])} training photos, held out: "
             f"{', '.join(run_.state['photos']['heldout'])}")
    def on_interrupt(signum, frame):
        _say("\nstopping at the next step; the trainer saves a checkpoint first...")
        run_.cancel()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        outcome = _drive(run_.train(), run_, bar)
    except (Cancelled, KeyboardInterrupt):
        _say(f"\nstopped; the last checkpoint is kept. Continue with: srgan-studio finetune --resume --name {run_.name}")
        return 130
    finally:
        signal.signal(signal.SIGINT, previous)
    _say(f"\ntrained {outcome.steps} steps")
    result = _drive(evaluate(run_), run_, bar)
    print(f"held-out photos: {len(result.rows)} (centre crops up to {result.eval_side} px, Y channel)")
    print(f"{'method':<12}{'PSNR (dB)':>10}{'SSIM':>9}")
    for method, label in (("bicubic", "bicubic"), ("base", run_.state["base"]["name"]), ("finetuned", run_.name)):
        m = result.mean[method]
        print(f"{label:<12}{m['psnr_y']:>10.2f}{m['ssim_y']:>9.4f}")
    print(f"gain over the base: {result.gain_db:+.2f} dB")
    if args.no_register:
        return 0
    desc = register_model(run_)
    print(f"registered {desc.name}: srgan-studio upscale PHOTO --model {desc.name}")
    return 0


def _drive(gen, run_, bar: bool):
    """Run a generator to its end, printing its progress."""
    from ..core import finetune as ft
    from ..core.finetune_eval import EvalProgress

    while True:
        try:
            ev = next(gen)
        except StopIteration as stop:
            return stop.value
        if isinstance(ev, ft.StepProgress):
            eta = f"{int(ev.eta_s // 60)}m{int(ev.eta_s % 60):02d}s" if ev.eta_s is not None else "?"
            losses = " ".join(f"{k}={v:.4f}" for k, v in ev.losses.items() if k in ("pixel", "g", "d"))
            text = (f"{ev.stage} {ev.step}/{ev.steps} {losses} lr={ev.lr:.1e} "
                    f"{ev.it_per_s:.2f} it/s ETA {eta}")
            if bar:
                sys.stderr.write(f"\r{text}   ")
                sys.stderr.flush()
            elif ev.step == ev.steps or ev.step % 10 == 0:
                _say(text)
        elif isinstance(ev, ft.Validation):
            _say(f"{'' if not bar else chr(10)}[held-out crops @ {ev.stage} {ev.step}] {ev.psnr_y:.2f} dB / {ev.ssim_y:.4f}")
        elif isinstance(ev, ft.StageStarted):
            start = f" (resuming at step {ev.resumed_from})" if ev.resumed_from else ""
            _say(f"stage {ev.index + 1}/{ev.count}: {ev.stage.upper()}, {ev.steps} steps{start}")
        elif isinstance(ev, (ft.Notice, EvalProgress)):
            _say(ev.message)
