"""``srgan-studio models``: list, import and remove models."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from .help import examples


def register(sub) -> None:
    p = sub.add_parser(
        "models",
        help="list models (bundled, user, bicubic); import or remove user models",
        description="List the models with their descriptors. `models import FILE` adds a user model: "
        "an .onnx file, or a PyTorch upscaler (.safetensors preferred, .pth, .pt, .ckpt; "
        "needs the [train] extra).",
        **examples(
            ("srgan-studio models", "the table (* = default model)"),
            ("srgan-studio models --devices", "where models can run here"),
            ("srgan-studio models import my_model.onnx --name mine_x4", "add an ONNX model"),
            ("srgan-studio models import 4x_Community.safetensors", "add a PyTorch upscaler (through spandrel)"),
            ("srgan-studio models remove mine_x4", "remove a model you added"),
        ),
    )
    p.add_argument("--json", action="store_true", help="print the descriptors as JSON")
    p.add_argument(
        "--devices", action="store_true", help="list the devices here with the engine and precision each would use"
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    imp = actions.add_parser(
        "import", help="check a super-resolution model (ONNX or PyTorch) and add it as a user model"
    )
    imp.add_argument("file", help="the .onnx, .safetensors, .pth, .pt or .ckpt file")
    imp.add_argument("--name", help="registry name (default: from the file name)")
    imp.add_argument("--title", help="name shown in the app")
    rem = actions.add_parser("remove", help="remove a user model")
    rem.add_argument("name")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "devices", False):
        return _print_devices(args.json)
    from ..core.registry import default_registry

    registry = default_registry()
    action = getattr(args, "action", None)
    if action == "import":
        d = _import(registry, args)
        print(
            f"imported {d.name}: x{d.scale}, {d.in_channels}->{d.out_channels} channels, "
            f"context {d.receptive_field} px -> {d.model_path}"
        )
        return 0
    if action == "remove":
        registry.remove(args.name)
        print(f"removed {args.name}")
        return 0
    models = registry.list()
    if args.json:
        rows = []
        for d in models:
            row = asdict(d)
            row["model_path"] = str(d.model_path) if d.model_path else None
            rows.append(row)
        print(json.dumps(rows, indent=2))
        return 0
    print(models_table(models, registry.default_name()))
    for problem in registry.problems:
        print(f"warning: {problem}", file=sys.stderr)
    print("* default model; PSNR in dB on Y (Set5, Set14), bicubic in brackets", file=sys.stderr)
    return 0


def _import(registry, args: argparse.Namespace):
    """ONNX files go straight to the registry; PyTorch files through spandrel (the [train] extra)."""
    from pathlib import Path

    from ..core.errors import ModelError
    from ..core.registry import PYTORCH_SUFFIXES

    suffix = Path(args.file).suffix.lower()
    if suffix not in (".onnx", *PYTORCH_SUFFIXES) and Path(args.file).is_file():
        # An image or an archive would otherwise fail deep in the ONNX parser ("ir_version").
        raise ModelError(
            f"not a model file: import takes .onnx or PyTorch weights ({', '.join(PYTORCH_SUFFIXES)})", args.file
        )
    if suffix not in PYTORCH_SUFFIXES:
        return registry.import_onnx(args.file, name=args.name, title=args.title)

    try:
        from ..training.import_model import import_pytorch_model
    except ImportError as exc:
        raise ModelError(
            f"importing PyTorch models needs PyTorch and spandrel: pip install 'srgan-studio[train]' ({exc})", args.file
        ) from None
    return import_pytorch_model(args.file, registry, name=args.name, title=args.title)


TABLE_SETS = ("Set5", "Set14")


def models_table(models, default: str) -> str:
    """One row a model: name, scale, kind, source, Y-PSNR on Set5/Set14 with bicubic's
    alongside (2 decimals; `--json` has full precision) and the title."""
    header = ["name", "scale", "kind", "source", *(f"{s} PSNR (bicubic)" for s in TABLE_SETS), "title"]
    rows = [header]
    for d in models:
        source = "user" if d.user else ("built-in" if d.kind == "bicubic" else "bundled")
        mark = "*" if d.name == default else " "
        psnr = [_psnr_cell(d.metrics.get(s)) for s in TABLE_SETS]
        rows.append([mark + d.name, f"x{d.scale}", d.kind, source, *psnr, d.title])
    rows[0][0] = " " + rows[0][0]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1] for row in rows)


def _psnr_cell(metrics) -> str:
    if not isinstance(metrics, dict) or not isinstance(metrics.get("psnr_y"), (int, float)):
        return "-"
    bicubic = metrics.get("bicubic_psnr_y")
    return f"{metrics['psnr_y']:.2f}" + (f" ({bicubic:.2f})" if isinstance(bicubic, (int, float)) else "")


def _print_devices(as_json: bool) -> int:
    """Each usable device with its engine and the precision ``auto`` picks (for a model that allows reduced)."""
    from ..core.runtime import describe_devices, planned

    rows = describe_devices()
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'device':<8} {'engine':<22} {'auto precision':<15} precisions")
    for r in rows:
        print(f"{r['device']:<8} {r['engine'] + ' ' + r['version']:<22} {r['auto']:<15} {', '.join(r['precisions'])}")
    print(f"--device auto: {planned()}", file=sys.stderr)
    return 0
