"""``srgan-studio models``: list, import and remove models."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict


def register(sub) -> None:
    p = sub.add_parser("models", help="list models (bundled, user, bicubic); import or remove user models",
                       description="List the models with their descriptors. `models import FILE.onnx` adds a user model.")
    p.add_argument("--json", action="store_true", help="print the descriptors as JSON")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    imp = actions.add_parser("import", help="check an ONNX super-resolution model and add it as a user model")
    imp.add_argument("file", help="the .onnx file")
    imp.add_argument("--name", help="registry name (default: from the file name)")
    imp.add_argument("--title", help="name shown in the app")
    rem = actions.add_parser("remove", help="remove a user model")
    rem.add_argument("name")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..core.registry import default_registry

    registry = default_registry()
    action = getattr(args, "action", None)
    if action == "import":
        d = registry.import_onnx(args.file, name=args.name, title=args.title)
        print(f"imported {d.name}: x{d.scale}, {d.in_channels}->{d.out_channels} channels, "
              f"context {d.receptive_field} px -> {d.model_path}")
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
    default = registry.default_name()
    print(f"{'name':<22} {'kind':<8} {'scale':>5}  {'source':<8} title / metrics")
    for d in models:
        source = "user" if d.user else ("built-in" if d.kind == "bicubic" else "bundled")
        metrics = "; ".join(
            f"{k} " + " ".join(f"{m}={v}" for m, v in vals.items()) if isinstance(vals, dict) else f"{k}={vals}"
            for k, vals in d.metrics.items()
        )
        mark = "*" if d.name == default else " "
        print(f"{mark}{d.name:<21} {d.kind:<8} {'x' + str(d.scale):>5}  {source:<8} {d.title}"
              + (f"  [{metrics}]" if metrics else ""))
    for problem in registry.problems:
        print(f"warning: {problem}", file=sys.stderr)
    print("* default model", file=sys.stderr)
    return 0
