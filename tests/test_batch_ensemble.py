"""Batch honours the self-ensemble like upscale: `batch --ensemble N`, the setting, the batch window,
and a report that records each output's passes so a resumed batch does not mix counts silently."""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image as PILImage

from srgan_studio.cli import main
from srgan_studio.core.batch import BatchJob, plan_batch
from srgan_studio.core.errors import StudioError
from srgan_studio.core.registry import user_models_dir
from srgan_studio.core.settings import Settings, save_settings

MODEL = "srresnet_x4"


@pytest.fixture
def user_model(tiny_model):
    folder = user_models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(tiny_model.model_path, folder / f"{MODEL}.onnx")
    desc = json.loads(tiny_model.to_json())
    desc.update(name=MODEL, file=f"{MODEL}.onnx")
    (folder / f"{MODEL}.json").write_text(json.dumps(desc))
    return MODEL


def _photo(path, size=(30, 22), seed=0):
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
    arr = (128 + 80 * np.sin(xx / 3.0 + yy / 5.0 + seed))[..., None] * np.array([1.0, 0.8, 0.6])
    arr += np.random.default_rng(seed).normal(0, 10, arr.shape)
    PILImage.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(path)
    return path


def _folder(path, n=2):
    path.mkdir()
    for i in range(n):
        _photo(path / f"img{i}.png", seed=i)
    return path


def _pixels(path):
    return np.asarray(PILImage.open(path)).astype(int)


def _batch(src, out, *argv):
    return main(["batch", str(src), str(out), "-m", MODEL, "-q", *argv])


def _upscale(src, out, *argv):
    assert main(["upscale", str(src), "-o", str(out), "-q", "--model", MODEL, *argv]) == 0
    return _pixels(out)


def test_batch_ensemble_equals_upscale_and_the_setting_is_the_default(tmp_path, user_model):
    src = _folder(tmp_path / "in")
    assert _batch(src, tmp_path / "one") == 0
    assert _batch(src, tmp_path / "four", "--ensemble", "4") == 0
    for i in range(2):
        one = _pixels(tmp_path / "one" / f"img{i}_{MODEL}.png")
        four = _pixels(tmp_path / "four" / f"img{i}_{MODEL}.png")
        assert one.shape == four.shape == (88, 120, 3)
        assert np.abs(one - four).max() > 0  # a random net is not symmetric: the passes did run
        assert np.array_equal(four, _upscale(src / f"img{i}.png", tmp_path / f"up4_{i}.png", "--ensemble", "4"))
        assert np.array_equal(one, _upscale(src / f"img{i}.png", tmp_path / f"up1_{i}.png", "--ensemble", "1"))
    # Left out, the flag takes the app's setting; given, it wins over it.
    save_settings(Settings(ensemble=4))
    assert _batch(src, tmp_path / "setting") == 0
    assert _batch(src, tmp_path / "flag", "--ensemble", "1") == 0
    for i in range(2):
        name = f"img{i}_{MODEL}.png"
        assert np.array_equal(_pixels(tmp_path / "setting" / name), _pixels(tmp_path / "four" / name))
        assert np.array_equal(_pixels(tmp_path / "flag" / name), _pixels(tmp_path / "one" / name))


@pytest.mark.parametrize("bad", ["2", "3", "0", "16"])
def test_bad_pass_count_is_the_same_one_line_error_as_upscale(tmp_path, user_model, capsys, bad):
    src = _folder(tmp_path / "in", 1)
    assert _batch(src, tmp_path / "out", "--ensemble", bad) == 1
    err = capsys.readouterr().err
    assert err == f"srgan-studio: error: --ensemble must be 1, 4 or 8 (passes per tile), not {bad}\n"
    assert not (tmp_path / "out").exists()
    assert main(["upscale", str(src / "img0.png"), "--ensemble", bad]) == 1
    assert capsys.readouterr().err == err


def test_a_bad_pass_count_in_a_job_is_refused_before_any_work(tmp_path):
    src = _folder(tmp_path / "in", 1)
    with pytest.raises(StudioError, match=r"^ensemble must be 1, 4 or 8 \(passes per tile\), not 2$"):
        plan_batch(BatchJob(src, tmp_path / "out", models=["bicubic_x4"], ensemble=2))


def _report(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    return data, {e["input"].rsplit("/", 1)[-1]: e["passes"] for e in data["files"]}


def test_report_records_passes_and_a_resume_with_another_count_says_so(tmp_path, user_model, capsys):
    src = _folder(tmp_path / "in", 3)
    out, report = tmp_path / "out", tmp_path / "out" / "report.json"
    assert _batch(src, out, "--report", str(report)) == 0
    data, passes = _report(report)
    assert data["settings"]["ensemble"] == 1 and passes == {"img0.png": [1], "img1.png": [1], "img2.png": [1]}
    capsys.readouterr()

    # Resumed at 8 passes with one output gone: it is made at 8, the two kept are named in one line, even with -q.
    (out / f"img1_{MODEL}.png").unlink()
    assert _batch(src, out, "--report", str(report), "--ensemble", "8") == 0
    err = capsys.readouterr().err
    note = (
        "note: 2 existing outputs kept from an earlier run were made with 1 pass per tile, this run makes 8 passes: "
        "overwrite redoes them, or resume with their count to keep one\n"
    )
    assert err == note
    data, passes = _report(report)
    assert data["settings"]["ensemble"] == 8 and passes == {"img0.png": [1], "img1.png": [8], "img2.png": [1]}

    # The counts carry over: a second resume at 8 still knows two outputs have 1 pass, and one at 1 names the 8.
    assert _batch(src, out, "--report", str(report), "--ensemble", "8") == 0
    assert capsys.readouterr().err == note
    assert _batch(src, out, "--report", str(report), "--ensemble", "1") == 0
    assert "1 existing output kept from an earlier run was made with 8 passes per tile" in capsys.readouterr().err
    assert _report(report)[1] == {"img0.png": [1], "img1.png": [8], "img2.png": [1]}

    # Resumed with the count that made them all: nothing to say. Overwrite redoes them all at the new count.
    (out / f"img1_{MODEL}.png").unlink()
    assert _batch(src, out, "--report", str(report)) == 0
    assert capsys.readouterr().err == ""
    assert _batch(src, out, "--report", str(report), "--ensemble", "4", "--overwrite") == 0
    assert capsys.readouterr().err == ""
    assert _report(report)[1] == {"img0.png": [4], "img1.png": [4], "img2.png": [4]}


def _by_output(path):
    return {o.rsplit("/", 1)[-1]: n for e in _report(path)[0]["files"] for o, n in zip(e["outputs"], e["passes"])}


def test_a_report_from_before_the_passes_means_one_pass_and_bicubic_is_always_one(tmp_path, user_model, capsys):
    src = _folder(tmp_path / "in", 2)
    out, report = tmp_path / "out", tmp_path / "out" / "report.json"
    assert _batch(src, out, "-m", "bicubic_x4", "--report", str(report), "--ensemble", "8") == 0
    assert _by_output(report) == {
        f"img0_{MODEL}.png": 8,
        f"img1_{MODEL}.png": 8,
        "img0_bicubic_x4.png": 1,  # symmetric: one pass whatever the setting
        "img1_bicubic_x4.png": 1,
    }
    # An older report: no passes, no ensemble setting (batch ran every model once then); it lists no bicubic output.
    data = _report(report)[0]
    data["settings"].pop("ensemble")
    for entry in data["files"]:
        entry.pop("passes")
        entry["outputs"] = [o for o in entry["outputs"] if "bicubic" not in o]
    report.write_text(json.dumps(data), encoding="utf-8")
    capsys.readouterr()
    assert _batch(src, out, "-m", "bicubic_x4", "--report", str(report), "--ensemble", "8") == 0
    assert "2 existing outputs kept from an earlier run were made with 1 pass per tile" in capsys.readouterr().err
    assert _by_output(report) == {
        f"img0_{MODEL}.png": 1,
        f"img1_{MODEL}.png": 1,
        "img0_bicubic_x4.png": None,  # not in the report it replaced: unknown, not guessed
        "img1_bicubic_x4.png": None,
    }


def test_batch_window_uses_the_live_setting_and_shows_it(qtbot, tmp_path, user_model, monkeypatch):
    from gui_fixtures import batch_window

    from srgan_studio.gui.batch_window_progress import found_text

    src = _folder(tmp_path / "in", 2)
    win = batch_window(qtbot, tmp_path)
    win.set_input(src)
    win.set_models([MODEL])
    assert win.build_job().ensemble == 1
    # The main window replaces its Settings object when the dialog applies: the window follows its parent's.
    main_window = SimpleNamespace(settings=Settings(ensemble=4))
    monkeypatch.setattr(win, "parent", lambda: main_window)
    assert win.build_job().ensemble == 4
    assert "2 images in in, 4 passes per tile (Settings › Quality). Press Start." == found_text([1, 2], [], str(src), 4)
    assert found_text([1, 2], [], str(src), 1) == "2 images in in. Press Start."

    worker = win.start()
    assert worker is not None, win.last_error
    with qtbot.waitSignal(win.finished, timeout=60000) as got:
        pass
    qtbot.waitUntil(lambda: win.worker is None, timeout=10000)
    assert got.args[0].done == 2
    out = tmp_path / "in_upscaled"
    four = _upscale(src / "img0.png", tmp_path / "up4.png", "--ensemble", "4")
    assert np.array_equal(_pixels(out / f"img0_{MODEL}.png"), four)
    data = json.loads((out / "srgan-batch-report.json").read_text(encoding="utf-8"))
    assert data["settings"]["ensemble"] == 4 and [e["passes"] for e in data["files"]] == [[4], [4]]

    # Resumed at 1 pass with one output gone: the summary line says the folder now mixes counts.
    (out / f"img1_{MODEL}.png").unlink()
    main_window.settings = Settings(ensemble=1)
    win.start()
    with qtbot.waitSignal(win.finished, timeout=60000):
        pass
    qtbot.waitUntil(lambda: win.worker is None, timeout=10000)
    assert (
        "Note: 1 existing output kept from an earlier run was made with 4 passes per tile" in win.summary_label.text()
    )
