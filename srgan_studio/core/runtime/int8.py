"""INT8 models for OpenVINO on the CPU, quantized at run time from the fp32 ONNX and cached.

Why: CPUs without bf16 mostly have VNNI (AVX-VNNI, AVX512-VNNI), where int8
convolutions run several times faster than fp32. Measured on the bundled
srresnet_x4 and restore_x4 on an AVX512-VNNI CPU (benchmarks/bench_int8.py):
3.1-3.5x less CPU time than fp32 (1.6x less than bf16), Y-PSNR on Set5 and
Set14 within 0.035 dB of fp32, crops indistinguishable.

How: ONNX Runtime's static quantization (QDQ, per-channel s8 weights, u8
activations, Conv only: the residual adds and the bicubic skip stay fp32),
which OpenVINO reads as int8 convolutions. NNCF's default lost up to 0.15 dB
and is 200 MB of dependencies. The activation ranges come from synthetic
pictures made here (deterministic, no dataset needed): within 0.02 dB of
calibrating on 32 crops of real photos.

The quantized file lives in the user's cache folder, named by the SHA-256 of
the fp32 file and the recipe, so it is made once per model and never beside
the user's files: about 15 s the first time for SRResNet (2 busy cores, 350 MB
peak). ONNX Runtime's own int8 kernels are not used: 2-4x slower than its fp32.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from pathlib import Path

import numpy as np

from ..atomic import file_sha256

RECIPE = "qdq-conv-u8s8-perchannel-synth32-v1"  # in the cache name: a new recipe makes new files
CALIBRATION_IMAGES = 32
CALIBRATION_SIZE = 64  # LR pixels
_lock = threading.Lock()


class Int8Failed(Exception):
    """The model could not be quantized (the caller runs it in fp32, with a note)."""


def cache_dir() -> Path:
    env = os.environ.get("SRGAN_STUDIO_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    from ..settings import APP_NAME

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def cached_path(model_path: Path) -> Path:
    return cache_dir() / "int8" / f"{file_sha256(model_path)}-{RECIPE}.onnx"


def int8_model(model_path: str | Path) -> Path:
    """The INT8 twin of this fp32 ONNX file, made on first use (seconds) and cached; Int8Failed otherwise."""
    model_path = Path(model_path)
    try:
        out = cached_path(model_path)
    except OSError as exc:
        raise Int8Failed(f"cannot read {model_path.name} ({exc.strerror or exc})") from None
    with _lock:  # preview and save may ask at once: quantize once
        if out.is_file():
            return out
        tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            quantize(model_path, tmp)
            os.replace(tmp, out)  # a half-written file never carries the final name
        except Int8Failed:
            raise
        except Exception as exc:  # noqa: BLE001 - onnx / ORT raise many types
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise Int8Failed(f"cannot quantize {model_path.name} to int8 ({text[:200]})") from None
        finally:
            tmp.unlink(missing_ok=True)
    return out


def quantize(src: Path, dst: Path, inputs: list[np.ndarray] | None = None) -> None:
    """``inputs``: calibration tensors (NCHW float32); the deterministic synthetic set when None."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    from .devices import ort_module

    ort_module()  # quiet ORT's logger
    graph = onnx.load(str(src), load_external_data=False).graph
    first = graph.input[0]
    dims = [d.dim_value if d.HasField("dim_value") else 0 for d in first.type.tensor_type.shape.dim]
    if len(dims) != 4:
        raise Int8Failed(f"cannot quantize {src.name} to int8 (its input is not an image tensor)")
    channels = dims[1] or 3
    h, w = dims[2] or CALIBRATION_SIZE, dims[3] or CALIBRATION_SIZE
    batches = [{first.name: x} for x in (inputs if inputs is not None else calibration_inputs(channels, h, w))]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self._it = iter(batches)

        def get_next(self):
            return next(self._it, None)

    root = logging.getLogger()
    root.addFilter(_not_from_ort)  # its "consider pre-processing" advice goes to the root logger: not for users
    try:
        quantize_static(
            str(src),
            str(dst),
            Reader(),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=["Conv"],
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
    finally:
        root.removeFilter(_not_from_ort)


def _not_from_ort(record: logging.LogRecord) -> bool:
    return "onnxruntime" not in record.pathname


def calibration_inputs(channels: int, h: int, w: int, n: int = CALIBRATION_IMAGES) -> list[np.ndarray]:
    """NCHW float32 [0, 1] batches of one synthetic picture each (grey = mean of RGB; extra channels = 1)."""
    out = []
    for rgb in synthetic_images(n, h, w):
        x = rgb.astype(np.float32).transpose(2, 0, 1) / 255.0
        if channels == 1:
            x = x.mean(axis=0, keepdims=True)
        elif channels > 3:
            x = np.concatenate([x, np.ones((channels - 3, h, w), np.float32)])
        out.append(np.ascontiguousarray(x[None]))
    return out


def synthetic_images(n: int, h: int, w: int, seed: int = 0) -> list[np.ndarray]:
    """Photo-like LR pictures (uint8 HWC), the same every time: colour fields, hard and soft edges between
    saturated colours, text-like strokes, fine texture and noise, drawn at 4x and reduced bicubically.

    Saturated colours and hard edges matter: they set the activation ranges, and ranges too narrow clip
    (a smooth-only set left them at ~60% of real photos' and cost 0.37 dB)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0 : 4 * h, 0 : 4 * w].astype(np.float32) / (4 * max(h, w))

    def colour():
        c = rng.uniform(0, 1, 3)
        return np.round(c) if rng.random() < 0.5 else c

    images = []
    for _ in range(n):
        img = np.zeros((4 * h, 4 * w, 3), np.float32)
        for c in range(3):
            fx, fy, ph = rng.uniform(0.5, 4, 3)
            img[..., c] = rng.uniform(0.2, 0.8) + rng.uniform(0, 0.3) * np.sin(2 * np.pi * (fx * xx + fy * yy) + ph)
        for _ in range(int(rng.integers(3, 9))):
            cx, cy, r = rng.uniform(0, 1, 2).tolist() + [rng.uniform(0.03, 0.4)]
            soft = 10 ** rng.uniform(-3.5, -1.5)
            if rng.random() < 0.5:
                d = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) - r
            else:
                d = np.maximum(np.abs(xx - cx), np.abs(yy - cy)) - r
            mask = 1 / (1 + np.exp(np.clip(d / soft, -50, 50)))
            img = img * (1 - mask[..., None]) + colour() * mask[..., None]
        for _ in range(int(rng.integers(0, 6))):
            a, b, c0 = rng.normal(size=3)
            d = np.abs(a * (xx - 0.5) + b * (yy - 0.5) + 0.3 * c0) / math.hypot(a, b)
            img[d < rng.uniform(0.002, 0.012)] = colour()
        f, angle = rng.uniform(10, 90), rng.uniform(0, np.pi)
        wave = np.sin(2 * np.pi * f * (np.cos(angle) * xx + np.sin(angle) * yy))
        img += rng.uniform(0, 0.3) * (np.sign(wave) if rng.random() < 0.5 else wave)[..., None]
        img += rng.normal(0, rng.uniform(0, 0.04), img.shape)
        hr = Image.fromarray((np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8))
        images.append(np.asarray(hr.resize((w, h), Image.BICUBIC)))
    return images
