"""The ``srgan-studio`` command.

Each subcommand lives in its own module with ``register(subparsers)``, which
adds its parser and sets ``func`` to a ``run(args) -> int``. Modules are listed
explicitly (PyInstaller cannot see modules found by scanning). They must not
import Qt or torch at module level: startup stays fast and the app upscales
without torch installed.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__
from ..core.errors import Cancelled, StudioError

SUBCOMMAND_MODULES = (
    "upscale_cmd",
    "models_cmd",
    "batch_cmd",
    "train_cmd",
    "eval_cmd",
    "export_cmd",
    "finetune_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srgan-studio",
        description="Photo restoration by super-resolution. With no subcommand, or only image paths, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"srgan-studio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        # No try/except: a subcommand module that fails to import is a broken
        # install, and hiding the command would only make that harder to see.
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def _wants_gui(argv: list[str]) -> bool:
    return not argv or all(not a.startswith("-") and a not in _subcommand_names() for a in argv)


def _subcommand_names() -> set[str]:
    return {m.removesuffix("_cmd") for m in SUBCOMMAND_MODULES}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if _wants_gui(argv):
        return gui_main(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except StudioError as exc:
        print(f"srgan-studio: error: {exc}", file=sys.stderr)
        return 1
    except Cancelled:
        print("srgan-studio: cancelled", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("srgan-studio: interrupted", file=sys.stderr)
        return 130


def gui_main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        from ..gui.app import run_app
    except ImportError as exc:
        print(f"srgan-studio: error: the desktop app cannot start ({exc})", file=sys.stderr)
        return 1
    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
