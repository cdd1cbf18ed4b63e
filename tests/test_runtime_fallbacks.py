"""Faster paths that fail end on ONNX Runtime / fp32 with one note; the CUDA path with its provider faked."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import onnxruntime as ort
import pytest
from gen_helpers import collect

from srgan_studio.core import runtime
from srgan_studio.core.imageio import Image
from srgan_studio.core.runtime import create_session, devices, openvino_session, ort_session, shared_session
from srgan_studio.core.runtime import precision as precision_mod
from srgan_studio.core.runtime.devices import openvino_version
from srgan_studio.core.upscale import GPU_TILE, Upscaler, drain

needs_openvino = pytest.mark.skipif(not openvino_version(), reason="openvino is not installed")


@pytest.fixture(autouse=True)
def _fresh_cache():
    runtime.clear_sessions()
    yield
    runtime.clear_sessions()


@pytest.fixture
def no_openvino(monkeypatch):
    """As if the openvino wheel were not installed: its import fails."""
    monkeypatch.setitem(sys.modules, "openvino", None)
    devices.openvino_core.cache_clear()
    yield
    devices.openvino_core.cache_clear()


class _CoreThatCannotCompile:
    """A real OpenVINO Core that reads models but fails to compile them, like a model with an op it lacks."""

    def __init__(self):
        self.real = devices.openvino_core()

    def read_model(self, path):
        return self.real.read_model(path)

    def compile_model(self, model, device, config):
        raise RuntimeError("Exception from src/inference/src/cpp/core.cpp:112:\nUnsupported operation: FancyOp")


def _photo(h=24, w=20):
    rng = np.random.default_rng(0)
    return Image((rng.random((h, w, 3)) * 255).astype(np.uint8))


def _ort_reference(model_path, x):
    plain = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    return plain.run(None, {"input": x})[0]


def test_missing_openvino_falls_back_to_onnx_runtime_with_one_note(no_openvino, tiny_model):
    s = create_session(tiny_model.model_path, device="cpu")
    assert (s.engine, s.device, s.precision) == ("onnxruntime", "cpu", "fp32")
    assert "OpenVINO is not installed" in s.notice and "ONNX Runtime on the CPU" in s.notice
    x = np.random.default_rng(1).random((1, 3, 16, 12), dtype=np.float32)
    assert np.abs(s.run(x) - _ort_reference(tiny_model.model_path, x)).max() < 1e-4
    assert runtime.planned("cpu").startswith("ONNX Runtime") and "not installed" in runtime.planned("cpu")


def test_missing_openvino_and_bf16_asked_is_still_one_message(no_openvino, tiny_model):
    s = create_session(tiny_model.model_path, device="cpu", precision="bf16")
    assert s.precision == "fp32"
    assert s.notice.count("OpenVINO") == 1 and "bf16 is not available" in s.notice and "\n" not in s.notice


@needs_openvino
def test_openvino_failing_to_compile_falls_back_and_names_the_model(monkeypatch, tiny_model):
    monkeypatch.setattr(openvino_session, "openvino_core", _CoreThatCannotCompile)
    s = create_session(tiny_model.model_path, device="cpu", precision="auto")
    assert s.engine == "onnxruntime" and s.precision == "fp32"
    assert tiny_model.model_path.name in s.notice and "cannot compile" in s.notice
    assert "Unsupported operation: FancyOp" in s.notice and "core.cpp" not in s.notice  # the telling line
    assert "ONNX Runtime on the CPU" in s.notice


@needs_openvino
def test_the_upscaler_says_a_fallback_once_and_keeps_working(monkeypatch, tiny_model):
    monkeypatch.setattr(openvino_session, "openvino_core", _CoreThatCannotCompile)
    preview = Upscaler(tiny_model, device="cpu", tile=32, overlap=4)
    save = Upscaler(tiny_model, device="cpu", tile=64, overlap=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the note comes as progress only: a warning too would say it twice
        events, first = collect(preview.run(_photo()))
        notes = [e.message for e in events if e.message]
        assert len(notes) == 1 and "cannot compile" in notes[0]
        events, second = collect(save.run(_photo()))
    assert not [e.message for e in events if e.message]
    assert preview.session is save.session  # one session, two tile sizes
    assert np.abs(first.color.astype(int) - second.color.astype(int)).max() <= 1
    assert runtime.fallback_notes() == notes


@needs_openvino
def test_unsupported_precision_falls_back_to_fp32_and_says_why(monkeypatch, tiny_model):
    monkeypatch.setattr(precision_mod, "cpu_has_bf16", lambda: False)
    s = create_session(tiny_model.model_path, device="cpu", precision="bf16")
    assert (s.engine, s.precision) == ("openvino", "fp32")
    assert "lacks AVX512-BF16 and AMX" in s.notice
    auto = create_session(tiny_model.model_path, device="cpu", precision="auto")
    assert auto.precision == "fp32" and auto.notice == ""  # auto never complains


def test_engine_onnxruntime_is_honoured_on_the_cpu(tiny_model):
    s = shared_session(tiny_model.model_path, device="cpu", engine="onnxruntime")
    assert s.engine == "onnxruntime" and s.notice == ""


# ---------------------------------------------------------------- CUDA, faked


class _FakeInferenceSession:
    """Stands in for ORT's InferenceSession: records what it was built with; nearest-neighbour x4."""

    built: list = []

    def __init__(self, source, sess_options=None, providers=None, keep_cuda=True):
        names = [p[0] if isinstance(p, tuple) else p for p in providers]
        self.providers = names if keep_cuda else ["CPUExecutionProvider"]
        _FakeInferenceSession.built.append({"source": source, "providers": providers})

    def get_providers(self):
        return self.providers

    def get_inputs(self):
        return [type("I", (), {"name": "input", "shape": ["n", 3, "h", "w"]})()]

    def get_outputs(self):
        return [type("O", (), {"name": "output"})()]

    def run(self, names, feeds):
        return [feeds["input"].repeat(4, axis=2).repeat(4, axis=3)]


class _FakeOrt:
    """The onnxruntime module, except that sessions are fakes and CUDA is 'there'."""

    def __init__(self, keep_cuda=True):
        self.keep_cuda = keep_cuda

    def __getattr__(self, name):
        return getattr(ort, name)

    def InferenceSession(self, source, sess_options=None, providers=None):  # noqa: N802 - ORT's name
        return _FakeInferenceSession(source, sess_options, providers, keep_cuda=self.keep_cuda)


def _has_fp16_weights(source) -> bool:
    import onnx

    model = onnx.load_from_string(source) if isinstance(source, bytes) else onnx.load(source)
    return any(t.data_type == onnx.TensorProto.FLOAT16 for t in model.graph.initializer)


@pytest.fixture
def fake_cuda(monkeypatch):
    monkeypatch.setattr(devices, "cuda_works", lambda: True)
    monkeypatch.setattr(ort_session, "ort_module", lambda: _FakeOrt())
    _FakeInferenceSession.built = []
    return _FakeInferenceSession.built


def test_auto_picks_cuda_first_in_half_precision_where_the_model_allows(fake_cuda, tiny_model):
    s = create_session(tiny_model.model_path, device="auto", precision="auto", reduced_ok=True)
    assert (s.engine, s.device, s.precision) == ("onnxruntime", "cuda:0", "fp16")
    assert s.describe().endswith("on CUDA GPU 0, fp16")
    providers = fake_cuda[-1]["providers"]
    assert providers[0] == ("CUDAExecutionProvider", {"device_id": 0}) and providers[-1] == "CPUExecutionProvider"
    assert _has_fp16_weights(fake_cuda[-1]["source"])  # the graph ORT got was converted
    assert "cuda:0" in runtime.available_devices()


def test_cuda_index_and_fp32_when_the_model_does_not_allow_reduced(fake_cuda, tiny_model):
    s = create_session(tiny_model.model_path, device="cuda:1", precision="auto", reduced_ok=False)
    assert (s.device, s.precision) == ("cuda:1", "fp32")
    assert fake_cuda[-1]["providers"][0] == ("CUDAExecutionProvider", {"device_id": 1})
    assert not _has_fp16_weights(fake_cuda[-1]["source"])


def test_cuda_with_bf16_asked_runs_fp32_and_says_so(fake_cuda, tiny_model):
    s = create_session(tiny_model.model_path, device="cuda", precision="bf16")
    assert s.precision == "fp32" and "bf16 is not available" in s.notice and "CUDA GPU 0" in s.notice


def test_the_upscaler_on_faked_cuda_uses_gpu_tiles(fake_cuda, tiny_model):
    up = Upscaler(tiny_model, device="auto", precision="fp32")
    assert up.session.device == "cuda:0" and up.tile == GPU_TILE
    out = drain(up.run(_photo(10, 6)))
    assert out.color.shape == (40, 24, 3)


def test_ort_dropping_cuda_for_a_model_lands_on_the_cpu_with_a_note(monkeypatch, tiny_model):
    monkeypatch.setattr(devices, "cuda_works", lambda: True)
    monkeypatch.setattr(ort_session, "ort_module", lambda: _FakeOrt(keep_cuda=False))
    s = create_session(tiny_model.model_path, device="cuda", precision="auto")
    assert (s.device, s.precision) == ("cpu", "fp32")
    assert "using the CPU" in s.notice


# ---------------------------------------------------------------- OpenVINO's GPU plugin, faked


class _Request:
    def __init__(self, shape):
        self.shape = shape
        self.out = None

    def infer(self, inputs):
        x = inputs[0]
        assert tuple(x.shape) == self.shape  # a fixed-shape model only takes its own shape
        self.out = type("T", (), {"data": x.repeat(4, axis=2).repeat(4, axis=3)})()

    def get_output_tensor(self, index):
        return self.out


class _GpuCore:
    """Reads models with the real Core; 'compiles' for GPU.0 by recording the static input shape."""

    def __init__(self):
        self.real = devices.openvino_core()
        self.compiled = []

    def read_model(self, path):
        return self.real.read_model(path)

    def compile_model(self, model, device, config):
        shape = tuple(model.inputs[0].get_partial_shape().to_shape())
        self.compiled.append((device, shape, config["INFERENCE_PRECISION_HINT"]))
        return type("C", (), {"create_infer_request": lambda _self: _Request(shape)})()


@needs_openvino
def test_gpu_sessions_compile_once_per_shape_and_keep_the_last_few(tiny_model):
    from srgan_studio.core.runtime.devices import Target

    core = _GpuCore()
    s = openvino_session.OpenVINOSession(tiny_model.model_path, Target("openvino", "gpu"), 0, "fp16", core=core)
    assert core.compiled == []  # nothing is compiled before a shape is known
    for h in (16, 16, 20, 16):
        assert s.run(np.zeros((1, 3, h, 12), np.float32)).shape == (1, 3, 4 * h, 48)
    assert core.compiled == [("GPU.0", (1, 3, 16, 12), "f16"), ("GPU.0", (1, 3, 20, 12), "f16")]
    for h in range(21, 21 + openvino_session.GPU_SHAPES_KEPT):
        s.run(np.zeros((1, 3, h, 12), np.float32))
    assert len(s.shapes_compiled) == openvino_session.GPU_SHAPES_KEPT
    assert (1, 3, 16, 12) not in s.shapes_compiled  # the least recently used shape went first
