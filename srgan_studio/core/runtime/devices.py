"""Which engine runs a model where: device names, the CUDA probe, the engine choice.

Device names: ``auto`` (CUDA when it really works, else the CPU), ``cpu``,
``cuda`` / ``cuda:N`` (ONNX Runtime's CUDA provider) and ``gpu`` / ``gpu:N``
(OpenVINO's GPU plugin: Intel graphics). On the CPU the engine is OpenVINO when
it is installed (about 1.5x faster in fp32 and 3x in bf16 than ONNX Runtime on
SRResNet, benchmarks/bench_inference.py), else ONNX Runtime; ``engine`` forces one.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ..errors import StudioError

ENGINES = ("auto", "openvino", "onnxruntime")
ENGINE_TITLES = {"openvino": "OpenVINO", "onnxruntime": "ONNX Runtime"}


class DeviceError(StudioError):
    """A device that was asked for but cannot be used."""


@dataclass(frozen=True)
class Target:
    """Where a session runs: engine ``openvino``/``onnxruntime``, kind ``cpu``/``cuda``/``gpu``, device index."""

    engine: str
    kind: str
    index: int = 0

    @property
    def device(self) -> str:
        """The device name sessions report: ``cpu``, ``cuda:0``, ``gpu:0``."""
        return "cpu" if self.kind == "cpu" else f"{self.kind}:{self.index}"

    @property
    def where(self) -> str:
        return {"cpu": "the CPU", "cuda": f"CUDA GPU {self.index}", "gpu": f"GPU {self.index} (OpenVINO)"}[self.kind]


def ort_module():
    import onnxruntime as ort

    ort.set_default_logger_severity(3)  # ORT warnings are not for end users
    return ort


def openvino_module():
    """The openvino package, or ImportError (also for a broken install, whose import raises other errors)."""
    try:
        import openvino
    except ImportError:
        raise
    except Exception as exc:  # noqa: BLE001 - a half-installed wheel fails in many ways
        raise ImportError(f"openvino failed to load ({exc})") from exc
    return openvino


@functools.cache
def openvino_core():
    """One OpenVINO Core per process (it loads the plugins)."""
    return openvino_module().Core()


def openvino_version() -> str:
    try:
        return openvino_module().__version__.split("-")[0]
    except ImportError:
        return ""


def openvino_devices() -> list[str]:
    """OpenVINO's device names (``CPU``, ``GPU.0`` ...), empty when it is missing or broken."""
    try:
        return list(openvino_core().available_devices)
    except Exception:  # noqa: BLE001 - no OpenVINO means no OpenVINO devices
        return []


@functools.cache
def cuda_works() -> bool:
    """CUDAExecutionProvider may be listed yet unusable (no GPU, no CUDA libs): try it once."""
    ort = ort_module()
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return False
    from onnx import TensorProto, helper

    node = helper.make_node("Identity", ["x"], ["y"])
    graph = helper.make_graph(
        [node],
        "probe",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = min(model.ir_version, 9)
    ort.set_default_logger_severity(4)
    try:
        sess = ort.InferenceSession(
            model.SerializeToString(), providers=["CUDAExecutionProvider", "CPUExecutionProvider"]
        )
        return "CUDAExecutionProvider" in sess.get_providers()
    except Exception:  # noqa: BLE001 - any failure means "no usable CUDA"
        return False
    finally:
        ort.set_default_logger_severity(3)


def _gpu_names() -> list[str]:
    return [d for d in openvino_devices() if d.split(".")[0] == "GPU"]


def available_devices() -> list[str]:
    """Devices this machine can run on, best first: e.g. ``["cuda:0", "gpu:0", "cpu"]``."""
    devices = ["cuda:0"] if cuda_works() else []
    devices += [f"gpu:{i}" for i in range(len(_gpu_names()))]
    return devices + ["cpu"]


def resolve_device(device: str) -> tuple[str, int]:
    """``auto|cpu|cuda[:N]|gpu[:N]`` -> (``"cpu"``, ``"cuda"`` or ``"gpu"``, device index); DeviceError otherwise."""
    d = (device or "auto").strip().lower()
    if d == "auto":
        return ("cuda", 0) if cuda_works() else ("cpu", 0)
    if d == "cpu":
        return ("cpu", 0)
    m = re.fullmatch(r"(cuda|gpu)(?::(\d+))?", d)
    if not m:
        raise DeviceError(f"unknown device {device!r}; use auto, cpu, cuda, cuda:N or gpu (OpenVINO, Intel graphics)")
    kind, index = m.group(1), int(m.group(2) or 0)
    if kind == "cuda" and not cuda_works():
        raise DeviceError(
            f"device {device!r} asked for, but CUDA is not usable here (no GPU or CUDA libraries); use --device cpu"
        )
    if kind == "gpu" and index >= len(_gpu_names()):
        raise DeviceError(
            f"device {device!r} asked for, but OpenVINO sees no such GPU here; use --device cpu (or cuda for NVIDIA)"
        )
    return (kind, index)


def choose_target(device: str, engine: str = "auto") -> Target:
    """The engine and device for a device name; a CPU prefers OpenVINO unless ``engine`` says otherwise.

    Whether OpenVINO actually imports and compiles is found out when the session
    is built (create_session falls back to ONNX Runtime there, with one message).
    """
    if engine not in ENGINES:
        raise DeviceError(f"unknown engine {engine!r}; use {', '.join(ENGINES)}")
    kind, index = resolve_device(device)
    if kind == "cuda":
        return Target("onnxruntime", "cuda", index)
    if kind == "gpu":
        return Target("openvino", "gpu", index)
    return Target("onnxruntime" if engine == "onnxruntime" else "openvino", "cpu")


def openvino_device_name(target: Target) -> str:
    """OpenVINO's own name for a target: ``CPU``, ``GPU.0``."""
    if target.kind == "cpu":
        return "CPU"
    names = _gpu_names()
    return names[target.index] if target.index < len(names) else f"GPU.{target.index}"
