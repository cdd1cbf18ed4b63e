"""The eval protocol against a PSNR computed by hand, and the eval command end to end."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from PIL import Image

from srgan_studio.cli import main
from srgan_studio.core.errors import StudioError
from srgan_studio.training.evaluate import bicubic_runner, eval_sets, evaluate


def _hr_folder(folder, sizes=((42, 37), (40, 44))):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    for i, (h, w) in enumerate(sizes):
        yy, xx = np.mgrid[:h, :w]
        base = (np.sin(xx / 2.5 + i) * np.cos(yy / 3.5))[..., None] * np.array([70, 50, 30]) + 120
        Image.fromarray(np.clip(base + rng.normal(0, 8, (h, w, 3)), 0, 255).astype(np.uint8)).save(
            folder / f"im{i}.png"
        )
    return folder


def _hand_psnr(sr: np.ndarray, hr: np.ndarray, border: int) -> float:
    """Written out independently of core.metrics: MATLAB rgb2ycbcr Y, rounded, border cropped."""

    def y(img):
        img = img.astype(np.float64)
        return np.round(16 + (65.481 * img[..., 0] + 128.553 * img[..., 1] + 24.966 * img[..., 2]) / 255)

    a, b = y(sr)[border:-border, border:-border], y(hr)[border:-border, border:-border]
    return 10 * math.log10(255**2 / np.mean((a - b) ** 2))


def _hand_bicubic(path, scale):
    hr = np.asarray(Image.open(path).convert("RGB"))
    h, w = hr.shape[0] // scale * scale, hr.shape[1] // scale * scale  # mod-crop
    hr = hr[:h, :w]
    lr = Image.fromarray(hr).resize((w // scale, h // scale), Image.BICUBIC)
    return np.asarray(lr.resize((w, h), Image.BICUBIC)), hr


@pytest.mark.parametrize("scale", [2, 4])
def test_bicubic_psnr_matches_hand_computation(tmp_path, scale):
    folder = _hr_folder(tmp_path / "set")
    result = evaluate(bicubic_runner(scale), [folder], scale)
    m = result["sets"]["set"]
    hand = [_hand_psnr(*_hand_bicubic(p, scale), scale) for p in sorted(folder.glob("*.png"))]
    assert m["images"] == 2
    assert m["psnr_y"] == pytest.approx(np.mean(hand), abs=1e-9)
    assert m["bicubic_psnr_y"] == pytest.approx(np.mean(hand), abs=1e-9)
    assert [r["psnr_y"] for r in m["per_image"]] == pytest.approx(hand, abs=1e-9)
    assert 0 < m["texture"] < 1 and 0 < m["ssim_y"] <= 1


def test_folder_of_sets_is_split(tmp_path):
    _hr_folder(tmp_path / "val" / "A")
    _hr_folder(tmp_path / "val" / "B")
    assert sorted(eval_sets([tmp_path / "val"])) == ["A", "B"]
    with pytest.raises(StudioError, match="does not exist"):
        eval_sets([tmp_path / "nowhere"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(StudioError, match="no images"):
        eval_sets([tmp_path / "empty"])


def test_eval_command_with_weights_and_export_metrics(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    from srgan_studio.training.archs import build_model
    from srgan_studio.training.checkpoint import save_weights
    from srgan_studio.training.validation import run_model

    torch.manual_seed(0)
    options = {"scale": 4, "blocks": 1, "channels": 8, "batch_norm": False, "bicubic_skip": True}
    model = build_model("srresnet", **options)
    with torch.no_grad():
        model.tail.weight.normal_(0, 0.01)  # a model that differs from bicubic
    weights = tmp_path / "g.safetensors"
    save_weights(weights, model.state_dict(), {"type": "srresnet", "options": options}, {"step": 3})
    folder = _hr_folder(tmp_path / "set")
    out = tmp_path / "eval.json"
    assert main(["eval", "--model", str(weights), str(folder), "--json", "-o", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text())
    m = printed["sets"]["set"]
    model.eval()
    hand = []
    for p in sorted(folder.glob("*.png")):
        _, hr = _hand_bicubic(p, 4)
        lr = np.asarray(Image.fromarray(hr).resize((hr.shape[1] // 4, hr.shape[0] // 4), Image.BICUBIC))
        hand.append(_hand_psnr(run_model(model, lr), hr, 4))
    assert m["psnr_y"] == pytest.approx(np.mean(hand), abs=1e-9)
    assert m["psnr_y"] != pytest.approx(m["bicubic_psnr_y"], abs=1e-6)

    assert main(["export", str(weights), "-o", str(tmp_path / "m.onnx"), "--metrics", str(out)]) == 0
    desc = json.loads((tmp_path / "m.json").read_text())
    assert desc["metrics"]["set"]["psnr_y"] == pytest.approx(m["psnr_y"])
    capsys.readouterr()
    # The exported ONNX file evaluates through the engine to the same figures (within rounding).
    assert main(["eval", "--model", str(tmp_path / "m.onnx"), str(folder), "--json"]) == 0
    onnx_m = json.loads(capsys.readouterr().out)["sets"]["set"]
    assert onnx_m["psnr_y"] == pytest.approx(m["psnr_y"], abs=0.05)


def test_eval_command_errors_are_one_line(tmp_path, capsys):
    folder = _hr_folder(tmp_path / "set")
    assert main(["eval", "--model", str(tmp_path / "none.safetensors"), str(folder)]) == 1
    err = capsys.readouterr().err.strip()
    assert "does not exist" in err and len(err.splitlines()) == 1
    assert main(["eval", "--model", "no_such_model", str(folder)]) == 1
    assert "unknown model" in capsys.readouterr().err


def test_lattice_amplitude_sees_a_checkerboard_not_texture():
    from srgan_studio.core.metrics import lattice_amplitude

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:64, :64]
    smooth = (np.sin(xx / 7) * np.cos(yy / 9))[..., None] * 60 + 120 + np.zeros((1, 1, 3))
    textured = np.clip(smooth + rng.normal(0, 10, smooth.shape), 0, 255).astype(np.uint8)
    grid = smooth.copy()
    grid[::4, ::4] += 8  # a faint 4-periodic dot grid
    grid = np.clip(grid, 0, 255).astype(np.uint8)
    assert lattice_amplitude(grid, 4) > 3 * lattice_amplitude(textured, 4)
    assert lattice_amplitude(smooth.astype(np.uint8), 4) < 0.5


def test_degraded_eval_scores_the_pipelines_lr_against_the_clean_hr(tmp_path):
    folder = _hr_folder(tmp_path / "set", sizes=((64, 64), (48, 80)))
    clean = evaluate(bicubic_runner(4), [folder], 4)
    degraded = evaluate(bicubic_runner(4), [folder], 4, degradation="realesrgan", seed=5)
    again = evaluate(bicubic_runner(4), [folder], 4, degradation="realesrgan", seed=5)
    other = evaluate(bicubic_runner(4), [folder], 4, degradation="realesrgan", seed=6)
    c, d = clean["sets"]["set"], degraded["sets"]["set"]
    assert d["bicubic_psnr_y"] < c["bicubic_psnr_y"]  # damaged inputs score lower
    assert d["psnr_y"] == again["sets"]["set"]["psnr_y"]  # a fixed seed is a fixed test set
    assert d["psnr_y"] != other["sets"]["set"]["psnr_y"]
    assert "realesrgan" in degraded["protocol"] and degraded["seed"] == 5
    assert not list(folder.glob("*degrad*"))  # nothing degraded is written


def test_eval_command_rejects_an_unknown_degradation(tmp_path, capsys):
    folder = _hr_folder(tmp_path / "set")
    with pytest.raises(SystemExit):
        main(["eval", "--model", "bicubic_x4", str(folder), "--degradation", "vintage"])
    assert "vintage" in capsys.readouterr().err


def test_one_draw_is_the_single_draw_protocol_bit_for_bit(tmp_path):
    """draws=1 degrades image i with default_rng([seed, i]), exactly as before --draws existed."""
    from srgan_studio.core.degradation import config_from, degrade

    folder = _hr_folder(tmp_path / "set", sizes=((64, 64), (48, 80)))
    result = evaluate(bicubic_runner(4), [folder], 4, degradation="photo", seed=3, draws=1)
    hand = []
    for index, path in enumerate(sorted(folder.glob("*.png"))):
        hr = np.asarray(Image.open(path).convert("RGB"))
        lr = degrade(hr, 4, config_from("photo"), np.random.default_rng([3, index]))
        hand.append(
            _hand_psnr(np.asarray(Image.fromarray(lr).resize((hr.shape[1], hr.shape[0]), Image.BICUBIC)), hr, 4)
        )
    m = result["sets"]["set"]
    assert [r["psnr_y"] for r in m["per_image"]] == pytest.approx(hand, abs=1e-9)
    assert [r["draw"] for r in m["per_image"]] == [0, 0]
    assert m["psnr_y"] == evaluate(bicubic_runner(4), [folder], 4, degradation="photo", seed=3)["sets"]["set"]["psnr_y"]
    assert "1 draw per image" in result["protocol"] and result["draws"] == 1


def test_more_draws_score_every_image_on_independent_fixed_draws(tmp_path):
    folder = _hr_folder(tmp_path / "set", sizes=((64, 64), (48, 80)))
    one = evaluate(bicubic_runner(4), [folder], 4, degradation="photo", seed=3)["sets"]["set"]
    three = evaluate(bicubic_runner(4), [folder], 4, degradation="photo", seed=3, draws=3)
    m = three["sets"]["set"]
    rows = m["per_image"]
    assert m["images"] == 2 and len(rows) == 6
    assert [(r["image"], r["draw"]) for r in rows] == [(f"im{i}.png", d) for i in range(2) for d in range(3)]
    # Draw 0 is the single-draw LR; the other draws are different LRs (different scores).
    assert [r for r in rows if r["draw"] == 0] == one["per_image"]
    for i in range(2):
        scores = [r["bicubic_psnr_y"] for r in rows[3 * i : 3 * i + 3]]
        assert len(set(scores)) == 3
    assert m["psnr_y"] == pytest.approx(np.mean([r["psnr_y"] for r in rows]), abs=1e-12)
    assert m["bicubic_ssim_y"] == pytest.approx(np.mean([r["bicubic_ssim_y"] for r in rows]), abs=1e-12)
    assert m["psnr_y"] != one["psnr_y"]
    again = evaluate(bicubic_runner(4), [folder], 4, degradation="photo", seed=3, draws=3)
    assert again["sets"]["set"]["per_image"] == rows  # fixed draws: a fixed test set
    assert "3 draws per image" in three["protocol"] and three["draws"] == 3


def test_eval_command_draws(tmp_path, capsys):
    folder = _hr_folder(tmp_path / "set", sizes=((64, 64), (48, 80)))
    assert main(["eval", "--model", "bicubic_x4", str(folder), "--degradation", "photo", "--draws", "2"]) == 0
    table = capsys.readouterr().out
    assert "2 draws per image" in table
    assert main(["eval", "--model", "bicubic_x4", str(folder), "--degradation", "photo", "--draws", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["draws"] == 2 and len(result["sets"]["set"]["per_image"]) == 4


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--draws", "3"], "--draws needs --degradation"), (["--degradation", "photo", "--draws", "0"], "at least 1")],
)
def test_eval_command_draws_usage_errors_are_one_line(tmp_path, capsys, extra, message):
    folder = _hr_folder(tmp_path / "set")
    assert main(["eval", "--model", "bicubic_x4", str(folder), *extra]) == 1
    captured = capsys.readouterr()
    assert message in captured.err and len(captured.err.strip().splitlines()) == 1
    assert captured.out == ""
