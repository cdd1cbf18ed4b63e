"""The strict training recipe for each stage of a fine-tune, as the trainer's typed recipe object."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..atomic import atomic_write_bytes
from ..errors import StudioError
from ..recipe_schema import DataSection, ExperimentSection, GanSection, ModelSection, Recipe, TrainSection
from .budget import effective_ema
from .options import FinetuneOptions
from .presets import DAMAGED
from .state import Plan


def detail_sampling(opts: FinetuneOptions) -> bool:
    """Patches towards detail for clean downscales only: under JPEG, the artefacts in flat regions are
    what the model must learn to remove. (Measured once, phone_jpeg over restore_x4, 4 minutes: +0.33 dB
    with detail-weighted patches, +0.43 dB with uniform ones; the runs also differed in steps, 323 vs 533.)"""
    return opts.detail_sampling and opts.preset not in DAMAGED


def build_recipe(
    opts: FinetuneOptions,
    plan: Plan,
    stage: str,
    *,
    arch: dict[str, Any],
    init: str,
    train_dir: str,
    val_dirs: list[str],
    steps: int,
    expected_steps: int,
    checkpoint_minutes: float,
    val_every: int,
    threads: int,
) -> Recipe:
    """The recipe for one stage (core/recipe_schema.py holds the schema)."""
    train = TrainSection(
        stage=stage,
        steps=int(steps),
        lr=float(plan.lr),
        # A cosine over planned steps the clock may cut short would stop mid-decay.
        schedule="constant" if opts.timed or stage == "gan" else "cosine",
        min_lr=float(plan.lr) * 0.1,
        # Adam starts with no moment estimates: its first updates are full-size in
        # every direction, which is noise for weights that already work.
        warmup_steps=min(100, expected_steps // 10),
        ema=effective_ema(opts.ema, expected_steps),
        pixel_loss="l1",
        init=init,
        checkpoint_minutes=float(checkpoint_minutes),
        checkpoint_keep=2,
        val_every=int(val_every),
        log_every=1,
        threads=int(threads),
        precision="auto",
        device=opts.device,
        # The base is scored first, so the PSNR stage never hands back weights worse than it on the
        # held-out crops. (A GAN stage trades PSNR for texture on purpose: no PSNR-best there.)
        keep_best=stage == "psnr" and bool(val_dirs),
    )
    recipe = Recipe(
        experiment=ExperimentSection(
            name=f"finetune-{opts.name}-{stage}",
            seed=int(opts.seed),
            description=f"fine-tune {opts.base} on {opts.photos} ({opts.goal}, {opts.preset})",
        ),
        model=ModelSection(type=arch["type"], options=dict(arch.get("options", {}))),
        data=DataSection(
            train=train_dir,
            val=list(val_dirs),
            patch_size=int(plan.patch_size),
            batch_size=int(plan.batch_size),
            degradation=opts.preset,
            detail_sampling=detail_sampling(opts),
        ),
        train=train,
    )
    if stage == "gan":
        # Fine-tuning GANs collapses colours without a pixel anchor (Real-ESRGAN #148, #745);
        # ESRGAN's L1 weight keeps it; feature matching needs no downloaded VGG weights.
        recipe.gan = GanSection(
            adversarial="bce",
            adv_weight=1e-3,
            pixel_weight=1e-2,
            content_loss="feature_match",
            content_weight=1.0,
            d_lr=float(plan.lr),
        )
    return recipe


MARK = "written by SRGAN Studio"  # on the first line of every recipe file this module writes


def write_recipe(path: Path, recipe: Recipe, comment: str = "") -> Path:
    """Write ``recipe`` as TOML under ``path`` atomically (core/atomic.py), ``comment`` as its header.

    A run writes its stage recipes again when it resumes, so an existing file is replaced only when its
    first line carries ``MARK``: any other file in its place is someone's own, and a one-line error."""
    lines = [f"# {line}" for line in comment.splitlines()]
    if not lines or MARK.casefold() not in lines[0].casefold():
        lines.insert(0, f"# Recipe {MARK}.")
    if path.exists() and not _ours(path):
        raise StudioError("exists and was not written by SRGAN Studio; refusing to overwrite it", path)
    try:
        atomic_write_bytes(path, "\n".join([*lines, recipe.to_toml()]).encode("utf-8"))
    except OSError as exc:
        raise StudioError(f"cannot write the recipe ({exc.strerror or exc})", path) from None
    return path


def _ours(path: Path) -> bool:
    """Whether ``path`` may be replaced: a recipe this module wrote, or an empty file (nothing to lose: an
    older version wrote in place, and a crash then left the file empty)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            first = fh.readline(4096)
    except OSError:
        return False  # a folder, or unreadable: not a recipe this module wrote
    return first == "" or (first.startswith("#") and MARK.casefold() in first.casefold())
