"""The trainer's budget clock leaves out the time the process was stopped (Ctrl-Z, SIGSTOP).

The accounting is driven with a fake time source; real stops are SIGSTOP / SIGTSTP sent to a child
process, with assertions on what the clock counted (generous margins, nothing on the machine's speed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from srgan_studio.training import run_clock
from srgan_studio.training.run_clock import RunClock

posix_only = pytest.mark.skipif(os.name != "posix" or not hasattr(signal, "SIGSTOP"), reason="POSIX job control")


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def fake_clock(**kwargs) -> tuple[RunClock, FakeTime]:
    t = FakeTime()
    return RunClock(time_source=t, tick_s=0.1, **kwargs).start(manual=True), t


def beat(clock: RunClock, t: FakeTime, seconds: float) -> None:
    """The heartbeat thread on schedule for ``seconds``."""
    for _ in range(round(seconds / clock.tick_s)):
        t.now += clock.tick_s
        clock.heartbeat()


def test_a_stop_confirmed_by_sigcont_is_left_out():
    clock, t = fake_clock()
    beat(clock, t, 1.0)
    t.now += 50.0  # stopped: no heartbeat for 50 s
    clock.note_continue()
    clock.heartbeat()
    beat(clock, t, 1.0)
    assert clock.stopped_s == pytest.approx(50.0 - 0.1)  # at most one tick of the gap is counted as running
    assert clock.elapsed() == pytest.approx(2.0 + 0.1)


def test_the_sigcont_handler_may_run_after_the_heartbeat_saw_the_gap():
    clock, t = fake_clock()
    beat(clock, t, 0.5)
    t.now += 20.0
    clock.heartbeat()  # the daemon thread wakes first...
    beat(clock, t, 2.0)
    clock.note_continue()  # ...the main thread runs the handler after its long C call
    beat(clock, t, 40.0)  # well past confirm_s: confirmed, not expired
    assert clock.stopped_s == pytest.approx(20.0 - 0.1)


def test_a_reading_right_after_the_continue_never_sees_the_stop():
    # The main thread may read the clock before its SIGCONT handler ran: the fresh gap is presumed a stop.
    clock, t = fake_clock()
    beat(clock, t, 1.0)
    t.now += 300.0
    assert clock.elapsed() == pytest.approx(1.1)


def test_a_gap_without_sigcont_counts_as_running_time_again():
    # A heartbeat that waited for the GIL or a CPU is not a stop.
    clock, t = fake_clock(confirm_s=5.0)
    beat(clock, t, 1.0)
    t.now += 3.0
    clock.heartbeat()
    assert clock.stopped_s > 2.0  # provisionally left out
    beat(clock, t, 6.0)
    assert clock.stopped_s == 0.0
    assert clock.elapsed() == pytest.approx(10.0)
    clock.note_continue()  # a late, unrelated SIGCONT confirms nothing that already expired
    beat(clock, t, 1.0)
    assert clock.stopped_s == 0.0


def test_a_sigcont_without_a_stop_confirms_no_later_gap():
    clock, t = fake_clock(confirm_s=5.0)
    beat(clock, t, 1.0)
    clock.note_continue()  # e.g. a SIGCONT sent to a running process
    beat(clock, t, 1.0)
    t.now += 2.0
    clock.heartbeat()
    beat(clock, t, 6.0)
    assert clock.stopped_s == 0.0


def test_several_stops_add_up():
    clock, t = fake_clock()
    for stop in (10.0, 5.0, 30.0):
        beat(clock, t, 1.0)
        t.now += stop
        clock.note_continue()
        clock.heartbeat()
    assert clock.stopped_s == pytest.approx(45.0 - 3 * 0.1)
    assert clock.elapsed() == pytest.approx(3.0 + 3 * 0.1)


def test_without_signals_it_is_wall_time_and_touches_no_handler(monkeypatch):
    before = signal.getsignal(signal.SIGCONT) if hasattr(signal, "SIGCONT") else None
    monkeypatch.setattr(run_clock, "JOB_CONTROL", False)  # Windows: no SIGCONT, no job control
    t = FakeTime()
    clock = RunClock(time_source=t).start()
    assert not clock.pause_aware and clock._thread is None
    t.now += 7.0
    assert clock.elapsed() == pytest.approx(7.0)
    clock.close()
    if before is not None:
        assert signal.getsignal(signal.SIGCONT) is before


@posix_only
def test_off_the_main_thread_it_installs_no_handler():
    before = signal.getsignal(signal.SIGCONT)
    seen = {}

    def body():
        clock = RunClock().start()
        seen["aware"] = clock.pause_aware
        seen["handler"] = signal.getsignal(signal.SIGCONT)
        clock.close()

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert seen == {"aware": False, "handler": before}


@posix_only
def test_close_gives_sigcont_back_and_ends_the_heartbeat():
    before = signal.getsignal(signal.SIGCONT)
    clock = RunClock().start()
    assert clock.pause_aware and signal.getsignal(signal.SIGCONT) is not before
    thread = clock._thread
    clock.close()
    assert signal.getsignal(signal.SIGCONT) is before
    assert thread is not None and not thread.is_alive()


# --- real stops of a child process ---------------------------------------------------------------

CHILD = """
import json, sys, time
from srgan_studio.training.run_clock import RunClock
clock = RunClock().start()
t0 = time.monotonic()
print("ready", flush=True)
sys.stdin.readline()
print(json.dumps({"wall": time.monotonic() - t0, "elapsed": clock.elapsed(), "stopped": clock.stopped_s}), flush=True)
"""


# The kernel discards SIGTSTP sent to an orphaned process group, which is what a suite started from a
# script in the background runs in. A child in a group of its own, whose parent (pytest) is in another
# group of the same session, is not orphaned, so Ctrl-Z's signal reaches it as from a terminal.
OWN_GROUP = {"process_group": 0} if sys.version_info >= (3, 11) else {}


def wait_until_stopped(pid: int, timeout: float = 10.0) -> None:
    """Until the kernel shows the process stopped (state T), so the stop's length is the parent's sleep."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():  # no procfs (macOS): a stop signal takes effect at once in practice
        time.sleep(0.2)
        return
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if stat.read_text().rsplit(")", 1)[1].split()[0] == "T":
            return
        time.sleep(0.01)
    raise AssertionError("the child never stopped")


@posix_only
@pytest.mark.parametrize("stop_signal", ["SIGSTOP", "SIGTSTP"])  # SIGTSTP: what Ctrl-Z sends
def test_a_stopped_child_clock_leaves_the_stop_out(stop_signal):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, **OWN_GROUP
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.3)
        os.kill(proc.pid, getattr(signal, stop_signal))
        wait_until_stopped(proc.pid)
        time.sleep(2.0)
        os.kill(proc.pid, signal.SIGCONT)
        time.sleep(0.3)
        proc.stdin.write("report\n")
        proc.stdin.flush()
        report = json.loads(proc.stdout.readline())
    finally:
        proc.kill()
        proc.wait()
    assert report["stopped"] >= 1.5  # the stop lasted at least 2 s
    assert report["stopped"] <= report["wall"]
    assert report["elapsed"] <= report["wall"] - 1.5
    assert report["elapsed"] >= 0.3  # the running time around the stop is still counted


@posix_only
def test_train_with_minutes_survives_a_ctrl_z_longer_than_its_budget(tmp_path):
    """`srgan-studio train --minutes`: stopped by Ctrl-Z (SIGTSTP) for longer than the whole budget, it
    still trains for its budget of running time once continued."""
    pytest.importorskip("torch")
    import numpy as np
    from PIL import Image

    from srgan_studio.core.recipe_schema import recipe_from_dict

    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(1)
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(photos / f"p{i}.png")
    model = {"type": "srresnet", "scale": 4, "blocks": 1, "channels": 8, "batch_norm": False, "bicubic_skip": True}
    recipe = recipe_from_dict(
        {
            "experiment": {"name": "clock", "seed": 1},
            "model": model,
            "data": {"train": str(photos), "patch_size": 32, "batch_size": 2},
            "train": {"steps": 10_000_000, "log_every": 1000, "checkpoint_minutes": 60, "threads": 1},
        }
    )
    recipe_file = tmp_path / "clock.toml"
    recipe_file.write_text(recipe.to_toml(), encoding="utf-8")
    budget_s, stop_s = 2.4, 4.0
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    argv = [sys.executable, "-m", "srgan_studio.cli", "train", str(recipe_file), "--out", str(tmp_path / "run")]
    argv += ["--minutes", str(budget_s / 60), "--progress", "json"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, **OWN_GROUP)
    try:
        records = []
        for line in proc.stdout:
            records.append(json.loads(line))
            if records[-1]["event"] == "start":
                break
        started = time.monotonic()
        os.kill(proc.pid, signal.SIGTSTP)
        wait_until_stopped(proc.pid)
        time.sleep(stop_s)
        os.kill(proc.pid, signal.SIGCONT)
        records += [json.loads(line) for line in proc.stdout]
        wall = time.monotonic() - started
        assert proc.wait(timeout=120) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    end = records[-1]
    assert end["event"] == "end" and end["status"] == "time budget reached"
    assert end["seconds"] >= budget_s  # the whole budget was trained, none of it eaten by the stop
    assert end["seconds"] <= wall - stop_s + 1.0  # and the stop is not in the trainer's seconds
