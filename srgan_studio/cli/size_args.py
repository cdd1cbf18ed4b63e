"""The output-size flags shared by ``upscale`` and ``batch``: --scale, --width, --height."""

from __future__ import annotations

import argparse


def add_size_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output size (default: the model's own factor)")
    g.add_argument("--scale", type=float, metavar="F", help="any factor from 1 to 16 (e.g. 2, 2.5, 8)")
    g.add_argument("--width", type=int, metavar="W", help="output width in pixels, keeping the aspect ratio")
    g.add_argument(
        "--height", type=int, metavar="H", help="output height in pixels; with --width, the output fits within W x H"
    )


def size_from_args(args: argparse.Namespace):
    """The SizeSpec of these flags; a bad value or combination is a one-line StudioError."""
    from ..core.sizing import SizeSpec

    return SizeSpec(args.scale, args.width, args.height)
