"""Imported community models (training/import_model.py) as trainable generators, built by spandrel.

The arch dict is ``{"type": "spandrel", "options": {"weights": PATH, "scale": N}}``:
spandrel detects the architecture and its hyperparameters from the tensors in
PATH (the ``.safetensors`` copy kept beside the imported model), so the network
is rebuilt exactly; ``scale`` sits in the options because the trainer, the
evaluation and the export read it there. The module is the one the ONNX export
traced (``SpandrelCall``: spandrel's per-architecture call around the bare model),
so its state dict keys start with ``model.``; weights files of this type store them so.
"""

from __future__ import annotations

from pathlib import Path

import torch.nn as nn

from .registry import register

KEY_PREFIX = "model."  # SpandrelCall holds the bare network as ``self.model``


@register("spandrel")
def build(weights: str, scale: int) -> nn.Module:
    try:
        from ..import_model import SpandrelCall, load_model, read_state_dict
    except ImportError:
        raise ValueError("the spandrel architecture needs spandrel: pip install 'srgan-studio[train]'") from None

    path = Path(weights)
    state = read_state_dict(path)  # weights only; a one-line ModelError naming the file
    if state and all(k.startswith(KEY_PREFIX) for k in state):
        state = {k[len(KEY_PREFIX) :]: v for k, v in state.items()}
    desc = load_model(path, state)
    if int(desc.scale) != int(scale):
        raise ValueError(
            f"{path}: spandrel finds a x{desc.scale} {desc.architecture.name}, the recipe asks for x{scale}"
        )
    return SpandrelCall(desc)
