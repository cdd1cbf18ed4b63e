"""The strict training recipe for each stage of a fine-tune."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .budget import effective_ema
from .options import FinetuneOptions
from .state import Plan


def build_recipe(opts: FinetuneOptions, plan: Plan, stage: str, *, arch: dict[str, Any], init: str, train_dir: str,
                 val_dirs: list[str], steps: int, expected_steps: int, checkpoint_minutes: float, val_every: int,
                 threads: int) -> dict[str, dict[str, Any]]:
    """The recipe for one stage (training/recipe.py holds the schema)."""
    train: dict[str, Any] = {
        "stage": stage,
        "steps": int(steps),
        "lr": float(plan.lr),
        # A cosine over planned steps the clock may cut short would stop mid-decay.
        "schedule": "constant" if opts.timed else "cosine",
        "min_lr": float(plan.lr) * 0.1,
        # Adam starts with no moment estimates: its first updates are full-size in
        # every direction, which is noise for weights that already work.
        "warmup_steps": min(100, expected_steps // 10),
        "ema": effective_ema(opts.ema, expected_steps),
        "pixel_loss": "l1",
        "init": init,
        "checkpoint_minutes": float(checkpoint_minutes),
        "checkpoint_keep": 2,
        "val_every": int(val_every),
        "log_every": 1,
        "threads": int(threads),
    }
    recipe = {
        "experiment": {"name": f"finetune-{opts.name}-{stage}", "seed": int(opts.seed),
                       "description": f"fine-tune {opts.base} on {opts.photos} ({opts.goal}, {opts.preset})"},
        "model": {"type": arch["type"], **arch.get("options", {})},
        "data": {"train": train_dir, "val": list(val_dirs), "patch_size": int(plan.patch_size),
                 "batch_size": int(plan.batch_size), "degradation": opts.preset},
        "train": train,
    }
    if stage == "gan":
        # Fine-tuning GANs collapses colours without a pixel anchor (Real-ESRGAN #148, #745);
        # ESRGAN's L1 weight keeps it; feature matching needs no downloaded VGG weights.
        recipe["gan"] = {"adversarial": "bce", "adv_weight": 1e-3, "pixel_weight": 1e-2,
                         "content_loss": "feature_match", "content_weight": 1.0, "d_lr": float(plan.lr)}
        train["schedule"] = "constant"
    return recipe


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


def write_recipe(path: Path, sections: dict[str, dict[str, Any]], comment: str = "") -> Path:
    lines = [f"# {line}" for line in comment.splitlines()]
    for sec, values in sections.items():
        lines.append(f"[{sec}]")
        lines.extend(f"{k} = {_toml(v)}" for k, v in values.items())
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
