"""`srgan-studio export CHECKPOINT -o model.onnx`: ONNX export, verified, with its descriptor (needs torch)."""

from __future__ import annotations

import argparse

from ..core.errors import StudioError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export trained weights to ONNX (dynamic size), verify it, write the descriptor",
        description="Exports with opset 17 and dynamic height/width, checks the file with onnx.checker and "
        "compares ONNX Runtime with PyTorch, then writes NAME.json beside the model.",
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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
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
