"""Driving the trainer: the dry run that measures the step time, and each stage's process.

The trainer's records (``core.train_records``) become the events the wizard and the
CLI show. A stage that stops without a cancel (a restart-style pause, a SIGTERM from
outside) goes round again with ``--resume``; a dead trainer is one line with its log.

A minutes budget counts training time only, so this side keeps the clock, not the
trainer's ``--minutes``: a pause is a SIGSTOP, which the stopped trainer cannot see
(its monotonic clock runs on through it, and a pause longer than the budget would end
the stage on resuming), while the run here knows each pause to the moment it began
and ended. The stage's clock starts with the trainer's start record (startup is not
training), leaves the pauses out, and at the budget the trainer is asked to stop: it
finishes its step, scores and saves, as at its own deadline.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cancel import NEVER, CancelToken
from ..errors import Cancelled, SettingsError, StudioError
from ..train_records import (
    CheckpointRecord,
    EndRecord,
    ErrorRecord,
    NoteRecord,
    SkippedRecord,
    StartRecord,
    StepRecord,
    TrainRecord,
    ValRecord,
)
from . import budget, old_val, process
from .evaluate import write_val_pairs
from .events import (
    CheckpointSaved,
    Estimate,
    Notice,
    StageFinished,
    StageStarted,
    StepProgress,
    TrainOutcome,
    Validation,
)
from .previews import Previewer
from .recipes import build_recipe, write_recipe
from .state import RunStatus

if TYPE_CHECKING:
    from .run import FinetuneRun

PROBE_STEPS = 4  # timed steps of the dry run (its first, warm-up step is not counted)
MAX_OUTSIDE_STOPS = 3


def stage_threads(run: FinetuneRun) -> int:
    """The user's count, else -1: the trainer measures which count is fastest here (all cores when idle)."""
    return run.options.threads or -1


def _names(run: FinetuneRun) -> list[str]:
    return [s.name for s in run.stages]


def seconds_per_step(run: FinetuneRun) -> dict[str, float]:
    """Per stage, at the batch the run trains with (empty before the dry run)."""
    plan = run.state.plan
    batch = plan.batch_size if plan else budget.probe_batch(run.options)
    return {k: v * batch for k, v in run.state.seconds_per_sample.items()}


# ---------------------------------------------------------------- dry run


def estimate(run: FinetuneRun, cancel: CancelToken = NEVER) -> Generator[Notice, None, Estimate]:
    """Time a few real steps of each stage at the probe batch."""
    per_sample: dict[str, float] = {}
    batch = budget.probe_batch(run.options)
    for st in run.stages:
        yield Notice(f"measuring the {st.name.upper()} step time")
        per_sample[st.name] = _time_stage(run, st.name, batch, cancel) / batch
    run.state.seconds_per_sample = per_sample
    if run.status is RunStatus.CREATED:
        run.state.move_to(RunStatus.ESTIMATED)
    run.save()
    return budget.estimate_for(run.options, per_sample, run.state.patch_size)


def _time_stage(run: FinetuneRun, stage: str, batch: int, cancel: CancelToken) -> float:
    """The median step time of a short dry run; one that a pause interrupted is timed again after resume."""
    while True:
        run.hold(cancel)
        seconds = _probe(run, stage, batch, cancel)
        if seconds is not None:
            return seconds


def _probe(run: FinetuneRun, stage: str, batch: int, cancel: CancelToken) -> float | None:
    out = run.dir / f"dryrun-{stage}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    plan = budget.choose_plan(run.options, {}, run.state.patch_size)
    plan.batch_size = batch
    steps = PROBE_STEPS + 1 + (budget.AUTO_THREADS_PROBE_STEPS if stage_threads(run) < 0 else 0)
    recipe = build_recipe(
        run.options,
        plan,
        stage,
        arch=run.state.base.arch,
        init=run.state.base.weights,
        train_dir=str(run.train_dir),
        val_dirs=[],
        steps=steps,
        expected_steps=steps,
        checkpoint_minutes=1e4,
        val_every=0,
        threads=stage_threads(run),
    )
    recipe.train.checkpoint_keep = 1
    path = write_recipe(out / "recipe-src.toml", recipe)
    argv = [*process.train_command(), "train", str(path), "--out", str(out), "--progress", "json"]
    arrivals: list[tuple[float, float, int]] = []  # (time.monotonic(), the run's paused seconds then, threads)
    last_error = ""
    paused_from = run.paused_seconds()
    proc = process.TrainProcess(argv, out / "stderr.log")
    run.attach(proc, disposable=True)
    try:
        for rec in proc.records():
            if run.cancelled or cancel.cancelled:
                proc.kill()
                break
            if isinstance(rec, StepRecord):
                arrivals.append((time.monotonic(), run.paused_seconds(), rec.threads))
            elif isinstance(rec, StartRecord):
                run.started(proc)
            elif isinstance(rec, ErrorRecord):
                last_error = rec.error
        code = proc.wait()
    finally:
        run.detach()
        proc.kill()
    if run.cancelled or cancel.cancelled:
        shutil.rmtree(out, ignore_errors=True)
        raise Cancelled()
    seconds = budget.dry_run_step_time(
        [(t, threads, i > 0 and paused != arrivals[i - 1][1]) for i, (t, paused, threads) in enumerate(arrivals)]
    )
    interrupted = run.paused or run.paused_seconds() != paused_from
    if interrupted and (code != 0 or seconds is None):
        return None  # killed by a restart-style pause, or paused at every step: time it again
    if code != 0 or seconds is None:
        raise StudioError(f"the dry run failed: {proc.failure(code, last_error)} (log: {out / 'stderr.log'})")
    shutil.rmtree(out, ignore_errors=True)
    return seconds


# ---------------------------------------------------------------- training


def train(run: FinetuneRun, cancel: CancelToken = NEVER) -> Generator[Any, None, TrainOutcome]:
    """Run (or resume) every unfinished stage in a subprocess and yield its events.

    Raises Cancelled after ``cancel()`` (the last checkpoint is kept) and a
    one-line StudioError when the training process fails or dies.
    """
    weights = run.final_weights()
    if all(s.done for s in run.stages) and weights is not None:
        return TrainOutcome("trained", weights, sum(s.step for s in run.stages))
    if run.options.timed and not run.state.seconds_per_sample:
        yield from estimate(run, cancel)
    if run.state.plan is None:
        run.state.plan = budget.choose_plan(run.options, run.state.seconds_per_sample, run.state.patch_size)
    if any(not s.steps for s in run.stages):
        sps = seconds_per_step(run)
        if run.options.timed and not all(n in sps for n in _names(run)):
            raise SettingsError("a minutes budget needs a step-time estimate first")
        planned = budget.planned_steps(run.options, _names(run), sps)
        for st in run.stages:
            st.steps = st.steps or planned[st.name]
    run.save()
    for index, st in enumerate(run.stages):
        if not st.done:
            yield from _Stage(run, index, cancel).drive()
    run.set_status(RunStatus.TRAINED)
    weights = run.final_weights()
    assert weights is not None
    return TrainOutcome("trained", weights, sum(s.step for s in run.stages))


class _Stage:
    """One stage's trainer, restarted with --resume after a restart-style pause."""

    def __init__(self, run: FinetuneRun, index: int, cancel: CancelToken):
        self.run, self.index, self.cancel = run, index, cancel
        self.st = run.stages[index]
        self.out = run.stage_dir(self.st.name)
        self.previewer = Previewer(run)
        self.done_before = sum(s.steps for s in run.stages[:index])
        self.planned_total = sum(s.steps for s in run.stages)
        self.used_before = 0.0
        self.clock_from: float | None = None  # time.monotonic() at this process's start record
        self.paused_before = 0.0  # the run's paused seconds then
        self.budget_s = 0.0  # this process's share of the minutes budget (0: none)
        self.budget_spent = False

    def init(self) -> Path:
        run = self.run
        prev = run.stages[self.index - 1].name if self.index else ""
        return run.stage_dir(prev) / "generator.safetensors" if prev else Path(run.state.base.weights)

    def recipe(self) -> Path:
        run, st = self.run, self.st
        init = str(self.init())
        sps = seconds_per_step(run)
        expected = budget.expected_steps(run.options, _names(run), sps)[st.name] if sps else st.steps
        assert run.state.plan is not None
        recipe = build_recipe(
            run.options,
            run.state.plan,
            st.name,
            arch=run.state.base.arch,
            init=init,
            train_dir=str(run.train_dir),
            val_dirs=[str(write_val_pairs(run))],
            steps=st.steps,
            expected_steps=min(expected, st.steps),
            checkpoint_minutes=run.options.preview_seconds / 60,
            val_every=run.options.val_every or max(1, min(expected, st.steps) // 15),
            threads=stage_threads(run),
        )
        comment = (
            f"Fine-tuning stage {self.index + 1}/{len(run.stages)} ({st.name}) written by SRGAN Studio.\n"
            f"Base model: {run.options.base}; photos: {run.options.photos}."
        )
        return write_recipe(run.dir / f"recipe-{st.name}.toml", recipe, comment)

    def argv(self, recipe: Path, resuming: bool) -> list[str]:
        # The run's state decides the steps, also over the recipe saved in a resumed run folder.
        argv = [
            *process.train_command(),
            "train",
            str(recipe),
            "--out",
            str(self.out),
            "--progress",
            "json",
            "--set",
            f"train.steps={self.st.steps}",
        ]
        if resuming:  # onto the paired folder also when the saved recipe names the old crops (old_val.py)
            argv += ["--resume", "--set", old_val.val_override(self.run)]
        return argv  # no --minutes: the budget is kept here, pauses left out (module docstring)

    def active_s(self) -> float:
        """Training seconds of this process so far: from its start record, pauses left out."""
        if self.clock_from is None:
            return 0.0
        return time.monotonic() - self.clock_from - (self.run.paused_seconds() - self.paused_before)

    def _stop_at_budget(self, proc: process.TrainProcess) -> None:
        # Not while paused: the clock stands still then, and a stop would wake a SIGSTOPped trainer.
        if self.budget_s and not self.budget_spent and not self.run.paused and self.active_s() >= self.budget_s:
            self.budget_spent = True
            proc.stop()

    def drive(self) -> Generator[Any, None, None]:
        self.out.mkdir(exist_ok=True)
        recipe = self.recipe()
        yield from old_val.bring_onto_pairs(self.run, self.st.name, self.init())
        outside_stops = 0
        while True:
            ended = yield from self._one_process(recipe)
            if self.budget_spent:
                ended = dataclasses.replace(ended, status="time budget reached")
            if ended.status != "stopped":
                break
            # Stopped without a cancel: a restart-style pause (even one already resumed
            # while the trainer was saving) or a SIGTERM from outside. Either way the
            # checkpoint is fresh: go round again with --resume.
            if self.run.paused:
                self.run.hold(self.cancel)
                outside_stops = 0
            else:
                outside_stops += 1
                if outside_stops > MAX_OUTSIDE_STOPS:
                    self.run.set_status(RunStatus.FAILED, "stopped from outside")
                    raise StudioError(
                        f"the training process keeps being stopped from outside (step {self.st.step}); "
                        "resume the run to continue"
                    )
        self.st.done = True
        self.st.best_step, self.st.best_psnr, self.st.base_psnr = ended.best_step, ended.best_psnr, ended.base_psnr
        self.run.save()
        yield StageFinished(self.st.name, self.st.step, ended.status, round(self.st.seconds, 1), ended.best_step)
        if self.st.step:
            self.previewer.request(self.st.name, self.st.step, self.out / "generator.safetensors")
            yield from self.previewer.ready(wait=True)

    def _raise_if_cancelled(self) -> None:
        if self.run.cancelled or self.cancel.cancelled:
            self.run.set_status(RunStatus.CANCELLED)
            raise Cancelled()

    def _one_process(self, recipe: Path) -> Generator[Any, None, EndRecord]:
        run, st = self.run, self.st
        run.hold(self.cancel)  # the safe point before each trainer: a pause asked for between processes
        resuming = any((self.out / "checkpoints").glob("ckpt_*.json"))
        run.set_status(RunStatus.TRAINING)
        proc = process.TrainProcess(self.argv(recipe, resuming), run.log_path(st.name))
        run.attach(proc)
        ended: EndRecord | None = None
        last_error = ""
        self.clock_from, self.used_before = None, sum(s.seconds for s in run.stages)
        minutes = budget.stage_minutes(run.options, _names(run), st.name, st.seconds)
        self.budget_s = minutes * 60
        try:
            for rec in proc.records():
                if self.cancel.cancelled and not run.cancelled:
                    run.cancel()
                if isinstance(rec, StartRecord):
                    self.clock_from, self.paused_before = time.monotonic(), run.paused_seconds()
                    run.started(proc)
                if isinstance(rec, EndRecord):
                    ended = rec
                elif isinstance(rec, ErrorRecord):
                    last_error = rec.error
                else:
                    self._stop_at_budget(proc)
                    yield from self._event(rec)
                yield from self.previewer.ready()
            code = proc.wait()
            yield from self.previewer.ready(wait=True)
        finally:
            run.detach()
            proc.finish()
        st.seconds += self.active_s()
        if ended is not None:
            st.step = ended.step
        if code != 0 or ended is None:
            self._raise_if_cancelled()
            reason = proc.failure(code, last_error)
            run.set_status(RunStatus.FAILED, reason)
            kept = f"; the last checkpoint (step {st.step}) is kept, resume to continue" if resuming or st.step else ""
            raise StudioError(
                f"training failed in the {st.name.upper()} stage: {reason}{kept} (log: {run.log_path(st.name)})"
            )
        if ended.status == "stopped":
            self._raise_if_cancelled()
        return ended

    def _event(self, rec: TrainRecord) -> Generator[Any, None, None]:
        run, st = self.run, self.st
        if isinstance(rec, StartRecord):
            yield StageStarted(
                st.name, self.index, len(run.stages), rec.steps, rec.step, rec.device, rec.precision, rec.threads
            )
        elif isinstance(rec, StepRecord):
            used = self.used_before + self.active_s()
            clock = budget.run_clock(
                run.options,
                done_steps=self.done_before + rec.step,
                planned_total=self.planned_total,
                used_s=used,
                it_per_s=rec.it_per_s,
            )
            yield StepProgress(
                st.name,
                rec.step,
                rec.steps,
                dict(rec.losses),
                rec.lr,
                rec.it_per_s,
                clock.eta_s,
                clock.fraction,
                self.done_before + rec.step,
                clock.expected_total,
                run.options.minutes if run.options.timed else 0.0,
            )
        elif isinstance(rec, ValRecord):
            if rec.metrics:
                yield Validation(st.name, rec.step, rec.psnr_y, rec.ssim_y, rec.best)
        elif isinstance(rec, CheckpointRecord):
            st.step = rec.step
            run.save()
            yield CheckpointSaved(st.name, rec.step, rec.path)
            if rec.step < st.steps and not run.cancelled:
                self.previewer.request(st.name, rec.step, Path(rec.path))
        elif isinstance(rec, SkippedRecord):
            yield Notice(f"skipped {rec.file}: {rec.reason}", problem=True)
        elif isinstance(rec, NoteRecord):
            yield Notice(rec.message)
