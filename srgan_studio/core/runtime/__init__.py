"""Inference backends behind one Session interface, and the shared session cache.

``create_session`` builds a session: ONNX Runtime (CPU, CUDA) or OpenVINO
(CPU, Intel GPU), chosen by devices.choose_target; the precision by
precision.resolve_precision. Whatever goes wrong on the way to a faster path
(OpenVINO missing or unable to compile the model, a precision the hardware
lacks) ends on ONNX Runtime / fp32 with one note in ``session.notice``; only
a model no engine can load is an error (ModelError).

``shared_session`` keeps one session per (model file, device, threads,
precision, engine), so preview, save and batch share one compiled model.
"""

from __future__ import annotations

import collections
import os
import re
import threading
from pathlib import Path

from ..errors import ModelError
from .devices import (
    ENGINE_TITLES,
    ENGINES,
    DeviceError,
    Target,
    available_devices,
    choose_target,
    openvino_version,
    resolve_device,
)
from .precision import PRECISIONS, cpu_has_bf16, resolve_precision
from .session import Session

__all__ = [
    "ENGINES",
    "PRECISIONS",
    "DeviceError",
    "Session",
    "available_devices",
    "clear_sessions",
    "cpu_has_bf16",
    "create_session",
    "default_threads",
    "describe_devices",
    "fallback_notes",
    "is_out_of_memory",
    "planned",
    "resolve_device",
    "shared_session",
]

_OOM = re.compile(
    r"out of memory|failed to allocate|cudaErrorMemoryAllocation|bad_alloc|CUBLAS_STATUS_ALLOC_FAILED", re.I
)
MAX_SHARED = 6  # sessions kept: three preview panes and their restore twins


def is_out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or bool(_OOM.search(str(exc)))


def default_threads() -> int:
    return os.cpu_count() or 1


def create_session(
    model_path: str | Path,
    *,
    device: str = "auto",
    threads: int = 0,
    precision: str = "auto",
    engine: str = "auto",
    reduced_ok: bool = True,
) -> Session:
    """A session for this model; ModelError for a missing or unloadable file, DeviceError for a bad device."""
    path = Path(model_path)
    if not path.is_file():
        raise ModelError("model file is missing", path)
    target = choose_target(device, engine)
    chosen, note = resolve_precision(precision, target, reduced_ok)
    if target.engine == "openvino":
        source = path
        if chosen == "int8" and openvino_version():  # no quantizing for a session that cannot use it
            from .int8 import Int8Failed, int8_model

            try:
                source = int8_model(path)
            except Int8Failed as exc:
                chosen, note = "fp32", f"{exc}; using fp32"
        session, why = _try_openvino(path, target, threads, chosen, source)
        if session is not None:
            session.notice = note
            return session
        target = Target("onnxruntime", "cpu")
        chosen, precision_note = resolve_precision(precision, target, reduced_ok)
        note = "; ".join(n for n in (f"{why}; using ONNX Runtime on the CPU", precision_note) if n)
    from .ort_session import create_ort_session

    session = create_ort_session(path, target, threads, chosen)
    if session.target != target:
        note = "; ".join(
            n for n in (note, f"ONNX Runtime cannot run {path.name} on {target.where}; using the CPU") if n
        )
    session.notice = note
    return session


def _try_openvino(
    path: Path, target: Target, threads: int, precision: str, source: Path | None = None
) -> tuple[Session | None, str]:
    """(session, "") or (None, why OpenVINO is not used)."""
    try:
        from .openvino_session import OpenVINOFailed, OpenVINOSession
    except ImportError as exc:
        return None, f"OpenVINO is not available ({exc})"
    try:
        return OpenVINOSession(path, target, threads, precision, source=source), ""
    except ImportError as exc:
        return None, f"OpenVINO is not installed ({exc})"
    except OpenVINOFailed as exc:
        return None, f"OpenVINO {exc} for {path.name}"


_shared: collections.OrderedDict[tuple, Session] = collections.OrderedDict()
_shared_lock = threading.Lock()
_notes: list[str] = []  # every fallback of this process, for the settings dialog


def shared_session(
    model_path: str | Path,
    *,
    device: str = "auto",
    threads: int = 0,
    precision: str = "auto",
    engine: str = "auto",
    reduced_ok: bool = True,
) -> Session:
    """The one session for these settings, built on first use.

    The key includes the file's size and modification time, so a model file
    replaced on disk (a re-exported fine-tune) gets a new session.
    """
    path = Path(model_path)
    try:
        stat = path.stat()
    except OSError:
        raise ModelError("model file is missing", path) from None
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, device, int(threads), precision, engine, reduced_ok)
    with _shared_lock:  # one build per key, even when preview and save ask at once
        session = _shared.pop(key, None)
        if session is None:
            session = create_session(
                path, device=device, threads=threads, precision=precision, engine=engine, reduced_ok=reduced_ok
            )
            if session.notice and session.notice not in _notes:
                _notes.append(session.notice)
        _shared[key] = session
        while len(_shared) > MAX_SHARED:
            _shared.popitem(last=False)
        return session


def clear_sessions() -> None:
    with _shared_lock:
        _shared.clear()
        _notes.clear()


def fallback_notes() -> list[str]:
    """The fallbacks shared sessions took in this process (OpenVINO failing on a model, a precision not there)."""
    with _shared_lock:
        return list(_notes)


def planned(device: str = "auto", engine: str = "auto", precision: str = "auto", reduced_ok: bool = True) -> str:
    """What these settings run on, in words, without building a session: ``OpenVINO 2026.4.1 on the CPU, bf16``."""
    try:
        target = choose_target(device, engine)
    except DeviceError as exc:
        return str(exc)
    missing = ""
    if target.engine == "openvino" and not openvino_version():
        target, missing = Target("onnxruntime", "cpu"), " (OpenVINO is not installed)"
    chosen, note = resolve_precision(precision, target, reduced_ok)
    version = openvino_version() if target.engine == "openvino" else _ort_version()
    text = f"{ENGINE_TITLES[target.engine]} {version} on {target.where}, {chosen}{missing}"
    return f"{text}; {note}" if note else text


def _ort_version() -> str:
    from .devices import ort_module

    return ort_module().__version__


def describe_devices() -> list[dict]:
    """One row per usable device: name, engine, and the precision ``auto`` gives a model that allows reduced."""
    from .precision import supported

    rows = []
    for device in available_devices():
        target = choose_target(device)
        if target.engine == "openvino" and not openvino_version():
            target = Target("onnxruntime", target.kind, target.index)
        auto, _ = resolve_precision("auto", target, True)
        version = openvino_version() if target.engine == "openvino" else _ort_version()
        rows.append(
            {
                "device": device,
                "engine": ENGINE_TITLES[target.engine],
                "version": version,
                "where": target.where,
                "auto": auto,
                "precisions": list(supported(target)),
            }
        )
    return rows
