"""Base models: the installed networks whose training weights sit beside them."""

from __future__ import annotations

import importlib.util
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SettingsError, StudioError

TRAIN_EXTRA_HINT = "fine-tuning needs PyTorch: pip install 'srgan-studio[train]'"
DEFAULT_BASE = "srresnet_x4"
RESTORE_BASE = "restore_x4"  # the faithful restore model, the better start for damaged photos


def training_missing() -> str:
    """Why fine-tuning cannot run here ('' when it can), without importing torch (seconds at startup)."""
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
        arch = json.loads((header.get("__metadata__") or {})["arch"])
    except FileNotFoundError:
        raise SettingsError("weights file is missing", path) from None
    except PermissionError:
        raise SettingsError("weights file cannot be read (permission denied)", path) from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SettingsError(f"not an SRGAN Studio weights file ({exc})", path) from None
    if not isinstance(arch, dict) or "type" not in arch:
        raise SettingsError("weights file names no architecture", path)
    return arch


@dataclass(frozen=True)
class BaseModel:
    name: str
    title: str
    weights: Path  # the .safetensors beside the ONNX file
    onnx: Path
    arch: dict[str, Any]
    scale: int
    faithful: bool = False  # trained for PSNR, not GAN textures: a candidate for ``auto`` (base_choice.py)


@dataclass(frozen=True)
class Unusable:
    """An installed network that cannot be a base, and why (shown, never silently dropped)."""

    name: str
    reason: str


def imported_base_problem(d) -> str:
    """Why a model imported through spandrel cannot be a base ('' when it can).

    The trainer's data, losses and ONNX export assume an RGB-to-RGB upscaler that
    takes any input size (no padding to a multiple)."""
    p = d.provenance
    if d.in_channels != 3 or d.out_channels != 3:
        return f"only RGB models can be fine-tuned; {d.name!r} maps {d.in_channels} to {d.out_channels} channels"
    if p.get("purpose") != "SR" or d.scale < 2:
        return f"only upscaling models can be fine-tuned; {d.name!r} is a {p.get('purpose', 'unknown')} model"
    if d.pad_multiple != 1:
        return f"{d.name!r} needs inputs padded to a multiple of {d.pad_multiple}, which fine-tuning does not do"
    return ""


def is_faithful(d) -> bool:
    """Trained with a pixel loss only (a PSNR stage), by the descriptor's provenance; unknown is not faithful."""
    p = d.provenance
    return p.get("stage") == "psnr" and not p.get("adversarial") and "interpolated" not in p


def _is_imported(d) -> bool:
    return str(d.provenance.get("loader", "")).startswith("spandrel")


def _base_of(d) -> BaseModel:
    if d.kind != "onnx" or d.model_path is None:
        raise SettingsError(f"model {d.name!r} is not a network and cannot be fine-tuned")
    problem = imported_base_problem(d) if _is_imported(d) else ""
    if problem:
        raise SettingsError(problem)
    weights = d.model_path.with_suffix(".safetensors")
    if not weights.is_file():
        raise SettingsError(
            f"model {d.name!r} has no training weights ({weights.name}) beside it, so it cannot be fine-tuned", weights
        )
    return BaseModel(d.name, d.title, weights, d.model_path, read_weights_arch(weights), d.scale, is_faithful(d))


def survey_bases(registry=None) -> tuple[list[BaseModel], list[Unusable]]:
    """The fine-tunable models, and the networks with weights that cannot be read (with the reason)."""
    from ..registry import default_registry

    registry = registry or default_registry()
    bases, unusable = [], []
    for d in registry.list():
        if d.kind != "onnx" or d.model_path is None:
            continue
        if not d.model_path.with_suffix(".safetensors").is_file() and not _is_imported(d):
            continue
        try:
            bases.append(_base_of(d))
        except StudioError as exc:
            unusable.append(Unusable(d.name, str(exc)))
    return bases, unusable


def fine_tunable_models(registry=None) -> list[BaseModel]:
    return survey_bases(registry)[0]


def default_base(bases: list[BaseModel], preset: str = "clean") -> BaseModel | None:
    """The rule: the restore model for damaged photos, else SRResNet x4 (``auto`` measures when it can)."""
    from .presets import DAMAGED

    by_name = {b.name: b for b in bases}
    for name in (RESTORE_BASE, DEFAULT_BASE) if preset in DAMAGED else (DEFAULT_BASE, RESTORE_BASE):
        if name in by_name:
            return by_name[name]
    return bases[0] if bases else None


def resolve_base(name: str, registry=None, preset: str = "clean") -> BaseModel:
    """A base model by registry name; ``srresnet`` finds ``srresnet_x4`` when unambiguous; ``auto``: the rule.

    ``FinetuneRun.create`` measures instead of following the rule (base_choice.py)."""
    from ..registry import default_registry

    registry = registry or default_registry()
    if name == "auto":
        base = default_base(fine_tunable_models(registry), preset)
        if base is None:
            raise SettingsError("no installed model has training weights, so none can be fine-tuned")
        return base
    return _base_of(registry.get(name))  # exact, alias or unique prefix; else one line with a guess
