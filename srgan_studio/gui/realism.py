"""The Realism slider's model: a faithful and a realistic twin's weights blended (no Qt).

The pair is SRResNet/SRGAN for clean sources and Restore/Restore GAN for
photos (gui/model_roles.py); both pairs share one graph per twin.
alpha = 0 is the fidelity (PSNR) model, 1 the GAN model; in between is
ESRGAN's network interpolation (core/interpolate.py). Blended models are
written to a small cache in the data folder, one file per alpha step, and
described by a copy of the GAN model's descriptor.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..core.atomic import atomic_write_bytes
from ..core.descriptor import ModelDescriptor

STEP = 5  # slider percent per step
KEEP_FILES = 4  # blended models kept in the cache


def cache_dir() -> Path:
    from ..core.settings import data_dir

    return data_dir() / "cache" / "realism"


def can_interpolate(psnr: ModelDescriptor | None, gan: ModelDescriptor | None) -> str:
    """'' when the pair can be blended, else the reason (for the tooltip)."""
    if psnr is None or gan is None:
        return "needs both twins of the pair installed"
    if psnr.kind != "onnx" or gan.kind != "onnx":
        return "needs two ONNX models"
    if psnr.architecture != gan.architecture or psnr.scale != gan.scale:
        return "the two models have different architectures"
    return ""


def blended_descriptor(
    psnr: ModelDescriptor, gan: ModelDescriptor, percent: int, folder: Path | None = None
) -> ModelDescriptor:
    """Write (or reuse) the blend at ``percent`` % GAN and return its descriptor."""
    from ..core.interpolate import interpolate_onnx

    if percent >= 100:
        return gan
    if percent <= 0:  # the faithful weights, but still the realistic pane's model, labelled so
        blend = {"from": psnr.name, "to": gan.name, "alpha": 0.0}
        return dataclasses.replace(
            gan,
            name=f"{gan.name}@r0",
            title=f"{gan.title} · realism 0%",
            file=psnr.file,
            source_path=psnr.source_path,
            provenance={**gan.provenance, "interpolated": blend},
            metrics={},
            user=False,
        )
    folder = folder or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = f"{Path(psnr.model_path).stat().st_mtime_ns:x}{Path(gan.model_path).stat().st_mtime_ns:x}"
    file = f"{gan.name}_r{percent:03d}_{stamp[-12:]}.onnx"
    target = folder / file
    if not target.is_file():
        atomic_write_bytes(target, interpolate_onnx(psnr.model_path, gan.model_path, percent / 100))
        _prune(folder, keep=target)
    return dataclasses.replace(
        gan,
        name=f"{gan.name}@r{percent}",
        title=f"{gan.title} · realism {percent}%",
        file=file,
        source_path=str(folder / f"{gan.name}.json"),
        provenance={**gan.provenance, "interpolated": {"from": psnr.name, "to": gan.name, "alpha": percent / 100}},
        metrics={},
        user=False,
    )


def _prune(folder: Path, keep: Path) -> None:
    files = sorted(folder.glob("*.onnx"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP_FILES:]:
        if old != keep:
            old.unlink(missing_ok=True)
