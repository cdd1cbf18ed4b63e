"""Imported community model against the bundled one: a full-size ESRGAN (RRDBNet, 23 blocks, 64 channels, x4)
with random weights, imported through spandrel, upscales a 128x128 image beside ``srresnet_x4``, in one run.

Prints the import's wall time (load, ONNX export and checks, fp16 check, receptive field), the ONNX vs
PyTorch max difference, and each model's upscale time (best of ``--repeats``, fp32, CPU, app defaults
otherwise) with their ratio.

    nice python benchmarks/bench_imported.py              # a few minutes on 2 cores
Needs the `train` extra (torch, spandrel).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def upscale_seconds(descriptor, image, repeats: int) -> float:
    from srgan_studio.core.upscale import Upscaler

    upscaler = Upscaler(descriptor, device="cpu", precision="fp32")
    best = float("inf")
    for _ in range(repeats + 1):  # the first run is a warm-up (session creation)
        started = time.perf_counter()
        gen = upscaler.run(image)
        for _ in gen:
            pass
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    import torch
    from safetensors.torch import save_file
    from spandrel.architectures.ESRGAN import ESRGAN

    from srgan_studio.core.imageio import Image
    from srgan_studio.core.registry import Registry
    from srgan_studio.training.import_model import import_pytorch_model

    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        src = Path(tmp) / "esrgan_full_x4.safetensors"
        save_file({k: v.contiguous() for k, v in ESRGAN().state_dict().items()}, str(src))
        registry = Registry(user_dir=Path(tmp) / "user")
        started = time.perf_counter()
        imported = import_pytorch_model(src, registry, name="esrgan_full_x4")
        import_s = time.perf_counter() - started
        print(
            f"import: {import_s:.1f} s; ONNX vs PyTorch max diff {imported.provenance['export']['max_abs_diff']:.2e}; "
            f"fp16 {imported.fp16}; receptive field {imported.receptive_field} px"
        )
        rng = np.random.default_rng(0)
        image = Image(color=rng.integers(0, 256, (args.size, args.size, 3), dtype=np.uint8))
        bundled = registry.get("srresnet_x4")
        t_imported = upscale_seconds(imported, image, args.repeats)
        t_bundled = upscale_seconds(bundled, image, args.repeats)
        print(
            f"{args.size}x{args.size} -> x4, fp32, CPU: esrgan_full_x4 {t_imported:.2f} s, "
            f"srresnet_x4 {t_bundled:.2f} s, ratio {t_imported / t_bundled:.1f}x"
        )


if __name__ == "__main__":
    main()
