"""Publish a fine-tune as a user model: ONNX, descriptor (provenance, metrics) and training weights."""

from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import atomic_path
from ..descriptor import ModelDescriptor
from ..errors import ModelError, SettingsError
from .export import export
from .presets import PRESET_TITLES
from .state import RunStatus

if TYPE_CHECKING:
    from .run import FinetuneRun


def did_not_beat_base(run: FinetuneRun) -> str:
    """The plain sentence for a fine-tune that lost to its base ('' when it won or is not scored)."""
    if run.beat_base() is not False:
        return ""
    mean = run.state.metrics["heldout"]
    return (
        f"the fine-tuned model did not beat its base {run.state.base.name} on your held-out photos "
        f"({mean['finetuned']['psnr_y']:.2f} dB against {mean['base']['psnr_y']:.2f} dB)"
    )


def _recipes(run: FinetuneRun) -> dict[str, str]:
    out = {}
    for st in run.stages:
        resolved = run.stage_dir(st.name) / "recipe.toml"
        written = run.dir / f"recipe-{st.name}.toml"
        src = resolved if resolved.is_file() else written
        out[st.name] = src.read_text(encoding="utf-8") if src.is_file() else ""
    return out


def _provenance(run: FinetuneRun, exported: ModelDescriptor, name: str) -> dict[str, Any]:
    o, plan = run.options, run.state.plan
    return {
        **exported.provenance,
        "fine_tuned_from": run.state.base.name,
        "base": {"name": run.state.base.name, "title": run.state.base.title},
        "goal": o.goal,
        "degradation": o.preset,
        "data": o.photos,
        "train_photos": len(run.state.photos.train),
        "heldout_photos": run.state.photos.heldout,
        "steps": {st.name: st.step for st in run.stages},
        "kept_step": {st.name: st.best_step for st in run.stages if st.best_step >= 0},
        "seconds": {st.name: round(st.seconds, 1) for st in run.stages},
        "recipe": _recipes(run),
        "options": {
            "lr": plan.lr if plan else o.lr,
            "batch_size": plan.batch_size if plan else o.batch_size,
            "patch_size": run.state.patch_size,
            "ema": o.ema,
            "minutes": o.minutes,
            "steps": o.steps,
            "seed": o.seed,
        },
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "weights": f"{name}.safetensors",
    }


def register(run: FinetuneRun, title: str = "", registry=None, *, anyway: bool = False) -> ModelDescriptor:
    """Copy the ONNX, its descriptor and the training weights (so the model can be fine-tuned
    again) into the user models folder. A fine-tune that lost to its base is refused unless ``anyway``."""
    from ..registry import default_registry

    lost = did_not_beat_base(run)
    if lost and not anyway:
        raise SettingsError(f"{lost}; it was not added to your models (save it anyway if you want it)")
    registry = registry or default_registry()
    registry.refresh()
    name = run.name
    if name in registry:
        raise ModelError(f"a model named {name!r} already exists; choose another name")
    onnx = export(run)
    weights = run.final_weights()
    assert weights is not None
    exported = ModelDescriptor.load(onnx.with_suffix(".json"))
    metrics = dict(exported.metrics)
    if run.state.metrics:
        m = run.state.metrics
        metrics["heldout"] = {**m["heldout"], "eval_side": m["eval_side"], "photos": len(m["rows"])}
    o = run.options
    desc = replace(
        exported,
        name=name,
        title=title or f"{name} (fine-tuned {run.state.base.title})",
        file=f"{name}.onnx",
        provenance=_provenance(run, exported, name),
        metrics=metrics,
        notes=f"Fine-tuned in SRGAN Studio on {Path(o.photos).name} "
        f"({'PSNR + GAN' if o.goal == 'realistic' else 'PSNR'}, {PRESET_TITLES[o.preset].lower()}).",
    )
    _install(registry.user_dir, name, onnx, weights, desc)
    run.state.model = name
    run.set_status(RunStatus.REGISTERED)
    registry.refresh()
    return registry.get(name)


def _install(dest: Path, name: str, onnx: Path, weights: Path, desc: ModelDescriptor) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        for src, target in ((onnx, dest / f"{name}.onnx"), (weights, dest / f"{name}.safetensors")):
            with atomic_path(target) as tmp:
                shutil.copyfile(src, tmp)
            written.append(target)
        # The descriptor last: until it exists the registry does not see a half-copied model.
        desc.save(dest / f"{name}.json")
    except OSError as exc:
        for p in written:
            p.unlink(missing_ok=True)
        raise ModelError(f"cannot write into {dest} ({exc.strerror or exc})") from None
