"""The fine-tune package's parts on their own: trainer records, the run's status, the budget,
one photo list for the scan and the trainer, same-region crops, failures that reach the user."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from finetune_fixtures import install_fake_trainer, isolated_registry, make_fake_base, make_photos
from gen_helpers import collect
from PIL import Image

from srgan_studio.core import finetune as ft
from srgan_studio.core import train_records as rec
from srgan_studio.core.errors import Cancelled, SettingsError, StudioError
from srgan_studio.core.finetune import budget, previews
from srgan_studio.core.finetune.state import RunState, StatusError
from srgan_studio.core.settings import data_dir


def fake_run(tmp_path, monkeypatch, **opts) -> ft.FinetuneRun:
    make_fake_base(data_dir() / "models")
    install_fake_trainer(monkeypatch, tmp_path, "ok")
    photos = make_photos(tmp_path / "photos", n=6)
    options = ft.FinetuneOptions(
        photos=str(photos),
        base="fake",
        name="mine",
        patch_size=32,
        batch_size=2,
        **({"steps": 6, "previews": False} | opts),
    )
    return ft.FinetuneRun.create(options, registry=isolated_registry())


# ---------------------------------------------------------------- trainer records


def test_every_record_survives_the_round_trip_and_junk_parses_to_none():
    records = [
        rec.StartRecord(3, 10, 5, "cuda:0", "bf16", 2),
        rec.StepRecord(4, 10, 1e-4, {"pixel": 0.1}, 2.5, 3.0),
        rec.ValRecord(4, {"crops": {"psnr_y": 25.0, "ssim_y": 0.8}}, True),
        rec.CheckpointRecord(4, "c.json"),
        rec.SkippedRecord("x.png", "corrupt"),
        rec.NoteRecord("hi"),
        rec.ErrorRecord("boom", 4),
        rec.EndRecord("done", 10, best_step=0, best_psnr=25.0, base_psnr=25.0),
    ]
    for r in records:
        assert rec.parse_line(json.dumps({"time": 1.0, **rec.to_dict(r)})) == r
    assert rec.parse_record({"event": "step", "step": "4", "steps": 10, "lr": 0.1}) is None  # wrong type
    assert rec.parse_record({"event": "step", "steps": 10, "lr": 0.1}) is None  # missing field
    assert rec.parse_record({"event": "what"}) is None
    assert rec.parse_line("Traceback (most recent call last):") is None
    assert rec.parse_record({"event": "start", "step": 0, "steps": 5}).precision == "fp32"  # an older trainer


# ---------------------------------------------------------------- status


def test_status_changes_follow_the_allowed_transitions(tmp_path, monkeypatch):
    run = fake_run(tmp_path, monkeypatch)
    with pytest.raises(StatusError):
        run.set_status(ft.RunStatus.REGISTERED)  # never trained
    for status in ("training", "paused", "training", "cancelled", "training", "trained", "evaluated"):
        run.set_status(ft.RunStatus(status))
    assert ft.FinetuneRun.open("mine").status is ft.RunStatus.EVALUATED


def test_a_version_1_state_file_still_opens(tmp_path, monkeypatch):
    run = fake_run(tmp_path, monkeypatch)
    data = run.state.to_json()
    v1 = {k: v for k, v in data.items() if k not in ("seconds_per_sample", "plan", "patch_size")}
    v1.update(version=1, status="cancelled", seconds_per_step={"psnr": 0.8})
    v1["options"]["batch_size"] = 8
    for st in v1["stages"]:
        for k in ("best_step", "best_psnr", "base_psnr"):
            del st[k]
    state = RunState.from_json(v1)
    assert state.status is ft.RunStatus.CANCELLED and state.seconds_per_sample == {"psnr": pytest.approx(0.1)}
    with pytest.raises(SettingsError, match="unknown format"):
        RunState.from_json({**v1, "version": 99})


# ---------------------------------------------------------------- budget


def test_batch_and_learning_rate_follow_the_time_available():
    per_sample = {"psnr": 0.02}  # 0.32 s per step at batch 16
    long = ft.FinetuneOptions(photos=".", base="b", name="n", minutes=10)
    short = ft.FinetuneOptions(photos=".", base="b", name="n", minutes=1)
    assert budget.choose_plan(long, per_sample, 96).batch_size == 16  # 1875 steps at 16
    assert budget.choose_plan(short, per_sample, 96).batch_size == 8  # 187 at 16, 375 at 8
    assert budget.choose_plan(short, per_sample, 96).lr < budget.choose_plan(long, per_sample, 96).lr
    mine = ft.FinetuneOptions(photos=".", base="b", name="n", minutes=1, batch_size=4, lr=3e-5)
    assert (budget.choose_plan(mine, per_sample, 96).batch_size, budget.choose_plan(mine, per_sample, 96).lr) == (
        4,
        3e-5,
    )


def test_the_run_clock_shows_the_minutes_budget_with_steps_as_an_estimate():
    opts = ft.FinetuneOptions(photos=".", base="b", name="n", minutes=1.5)
    clock = budget.run_clock(opts, done_steps=12, planned_total=300, used_s=9.0, it_per_s=1.1)
    assert clock.fraction == pytest.approx(0.1)
    assert clock.expected_total == 12 + int(81 * 1.1)  # what the remaining minutes give at this pace
    steps = ft.FinetuneOptions(photos=".", base="b", name="n", steps=300)
    assert budget.run_clock(steps, done_steps=30, planned_total=300, used_s=9, it_per_s=1).expected_total == 300


# ---------------------------------------------------------------- one photo list


def test_the_scan_and_the_trainer_see_the_same_photos(tmp_path):
    from srgan_studio.training.data import PatchDataset, find_images

    folder = tmp_path / "odd"
    folder.mkdir()
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8))
    for name, fmt in (
        ("a.jfif", "JPEG"),
        ("b.jpe", "JPEG"),
        ("c.dib", "BMP"),
        ("d_no_extension", "JPEG"),
        ("e.png", "PNG"),
    ):
        img.save(folder / name, fmt)
    (folder / "notes.txt").write_text("not a photo")
    scan = ft.scan_folder(folder, 32)
    trainer_sees = sorted(p.name for p in find_images(folder))
    assert sorted(p.rel for p in scan.usable) == trainer_sees == ["a.jfif", "b.jpe", "c.dib", "d_no_extension", "e.png"]
    assert len(PatchDataset(folder, 32, 4)) == 5


# ---------------------------------------------------------------- same-region crops (issue 18, bug 3)


@pytest.mark.parametrize("size", [(100, 75), (300, 140), (90, 400)])
def test_result_crops_cut_the_same_region_from_every_image(tmp_path, size):
    from srgan_studio.core.finetune.evaluate import _write_crops

    w, h = size
    hr = np.asarray(Image.open(make_photos(tmp_path / "p", n=1, size=max(w, h)) / "photo_00.png"))[:h, :w]
    lr = np.asarray(Image.fromarray(hr).resize((w // 4, h // 4), Image.BICUBIC))
    up = np.asarray(Image.fromarray(lr).resize((w // 4 * 4, h // 4 * 4), Image.BICUBIC))
    hr = np.ascontiguousarray(hr[: up.shape[0], : up.shape[1]])
    entry = _write_crops(tmp_path, 0, "photo_00.png", hr, {"bicubic": up, "base": up, "finetuned": up})
    crops = {k: np.asarray(Image.open(entry[k]), dtype=np.float64) for k in ("hr", "bicubic", "base", "finetuned")}
    assert len({c.shape for c in crops.values()}) == 1
    top, left, side = entry["box"]
    assert np.array_equal(crops["hr"], hr[top : top + side, left : left + side])
    same = np.mean((crops["hr"] - crops["bicubic"]) ** 2)
    shifted = np.mean((crops["hr"] - np.roll(crops["bicubic"], side // 3, axis=1)) ** 2)
    assert same < shifted / 2


# ---------------------------------------------------------------- failures reach the user


def test_a_failed_preview_is_a_notice_with_the_log(tmp_path, monkeypatch):
    run = fake_run(tmp_path, monkeypatch, previews=True)
    monkeypatch.setattr(previews, "_render", lambda run_, weights, out: "CUDA driver missing")
    p = previews.Previewer(run)
    assert p.request("psnr", 5, tmp_path / "w.safetensors")
    (notice,) = list(p.ready(wait=True))
    assert notice.problem and "CUDA driver missing" in notice.message and "preview.log" in notice.message
    assert "\n" not in notice.message


def test_a_failed_export_is_one_line_with_the_log(tmp_path, monkeypatch):
    from srgan_studio.core.finetune import process

    run = fake_run(tmp_path, monkeypatch)
    collect(run.train())
    script = tmp_path / "bad_export.py"
    script.write_text("import sys\nsys.stderr.write('srgan-studio: error: disk full\\n')\nsys.exit(1)\n")
    monkeypatch.setattr(process, "train_command", lambda: [sys.executable, str(script)])
    with pytest.raises(StudioError) as err:
        ft.export(run)
    text = str(err.value)
    assert "ONNX export failed: disk full" in text and "export.log" in text and "\n" not in text
    assert "disk full" in (run.dir / "export" / "export.log").read_text()


def test_an_unreadable_base_is_named(tmp_path):
    models = data_dir() / "models"
    make_fake_base(models)
    (models / "fake_x4.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}     ")
    bases, unusable = ft.survey_bases(isolated_registry())
    assert bases == [] and unusable[0].name == "fake_x4" and "not an SRGAN Studio weights file" in unusable[0].reason


def test_a_fine_tune_that_lost_to_its_base_is_not_registered_unless_asked(tmp_path, monkeypatch):
    run = fake_run(tmp_path, monkeypatch)
    collect(run.train())
    run.state.metrics = {
        "heldout": {
            "bicubic": {"psnr_y": 20.0, "ssim_y": 0.5},
            "base": {"psnr_y": 22.0, "ssim_y": 0.6},
            "finetuned": {"psnr_y": 21.9, "ssim_y": 0.6},
        },
        "rows": [],
        "eval_side": 768,
    }
    run.set_status(ft.RunStatus.EVALUATED)
    assert "did not beat its base fake_x4" in ft.did_not_beat_base(run)
    with pytest.raises(SettingsError, match="not added to your models"):
        ft.register(run, registry=isolated_registry())
    assert "mine" not in isolated_registry()


def test_cancel_during_the_dry_run_stops_it(tmp_path, monkeypatch):
    run = fake_run(tmp_path, monkeypatch, steps=0, minutes=1.0)
    monkeypatch.setattr("srgan_studio.core.finetune.training.PROBE_STEPS", 400)  # a long dry run
    threading.Timer(0.5, run.cancel).start()
    with pytest.raises(Cancelled):
        collect(run.estimate())
    assert run.process_pid is None
    assert not Path(run.dir / "dryrun-psnr").exists()


def test_detail_weighted_patches_only_for_clean_downscales():
    from srgan_studio.core.finetune.recipes import detail_sampling

    def opts(preset: str) -> ft.FinetuneOptions:
        return ft.FinetuneOptions(photos=".", base="b", name="n", steps=5, preset=preset)

    assert detail_sampling(opts("clean"))
    assert not any(detail_sampling(opts(p)) for p in ("phone_jpeg", "old_print", "photo"))
