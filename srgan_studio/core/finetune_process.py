"""The training child process and the events fine-tuning yields (used by core/finetune.py).

``TrainProcess`` runs ``srgan-studio train ... --progress json``, reads its
JSON lines, keeps the tail of its stderr to explain a failure in one line,
and pauses (SIGSTOP/SIGCONT), stops (SIGTERM: the trainer checkpoints first)
or kills it.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import StudioError

# ---------------------------------------------------------------- events


@dataclass(frozen=True)
class StageStarted:
    stage: str
    index: int           # 0-based
    count: int
    steps: int
    resumed_from: int    # 0 for a fresh start


@dataclass(frozen=True)
class StepProgress:
    stage: str
    step: int
    steps: int
    losses: dict[str, float]
    lr: float
    it_per_s: float
    eta_s: float | None        # for the whole run, all stages
    fraction: float            # of the whole run


@dataclass(frozen=True)
class Validation:
    stage: str
    step: int
    psnr_y: float
    ssim_y: float


@dataclass(frozen=True)
class CheckpointSaved:
    stage: str
    step: int
    path: str


@dataclass(frozen=True)
class PreviewReady:
    stage: str
    step: int
    lr: Path             # the degraded LR crop, as the model sees it
    bicubic: Path
    base: Path           # the base model's output on it ("before")
    current: Path        # the fine-tuned model's output now ("after")
    hr: Path


@dataclass(frozen=True)
class Notice:
    message: str


@dataclass(frozen=True)
class StageFinished:
    stage: str
    step: int
    status: str          # the trainer's: "done", "stopped", "time budget reached"
    seconds: float


@dataclass(frozen=True)
class TrainOutcome:
    status: str          # "trained"
    weights: Path        # final generator weights (EMA when on)
    steps: int


@dataclass(frozen=True)
class Estimate:
    seconds_per_step: dict[str, float]     # per stage
    steps_for_budget: dict[str, int]       # per stage, for the minutes budget (empty if none)

    def total_seconds(self, steps: dict[str, int]) -> float:
        return sum(self.seconds_per_step.get(s, 0.0) * n for s, n in steps.items())


# ---------------------------------------------------------------- the training process


def train_command() -> list[str]:
    """The command that runs ``srgan-studio`` as a child of this interpreter."""
    return [sys.executable, "-m", "srgan_studio"]


def _child_setup() -> None:
    # Nice the trainer so the app (and anything else the user runs) stays responsive.
    with contextlib.suppress(OSError, AttributeError):
        os.nice(5)


class TrainProcess:
    """One ``srgan-studio train`` child: JSON lines on stdout, a stderr tail kept for errors."""

    def __init__(self, argv: list[str], log_path: Path, env: dict[str, str] | None = None):
        child_env = dict(os.environ if env is None else env)
        child_env["PYTHONUNBUFFERED"] = "1"
        kwargs: dict[str, Any] = {}
        if os.name == "posix":
            kwargs["start_new_session"] = True   # Ctrl-C in a terminal reaches us, and we stop the child cleanly
            kwargs["preexec_fn"] = _child_setup
        else:
            kwargs["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) | getattr(
                subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0)
        self.log_path = log_path
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
                                         bufsize=1, env=child_env, **kwargs)
        except OSError as exc:
            raise StudioError(f"cannot start the training process ({exc})") from None
        self._stderr_thread = threading.Thread(target=self._read_stderr, daemon=True, name="train-stderr")
        self._stderr_thread.start()
        self.paused = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        with open(self.log_path, "a", encoding="utf-8") as log:
            for line in self.proc.stderr:
                log.write(line)
                log.flush()
                line = line.strip()
                if line:
                    self.stderr_tail.append(line)

    def records(self) -> Generator[dict[str, Any], None, None]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict):
                yield rec

    def wait(self) -> int:
        code = self.proc.wait()
        self._stderr_thread.join(5)
        return code

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _signal(self, sig: int) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.name == "posix":
                os.killpg(self.proc.pid, sig)
            else:
                self.proc.send_signal(sig)

    def suspend(self) -> None:
        self._signal(signal.SIGSTOP)
        self.paused = True

    def cont(self) -> None:
        self._signal(signal.SIGCONT)
        self.paused = False

    def stop(self) -> None:
        """Ask the trainer to stop after the current step; it saves a checkpoint first."""
        if os.name == "posix":
            self._signal(signal.SIGTERM)
            if self.paused:
                self.cont()   # a stopped process only acts on SIGTERM once it runs again
        else:
            self._signal(getattr(signal, "CTRL_BREAK_EVENT", signal.SIGTERM))

    def kill(self) -> None:
        if self.alive():
            with contextlib.suppress(OSError):
                self.proc.kill()

    def failure(self, code: int, last_error: str) -> str:
        """One line saying why the process ended badly."""
        if last_error:
            return last_error
        for line in reversed(self.stderr_tail):
            if line.startswith("srgan-studio: error:"):
                return line.removeprefix("srgan-studio: error:").strip()
        for line in reversed(self.stderr_tail):
            if re.match(r"^[A-Za-z_.]*(Error|Exception)\b", line) or "out of memory" in line.lower():
                return line
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            return f"the training process was killed ({name})"
        if self.stderr_tail:
            return f"the training process exited with code {code}: {self.stderr_tail[-1]}"
        return f"the training process exited with code {code}"
