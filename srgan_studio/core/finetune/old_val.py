"""Runs made before the trainer validated on the final figure's pairs (commit b54be9b), brought onto them.

A resumed trainer reads its own ``recipe.toml`` in the stage folder, not the run's. In such a run
that recipe validates on ``preview/crops`` (128 px crops the trainer degrades itself, seed 0) and
``best.safetensors`` holds keep_best's score on those crops: 2.5 dB off the final figure in the
test of b54be9b, so keep_best would compare the resumed steps' scores on the new pairs with an
old-crop best. On resume the trainer is pointed at the paired folder (``val_override``), and the
kept weights and the stage's initial weights are scored on it (ONNX Runtime fp32, as the final
figure), so keep_best goes on from scores on the very pairs the user is shown. Everything written
is in the run folder, through a temp file and ``os.replace``.
"""

from __future__ import annotations

import json
import shutil
import struct
import tomllib
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..atomic import atomic_path
from ..descriptor import ModelDescriptor
from ..errors import StudioError
from .base_scores import base_psnr_on_pairs
from .evaluate import EVAL_SIDE, VAL_DIR, heldout_photos, heldout_psnr
from .events import Notice
from .export import export_weights

if TYPE_CHECKING:
    from .run import FinetuneRun

BEST_FILE = "best.safetensors"  # training/best.py's, in the stage folder
MARGIN_DB = 1e-3  # training/best.py's: a step must beat the best by more than this
MAX_HEADER = 64 << 20


def val_dir(run: FinetuneRun) -> Path:
    return run.dir / VAL_DIR


def val_override(run: FinetuneRun) -> str:
    """``--set`` for a resumed trainer: validate on the run's paired folder, whatever its saved recipe says."""
    return f"data.val=[{json.dumps(str(val_dir(run)))}]"  # a JSON string is a TOML basic string


def trainer_val_dirs(stage_dir: Path) -> list[Path] | None:
    """``data.val`` of the trainer's saved recipe; None without one (or one that cannot be read)."""
    try:
        data = tomllib.loads((stage_dir / "recipe.toml").read_text(encoding="utf-8"))
        return [Path(v) for v in data["data"]["val"]]
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
        return None


def needs_rescoring(run: FinetuneRun, stage: str) -> bool:
    """Does this stage's kept best carry a score on other pairs than the run's paired folder?"""
    stage_dir = run.stage_dir(stage)
    dirs = trainer_val_dirs(stage_dir)
    if dirs is None or not (stage_dir / BEST_FILE).is_file():
        return False
    return [d.resolve() for d in dirs] != [val_dir(run).resolve()]


def read_header(path: Path) -> tuple[dict[str, Any], int]:
    """A safetensors file's JSON header and the offset where its tensor data begins."""
    with open(path, "rb") as fh:
        (n,) = struct.unpack("<Q", fh.read(8))
        if n > MAX_HEADER:
            raise StudioError("weights file header too large", path)
        return json.loads(fh.read(n)), 8 + n


def write_with_extra(src: Path, dst: Path, extra: dict[str, Any]) -> None:
    """``src``'s tensors and architecture into ``dst`` with keep_best's ``extra`` (step and scores).

    Tensor offsets count from the end of the header, so only the header is rewritten; it is padded
    to 8 bytes with spaces, as safetensors pads its own."""
    header, data_at = read_header(src)
    header.setdefault("__metadata__", {})["extra"] = json.dumps(extra)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with atomic_path(dst) as tmp, open(src, "rb") as fin, open(tmp, "wb") as fout:
        fout.write(struct.pack("<Q", len(raw)) + raw)
        fin.seek(data_at)
        shutil.copyfileobj(fin, fout)


def read_extra(path: Path) -> dict[str, Any]:
    meta = read_header(path)[0].get("__metadata__") or {}
    return json.loads(meta["extra"]) if "extra" in meta else {}


def _descriptor_of(run: FinetuneRun, weights: Path, work: Path) -> ModelDescriptor:
    """The run's base as installed, other weights exported to ONNX in ``work`` (in the run folder)."""
    if Path(weights) == Path(run.state.base.weights):
        return ModelDescriptor.load(Path(run.state.base.onnx).with_suffix(".json"))
    onnx = export_weights(Path(weights), work / f"{Path(weights).stem}.onnx", work.parent / "rescore-export.log")
    return ModelDescriptor.load(onnx.with_suffix(".json"))


def _mean_psnr(run: FinetuneRun, desc: ModelDescriptor) -> float:
    """Mean Y-PSNR on the paired folder's pairs, as the final figure scores them."""
    return float(np.mean(heldout_psnr(desc, heldout_photos(run), run.scale, run.options.preset, EVAL_SIDE)))


def rescore_best(run: FinetuneRun, stage: str, init: Path) -> dict[str, Any]:
    """Score the stage's kept weights and its initial ones on the paired folder; keep the better as best.

    The initial weights win ties, as in keep_best (the best then is step 0, the base)."""
    stage_dir = run.stage_dir(stage)
    best = stage_dir / BEST_FILE
    work = run.dir / "rescore"
    try:
        if Path(init) == Path(run.state.base.weights):
            init_psnr = float(np.mean(base_psnr_on_pairs(run)))  # the base is scored once a run
        else:
            init_psnr = _mean_psnr(run, _descriptor_of(run, init, work))
        best_psnr = _mean_psnr(run, _descriptor_of(run, best, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    extra = read_extra(best)
    if best_psnr > init_psnr + MARGIN_DB:
        extra.update(psnr_y=best_psnr, base_psnr=init_psnr)
        write_with_extra(best, best, extra)
    else:
        extra = {"step": 0, "psnr_y": init_psnr, "base_psnr": init_psnr}
        write_with_extra(Path(init), best, extra)
    return extra


def bring_onto_pairs(run: FinetuneRun, stage: str, init: Path) -> Generator[Notice, None, None]:
    """Before a stage's trainer resumes: rescore its kept best on the paired folder when it was scored elsewhere."""
    if needs_rescoring(run, stage):
        yield Notice("this run was made by an earlier version: scoring its kept weights on the held-out pairs")
        rescore_best(run, stage, init)
