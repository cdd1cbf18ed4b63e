"""After fine-tuning: export to ONNX, score on the held-out photos, register as a user model.

Export runs ``srgan-studio export`` in a subprocess (torch stays out of the
caller's process). Scoring uses the engine (ONNX Runtime, tiled), so the
numbers are those of the model the user will actually run. The held-out
photos get the run's degradation preset with a fixed seed per photo, so
bicubic, the base and the fine-tuned model see the very same LR input.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from collections.abc import Generator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_path, atomic_write_bytes
from .cancel import NEVER, CancelToken
from .descriptor import ModelDescriptor
from .errors import ModelError, StudioError
from .finetune import PRESET_TITLES, FinetuneRun, train_command
from .metrics import psnr_y, ssim_y

METHODS = ("bicubic", "base", "finetuned")
EVAL_SIDE = 768          # held-out photos are scored on a centre crop this big (HR px): minutes, not hours, on a CPU
CROP_SIDE = 128          # side-by-side crops shown in the wizard


@dataclass(frozen=True)
class EvalProgress:
    done: int
    total: int
    message: str


@dataclass
class EvalResult:
    rows: list[dict[str, Any]]          # {"photo": rel, "bicubic": {"psnr_y", "ssim_y"}, "base": ..., "finetuned": ...}
    mean: dict[str, dict[str, float]]   # method -> {"psnr_y", "ssim_y"}
    crops: list[dict[str, str]]         # {"photo", "hr", "bicubic", "base", "finetuned"} PNG paths
    eval_side: int

    @property
    def gain_db(self) -> float:
        return self.mean["finetuned"]["psnr_y"] - self.mean["base"]["psnr_y"]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def export_dir(run: FinetuneRun) -> Path:
    return run.dir / "export"


def exported_onnx(run: FinetuneRun) -> Path:
    return export_dir(run) / f"{run.name}.onnx"


def export(run: FinetuneRun) -> Path:
    """ONNX (checked by the exporter) plus its descriptor, in the run folder."""
    weights = run.final_weights()
    if weights is None:
        raise StudioError(f"fine-tuning run {run.name!r} has no trained weights yet; train it first", run.dir)
    out = exported_onnx(run)
    if out.is_file() and out.with_suffix(".json").is_file() and out.stat().st_mtime >= weights.stat().st_mtime:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [*train_command(), "export", str(weights), "-o", str(out)]
    res = _run(argv)
    if res.returncode == 2 and "invalid choice: 'export'" in (res.stderr or ""):
        # An install whose CLI has no export command yet: the same exporter, called directly.
        res = _run([*train_command()[:-1], "srgan_studio.training.preview", "--export", str(weights), str(out)])
    if res.returncode != 0 or not out.is_file():
        lines = [ln for ln in (res.stderr or "").splitlines() if ln.strip()]
        why = next((ln.removeprefix("srgan-studio: error:").strip() for ln in reversed(lines)
                    if ln.startswith("srgan-studio: error:")), lines[-1] if lines else f"exit code {res.returncode}")
        raise StudioError(f"ONNX export failed: {why}", weights)
    return out


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(argv, check=False, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StudioError(f"cannot run the ONNX export ({exc})") from None


def _degrade(hr: np.ndarray, scale: int, preset: str, seed: int) -> np.ndarray:
    from .degradation import PRESETS, degrade

    return degrade(hr, scale, PRESETS[preset], np.random.default_rng(seed))


def _load_hr(path: Path, scale: int, side: int) -> np.ndarray:
    from .imageio import read_image, to_8bit

    color = to_8bit(read_image(path).color)
    if color.shape[2] == 1:
        color = color.repeat(3, axis=2)
    h, w = color.shape[:2]
    ch, cw = min(h, side), min(w, side)
    ch, cw = ch - ch % scale, cw - cw % scale
    y, x = (h - ch) // 2, (w - cw) // 2
    return np.ascontiguousarray(color[y:y + ch, x:x + cw])


def _save_png(arr: np.ndarray, path: Path) -> None:
    from PIL import Image as PILImage

    with atomic_path(path) as tmp:
        PILImage.fromarray(arr).save(tmp, "PNG")


def _busiest_box(hr: np.ndarray, side: int) -> tuple[int, int]:
    """Top-left of the crop with the most edges: where a difference between methods can show."""
    from .metrics import rgb_to_y

    y = rgb_to_y(hr)
    g = np.abs(np.diff(y, axis=0))[:, :-1] + np.abs(np.diff(y, axis=1))[:-1, :]
    h, w = g.shape
    side = min(side, h, w)
    best, pos = -1.0, (0, 0)
    step = max(8, side // 2)
    for top in range(0, max(1, h - side + 1), step):
        for left in range(0, max(1, w - side + 1), step):
            v = float(g[top:top + side, left:left + side].sum())
            if v > best:
                best, pos = v, (top, left)
    return pos


def evaluate(run: FinetuneRun, cancel: CancelToken = NEVER, eval_side: int = EVAL_SIDE
             ) -> Generator[EvalProgress, None, EvalResult]:
    """Export (if needed), then PSNR/SSIM (Y, border = scale) on every held-out photo for the three methods."""
    from .imageio import Image
    from .registry import bicubic_descriptor
    from .upscale import Upscaler, drain

    yield EvalProgress(0, 1, "exporting the fine-tuned model to ONNX")
    onnx = export(run)
    cancel.raise_if_cancelled()
    scale = run.scale
    ups = {
        "bicubic": Upscaler(bicubic_descriptor(scale), device="cpu"),
        "base": Upscaler(ModelDescriptor.load(Path(run.state["base"]["onnx"]).with_suffix(".json")), device="cpu"),
        "finetuned": Upscaler(ModelDescriptor.load(onnx.with_suffix(".json")), device="cpu"),
    }
    photos = sorted(run.heldout_dir.iterdir())
    out_dir = run.dir / "eval"
    out_dir.mkdir(exist_ok=True)
    rows, crops = [], []
    for i, path in enumerate(photos):
        cancel.raise_if_cancelled()
        yield EvalProgress(i, len(photos), f"scoring {path.name}")
        hr = _load_hr(path, scale, eval_side)
        seed = int.from_bytes(hashlib.sha256(path.name.encode()).digest()[:4], "little")
        lr = _degrade(hr, scale, run.options.preset, seed)
        row: dict[str, Any] = {"photo": path.name, "size": [int(hr.shape[1]), int(hr.shape[0])]}
        outs = {}
        for method, up in ups.items():
            sr = drain(up.run(Image(lr), cancel)).color
            outs[method] = sr
            row[method] = {"psnr_y": round(psnr_y(sr, hr, scale), 4), "ssim_y": round(ssim_y(sr, hr, scale), 5)}
        rows.append(row)
        if len(crops) < 3:
            top, left = _busiest_box(hr, CROP_SIDE)
            c = min(CROP_SIDE, hr.shape[0], hr.shape[1])
            entry = {"photo": path.name}
            for key, arr in (("hr", hr), *outs.items()):
                p = out_dir / f"crop{i:02d}-{key}.png"
                _save_png(np.ascontiguousarray(arr[top:top + c, left:left + c]), p)
                entry[key] = str(p)
            crops.append(entry)
    mean = {m: {k: round(float(np.mean([r[m][k] for r in rows])), 4) for k in ("psnr_y", "ssim_y")} for m in METHODS}
    result = EvalResult(rows, mean, crops, eval_side)
    atomic_write_bytes(out_dir / "eval.json", (json.dumps(result.to_dict(), indent=1) + "\n").encode())
    run.state["metrics"] = {"heldout": mean, "rows": rows, "eval_side": eval_side}
    run.state["status"] = "evaluated"
    run.save()
    yield EvalProgress(len(photos), len(photos), "done")
    return result


def load_evaluation(run: FinetuneRun) -> EvalResult | None:
    p = run.dir / "eval" / "eval.json"
    try:
        return EvalResult(**json.loads(p.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def register(run: FinetuneRun, title: str = "", registry=None) -> ModelDescriptor:
    """Copy the ONNX, its descriptor (with provenance and metrics) and the training
    weights (so the model can be fine-tuned again) into the user models folder."""
    from .registry import default_registry

    registry = registry or default_registry()
    registry.refresh()
    name = run.name
    if name in registry:
        raise ModelError(f"a model named {name!r} already exists; choose another name")
    onnx = export(run)
    weights = run.final_weights()
    assert weights is not None
    exported = ModelDescriptor.load(onnx.with_suffix(".json"))
    o = run.options
    recipes = {}
    for st in run.stages:
        p = run.dir / f"recipe-{st['name']}.toml"
        resolved = run.stage_dir(st["name"]) / "recipe.toml"
        recipes[st["name"]] = (resolved if resolved.is_file() else p).read_text(encoding="utf-8") if (
            resolved.is_file() or p.is_file()) else ""
    provenance = {
        **exported.provenance,
        "fine_tuned_from": run.state["base"]["name"],
        "base": {"name": run.state["base"]["name"], "title": run.state["base"]["title"]},
        "goal": o.goal,
        "degradation": o.preset,
        "data": o.photos,
        "train_photos": len(run.state["photos"]["train"]),
        "heldout_photos": run.state["photos"]["heldout"],
        "steps": {st["name"]: st["step"] for st in run.stages},
        "seconds": {st["name"]: round(st["seconds"], 1) for st in run.stages},
        "recipe": recipes,
        "options": {k: getattr(o, k) for k in ("lr", "batch_size", "patch_size", "ema", "minutes", "steps", "seed")},
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "weights": f"{name}.safetensors",
    }
    metrics = dict(exported.metrics)
    if run.state.get("metrics"):
        metrics["heldout"] = {**run.state["metrics"]["heldout"], "eval_side": run.state["metrics"]["eval_side"],
                              "photos": len(run.state["metrics"]["rows"])}
    base_title = run.state["base"]["title"]
    desc = replace(exported, name=name, title=title or f"{name} (fine-tuned {base_title})", file=f"{name}.onnx",
                   provenance=provenance, metrics=metrics,
                   notes=f"Fine-tuned in SRGAN Studio on {Path(o.photos).name} "
                         f"({'PSNR + GAN' if o.goal == 'realistic' else 'PSNR'}, {PRESET_TITLES[o.preset].lower()}).")
    dest = registry.user_dir
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
    run.state["status"] = "registered"
    run.state["model"] = name
    run.save()
    registry.refresh()
    return registry.get(name)
