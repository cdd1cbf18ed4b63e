"""Full-resolution render and write, as a generator for the worker (no Qt)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.cancel import CancelToken
from ..core.errors import ImageWriteError
from ..core.formats import DEFAULT_QUALITY
from ..core.progress import relay
from ..core.sizing import SizedUpscaler, SizeSpec
from .render_slot import BLOCK, RenderTarget

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class SaveOptions:
    path: Path
    format: str | None = None  # None: from the file name
    quality: int = DEFAULT_QUALITY
    keep_metadata: bool = True
    overwrite: bool = False  # only after the user confirmed replacing that file
    size: SizeSpec = field(default_factory=SizeSpec)  # the model's own factor by default
    max_pixels: int | None = None  # Settings › Largest input, for the output too (None: the default limit)


LIMIT_PLACE = "Settings › Largest input"


def over_limit(size: tuple[int, int], max_pixels: int | None) -> str:
    """'' when a ``size`` output fits, else why not, in the app's words (the core's names a CLI flag)."""
    from ..core.imageio import DEFAULT_MAX_PIXELS

    limit = max_pixels or DEFAULT_MAX_PIXELS
    w, h = size
    if w * h <= limit:
        return ""
    return f"{w} × {h} px ({w * h / 1e6:.1f} MP) is over the {limit / 1e6:g} MP limit ({LIMIT_PLACE}); choose a smaller Size"


@dataclass(frozen=True)
class PreviewBlocks:
    """The preview's finished full-detail blocks of the image being saved, for the save to reuse."""

    canvas: np.ndarray  # uint8 HxWx3 at the model's scale
    done: list[tuple[int, int, int, int]]  # input-pixel boxes whose canvas pixels are final
    missing: list[tuple[int, int, int, int]]  # the rest, still to render

    @classmethod
    def snapshot(cls, target: RenderTarget, image) -> PreviewBlocks | None:
        """The reusable part of ``target``, or None when its canvas is not the saved pixels.

        The canvas holds display pixels: for an 8-bit RGB image without alpha they are the model's
        output itself; grey, 16-bit and transparent images are rendered again at full fidelity.
        """
        import numpy as np

        if image.color.dtype != np.uint8 or image.color.shape[2] != 3 or image.alpha is not None:
            return None
        if (target.in_w, target.in_h) != (image.width, image.height):
            return None
        done = target.done.copy()  # before the canvas: a block marked done has its pixels already pasted
        canvas = target.canvas.copy()
        boxes = [(by, bx) for by in range(done.shape[0]) for bx in range(done.shape[1])]
        if not done.any():
            return None
        return cls(
            canvas,
            [target.block_box(*b) for b in boxes if done[b]],
            [target.block_box(*b) for b in boxes if not done[b]],
        )


def _reuse_preview(upscaler, image, blocks: PreviewBlocks, cancel: CancelToken) -> Generator[object, None, object]:
    """The full render from the preview's finished blocks, rendering only the missing ones.

    Missing blocks go through the engine with the preview's tile size, so every block is computed
    exactly as the preview would have computed it (one engine tile per block)."""
    from ..core.imageio import Image
    from ..core.upscale import Progress

    out, s = blocks.canvas, upscaler.scale
    total = len(blocks.missing)
    yield Progress(0, total, "tiles", f"reusing {len(blocks.done)} finished preview blocks")
    for i, box in enumerate(blocks.missing):
        cancel.raise_if_cancelled()
        part = yield from relay(upscaler.run(image, cancel=cancel, region=box, tile=BLOCK), lambda p: ())
        x0, y0, x1, y1 = box
        out[y0 * s : y1 * s, x0 * s : x1 * s] = part.color
        yield Progress(i + 1, total, "tiles")
    return Image(out, None, replace(image.meta))


def save_job(
    upscaler, image, options: SaveOptions, cancel: CancelToken, preview: PreviewBlocks | None = None
) -> Generator[object, None, Path]:
    """Render ``image`` through ``upscaler`` at full resolution, then write it atomically.

    With ``preview`` (the panes' finished blocks of this image and model) only the blocks the
    preview has not finished are computed: a save right after a finished preview only writes."""
    from ..core.imageio import write_image
    from ..core.upscale import Progress

    source = image.meta.source
    if source is not None and Path(options.path).resolve() == Path(source).resolve():
        raise ImageWriteError("is the input image; choose another name (inputs are never overwritten)", options.path)
    # Before any tile: a 12 MP photo at x4 is 192 MP, minutes of rendering, over the default limit.
    problem = over_limit(options.size.target(image.width, image.height, upscaler.scale), options.max_pixels)
    if problem:
        raise ImageWriteError(problem, options.path)
    if preview is not None and options.size.is_native:
        result = yield from _reuse_preview(upscaler, image, preview, cancel)
    else:
        if not options.size.is_native:
            upscaler = SizedUpscaler(upscaler, options.size, options.max_pixels)
        result = yield from upscaler.run(image, cancel=cancel)
    cancel.raise_if_cancelled()
    yield Progress(1, 1, "write", f"writing {Path(options.path).name}")
    scale = result.width / max(1, image.width)
    return write_image(
        result,
        options.path,
        format=options.format,
        quality=options.quality,
        keep_metadata=options.keep_metadata,
        dpi_scale=scale,
        overwrite=options.overwrite,
    )
