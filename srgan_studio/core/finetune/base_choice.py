"""``--base auto``: the faithful base that scores best on the user's own held-out photos.

A fixed rule (``base.default_base``) cannot know the photos: on mild phone JPEGs
the restore model loses to SRResNet by about 0.7 dB, on heavier damage it wins.
So each faithful base of the run's scale upscales the held-out photos, degraded
by the run's preset exactly as the final evaluation degrades them, on a small
centre crop (seconds on a CPU), and the best mean Y-PSNR becomes the base. When
scoring cannot run, the rule chooses and the choice says why.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..descriptor import ModelDescriptor
from ..errors import StudioError
from .base import BaseModel, default_base
from .evaluate import EVAL_SIDE
from .state import BaseChoice, RunState

# The final figure's crops: the base chosen is the best on the numbers the user is shown at the end.
CHOICE_SIDE = EVAL_SIDE
Pair = tuple[np.ndarray, np.ndarray, np.ndarray]  # (HR, LR, the candidate's output)


def candidates(bases: list[BaseModel], scale: int) -> list[BaseModel]:
    return [b for b in bases if b.faithful and b.scale == scale]


def choose_base(
    bases: list[BaseModel], preset: str, heldout: list[Path], outputs: dict[str, list[Pair]] | None = None
) -> tuple[BaseModel, BaseChoice]:
    """The best faithful base on ``heldout`` under ``preset``; the rule's base when there is nothing to compare.

    ``bases`` must not be empty. ``outputs`` receives each scored candidate's (HR, LR, output) per photo,
    so the run keeps the chosen one's (base_scores.py) instead of upscaling the same pairs again."""
    rule = default_base(bases, preset)
    cands = candidates(bases, rule.scale)
    if not cands:
        return rule, BaseChoice(reason=_fallback("no installed base is known to be PSNR-trained", preset))
    if len(cands) == 1:
        return cands[0], BaseChoice(reason=f"the only PSNR-trained x{rule.scale} base installed")
    if not heldout:
        return rule, BaseChoice(reason=_fallback("there are no held-out photos to score on", preset))
    try:
        outputs = {} if outputs is None else outputs
        scores = {b.name: _mean_psnr(b, preset, heldout, outputs) for b in cands}
    except (StudioError, OSError) as exc:
        why = " ".join(str(exc).split())  # one line, whatever the runtime's message
        return rule, BaseChoice(reason=_fallback(f"the bases could not be scored ({why})", preset))
    best = max(cands, key=lambda b: scores[b.name])
    return best, BaseChoice({k: round(v, 3) for k, v in scores.items()}, len(heldout))


def _fallback(why: str, preset: str) -> str:
    return f"{why}; chosen by the rule for {preset} photos"


def _mean_psnr(base: BaseModel, preset: str, heldout: list[Path], outputs: dict[str, list[Pair]]) -> float:
    from ..metrics import psnr_y
    from .evaluate import degraded_pair, fp32_upscaler, upscale_checked

    up = fp32_upscaler(ModelDescriptor.load(base.onnx.with_suffix(".json")))
    pairs, scores = outputs.setdefault(base.name, []), []
    for path in heldout:
        hr, lr = degraded_pair(path, base.scale, preset, CHOICE_SIDE)
        sr = upscale_checked(up, lr, hr, path)
        pairs.append((hr, lr, sr))
        scores.append(psnr_y(sr, hr, base.scale))
    return float(np.mean(scores))


def describe_base(state: RunState) -> str:
    """'base: srresnet_x4, best on your 4 held-out photos (29.10 dB; restore_x4 28.40 dB)', or why else."""
    name, choice = state.base.name, state.base_choice
    if choice is None:
        return f"base: {name}"
    if not choice.scores:
        return f"base: {name} ({choice.reason})"
    ranked = sorted(choice.scores.items(), key=lambda kv: -kv[1])
    others = "; ".join(f"{k} {v:.2f} dB" for k, v in ranked if k != name)
    return f"base: {name}, best on your {choice.photos} held-out photos ({choice.scores[name]:.2f} dB; {others})"
