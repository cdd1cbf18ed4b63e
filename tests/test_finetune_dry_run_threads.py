"""The dry run times the thread count the run will train at, not the tuner's first candidate.

With train.threads = -1 the trainer tries 1 thread first; a dry run that timed only its
first steps planned an idle 2-core box at the single-thread speed (1.9x too slow: batch 8
where 16 fitted, and an ETA twice too long for a steps budget).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from srgan_studio.core.finetune.budget import dry_run_step_time


def arrivals(spec):
    """[(step seconds, threads, paused)] -> the (arrival time, threads, paused) list the dry run keeps."""
    out, t = [(0.0, spec[0][1], False)], 0.0
    for seconds, threads, paused in spec:
        t += seconds
        out.append((t, threads, paused))
    return out


def test_the_fastest_thread_count_is_the_estimate_not_the_first_one_tried():
    one = [(1.0, 1, False)] * 4
    two = [(3.0, 2, False)] + [(0.5, 2, False)] * 8  # its first step pays the switch
    assert dry_run_step_time(arrivals(one + two)) == pytest.approx(0.5)


def test_a_switch_and_a_pause_are_not_step_times():
    steps = [(0.4, 4, False), (0.4, 4, False), (9.0, 4, True), (0.4, 4, False), (5.0, 2, False), (0.7, 2, False)]
    assert dry_run_step_time(arrivals(steps)) == pytest.approx(0.4)


def test_records_without_a_thread_count_are_one_group():
    steps = [(0.2, 0, False), (0.3, 0, False), (0.25, 0, False)]  # an older trainer: threads 0
    assert dry_run_step_time(arrivals(steps)) == pytest.approx(0.25)


def test_no_timed_step_is_none():
    assert dry_run_step_time([]) is None
    assert dry_run_step_time([(0.0, 1, False)]) is None
    assert dry_run_step_time(arrivals([(5.0, 2, True)])) is None


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the tuner has one candidate on one core")
def test_the_trainer_says_which_thread_count_each_step_ran_with(tmp_path):
    pytest.importorskip("torch")
    import numpy as np
    from PIL import Image

    from srgan_studio.core.recipe_schema import recipe_from_dict

    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(2)
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(photos / f"p{i}.png")
    model = {"type": "srresnet", "scale": 4, "blocks": 1, "channels": 8, "batch_norm": False, "bicubic_skip": True}
    recipe = recipe_from_dict(
        {
            "experiment": {"name": "threads", "seed": 1},
            "model": model,
            "data": {"train": str(photos), "patch_size": 32, "batch_size": 2},
            "train": {"steps": 12, "log_every": 1, "checkpoint_minutes": 60, "threads": -1},
        }
    )
    recipe_file = tmp_path / "threads.toml"
    recipe_file.write_text(recipe.to_toml(), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    argv = [sys.executable, "-m", "srgan_studio.cli", "train", str(recipe_file), "--out", str(tmp_path / "run")]
    done = subprocess.run([*argv, "--progress", "json"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    steps = [r for r in map(json.loads, done.stdout.splitlines()) if r["event"] == "step"]
    assert len(steps) == 12
    counts = [r["threads"] for r in steps]
    assert counts[0] == 1  # the tuner's cheap baseline comes first
    assert os.cpu_count() in counts  # and all cores were tried: the dry run must time them too
