"""ONNX export closeness for every generator in the registry, descriptor contents, weight interpolation."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from srgan_studio.core.descriptor import ModelDescriptor  # noqa: E402
from srgan_studio.core.errors import ModelError  # noqa: E402
from srgan_studio.training.archs import ARCHS, build_model  # noqa: E402
from srgan_studio.training.checkpoint import CheckpointError, save_weights  # noqa: E402
from srgan_studio.training.export import export_onnx, prelu_to_leaky  # noqa: E402
from srgan_studio.training.interpolate import interpolate_files, interpolate_state  # noqa: E402

TINY = {
    "srresnet": {"scale": 4, "blocks": 1, "channels": 8, "batch_norm": False, "bicubic_skip": True},
    "rrdbnet": {"scale": 2, "blocks": 1, "channels": 8, "growth": 4},
}
# "spandrel" is built from an imported model's weights (tests/test_finetune_imported.py exports it).
GENERATORS = [n for n in ARCHS if n not in ("srgan_discriminator", "spandrel")]


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _weights(tmp_path, name, seed=0, stage="psnr", **extra_options):
    torch.manual_seed(seed)
    options = {**TINY[name], **extra_options}
    model = build_model(name, **options)
    # Non-trivial weights everywhere (the zero-initialised tail would hide export errors).
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    path = tmp_path / f"{name}_{seed}.safetensors"
    save_weights(path, model.state_dict(), {"type": name, "options": options}, {"step": 7, "stage": stage})
    return path, model.eval()


def test_every_generator_has_export_options():
    assert set(GENERATORS) <= set(TINY)


@pytest.mark.parametrize("name", GENERATORS)
def test_export_matches_pytorch_at_other_sizes(tmp_path, name):
    path, model = _weights(tmp_path, name)
    out = tmp_path / "out" / f"{name}.onnx"
    d = export_onnx(path, out)
    onnx.checker.check_model(str(out))
    proto = onnx.load(str(out))
    assert "PRelu" not in {n.op_type for n in proto.graph.node}
    assert {p.key: p.value for p in proto.metadata_props}["opset"] == "17"
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["input"] and [o.name for o in sess.get_outputs()] == ["output"]
    scale = TINY[name]["scale"]
    for h, w in ((5, 7), (16, 11)):  # not the size used during export: H and W are dynamic
        x = np.random.default_rng(h).random((1, 3, h, w), dtype=np.float32)
        got = sess.run(["output"], {"input": x})[0]
        with torch.no_grad():
            ref = model(torch.from_numpy(x)).numpy()
        assert got.shape == (1, 3, h * scale, w * scale)
        assert np.abs(got - ref).max() < 1e-4

    loaded = ModelDescriptor.load(out.with_suffix(".json"))
    assert loaded == d
    assert (d.name, d.kind, d.architecture, d.scale, d.file) == (name, "onnx", name, scale, f"{name}.onnx")
    assert d.receptive_field > 0 and d.receptive_field % 4 == 0
    assert d.provenance["arch_options"] == TINY[name] and d.provenance["steps"] == 7
    assert d.provenance["export"]["max_abs_diff"] < 1e-4


def test_prelu_to_leaky_is_the_same_function():
    torch.manual_seed(0)
    model = build_model("srresnet", **TINY["srresnet"]).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.PReLU):
                m.weight.fill_(0.3)
        x = torch.rand(1, 3, 9, 9) - 0.5
        ref = model(x)
        fast = prelu_to_leaky(model)
        assert not any(isinstance(m, torch.nn.PReLU) for m in fast.modules())
        assert torch.allclose(fast(x), ref, atol=1e-6)


def test_export_records_metrics_and_gan_provenance(tmp_path):
    path, _ = _weights(tmp_path, "srresnet", stage="gan")
    run = tmp_path / "run"
    run.mkdir()
    (run / "recipe.toml").write_text(
        '[experiment]\nname = "srgan_x4"\n[data]\ntrain = "/photos"\n'
        '[train]\nstage = "gan"\ninit = "/base.safetensors"\n[gan]\ncontent_loss = "feature_match"\n'
        "d_shift = 4\ngrid_weight = 1000.0\n"
    )
    weights = run / "generator.safetensors"
    weights.write_bytes(path.read_bytes())
    metrics = tmp_path / "eval.json"
    metrics.write_text(
        json.dumps({"sets": {"Set5": {"psnr_y": 30.1, "ssim_y": 0.86, "texture": 0.2, "per_image": []}}})
    )
    d = export_onnx(weights, tmp_path / "m.onnx", name="mine", title="Mine x4", metrics_file=metrics)
    assert (d.name, d.title) == ("mine", "Mine x4")
    assert export_onnx(weights, tmp_path / "auto.onnx").title == "SRGAN x4"
    assert d.metrics == {"Set5": {"psnr_y": 30.1, "ssim_y": 0.86, "texture": 0.2}}
    assert d.provenance["content_loss"] == "feature_match"
    assert d.provenance["base"] == "/base.safetensors" and d.provenance["data"] == "/photos"
    assert d.provenance["anti_checkerboard"] == {"d_shift": 4, "grid_weight": 1000.0}


def test_export_refuses_bad_targets(tmp_path):
    path, _ = _weights(tmp_path, "srresnet")
    with pytest.raises(ModelError, match="must end in .onnx"):
        export_onnx(path, tmp_path / "m.png")
    with pytest.raises(CheckpointError, match="does not exist"):
        export_onnx(tmp_path / "missing.safetensors", tmp_path / "m.onnx")
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(ModelError, match="not an eval JSON"):
        export_onnx(path, tmp_path / "m.onnx", metrics_file=bad)
    assert not (tmp_path / "m.onnx").exists()


def test_interpolate_state_blends_floats_only():
    a = {"w": torch.zeros(3), "n": torch.tensor([2])}
    b = {"w": torch.ones(3) * 4, "n": torch.tensor([2])}
    assert torch.equal(interpolate_state(a, b, 0.0)["w"], a["w"])
    assert torch.equal(interpolate_state(a, b, 1.0)["w"], b["w"])
    assert torch.allclose(interpolate_state(a, b, 0.25)["w"], torch.ones(3))
    with pytest.raises(ValueError, match="non-float"):
        interpolate_state(a, {"w": b["w"], "n": torch.tensor([3])}, 0.5)
    with pytest.raises(ValueError, match="different parameters"):
        interpolate_state(a, {"w": b["w"]}, 0.5)
    with pytest.raises(ValueError, match="alpha"):
        interpolate_state(a, b, 1.5)


def test_interpolate_files_gives_an_in_between_model(tmp_path):
    pa, ma = _weights(tmp_path, "srresnet", seed=1)
    pb, mb = _weights(tmp_path, "srresnet", seed=2)
    out = tmp_path / "mix.safetensors"
    interpolate_files(pa, pb, 0.5, out)
    from srgan_studio.training.export import load_generator

    mix, arch, extra = load_generator(out)
    assert extra["interpolated"]["alpha"] == 0.5
    k = "head.0.weight"
    assert torch.allclose(mix.state_dict()[k], (ma.state_dict()[k] + mb.state_dict()[k]) / 2, atol=1e-6)
    other, _ = _weights(tmp_path, "srresnet", seed=3, channels=4)
    with pytest.raises(CheckpointError, match="architecture"):
        interpolate_files(pa, other, 0.5, tmp_path / "x.safetensors")
