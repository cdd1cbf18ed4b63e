"""Budget arithmetic: steps, batch and learning rate for the time the user gives.

Pure functions of the options and the measured step time; the wizard and the
CLI only display what these return.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..progress import format_eta  # noqa: F401 - re-exported as core.finetune.format_eta
from .events import Estimate
from .options import FinetuneOptions, stage_names
from .state import Plan

# A minutes budget plans this many times the estimated steps: the trainer's clock ends the
# stage, not the step count. The dry run is a guess on a shared machine: measured here, a
# dry run under load planned 42 steps for a run that then went 13x faster and ended early.
MINUTES_SLACK = 20.0
BATCHES = (16, 8, 4)  # tried largest first for a minutes budget
MIN_UPDATES = 300  # a bigger batch is worth it only while the budget still allows this many steps
PROBE_BATCH = 16  # the dry run's batch when the batch is chosen automatically
LONG_RUN_STEPS = 2000  # past this, the gentler learning rate keeps more of what the base knows


# With train.threads = -1 the trainer's ThreadTuner times 1, n/2 and n threads, four steps each (one a
# warm-up), before it settles: a dry run of PROBE steps alone timed only the single thread, and on an idle
# 2-core box planned for steps 1.9x slower than the run then made (a batch of 8 where 16 fitted).
AUTO_THREADS_PROBE_STEPS = 12


def dry_run_step_time(arrivals: list[tuple[float, int, bool]]) -> float | None:
    """The step time the run will train at, from the dry run's step records (None without a timed step).

    ``arrivals``: per step record, (when it arrived, the thread count its step ran with, whether a
    pause fell since the previous record). The trainer keeps the fastest thread count it tried, so
    the estimate is the fastest count's median step. The first step at a new count pays the switch,
    and an interval a pause fell into is not a step time: neither is timed.
    """
    times: dict[int, list[float]] = {}
    for (t0, threads0, _), (t1, threads1, paused) in zip(arrivals, arrivals[1:], strict=False):
        if not paused and threads1 == threads0:
            times.setdefault(threads1, []).append(t1 - t0)
    medians = [sorted(v)[len(v) // 2] for v in times.values()]
    return max(1e-4, min(medians)) if medians else None


def effective_ema(decay: float, steps: int) -> float:
    """Cap the EMA decay so its horizon, 1 / (1 - decay), is at most a tenth of the run.

    A fine-tune of a few dozen steps with decay 0.999 would export weights that
    moved 4% of the way from the base: all the training, none of the result.
    """
    if decay <= 0:
        return 0.0
    return round(min(decay, max(0.0, 1.0 - 10.0 / max(1, steps))), 6)


def stage_shares(opts: FinetuneOptions, names: list[str]) -> dict[str, float]:
    if len(names) == 1:
        return {names[0]: 1.0}
    return {"psnr": 1 - opts.gan_share, "gan": opts.gan_share}


def probe_batch(opts: FinetuneOptions) -> int:
    return opts.batch_size or PROBE_BATCH


def choose_plan(opts: FinetuneOptions, seconds_per_sample: dict[str, float], patch_size: int) -> Plan:
    """Batch and learning rate for the budget (the user's values win when given).

    With minutes, the largest batch that still leaves MIN_UPDATES steps in the first
    stage: more samples per update for the same time, while a short budget keeps
    enough updates to move. The learning rate follows the expected number of steps
    (2e-4 for a short run, 1e-4 past LONG_RUN_STEPS) and the square root of the batch.
    """
    first = "psnr"
    per_sample = seconds_per_sample.get(first, 0.0)
    batch = opts.batch_size
    if not batch:
        batch = PROBE_BATCH
        if opts.timed and per_sample > 0:
            seconds = opts.minutes * 60 * stage_shares(opts, list(seconds_per_sample) or [first])[first]
            batch = next((b for b in BATCHES if seconds / (per_sample * b) >= MIN_UPDATES), BATCHES[-1])
    lr = opts.lr
    if not lr:
        steps = opts.steps or (opts.minutes * 60 / (per_sample * batch) if per_sample > 0 else 0)
        base_lr = 1e-4 if steps > LONG_RUN_STEPS else 2e-4
        lr = float(f"{base_lr * math.sqrt(batch / 16):.2g}")
    return Plan(batch_size=batch, lr=lr, patch_size=patch_size)


def expected_steps(opts: FinetuneOptions, names: list[str], seconds_per_step: dict[str, float]) -> dict[str, int]:
    """The steps a budget is expected to give per stage (a steps budget gives itself)."""
    shares = stage_shares(opts, names)
    if opts.steps:
        out = {n: max(1, round(opts.steps * shares[n])) for n in names}
        out[names[-1]] = max(1, opts.steps - sum(out[n] for n in names[:-1]))
        return out
    return {n: max(1, int(opts.minutes * 60 * shares[n] / max(seconds_per_step[n], 1e-6))) for n in names}


def planned_steps(opts: FinetuneOptions, names: list[str], seconds_per_step: dict[str, float]) -> dict[str, int]:
    """The step count each stage's recipe gets: a minutes budget plans MINUTES_SLACK times the estimate."""
    expected = expected_steps(opts, names, seconds_per_step)
    if opts.steps:
        return expected
    return {n: max(1, int(MINUTES_SLACK * v)) for n, v in expected.items()}


def expected_seconds(opts: FinetuneOptions, names: list[str], seconds_per_step: dict[str, float]) -> float:
    if opts.timed:
        return opts.minutes * 60
    steps = expected_steps(opts, names, seconds_per_step)
    return sum(seconds_per_step[n] * steps[n] for n in names)


def stage_minutes(opts: FinetuneOptions, names: list[str], stage: str, used_seconds: float) -> float:
    """A stage's share of the minutes budget (0 = none), less the training time it already used."""
    if not opts.minutes:
        return 0.0
    return max(0.05, opts.minutes * stage_shares(opts, names)[stage] - used_seconds / 60)


@dataclass(frozen=True)
class RunClock:
    """Where the run stands against its budget, for the progress bar and the ETA."""

    fraction: float  # of the whole run
    eta_s: float | None
    expected_total: int  # steps over all stages: exact for a steps budget, an estimate for minutes


def run_clock(
    opts: FinetuneOptions, *, done_steps: int, planned_total: int, used_s: float, it_per_s: float
) -> RunClock:
    """Progress of the whole run. ``done_steps`` counts every stage; ``used_s`` the training time so far."""
    if opts.timed:
        budget_s = opts.minutes * 60
        remaining = max(0.0, budget_s - used_s)
        expected = done_steps + int(remaining * it_per_s) if it_per_s > 0 else planned_total
        eta = remaining if it_per_s <= 0 else min(remaining, max(0, planned_total - done_steps) / it_per_s)
        return RunClock(min(1.0, used_s / budget_s), eta, max(done_steps, min(expected, planned_total)))
    eta = (planned_total - done_steps) / it_per_s if it_per_s > 0 else None
    return RunClock(done_steps / max(1, planned_total), eta, planned_total)


def format_minutes(seconds: float) -> str:
    """'1.5 min', '12 min', '2 h 05 min'."""
    minutes = seconds / 60
    if minutes < 10:
        return f"{minutes:.1f} min".replace(".0 min", " min")
    if minutes < 60:
        return f"{minutes:.0f} min"
    return f"{int(minutes // 60)} h {int(minutes % 60):02d} min"


def estimate_for(opts: FinetuneOptions, seconds_per_sample: dict[str, float], patch_size: int) -> Estimate:
    """What the measured step time means for these options: step time at the chosen batch, expected steps."""
    plan = choose_plan(opts, seconds_per_sample, patch_size)
    sps = {k: v * plan.batch_size for k, v in seconds_per_sample.items()}
    names = [n for n in stage_names(opts.goal) if n in sps]
    steps = expected_steps(opts, names, sps) if opts.timed and names else {}
    return Estimate(sps, steps, plan.batch_size, plan.lr)
