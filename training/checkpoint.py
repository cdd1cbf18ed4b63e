"""Checkpoints: safetensors for tensors, JSON for everything else. Never pickle.

A checkpoint at step N is ``ckpt_000N.safetensors`` plus ``ckpt_000N.json``. The
JSON also holds the fp16 GradScalers' state (loss scale and growth tracker: plain
numbers), so a resumed fp16 run keeps its learned loss scale. The
JSON is written last (atomically) and records the SHA-256 of the tensor file,
so it is the commit marker: a crash mid-write leaves no checkpoint that looks
complete, and a corrupt tensor file is detected with a clear error.

Standalone generator weights (for export and fine-tuning) are one safetensors
file whose metadata holds the architecture: ``{"type": ..., "options": {...}}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save_file

from ..core.atomic import atomic_path, file_sha256


class CheckpointError(ValueError):
    """A checkpoint or weights file that is missing, corrupt or incompatible."""


def _atomic_replace(write, target: Path) -> None:
    with atomic_path(target) as tmp:
        write(str(tmp))


def save_weights(
    path: str | Path, state: dict[str, torch.Tensor], arch: dict[str, Any], extra: dict[str, Any] | None = None
) -> None:
    """Save generator weights with their architecture in the metadata."""
    meta = {"arch": json.dumps(arch), "format": "srgan-studio-weights-1"}
    if extra:
        meta["extra"] = json.dumps(extra)
    tensors = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    _atomic_replace(lambda tmp: save_file(tensors, tmp, metadata=meta), Path(path))


def load_weights(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any], dict[str, Any]]:
    """Return (state_dict, arch, extra) from a weights file or a training checkpoint."""
    path = Path(path)
    if path.suffix == ".json":
        info = read_checkpoint_json(path)
        tensors = _load_verified(path.with_suffix(".safetensors"), info["sha256"])
        prefix = "ema/" if any(k.startswith("ema/") for k in tensors) else "g/"
        state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
        return state, info["arch"], {"step": info["step"], "recipe": info.get("recipe_name", "")}
    if not path.exists():
        raise CheckpointError(f"{path}: weights file does not exist")
    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a valid safetensors file ({exc})") from None
    if "arch" not in meta:
        # A training checkpoint's tensor file: use its JSON twin.
        twin = path.with_suffix(".json")
        if twin.exists():
            return load_weights(twin)
        raise CheckpointError(f"{path}: no architecture metadata (not an SRGAN Studio weights file)")
    extra = json.loads(meta["extra"]) if "extra" in meta else {}
    return state, json.loads(meta["arch"]), extra


def read_checkpoint_json(path: Path) -> dict[str, Any]:
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: checkpoint does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: corrupt checkpoint ({exc})") from None
    for key in ("step", "sha256", "arch"):
        if key not in info:
            raise CheckpointError(f"{path}: corrupt checkpoint (no '{key}')")
    return info


def _load_verified(path: Path, sha: str) -> dict[str, torch.Tensor]:
    if not path.exists():
        raise CheckpointError(f"{path}: checkpoint tensor file is missing")
    if file_sha256(path) != sha:
        raise CheckpointError(f"{path}: corrupt checkpoint (checksum mismatch)")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: corrupt checkpoint ({exc})") from None


def _split_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor]) -> dict[str, Any]:
    sd = opt.state_dict()
    state_json: dict[str, dict[str, Any]] = {}
    for idx, st in sd["state"].items():
        entry = {}
        for k, v in st.items():
            if torch.is_tensor(v):
                tensors[f"{prefix}/{idx}/{k}"] = v.detach().cpu().contiguous()
                entry[k] = {"tensor": f"{prefix}/{idx}/{k}"}
            else:
                entry[k] = v
        state_json[str(idx)] = entry
    return {"state": state_json, "param_groups": sd["param_groups"]}


def _scaler_json(name: str, scaler: Any) -> dict[str, float | int]:
    """A GradScaler's state_dict as JSON numbers (a disabled scaler's is empty)."""
    out: dict[str, float | int] = {}
    for k, v in scaler.state_dict().items():
        if torch.is_tensor(v) and v.numel() == 1:
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"scaler {name!r}: state {k!r} is {type(v).__name__}, not a number")
        out[k] = v
    return out


def _join_optimizer(info: dict[str, Any], tensors: dict[str, torch.Tensor]) -> dict[str, Any]:
    state = {}
    for idx, entry in info["state"].items():
        state[int(idx)] = {
            k: tensors[v["tensor"]] if isinstance(v, dict) and "tensor" in v else v for k, v in entry.items()
        }
    return {"state": state, "param_groups": info["param_groups"]}


def save_checkpoint(
    folder: Path,
    step: int,
    modules: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    arch: dict[str, Any],
    extra: dict[str, Any],
    keep: int = 2,
    scalers: dict[str, Any] | None = None,
) -> Path:
    """Write ckpt_<step> atomically; prune to the newest ``keep`` complete checkpoints.

    ``scalers``: the fp16 GradScalers by name (``torch.amp.GradScaler`` or anything with its state_dict)."""
    folder.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    for name, module in modules.items():
        for k, v in module.state_dict().items():
            tensors[f"{name}/{k}"] = v.detach().cpu().contiguous()
    opt_json = {name: _split_optimizer(f"opt_{name}", opt, tensors) for name, opt in optimizers.items()}
    tensors["rng/torch"] = torch.get_rng_state()
    base = folder / f"ckpt_{step:08d}"
    st_path = base.with_suffix(".safetensors")
    _atomic_replace(lambda tmp: save_file(tensors, tmp), st_path)
    info = {"step": step, "sha256": file_sha256(st_path), "arch": arch, "optimizers": opt_json, **extra}
    if scalers:
        info["scalers"] = {name: _scaler_json(name, scaler) for name, scaler in scalers.items()}
    _atomic_replace(
        lambda tmp: Path(tmp).write_text(json.dumps(info, indent=1), encoding="utf-8"), base.with_suffix(".json")
    )
    for old in list_checkpoints(folder)[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
        old.with_suffix(".safetensors").unlink(missing_ok=True)
    return base.with_suffix(".json")


def list_checkpoints(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob("ckpt_*.json"))


def load_checkpoint(
    path: Path,
    modules: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    scalers: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Restore modules, optimizers, the GradScalers the checkpoint has and the torch RNG; return the JSON info.

    A scaler the checkpoint lacks (one written before scalers were saved) keeps its state; the caller
    can tell from ``info.get("scalers", {})``."""
    info = read_checkpoint_json(path)
    tensors = _load_verified(path.with_suffix(".safetensors"), info["sha256"])
    for name, module in modules.items():
        prefix = f"{name}/"
        state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
        if not state:
            raise CheckpointError(f"{path}: checkpoint has no '{name}' weights")
        try:
            module.load_state_dict(state)
        except RuntimeError as exc:
            raise CheckpointError(
                f"{path}: '{name}' weights do not fit the model ({str(exc).splitlines()[0]})"
            ) from None
    for name, opt in optimizers.items():
        if name in info.get("optimizers", {}):
            opt.load_state_dict(_join_optimizer(info["optimizers"][name], tensors))
    saved_scalers = info.get("scalers", {})
    for name, scaler in (scalers or {}).items():
        if saved_scalers.get(name):
            scaler.load_state_dict(saved_scalers[name])
    if "rng/torch" in tensors:
        torch.set_rng_state(tensors["rng/torch"])
    return info
