"""Tiled upscaling as a generator: yields Progress per tile, returns the Image.

Memory: the uint8/uint16 output buffer plus one tile's float input, float
output and the model's activations; no whole-image float array ever exists.
Each tile's core goes straight into the output buffer (see tiling.py for why
cropping is exact), so a region render, an out-of-memory re-split and a full
render agree.

One session per (model, device, threads, precision, engine) is shared by
every Upscaler in the process (runtime.shared_session): preview, save and
batch compile a model once. The tile size is an argument of ``run()``, not
part of that session.

Grey images run through the model as grey replicated to RGB and come back
grey (the channel mean). Alpha goes through the model the same way
(``alpha_mode="model"``) or through bicubic, and is never dropped.

``ensemble`` > 1 runs each tile that many times, flipped and transposed, and
averages the outputs in float before quantising (ensemble.py); bicubic is
symmetric already, so it always runs once.
"""

from __future__ import annotations

import collections
import time
import warnings
from collections.abc import Generator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from . import formats
from .cancel import NEVER, CancelToken
from .descriptor import ModelDescriptor
from .ensemble import check_passes, self_ensemble
from .errors import ImageWriteError, ModelError, StudioError
from .imageio import DEFAULT_MAX_PIXELS, Image, read_image, write_image
from .progress import drive as drain  # noqa: F401 - the name the engine's callers use
from .tiling import DEFAULT_OVERLAP, DEFAULT_TILE, MIN_TILE, Tile, intersect, plan_box, plan_tiles, tiles_for_region

ALPHA_MODES = ("model", "bicubic")
BICUBIC_TILE = 1024
GPU_TILE = 512


@dataclass
class Progress:
    done: int
    total: int
    stage: str  # "read", "tiles", "write"
    message: str = ""  # something to tell the user (e.g. a device fallback)
    box: tuple | None = None  # the LR box just finished (x0, y0, x1, y1), for partial painting

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


class _Bicubic:
    """Pillow bicubic as a tile runner (float in, float out, per channel)."""

    device = "cpu"

    def __init__(self, scale: int):
        self.scale = scale

    def __call__(self, x: np.ndarray) -> np.ndarray:
        from PIL import Image as PILImage

        h, w, c = x.shape
        size = (w * self.scale, h * self.scale)
        planes = [
            np.asarray(PILImage.fromarray(np.ascontiguousarray(x[..., i]), mode="F").resize(size, PILImage.BICUBIC))
            for i in range(c)
        ]
        return np.stack(planes, axis=2)


class Upscaler:
    def __init__(
        self,
        descriptor: ModelDescriptor,
        *,
        device: str = "auto",
        threads: int = 0,
        tile: int = 0,
        overlap: int | None = None,
        alpha_mode: str = "model",
        session=None,
        precision: str = "auto",
        engine: str = "auto",
        ensemble: int = 1,
    ):
        if alpha_mode not in ALPHA_MODES:
            raise StudioError(f"alpha mode must be one of {ALPHA_MODES}, not {alpha_mode!r}")
        if tile and tile < MIN_TILE:
            raise StudioError(f"tile size must be 0 (automatic) or at least {MIN_TILE}, not {tile}")
        if overlap is not None and overlap < 0:
            raise StudioError(f"overlap must be >= 0, not {overlap}")
        self.ensemble = check_passes(ensemble)
        self.descriptor = descriptor
        self.device = device
        self.threads = threads
        self.precision = precision
        self.engine = engine
        self.alpha_mode = alpha_mode
        self._tile = int(tile)
        self._overlap = overlap
        self._session = session
        self._bicubic = _Bicubic(descriptor.scale)

    # ------------------------------------------------------------ settings

    @property
    def scale(self) -> int:
        return self.descriptor.scale

    @property
    def is_bicubic(self) -> bool:
        return self.descriptor.kind == "bicubic"

    @property
    def session(self):
        if self.is_bicubic:
            return None
        if self._session is None:
            self._session = self._shared(device=self.device, precision=self.precision)
        return self._session

    def _shared(self, *, device: str, precision: str):
        from .runtime import shared_session

        path = self.descriptor.model_path
        if path is None:
            raise ModelError(f"model {self.descriptor.name!r} names no model file", self.descriptor.source_path or None)
        # The descriptor's fp16 flag is its permission for reduced precision (see runtime/precision.py).
        return shared_session(
            path,
            device=device,
            threads=self.threads,
            precision=precision,
            engine=self.engine,
            reduced_ok=self.descriptor.fp16,
        )

    @property
    def tile(self) -> int:
        """The tile size ``run()`` uses when it is given none."""
        if self._tile:
            return self._tile
        if self.is_bicubic:
            return BICUBIC_TILE
        session = self.session
        if session is not None and session.device != "cpu":
            return GPU_TILE  # VRAM is not measured: the out-of-memory split is the guard there
        from .tile_memory import auto_tile, bytes_per_padded_pixel, free_memory_bytes

        per_pixel = bytes_per_padded_pixel(getattr(session, "engine", ""), getattr(session, "precision", "fp32"))
        return auto_tile(DEFAULT_TILE, self.overlap, per_pixel, free_memory_bytes())

    @property
    def overlap(self) -> int:
        if self._overlap is not None:
            return self._overlap
        return self.descriptor.receptive_field or DEFAULT_OVERLAP

    def plan(self, height: int, width: int, tile: int | None = None) -> list[Tile]:
        return plan_tiles(height, width, tile or self.tile, self.overlap)

    # ------------------------------------------------------------ running

    def run(
        self,
        image: Image,
        cancel: CancelToken = NEVER,
        region: tuple[int, int, int, int] | None = None,
        tile: int | None = None,
    ) -> Generator[Progress, None, Image]:
        """Upscale ``image`` (or only ``region`` of it) in tiles of ``tile`` px (default: ``self.tile``)."""
        if tile and tile < MIN_TILE:
            raise StudioError(f"tile size must be 0 (automatic) or at least {MIN_TILE}, not {tile}")
        h, w, s = image.height, image.width, self.scale
        full = (0, 0, w, h)
        if region is None:
            region = full
        else:
            region = tuple(int(v) for v in region)
            if intersect(region, full) != region:
                raise StudioError(f"region {region} is not inside the {w}x{h} image")
        tiles = tiles_for_region(self.plan(h, w, tile), region)
        rx0, ry0, rx1, ry1 = region
        out_color = np.empty(((ry1 - ry0) * s, (rx1 - rx0) * s, image.color.shape[2]), image.color.dtype)
        out_alpha = None if image.alpha is None else np.empty(out_color.shape[:2], image.alpha.dtype)

        queue = collections.deque(tiles)
        total, done = len(tiles), 0
        notice = "" if self.is_bicubic else _take_notice(self.session)
        if notice:  # a fallback (no OpenVINO, no bf16): said once per session, as progress, not also as a warning
            yield Progress(done, total, "tiles", message=notice)
        while queue:
            cancel.raise_if_cancelled()
            t = queue.popleft()
            try:
                self._tile_into(t, image, region, out_color, out_alpha, cancel)
            except Exception as exc:  # noqa: BLE001 - only out-of-memory is handled here
                from .runtime import is_out_of_memory

                if not is_out_of_memory(exc):
                    raise
                before = len(queue)
                message = self._recover_from_oom(t, queue, h, w)
                total += len(queue) - before - 1  # the failed tile was replaced by its pieces
                warnings.warn(message, RuntimeWarning, stacklevel=2)
                yield Progress(done, total, "tiles", message=message)
                continue
            done += 1
            yield Progress(done, total, "tiles", box=intersect(t.core, region))
        return Image(out_color, out_alpha, replace(image.meta))

    def _recover_from_oom(self, t: Tile, queue: collections.deque, h: int, w: int) -> str:
        """Split the failed tile; when it is already small, move to the CPU; on the CPU, give up."""
        side = max(t.x1 - t.x0, t.y1 - t.y0)
        if side // 2 >= MIN_TILE:
            for sub in reversed(plan_box(t.core, h, w, side // 2, self.overlap)):
                queue.appendleft(sub)
            return f"out of memory; retrying with {side // 2} px tiles"
        session = self.session
        if session is not None and session.device != "cpu":
            self._session = self._shared(device="cpu", precision="auto")
            queue.appendleft(t)
            return "GPU out of memory even with small tiles; continuing on the CPU (slower)"
        raise StudioError("not enough memory to upscale even with the smallest tiles")

    def _tile_into(
        self, t: Tile, image: Image, region, out_color: np.ndarray, out_alpha: np.ndarray | None, cancel=NEVER
    ) -> None:
        keep = intersect(t.core, region)
        if keep is None:
            return
        s = self.scale
        # Where the kept box sits inside the model output, and inside the result buffer.
        src = (slice((keep[1] - t.py0) * s, (keep[3] - t.py0) * s), slice((keep[0] - t.px0) * s, (keep[2] - t.px0) * s))
        dst = (
            slice((keep[1] - region[1]) * s, (keep[3] - region[1]) * s),
            slice((keep[0] - region[0]) * s, (keep[2] - region[0]) * s),
        )
        rows, cols = slice(t.py0, t.py1), slice(t.px0, t.px1)

        y = self._plane(image.color[rows, cols], bicubic=self.is_bicubic, cancel=cancel)
        out_color[dst] = _quantize(y[src], out_color.dtype)
        if out_alpha is not None:
            a = image.alpha[rows, cols][..., None]
            ya = self._plane(a, bicubic=self.is_bicubic or self.alpha_mode == "bicubic", cancel=cancel)
            out_alpha[dst] = _quantize(ya[src][..., 0], out_alpha.dtype)

    def _plane(self, arr: np.ndarray, bicubic: bool, cancel: CancelToken = NEVER) -> np.ndarray:
        """Upscale one integer HWC block; float result, or uint8 straight from Pillow for 8-bit bicubic."""
        if bicubic and arr.dtype == np.uint8:
            # Pillow's own 8-bit path, so "Bicubic" here is exactly what Pillow (and other apps) produce.
            from PIL import Image as PILImage

            h, w, c = arr.shape
            im = PILImage.fromarray(arr[..., 0] if c == 1 else np.ascontiguousarray(arr))
            out = np.asarray(im.resize((w * self.scale, h * self.scale), PILImage.BICUBIC))
            return out.reshape(h * self.scale, w * self.scale, c)
        x = _to_float(arr)
        if bicubic:
            return self._bicubic(x)
        return self_ensemble(lambda v: self._infer(v, want=v.shape[2]), x, self.ensemble, cancel)

    def _infer(self, x: np.ndarray, want: int) -> np.ndarray:
        """Float HWC in [0,1] -> float HWC upscaled, with ``want`` channels (1 = grey)."""
        if self.is_bicubic:
            return self._bicubic(x)
        session = self.session
        c_in = self.descriptor.in_channels
        if c_in == 3 and x.shape[2] == 1:
            x = np.repeat(x, 3, axis=2)
        if c_in == 1 and x.shape[2] == 3:
            y = np.concatenate([self._infer(x[..., i : i + 1], 1) for i in range(3)], axis=2)
            return y
        h, w = x.shape[:2]
        m = max(1, self.descriptor.pad_multiple)
        ph, pw = -h % m, -w % m
        if ph or pw:
            x = np.pad(x, ((0, ph), (0, pw), (0, 0)), mode="reflect" if min(h, w) > max(ph, pw) else "edge")
        y = session.run(x.transpose(2, 0, 1)[None])
        if not np.isfinite(y).all():
            y = self._retry_fp32(x, y)
        y = y[0, :, : h * self.scale, : w * self.scale].transpose(1, 2, 0)
        if want == 1 and y.shape[2] != 1:
            y = y.mean(axis=2, keepdims=True)
        return y

    def _retry_fp32(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        # Reduced-precision overflow gives NaN -> black output (Real-ESRGAN #632): redo this model in fp32.
        session = self.session
        if getattr(session, "precision", "fp32") == "fp32":
            raise ModelError("model produced NaN or infinite values", session.model_path)
        warnings.warn(f"{session.precision} overflowed; switching this model to fp32", RuntimeWarning, stacklevel=3)
        self._session = self._shared(device=session.device, precision="fp32")
        return self._session.run(x.transpose(2, 0, 1)[None])


def _take_notice(session) -> str:
    take = getattr(session, "take_notice", None)  # test doubles and user sessions may have none
    return take() if take else ""


def _to_float(arr: np.ndarray) -> np.ndarray:
    peak = 65535.0 if arr.dtype == np.uint16 else 255.0
    return arr.astype(np.float32) * np.float32(1.0 / peak)


def _quantize(y: np.ndarray, dtype) -> np.ndarray:
    if y.dtype == dtype:
        return y
    peak = 65535.0 if dtype == np.uint16 else 255.0
    return np.clip(y * np.float32(peak) + np.float32(0.5), 0, peak).astype(dtype)


# ---------------------------------------------------------------- files


def default_output_path(input_path: str | Path, scale: int | str, fmt: str | None = None) -> Path:
    """``<name>_x4.<ext>`` beside the input; same format as the input unless ``fmt`` (BMP -> PNG).

    ``scale`` is the model's factor, or the size tag of ``sizing.SizeSpec.tag`` (``x2``, ``3000w``).
    """
    tag = scale if isinstance(scale, str) else f"x{scale}"
    p = Path(input_path)
    return p.with_name(formats.output_name(p, tag, formats.output_format(formats.from_suffix(p), fmt)))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and a.exists() and a.samefile(b))
    except OSError:
        return False


def upscale_file(
    input_path: str | Path,
    output_path: str | Path,
    upscaler: Upscaler,
    *,
    format: str | None = None,  # noqa: A002 - public name in the contract
    quality: int = formats.DEFAULT_QUALITY,
    keep_metadata: bool = True,
    cancel: CancelToken = NEVER,
    overwrite: bool = False,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
) -> Generator[Progress, None, Path]:
    """Read, upscale, write (DPI scaled by the final factor). Never writes over the input.

    ``upscaler`` is an Upscaler or a ``sizing.SizedUpscaler`` (any output size).
    """
    src, dst = Path(input_path), Path(output_path)
    if _same_file(src, dst):
        raise ImageWriteError(f"output is the input file {src}; refusing to overwrite an input", dst)
    if dst.exists() and not overwrite:
        raise ImageWriteError("already exists; refusing to overwrite it (use --overwrite)", dst)
    started = time.monotonic()
    yield Progress(0, 1, "read", message=str(src))
    image = read_image(src, max_pixels=max_pixels)
    cancel.raise_if_cancelled()
    result = yield from upscaler.run(image, cancel)
    cancel.raise_if_cancelled()
    yield Progress(0, 1, "write", message=str(dst))
    path = write_image(
        result,
        dst,
        format=format,
        quality=quality,
        keep_metadata=keep_metadata,
        dpi_scale=result.width / image.width,
        overwrite=overwrite,
    )
    yield Progress(1, 1, "write", message=f"{dst} in {time.monotonic() - started:.1f}s")
    return path
