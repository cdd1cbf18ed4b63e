"""`srgan-studio eval --model NAME_OR_CHECKPOINT DIR...`: PSNR/SSIM (Y) and texture vs bicubic."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..core.degradation import PRESETS
from ..core.ensemble import HELP as ENSEMBLE_HELP
from ..core.ensemble import check_passes
from ..core.errors import StudioError
from .checks import check_new_file
from .help import examples


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="measure a model on folders of HR images (PSNR/SSIM on Y, texture) against bicubic",
        description="Each HR image is mod-cropped, downscaled with bicubic, upscaled by the model and compared "
        "on the Y channel with SCALE pixels cropped from the border. A folder holding only "
        "sub-folders (e.g. val/ with Set5 and Set14) is evaluated per sub-folder.",
        **examples(
            ("srgan-studio eval --model srresnet_x4 val/Set5 val/Set14", "a model against bicubic"),
            ("srgan-studio eval --model restore_x4 val/Set5 --degradation photo", "on damaged LR images"),
            ("srgan-studio eval --model runs/x/generator.safetensors val/ --json -o x.json", "for export --metrics"),
        ),
    )
    p.add_argument(
        "--model",
        required=True,
        metavar="NAME_OR_CHECKPOINT",
        help="a registry model name (see `srgan-studio models`), a .onnx file with its descriptor, "
        "or PyTorch weights (.safetensors) / a training checkpoint (.json)",
    )
    p.add_argument("dirs", nargs="+", metavar="DIR", help="folder(s) of HR images")
    p.add_argument("--scale", type=int, default=None, help="upscale factor (default: the model's)")
    p.add_argument(
        "--degradation",
        default="clean",
        choices=sorted(PRESETS),
        metavar="PRESET",
        help="degrade each HR image with this preset of the real-world pipeline instead of a clean "
        f"bicubic downscale ({', '.join(sorted(PRESETS))}); scored against the clean HR",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the degradation draws (default 0)")
    p.add_argument(
        "--draws",
        type=int,
        default=None,
        metavar="N",
        help="with --degradation: degrade each image N times (fixed, independent draws; draw 0 is the "
        "single-draw LR) and report the mean over all of them (default 1)",
    )
    p.add_argument("--ensemble", type=int, default=1, metavar="N", help=ENSEMBLE_HELP + " (default 1)")
    p.add_argument("--json", action="store_true", help="print the full result (per image) as JSON on stdout")
    p.add_argument("--output", "-o", metavar="FILE", help="also write the JSON result to FILE (for export --metrics)")
    p.add_argument("--overwrite", action="store_true", help="replace the -o FILE if it exists")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..training.evaluate import evaluate, format_table, resolve_model

    if args.draws is not None and args.draws < 1:
        raise StudioError(f"--draws must be at least 1, not {args.draws}")
    if args.draws is not None and args.degradation == "clean":
        raise StudioError("--draws needs --degradation PRESET: a clean bicubic LR is the same on every draw")
    check_passes(args.ensemble, "--ensemble")
    if args.output:
        check_new_file(Path(args.output), args.overwrite)  # before the evaluation, not after it
    runner, scale, label = resolve_model(args.model, args.scale, args.ensemble)
    if args.scale and args.scale != scale:
        raise StudioError(f"model {args.model} upscales x{scale}, not x{args.scale}")
    show = None if args.json else (lambda text: print(f"  {text}", file=sys.stderr))
    result = evaluate(
        runner, args.dirs, scale, progress=show, degradation=args.degradation, seed=args.seed, draws=args.draws or 1
    )
    result["model"] = args.model
    result["label"] = label
    result["ensemble"] = args.ensemble
    text = json.dumps(result, indent=1)
    if args.output:
        from ..core.atomic import atomic_write_bytes

        try:
            atomic_write_bytes(Path(args.output), (text + "\n").encode("utf-8"))
        except OSError as exc:
            raise StudioError(f"cannot write ({exc.strerror or exc})", args.output) from None
    if args.json:
        print(text)
    else:
        print(format_table(result, label))
    return 0
