"""Network interpolation of two ONNX models (the Realism slider)."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from srgan_studio.core.errors import ModelError
from srgan_studio.core.interpolate import interpolate_onnx

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # legacy exporter notice


def _tiny_srresnet(seed: int, blocks: int = 2, channels: int = 8):
    from srgan_studio.training.archs.srresnet_arch import SRResNet

    torch.manual_seed(seed)
    model = SRResNet(scale=4, channels=channels, blocks=blocks, batch_norm=False).eval()
    # Trained-looking weights: every tensor distinct, PReLU slopes included
    # (the exporter would merge identical slopes into one shared initializer).
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model


def _export(model, path):
    x = torch.rand(1, 3, 12, 12)
    torch.onnx.export(
        model,
        (x,),
        str(path),
        dynamo=False,
        opset_version=17,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {2: "h", 3: "w"}, "output": {2: "H", 3: "W"}},
    )
    return path


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    d = tmp_path_factory.mktemp("interp")
    a, b = _tiny_srresnet(1), _tiny_srresnet(2)
    return a, b, _export(a, d / "a.onnx"), _export(b, d / "b.onnx"), d


def _run(model_bytes: bytes, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def _torch_blend(a, b, alpha):
    blended = _tiny_srresnet(99)
    sa, sb = a.state_dict(), b.state_dict()
    blended.load_state_dict({k: (1 - alpha) * sa[k] + alpha * sb[k] for k in sa})
    return blended


def test_endpoints_reproduce_the_two_models(pair):
    a, b, pa, pb, _ = pair
    x = np.random.default_rng(0).random((1, 3, 10, 14), dtype=np.float32)
    out_a = _run(pa.read_bytes(), x)
    out_b = _run(pb.read_bytes(), x)
    assert np.abs(out_a - out_b).max() > 1e-3  # the models really differ
    np.testing.assert_allclose(_run(interpolate_onnx(pa, pb, 0.0), x), out_a, atol=1e-6)
    np.testing.assert_allclose(_run(interpolate_onnx(pa, pb, 1.0), x), out_b, atol=1e-6)


@pytest.mark.parametrize("alpha", [0.3, 0.75])
def test_blend_equals_torch_model_with_blended_weights(pair, alpha):
    a, b, pa, pb, _ = pair
    x = np.random.default_rng(1).random((1, 3, 9, 11), dtype=np.float32)
    got = _run(interpolate_onnx(pa, pb, alpha), x)
    with torch.no_grad():
        want = _torch_blend(a, b, alpha)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, atol=1e-4)
    # Network interpolation is not output blending: the network is non-linear.
    out_mix = (1 - alpha) * _run(pa.read_bytes(), x) + alpha * _run(pb.read_bytes(), x)
    assert np.abs(got - out_mix).max() > 1e-5


def test_result_is_a_valid_model(pair):
    _, _, pa, pb, _ = pair
    onnx.checker.check_model(onnx.load_from_string(interpolate_onnx(pa, pb, 0.5)))


def test_different_architectures_are_refused(pair):
    _, _, pa, _, d = pair
    deeper = _export(_tiny_srresnet(3, blocks=3), d / "deeper.onnx")
    wider = _export(_tiny_srresnet(4, channels=12), d / "wider.onnx")
    with pytest.raises(ModelError, match="deeper.onnx: cannot interpolate"):
        interpolate_onnx(pa, deeper, 0.5)
    with pytest.raises(ModelError, match="wider.onnx: cannot interpolate.*different architectures"):
        interpolate_onnx(pa, wider, 0.5)


def test_bad_inputs_are_model_errors(pair):
    _, _, pa, pb, d = pair
    with pytest.raises(ModelError, match="between 0 and 1"):
        interpolate_onnx(pa, pb, 1.5)
    with pytest.raises(ModelError, match="missing"):
        interpolate_onnx(pa, d / "nope.onnx", 0.5)
    junk = d / "junk.onnx"
    junk.write_bytes(b"this is not onnx")
    with pytest.raises(ModelError, match="junk.onnx: not a readable ONNX model"):
        interpolate_onnx(junk, pb, 0.5)


def _leaky_model(path, slope: float, weight: float):
    w = helper.make_tensor("w", TensorProto.FLOAT, [1], [weight])
    node_mul = helper.make_node("Mul", ["x", "w"], ["m"])
    node_act = helper.make_node("LeakyRelu", ["m"], ["y"], alpha=slope)
    graph = helper.make_graph(
        [node_mul, node_act],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])],
        initializer=[w],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_float_node_attributes_are_blended(tmp_path):
    pa = _leaky_model(tmp_path / "a.onnx", slope=0.1, weight=1.0)
    pb = _leaky_model(tmp_path / "b.onnx", slope=0.3, weight=3.0)
    model = onnx.load_from_string(interpolate_onnx(pa, pb, 0.25))
    act = next(n for n in model.graph.node if n.op_type == "LeakyRelu")
    assert act.attribute[0].f == pytest.approx(0.15)
    assert onnx.numpy_helper.to_array(model.graph.initializer[0])[0] == pytest.approx(1.5)
    y = _run(model.SerializeToString(), np.array([-2.0, 0.0, 2.0], np.float32))
    np.testing.assert_allclose(y, [-0.45, 0.0, 3.0], rtol=1e-6)
