"""The trainer: stage 1 (PSNR pretraining) and stage 2 (GAN), resumable bit for bit.

A run folder holds ``recipe.toml`` (the resolved recipe), ``checkpoints/``,
``progress.jsonl`` (one JSON object per log line: step, losses, lr, it/s, ETA,
validation metrics) and, at the end, ``generator.safetensors``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn

from ..core import train_records as rec
from . import distributed
from .archs import build_model
from .best import BestKeeper
from .checkpoint import CheckpointError, list_checkpoints, load_checkpoint, load_weights, save_checkpoint, save_weights
from .data import PatchDataset, prefetch
from .device import DeviceError, choose_device
from .losses import pixel_loss
from .recipe import Recipe, RecipeError, degradation_config, load_recipe
from .run_clock import RunClock
from .schedule import EMA, lr_at
from .threads import ThreadTuner
from .validation import (
    ValidationDataError,
    evaluate_model,
    load_val_set,
    run_model,  # noqa: F401 - run_model: the name callers know
)


class TrainingError(RuntimeError):
    """Training cannot go on (bad data, non-finite loss, ...); message is one line."""


def arch_of(recipe: Recipe) -> dict[str, Any]:
    return {"type": recipe.model.type, "options": dict(recipe.model.options)}


def build_generator(arch: dict[str, Any]) -> nn.Module:
    try:
        return build_model(arch["type"], **arch.get("options", {}))
    except TypeError as exc:
        raise RecipeError(f"model options do not fit architecture {arch['type']!r}: {exc}") from None


class Trainer:
    def __init__(
        self,
        recipe: Recipe,
        run_dir: Path,
        *,
        emit: Callable[[dict[str, Any]], None] | None = None,
        minutes: float = 0.0,
        progress_file: bool = True,
    ):
        self.recipe = recipe
        self.run_dir = Path(run_dir)
        self.emit = emit or (lambda record: None)
        self.minutes = minutes
        self.progress_file = progress_file
        self.stop_requested = False
        t = recipe.train
        self.dist = distributed.init_from_env()
        if t.threads > 0:
            torch.set_num_threads(t.threads)
        self.threads = max(1, os.cpu_count() or 1) if t.threads < 0 else torch.get_num_threads()
        self.tuner = ThreadTuner(self.threads) if t.threads < 0 else None
        self.give_core_back = False  # SIGUSR1: the app is rendering; SIGUSR2: it is done
        try:
            self.device = choose_device(t.device, t.precision, self.dist)
        except DeviceError as exc:
            raise TrainingError(str(exc)) from None
        torch.manual_seed(recipe.experiment.seed)
        self.arch = arch_of(recipe)
        self.scale = int(recipe.model.options.get("scale", 4))
        self.generator = build_generator(self.arch)
        if t.init:
            state, init_arch, _ = load_weights(t.init)
            if init_arch != self.arch:
                raise TrainingError(f"{t.init}: weights are for {init_arch}, the recipe asks for {self.arch}")
            self.generator.load_state_dict(state)
        self.precision = self.device.precision
        self.scaler = self.device.grad_scaler()
        self.memory_format = torch.channels_last if t.channels_last else torch.contiguous_format
        self.generator.to(self.device.torch_device, memory_format=self.memory_format).train()
        # The module that runs training steps: DDP around the generator under torchrun.
        self.g_train = distributed.wrap(self.generator, self.dist)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=t.lr, betas=tuple(t.betas))
        self.ema = EMA(self.generator, t.ema) if t.ema > 0 else None
        self.gan = None
        if t.stage == "gan":
            from .gan import GanStage

            self.gan = GanStage(recipe, self.g_train, self.memory_format, dist_info=self.dist, scaler=self.scaler)
            self.gan.to(self.device.torch_device)
        self.best = BestKeeper(self.run_dir, self.arch) if t.keep_best else None
        self.step = 0

    # --- state -------------------------------------------------------------
    def modules(self) -> dict[str, nn.Module]:
        mods = {"g": self.generator}
        if self.ema:
            mods["ema"] = self.ema.model
        if self.gan:
            mods.update(self.gan.modules())
        return mods

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        opts = {"g": self.opt_g}
        if self.gan:
            opts.update(self.gan.optimizers())
        return opts

    def scalers(self) -> dict[str, torch.amp.GradScaler]:
        """fp16's loss scaler: one for G's and D's losses (training/gan.py), so one entry."""
        return {"amp": self.scaler} if self.scaler is not None else {}

    @property
    def ckpt_dir(self) -> Path:
        return self.run_dir / "checkpoints"

    def save(self) -> Path:
        return save_checkpoint(
            self.ckpt_dir,
            self.step,
            self.modules(),
            self.optimizers(),
            self.arch,
            {"recipe_name": self.recipe.experiment.name, "scale": self.scale},
            keep=self.recipe.train.checkpoint_keep,
            scalers=self.scalers(),
        )

    def resume(self) -> bool:
        ckpts = list_checkpoints(self.ckpt_dir)
        if not ckpts:
            return False
        info = load_checkpoint(ckpts[-1], self.modules(), self.optimizers(), self.scalers())
        if info["arch"] != self.arch:
            raise CheckpointError(f"{ckpts[-1]}: checkpoint is for {info['arch']}, the recipe asks for {self.arch}")
        self.step = int(info["step"])
        missing = [name for name in self.scalers() if not info.get("scalers", {}).get(name)]
        if missing:
            self._log(rec.NoteRecord(f"{ckpts[-1]}: no fp16 loss scale saved (an older checkpoint); it starts afresh"))
        return True

    def export_weights(self) -> Path:
        model = self.ema.model if self.ema else self.generator
        if self.best is not None and self.best.known:
            state = self.best.weights()  # the best validated weights, never worse than the initial ones
        else:
            state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
        out = self.run_dir / "generator.safetensors"
        save_weights(
            out,
            state,
            self.arch,
            {"step": self.step, "recipe": self.recipe.experiment.name, "stage": self.recipe.train.stage},
        )
        return out

    # --- loop --------------------------------------------------------------
    def _log(self, record: rec.TrainRecord) -> None:
        """Write one typed record (core/train_records.py: the app parses the same types)."""
        if not self.dist.is_main:
            return
        record = {"time": round(time.time(), 3), **rec.to_dict(record)}
        if self.progress_file:
            with open(self.run_dir / "progress.jsonl", "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
        self.emit(record)

    def validate(self, pairs_by_set: dict[str, list]) -> dict[str, dict[str, float]]:
        model = self.ema.model if self.ema else self.generator
        return {
            name: evaluate_model(model, pairs, self.scale, self.recipe.train.channels_last)
            for name, pairs in pairs_by_set.items()
        }

    def _validate_and_log(self, val_sets: dict[str, list]) -> None:
        metrics = self.validate(val_sets)
        best = False
        if self.best is not None:
            score = float(np.mean([m["psnr_y"] for m in metrics.values()]))
            best = self.best.offer(self.step, score, self.ema.model if self.ema else self.generator)
        self._log(rec.ValRecord(self.step, metrics, best))
        self._validated_at = self.step

    def _follow_core_requests(self, step: int) -> None:
        """The measured fastest thread count (train.threads = -1), one core fewer while the app renders
        (SIGUSR1 until SIGUSR2)."""
        wanted = self.tuner.threads_for(step) if self.tuner is not None else self.threads
        if self.give_core_back:
            wanted = min(wanted, max(1, self.threads - 1))
        if torch.get_num_threads() != wanted:
            torch.set_num_threads(wanted)

    def _handle_signals(self) -> dict:
        def on_signal(signum, frame):  # noqa: ARG001
            self.stop_requested = True

        def on_core(signum, frame):  # noqa: ARG001
            self.give_core_back = signum == getattr(signal, "SIGUSR1", None)

        previous = {}
        handlers = [(signal.SIGINT, on_signal), (signal.SIGTERM, on_signal)]
        handlers += [(getattr(signal, name), on_core) for name in ("SIGUSR1", "SIGUSR2") if hasattr(signal, name)]
        for sig, handler in handlers:
            try:
                previous[sig] = signal.signal(sig, handler)
            except ValueError:  # not the main thread (e.g. tests): rely on stop_requested
                pass
        return previous

    def train(self, dataset: PatchDataset | None = None, val_sets: dict[str, list] | None = None) -> dict[str, Any]:
        # Handlers are restored afterwards so an embedding process (GUI, tests) keeps its own.
        previous: dict = {}
        # The budget counts running time only: a Ctrl-Z or SIGSTOP does not eat it (training/run_clock.py).
        self.clock = RunClock()
        try:
            return self._train(dataset, val_sets, previous)
        finally:
            self.clock.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _train(self, dataset: PatchDataset | None, val_sets: dict[str, list] | None, previous: dict) -> dict[str, Any]:
        r, t = self.recipe, self.recipe.train
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if dataset is None:
            dataset = PatchDataset(
                r.data.train, r.data.patch_size, self.scale, degradation_config(r), detail=r.data.detail_sampling
            )
        for path, reason in getattr(dataset, "skipped", []):
            self._log(rec.SkippedRecord(str(path), reason))
        if val_sets is None:
            val_sets = {}
            for folder in r.data.val:
                # Validation sees the training degradation (seed 0): for a restore model, the task it learns;
                # a folder of hr/ and lr/ pairs (a fine-tune's held-out photos) is scored as given.
                try:
                    pairs = load_val_set(Path(folder), self.scale, degradation_config(r), seed=0)
                except ValidationDataError as exc:
                    raise TrainingError(str(exc)) from None
                if r.data.val_max_images:
                    pairs = pairs[: r.data.val_max_images]
                val_sets[Path(folder).name] = pairs
        previous.update(self._handle_signals())
        clock = self.clock.start()
        start_step = self.step
        last_ckpt = 0.0
        deadline = self.minutes * 60 if self.minutes else math.inf
        window_t, window_n = 0.0, 0
        result: dict[str, Any] = {"status": "done"}
        self._log(
            rec.StartRecord(
                self.step,
                t.steps,
                len(dataset),
                self.device.device,
                self.precision,
                torch.get_num_threads(),
                self.dist.world_size,
            )
        )
        self._validated_at = -1
        if self.best is not None and not self.best.known and val_sets and self.dist.is_main:
            self._validate_and_log(val_sets)  # the initial weights are the first "best"
        for step, lr_np, hr_np in prefetch(
            dataset, r.experiment.seed, self.step, t.steps, r.data.batch_size, stream=self.dist.rank
        ):
            lr_now = lr_at(r, step)
            for group in self.opt_g.param_groups:
                group["lr"] = lr_now
            self._follow_core_requests(step)
            lr_t = self.device.tensor(lr_np, self.memory_format)
            hr_t = self.device.tensor(hr_np, self.memory_format)
            if self.gan:
                with self.autocast():
                    losses = self.gan.step(lr_t, hr_t, self.opt_g, lr_now, step)
            else:
                losses = self._psnr_step(lr_t, hr_t)
            if distributed.any_rank(not all(math.isfinite(v) for v in losses.values()), self.dist):
                self._log(rec.ErrorRecord(f"non-finite loss {losses}; last good checkpoint kept", step))
                raise TrainingError(f"non-finite loss at step {step} ({losses}); the last good checkpoint is kept")
            if self.ema:
                self.ema.update(self.generator)
            if self.tuner is not None:
                self.tuner.step_done(step)
            self.step = step + 1
            window_n += 1
            now = clock.elapsed()
            if self.step % t.log_every == 0 or self.step == t.steps:
                its = window_n / max(now - window_t, 1e-9)
                window_t, window_n = now, 0
                eta = (t.steps - self.step) / its if its > 0 else None
                self._log(
                    rec.StepRecord(
                        self.step,
                        t.steps,
                        lr_now,
                        {k: round(v, 6) for k, v in losses.items()},
                        round(its, 4),
                        round(eta, 1) if eta else None,
                        torch.get_num_threads(),
                    )
                )
            if (
                val_sets
                and t.val_every
                and self.dist.is_main
                and (self.step % t.val_every == 0 or self.step == t.steps)
            ):
                self._validate_and_log(val_sets)
            if self.dist.is_main and now - last_ckpt >= t.checkpoint_minutes * 60:
                self._log(rec.CheckpointRecord(self.step, str(self.save())))
                last_ckpt = clock.elapsed()
            if distributed.any_rank(self.stop_requested or now >= deadline, self.dist):
                result = {"status": "stopped" if self.stop_requested else "time budget reached"}
                break
        if self.dist.is_main:
            if self.best is not None and val_sets and self._validated_at != self.step:
                self._validate_and_log(val_sets)  # the last weights get their chance too
            path, weights = self.save(), self.export_weights()
            self._log(rec.CheckpointRecord(self.step, str(path)))
        else:
            path, weights = "", ""
        distributed.barrier(self.dist)
        result.update(
            {
                "step": self.step,
                "checkpoint": str(path),
                "weights": str(weights),
                "seconds": round(clock.elapsed(), 1),  # running time, stops left out
                "steps_run": self.step - start_step,
                **(self.best.summary() if self.best is not None else {}),
            }
        )
        self._log(rec.EndRecord(**result))
        return result

    def autocast(self) -> contextlib.AbstractContextManager:
        """Mixed-precision forward passes with fp32 master weights and optimiser state (training/device.py)."""
        return self.device.autocast()

    def _psnr_step(self, lr: torch.Tensor, hr: torch.Tensor) -> dict[str, float]:
        with self.autocast():
            sr = self.g_train(lr)
        sr = sr.float()
        loss = pixel_loss(self.recipe.train.pixel_loss, sr, hr)
        self.opt_g.zero_grad(set_to_none=True)
        if self.scaler is None:
            loss.backward()
            self._clip()
            self.opt_g.step()
        else:  # fp16: scale the loss so small gradients survive; skip steps whose gradients overflowed
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.opt_g)
            self._clip()
            self.scaler.step(self.opt_g)
            self.scaler.update()
        return {"pixel": float(loss.detach())}

    def _clip(self) -> None:
        if self.recipe.train.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.generator.parameters(), self.recipe.train.grad_clip)


def prepare_run(
    recipe_path: str | Path, out: str | Path | None, *, resume: bool, overrides: list[str], data: str | None = None
) -> tuple[Recipe, Path]:
    """Resolve the recipe and the run folder; on resume the run folder's own recipe wins."""
    if data:
        overrides = [*overrides, f'data.train="{Path(data).resolve()}"']
    recipe = load_recipe(recipe_path, overrides)
    run_dir = Path(out) if out else Path("runs") / recipe.experiment.name
    saved = run_dir / "recipe.toml"
    if resume and saved.exists():
        recipe = load_recipe(saved, overrides)
    elif list_checkpoints(run_dir / "checkpoints") and not resume:
        raise TrainingError(f"{run_dir}: run folder already has checkpoints; pass --resume or choose another --out")
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = saved.with_suffix(f".toml.{os.getpid()}.tmp")  # torchrun ranks write it concurrently
    tmp.write_text(recipe.to_toml(), encoding="utf-8")
    os.replace(tmp, saved)
    return recipe, run_dir
