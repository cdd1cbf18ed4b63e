"""INT8 precision: the run-time quantized twin of an ONNX model, its cache, and the fallbacks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from srgan_studio.core.runtime import create_session, planned
from srgan_studio.core.runtime import int8 as int8_mod
from srgan_studio.core.runtime.devices import Target, openvino_version
from srgan_studio.core.runtime.int8 import Int8Failed, int8_model, synthetic_images
from srgan_studio.core.runtime.precision import resolve_precision

BUNDLED = Path(__file__).resolve().parents[1] / "resources" / "models" / "srresnet_x4.onnx"
needs_openvino = pytest.mark.skipif(not openvino_version(), reason="OpenVINO is not installed")


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("SRGAN_STUDIO_CACHE_DIR", str(where))
    return where


def tiny_model(path: Path, seed: int = 0) -> Path:
    """Conv 3->8, Relu, Conv 8->3, plus the input: dynamic N, H, W like the bundled models."""
    rng = np.random.default_rng(seed)
    inits = [
        numpy_helper.from_array((rng.normal(0, 0.3, (8, 3, 3, 3))).astype(np.float32), "w1"),
        numpy_helper.from_array(np.zeros(8, np.float32), "b1"),
        numpy_helper.from_array((rng.normal(0, 0.1, (3, 8, 3, 3))).astype(np.float32), "w2"),
        numpy_helper.from_array(np.zeros(3, np.float32), "b2"),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c2", "input"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["n", 3, "h", "w"])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["n", 3, "h", "w"])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = min(model.ir_version, 9)
    onnx.save(model, str(path))
    return path


def test_calibration_pictures_are_deterministic_varied_and_reach_the_extremes():
    a, b = synthetic_images(6, 64, 64), synthetic_images(6, 64, 64)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert a[0].shape == (64, 64, 3) and a[0].dtype == np.uint8
    assert len({x.tobytes() for x in a}) == 6
    stack = np.stack(a)
    # Saturated colours set the activation ranges; a set without them clipped real photos (bench_int8).
    assert stack.min() <= 5 and stack.max() >= 250


def test_quantized_twin_is_cached_by_content_never_beside_the_model(tmp_path, cache, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    src = tiny_model(models / "tiny.onnx")
    first = int8_model(src)
    assert first.is_file() and first.parent == cache / "int8"
    assert int8_mod.file_sha256(src) in first.name
    assert sorted(p.name for p in models.iterdir()) == ["tiny.onnx"]

    def boom(*_):
        raise AssertionError("quantized again")

    monkeypatch.setattr(int8_mod, "quantize", boom)
    assert int8_model(src) == first  # cached
    tiny_model(src, seed=1)  # the same name, other weights: a new twin
    with pytest.raises(Int8Failed, match="tiny.onnx"):
        int8_model(src)


def test_only_the_convolutions_are_quantized_with_int8_weights(tmp_path):
    q = onnx.load(str(int8_model(tiny_model(tmp_path / "tiny.onnx"))))
    ops = [n.op_type for n in q.graph.node]
    assert ops.count("Conv") == 2 and "QuantizeLinear" in ops and "DequantizeLinear" in ops
    weights = [i for i in q.graph.initializer if i.data_type == TensorProto.INT8 and len(i.dims) == 4]
    assert len(weights) == 2 and not any(
        i.data_type == TensorProto.FLOAT and len(i.dims) == 4 for i in q.graph.initializer
    )
    add = next(n for n in q.graph.node if n.op_type == "Add")
    # The skip add stays a float op and its result, the picture, is not rounded to 8 bits on the way out.
    assert add.output[0] == "output" and not any(
        n.op_type == "QuantizeLinear" and "output" in n.input for n in q.graph.node
    )


def test_a_failed_quantization_leaves_no_file_and_the_session_runs_fp32_with_a_note(tmp_path, cache, monkeypatch):
    src = tiny_model(tmp_path / "tiny.onnx")

    def half_written(model_path, dst):
        Path(dst).write_bytes(b"partial")
        raise RuntimeError("calibration failed\nmore detail")

    monkeypatch.setattr(int8_mod, "quantize", half_written)
    with pytest.raises(Int8Failed, match=r"cannot quantize tiny.onnx to int8 \(calibration failed\)$"):
        int8_model(src)
    assert not any((cache / "int8").iterdir())
    if openvino_version():
        session = create_session(src, device="cpu", precision="int8", engine="openvino")
        assert session.precision == "fp32" and "int8" in session.notice and "\n" not in session.notice


def test_int8_is_never_automatic_and_onnxruntime_says_why_it_runs_fp32(tmp_path):
    ov, ort_cpu = Target("openvino", "cpu"), Target("onnxruntime", "cpu")
    assert resolve_precision("auto", ov, reduced_ok=True)[0] != "int8"
    assert resolve_precision("int8", ov, reduced_ok=False) == ("int8", "")
    used, note = resolve_precision("int8", ort_cpu, reduced_ok=True)
    assert used == "fp32" and "OpenVINO" in note and note.endswith("using fp32")
    session = create_session(tiny_model(tmp_path / "tiny.onnx"), device="cpu", precision="int8", engine="onnxruntime")
    assert session.precision == "fp32" and "int8" in session.notice


@needs_openvino
def test_bundled_model_in_int8_is_close_to_fp32_but_really_quantized():
    x = synthetic_images(1, 40, 48, seed=7)[0].transpose(2, 0, 1)[None].astype(np.float32) / 255
    int8 = create_session(BUNDLED, device="cpu", precision="int8", engine="openvino")
    fp32 = create_session(BUNDLED, device="cpu", precision="fp32", engine="openvino")
    assert int8.precision == "int8" and int8.model_path == BUNDLED and not int8.notice
    assert int8.describe().endswith("on the CPU, int8")
    assert planned("cpu", "openvino", "int8").endswith(", int8")
    a, b = int8.run(x), fp32.run(x)
    assert a.shape == b.shape == (1, 3, 160, 192)
    diff = np.abs(a - b)
    psnr = 10 * np.log10(1 / float(np.mean(diff**2)))
    assert diff.max() > 1e-4  # not the fp32 model under another name
    assert psnr > 40, psnr


def test_settings_accept_int8_and_still_refuse_other_names():
    from srgan_studio.core.settings import Settings, SettingsError, validate

    validate(Settings(precision="int8"))
    with pytest.raises(SettingsError, match="precision='int4'"):
        validate(Settings(precision="int4"))


def test_int8_tiles_are_budgeted_as_openvino_not_as_onnxruntime():
    from srgan_studio.core.tile_memory import ORT_BYTES_PER_PADDED_PIXEL, bytes_per_padded_pixel

    assert bytes_per_padded_pixel("openvino", "int8") < bytes_per_padded_pixel("openvino", "fp32")
    assert bytes_per_padded_pixel("openvino", "int8") < ORT_BYTES_PER_PADDED_PIXEL
