"""Pause and cancel outside a running trainer: before the first trainer starts, during the dry run
that sizes the budget, between stages, and while a trainer is still starting up.

A pause asked for in those windows takes effect at the next safe point (no trainer runs while the
run is paused) and resume continues; cancel ends the run there. Driven by the fake trainer."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest
from finetune_fixtures import install_fake_trainer, isolated_registry, make_fake_base, make_photos

from srgan_studio.core import finetune as ft
from srgan_studio.core.cancel import CancelToken
from srgan_studio.core.errors import Cancelled
from srgan_studio.core.finetune import process
from srgan_studio.core.settings import data_dir

MODES = ["signal", "restart"] if hasattr(signal, "SIGSTOP") else ["restart"]
HOLD_S = 0.8  # how long a test keeps a run paused while watching that nothing trains


def fake_run(tmp_path, monkeypatch, mode, **opts) -> ft.FinetuneRun:
    make_fake_base(data_dir() / "models")
    install_fake_trainer(monkeypatch, tmp_path)
    photos = make_photos(tmp_path / "photos", n=6)
    opts = {"goal": "faithful", "steps": 8, **opts}
    options = ft.FinetuneOptions(
        photos=str(photos), base="fake", name="mine", patch_size=32, batch_size=2, previews=False, **opts
    )
    run = ft.FinetuneRun.create(options, registry=isolated_registry())
    run.pause_mode = mode
    return run


class Driver(threading.Thread):
    """Runs a run's generator in a thread, as the wizard's worker does; ``on_event`` runs in that thread."""

    def __init__(self, gen, on_event=None):
        super().__init__(daemon=True)
        self.gen, self.on_event = gen, on_event
        self.events: list[tuple[float, object]] = []
        self.outcome = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while True:
                ev = next(self.gen)
                self.events.append((time.monotonic(), ev))
                if self.on_event is not None:
                    self.on_event(ev)
        except StopIteration as stop:
            self.outcome = stop.value
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc

    def of(self, kind) -> list:
        return [ev for _, ev in self.events if isinstance(ev, kind)]

    def finish(self, timeout: float = 60) -> None:
        self.join(timeout)
        assert not self.is_alive(), "the run never finished"


def started_processes(monkeypatch) -> list[process.TrainProcess]:
    """Every trainer process started from now on (the dry run's included)."""
    seen: list[process.TrainProcess] = []

    class Recorded(process.TrainProcess):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            seen.append(self)

    monkeypatch.setattr(process, "TrainProcess", Recorded)
    return seen


def proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


@pytest.mark.parametrize("mode", MODES)
def test_a_pause_before_training_holds_the_first_trainer(tmp_path, monkeypatch, mode):
    run = fake_run(tmp_path, monkeypatch, mode)
    procs = started_processes(monkeypatch)
    run.pause()
    d = Driver(run.train())
    d.start()
    time.sleep(HOLD_S)
    assert procs == [] and not d.of(ft.StageStarted), "a trainer started while the run was paused"
    run.resume()
    d.finish()
    assert d.error is None and d.outcome.steps == 8
    assert len(d.of(ft.StageStarted)) == 1 and not run.paused


@pytest.mark.parametrize("mode", MODES)
def test_a_pause_between_stages_holds_the_next_stage(tmp_path, monkeypatch, mode):
    run = fake_run(tmp_path, monkeypatch, mode, goal="realistic")
    procs = started_processes(monkeypatch)
    asked = threading.Event()

    def pause_after_psnr(ev):
        if isinstance(ev, ft.StageFinished) and ev.stage == "psnr":
            run.pause()
            asked.set()

    d = Driver(run.train(), pause_after_psnr)
    d.start()
    assert asked.wait(30)
    time.sleep(HOLD_S)
    assert len(procs) == 1, "the GAN stage's trainer started while the run was paused"
    assert [s.stage for s in d.of(ft.StageStarted)] == ["psnr"]
    assert ft.FinetuneRun.open(run.dir).status is ft.RunStatus.PAUSED  # what a restart now would find
    run.resume()
    d.finish()
    assert d.error is None and d.outcome.steps == 8
    assert [s.stage for s in d.of(ft.StageStarted)] == ["psnr", "gan"] and all(s.done for s in run.stages)


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="SIGSTOP pause")
def test_a_pause_between_stages_leaves_the_next_stage_its_whole_budget(tmp_path, monkeypatch):
    budget_s, pause_s = 6.0, 2.0  # 3 s a stage
    run = fake_run(tmp_path, monkeypatch, "signal", goal="realistic", steps=0, minutes=budget_s / 60)
    run.state.seconds_per_sample = {"psnr": 0.025, "gan": 0.025}  # no dry run: this test is about the stages
    run.save()
    asked = threading.Event()

    def pause_after_psnr(ev):
        if isinstance(ev, ft.StageFinished) and ev.stage == "psnr":
            run.pause()
            asked.set()

    d = Driver(run.train(), pause_after_psnr)
    d.start()
    assert asked.wait(30)
    time.sleep(pause_s)
    resumed_at = time.monotonic()
    run.resume()
    d.finish()
    assert d.error is None
    gan = run.state.stage("gan")
    gan_steps = [ev for t, ev in d.events if isinstance(ev, ft.StepProgress) and ev.stage == "gan"]
    stamps = [t for t, ev in d.events if isinstance(ev, ft.StepProgress) and ev.stage == "gan"]
    assert min(stamps) > resumed_at, "the GAN stage trained during the pause"
    # 3 s of 0.05 s steps, the pause left out: before, the stage ran through the pause and its clock stood still.
    assert 2.5 < gan.seconds < 4.0 and len(gan_steps) >= 30


@pytest.mark.parametrize("mode", MODES)
def test_a_pause_during_the_dry_run_holds_it_and_the_timing_leaves_it_out(tmp_path, monkeypatch, mode):
    run = fake_run(tmp_path, monkeypatch, mode, steps=0, minutes=0.1)
    procs = started_processes(monkeypatch)
    d = Driver(run.estimate())
    d.start()
    deadline = time.monotonic() + 30
    while not procs and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.15)  # into its first steps
    run.pause()
    time.sleep(0.3)
    first = procs[0].pid
    assert proc_state(first) in (("T", "t") if mode == "signal" else ("gone", "Z"))
    time.sleep(HOLD_S)
    assert len(procs) == 1, "the dry run went on to another process while paused"
    assert d.is_alive() and d.error is None, f"the dry run did not wait for resume: {d.error!r}"
    run.resume()
    d.finish()
    assert d.error is None, f"the dry run failed after a pause: {d.error}"
    # The fake steps 0.05 s; the pause (over a second) is not part of the measured step time.
    assert 0 < d.outcome.seconds_per_step["psnr"] < 0.3
    assert run.status is ft.RunStatus.ESTIMATED


@pytest.mark.parametrize("mode", MODES)
def test_a_pause_landing_while_a_trainer_starts_stops_it_cleanly(tmp_path, monkeypatch, mode):
    run = fake_run(tmp_path, monkeypatch, mode, steps=20)
    procs: list = []

    class PausedAtBirth(process.TrainProcess):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            procs.append(self)
            if len(procs) == 1:
                run.pause()  # between the spawn and the run's attach: no handle to signal yet

    monkeypatch.setattr(process, "TrainProcess", PausedAtBirth)
    d = Driver(run.train())
    d.start()
    deadline = time.monotonic() + 30
    while not procs and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(HOLD_S)
    paused_until = time.monotonic()
    run.resume()
    d.finish()
    assert d.error is None, f"a pause while the trainer started broke the run: {d.error}"
    steps_while_paused = [ev for t, ev in d.events if isinstance(ev, ft.StepProgress) and t < paused_until - 0.2]
    assert len(steps_while_paused) <= 1 and d.outcome.steps == 20


def test_cancel_while_paused_before_training_starts_nothing(tmp_path, monkeypatch):
    run = fake_run(tmp_path, monkeypatch, MODES[0])
    procs = started_processes(monkeypatch)
    run.pause()
    d = Driver(run.train())
    d.start()
    time.sleep(0.4)
    run.cancel()
    d.finish(10)
    assert isinstance(d.error, Cancelled) and procs == []
    again = ft.FinetuneRun.open(run.dir)
    assert again.can_resume() and not run.paused  # the cancel ended the pause: a resume trains at once
    d = Driver(run.train())
    d.start()
    d.finish()
    assert d.error is None and d.outcome.steps == 8


@pytest.mark.parametrize("mode", MODES)
def test_cancel_while_paused_between_stages_keeps_the_run_resumable(tmp_path, monkeypatch, mode):
    run = fake_run(tmp_path, monkeypatch, mode, goal="realistic")
    token = CancelToken()
    asked = threading.Event()

    def pause_after_psnr(ev):
        if isinstance(ev, ft.StageFinished) and ev.stage == "psnr":
            run.pause()
            asked.set()

    d = Driver(run.train(token), pause_after_psnr)
    d.start()
    assert asked.wait(30)
    time.sleep(0.3)
    token.cancel()  # the worker's token, as the app's own shutdown cancels it
    d.finish(10)
    assert isinstance(d.error, Cancelled)
    again = ft.FinetuneRun.open(run.dir)
    assert again.status is ft.RunStatus.CANCELLED and again.can_resume()
    assert again.state.stage("psnr").done and again.state.stage("gan").step == 0
    d = Driver(again.train())
    d.start()
    d.finish()
    assert d.error is None and [s.stage for s in d.of(ft.StageStarted)] == ["gan"]


def test_cancel_while_the_dry_run_is_paused(tmp_path, monkeypatch):
    run = fake_run(tmp_path, monkeypatch, MODES[0], steps=0, minutes=0.1)
    procs = started_processes(monkeypatch)
    d = Driver(run.train())
    d.start()
    deadline = time.monotonic() + 30
    while not procs and time.monotonic() < deadline:
        time.sleep(0.01)
    run.pause()
    time.sleep(0.3)
    run.cancel()
    d.finish(10)
    assert isinstance(d.error, Cancelled) and len(procs) == 1
    assert not (run.dir / "dryrun-psnr").exists()
