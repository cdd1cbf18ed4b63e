"""Export the fine-tuned weights to ONNX in a child process (torch stays out of the caller)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import StudioError
from . import process

if TYPE_CHECKING:
    from .run import FinetuneRun

EXPORT_TIMEOUT_S = 1800


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
    return export_weights(weights, out, export_dir(run) / "export.log")


def export_weights(weights: Path, out: Path, log: Path) -> Path:
    """``weights`` as ONNX in ``out`` (its descriptor beside it), by the exporter in a child process."""
    out.parent.mkdir(parents=True, exist_ok=True)
    # --overwrite: a resumed run re-exports over its own stale export, in the run folder.
    res = _run([*process.train_command(), "export", str(weights), "-o", str(out), "--overwrite"], log)
    if res.returncode != 0 or not out.is_file():
        lines = [ln for ln in (res.stderr or "").splitlines() if ln.strip()]
        why = next(
            (
                ln.removeprefix("srgan-studio: error:").strip()
                for ln in reversed(lines)
                if ln.startswith("srgan-studio: error:")
            ),
            lines[-1] if lines else f"exit code {res.returncode}",
        )
        raise StudioError(f"ONNX export failed: {why} (log: {log})", weights)
    return out


def _run(argv: list[str], log: Path) -> subprocess.CompletedProcess:
    try:
        res = subprocess.run(
            argv, check=False, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=EXPORT_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StudioError(f"cannot run the ONNX export ({exc}) (log: {log})") from None
    log.write_text(f"$ {' '.join(argv)}\n{res.stdout or ''}{res.stderr or ''}", encoding="utf-8")
    return res
