"""Training speed: the Trainer against a plain PyTorch loop, same model, same run.

    python benchmarks/bench_training.py [--steps 10] [--warmup 2] [--batch 16] [--patch 96]
                                        [--bn] [--nchw] [--stage psnr|gan] [--data DIR] [--rounds 1]

Both train SRResNet x4 (16 blocks, 64 channels; BN off unless --bn) with L1
and Adam, from the same initial weights, on batches drawn from the same
PatchDataset. The plain loop builds each batch inline and then steps; the
Trainer overlaps batch building with compute (prefetch thread) and adds its
bookkeeping (schedule, EMA off, JSON progress). Prints seconds per iteration,
iterations per second, and the Trainer / plain ratio (target: >= 1.0, i.e.
the Trainer is no slower). With ``--stage gan`` the Trainer runs the GAN
stage instead, and the ratio shows the cost of the discriminator.
Without --data, a folder of synthetic 256 px photos is made in a temp dir.

With ``--degradation PRESET`` (e.g. ``photo``), the Trainer is also timed on
batches made by the real-world degradation pipeline (core/degradation.py),
alternating with clean batches, and the pipeline / clean step-time ratio is
printed (target: <= 1.25x at batch 16, 96 px). ``--precision bf16`` times
the Trainer with bf16 autocast.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def make_folder(folder: Path, n: int = 24, size: int = 256) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    for i in range(n):
        fx, fy = rng.uniform(3, 20, 2)
        base = np.stack([128 + 100 * np.sin(x / fx + i), 128 + 90 * np.cos(y / fy), 255 * (x + y) / (2 * size)], -1)
        img = np.clip(base + rng.normal(0, 10, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(folder / f"photo_{i:03d}.png")
    return folder


def plain_loop(model, dataset, steps: int, warmup: int, batch: int, channels_last: bool) -> float:
    """Seconds per iteration of the textbook loop (batch built inline)."""
    import torch
    import torch.nn.functional as F

    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt).train()
    opt = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.9, 0.999))
    start = None
    for step in range(warmup + steps):
        if step == warmup:
            start = time.perf_counter()
        lr_np, hr_np = dataset.batch(1, step, batch)
        lr = torch.from_numpy(lr_np).contiguous(memory_format=fmt)
        hr = torch.from_numpy(hr_np).contiguous(memory_format=fmt)
        loss = F.l1_loss(model(lr), hr)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return (time.perf_counter() - start) / steps


def trainer_loop(model, dataset, args, run_dir: Path, precision: str = "fp32") -> float:
    """Seconds per iteration of the Trainer, timed between its own step records."""
    from srgan_studio.training.recipe import recipe_from_dict
    from srgan_studio.training.trainer import Trainer

    recipe = recipe_from_dict(
        {
            "experiment": {"seed": 1},
            "model": {"type": "srresnet", "scale": 4, "blocks": 16, "channels": 64, "batch_norm": args.bn},
            "data": {"train": str(dataset.folder), "patch_size": args.patch, "batch_size": args.batch},
            "train": {
                "stage": args.stage,
                "steps": args.warmup + args.steps,
                "lr": 2e-4,
                "schedule": "constant",
                "log_every": 1,
                "checkpoint_minutes": 1e6,
                "channels_last": not args.nchw,
                "precision": precision,
            },
        }
    )
    trainer = Trainer(recipe, run_dir, progress_file=False)
    trainer.generator.load_state_dict(model.state_dict())
    stamps: dict[int, float] = {}

    def emit(record):
        if record.get("event") == "step":
            stamps[record["step"]] = time.perf_counter()

    trainer.emit = emit
    trainer.train(dataset, val_sets={})
    return (stamps[args.warmup + args.steps] - stamps[args.warmup]) / args.steps


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--patch", type=int, default=96)
    p.add_argument("--bn", action="store_true", help="SRResNet with BatchNorm (the paper's)")
    p.add_argument("--nchw", action="store_true", help="contiguous NCHW instead of channels_last")
    p.add_argument("--stage", choices=("psnr", "gan"), default="psnr")
    p.add_argument("--data", help="photo folder (default: synthetic photos in a temp dir)")
    p.add_argument("--rounds", type=int, default=1, help="alternate plain / trainer this many times")
    p.add_argument("--degradation", default="clean", help="also time the trainer on this degradation preset")
    p.add_argument("--precision", choices=("fp32", "bf16"), default="fp32", help="the trainer's precision")
    args = p.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("bench_training needs torch", file=sys.stderr)
        return 1
    from srgan_studio.training.archs import build_model
    from srgan_studio.training.data import PatchDataset

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.data) if args.data else make_folder(Path(tmp) / "photos")
        dataset = PatchDataset(folder, args.patch, 4)
        torch.manual_seed(0)
        model = build_model("srresnet", scale=4, blocks=16, channels=64, batch_norm=args.bn)
        print(
            f"SRResNet x4 (BN {'on' if args.bn else 'off'}, {'NCHW' if args.nchw else 'channels_last'}), "
            f"batch {args.batch}, {args.patch} px HR, {args.steps} timed steps after {args.warmup} warm-up, "
            f"{torch.get_num_threads()} threads, trainer stage {args.stage}"
        )
        if args.degradation != "clean":
            return compare_degradation(model, folder, args, Path(tmp))
        plain, trainer = [], []
        for r in range(args.rounds):
            plain.append(plain_loop(copy.deepcopy(model), dataset, args.steps, args.warmup, args.batch, not args.nchw))
            trainer.append(trainer_loop(copy.deepcopy(model), dataset, args, Path(tmp) / f"run{r}", args.precision))
            print(f"  round {r + 1}: plain {plain[-1]:.3f} s/it, trainer {trainer[-1]:.3f} s/it", flush=True)
        sp, st = min(plain), min(trainer)
        print(f"plain loop : {sp:.3f} s/it  ({1 / sp:.3f} it/s)")
        print(f"trainer    : {st:.3f} s/it  ({1 / st:.3f} it/s)")
        print(f"trainer / plain speed: {sp / st:.2f}x  (>= 1.0 means the trainer is no slower)")
    return 0


def compare_degradation(model, folder: Path, args, tmp: Path) -> int:
    """The Trainer on clean batches against batches from the degradation pipeline, alternating."""
    from srgan_studio.core.degradation import config_from
    from srgan_studio.training.data import PatchDataset

    clean = PatchDataset(folder, args.patch, 4)
    degraded = PatchDataset(folder, args.patch, 4, config_from(args.degradation))
    times: dict[str, list[float]] = {"clean": [], args.degradation: []}
    for r in range(args.rounds):
        for name, data in (("clean", clean), (args.degradation, degraded)):
            times[name].append(trainer_loop(copy.deepcopy(model), data, args, tmp / f"{name}{r}", args.precision))
        print(f"  round {r + 1}: " + ", ".join(f"{k} {v[-1]:.3f} s/it" for k, v in times.items()), flush=True)
    best = {k: min(v) for k, v in times.items()}
    for name, s in best.items():
        print(f"trainer, {name:<10}: {s:.3f} s/it  ({1 / s:.3f} it/s, {args.precision})")
    print(f"pipeline / clean step time: {best[args.degradation] / best['clean']:.2f}x  (target <= 1.25x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
