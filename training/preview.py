"""Render a fine-tuning preview: ``python -m srgan_studio.training.preview WEIGHTS HR.png OUT.png``.

Runs in its own short-lived process (started by core/finetune.py at each
checkpoint), so neither the GUI nor the trainer ever holds a second model.
The LR crop is made once from the held-out HR crop with the run's degradation
preset and a fixed seed, and reused, so every preview is of the same input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image


def export_main(argv: list[str]) -> int:
    """``--export WEIGHTS OUT.onnx``: the verified exporter, for installs whose CLI lacks ``export``."""
    from ..core.errors import StudioError
    from .export import export_onnx

    try:
        export_onnx(argv[0], argv[1])
    except StudioError as exc:
        print(f"srgan-studio: error: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--export"]:
        return export_main(argv[1:])
    p = argparse.ArgumentParser(prog="python -m srgan_studio.training.preview")
    p.add_argument("weights", help="generator .safetensors or a checkpoint .json")
    p.add_argument("hr", help="held-out HR crop (PNG)")
    p.add_argument("out", help="where to write the model's output (PNG)")
    p.add_argument("--preset", default="clean")
    p.add_argument("--lr-out", required=True, help="the LR crop (made once, then reused)")
    p.add_argument("--bicubic-out", required=True, help="bicubic upscale of the LR crop (made once)")
    args = p.parse_args(argv)

    import torch

    from ..core.degradation import PRESETS, degrade
    from .checkpoint import CheckpointError, load_weights
    from .trainer import build_generator
    from .validation import run_model

    torch.set_num_threads(1)  # the trainer has the cores; a preview is small
    try:
        state, arch, _ = load_weights(args.weights)
    except CheckpointError as exc:
        print(f"srgan-studio: error: {exc}", file=sys.stderr)
        return 1
    scale = int(arch.get("options", {}).get("scale", 4))
    lr_path, bic_path = Path(args.lr_out), Path(args.bicubic_out)
    if lr_path.is_file():
        lr = np.asarray(Image.open(lr_path).convert("RGB"))
    else:
        hr = np.asarray(Image.open(args.hr).convert("RGB"))
        lr = degrade(hr, scale, PRESETS[args.preset], np.random.default_rng(12345))
        _save(Image.fromarray(lr), lr_path)
    if not bic_path.is_file():
        _save(Image.fromarray(lr).resize((lr.shape[1] * scale, lr.shape[0] * scale), Image.BICUBIC), bic_path)
    model = build_generator(arch)
    model.load_state_dict(state)
    model.eval()
    _save(Image.fromarray(run_model(model, lr, channels_last=False)), Path(args.out))
    return 0


def _save(im: Image.Image, path: Path) -> None:
    tmp = path.with_name(f".srgan-partial-{path.name}")
    im.save(tmp, "PNG")
    tmp.replace(path)


if __name__ == "__main__":
    sys.exit(main())
