"""Self-ensemble as a user option: `upscale --ensemble`, `eval --ensemble`, the setting and its dialog entry."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image as PILImage

from srgan_studio.cli import main
from srgan_studio.core.errors import SettingsError
from srgan_studio.core.registry import user_models_dir
from srgan_studio.core.settings import Settings, SettingsWarning, load_settings, save_settings, settings_path, validate


@pytest.fixture
def user_model(tiny_model):
    folder = user_models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(tiny_model.model_path, folder / "srresnet_x4.onnx")
    desc = json.loads(tiny_model.to_json())
    desc.update(name="srresnet_x4", file="srresnet_x4.onnx")
    (folder / "srresnet_x4.json").write_text(json.dumps(desc))
    return "srresnet_x4"


def _photo(path, size=(30, 22)):
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
    arr = (128 + 80 * np.sin(xx / 3.0 + yy / 5.0))[..., None] * np.array([1.0, 0.8, 0.6])
    arr += np.random.default_rng(0).normal(0, 10, arr.shape)
    PILImage.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(path)
    return path


def _upscale(src, out, *argv):
    assert main(["upscale", str(src), "-o", str(out), "-q", "--model", "srresnet_x4", *argv]) == 0
    return np.asarray(PILImage.open(out)).astype(int)


def test_upscale_ensemble_flag_and_the_setting_default(tmp_path, user_model):
    src = _photo(tmp_path / "a.png")
    one = _upscale(src, tmp_path / "one.png")
    eight = _upscale(src, tmp_path / "eight.png", "--ensemble", "8")
    assert one.shape == eight.shape == (88, 120, 3)
    assert 0 < np.abs(one - eight).max() < 40  # a random net is not symmetric, but the passes agree roughly
    save_settings(Settings(ensemble=8))
    assert np.array_equal(_upscale(src, tmp_path / "from_settings.png"), eight)
    assert np.array_equal(_upscale(src, tmp_path / "override.png", "--ensemble", "1"), one)


@pytest.mark.parametrize("bad", ["2", "3", "0", "16"])
def test_bad_pass_count_is_one_line(tmp_path, user_model, capsys, bad):
    src = _photo(tmp_path / "a.png")
    assert main(["upscale", str(src), "--ensemble", bad]) == 1
    err = capsys.readouterr().err
    assert err == f"srgan-studio: error: --ensemble must be 1, 4 or 8 (passes per tile), not {bad}\n"
    assert not (tmp_path / "a_x4.png").exists()
    hr = tmp_path / "hr"
    hr.mkdir()
    _photo(hr / "x.png", (32, 32))
    assert main(["eval", "--model", "bicubic", str(hr), "--ensemble", bad]) == 1
    assert capsys.readouterr().err == err


def test_eval_ensemble_is_measured_and_recorded(tmp_path, user_model, capsys):
    hr = tmp_path / "hr"
    hr.mkdir()
    _photo(hr / "x.png", (48, 40))
    results = {}
    for n in ("1", "4"):
        assert main(["eval", "--model", "srresnet_x4", str(hr), "--ensemble", n, "--json"]) == 0
        results[n] = json.loads(capsys.readouterr().out)
    assert results["4"]["ensemble"] == 4 and "self-ensemble of 4" in results["4"]["label"]
    assert results["1"]["ensemble"] == 1 and "self-ensemble" not in results["1"]["label"]
    assert results["1"]["sets"]["hr"]["psnr_y"] != results["4"]["sets"]["hr"]["psnr_y"]


def test_eval_refuses_ensemble_for_pytorch_weights(tmp_path, capsys):
    hr = tmp_path / "hr"
    hr.mkdir()
    _photo(hr / "x.png", (32, 32))
    weights = tmp_path / "g.safetensors"
    weights.write_bytes(b"x")
    assert main(["eval", "--model", str(weights), str(hr), "--ensemble", "8"]) == 1
    err = capsys.readouterr().err
    assert "export g.safetensors to ONNX first" in err and err.count("\n") == 1


def test_setting_is_validated_and_reset_when_bad():
    validate(Settings(ensemble=4))
    for bad in (2, 3, True, "8", 8.0):
        with pytest.raises(SettingsError, match="ensemble"):
            validate(Settings(ensemble=bad))
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"ensemble": 5, "tile": 64}))
    with pytest.warns(SettingsWarning, match="ensemble=5"):
        loaded = load_settings()
    assert (loaded.ensemble, loaded.tile) == (1, 64)
    path.write_text(json.dumps({"ensemble": 8}))
    assert load_settings().ensemble == 8


def test_settings_dialog_offers_the_passes_and_the_window_uses_them(qtbot):
    from srgan_studio.gui.main_window import MainWindow
    from srgan_studio.gui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(ensemble=8), devices=["cpu"])
    qtbot.addWidget(dialog)
    assert dialog.ensemble.currentText() == "Best quality: 8 passes, about 8x slower"
    assert dialog.result_settings().ensemble == 8
    dialog.ensemble.setCurrentIndex(dialog.ensemble.findData(1))
    assert dialog.result_settings().ensemble == 1
    assert [dialog.ensemble.itemData(i) for i in range(dialog.ensemble.count())] == [1, 4, 8]
    window = MainWindow.__new__(MainWindow)  # only the settings -> engine options mapping
    window.settings = Settings(ensemble=4)
    assert MainWindow._engine_options(window)["ensemble"] == 4
