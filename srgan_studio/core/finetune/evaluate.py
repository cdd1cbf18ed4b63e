"""Score the fine-tune on the held-out photos: bicubic, the base and the fine-tuned model.

Scoring uses the engine (ONNX Runtime, tiled), so the numbers are those of the
model the user will run. Each held-out photo gets the run's degradation preset
with a fixed seed per photo, so all three methods see the very same LR input;
the side-by-side crops cut the very same region out of the original and of
each method's output. The trainer validates on these very pairs (``write_val_pairs``),
so the step ``keep_best`` keeps is the best on the figure the user is shown.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Generator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..atomic import atomic_path, atomic_write_bytes
from ..cancel import NEVER, CancelToken
from ..descriptor import ModelDescriptor
from ..errors import StudioError
from ..metrics import psnr_y
from .base_scores import BaseCache, score
from .export import export
from .folder import load_rgb8
from .presets import degrade
from .state import RunStatus

if TYPE_CHECKING:
    from .run import FinetuneRun

METHODS = ("bicubic", "base", "finetuned")
# Held-out photos are scored on a centre crop this big (HR px), here, in the trainer's validation
# and in --base auto's choice. The trainer validates about 17 times a stage; measured on a 2-core
# CPU, restore_x4 over 4 held-out photos, one validation takes 0.45 s at 256 px against 4.4 s at
# 768 px (1.1 s at 384), while a batch-16 step takes 0.75 s: at 768 px a 4-minute fine-tune would
# spend a third of its time validating, at 256 px 3%.
EVAL_SIDE = 256
VAL_DIR = "val"  # in the run folder: the scored pairs as PNGs, hr/ and lr/, for the trainer
CROP_SIDE = 128  # side-by-side crops shown in the wizard
MAX_CROPS = 3


@dataclass(frozen=True)
class EvalProgress:
    done: int
    total: int
    message: str


@dataclass
class EvalResult:
    rows: list[dict[str, Any]]  # {"photo": rel, "bicubic": {"psnr_y", "ssim_y"}, "base": ..., "finetuned": ...}
    mean: dict[str, dict[str, float]]  # method -> {"psnr_y", "ssim_y"}
    crops: list[dict[str, Any]]  # {"photo", "box": [top, left, side], "hr", "bicubic", "base", "finetuned"}
    eval_side: int

    @property
    def gain_db(self) -> float:
        """Against the base model."""
        return self.mean["finetuned"]["psnr_y"] - self.mean["base"]["psnr_y"]

    @property
    def gain_over_bicubic_db(self) -> float:
        return self.mean["finetuned"]["psnr_y"] - self.mean["bicubic"]["psnr_y"]

    @property
    def beat_base(self) -> bool:
        return self.gain_db > 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def busiest_box(hr: np.ndarray, side: int) -> tuple[int, int, int]:
    """(top, left, side) of the square crop with the most edges: where methods differ visibly."""
    from ..metrics import rgb_to_y

    y = rgb_to_y(hr)
    g = np.abs(np.diff(y, axis=0))[:, :-1] + np.abs(np.diff(y, axis=1))[:-1, :]
    side = min(side, hr.shape[0], hr.shape[1])
    best, pos = -1.0, (0, 0)
    stride = max(8, side // 2)
    for top in range(0, max(1, hr.shape[0] - side + 1), stride):
        for left in range(0, max(1, hr.shape[1] - side + 1), stride):
            v = float(g[top : top + side, left : left + side].sum())
            if v > best:
                best, pos = v, (top, left)
    return pos[0], pos[1], side


def cut(arr: np.ndarray, box: tuple[int, int, int]) -> np.ndarray:
    top, left, side = box
    return np.ascontiguousarray(arr[top : top + side, left : left + side])


def _save_png(arr: np.ndarray, path: Path) -> None:
    from PIL import Image as PILImage

    with atomic_path(path) as tmp:
        PILImage.fromarray(arr).save(tmp, "PNG")


class _Lazy:
    """An upscaler made on first use: the base's is not needed when its outputs are cached."""

    def __init__(self, make):
        self.make, self.made = make, None

    def __call__(self):
        self.made = self.made or self.make()
        return self.made


def _upscalers(run: FinetuneRun, onnx: Path) -> dict[str, Any]:
    from ..registry import bicubic_descriptor

    def base():
        base_json = Path(run.state.base.onnx).with_suffix(".json")
        try:
            return fp32_upscaler(ModelDescriptor.load(base_json))
        except (OSError, ValueError, StudioError) as exc:
            raise StudioError(f"the base model cannot be loaded for scoring ({exc})", base_json) from None

    return {
        "bicubic": fp32_upscaler(bicubic_descriptor(run.scale)),
        "base": _Lazy(base),
        "finetuned": fp32_upscaler(ModelDescriptor.load(onnx.with_suffix(".json"))),
    }


def fp32_upscaler(desc: ModelDescriptor):
    """The scorer's engine: fp32, as `srgan-studio eval`, so a gain does not depend on whether this CPU has bf16."""
    from ..upscale import Upscaler

    return Upscaler(desc, device="cpu", precision="fp32")


def _hr_of(path: Path, scale: int, side: int) -> np.ndarray:
    """The scored part of a held-out photo: centred, at most ``side`` each way, a multiple of the scale."""
    color = load_rgb8(path)
    h, w = color.shape[:2]
    ch, cw = min(h, side), min(w, side)
    ch, cw = ch - ch % scale, cw - cw % scale
    top, left = (h - ch) // 2, (w - cw) // 2
    return np.ascontiguousarray(color[top : top + ch, left : left + cw])


def degraded_pair(path: Path, scale: int, preset: str, side: int) -> tuple[np.ndarray, np.ndarray]:
    """(HR, LR) of a held-out photo: the LR is the preset's degradation with the photo's own fixed seed,
    so every method, and every scoring of this photo, sees the very same input."""
    hr = _hr_of(path, scale, side)
    seed = int.from_bytes(hashlib.sha256(path.name.encode()).digest()[:4], "little")
    return hr, degrade(hr, scale, preset, seed)


def heldout_photos(run: FinetuneRun) -> list[Path]:
    return sorted(run.heldout_dir.iterdir())


def write_val_pairs(run: FinetuneRun, side: int = EVAL_SIDE) -> Path:
    """Each held-out photo's ``degraded_pair`` as lossless PNGs in ``val/hr`` and ``val/lr`` (same names):
    what the trainer validates on, pixel for pixel what ``evaluate`` scores."""
    out = run.dir / VAL_DIR
    for i, path in enumerate(heldout_photos(run)):
        hr, lr = degraded_pair(path, run.scale, run.options.preset, side)
        for sub, arr in (("hr", hr), ("lr", lr)):
            (out / sub).mkdir(parents=True, exist_ok=True)
            _save_png(arr, out / sub / f"{i:02d}.png")
    return out


def upscale_checked(up, lr: np.ndarray, hr: np.ndarray, path: Path, cancel: CancelToken = NEVER) -> np.ndarray:
    from ..imageio import Image
    from ..upscale import drain

    sr = drain(up.run(Image(lr), cancel)).color
    if sr.shape != hr.shape:
        name = up.descriptor.name
        raise StudioError(f"{name} gave {sr.shape[1]}x{sr.shape[0]} for a {hr.shape[1]}x{hr.shape[0]} photo", path)
    return sr


def heldout_psnr(
    desc: ModelDescriptor, photos: list[Path], scale: int, preset: str, side: int, cancel: CancelToken = NEVER
) -> list[float]:
    """One model's Y-PSNR on each held-out photo, degraded and cropped as ``evaluate`` does."""
    up = fp32_upscaler(desc)
    out = []
    for path in photos:
        cancel.raise_if_cancelled()
        hr, lr = degraded_pair(path, scale, preset, side)
        out.append(psnr_y(upscale_checked(up, lr, hr, path, cancel), hr, scale))
    return out


def _score_photo(
    run: FinetuneRun, ups: dict[str, Any], base: BaseCache, path: Path, eval_side: int, cancel: CancelToken
) -> tuple[dict[str, Any], np.ndarray, dict[str, np.ndarray]]:
    hr, lr = degraded_pair(path, run.scale, run.options.preset, eval_side)
    row: dict[str, Any] = {"photo": path.name, "size": [int(hr.shape[1]), int(hr.shape[0])]}
    outs = {}
    for method, up in ups.items():
        if method == "base":  # scored once a run (base_scores.py)
            sr, psnr, ssim = base.scored(path.name, hr, lr, lambda: upscale_checked(up(), lr, hr, path, cancel))  # noqa: B023
        else:
            sr, psnr, ssim = score(upscale_checked(up, lr, hr, path, cancel), hr, run.scale)
        outs[method] = sr
        row[method] = {"psnr_y": round(psnr, 4), "ssim_y": round(ssim, 5)}
    return row, hr, outs


def _write_crops(out_dir: Path, index: int, name: str, hr: np.ndarray, outs: dict[str, np.ndarray]) -> dict[str, Any]:
    """One region, cut out of the original and of every method's output."""
    box = busiest_box(hr, CROP_SIDE)
    entry: dict[str, Any] = {"photo": name, "box": list(box)}
    for key, arr in (("hr", hr), *outs.items()):
        p = out_dir / f"crop{index:02d}-{key}.png"
        _save_png(cut(arr, box), p)
        entry[key] = str(p)
    return entry


def evaluate(
    run: FinetuneRun, cancel: CancelToken = NEVER, eval_side: int = EVAL_SIDE
) -> Generator[EvalProgress, None, EvalResult]:
    """Export (if needed), then PSNR/SSIM (Y, border = scale) on every held-out photo for the three methods."""
    yield EvalProgress(0, 1, "exporting the fine-tuned model to ONNX")
    ups = _upscalers(run, export(run))
    cancel.raise_if_cancelled()
    photos = heldout_photos(run)
    out_dir = run.dir / "eval"
    out_dir.mkdir(exist_ok=True)
    rows, crops = [], []
    base = BaseCache(run)
    for i, path in enumerate(photos):
        cancel.raise_if_cancelled()
        yield EvalProgress(i, len(photos), f"scoring {path.name}")
        row, hr, outs = _score_photo(run, ups, base, path, eval_side, cancel)
        rows.append(row)
        if len(crops) < MAX_CROPS:
            crops.append(_write_crops(out_dir, i, path.name, hr, outs))
    mean = {m: {k: round(float(np.mean([r[m][k] for r in rows])), 4) for k in ("psnr_y", "ssim_y")} for m in METHODS}
    result = EvalResult(rows, mean, crops, eval_side)
    atomic_write_bytes(out_dir / "eval.json", (json.dumps(result.to_dict(), indent=1) + "\n").encode())
    run.state.metrics = {"heldout": mean, "rows": rows, "eval_side": eval_side}
    base.keep()
    run.set_status(RunStatus.EVALUATED)
    yield EvalProgress(len(photos), len(photos), "done")
    return result


def load_evaluation(run: FinetuneRun) -> EvalResult | None:
    p = run.dir / "eval" / "eval.json"
    try:
        return EvalResult(**json.loads(p.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
