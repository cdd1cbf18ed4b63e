"""Fine-tuning a model on the user's own photos (Qt-free, torch-free orchestration).

The GUI wizard and ``srgan-studio finetune`` both drive this module:

1. ``scan_photos(folder)`` counts the usable photos, lists the bad ones and
   warns when there are too few or they are small;
2. ``FinetuneRun.create(options, scan)`` makes a run folder in
   ``data_dir()/finetune/<name>``, sets at least two held-out photos aside
   (chosen by a hash of their path, so the choice is stable) and writes one
   strict training recipe per stage (faithful: PSNR; realistic: PSNR then GAN);
3. ``run.estimate()`` times a few real steps in a dry run;
4. ``run.train()`` runs ``python -m srgan_studio train ... --progress json`` in a
   SUBPROCESS, never in the caller's process (a crash or an out-of-memory there
   cannot take the app down), and turns its JSON lines into events.
   ``pause()``/``resume()``/``cancel()`` may be called from any thread;
5. ``finetune_eval.evaluate(run)`` and ``finetune_eval.register(run)`` export,
   measure and publish the model.

The training data is never copied: the run folder holds links to the photos,
``train/`` for the training photos and ``heldout/`` for the held-out ones, so
the trainer cannot see a held-out photo. Everything the run needs is in
``finetune.json`` in the run folder, so an interrupted run (cancelled, crashed
or the app closed) resumes from its last checkpoint after a restart.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Generator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .atomic import atomic_write_bytes
from .cancel import NEVER, CancelToken
from .discover import find_images
from .errors import Cancelled, ImageReadError, SettingsError, StudioError
from .finetune_process import (  # re-exported: callers take the events from here
    CheckpointSaved,
    Estimate,
    Notice,
    PreviewReady,
    StageFinished,
    StageStarted,
    StepProgress,
    TrainOutcome,
    TrainProcess,
    Validation,
    _child_setup,
    train_command,
)

GOALS = ("faithful", "realistic")
PRESETS = ("clean", "phone_jpeg", "old_print")
PRESET_TITLES = {
    "clean": "Clean downscale",
    "phone_jpeg": "Phone JPEG (compression, light noise)",
    "old_print": "Old scanned print (blur, noise and JPEG)",
}
MIN_HELDOUT = 2
MIN_TRAIN = 1
FEW_PHOTOS = 10           # below this many training photos, warn that the model may overfit
MINUTES_SLACK = 3.0       # a minutes budget plans this many times the estimated steps; the clock ends it
CACHE_WARN_BYTES = 3_000_000_000   # the trainer caches decoded photos; warn past this
MIN_HELDOUT_SIDE = 32     # a held-out photo smaller than this cannot be scored fairly
STATE_FILE = "finetune.json"
STATE_VERSION = 1
_NAME_OK = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


# ---------------------------------------------------------------- scanning


@dataclass(frozen=True)
class Photo:
    path: Path
    rel: str             # POSIX path relative to the scanned folder
    width: int
    height: int


@dataclass(frozen=True)
class ScanProgress:
    done: int
    total: int
    path: Path


@dataclass
class FolderScan:
    folder: Path
    usable: list[Photo] = field(default_factory=list)
    bad: list[tuple[Path, str]] = field(default_factory=list)     # skipped, with the reason
    warnings: list[str] = field(default_factory=list)
    min_side: int = 0

    @property
    def ok(self) -> bool:
        return len(self.usable) >= MIN_HELDOUT + MIN_TRAIN

    def check(self) -> None:
        """Raise a one-line StudioError when the folder cannot be used."""
        if not self.ok:
            raise SettingsError(self.problem(), self.folder)

    def problem(self) -> str:
        if self.ok:
            return ""
        need = MIN_HELDOUT + MIN_TRAIN
        if not self.usable and not self.bad:
            return "no images found in this folder"
        if not self.usable:
            return f"none of the {len(self.bad)} images can be used ({self.bad[0][1]})"
        return (f"only {len(self.usable)} usable image(s); fine-tuning needs at least {need} "
                f"({MIN_HELDOUT} are held out to measure the result)")


def _probe_photo(path: Path) -> tuple[int, int]:
    """Fully decode (reduced for JPEG) so truncated files are caught now, not mid-training."""
    from PIL import Image as PILImage

    from .imageio import DEFAULT_MAX_PIXELS, _open

    try:
        if path.stat().st_size == 0:
            raise ImageReadError("file is empty (0 bytes)", path)
    except OSError as exc:
        raise ImageReadError(f"cannot read ({exc.strerror or exc})", path) from None
    im = _open(path, DEFAULT_MAX_PIXELS)   # keeps Pillow's decompression-bomb limit on
    try:
        size = im.size
        if im.format == "JPEG":
            im.draft("RGB", (max(1, size[0] // 8), max(1, size[1] // 8)))
        try:
            im.load()
        except (OSError, SyntaxError, ValueError, PILImage.DecompressionBombError) as exc:
            raise ImageReadError(f"corrupt or truncated image ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})", path) from None
        return size
    finally:
        im.close()


def scan_photos(folder: str | Path, min_side: int = 96, cancel: CancelToken = NEVER
                ) -> Generator[ScanProgress, None, FolderScan]:
    """Yield once per file; return the FolderScan. ``min_side`` is the training patch size."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise SettingsError("photo folder does not exist" if not folder.exists() else "is not a folder", folder)
    found, _notes = find_images(folder, recursive=True)
    scan = FolderScan(folder=folder, min_side=min_side)
    small = 0
    for i, f in enumerate(found):
        cancel.raise_if_cancelled()
        try:
            w, h = _probe_photo(f.path)
        except StudioError as exc:
            reason = str(exc).removeprefix(f"{f.path}: ")
            scan.bad.append((f.path, reason))
        else:
            if min(w, h) < min_side:
                small += 1
                scan.bad.append((f.path, f"too small ({w}x{h}; needs at least {min_side} px on each side)"))
            else:
                scan.usable.append(Photo(f.path, f.rel.as_posix(), w, h))
        yield ScanProgress(i + 1, len(found), f.path)
    if small and small * 2 >= len(found):
        scan.warnings.append(f"{small} of {len(found)} images are smaller than {min_side} px; "
                             "use larger photos or a smaller patch size")
    n_train = len(scan.usable) - len(choose_heldout(scan.usable))
    if scan.ok and n_train < FEW_PHOTOS:
        scan.warnings.append(f"only {n_train} training photo(s): the model may learn them by heart; "
                             f"{FEW_PHOTOS} or more work better")
    cache = sum(p.width * p.height * 3 for p in scan.usable)
    if cache > CACHE_WARN_BYTES:
        scan.warnings.append(f"training keeps every photo decoded in memory (about {cache / 1e9:.1f} GB here); "
                             "use fewer or smaller photos if this machine has less free memory")
    if scan.usable:
        mp = sum(p.width * p.height for p in scan.usable) / len(scan.usable) / 1e6
        if mp < 0.05:
            scan.warnings.append(f"the photos are small (about {mp * 1e6:.0f} pixels on average); "
                                 "fine-tuning learns more from larger photos")
    return scan


def scan_folder(folder: str | Path, min_side: int = 96) -> FolderScan:
    return _drain(scan_photos(folder, min_side))


def choose_heldout(usable: list[Photo], count: int = 0) -> list[Photo]:
    """Deterministic held-out choice: the photos whose path hashes lowest.

    Hashing (rather than "the first k") spreads the choice over subfolders, and
    adding photos to the folder later rarely changes it. About 10%, at least 2,
    at most 8; photos too small to score are never chosen.
    """
    candidates = [p for p in usable if min(p.width, p.height) >= MIN_HELDOUT_SIDE]
    if not count:
        count = min(8, max(MIN_HELDOUT, round(len(usable) * 0.1)))
    count = min(count, max(0, len(usable) - MIN_TRAIN))
    ranked = sorted(candidates, key=lambda p: hashlib.sha256(p.rel.encode("utf-8")).hexdigest())
    return sorted(ranked[:count], key=lambda p: p.rel)


# ---------------------------------------------------------------- base models


TRAIN_EXTRA_HINT = "fine-tuning needs PyTorch: pip install 'srgan-studio[train]'"


def training_missing() -> str:
    """Why fine-tuning cannot run here ('' when it can). Checked without importing torch,
    which would cost seconds at startup."""
    import importlib.util

    return "" if importlib.util.find_spec("torch") is not None else TRAIN_EXTRA_HINT


def read_weights_arch(path: str | Path) -> dict[str, Any]:
    """The architecture stored in a ``.safetensors`` weights file (header only; no torch)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise ValueError("file too short")
            (n,) = struct.unpack("<Q", head)
            if n > 64 << 20:
                raise ValueError("header too large")
            header = json.loads(fh.read(n))
        meta = header.get("__metadata__") or {}
        arch = json.loads(meta["arch"])
    except FileNotFoundError:
        raise SettingsError("weights file is missing", path) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SettingsError(f"not an SRGAN Studio weights file ({exc})", path) from None
    if not isinstance(arch, dict) or "type" not in arch:
        raise SettingsError("weights file names no architecture", path)
    return arch


@dataclass(frozen=True)
class BaseModel:
    name: str
    title: str
    weights: Path       # the .safetensors beside the ONNX file
    onnx: Path
    arch: dict[str, Any]
    scale: int


def fine_tunable_models(registry=None) -> list[BaseModel]:
    """Registry models that have their training weights beside them."""
    from .registry import default_registry

    registry = registry or default_registry()
    out = []
    for d in registry.list():
        if d.kind != "onnx" or d.model_path is None:
            continue
        weights = d.model_path.with_suffix(".safetensors")
        if not weights.is_file():
            continue
        try:
            arch = read_weights_arch(weights)
        except StudioError:
            continue
        out.append(BaseModel(d.name, d.title, weights, d.model_path, arch, d.scale))
    return out


def resolve_base(name: str, registry=None) -> BaseModel:
    """A base model by registry name; ``srresnet`` finds ``srresnet_x4`` when unambiguous."""
    from .registry import default_registry

    registry = registry or default_registry()
    names = registry.names()
    if name not in names:
        close = [n for n in names if n.startswith(f"{name}_x")]
        if len(close) == 1:
            name = close[0]
    d = registry.get(name)  # ModelError naming the known models when unknown
    if d.kind != "onnx" or d.model_path is None:
        raise SettingsError(f"model {name!r} is not a network and cannot be fine-tuned")
    weights = d.model_path.with_suffix(".safetensors")
    if not weights.is_file():
        raise SettingsError(f"model {name!r} has no training weights ({weights.name}) beside it, so it cannot be "
                            "fine-tuned", weights)
    return BaseModel(d.name, d.title, weights, d.model_path, read_weights_arch(weights), d.scale)


# ---------------------------------------------------------------- options and recipes


@dataclass
class FinetuneOptions:
    photos: str
    base: str
    name: str
    goal: str = "faithful"
    preset: str = "clean"
    steps: int = 0              # total steps over all stages; 0: derive from minutes
    minutes: float = 0.0        # total wall-clock budget; 0: steps only
    lr: float = 1e-4            # fine-tuning: half the from-scratch rate keeps what the base knows
    batch_size: int = 8
    patch_size: int = 96
    ema: float = 0.999
    gan_share: float = 0.5      # realistic: the GAN stage's share of the budget
    preview_seconds: float = 60.0   # a checkpoint and a preview this often
    val_every: int = 0          # held-out-crop validation every N steps; 0: about 20 times per stage
    threads: int = 0            # 0: all cores but one
    seed: int = 0
    heldout: int = 0            # number of held-out photos; 0: about 10%, at least 2
    previews: bool = True       # render before/after previews (each needs a short-lived torch process)

    def check(self) -> None:
        def need(cond: bool, msg: str) -> None:
            if not cond:
                raise SettingsError(msg)

        need(bool(_NAME_OK.match(self.name)),
             f"model name {self.name!r} must be lowercase letters, digits, '_', '-' or '.' (at most 64)")
        need(self.goal in GOALS, f"goal must be one of {GOALS}, not {self.goal!r}")
        need(self.preset in PRESETS, f"preset must be one of {PRESETS}, not {self.preset!r}")
        need(self.steps > 0 or self.minutes > 0, "give a budget: steps or minutes")
        need(self.steps >= 0 and self.minutes >= 0, "the budget cannot be negative")
        need(self.lr > 0 and self.lr < 1, f"learning rate must be in (0, 1), not {self.lr}")
        need(1 <= self.batch_size <= 256, f"batch size must be 1..256, not {self.batch_size}")
        need(16 <= self.patch_size <= 512, f"patch size must be 16..512, not {self.patch_size}")
        need(0 <= self.ema < 1, f"EMA must be in [0, 1), not {self.ema}")
        need(0 < self.gan_share < 1, f"GAN share must be in (0, 1), not {self.gan_share}")
        need(self.preview_seconds > 0, "preview interval must be positive")
        need(self.heldout == 0 or self.heldout >= MIN_HELDOUT, f"hold out at least {MIN_HELDOUT} photos")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FinetuneOptions:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def stage_names(goal: str) -> list[str]:
    return ["psnr", "gan"] if goal == "realistic" else ["psnr"]


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)   # a JSON string is a valid TOML basic string
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {v!r} to TOML")


def recipe_toml(sections: dict[str, dict[str, Any]], comment: str = "") -> str:
    lines = [f"# {line}" for line in comment.splitlines()]
    for sec, values in sections.items():
        lines.append(f"[{sec}]")
        lines.extend(f"{k} = {_toml(v)}" for k, v in values.items())
        lines.append("")
    return "\n".join(lines)


def default_threads() -> int:
    """All cores but one: the app (and its previews) stay responsive.

    Measured here on a busy 2-core machine: one thread ran a fine-tuning step
    4x faster than two fighting the other processes for the cores.
    """
    return max(1, (os.cpu_count() or 2) - 1)


def effective_ema(decay: float, steps: int) -> float:
    """Cap the EMA decay so its horizon, 1 / (1 - decay), is at most a tenth of the run.

    A fine-tune of a few dozen steps with decay 0.999 would export weights that
    moved 4% of the way from the base: all the training, none of the result.
    """
    if decay <= 0:
        return 0.0
    return round(min(decay, max(0.0, 1.0 - 10.0 / max(1, steps))), 6)


def build_recipe(opts: FinetuneOptions, stage: str, *, arch: dict[str, Any], init: str, train_dir: str,
                 val_dirs: list[str], steps: int, checkpoint_minutes: float, val_every: int,
                 log_every: int = 1) -> dict[str, dict[str, Any]]:
    """The strict training recipe for one stage (see training/recipe.py for the schema)."""
    model = {"type": arch["type"], **arch.get("options", {})}
    timed = bool(opts.minutes and not opts.steps)
    expected = int(steps / MINUTES_SLACK) if timed else int(steps)
    train: dict[str, Any] = {
        "stage": stage,
        "steps": int(steps),
        "lr": float(opts.lr),
        # A cosine over planned steps the clock may cut short would stop mid-decay.
        "schedule": "constant" if timed else "cosine",
        "min_lr": float(opts.lr) * 0.1,
        # Adam starts with no moment estimates: its first updates are full-size in
        # every direction, which is noise for weights that already work.
        "warmup_steps": min(100, expected // 10),
        "ema": effective_ema(opts.ema, expected),
        "pixel_loss": "l1",
        "init": init,
        "checkpoint_minutes": float(checkpoint_minutes),
        "checkpoint_keep": 2,
        "val_every": int(val_every),
        "log_every": int(log_every),
        "threads": int(opts.threads) or default_threads(),
    }
    recipe = {
        "experiment": {"name": f"finetune-{opts.name}-{stage}", "seed": int(opts.seed),
                       "description": f"fine-tune {opts.base} on {opts.photos} ({opts.goal}, {opts.preset})"},
        "model": model,
        "data": {"train": train_dir, "val": list(val_dirs), "patch_size": int(opts.patch_size),
                 "batch_size": int(opts.batch_size), "degradation": opts.preset},
        "train": train,
    }
    if stage == "gan":
        # Fine-tuning GANs collapses colours without a pixel anchor (Real-ESRGAN #148, #745);
        # ESRGAN's L1 weight keeps it; feature matching needs no downloaded VGG weights.
        recipe["gan"] = {"adversarial": "bce", "adv_weight": 1e-3, "pixel_weight": 1e-2,
                         "content_loss": "feature_match", "content_weight": 1.0, "d_lr": float(opts.lr)}
        train["schedule"] = "constant"
    return recipe


def _drain(gen: Generator):
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


# ---------------------------------------------------------------- runs


def finetune_root() -> Path:
    from .settings import data_dir

    return data_dir() / "finetune"


def list_runs() -> list[dict[str, Any]]:
    """Runs in the fine-tune folder with their status, newest first (for "resume a run")."""
    root = finetune_root()
    runs = []
    if root.is_dir():
        for d in root.iterdir():
            st = d / STATE_FILE
            if st.is_file():
                try:
                    data = json.loads(st.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                runs.append({"name": d.name, "status": data.get("status", "?"), "dir": d,
                             "updated": data.get("updated", 0), "goal": data.get("options", {}).get("goal"),
                             "base": data.get("options", {}).get("base")})
    return sorted(runs, key=lambda r: r["updated"], reverse=True)


def _link(src: Path, dest: Path) -> None:
    """Point ``dest`` at ``src`` without copying when the OS allows it."""
    try:
        os.symlink(src, dest)
        return
    except (OSError, NotImplementedError):
        pass
    try:
        os.link(src, dest)
        return
    except OSError:
        pass
    shutil.copyfile(src, dest)   # last resort (Windows without symlink rights, another drive)


def _link_name(photo: Photo) -> str:
    # Flattened but unique: subfolders become part of the name.
    return photo.rel.replace("/", "__")


class FinetuneRun:
    """A fine-tuning run folder and the state in its ``finetune.json``."""

    def __init__(self, run_dir: Path, state: dict[str, Any]):
        self.dir = Path(run_dir)
        self.state = state
        self.options = FinetuneOptions.from_dict(state["options"])
        self._lock = threading.Lock()
        self._proc: TrainProcess | None = None
        self._cancel = threading.Event()
        self._pause_requested = False
        self._resume_event = threading.Event()
        # SIGSTOP freezes the trainer where it is; elsewhere (Windows) pausing
        # stops it at a checkpoint and resuming restarts it from there.
        self.pause_mode = "signal" if hasattr(signal, "SIGSTOP") else "restart"

    # ---- creation and loading -------------------------------------------
    @classmethod
    def create(cls, options: FinetuneOptions, scan: FolderScan | None = None, *, base: BaseModel | None = None,
               registry=None, replace: bool = False) -> FinetuneRun:
        options.check()
        if registry is None:
            from .registry import default_registry

            registry = default_registry()
        if options.name in registry:
            raise SettingsError(f"a model named {options.name!r} already exists; choose another name")
        base = base or resolve_base(options.base, registry)
        options.base = base.name
        scale = base.scale
        if options.patch_size % scale:
            raise SettingsError(f"patch size {options.patch_size} must be a multiple of the model's scale ({scale})")
        if scan is None or scan.min_side != options.patch_size:
            scan = scan_folder(options.photos, options.patch_size)
        scan.check()
        run_dir = finetune_root() / options.name
        if (run_dir / STATE_FILE).exists():
            if not replace:
                raise SettingsError(f"a fine-tuning run named {options.name!r} exists already; resume it or "
                                    "choose another name", run_dir)
            shutil.rmtree(run_dir)
        heldout = choose_heldout(scan.usable, options.heldout)
        held = {p.rel for p in heldout}
        train = [p for p in scan.usable if p.rel not in held]
        run_dir.mkdir(parents=True, exist_ok=True)
        for sub, photos in (("train", train), ("heldout", heldout)):
            (run_dir / sub).mkdir(exist_ok=True)
            for p in photos:
                _link(p.path.resolve(), run_dir / sub / _link_name(p))
        options.photos = str(Path(options.photos).expanduser().resolve())
        state = {
            "version": STATE_VERSION,
            "status": "created",
            "options": asdict(options),
            "base": {"name": base.name, "title": base.title, "weights": str(base.weights), "onnx": str(base.onnx),
                     "arch": base.arch, "scale": scale},
            "photos": {"train": [p.rel for p in train], "heldout": [p.rel for p in heldout],
                       "skipped": [[str(p), r] for p, r in scan.bad]},
            "stages": [{"name": s, "steps": 0, "step": 0, "seconds": 0.0, "done": False}
                       for s in stage_names(options.goal)],
            "seconds_per_step": {},
            "created": time.time(),
        }
        run = cls(run_dir, state)
        run._make_preview_crops(heldout)
        run.save()
        return run

    @classmethod
    def open(cls, name_or_dir: str | Path) -> FinetuneRun:
        p = Path(name_or_dir)
        run_dir = p if (p / STATE_FILE).is_file() else finetune_root() / str(name_or_dir)
        st = run_dir / STATE_FILE
        try:
            state = json.loads(st.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError("no fine-tuning run here", run_dir) from None
        except (OSError, ValueError) as exc:
            raise SettingsError(f"fine-tuning state is unreadable ({exc})", st) from None
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION or "options" not in state:
            raise SettingsError("fine-tuning state has an unknown format", st)
        return cls(run_dir, state)

    def save(self) -> None:
        self.state["updated"] = time.time()
        atomic_write_bytes(self.dir / STATE_FILE, (json.dumps(self.state, indent=1) + "\n").encode("utf-8"))

    # ---- properties ---------------------------------------------------------
    @property
    def name(self) -> str:
        return self.options.name

    @property
    def status(self) -> str:
        return self.state["status"]

    @property
    def scale(self) -> int:
        return int(self.state["base"]["scale"])

    @property
    def stages(self) -> list[dict[str, Any]]:
        return self.state["stages"]

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

    def final_weights(self) -> Path | None:
        for st in reversed(self.stages):
            w = self.stage_dir(st["name"]) / "generator.safetensors"
            if w.is_file():
                return w
        return None

    def can_resume(self) -> bool:
        return self.status in ("created", "estimated", "training", "paused", "cancelled", "failed") \
            and not all(s["done"] for s in self.stages)

    # ---- held-out crops ------------------------------------------------------
    def _make_preview_crops(self, heldout: list[Photo], side: int = 128) -> None:
        """Centre crops of the held-out photos: the trainer validates on them, the preview shows the first."""
        from PIL import Image as PILImage

        from .imageio import read_image, to_8bit

        out = self.preview_dir / "crops"
        out.mkdir(parents=True, exist_ok=True)
        s = self.scale
        for i, p in enumerate(heldout):
            img = read_image(p.path)
            color = to_8bit(img.color)
            if color.shape[2] == 1:
                color = color.repeat(3, axis=2)
            h, w = color.shape[:2]
            c = min(side, h, w)
            c -= c % s
            y, x = (h - c) // 2, (w - c) // 2
            crop = color[y:y + c, x:x + c]
            PILImage.fromarray(crop).save(out / f"{i:02d}.png")

    # ---- budget -----------------------------------------------------------
    def plan_steps(self, seconds_per_step: dict[str, float] | None = None) -> dict[str, int]:
        """Steps per stage from the budget (minutes need a step-time estimate)."""
        o = self.options
        names = [s["name"] for s in self.stages]
        share = {"psnr": 1.0} if len(names) == 1 else {"psnr": 1 - o.gan_share, "gan": o.gan_share}
        if o.steps:
            out = {n: max(1, round(o.steps * share[n])) for n in names}
            out[names[-1]] = max(1, o.steps - sum(out[n] for n in names[:-1]))
            return out
        sps = seconds_per_step or self.state.get("seconds_per_step") or {}
        if not all(n in sps for n in names):
            raise SettingsError("a minutes budget needs a step-time estimate first")
        # The estimate is only a guess on a busy machine, so the time cap ends the
        # stage, not the step count: plan up to three times the estimated steps.
        return {n: max(1, int(MINUTES_SLACK * o.minutes * 60 * share[n] / max(sps[n], 1e-6))) for n in names}

    def stage_minutes(self, stage: str) -> float:
        """Wall-clock cap for a stage (0 = none), minus what it already used."""
        o = self.options
        if not o.minutes:
            return 0.0
        share = 1.0 if len(self.stages) == 1 else (o.gan_share if stage == "gan" else 1 - o.gan_share)
        used = next(s["seconds"] for s in self.stages if s["name"] == stage)
        return max(0.05, o.minutes * share - used / 60)

    # ---- dry run --------------------------------------------------------------
    def estimate(self, cancel: CancelToken = NEVER, steps: int = 4) -> Generator[Notice, None, Estimate]:
        """Time a few real steps of each stage (the first, with its warm-up, is not counted)."""
        sps: dict[str, float] = {}
        for st in self.stages:
            stage = st["name"]
            yield Notice(f"measuring the {stage.upper()} step time")
            out = self.dir / f"dryrun-{stage}"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            recipe = build_recipe(self.options, stage, arch=self.state["base"]["arch"],
                                  init=self.state["base"]["weights"], train_dir=str(self.train_dir), val_dirs=[],
                                  steps=steps + 1, checkpoint_minutes=1e4, val_every=0)
            recipe["train"]["checkpoint_keep"] = 1
            path = out / "recipe-src.toml"
            path.write_text(recipe_toml(recipe), encoding="utf-8")
            argv = [*train_command(), "train", str(path), "--out", str(out), "--progress", "json"]
            times: list[float] = []
            proc = TrainProcess(argv, out / "stderr.log")
            self._proc = proc
            last_error = ""
            try:
                for rec in proc.records():
                    if self._cancel.is_set() or cancel.cancelled:
                        proc.kill()
                        break
                    if rec.get("event") == "step":
                        times.append(float(rec["time"]))
                    elif rec.get("event") == "error":
                        last_error = str(rec.get("error", ""))
                code = proc.wait()
            finally:
                self._proc = None
                proc.kill()
            if self._cancel.is_set() or cancel.cancelled:
                shutil.rmtree(out, ignore_errors=True)
                raise Cancelled()
            if code != 0 or len(times) < 2:
                raise StudioError(f"the dry run failed: {proc.failure(code, last_error)} "
                                  f"(log: {out / 'stderr.log'})")
            diffs = sorted(b - a for a, b in itertools.pairwise(times))
            sps[stage] = max(1e-4, diffs[len(diffs) // 2])
            shutil.rmtree(out, ignore_errors=True)
        self.state["seconds_per_step"] = sps
        if self.status == "created":
            self.state["status"] = "estimated"
        self.save()
        budget = self.plan_steps(sps) if self.options.minutes and not self.options.steps else {}
        return Estimate(sps, budget)

    # ---- control (any thread) -------------------------------------------------
    def pause(self) -> None:
        with self._lock:
            self._pause_requested = True
            self._resume_event.clear()
            proc = self._proc
            if proc is None:
                return
            if self.pause_mode == "signal":
                proc.suspend()
            else:
                proc.stop()

    def resume(self) -> None:
        with self._lock:
            self._pause_requested = False
            proc = self._proc
            if proc is not None and self.pause_mode == "signal":
                proc.cont()
            self._resume_event.set()

    @property
    def paused(self) -> bool:
        return self._pause_requested

    def cancel(self) -> None:
        """Stop training; the trainer writes a checkpoint first, so the run can be resumed later."""
        with self._lock:
            self._cancel.set()
            self._resume_event.set()
            proc = self._proc
        if proc is not None:
            proc.stop()

    # ---- training ------------------------------------------------------------
    def train(self, cancel: CancelToken = NEVER) -> Generator[Any, None, TrainOutcome]:
        """Run (or resume) every unfinished stage in a subprocess and yield its events.

        Raises Cancelled after ``cancel()`` (the last checkpoint is kept) and a
        one-line StudioError when the training process fails or dies.
        """
        if all(s["done"] for s in self.stages) and self.final_weights():
            return TrainOutcome("trained", self.final_weights(), sum(s["step"] for s in self.stages))
        self._cancel.clear()
        if self.options.minutes and not self.options.steps and not self.state.get("seconds_per_step"):
            yield from self.estimate(cancel)
        planned = self.plan_steps()
        for st in self.stages:
            if not st["steps"]:
                st["steps"] = planned[st["name"]]
        total_steps = sum(s["steps"] for s in self.stages)
        for index, st in enumerate(self.stages):
            if st["done"]:
                continue
            yield from self._run_stage(index, total_steps, cancel)
        self.state["status"] = "trained"
        self.save()
        weights = self.final_weights()
        assert weights is not None
        return TrainOutcome("trained", weights, sum(s["step"] for s in self.stages))

    def _stage_recipe(self, index: int) -> Path:
        st = self.stages[index]
        stage = st["name"]
        if index == 0:
            init = self.state["base"]["weights"]
        else:
            init = str(self.stage_dir(self.stages[index - 1]["name"]) / "generator.safetensors")
        val_every = self.options.val_every or max(1, st["steps"] // 20)
        recipe = build_recipe(self.options, stage, arch=self.state["base"]["arch"], init=init,
                              train_dir=str(self.train_dir), val_dirs=[str(self.preview_dir / "crops")],
                              steps=st["steps"], checkpoint_minutes=self.options.preview_seconds / 60,
                              val_every=val_every)
        path = self.dir / f"recipe-{stage}.toml"
        comment = (f"Fine-tuning stage {index + 1}/{len(self.stages)} ({stage}) written by SRGAN Studio.\n"
                   f"Base model: {self.options.base}; photos: {self.options.photos}.")
        path.write_text(recipe_toml(recipe, comment), encoding="utf-8")
        return path

    def _run_stage(self, index: int, total_steps: int, cancel: CancelToken) -> Generator[Any, None, None]:
        st = self.stages[index]
        stage = st["name"]
        out = self.stage_dir(stage)
        out.mkdir(exist_ok=True)
        recipe = self._stage_recipe(index)
        done_before = sum(s["steps"] for s in self.stages[:index])
        previewer = _Previewer(self)
        outside_stops = 0
        while True:
            resuming = any(out.glob("checkpoints/ckpt_*.json"))
            # The run's state decides the steps, also over the recipe saved in a resumed run folder.
            argv = [*train_command(), "train", str(recipe), "--out", str(out), "--progress", "json",
                    "--set", f"train.steps={st['steps']}"]
            if resuming:
                argv.append("--resume")
            minutes = self.stage_minutes(stage)
            if minutes:
                argv += ["--minutes", f"{minutes:.4f}"]
            self.state["status"] = "training"
            self.save()
            proc = TrainProcess(argv, out / "stderr.log")
            with self._lock:
                self._proc = proc
                if self._cancel.is_set():
                    proc.stop()
            ended: dict[str, Any] | None = None
            last_error = ""
            started = time.monotonic()
            budget_s = self.options.minutes * 60 if self.options.minutes and not self.options.steps else 0.0
            used_before = sum(s["seconds"] for s in self.stages)
            try:
                for rec in proc.records():
                    if cancel.cancelled and not self._cancel.is_set():
                        self.cancel()
                    ev = rec.get("event")
                    if ev == "start":
                        yield StageStarted(stage, index, len(self.stages), int(rec.get("steps", st["steps"])),
                                           int(rec.get("step", 0)))
                    elif ev == "step":
                        step = int(rec["step"])
                        its = float(rec.get("it_per_s") or 0)
                        if budget_s:   # the clock decides: time-based progress and ETA
                            used = used_before + time.monotonic() - started
                            fraction = min(1.0, used / budget_s)
                            eta: float | None = max(0.0, budget_s - used)
                            if its > 0:
                                eta = min(eta, (total_steps - done_before - step) / its)
                        else:
                            fraction = (done_before + step) / max(1, total_steps)
                            eta = (total_steps - done_before - step) / its if its > 0 else None
                        yield StepProgress(stage, step, int(rec.get("steps", st["steps"])),
                                           dict(rec.get("losses", {})), float(rec.get("lr", 0.0)), its, eta,
                                           fraction)
                    elif ev == "val":
                        metrics = rec.get("metrics") or {}
                        m = next(iter(metrics.values()), None)
                        if m:
                            yield Validation(stage, int(rec["step"]), float(m["psnr_y"]), float(m["ssim_y"]))
                    elif ev == "checkpoint":
                        step = int(rec.get("step", 0))
                        st["step"] = step
                        self.save()
                        yield CheckpointSaved(stage, step, str(rec.get("path", "")))
                        if step < st["steps"] and not self._cancel.is_set():
                            previewer.request(stage, step, Path(rec.get("path", "")))
                    elif ev == "skipped":
                        yield Notice(f"skipped {rec.get('file')}: {rec.get('reason')}")
                    elif ev == "note":
                        yield Notice(str(rec.get("message", "")))
                    elif ev == "error":
                        last_error = str(rec.get("error", ""))
                    elif ev == "end":
                        ended = rec
                    yield from previewer.ready()
                code = proc.wait()
                yield from previewer.ready(wait=True)
            finally:
                with self._lock:
                    self._proc = None
                if proc.alive():
                    proc.stop()
                    try:
                        proc.proc.wait(30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
            st["seconds"] += time.monotonic() - started
            if ended is not None:
                st["step"] = int(ended.get("step", st["step"]))
            if code != 0 or ended is None:
                if self._cancel.is_set():
                    self.state["status"] = "cancelled"
                    self.save()
                    raise Cancelled()
                self.state["status"] = "failed"
                reason = proc.failure(code, last_error)
                self.state["error"] = reason
                self.save()
                kept = f"; the last checkpoint (step {st['step']}) is kept, resume to continue" if resuming or st["step"] else ""
                raise StudioError(f"training failed in the {stage.upper()} stage: {reason}{kept} "
                                  f"(log: {out / 'stderr.log'})")
            stopped = ended.get("status") == "stopped"
            if stopped and (self._cancel.is_set() or cancel.cancelled):
                self.state["status"] = "cancelled"
                self.save()
                raise Cancelled()
            if stopped:
                # Stopped without a cancel: a restart-style pause (even one already
                # resumed while the trainer was saving) or a SIGTERM from outside.
                # Either way the checkpoint is fresh: go round again with --resume.
                if self._pause_requested:
                    self.state["status"] = "paused"
                    self.save()
                    while not self._resume_event.wait(0.2):
                        if cancel.cancelled:
                            self.cancel()
                    if self._cancel.is_set():
                        self.state["status"] = "cancelled"
                        self.save()
                        raise Cancelled()
                    outside_stops = 0
                else:
                    outside_stops += 1
                    if outside_stops > 3:
                        self.state["status"] = "failed"
                        self.save()
                        raise StudioError(f"the training process keeps being stopped from outside (step {st['step']}); "
                                          "resume the run to continue")
                continue
            st["done"] = True
            self.save()
            yield StageFinished(stage, st["step"], str(ended.get("status", "done")), round(st["seconds"], 1))
            if st["step"]:
                previewer.request(stage, st["step"], out / "generator.safetensors")
                yield from previewer.ready(wait=True)
            return

    # ---- previews ---------------------------------------------------------------
    def _preview_files(self) -> dict[str, Path]:
        d = self.preview_dir
        return {"hr": d / "crops" / "00.png", "lr": d / "lr.png", "bicubic": d / "bicubic.png",
                "base": d / "base.png"}

    def _preview_cmd(self, weights: Path, out: Path) -> list[str]:
        files = self._preview_files()
        return [sys.executable, "-m", "srgan_studio.training.preview", str(weights), str(files["hr"]), str(out),
                "--preset", self.options.preset, "--lr-out", str(files["lr"]), "--bicubic-out", str(files["bicubic"])]

    def _run_preview(self, weights: Path, out: Path) -> bool:
        try:
            res = subprocess.run(self._preview_cmd(weights, out), check=False, stdin=subprocess.DEVNULL, capture_output=True,
                                 text=True, timeout=300, preexec_fn=_child_setup if os.name == "posix" else None)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return res.returncode == 0 and out.is_file()

    def _base_preview_safe(self) -> Path | None:
        """The base model's output on the preview crop, rendered once ("before")."""
        files = self._preview_files()
        if not files["hr"].is_file():
            return None
        if not files["base"].is_file() and not self._run_preview(Path(self.state["base"]["weights"]), files["base"]):
            return None
        return files["base"]

    def _render_preview(self, stage: str, step: int, weights: Path, base: Path) -> PreviewReady | None:
        files = self._preview_files()
        # A new name per preview: the GUI may still be reading the previous one.
        out = self.preview_dir / f"current-{stage}-{step:07d}.png"
        if not self._run_preview(weights, out):
            return None
        keep = {out, getattr(self, "_last_preview", out)}
        for old in self.preview_dir.glob("current-*.png"):
            if old not in keep:
                with contextlib.suppress(OSError):
                    old.unlink()
        self._last_preview = out
        return PreviewReady(stage, step, files["lr"], files["bicubic"], base, out, files["hr"])


class _Previewer:
    """Renders previews in a background thread so the progress events keep flowing.

    One render at a time; a checkpoint that arrives while one is running is
    skipped (the next one will show newer weights anyway).
    """

    def __init__(self, run: FinetuneRun):
        self.run = run
        self.thread: threading.Thread | None = None
        self.results: collections.deque[PreviewReady] = collections.deque()

    def request(self, stage: str, step: int, weights: Path) -> bool:
        if not self.run.options.previews or (self.thread is not None and self.thread.is_alive()):
            return False

        def work() -> None:
            base = self.run._base_preview_safe()
            if base is not None:
                pv = self.run._render_preview(stage, step, weights, base)
                if pv is not None:
                    self.results.append(pv)

        self.thread = threading.Thread(target=work, daemon=True, name="finetune-preview")
        self.thread.start()
        return True

    def ready(self, wait: bool = False) -> Generator[PreviewReady, None, None]:
        if wait and self.thread is not None:
            self.thread.join(300)
        while self.results:
            yield self.results.popleft()
