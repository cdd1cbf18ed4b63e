"""``train.keep_best``: the weights that scored best on the validation photos, kept on disk.

The initial weights (the base of a fine-tune) are scored first and are the first
"best", so the exported model is never worse than where training started, as
measured on the validation photos. The best weights live in ``best.safetensors``
in the run folder (the step and scores in its metadata), so a run resumed after a
restart still knows them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from .checkpoint import CheckpointError, load_weights, save_weights

BEST_FILE = "best.safetensors"
# A step must beat the best so far by more than this. The app scores the exported model with ONNX
# Runtime, whose fp32 differs from PyTorch's by up to about 1e-5 dB per photo (measured on the
# held-out pairs): a smaller win here could be a loss on the figure the user is shown.
MARGIN_DB = 1e-3


class BestKeeper:
    def __init__(self, run_dir: Path, arch: dict[str, Any]):
        self.path = Path(run_dir) / BEST_FILE
        self.arch = arch
        self.step = -1
        self.psnr = -math.inf
        self.base_psnr: float | None = None
        try:
            _, _, extra = load_weights(self.path)
        except (CheckpointError, FileNotFoundError, OSError):
            return
        self.step = int(extra.get("step", -1))
        self.psnr = float(extra.get("psnr_y", -math.inf))
        self.base_psnr = extra.get("base_psnr")

    @property
    def known(self) -> bool:
        return self.step >= 0

    def offer(self, step: int, psnr: float, model: torch.nn.Module) -> bool:
        """Keep ``model``'s weights if they beat the best so far; True when they did."""
        if not psnr > self.psnr + MARGIN_DB:  # ties keep the earlier (less trained) weights
            return False
        if self.step < 0 and self.base_psnr is None:
            self.base_psnr = psnr  # the first weights offered are the initial ones
        self.step, self.psnr = step, psnr
        state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
        save_weights(self.path, state, self.arch, {"step": step, "psnr_y": psnr, "base_psnr": self.base_psnr})
        return True

    def weights(self) -> dict[str, torch.Tensor]:
        return load_weights(self.path)[0]

    def summary(self) -> dict[str, Any]:
        return {
            "best_step": self.step,
            "best_psnr": round(self.psnr, 4) if self.known else None,
            "base_psnr": round(self.base_psnr, 4) if self.base_psnr is not None else None,
        }
