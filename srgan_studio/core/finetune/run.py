"""``FinetuneRun``: one run folder, its typed state and the controls of its trainer.

``create`` makes the folder (links, held-out crops, state), ``open`` reads it back
after a restart, ``estimate`` and ``train`` (in ``training.py``) drive the trainer,
and ``pause``/``resume``/``cancel`` may be called from any thread: every use of the
process handle holds ``_lock``.
"""

from __future__ import annotations

import json
import shutil
import signal
import threading
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_bytes
from ..cancel import NEVER, CancelToken
from ..errors import Cancelled, SettingsError
from .base import BaseModel, fine_tunable_models, resolve_base
from .base_choice import choose_base
from .base_scores import keep_base_outputs
from .events import Estimate, Notice, TrainOutcome
from .folder import finetune_root, link_photos, make_preview_crops
from .options import FinetuneOptions, stage_names
from .photos import FolderScan, choose_heldout, run_patch_size, scan_folder
from .process import TrainProcess
from .state import STATE_FILE, BaseInfo, PhotoSplit, RunState, RunStatus, StageState


class FinetuneRun:
    """A fine-tuning run folder and the state in its ``finetune.json``."""

    def __init__(self, run_dir: Path, state: RunState):
        self.dir = Path(run_dir)
        self.state = state
        self._lock = threading.Lock()
        self._proc: TrainProcess | None = None
        self._cancel = threading.Event()
        self._pause_requested = False
        self._resume_event = threading.Event()
        self._paused_since: float | None = None  # time.monotonic() of the pause going on
        self._paused_s = 0.0  # pauses that ended
        self._disposable = False  # the attached process is a dry run's
        self._started = False  # the attached process reported its start
        # SIGSTOP freezes the trainer where it is; elsewhere (Windows) pausing
        # stops it at a checkpoint and resuming restarts it from there.
        self.pause_mode = "signal" if hasattr(signal, "SIGSTOP") else "restart"

    # ---- creation and loading -------------------------------------------
    @classmethod
    def create(
        cls,
        options: FinetuneOptions,
        scan: FolderScan | None = None,
        *,
        base: BaseModel | None = None,
        registry=None,
        replace: bool = False,
    ) -> FinetuneRun:
        options.check()
        if registry is None:
            from ..registry import default_registry

            registry = default_registry()
        if options.name in registry:
            raise SettingsError(f"a model named {options.name!r} already exists; choose another name")
        # auto: the rule's base stands in (for its scale) until the held-out photos can score the candidates.
        measure = base is None and options.base == "auto"
        bases = fine_tunable_models(registry) if measure else []
        base = base or resolve_base(options.base, registry, options.preset)
        if options.patch_size % base.scale:
            raise SettingsError(
                f"patch size {options.patch_size} must be a multiple of the model's scale ({base.scale})"
            )
        if scan is None or scan.patch_size != options.patch_size:
            scan = scan_folder(options.photos, options.patch_size)
        scan.check()
        run_dir = finetune_root() / options.name
        if (run_dir / STATE_FILE).exists():
            if not replace:
                raise SettingsError(
                    f"a fine-tuning run named {options.name!r} exists already; resume it or choose another name",
                    run_dir,
                )
            shutil.rmtree(run_dir)
        heldout = choose_heldout(scan.usable, options.heldout)
        held = {p.rel for p in heldout}
        train = [p for p in scan.usable if p.rel not in held]
        link_photos(run_dir, "train", train)
        link_photos(run_dir, "heldout", heldout)
        choice, outputs = None, {}
        if measure:
            base, choice = choose_base(bases, options.preset, sorted((run_dir / "heldout").iterdir()), outputs)
        options.base = base.name
        options.photos = str(Path(options.photos).expanduser().resolve())
        state = RunState(
            status=RunStatus.CREATED,
            options=options,
            base=BaseInfo(base.name, base.title, str(base.weights), str(base.onnx), base.arch, base.scale),
            photos=PhotoSplit([p.rel for p in train], [p.rel for p in heldout], [[str(p), r] for p, r in scan.bad]),
            stages=[StageState(s) for s in stage_names(options.goal)],
            patch_size=run_patch_size(train, options.patch_size, base.scale),
            created=time.time(),
            base_choice=choice,
        )
        run = cls(run_dir, state)
        make_preview_crops(run.preview_dir / "crops", heldout, base.scale)
        keep_base_outputs(run, outputs.get(base.name, []))
        run.save()
        return run

    @classmethod
    def open(cls, name_or_dir: str | Path) -> FinetuneRun:
        p = Path(name_or_dir)
        run_dir = p if (p / STATE_FILE).is_file() else finetune_root() / str(name_or_dir)
        st = run_dir / STATE_FILE
        try:
            data = json.loads(st.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError("no fine-tuning run here", run_dir) from None
        except (OSError, ValueError) as exc:
            raise SettingsError(f"fine-tuning state is unreadable ({exc})", st) from None
        return cls(run_dir, RunState.from_json(data, st))

    def save(self) -> None:
        self.state.updated = time.time()
        atomic_write_bytes(self.dir / STATE_FILE, (json.dumps(self.state.to_json(), indent=1) + "\n").encode())

    def set_status(self, status: RunStatus, error: str = "") -> None:
        """Move to ``status`` (checked against the allowed transitions) and save."""
        self.state.move_to(status)
        if error or status is not RunStatus.FAILED:
            self.state.error = error
        self.save()

    # ---- properties ---------------------------------------------------------
    @property
    def options(self) -> FinetuneOptions:
        return self.state.options

    @property
    def name(self) -> str:
        return self.options.name

    @property
    def status(self) -> RunStatus:
        return self.state.status

    @property
    def scale(self) -> int:
        return int(self.state.base.scale)

    @property
    def stages(self) -> list[StageState]:
        return self.state.stages

    @property
    def heldout_dir(self) -> Path:
        return self.dir / "heldout"

    @property
    def train_dir(self) -> Path:
        return self.dir / "train"

    @property
    def preview_dir(self) -> Path:
        return self.dir / "preview"

    def stage_dir(self, stage: str) -> Path:
        return self.dir / f"stage-{stage}"

    def log_path(self, stage: str) -> Path:
        return self.stage_dir(stage) / "stderr.log"

    def final_weights(self) -> Path | None:
        for st in reversed(self.stages):
            w = self.stage_dir(st.name) / "generator.safetensors"
            if w.is_file():
                return w
        return None

    def can_resume(self) -> bool:
        return self.state.resumable

    def beat_base(self) -> bool | None:
        """Did the fine-tune beat its base on the held-out photos? None before evaluation."""
        if not self.state.metrics:
            return None
        mean = self.state.metrics["heldout"]
        return mean["finetuned"]["psnr_y"] > mean["base"]["psnr_y"]

    # ---- the trainer process (any thread) ---------------------------------------
    # A pause or cancel may come at any moment, also while no trainer runs (before the first, between the
    # dry run's processes, between stages) or while one is starting. It is kept here and takes effect at
    # the next safe point: ``hold`` before each process starts, ``attach`` as one is handed over, and, for a
    # restart-style pause, ``started`` once the trainer's stop handler is in place (a SIGTERM before that
    # would kill it, which reads as a crash).
    def attach(self, proc: TrainProcess, *, disposable: bool = False) -> None:
        """Hand the run its live trainer; a cancel or pause that came first acts on it at once.

        ``disposable``: nothing in it is worth keeping (the dry run), so a restart-style pause kills it."""
        with self._lock:
            self._proc, self._disposable, self._started = proc, disposable, False
            if self._cancel.is_set():
                proc.stop()
            elif self._pause_requested:
                self._pause_proc()

    def started(self, proc: TrainProcess) -> None:
        """The trainer reported its start: it now saves and stops on a stop request."""
        with self._lock:
            if self._proc is proc:
                self._started = True
                if self._pause_requested and self.pause_mode == "restart":
                    proc.stop()

    def detach(self) -> None:
        with self._lock:
            self._proc = None

    @property
    def process_pid(self) -> int | None:
        with self._lock:
            return self._proc.pid if self._proc is not None else None

    def _pause_proc(self) -> None:  # with self._lock held and a process attached
        assert self._proc is not None
        if self.pause_mode == "signal":
            self._proc.suspend()
        elif self._disposable:
            self._proc.kill()
        elif self._started:
            self._proc.stop()  # else ``started`` stops it

    def pause(self) -> None:
        with self._lock:
            self._pause_requested = True
            self._resume_event.clear()
            if self._paused_since is None:
                self._paused_since = time.monotonic()
            if self._proc is not None:
                self._pause_proc()

    def resume(self) -> None:
        with self._lock:
            self._end_pause()
            if self._proc is not None and self.pause_mode == "signal":
                self._proc.cont()
            self._resume_event.set()

    def _end_pause(self) -> None:  # with self._lock held
        self._pause_requested = False
        if self._paused_since is not None:
            self._paused_s += time.monotonic() - self._paused_since
            self._paused_since = None

    def give_core_back(self, on: bool) -> None:
        """One core for the app while it renders (the trainer takes it back on ``False``)."""
        with self._lock:
            if self._proc is not None:
                self._proc.give_core_back(on)

    @property
    def paused(self) -> bool:
        return self._pause_requested

    def paused_seconds(self) -> float:
        """Seconds this run object has spent paused, a pause still going on included (time.monotonic)."""
        with self._lock:
            going_on = time.monotonic() - self._paused_since if self._paused_since is not None else 0.0
            return self._paused_s + going_on

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Stop training; the trainer writes a checkpoint first, so the run can be resumed later.

        A cancel ends a pause too: the run that is resumed later must not start out paused."""
        with self._lock:
            self._cancel.set()
            self._end_pause()
            self._resume_event.set()
            if self._proc is not None:
                self._proc.stop()

    def wait_while_paused(self, cancel: CancelToken) -> None:
        """Block until resumed or cancelled (``cancel`` is watched too)."""
        while not self._resume_event.wait(0.2):
            if cancel.cancelled:
                self.cancel()

    def hold(self, cancel: CancelToken = NEVER) -> None:
        """A safe point, with no trainer running: wait here while paused; Cancelled after a cancel.

        A run that has begun training is saved as paused (a restart finds it so) and as cancelled."""
        if self._pause_requested and not (self.cancelled or cancel.cancelled):
            if self.state.can_move_to(RunStatus.PAUSED):
                self.set_status(RunStatus.PAUSED)
            self.wait_while_paused(cancel)
        if self.cancelled or cancel.cancelled:
            if self.status in (RunStatus.TRAINING, RunStatus.PAUSED):
                self.set_status(RunStatus.CANCELLED)
            raise Cancelled()

    # ---- work (training.py) ---------------------------------------------------
    def estimate(self, cancel: CancelToken = NEVER) -> Generator[Notice, None, Estimate]:
        from .training import estimate

        return (yield from estimate(self, cancel))

    def train(self, cancel: CancelToken = NEVER) -> Generator[Any, None, TrainOutcome]:
        from .training import train

        self._cancel.clear()
        return (yield from train(self, cancel))
