"""Inference precision: what ``auto`` means on each engine, and what the hardware can do.

``auto`` is bf16 on a CPU with AVX512-BF16 or AMX when the model's descriptor
allows reduced precision (``fp16: true``; bf16 keeps fp32's range, so a model
safe in fp16 is safe in bf16), fp16 on a GPU under the same condition, and fp32
otherwise. fp32 is the bit-faithful choice. Measured on the bundled SRResNet x4
(benchmarks/bench_inference.py): bf16 is 2-3x faster than fp32 on such a CPU and
within 0.01 dB Y-PSNR on Set5.

``int8`` is never automatic (its error depends on calibration): a user's
choice, on OpenVINO's CPU plugin only, from a model quantized at run time
(int8.py; 3.1-3.5x less CPU than fp32 on a VNNI CPU, within 0.035 dB).

A precision that the engine or hardware cannot do falls back to fp32; the
session carries that note so the app says it once.
"""

from __future__ import annotations

import functools

from ..cpu import BF16_FLAGS, cpu_flags
from .devices import Target, openvino_core

PRECISIONS = ("auto", "fp32", "bf16", "fp16", "int8")
# int8: the quantized convolutions run in int8 whatever the hint; the hint keeps the rest (adds, skip) fp32.
OPENVINO_HINTS = {"fp32": "f32", "bf16": "bf16", "fp16": "f16", "int8": "f32"}


@functools.cache
def cpu_has_bf16() -> bool:
    """True where the CPU does bf16 arithmetic natively (AVX512-BF16 or AMX)."""
    flags = cpu_flags()
    if flags is not None:
        return bool(flags & BF16_FLAGS)
    return "BF16" in _openvino_cpu_capabilities()  # Windows / macOS: OpenVINO reads CPUID itself


@functools.cache
def cpu_has_fp16() -> bool:
    """True where OpenVINO's CPU plugin can compute in fp16 (AVX512-FP16 / AMX-FP16, or Arm fp16)."""
    return "FP16" in _openvino_cpu_capabilities()


def _openvino_cpu_capabilities() -> list[str]:
    try:
        return list(openvino_core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))
    except Exception:  # noqa: BLE001 - no OpenVINO: nothing known beyond fp32
        return []


def supported(target: Target) -> tuple[str, ...]:
    """Precisions this engine and device can run, fp32 first."""
    if target.engine == "onnxruntime":
        return ("fp32", "fp16") if target.kind == "cuda" else ("fp32",)
    if target.kind == "gpu":
        return ("fp32", "fp16")
    extra = (("bf16",) if cpu_has_bf16() else ()) + (("fp16",) if cpu_has_fp16() else ())
    return ("fp32",) + extra + ("int8",)


def resolve_precision(requested: str, target: Target, reduced_ok: bool) -> tuple[str, str]:
    """(precision to use, note for the user or ""). ``reduced_ok`` is the descriptor's permission."""
    requested = (requested or "auto").lower()
    if requested not in PRECISIONS:
        from ..errors import StudioError

        raise StudioError(f"unknown precision {requested!r}; use {', '.join(PRECISIONS)}")
    can = supported(target)
    if requested == "auto":
        if not reduced_ok:
            return "fp32", ""
        preferred = "bf16" if target.kind == "cpu" else "fp16"
        return (preferred if preferred in can else "fp32"), ""
    if requested in can:
        return requested, ""
    from .devices import ENGINE_TITLES

    if requested == "int8":
        why = "int8 runs through OpenVINO on the CPU only"
    elif target.engine == "openvino" and target.kind == "cpu":
        why = f"this CPU lacks {'AVX512-BF16 and AMX' if requested == 'bf16' else 'fp16 arithmetic'}"
    else:
        why = "the engine has no such kernels there"
    return (
        "fp32",
        f"{requested} is not available with {ENGINE_TITLES[target.engine]} on {target.where} ({why}); using fp32",
    )
