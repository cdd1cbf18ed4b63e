"""Importing community PyTorch upscalers through spandrel (training/import_model.py, `models import`, the GUI).

Model files are made here from spandrel's own architecture classes with random
weights, in the key layouts community files use (``params_ema``, ``params``, bare).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("spandrel")

from safetensors.torch import save_file  # noqa: E402
from spandrel import ModelLoader  # noqa: E402
from spandrel.architectures.Compact import Compact  # noqa: E402
from spandrel.architectures.ESRGAN import ESRGAN  # noqa: E402
from spandrel.architectures.RestoreFormer import RestoreFormer  # noqa: E402
from spandrel.architectures.SPAN import SPAN  # noqa: E402

from srgan_studio.cli import main  # noqa: E402
from srgan_studio.core.atomic import file_sha256  # noqa: E402
from srgan_studio.core.errors import ModelError  # noqa: E402
from srgan_studio.core.imageio import Image  # noqa: E402
from srgan_studio.core.registry import Registry, user_models_dir  # noqa: E402
from srgan_studio.core.upscale import Upscaler  # noqa: E402
from srgan_studio.training import import_model  # noqa: E402
from srgan_studio.training.import_model import import_pytorch_model  # noqa: E402

ARCHS = {  # small configurations: the same code paths as the community's full-size files
    "esrgan": lambda: ESRGAN(num_filters=16, num_blocks=2, scale=4),
    "compact": lambda: Compact(num_feat=16, num_conv=4, upscale=4),
    "span": lambda: SPAN(num_in_ch=3, num_out_ch=3, feature_channels=16, upscale=2),
}
SCALES = {"esrgan": 4, "compact": 4, "span": 2}


def _state(arch: str, seed: int = 0) -> dict:
    torch.manual_seed(seed)
    return {k: v.contiguous() for k, v in ARCHS[arch]().state_dict().items()}


def _save(state: dict, path, layout: str = "bare"):
    wrapped = state if layout == "bare" else {layout: state}
    if path.suffix == ".safetensors":
        save_file(state, str(path))  # safetensors files are always bare state dicts
    else:
        torch.save(wrapped, path)
    return path


def _drain(gen):
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


def _one_line_cli_error(capsys, argv) -> str:
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def _nothing_registered():
    folder = user_models_dir()
    assert not folder.exists() or not any(folder.iterdir())


@pytest.mark.parametrize("arch", sorted(ARCHS))
@pytest.mark.parametrize("suffix,layout", [(".pth", "params_ema"), (".pth", "params"), (".safetensors", "bare")])
def test_round_trip_through_the_cli_and_the_engine(arch, suffix, layout, tmp_path, capsys):
    state = _state(arch)
    src = _save(state, tmp_path / f"community_{arch}{suffix}", layout)
    assert main(["models", "import", str(src), "--name", "mine"]) == 0
    assert "imported mine: x" in capsys.readouterr().out
    d = Registry().get("mine")
    assert (d.kind, d.scale, d.in_channels, d.out_channels, d.user) == ("onnx", SCALES[arch], 3, 3, True)
    assert d.provenance["source_sha256"] == file_sha256(src) and d.provenance["imported_from"] == src.name
    assert d.provenance["licence"] == "unknown, check the source"
    assert d.receptive_field > 0 and d.provenance["export"]["max_abs_diff"] < 1e-4

    spandrel_model = ModelLoader().load_from_state_dict(state)
    rng = np.random.default_rng(3)
    x = rng.random((1, 3, 23, 31), dtype=np.float32)  # a size the export was not verified on
    with torch.no_grad():
        ref = spandrel_model(torch.from_numpy(x)).numpy()  # spandrel clamps to [0, 1]
    import onnxruntime as ort

    got = ort.InferenceSession(str(d.model_path), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    assert np.abs(np.clip(got, 0, 1) - ref).max() <= 1e-4

    image = Image(color=(x[0].transpose(1, 2, 0) * 255).round().astype(np.uint8))
    out = _drain(Upscaler(d, device="cpu", engine="onnxruntime", precision="fp32").run(image))
    assert (out.height, out.width) == (23 * SCALES[arch], 31 * SCALES[arch])
    with torch.no_grad():
        expected = spandrel_model(torch.from_numpy(image.color.transpose(2, 0, 1)[None] / 255.0).float())
    expected8 = (expected[0].numpy().transpose(1, 2, 0) * 255).round()
    assert np.abs(out.color.astype(float) - expected8).max() <= 1  # one 8-bit level of rounding


@pytest.mark.slow
def test_a_full_size_rrdbnet_x4_round_trips(tmp_path, monkeypatch, capsys):
    """23 blocks, 64 channels: the size of ESRGAN and Real-ESRGAN x4plus files."""
    measure = import_model.estimate_receptive_field
    # The 96 px gradient pass costs two minutes on 2 cores at this size; 32 px bounds the same code path.
    monkeypatch.setattr(
        import_model, "estimate_receptive_field", lambda m, s, **kw: measure(m, s, **{**kw, "size": 32})
    )
    torch.manual_seed(0)
    state = {k: v.contiguous() for k, v in ESRGAN().state_dict().items()}
    src = _save(state, tmp_path / "RealESRGAN_x4plus_like.pth", "params_ema")
    assert main(["models", "import", str(src), "--name", "full"]) == 0
    capsys.readouterr()
    d = Registry().get("full")
    assert (d.architecture, d.scale) == ("ESRGAN", 4)
    x = np.random.default_rng(4).random((1, 3, 17, 22), dtype=np.float32)
    with torch.no_grad():
        ref = ModelLoader().load_from_state_dict(state)(torch.from_numpy(x)).numpy()
    import onnxruntime as ort

    got = ort.InferenceSession(str(d.model_path), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    assert np.abs(np.clip(got, 0, 1) - ref).max() <= 1e-4


def test_import_records_size_needs_fp16_and_time(tmp_path):
    src = _save(_state("compact"), tmp_path / "compact.safetensors")
    d = import_pytorch_model(src, Registry(), name="c")
    assert d.architecture == "RealESRGAN Compact" and d.pad_multiple == 1
    assert d.provenance["size_requirements"] == {"minimum": 0, "multiple_of": 1}
    assert isinstance(d.fp16, bool) and d.provenance["export"]["import_seconds"] > 0


class _RunsCode:
    """Unpickling this calls open(marker, 'w'): what a malicious .pth would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_that_runs_code_is_refused_and_never_runs(tmp_path, capsys):
    marker = tmp_path / "pwned"
    src = tmp_path / "evil.pth"
    torch.save({"params_ema": _state("compact"), "payload": _RunsCode(marker)}, src)
    err = _one_line_cli_error(capsys, ["models", "import", str(src)])
    assert "evil.pth" in err and "pickled" in err and "open" in err and ".safetensors" in err
    assert not marker.exists()
    _nothing_registered()


def test_the_marker_pickle_is_a_real_bomb(tmp_path):
    """Guards the test above: loading the same file without weights_only does run its code."""
    marker = tmp_path / "pwned"
    src = tmp_path / "evil.pth"
    torch.save({"payload": _RunsCode(marker)}, src)
    torch.load(src, weights_only=False)
    assert marker.exists()


def test_loading_is_weights_only(tmp_path, monkeypatch):
    seen = []
    real = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **kw: seen.append(kw.get("weights_only")) or real(*a, **kw))
    src = _save(_state("compact"), tmp_path / "c.pth", "params")
    import_model.read_state_dict(src)
    assert seen == [True]


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_a_truncated_file_is_refused(suffix, tmp_path, capsys):
    src = _save(_state("esrgan"), tmp_path / f"cut{suffix}")
    data = src.read_bytes()
    src.write_bytes(data[: len(data) // 2])
    err = _one_line_cli_error(capsys, ["models", "import", str(src)])
    assert f"cut{suffix}" in err and "not a readable" in err
    _nothing_registered()


def test_random_junk_is_refused(tmp_path, capsys):
    src = tmp_path / "junk.pth"
    src.write_bytes(np.random.default_rng(0).bytes(4096))
    err = _one_line_cli_error(capsys, ["models", "import", str(src)])
    assert "junk.pth" in err and "not a readable PyTorch weights file" in err
    _nothing_registered()


def test_an_unknown_state_dict_is_refused(tmp_path, capsys):
    src = _save(
        {"encoder.weight": torch.zeros(8, 3, 3, 3), "head.bias": torch.zeros(8)}, tmp_path / "mystery.safetensors"
    )
    err = _one_line_cli_error(capsys, ["models", "import", str(src)])
    assert "mystery.safetensors" in err and "does not recognise" in err
    _nothing_registered()


def test_a_face_model_is_refused(tmp_path, capsys):
    torch.manual_seed(0)
    face = RestoreFormer(n_embed=16, embed_dim=32, ch=32, ch_mult=(1, 1), num_res_blocks=1, z_channels=32)
    src = _save(face.state_dict(), tmp_path / "face.pth", "params_ema")
    err = _one_line_cli_error(capsys, ["models", "import", str(src)])
    assert "face.pth" in err and "FaceSR" in err and "only super-resolution and restoration" in err
    _nothing_registered()


def test_a_four_channel_model_is_refused(tmp_path):
    torch.manual_seed(0)
    src = _save(Compact(num_in_ch=4, num_out_ch=4, num_feat=8, num_conv=2).state_dict(), tmp_path / "rgba.pth")
    with pytest.raises(ModelError, match="maps 4 to 4 channels"):
        import_pytorch_model(src, Registry())
    _nothing_registered()


def test_an_oversized_file_is_refused_before_loading(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(import_model, "MAX_FILE_BYTES", 1000)
    src = _save(_state("compact"), tmp_path / "huge.safetensors")
    err = _one_line_cli_error(capsys, ["models", "import", str(src)])
    assert "huge.safetensors" in err and "over the" in err
    _nothing_registered()


def test_a_taken_name_is_refused_before_any_work(tmp_path):
    src = _save(_state("compact"), tmp_path / "c.safetensors")
    registry = Registry()
    import_pytorch_model(src, registry, name="same")
    with pytest.raises(ModelError, match="already exists"):
        import_pytorch_model(src, registry, name="same")


def test_without_the_train_extra_the_cli_gives_the_pip_hint(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "srgan_studio.training.import_model", None)  # import fails
    src = _save(_state("compact"), tmp_path / "c.pth")
    err = _one_line_cli_error(capsys, ["models", "import", str(src)])
    assert "c.pth" in err and "pip install 'srgan-studio[train]'" in err


def test_the_model_manager_imports_through_a_child_process(qtbot, tmp_path):
    from gui_fixtures import wait_worker

    from srgan_studio.gui.model_manager import ModelManager

    src = _save(_state("compact"), tmp_path / "Community Compact.safetensors")
    bad = tmp_path / "broken.pth"
    bad.write_bytes(b"not a model")
    mm = ModelManager(Registry())
    qtbot.addWidget(mm)
    worker = mm.import_path(src, name="community")
    wait_worker(qtbot, worker, timeout=120000)
    assert worker.outcome == "finished", worker.error
    assert "community" in mm.names()
    mm.table.selectRow(mm.names().index("community"))
    details = mm.details.toPlainText()
    assert "Imported from Community Compact.safetensors" in details and "Licence: unknown, check the source" in details
    worker = mm.import_path(bad)
    wait_worker(qtbot, worker, timeout=120000)
    assert worker.outcome == "errored"
    assert "broken.pth" in mm.last_error and "\n" not in mm.last_error
    assert "broken" not in mm.names()
