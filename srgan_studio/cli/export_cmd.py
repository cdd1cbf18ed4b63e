"""`srgan-studio export CHECKPOINT -o model.onnx`: ONNX export, verified, with its descriptor (needs torch)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.errors import StudioError
from .checks import check_new_file
from .help import examples


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export trained weights to ONNX (dynamic size), verify it, write the descriptor",
        description="Exports with opset 17 and dynamic height/width, checks the file with onnx.checker and "
        "compares ONNX Runtime with PyTorch, then writes NAME.json beside the model.",
        **examples(
            ("srgan-studio export runs/x/generator.safetensors -o x.onnx", "-> x.onnx and its descriptor x.json"),
            ("srgan-studio export runs/x/generator.safetensors -o x.onnx --metrics e.json", "with eval's figures"),
            ("srgan-studio models import x.onnx", "then use it in the app"),
        ),
    )
    p.add_argument(
        "checkpoint", help="weights (.safetensors, e.g. runs/NAME/generator.safetensors) or a checkpoint (.json)"
    )
    p.add_argument("-o", "--output", required=True, help="the .onnx file to write (its descriptor goes beside it)")
    p.add_argument("--name", help="registry name (default: the output file name)")
    p.add_argument("--title", help="name shown in the app (default: from the architecture and stage)")
    p.add_argument(
        "--metrics", metavar="FILE", help="eval JSON (srgan-studio eval --json -o FILE) to record in the descriptor"
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing .onnx file and its descriptor")
    p.set_defaults(func=run)


def _check_outputs(args: argparse.Namespace) -> None:
    """The .onnx and its descriptor beside it replace no file unasked, and never the weights exported."""
    out = Path(args.output)
    if out.suffix.lower() != ".onnx":
        return  # the exporter says so
    for path in (out, out.with_suffix(".json")):
        if path.resolve() == Path(args.checkpoint).resolve():
            raise StudioError("would replace the checkpoint being exported; choose another -o", path)
        check_new_file(path, args.overwrite, folder_must_exist=False)


def run(args: argparse.Namespace) -> int:
    _check_outputs(args)
    try:
        from ..training.checkpoint import CheckpointError
        from ..training.export import export_onnx
    except ImportError as exc:
        raise StudioError(f"export needs PyTorch: pip install 'srgan-studio[train]' ({exc})") from None
    try:
        d = export_onnx(
            args.checkpoint, args.output, name=args.name or "", title=args.title or "", metrics_file=args.metrics
        )
    except CheckpointError as exc:
        raise StudioError(str(exc)) from None
    diff = d.provenance.get("export", {}).get("max_abs_diff", float("nan"))
    print(
        f"exported {d.name} ({d.title}): x{d.scale}, receptive field {d.receptive_field} px, fp16 {d.fp16}, "
        f"ORT vs PyTorch max diff {diff:.1e} -> {args.output}"
    )
    return 0
