"""The ONNX Runtime session factory: devices, threads that do not spin, PReLU rewrite, clear errors."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from srgan_studio.core.runtime import (
    DeviceError, available_devices, create_session, is_out_of_memory, resolve_device,
)


def test_cpu_session_does_not_spin_and_honours_threads(tiny_model):
    s = create_session(tiny_model.model_path, device="cpu", threads=1)
    opts = s.inner.get_session_options()
    assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert opts.intra_op_num_threads == 1
    assert s.device == "cpu" and s.providers == ["CPUExecutionProvider"]


def test_prelu_rewrite_gives_the_same_output(tiny_model):
    x = np.random.default_rng(0).random((1, 3, 20, 28), dtype=np.float32)
    ours = create_session(tiny_model.model_path, device="cpu").run(x)
    plain = ort.InferenceSession(str(tiny_model.model_path), providers=["CPUExecutionProvider"])
    ref = plain.run(None, {"input": x})[0]
    assert ours.shape == (1, 3, 80, 112)
    assert np.abs(ours - ref).max() < 1e-4


def test_devices():
    assert available_devices()[-1] == "cpu"
    assert resolve_device("cpu") == ("cpu", 0)
    assert resolve_device("auto")[0] in ("cpu", "cuda")
    with pytest.raises(DeviceError, match="unknown device"):
        resolve_device("gpu0")
    if "cuda:0" not in available_devices():
        with pytest.raises(DeviceError, match="CUDA is not usable"):
            resolve_device("cuda:1")


def test_out_of_memory_is_recognised():
    assert is_out_of_memory(RuntimeError("CUDA failure 2: out of memory"))
    assert is_out_of_memory(RuntimeError("Failed to allocate memory for requested buffer of size 123"))
    assert is_out_of_memory(MemoryError())
    assert not is_out_of_memory(RuntimeError("Invalid input name"))
