"""Full-resolution render and write, as a generator for the worker (no Qt)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from ..core.cancel import CancelToken
from ..core.errors import ImageWriteError
from ..core.formats import DEFAULT_QUALITY
from ..core.sizing import SizedUpscaler, SizeSpec


@dataclass(frozen=True)
class SaveOptions:
    path: Path
    format: str | None = None      # None: from the file name
    quality: int = DEFAULT_QUALITY
    keep_metadata: bool = True
    overwrite: bool = False        # only after the user confirmed replacing that file
    size: SizeSpec = field(default_factory=SizeSpec)  # the model's own factor by default


def save_job(upscaler, image, options: SaveOptions, cancel: CancelToken) -> Generator[object, None, Path]:
    """Render ``image`` through ``upscaler`` at full resolution, then write it atomically."""
    from ..core.imageio import write_image
    from ..core.upscale import Progress

    source = image.meta.source
    if source is not None and Path(options.path).resolve() == Path(source).resolve():
        raise ImageWriteError("is the input image; choose another name (inputs are never overwritten)", options.path)
    if not options.size.is_native:
        upscaler = SizedUpscaler(upscaler, options.size)
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
