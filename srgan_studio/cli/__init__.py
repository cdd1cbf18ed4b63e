"""The ``srgan-studio`` command.

Each subcommand lives in its own module with ``register(subparsers)``, which
adds its parser and sets ``func`` to a ``run(args) -> int``. Modules are listed
explicitly (PyInstaller cannot see modules found by scanning). They must not
import Qt or torch at module level: startup stays fast and the app upscales
without torch installed.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import io
import os
import sys
from pathlib import Path

from .. import __version__
from ..core.errors import Cancelled, StudioError
from .help import examples

SUBCOMMAND_MODULES = (
    "upscale_cmd",
    "models_cmd",
    "batch_cmd",
    "train_cmd",
    "eval_cmd",
    "export_cmd",
    "finetune_cmd",
)

EXAMPLES = (
    ("srgan-studio photo.jpg", "open the app with a photo"),
    ("srgan-studio upscale photo.jpg", "-> photo_x4.jpg beside it"),
    ("srgan-studio batch photos/ restored/", "a whole folder; run it again to resume"),
    ("srgan-studio models", "the installed models and their scores"),
    ("srgan-studio finetune my_scans/ --name scans_x4", "fine-tune on your photos (needs torch)"),
    ("srgan-studio COMMAND --help", "each command's options and examples"),
)


class _Parser(argparse.ArgumentParser):
    """A usage error is one line too, with where to look, instead of the whole usage block."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="srgan-studio",
        description="Photo restoration by super-resolution. With no subcommand, or only image paths, opens the app.",
        **examples(*EXAMPLES),
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


def _mistyped_command(word: str) -> str | None:
    """The error for a first word that is neither a command nor a file (``srgan-studio upscal x.jpg``),
    which would otherwise open the app on a file that does not exist."""
    if Path(word).suffix or "/" in word or os.sep in word or Path(word).exists():
        return None
    close = difflib.get_close_matches(word, sorted(_subcommand_names()), n=1)
    hint = f"; did you mean {close[0]}?" if close else f"; commands: {', '.join(sorted(_subcommand_names()))}"
    return f"srgan-studio: error: unknown command '{word}'{hint} (see srgan-studio --help)"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if _wants_gui(argv):
        mistyped = _mistyped_command(argv[0]) if argv else None
        if mistyped:
            print(mistyped, file=sys.stderr)
            return 2
        return gui_main(argv)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # The subcommand's own usage line, not the top-level one, says what it takes.
        _subparser(parser, args.command).error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # `srgan-studio models --json | head`: the reader has gone, which is not an error;
        # stdout goes to devnull so that the flush at exit does not raise it again.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
        return 0
    except StudioError as exc:
        print(f"srgan-studio: error: {exc}", file=sys.stderr)
        return 1
    except Cancelled:
        print("srgan-studio: cancelled", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("srgan-studio: interrupted", file=sys.stderr)
        return 130


def _subparser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser:
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        if command in getattr(action, "choices", {}):
            return action.choices[command]
    return parser


def gui_main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if sys.platform.startswith("linux") and not any(
        os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    ):
        # Qt would abort with a core dump and a page about xcb plugins.
        print(
            "srgan-studio: error: the desktop app needs a graphical session (no DISPLAY or WAYLAND_DISPLAY); "
            "on a server use `srgan-studio upscale` or `srgan-studio batch`",
            file=sys.stderr,
        )
        return 1
    try:
        from ..gui.app import run_app
    except ImportError as exc:
        print(f"srgan-studio: error: the desktop app cannot start ({exc})", file=sys.stderr)
        return 1
    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
