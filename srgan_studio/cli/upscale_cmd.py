"""``srgan-studio upscale INPUT... [-o OUT]``: upscale images with a registry model.

Defaults come from the saved settings (device, tile, threads, alpha mode,
metadata, limit); flags override them. The output keeps the input's format
unless --format says otherwise, and never replaces an input.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

from ..core import formats
from ..core.ensemble import HELP as ENSEMBLE_HELP
from ..core.ensemble import check_passes
from ..core.errors import StudioError
from ..core.progress import drive, format_eta, remaining_seconds
from ..core.runtime.precision import PRECISIONS
from .checks import check_limits
from .help import examples
from .size_args import add_size_arguments, size_from_args


def register(sub) -> None:
    p = sub.add_parser(
        "upscale",
        help="upscale image files, x4 or any size (the model suits each input unless --model)",
        description="Upscale images. Each output is <name>_x<scale>.<ext> beside its input (or in -o), in the "
        "input's format; an existing output is an error unless --overwrite, and an input is never replaced.",
        **examples(
            ("srgan-studio upscale photo.jpg", "-> photo_x4.jpg beside it"),
            ("srgan-studio upscale a.png b.tif -o out/", "into a folder (created if its parent exists)"),
            ("srgan-studio upscale scan.png --model srresnet --format tiff", "a chosen model and format"),
            ("srgan-studio upscale photo.jpg --width 3000", "-> photo_3000w.jpg, 3000 px wide"),
        ),
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files (PNG, JPEG, WebP, TIFF, BMP)")
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="output file (one input) or folder (several inputs, or an existing folder)",
    )
    p.add_argument(
        "-m",
        "--model",
        metavar="NAME",
        help="model name (see `srgan-studio models`); default: chosen per input, restore_x4 for "
        "photos (JPEG, noisy), srresnet_x4 for clean sources",
    )
    p.add_argument("--tile", type=int, metavar="N", help="tile size in input pixels (0 = automatic)")
    p.add_argument("--overlap", type=int, metavar="N", help="context pixels around each tile (default: from the model)")
    p.add_argument("--device", metavar="DEV", help="auto, cpu, cuda[:N] or gpu[:N] (OpenVINO, Intel graphics)")
    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        help="inference precision (default: settings, auto = bf16 on CPUs with AVX512-BF16/AMX, fp16 on GPUs, where the model allows; fp32 is bit-faithful; int8: about 3x faster than fp32 on CPUs with VNNI, through OpenVINO, quantised once and cached)",
    )
    p.add_argument("--threads", type=int, metavar="N", help="CPU threads (0 = all cores)")
    p.add_argument("--ensemble", type=int, metavar="N", help=ENSEMBLE_HELP + " (default: settings)")
    p.add_argument(
        "--format", choices=formats.CHOICES, type=str.lower, help="output format (default: same as the input)"
    )
    p.add_argument("--quality", type=int, metavar="Q", help="JPEG/WebP quality 1-100")
    p.add_argument("--alpha", choices=("model", "bicubic"), help="how to upscale transparency")
    p.add_argument("--no-metadata", action="store_true", help="drop EXIF, XMP and DPI (the ICC profile is kept)")
    p.add_argument("--max-megapixels", type=float, metavar="X", help="refuse inputs (and outputs) larger than this")
    add_size_arguments(p)
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs (never an input)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=run)


def _outputs(args, inputs: list[Path], scales: list[int], fmt: str | None) -> list[Path]:
    from ..core.errors import StudioError
    from ..core.upscale import default_output_path

    if not args.output:
        return [default_output_path(p, scale, fmt) for p, scale in zip(inputs, scales)]
    out = Path(args.output)
    if out.is_dir() or len(inputs) > 1 or args.output.endswith(("/", "\\")):
        if out.exists() and not out.is_dir():
            raise StudioError("is a file, not a folder; several inputs need an output folder", out)
        if not out.is_dir() and not out.absolute().parent.is_dir():
            raise StudioError("output folder does not exist, nor does its parent", out)
        return [out / default_output_path(p, scale, fmt).name for p, scale in zip(inputs, scales)]
    named = formats.from_suffix(out)
    if fmt and named and formats.normalize(fmt) != named:
        # Otherwise a PNG would be written into photo.jpg.
        raise StudioError(f"the name says {named} but --format says {formats.normalize(fmt)}; make them agree", out)
    return [out]


def _make_folder(outputs: list[Path]) -> None:
    """Create the -o folder (its parent exists, checked earlier), as batch does with OUTPUT_DIR."""
    from ..core.errors import StudioError

    for folder in {dst.parent for dst in outputs}:
        if not folder.is_dir():
            try:
                folder.mkdir()
            except OSError as exc:
                raise StudioError(f"cannot create the output folder ({exc.strerror or exc})", folder) from None


def _choose_model(src: Path, fixed: str | None, registry, max_pixels: int) -> tuple[str, str]:
    """(model, why) for one input: ``fixed`` when given, else the faithful model for its kind."""
    from ..core.errors import StudioError
    from ..core.input_kind import CLEAN, classify_file, faithful_model

    if fixed:
        return fixed, ""
    try:
        report = classify_file(src, max_pixels=max_pixels)
    except StudioError:
        # Unreadable: upscale_file reports the reason when it reaches this file.
        return faithful_model(CLEAN, registry), ""
    name = faithful_model(report.kind, registry)
    if name not in registry:
        name = registry.default_name()
    return name, f"{report.kind}: {report.reason}"


def run(args: argparse.Namespace) -> int:
    from ..core.errors import Cancelled, StudioError
    from ..core.registry import default_registry
    from ..core.settings import load_settings
    from ..core.sizing import SizedUpscaler
    from ..core.upscale import Upscaler, upscale_file

    settings = load_settings()
    registry = default_registry()
    # A typed name that is unknown is an error before any work; a saved default that is no longer
    # installed is not the user's typo: like batch, each input then gets the model for its kind.
    fixed = registry.resolve(args.model) if args.model else registry.find(settings.default_model or "")
    if settings.default_model and not args.model and not fixed and not args.quiet:
        print(f"note: the default model in the settings, {settings.default_model!r}, is not installed", file=sys.stderr)
    quality = args.quality if args.quality is not None else settings.jpeg_quality
    if not 1 <= quality <= 100:
        raise StudioError(f"--quality must be 1-100, not {quality}")
    max_mp = args.max_megapixels if args.max_megapixels is not None else settings.max_megapixels
    threads = args.threads if args.threads is not None else settings.threads
    check_limits(threads, max_mp)
    ensemble = check_passes(args.ensemble, "--ensemble") if args.ensemble is not None else settings.ensemble
    size = size_from_args(args)
    upscalers: dict[str, Upscaler] = {}

    def upscaler_for(model: str) -> Upscaler:
        if model not in upscalers:
            upscalers[model] = Upscaler(
                registry.get(model),
                device=args.device or settings.device,
                precision=args.precision or settings.precision,
                engine=settings.engine,
                threads=threads,
                tile=args.tile if args.tile is not None else settings.tile,
                overlap=args.overlap,
                alpha_mode=args.alpha or settings.alpha_mode,
                ensemble=ensemble,
            )
        return upscalers[model] if size.is_native else SizedUpscaler(upscalers[model], size, int(max_mp * 1e6))

    inputs = [Path(p) for p in args.inputs]
    folder = next((p for p in inputs if p.is_dir()), None)
    if folder is not None:
        raise StudioError(
            "is a folder; upscale takes image files (for a folder: srgan-studio batch FOLDER OUT_DIR)", folder
        )
    choices = [_choose_model(p, fixed, registry, int(max_mp * 1e6)) for p in inputs]
    for model, _ in choices:
        upscaler_for(model)  # every chosen model is checked before any work
    outputs = _outputs(args, inputs, [size.tag(upscalers[m].scale) for m, _ in choices], args.format)
    _check_plan(inputs, outputs)
    runners = [upscaler_for(model) for model, _ in choices]
    refused = _check_sizes(inputs, runners, int(max_mp * 1e6))
    if len(inputs) == 1 and refused[0] is not None:
        raise refused[0]
    if args.output:
        _make_folder(outputs)
    keep_metadata = settings.keep_metadata and not args.no_metadata

    bar = ProgressBar(enabled=not args.quiet and sys.stderr.isatty())
    # Said before any work; like any bad input, one does not stop the others.
    for exc in filter(None, refused):
        print(f"srgan-studio: error: {exc}", file=sys.stderr)
    failures = sum(exc is not None for exc in refused)
    # Device fallbacks arrive as Progress messages too; the bar prints them once, cleanly.
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    for src, dst, (model, why), runner, bad in zip(inputs, outputs, choices, runners, refused):
        if bad is not None:
            continue
        try:
            gen = upscale_file(
                src,
                dst,
                runner,
                format=args.format,
                quality=quality,
                keep_metadata=keep_metadata,
                overwrite=args.overwrite,
                max_pixels=int(max_mp * 1e6),
            )
            bar.start(src.name)
            written = drive(gen, bar.update)
            bar.finish()
            if not args.quiet:
                chosen = f"{model}, {why}" if why else model
                print(f"{src} -> {written} ({chosen}; {time.monotonic() - bar.started:.1f}s)", file=sys.stderr)
        except StudioError as exc:
            bar.finish()
            failures += 1
            if len(inputs) == 1:
                raise
            print(f"srgan-studio: error: {exc}", file=sys.stderr)
        except (Cancelled, KeyboardInterrupt):
            bar.finish()
            raise
    if len(inputs) > 1 and (failures or not args.quiet):
        print(f"{len(inputs) - failures} upscaled, {failures} failed", file=sys.stderr)
    return 1 if failures else 0


def _check_sizes(inputs: list[Path], runners: list, max_pixels: int) -> list[StudioError | None]:
    """Each input's impossible output size (over 16x, over the pixel limit), found before any work.

    The model's own factor too: a 12 MP phone photo at x4 is 192 MP, over the default 180 MP limit, and
    nothing said so before the minutes of rendering."""
    from ..core.errors import StudioError
    from ..core.sizing import SizedUpscaler, check_target, image_size

    refused: list[StudioError | None] = []
    for src, runner in zip(inputs, runners):
        refused.append(None)
        size = image_size(src)
        if size is None or size[0] * size[1] > max_pixels:
            continue  # unreadable or too large an input: the reader says why when it gets there
        sized = isinstance(runner, SizedUpscaler)
        target = runner.target(*size) if sized else (size[0] * runner.scale, size[1] * runner.scale)
        try:
            check_target(*target, max_pixels)
            if sized:
                runner.plan(*size)
        except StudioError as exc:
            hint = f"; {_smaller_hint(size, target, max_pixels)}" if "limit" in str(exc) else ""
            refused[-1] = StudioError(f"{exc}{hint}", src)
    return refused


def _smaller_hint(size: tuple[int, int], target: tuple[int, int], max_pixels: int) -> str:
    """What to ask for instead of an output over the limit: the largest --scale that fits, or a higher limit."""
    import math

    from ..core.sizing import largest_scale

    width, height = size
    raise_it = f"raise --max-megapixels to {math.ceil(target[0] * target[1] / 1e6)}"
    fits = largest_scale(width, height, max_pixels)
    if fits is None:
        return raise_it
    example = f" (--scale 2 gives {width * height * 4 / 1e6:.0f} MP)" if fits >= 2 else ""
    return f"ask for less with --scale {fits:g} or below{example} or --width/--height, or {raise_it}"


def _check_plan(inputs: list[Path], outputs: list[Path]) -> None:
    from ..core.errors import StudioError

    resolved_inputs = {p.resolve() for p in inputs}
    seen: set[Path] = set()
    for dst in outputs:
        r = dst.resolve()
        if r in resolved_inputs:
            raise StudioError("output would overwrite an input; choose another -o", dst)
        if r in seen:
            raise StudioError("two inputs would write the same output; use separate runs or rename", dst)
        seen.add(r)


class ProgressBar:
    """One line on stderr with a bar, tile count and ETA; silent when not a terminal."""

    WIDTH = 28

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.started = time.monotonic()
        self.name = ""
        self._shown = False

    def start(self, name: str) -> None:
        self.name = name
        self.started = time.monotonic()
        self._tiles_started = None
        self._tiles_done_at_start = 0

    def update(self, p) -> None:
        if p.message and p.stage == "tiles":
            self._clear()
            print(f"srgan-studio: {p.message}", file=sys.stderr)
        if not self.enabled or p.stage != "tiles" or not p.total:
            return
        now = time.monotonic()
        if self._tiles_started is None:
            # The first event comes when the first tile is already done: the pace is measured from here, on the
            # tiles after it (counting it with no time gave "ETA 0:00", then half the real time left).
            self._tiles_started, self._tiles_done_at_start = now, p.done
        frac = p.done / p.total
        filled = int(self.WIDTH * frac)
        start = self._tiles_done_at_start
        left = remaining_seconds(now - self._tiles_started, p.done - start, p.total - start)
        eta = f" ETA {format_eta(left)}" if p.done < p.total else ""
        line = f"\r{self.name[:30]} [{'#' * filled}{'-' * (self.WIDTH - filled)}] {p.done}/{p.total} tiles {frac:4.0%}{eta}"
        sys.stderr.write(line.ljust(90)[:120])
        sys.stderr.flush()
        self._shown = True

    def _clear(self) -> None:
        if self._shown:
            sys.stderr.write("\r" + " " * 100 + "\r")
            self._shown = False

    def finish(self) -> None:
        self._clear()
