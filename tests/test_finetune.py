"""Fine-tuning orchestration without torch: folder scan, held-out split, recipes, and the
training subprocess protocol (events, failures, pause, cancel) driven by a fake trainer."""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from pathlib import Path

import pytest
from finetune_fixtures import (
    install_fake_trainer,
    isolated_registry,
    make_fake_base,
    make_photos,
)
from gen_helpers import collect

from srgan_studio.core import finetune as ft
from srgan_studio.core.cancel import NEVER
from srgan_studio.core.errors import Cancelled, SettingsError, StudioError
from srgan_studio.core.settings import data_dir


def fake_run(tmp_path, monkeypatch, mode="ok", *, goal="faithful", steps=6, n=6, **opts) -> ft.FinetuneRun:
    make_fake_base(data_dir() / "models")
    install_fake_trainer(monkeypatch, tmp_path, mode)
    photos = make_photos(tmp_path / "photos", n=n)
    options = ft.FinetuneOptions(
        photos=str(photos),
        base="fake",
        name="mine",
        goal=goal,
        steps=steps,
        patch_size=32,
        batch_size=2,
        previews=False,
        **opts,
    )
    return ft.FinetuneRun.create(options, registry=isolated_registry())


# ---------------------------------------------------------------- bad folders


def test_empty_folder_is_refused_with_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    scan = ft.scan_folder(tmp_path / "empty", 32)
    assert not scan.ok and scan.problem() == "no images found in this folder"
    with pytest.raises(SettingsError) as err:
        scan.check()
    assert str(tmp_path / "empty") in str(err.value) and "\n" not in str(err.value)


def test_missing_folder(tmp_path):
    with pytest.raises(SettingsError, match="does not exist"):
        ft.scan_folder(tmp_path / "nope")


def test_all_corrupt_folder_lists_every_bad_file(tmp_path):
    folder = make_photos(tmp_path / "bad", n=3)
    good = (folder / "photo_00.png").read_bytes()
    (folder / "photo_00.png").write_bytes(good[: len(good) // 2])  # truncated
    (folder / "photo_01.png").write_bytes(b"this is not a png")  # not an image
    (folder / "photo_02.png").write_bytes(b"")  # empty
    scan = ft.scan_folder(folder, 32)
    assert scan.usable == []
    assert sorted(p.name for p, _ in scan.bad) == ["photo_00.png", "photo_01.png", "photo_02.png"]
    reasons = {p.name: r for p, r in scan.bad}
    assert "truncated" in reasons["photo_00.png"] or "corrupt" in reasons["photo_00.png"]
    assert "empty" in reasons["photo_02.png"]
    assert scan.problem().startswith("none of the 3 images can be used")


def test_too_few_and_too_small(tmp_path):
    folder = make_photos(tmp_path / "few", n=2, size=64)
    make_photos(tmp_path / "few" / "small", n=3, size=24, seed=1)
    scan = ft.scan_folder(folder, 32)
    assert len(scan.usable) == 2
    assert sum("too small" in r for _, r in scan.bad) == 3
    assert "only 2 usable image(s)" in scan.problem() and "at least 3" in scan.problem()


def test_small_photos_are_accepted_with_a_warning_and_a_smaller_patch(tmp_path, monkeypatch):
    make_fake_base(data_dir() / "models")
    folder = make_photos(tmp_path / "small", n=5, size=50)
    scan = ft.scan_folder(folder, 96)
    assert len(scan.usable) == 5 and not scan.bad
    warning = next(w for w in scan.warnings if "smaller than the 96 px training patch" in w)
    assert "best" in warning
    opts = ft.FinetuneOptions(photos=str(folder), base="fake", name="mine", steps=4, patch_size=96)
    run = ft.FinetuneRun.create(opts, scan, registry=isolated_registry())
    assert run.state.patch_size == 48  # the smallest side, a multiple of the scale


def test_create_refuses_a_bad_folder_and_bad_names(tmp_path, monkeypatch):
    make_fake_base(data_dir() / "models")
    (tmp_path / "empty").mkdir()
    opts = ft.FinetuneOptions(photos=str(tmp_path / "empty"), base="fake", name="mine", steps=4, patch_size=32)
    with pytest.raises(SettingsError, match="no images found"):
        ft.FinetuneRun.create(opts, registry=isolated_registry())
    with pytest.raises(SettingsError, match="model name"):
        ft.FinetuneOptions(photos=".", base="fake", name="My Model", steps=4).check()
    taken = ft.FinetuneOptions(photos=str(tmp_path), base="fake", name="fake_x4", steps=4, patch_size=32)
    with pytest.raises(SettingsError, match="already exists"):
        ft.FinetuneRun.create(taken, registry=isolated_registry())


def test_base_without_training_weights_is_refused(tmp_path):
    models = data_dir() / "models"
    make_fake_base(models)
    (models / "fake_x4.safetensors").unlink()
    with pytest.raises(SettingsError, match="no training weights"):
        ft.resolve_base("fake", isolated_registry())
    assert ft.fine_tunable_models(isolated_registry()) == []


# ---------------------------------------------------------------- held-out split


def test_heldout_is_deterministic_and_never_in_training(tmp_path, monkeypatch):
    run = fake_run(tmp_path, monkeypatch, n=24)
    held = run.state.photos.heldout
    train = run.state.photos.train
    assert len(held) >= ft.MIN_HELDOUT and not set(held) & set(train)
    assert len(held) + len(train) == 24
    linked_train = {p.name for p in run.train_dir.iterdir()}
    linked_held = {p.name for p in run.heldout_dir.iterdir()}
    assert linked_held == set(held) and not linked_train & linked_held
    # Links, not copies, and they lead to the user's files.
    for p in run.train_dir.iterdir():
        assert p.resolve().parent == (tmp_path / "photos").resolve()
    scan = ft.scan_folder(tmp_path / "photos", 32)
    shuffled = list(scan.usable)
    random.Random(3).shuffle(shuffled)
    assert [p.rel for p in ft.choose_heldout(shuffled)] == sorted(held)
    # The trainer's validation uses crops of the held-out photos only.
    assert len(list((run.preview_dir / "crops").glob("*.png"))) == len(held)


def stage_recipe(run: ft.FinetuneRun, index: int) -> Path:
    from srgan_studio.core.finetune import budget, training

    run.state.plan = budget.choose_plan(run.options, {}, run.state.patch_size)
    return training._Stage(run, index, NEVER).recipe()


def test_recipes_pass_the_trainers_strict_schema(tmp_path, monkeypatch):
    from srgan_studio.training.recipe import load_recipe

    run = fake_run(tmp_path, monkeypatch, goal="realistic", steps=10, preset="old_print", lr=5e-5, ema=0.0)
    run.stages[0].steps, run.stages[1].steps = 4, 6
    for i, stage in enumerate(("psnr", "gan")):
        recipe = load_recipe(stage_recipe(run, i))
        assert recipe.train.stage == stage and recipe.data.degradation == "old_print"
        assert recipe.train.lr == 5e-5 and recipe.train.ema == 0.0 and recipe.data.patch_size == 32
        assert Path(recipe.data.train) == run.train_dir and recipe.data.val == [str(run.dir / "val")]
        assert recipe.model.options == ft.read_weights_arch(run.state.base.weights)["options"]
        assert recipe.train.warmup_steps == run.stages[i].steps // 10
    assert load_recipe(run.dir / "recipe-psnr.toml").train.init == run.state.base.weights
    assert load_recipe(run.dir / "recipe-gan.toml").train.init == str(run.stage_dir("psnr") / "generator.safetensors")


def test_minutes_budget_becomes_steps_from_the_estimate():
    from srgan_studio.core.finetune import budget

    opts = ft.FinetuneOptions(photos=".", base="fake", name="mine", goal="realistic", minutes=2.0)
    names = ["psnr", "gan"]
    assert budget.expected_steps(opts, names, {"psnr": 0.5, "gan": 2.0}) == {"psnr": 120, "gan": 30}
    slack = budget.MINUTES_SLACK
    assert budget.planned_steps(opts, names, {"psnr": 0.5, "gan": 2.0}) == {"psnr": slack * 120, "gan": slack * 30}
    assert budget.stage_minutes(opts, names, "gan", used_seconds=0) == pytest.approx(1.0)
    assert budget.stage_minutes(opts, names, "gan", used_seconds=30) == pytest.approx(0.5)


# ---------------------------------------------------------------- the subprocess protocol


def test_events_from_the_training_process(tmp_path, monkeypatch):
    run = fake_run(tmp_path, monkeypatch, goal="realistic", steps=6)
    events, outcome = collect(run.train())
    starts = [e for e in events if isinstance(e, ft.StageStarted)]
    assert [(s.stage, s.steps) for s in starts] == [("psnr", 3), ("gan", 3)]
    steps = [e for e in events if isinstance(e, ft.StepProgress)]
    assert [(e.stage, e.step) for e in steps] == [
        ("psnr", 1),
        ("psnr", 2),
        ("psnr", 3),
        ("gan", 1),
        ("gan", 2),
        ("gan", 3),
    ]
    assert steps[-1].fraction == 1.0 and steps[0].fraction == pytest.approx(1 / 6)
    assert [e.stage for e in events if isinstance(e, ft.StageFinished)] == ["psnr", "gan"]
    assert outcome.weights == run.stage_dir("gan") / "generator.safetensors" and outcome.steps == 6
    assert ft.FinetuneRun.open("mine").status is ft.RunStatus.TRAINED


def test_a_training_process_that_dies_is_reported_with_its_error(tmp_path, monkeypatch):
    run = fake_run(tmp_path, monkeypatch, "traceback")
    with pytest.raises(StudioError) as err:
        collect(run.train())
    text = str(err.value)
    assert "RuntimeError: DefaultCPUAllocator: not enough memory" in text and "PSNR stage" in text
    assert "\n" not in text
    assert ft.FinetuneRun.open("mine").status is ft.RunStatus.FAILED


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_a_killed_training_process_is_reported(tmp_path, monkeypatch):
    run = fake_run(tmp_path, monkeypatch, "kill")
    with pytest.raises(StudioError, match=r"killed \(SIGKILL\)"):
        collect(run.train())


def _state_of(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_pause_freezes_the_process_and_resume_continues(tmp_path, monkeypatch):
    run = fake_run(tmp_path, monkeypatch, steps=30)
    gen = run.train()
    seen_paused = None
    events = []
    while True:
        try:
            ev = next(gen)
        except StopIteration as stop:
            outcome = stop.value
            break
        events.append(ev)
        if isinstance(ev, ft.StepProgress) and ev.step == 2 and seen_paused is None:
            run.pause()
            pid = run.process_pid
            deadline = time.monotonic() + 5
            while _state_of(pid) != "T" and time.monotonic() < deadline:
                time.sleep(0.02)
            seen_paused = _state_of(pid)
            threading.Timer(0.3, run.resume).start()
    assert seen_paused == "T"
    assert outcome.steps == 30 and not run.paused


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGSTOP"), reason="SIGSTOP pause")
def test_a_pause_does_not_count_against_the_minutes_budget(tmp_path, monkeypatch):
    budget_s, pause_s = 3.0, 3.5  # paused longer than the whole budget
    run = fake_run(tmp_path, monkeypatch, steps=0, minutes=budget_s / 60)
    gen = run.train()
    progress: list[ft.StepProgress] = []
    resumed_at = None
    while True:
        try:
            ev = next(gen)
        except StopIteration as stop:
            outcome = stop.value
            break
        if isinstance(ev, ft.StepProgress):
            progress.append(ev)
            if ev.step == 2 and resumed_at is None:
                run.pause()
                time.sleep(pause_s)
                run.resume()
                resumed_at = len(progress)
    after = progress[resumed_at:]
    assert outcome.steps - 2 >= 20  # the fake steps 0.05 s: most of the 3 s were still to train
    assert after[0].fraction < 0.5 and after[-1].fraction <= 1.0
    assert budget_s - 0.5 < run.stages[0].seconds < budget_s + 1.0  # training time, the pause left out
    assert run.stages[0].done


def test_pause_by_restart_resumes_from_the_checkpoint(tmp_path, monkeypatch):
    run = fake_run(tmp_path, monkeypatch, steps=30)
    run.pause_mode = "restart"  # what Windows gets
    gen = run.train()
    events = []
    while True:
        try:
            ev = next(gen)
        except StopIteration as stop:
            outcome = stop.value
            break
        events.append(ev)
        if isinstance(ev, ft.StepProgress) and ev.step == 2 and not run.paused and len(events) < 5:
            run.pause()
            threading.Timer(0.5, run.resume).start()
    starts = [e for e in events if isinstance(e, ft.StageStarted)]
    assert len(starts) == 2 and 2 <= starts[1].resumed_from < 30
    assert outcome.steps == 30


def test_cancel_keeps_the_checkpoint_and_a_new_process_resumes(tmp_path, monkeypatch):
    run = fake_run(tmp_path, monkeypatch, steps=40)
    gen = run.train()
    with pytest.raises(Cancelled):
        while True:
            ev = next(gen)
            if isinstance(ev, ft.StepProgress) and ev.step == 3:
                run.cancel()
    ckpts = sorted((run.stage_dir("psnr") / "checkpoints").glob("ckpt_*.json"))
    assert ckpts, "cancel must leave a checkpoint"
    again = ft.FinetuneRun.open(run.dir)  # as after an app restart
    assert again.status is ft.RunStatus.CANCELLED and again.can_resume()
    assert any(r["name"] == "mine" and r["status"] == "cancelled" for r in ft.list_runs())
    events, outcome = collect(again.train())
    start = next(e for e in events if isinstance(e, ft.StageStarted))
    assert start.resumed_from >= 3 and outcome.steps == 40


def test_finetune_cli_reports_a_bad_folder_in_one_line(tmp_path, capsys):
    from srgan_studio.cli import main

    (tmp_path / "empty").mkdir()
    make_fake_base(data_dir() / "models")
    rc = main(["finetune", str(tmp_path / "empty"), "--base", "fake", "--name", "x", "--steps", "3", "--patch", "32"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and err[-1].startswith("srgan-studio: error:") and "no images found" in err[-1]


def test_train_command_runs_this_interpreter():
    from srgan_studio.core.finetune import process

    assert process.train_command()[:3] == [sys.executable, "-m", "srgan_studio"]


def test_ema_horizon_fits_short_runs():
    assert ft.effective_ema(0.999, 100_000) == 0.999
    assert ft.effective_ema(0.999, 40) == pytest.approx(0.75)
    assert ft.effective_ema(0.999, 5) == 0.0
    assert ft.effective_ema(0.0, 1000) == 0.0


def test_memory_warning_for_big_folders(tmp_path, monkeypatch):
    from srgan_studio.core.finetune import photos

    monkeypatch.setattr(photos, "CACHE_WARN_BYTES", 64 * 64 * 3 * 4)
    scan = ft.scan_folder(make_photos(tmp_path / "p", n=5), 32)
    assert any("in memory" in w for w in scan.warnings)
