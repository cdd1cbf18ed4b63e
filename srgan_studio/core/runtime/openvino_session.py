"""OpenVINO sessions through its native API (CPU plugin; GPU plugin for Intel graphics).

Why native and not ONNX Runtime's OpenVINO execution provider: measured on the
bundled SRResNet x4, 256x256 one pass, 2 threads: native fp32 1.18 s and bf16
0.24 s; the provider (onnxruntime-openvino 1.24.1) 3.36 s in fp32 and refuses
bf16 on the CPU ("CPU only supports FP32, ACCURACY"). Its wheel also replaces
onnxruntime-gpu, so CUDA and OpenVINO could not be installed together.

Shapes: the CPU plugin compiles once for any input size (a fixed shape gained
nothing there). The GPU plugin compiles per shape, so GPU sessions keep the
last few shapes compiled (one per tile size in practice).
"""

from __future__ import annotations

import collections
import threading
from pathlib import Path

import numpy as np

from .devices import Target, openvino_core, openvino_device_name, openvino_version
from .precision import OPENVINO_HINTS
from .session import Session, channels_from_shape

GPU_SHAPES_KEPT = 4


class OpenVINOFailed(Exception):
    """OpenVINO could not read or compile this model here (the caller falls back to ONNX Runtime)."""


class _Compiled:
    """A compiled model plus one infer request per thread (a request is not thread-safe)."""

    def __init__(self, compiled):
        self.compiled = compiled
        self._local = threading.local()

    def infer(self, x: np.ndarray) -> np.ndarray:
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self.compiled.create_infer_request()
        request.infer({0: x})
        # The request reuses its output buffer on the next call: hand out a copy.
        return np.array(request.get_output_tensor(0).data, dtype=np.float32, copy=True)


class OpenVINOSession(Session):
    engine = "openvino"

    def __init__(self, path: Path, target: Target, threads: int, precision: str, core=None, source: Path | None = None):
        """``source``: the file compiled when not ``path`` itself (the int8 twin of ``path``)."""
        try:
            self._core = core if core is not None else openvino_core()
        except ImportError:
            raise
        except Exception as exc:  # noqa: BLE001 - a plugin that fails to load
            raise OpenVINOFailed(f"cannot start ({_first_line(exc)})") from None
        self._device_name = openvino_device_name(target)
        self._config = _config(target, threads, precision)
        try:
            self._model = self._core.read_model(str(source or path))
            shape = list(self._model.inputs[0].get_partial_shape())
            channels = shape[1].get_length() if len(shape) == 4 and shape[1].is_static else 3
        except Exception as exc:  # noqa: BLE001 - OpenVINO's frontends raise their own types
            raise OpenVINOFailed(f"cannot read it ({_first_line(exc)})") from None
        super().__init__(target, path, precision, channels_from_shape([0, channels]), openvino_version())
        self._static = target.kind == "gpu"
        self._lock = threading.Lock()
        self._by_shape: collections.OrderedDict[tuple, _Compiled] = collections.OrderedDict()
        self._dynamic = None if self._static else self._compile(None)

    def _compile(self, shape: tuple | None) -> _Compiled:
        model = self._model
        if shape is not None:
            model = model.clone()
            model.reshape({model.inputs[0]: list(shape)})
        try:
            return _Compiled(self._core.compile_model(model, self._device_name, self._config))
        except Exception as exc:  # noqa: BLE001 - an op the plugin lacks, a driver problem
            raise OpenVINOFailed(f"cannot compile it for {self._device_name} ({_first_line(exc)})") from None

    def _compiled_for(self, shape: tuple) -> _Compiled:
        if not self._static:
            return self._dynamic
        with self._lock:
            compiled = self._by_shape.pop(shape, None) or self._compile(shape)
            self._by_shape[shape] = compiled
            while len(self._by_shape) > GPU_SHAPES_KEPT:
                self._by_shape.popitem(last=False)
            return compiled

    @property
    def shapes_compiled(self) -> list[tuple]:
        return list(self._by_shape)

    def run(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        return self._compiled_for(tuple(x.shape)).infer(x)


def _config(target: Target, threads: int, precision: str) -> dict:
    # The precision is always stated: the CPU plugin's own default is bf16 on AMX CPUs,
    # which would make "fp32" a lie.
    config = {"INFERENCE_PRECISION_HINT": OPENVINO_HINTS[precision], "PERFORMANCE_HINT": "LATENCY"}
    if target.kind == "cpu":
        # Threads not pinned to cores: a desktop app shares the CPU (the GUI thread, other programs). With
        # another process busy, pinned threads waited for their core: 256 px bf16 took 8.7 s wall against
        # 6.3 s unpinned (medians of 6, same CPU time, a heavily loaded 2-core machine).
        config["ENABLE_CPU_PINNING"] = False
        if threads > 0:
            config["INFERENCE_NUM_THREADS"] = int(threads)
    return config


def _first_line(exc: BaseException) -> str:
    """The line that says what went wrong (OpenVINO puts "Exception from <source file>:" lines first)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    telling = [line for line in lines if not line.startswith(("Exception from", "Check '"))]
    return ((telling or lines or [type(exc).__name__])[0])[:200]
