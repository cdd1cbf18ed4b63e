"""Sessions on each engine: devices, threads that do not spin, PReLU rewrite, precisions, the shared cache."""

from __future__ import annotations

import os

import numpy as np
import onnxruntime as ort
import pytest

from srgan_studio.core import runtime
from srgan_studio.core.errors import StudioError
from srgan_studio.core.runtime import (
    DeviceError,
    available_devices,
    create_session,
    describe_devices,
    is_out_of_memory,
    resolve_device,
    shared_session,
)
from srgan_studio.core.runtime import precision as precision_mod
from srgan_studio.core.runtime.devices import Target, openvino_version
from srgan_studio.core.runtime.precision import resolve_precision

needs_openvino = pytest.mark.skipif(not openvino_version(), reason="openvino is not installed")
needs_bf16 = pytest.mark.skipif(not precision_mod.cpu_has_bf16(), reason="this CPU has neither AVX512-BF16 nor AMX")


@pytest.fixture(autouse=True)
def _fresh_cache():
    runtime.clear_sessions()
    yield
    runtime.clear_sessions()


def _x(h=20, w=28, seed=0):
    return np.random.default_rng(seed).random((1, 3, h, w), dtype=np.float32)


def _plain_ort(model_path, x):
    plain = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    return plain.run(None, {"input": x})[0]


def test_ort_cpu_session_does_not_spin_and_honours_threads(tiny_model):
    s = create_session(tiny_model.model_path, device="cpu", threads=1, engine="onnxruntime")
    opts = s.inner.get_session_options()
    assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert opts.intra_op_num_threads == 1
    assert s.device == "cpu" and s.providers == ["CPUExecutionProvider"]
    assert (s.engine, s.precision, s.notice) == ("onnxruntime", "fp32", "")


def test_prelu_rewrite_gives_the_same_output(tiny_model):
    x = _x()
    ours = create_session(tiny_model.model_path, device="cpu", engine="onnxruntime").run(x)
    assert ours.shape == (1, 3, 80, 112)
    assert np.abs(ours - _plain_ort(tiny_model.model_path, x)).max() < 1e-4


@needs_openvino
def test_openvino_fp32_matches_onnx_runtime(tiny_model):
    s = create_session(tiny_model.model_path, device="cpu", threads=1, precision="fp32")
    assert (s.engine, s.precision, s.device) == ("openvino", "fp32", "cpu")
    assert s.describe().startswith("OpenVINO ") and s.describe().endswith("on the CPU, fp32")
    compiled = s._dynamic.compiled  # what the plugin was really told
    assert compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name() == "f32"
    assert compiled.get_property("INFERENCE_NUM_THREADS") == 1
    assert compiled.get_property("ENABLE_CPU_PINNING") is False  # a desktop app shares its cores
    for h, w in ((20, 28), (33, 17)):  # one compiled model serves any size
        x = _x(h, w)
        assert np.abs(s.run(x) - _plain_ort(tiny_model.model_path, x)).max() < 1e-4


@needs_openvino
@needs_bf16
def test_bf16_really_computes_in_bf16_and_stays_close(deep_model):
    x = _x(24, 24, seed=3)
    fp32 = create_session(deep_model.model_path, device="cpu", precision="fp32").run(x)
    bf16 = create_session(deep_model.model_path, device="cpu", precision="bf16").run(x)
    diff = np.abs(bf16 - fp32)
    assert diff.max() > 1e-5  # the hint reached the plugin: the result did change
    assert diff.mean() < 1.0 / 255  # and only by rounding
    assert diff.max() < 8.0 / 255


def test_auto_precision_follows_the_cpu_and_the_descriptor(monkeypatch):
    cpu_ov = Target("openvino", "cpu")
    monkeypatch.setattr(precision_mod, "cpu_has_bf16", lambda: True)
    assert resolve_precision("auto", cpu_ov, reduced_ok=True) == ("bf16", "")
    assert resolve_precision("auto", cpu_ov, reduced_ok=False) == ("fp32", "")
    assert resolve_precision("auto", Target("onnxruntime", "cpu"), reduced_ok=True) == ("fp32", "")
    assert resolve_precision("auto", Target("onnxruntime", "cuda"), reduced_ok=True) == ("fp16", "")
    assert resolve_precision("fp32", cpu_ov, reduced_ok=True) == ("fp32", "")
    monkeypatch.setattr(precision_mod, "cpu_has_bf16", lambda: False)
    assert resolve_precision("auto", cpu_ov, reduced_ok=True) == ("fp32", "")


def test_a_precision_that_cannot_run_becomes_fp32_with_a_reason(monkeypatch):
    monkeypatch.setattr(precision_mod, "cpu_has_bf16", lambda: False)
    used, note = resolve_precision("bf16", Target("openvino", "cpu"), reduced_ok=True)
    assert used == "fp32" and "bf16" in note and "AVX512-BF16" in note and note.endswith("using fp32")
    used, note = resolve_precision("bf16", Target("onnxruntime", "cuda"), reduced_ok=True)
    assert used == "fp32" and "CUDA GPU 0" in note
    with pytest.raises(StudioError, match="unknown precision"):
        resolve_precision("int3", Target("openvino", "cpu"), reduced_ok=True)


def test_devices():
    assert available_devices()[-1] == "cpu"
    assert resolve_device("cpu") == ("cpu", 0)
    assert resolve_device("auto")[0] in ("cpu", "cuda")
    with pytest.raises(DeviceError, match="unknown device"):
        resolve_device("gpu0")
    if "cuda:0" not in available_devices():
        with pytest.raises(DeviceError, match="CUDA is not usable"):
            resolve_device("cuda:1")
    if "gpu:3" not in available_devices():
        with pytest.raises(DeviceError, match="OpenVINO sees no such GPU"):
            resolve_device("gpu:3")
    with pytest.raises(DeviceError, match="unknown engine"):
        create_session(__file__, device="cpu", engine="tensorrt")


def test_describe_devices_names_engine_and_auto_precision():
    rows = describe_devices()
    cpu = rows[-1]
    assert cpu["device"] == "cpu" and "fp32" in cpu["precisions"] and cpu["auto"] in cpu["precisions"]
    assert cpu["engine"] == ("OpenVINO" if openvino_version() else "ONNX Runtime")


def test_out_of_memory_is_recognised():
    assert is_out_of_memory(RuntimeError("CUDA failure 2: out of memory"))
    assert is_out_of_memory(RuntimeError("Failed to allocate memory for requested buffer of size 123"))
    assert is_out_of_memory(MemoryError())
    assert not is_out_of_memory(RuntimeError("Invalid input name"))


def test_one_shared_session_per_model_device_threads_precision(tiny_model, tmp_path):
    path = tiny_model.model_path
    a = shared_session(path, device="cpu", threads=1, precision="fp32")
    assert shared_session(path, device="cpu", threads=1, precision="fp32") is a
    assert shared_session(path, device="cpu", threads=2, precision="fp32") is not a
    assert shared_session(path, device="cpu", threads=1, precision="auto", engine="onnxruntime") is not a
    copy = tmp_path / "copy.onnx"
    copy.write_bytes(path.read_bytes())
    first = shared_session(copy, device="cpu", threads=1, precision="fp32")
    copy.write_bytes(path.read_bytes() + b"")  # replaced on disk: a re-exported model
    os.utime(copy, ns=(1, 1))
    assert shared_session(copy, device="cpu", threads=1, precision="fp32") is not first


def test_missing_model_file_is_a_model_error(tmp_path):
    from srgan_studio.core.errors import ModelError

    with pytest.raises(ModelError, match="missing"):
        create_session(tmp_path / "nope.onnx", device="cpu")
    with pytest.raises(ModelError, match="missing"):
        shared_session(tmp_path / "nope.onnx", device="cpu")


def test_models_devices_lists_engine_and_precision(capsys):
    from srgan_studio.cli import main

    assert main(["models", "--devices"]) == 0
    out, err = capsys.readouterr()
    header, *rows = out.strip().splitlines()
    assert header.split()[:2] == ["device", "engine"]
    cpu = describe_devices()[-1]
    assert rows[-1].split()[0] == "cpu" and cpu["engine"].split()[0] in rows[-1] and cpu["auto"] in rows[-1]
    assert err.startswith("--device auto: ") and runtime.planned() in err


def test_automatic_tile_shrinks_only_when_memory_is_short():
    from srgan_studio.core.tile_memory import auto_tile, free_memory_bytes

    assert auto_tile(224, 12, 7_500, None) == 224
    assert auto_tile(224, 12, 7_500, 8 << 30) == 224  # plenty: the default is the ceiling
    small = auto_tile(224, 12, 7_500, 400 << 20)  # 400 MB free
    assert 32 <= small < 224 and (small + 24) ** 2 * 7_500 <= 200 << 20 < (small + 25) ** 2 * 7_500
    assert auto_tile(224, 12, 7_500, 1 << 20) == 32  # never below the smallest tile
    assert (free_memory_bytes() or 1) > 0


def test_upscaler_tile_follows_free_memory(tiny_model, monkeypatch):
    from srgan_studio.core import tile_memory
    from srgan_studio.core.upscale import Upscaler

    up = Upscaler(tiny_model, device="cpu", overlap=8)
    monkeypatch.setattr(tile_memory, "free_memory_bytes", lambda: 64 << 30)
    roomy = up.tile
    monkeypatch.setattr(tile_memory, "free_memory_bytes", lambda: 100 << 20)
    assert up.tile < roomy
    assert Upscaler(tiny_model, device="cpu", tile=96).tile == 96  # a chosen size is kept
