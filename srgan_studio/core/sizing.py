"""Any output size: a factor from 1 to 16, a target width or height, or a box to fit in.

How a size is reached (``SizedUpscaler``):

1. The model runs as many times as needed: one pass up to its factor, a
   second pass on the first's output for larger factors (tiled like any
   input), and so on. A factor below the model's always comes from the
   model's output, never from bicubic on the input.
2. The result is resampled to the exact size with Pillow's LANCZOS and
   ``reducing_gap`` (which box-averages first for large reductions), so a
   reduction is antialiased. Alpha is premultiplied while resampling, so
   transparent pixels do not bleed their colour into the edges; 16-bit images
   are resampled as float planes and stay 16-bit; grey stays grey.

The output's DPI follows the final factor (callers pass
``result.width / input.width``). Output names carry the size: ``photo_x2.jpg``,
``photo_3000w.jpg``, ``photo_3000x2000.jpg``; without a size, the model's own
factor as before (``photo_x4.jpg``).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, replace

import numpy as np

from .cancel import NEVER, CancelToken
from .errors import StudioError
from .imageio import DEFAULT_MAX_PIXELS, Image
from .progress import relay

MIN_SCALE = 1.0
MAX_SCALE = 16.0
REDUCING_GAP = 3.0


@dataclass(frozen=True)
class SizeSpec:
    """What the user asked for; all None = the model's own factor."""

    scale: float | None = None
    width: int | None = None
    height: int | None = None

    def __post_init__(self):
        if self.scale is not None:
            if self.width is not None or self.height is not None:
                raise StudioError("give either a scale or a width/height, not both")
            if not MIN_SCALE <= self.scale <= MAX_SCALE or not math.isfinite(self.scale):
                raise StudioError(f"scale must be between {MIN_SCALE:g} and {MAX_SCALE:g}, not {self.scale:g}")
        for name, value in (("width", self.width), ("height", self.height)):
            if value is not None and value < 1:
                raise StudioError(f"{name} must be at least 1 pixel, not {value}")

    @property
    def is_native(self) -> bool:
        return self.scale is None and self.width is None and self.height is None

    def target(self, width: int, height: int, model_scale: int) -> tuple[int, int]:
        """The exact output size for a ``width`` x ``height`` input."""
        if self.is_native:
            return width * model_scale, height * model_scale
        if self.scale is not None:
            return _round(width * self.scale), _round(height * self.scale)
        if self.width is not None and self.height is not None:
            factor = min(self.width / width, self.height / height)
            return min(self.width, _round(width * factor)), min(self.height, _round(height * factor))
        if self.width is not None:
            return self.width, _round(height * self.width / width)
        return _round(width * self.height / height), self.height

    def tag(self, model_scale: int) -> str:
        """The size part of an output name: ``x4``, ``x2``, ``x2.5``, ``3000w``, ``2000h``, ``3000x2000``."""
        if self.is_native:
            return f"x{model_scale}"
        if self.scale is not None:
            return f"x{self.scale:g}"
        if self.width is not None and self.height is not None:
            return f"{self.width}x{self.height}"
        return f"{self.width}w" if self.width is not None else f"{self.height}h"

    def describe(self) -> str:
        """For settings and reports: the same text as the name tag, or "model" for the model's own factor."""
        return "model" if self.is_native else self.tag(0)


def _round(x: float) -> int:
    """Half up, never below one pixel (Python's round() would take 7.5 to 8 but 2.5 to 2)."""
    return max(1, math.floor(x + 0.5))


def passes_needed(factor: float, model_scale: int) -> int:
    """Fewest model passes whose combined factor reaches ``factor`` (at least one)."""
    if model_scale <= 1:
        return 1
    passes, reached = 1, model_scale
    while reached < factor - 1e-9:
        passes += 1
        reached *= model_scale
    return passes


def check_target(width: int, height: int, max_pixels: int | None, name: str = "output") -> None:
    limit = max_pixels or DEFAULT_MAX_PIXELS
    if width * height > limit:
        raise StudioError(
            f"{name} of {width}x{height} ({width * height / 1e6:.3g} MP) would exceed the "
            f"{limit / 1e6:g} MP limit (--max-megapixels)"
        )


def largest_scale(width: int, height: int, max_pixels: int | None) -> float | None:
    """The largest factor, in steps of 0.1, whose output stays within ``max_pixels``; None below 1.

    For the error that refuses a size: it tells the user what they can ask for instead."""
    limit = max_pixels or DEFAULT_MAX_PIXELS
    factor = min(MAX_SCALE, math.floor(math.sqrt(limit / (width * height)) * 10) / 10)
    # target() rounds each side half up, which can tip a product that fits on paper over the limit.
    while factor >= MIN_SCALE and _round(width * factor) * _round(height * factor) > limit:
        factor = round(factor - 0.1, 1)
    return factor if factor >= MIN_SCALE else None


def image_size(path) -> tuple[int, int] | None:
    """(width, height) as the reader will deliver it (EXIF rotation applied), from the header only.

    None when the file cannot be opened: the reader reports why when it gets there.
    """
    from PIL import Image as PILImage

    try:
        with PILImage.open(path) as im:
            width, height = im.size
            rotated = im.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    except Exception:  # noqa: BLE001 - any failure here is the reader's to report
        return None
    return (height, width) if rotated else (width, height)


class SizedUpscaler:
    """An ``Upscaler`` that delivers ``spec``'s size: model passes, then one antialiased resample.

    ``run`` has the Upscaler's contract (a generator yielding Progress per
    tile, with cancel points; returns the Image), so the batch, the CLI and
    the GUI save job use either one.
    """

    def __init__(self, upscaler, spec: SizeSpec, max_pixels: int | None = None):
        self.upscaler = upscaler
        self.spec = spec
        self.max_pixels = max_pixels

    @property
    def descriptor(self):
        return self.upscaler.descriptor

    @property
    def scale(self) -> int:
        return self.upscaler.scale

    def target(self, width: int, height: int) -> tuple[int, int]:
        return self.spec.target(width, height, self.upscaler.scale)

    def plan(self, width: int, height: int) -> tuple[tuple[int, int], int]:
        """(target size, model passes) for an input; raises when the target breaks the limit."""
        tw, th = self.target(width, height)
        check_target(tw, th, self.max_pixels)
        factor = max(tw / width, th / height)
        if factor > MAX_SCALE + 1e-9:
            raise StudioError(f"{tw}x{th} from {width}x{height} is a factor of {factor:.1f}; at most {MAX_SCALE:g}")
        return (tw, th), passes_needed(factor, self.upscaler.scale)

    def run(self, image: Image, cancel: CancelToken = NEVER) -> Generator:
        from .upscale import Progress

        (tw, th), passes = self.plan(image.width, image.height)
        s = self.upscaler.scale
        # Every pass's tiles are known up front, so the progress bar runs once from 0 to 100%.
        totals = [len(self.upscaler.plan(image.height * s**i, image.width * s**i)) for i in range(passes)]
        offset = 0
        for i in range(passes):

            def overall(p, i=i, offset=offset):
                total = sum(totals) + p.total - totals[i]  # an out-of-memory split adds tiles
                yield Progress(offset + p.done, total, p.stage, p.message, p.box if i == 0 else None)

            image = yield from relay(self.upscaler.run(image, cancel), overall)
            offset += totals[i]
        cancel.raise_if_cancelled()
        return resample(image, tw, th)


def resample(image: Image, width: int, height: int) -> Image:
    """``image`` at exactly ``width`` x ``height``: LANCZOS with reducing_gap; alpha premultiplied."""
    if (image.width, image.height) == (width, height):
        return image
    if image.alpha is None and image.color.dtype == np.uint8:
        color = _resize_uint8(image.color, width, height)
        return Image(color, None, replace(image.meta))
    peak = 65535.0 if image.color.dtype == np.uint16 else 255.0
    color = image.color.astype(np.float32) / np.float32(peak)
    if image.alpha is None:
        out = _resize_float(color, width, height)
        return Image(_quantize(out, image.color.dtype, peak), None, replace(image.meta))
    alpha = image.alpha.astype(np.float32)[..., None] / np.float32(peak)
    planes = _resize_float(np.concatenate([color * alpha, alpha], axis=2), width, height)
    out_alpha = np.clip(planes[..., -1:], 0.0, 1.0)
    # Where the resampled alpha is ~0 the colour does not matter; avoid dividing by it.
    out_color = np.where(out_alpha > 1e-6, planes[..., :-1] / np.maximum(out_alpha, 1e-6), 0.0)
    return Image(
        _quantize(out_color, image.color.dtype, peak),
        _quantize(out_alpha[..., 0], image.alpha.dtype, peak),
        replace(image.meta),
    )


def _resize_uint8(color: np.ndarray, width: int, height: int) -> np.ndarray:
    from PIL import Image as PILImage

    c = color.shape[2]
    im = PILImage.fromarray(color[..., 0] if c == 1 else np.ascontiguousarray(color))
    out = np.asarray(im.resize((width, height), PILImage.LANCZOS, reducing_gap=REDUCING_GAP))
    return out.reshape(height, width, c)


def _resize_float(x: np.ndarray, width: int, height: int) -> np.ndarray:
    from PIL import Image as PILImage

    planes = [
        np.asarray(
            PILImage.fromarray(np.ascontiguousarray(x[..., i], dtype=np.float32)).resize(
                (width, height), PILImage.LANCZOS, reducing_gap=REDUCING_GAP
            )
        )
        for i in range(x.shape[2])
    ]
    return np.stack(planes, axis=2)


def _quantize(x: np.ndarray, dtype, peak: float) -> np.ndarray:
    return np.clip(x * np.float32(peak) + np.float32(0.5), 0, peak).astype(dtype)
