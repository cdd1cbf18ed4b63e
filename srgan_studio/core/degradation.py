"""Real-world degradation: Real-ESRGAN's second-order model, torch-free.

Turns a clean HR image into the kind of LR photo people actually have: blurred,
resized, noisy and JPEG-compressed, twice over (Real-ESRGAN,
``options/train_realesrgan_x4plus.yml`` and ``realesrgan_model.py``):

    stage 1: blur -> random resize -> Gaussian/Poisson noise -> JPEG
    stage 2 (with ``second_stage_prob``): blur -> resize near the LR size -> noise
    final:   [resize to LR + sinc] then JPEG, or JPEG then [resize to LR + sinc], 50/50

It lives in core (numpy + Pillow) so the trainer, ``srgan-studio eval
--degradation``, the fine-tune presets and the app's held-out scoring share one
implementation. Every draw comes from the caller's generator, so a batch stays a
pure function of (seed, step).

Field names follow Real-ESRGAN's options (a trailing 2 = stage 2) so its users
recognise them; they are the keys of a recipe's ``[degradation]`` table.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from .degradation_kernels import KERNEL_TYPES, convolve, random_blur_kernel, sinc_kernel

RESIZE_MODES = {"area": Image.BOX, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}
MAX_KERNEL = 31


def _pair(a: float, b: float) -> list[float]:
    return field(default_factory=lambda: [a, b])


@dataclass(frozen=True)
class DegradationConfig:
    # stage 1 (on the HR image)
    blur_prob: float = 1.0
    kernel_range: list[int] = _pair(7, 21)
    kernel_prob: list[float] = field(default_factory=lambda: [0.45, 0.25, 0.12, 0.03, 0.12, 0.03])
    sinc_prob: float = 0.1
    blur_sigma: list[float] = _pair(0.2, 3.0)
    betag_range: list[float] = _pair(0.5, 4.0)
    betap_range: list[float] = _pair(1.0, 2.0)
    resize_prob: list[float] = field(default_factory=lambda: [0.2, 0.7, 0.1])  # up, down, keep
    resize_range: list[float] = _pair(0.15, 1.5)
    gaussian_noise_prob: float = 0.5
    noise_range: list[float] = _pair(1.0, 30.0)  # sigma in 8-bit levels
    poisson_scale_range: list[float] = _pair(0.05, 3.0)
    gray_noise_prob: float = 0.4
    noise_prob: float = 1.0
    jpeg_prob: float = 1.0
    jpeg_range: list[int] = _pair(30, 95)
    # stage 2 (around the LR size)
    second_stage_prob: float = 1.0
    blur_prob2: float = 0.8
    kernel_range2: list[int] = _pair(7, 21)
    kernel_prob2: list[float] = field(default_factory=lambda: [0.45, 0.25, 0.12, 0.03, 0.12, 0.03])
    sinc_prob2: float = 0.1
    blur_sigma2: list[float] = _pair(0.2, 1.5)
    betag_range2: list[float] = _pair(0.5, 4.0)
    betap_range2: list[float] = _pair(1.0, 2.0)
    resize_prob2: list[float] = field(default_factory=lambda: [0.3, 0.4, 0.3])
    resize_range2: list[float] = _pair(0.3, 1.2)
    gaussian_noise_prob2: float = 0.5
    noise_range2: list[float] = _pair(1.0, 25.0)
    poisson_scale_range2: list[float] = _pair(0.05, 2.5)
    gray_noise_prob2: float = 0.4
    noise_prob2: float = 1.0
    # the final step
    final_sinc_prob: float = 0.8
    final_resize_modes: list[str] = field(default_factory=lambda: ["area", "bilinear", "bicubic"])
    jpeg_prob2: float = 1.0
    jpeg_range2: list[int] = _pair(30, 95)
    # the HR target: unsharp-masked as Real-ESRGAN does (measured: see MODEL_CARD)
    usm_target: bool = False

    @property
    def is_clean(self) -> bool:
        """A plain bicubic downscale: no blur, noise, JPEG or resize draws."""
        return (
            self.blur_prob == 0
            and self.noise_prob == 0
            and self.jpeg_prob == 0
            and self.resize_prob[2] == 1
            and self.second_stage_prob == 0
            and self.final_sinc_prob == 0
            and self.jpeg_prob2 == 0
            and self.final_resize_modes == ["bicubic"]
            and not self.usm_target
        )

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


CLEAN = DegradationConfig(
    blur_prob=0.0,
    resize_prob=[0.0, 0.0, 1.0],
    noise_prob=0.0,
    jpeg_prob=0.0,
    second_stage_prob=0.0,
    final_sinc_prob=0.0,
    final_resize_modes=["bicubic"],
    jpeg_prob2=0.0,
)

# Real-ESRGAN x4plus's values are for a 16.7M-parameter RRDBNet on 256 px crops; an SRResNet of 1.5M
# parameters on 96 px crops learns a milder world best. "photo" is that milder world: the phone and web
# JPEGs, small-sensor noise and soft lenses of ordinary photos.
PRESETS: dict[str, DegradationConfig] = {
    "clean": CLEAN,
    "realesrgan": DegradationConfig(),
    "photo": DegradationConfig(
        blur_prob=0.7,
        blur_sigma=[0.2, 2.0],
        resize_prob=[0.2, 0.5, 0.3],
        resize_range=[0.5, 1.5],
        noise_range=[1.0, 12.0],
        poisson_scale_range=[0.05, 1.0],
        jpeg_prob=0.5,
        jpeg_range=[50, 95],
        second_stage_prob=0.4,
        blur_prob2=0.5,
        blur_sigma2=[0.2, 1.0],
        resize_range2=[0.7, 1.2],
        noise_prob2=0.6,
        noise_range2=[1.0, 6.0],
        poisson_scale_range2=[0.05, 0.5],
        final_sinc_prob=0.3,
        jpeg_prob2=0.9,
        jpeg_range2=[35, 90],
    ),
    # A phone or web JPEG: a little sensor noise, then compression, no blur.
    "phone_jpeg": dataclasses.replace(
        CLEAN,
        noise_prob=0.3,
        gaussian_noise_prob=1.0,
        noise_range=[1.0, 4.0],
        gray_noise_prob=0.0,
        jpeg_prob2=0.9,
        jpeg_range2=[60, 92],
    ),
    # A scanned print: a soft lens and paper grain, then a scanner's JPEG.
    "old_print": dataclasses.replace(
        CLEAN,
        blur_prob=0.8,
        kernel_prob=[1, 0, 0, 0, 0, 0],
        sinc_prob=0.0,
        blur_sigma=[0.4, 1.6],
        noise_prob=0.8,
        gaussian_noise_prob=1.0,
        noise_range=[2.0, 10.0],
        gray_noise_prob=0.5,
        jpeg_prob2=0.6,
        jpeg_range2=[50, 90],
    ),
}


class DegradationError(ValueError):
    """An impossible setting; the message names the key."""


def config_from(preset: str, overrides: dict[str, Any] | None = None) -> DegradationConfig:
    """The named preset with ``overrides`` applied, checked; errors name the key."""
    if preset not in PRESETS:
        raise DegradationError(f"degradation preset must be one of {sorted(PRESETS)}, not {preset!r}")
    known = {f.name: f for f in dataclasses.fields(DegradationConfig)}
    values: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        if key not in known:
            raise DegradationError(f"degradation.{key} is not a known key (known: {', '.join(sorted(known))})")
        values[key] = _coerce(key, value, getattr(PRESETS[preset], key))
    config = dataclasses.replace(PRESETS[preset], **values)
    check(config)
    return config


def _coerce(key: str, value: Any, like: Any) -> Any:
    where = f"degradation.{key}"
    if isinstance(like, bool):
        if not isinstance(value, bool):
            raise DegradationError(f"{where} must be true or false, not {value!r}")
        return value
    if isinstance(like, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DegradationError(f"{where} must be a number, not {value!r}")
        return float(value)
    if not isinstance(value, list) or len(value) != len(like):
        raise DegradationError(f"{where} must be a list of {len(like)} values, not {value!r}")
    if like and isinstance(like[0], str):
        return value
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value):
        raise DegradationError(f"{where} must hold numbers, not {value!r}")
    return [int(v) if isinstance(like[0], int) and float(v).is_integer() else v for v in value]


def check(c: DegradationConfig) -> None:
    """Raise DegradationError naming the first impossible value."""

    def need(ok: bool, key: str, what: str) -> None:
        if not ok:
            raise DegradationError(f"degradation.{key} {what}, not {getattr(c, key)!r}")

    for f in dataclasses.fields(c):
        if "_prob" in f.name and isinstance(getattr(c, f.name), float):
            need(0.0 <= getattr(c, f.name) <= 1.0, f.name, "must be a probability in [0, 1]")
    for key in ("kernel_prob", "kernel_prob2", "resize_prob", "resize_prob2"):
        v = getattr(c, key)
        need(all(p >= 0 for p in v) and sum(v) > 0, key, "must be non-negative weights with a positive sum")
    for key in ("kernel_range", "kernel_range2"):
        lo, hi = getattr(c, key)
        need(lo % 2 == 1 and hi % 2 == 1, key, "must hold odd kernel sizes")
        need(3 <= lo <= hi <= MAX_KERNEL, key, f"must be sizes between 3 and {MAX_KERNEL}, low first")
    for key in (
        "blur_sigma",
        "blur_sigma2",
        "noise_range",
        "noise_range2",
        "poisson_scale_range",
        "poisson_scale_range2",
        "resize_range",
        "resize_range2",
        "betag_range",
        "betag_range2",
        "betap_range",
        "betap_range2",
    ):
        lo, hi = getattr(c, key)
        need(0 <= lo <= hi, key, "must be a range [low, high] of non-negative values")
    for key in (
        "blur_sigma",
        "blur_sigma2",
        "resize_range",
        "resize_range2",
        "betag_range",
        "betag_range2",
        "betap_range",
        "betap_range2",
    ):
        need(getattr(c, key)[0] > 0, key, "must start above 0")
    for key in ("jpeg_range", "jpeg_range2"):
        lo, hi = getattr(c, key)
        need(1 <= lo <= hi <= 100, key, "must be JPEG qualities within 1-100, low first")
    need(
        bool(c.final_resize_modes) and all(m in RESIZE_MODES for m in c.final_resize_modes),
        "final_resize_modes",
        f"must be a non-empty list of {sorted(RESIZE_MODES)}",
    )


# --- the pipeline -------------------------------------------------------------------------------


def _to_u8(img: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)


def _resize(img: np.ndarray, width: int, height: int, mode: str) -> np.ndarray:
    out = Image.fromarray(_to_u8(img)).resize((max(1, width), max(1, height)), RESIZE_MODES[mode])
    return np.asarray(out, dtype=np.float32) / 255.0


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(_to_u8(img)).save(buf, "JPEG", quality=int(quality))
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0


def _noise(
    img: np.ndarray,
    rng: np.random.Generator,
    gaussian_p: float,
    sigma: list[float],
    poisson: list[float],
    gray_p: float,
) -> np.ndarray:
    gray = rng.random() < gray_p
    if rng.random() < gaussian_p:
        shape = img.shape[:2] + (1,) if gray else img.shape
        noise = rng.normal(0.0, rng.uniform(*sigma) / 255.0, shape)
    else:
        scale = rng.uniform(*poisson)
        base = img.mean(axis=2, keepdims=True) if gray else img
        noise = (rng.poisson(np.clip(base, 0, 1) * 255.0) / 255.0 - base) * scale
    return np.clip(img + noise.astype(np.float32), 0.0, 1.0)


def _blur(img: np.ndarray, rng: np.random.Generator, c: DegradationConfig, suffix: str) -> np.ndarray:
    get = lambda name: getattr(c, name + suffix)  # noqa: E731 - stage 1 and 2 share the code
    size = int(rng.choice(np.arange(get("kernel_range")[0], get("kernel_range")[1] + 1, 2)))
    if rng.random() < get("sinc_prob"):
        cutoff = rng.uniform(np.pi / 3, np.pi) if size < 13 else rng.uniform(np.pi / 5, np.pi)
        kernel = sinc_kernel(size, cutoff)
    else:
        probs = np.asarray(get("kernel_prob"), dtype=np.float64)
        kind = KERNEL_TYPES[int(rng.choice(len(KERNEL_TYPES), p=probs / probs.sum()))]
        kernel = random_blur_kernel(rng, size, kind, get("blur_sigma"), get("betag_range"), get("betap_range"))
    return convolve(img, kernel)


def _random_resize(
    img: np.ndarray, rng: np.random.Generator, probs: list[float], span: list[float], base_hw: tuple[int, int]
) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    way = int(rng.choice(3, p=p / p.sum()))
    factor = [rng.uniform(1.0, max(1.0, span[1])), rng.uniform(min(span[0], 1.0), 1.0), 1.0][way]
    mode = ("area", "bilinear", "bicubic")[int(rng.integers(3))]
    h, w = base_hw
    return _resize(img, round(w * factor), round(h * factor), mode)


def _final(img: np.ndarray, rng: np.random.Generator, c: DegradationConfig, lr_hw: tuple[int, int]) -> np.ndarray:
    def resize_and_sinc(x: np.ndarray) -> np.ndarray:
        mode = c.final_resize_modes[int(rng.integers(len(c.final_resize_modes)))]
        x = _resize(x, lr_hw[1], lr_hw[0], mode)
        if rng.random() < c.final_sinc_prob:
            size = int(rng.choice(np.arange(c.kernel_range[0], c.kernel_range[1] + 1, 2)))
            x = np.clip(convolve(x, sinc_kernel(size, rng.uniform(np.pi / 3, np.pi))), 0.0, 1.0)
        return x

    def jpeg(x: np.ndarray) -> np.ndarray:
        if rng.random() < c.jpeg_prob2:
            return _jpeg(x, int(rng.integers(c.jpeg_range2[0], c.jpeg_range2[1] + 1)))
        return x

    if rng.random() < 0.5:
        return jpeg(resize_and_sinc(img))
    return resize_and_sinc(jpeg(img))


def degrade(hr: np.ndarray, scale: int, config: DegradationConfig, rng: np.random.Generator) -> np.ndarray:
    """uint8 HxWx3 HR -> uint8 (H/scale)x(W/scale)x3 LR; all randomness drawn from ``rng``."""
    lr_hw = (hr.shape[0] // scale, hr.shape[1] // scale)
    if config.is_clean:
        return np.asarray(Image.fromarray(hr).resize((lr_hw[1], lr_hw[0]), Image.BICUBIC))
    c = config
    img = hr.astype(np.float32) / 255.0
    if rng.random() < c.blur_prob:
        img = _blur(img, rng, c, "")
    img = _random_resize(img, rng, c.resize_prob, c.resize_range, img.shape[:2])
    if rng.random() < c.noise_prob:
        img = _noise(img, rng, c.gaussian_noise_prob, c.noise_range, c.poisson_scale_range, c.gray_noise_prob)
    if rng.random() < c.jpeg_prob:
        img = _jpeg(img, int(rng.integers(c.jpeg_range[0], c.jpeg_range[1] + 1)))
    if rng.random() < c.second_stage_prob:
        if rng.random() < c.blur_prob2:
            img = _blur(img, rng, c, "2")
        img = _random_resize(img, rng, c.resize_prob2, c.resize_range2, lr_hw)
        if rng.random() < c.noise_prob2:
            img = _noise(img, rng, c.gaussian_noise_prob2, c.noise_range2, c.poisson_scale_range2, c.gray_noise_prob2)
    return _to_u8(_final(img, rng, c, lr_hw))


def usm_sharpen(img: np.ndarray, weight: float = 0.5, radius: int = 50, threshold: int = 10) -> np.ndarray:
    """Real-ESRGAN's unsharp-masked HR target (uint8 in and out), for ``usm_target``."""
    from PIL import ImageFilter

    sigma = 0.3 * ((radius + 1 - 1) * 0.5 - 1) + 0.8  # OpenCV's sigma for a (radius+1) box, as BasicSR uses
    im = Image.fromarray(img)
    x = img.astype(np.float32)
    blur = np.asarray(im.filter(ImageFilter.GaussianBlur(sigma)), dtype=np.float32)
    residual = x - blur
    mask = (np.abs(residual) > threshold).astype(np.uint8) * 255
    soft = np.asarray(Image.fromarray(mask).filter(ImageFilter.GaussianBlur(sigma)), dtype=np.float32) / 255.0
    sharp = np.clip(x + weight * residual, 0, 255)
    return np.clip(np.rint(soft * sharp + (1 - soft) * x), 0, 255).astype(np.uint8)


def degrade_pair(
    hr: np.ndarray, scale: int, config: DegradationConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(target, lr): the LR is made from the clean HR; the target is sharpened when ``usm_target``."""
    lr = degrade(hr, scale, config, rng)
    return (usm_sharpen(hr) if config.usm_target else hr), lr
