"""Inference benchmark: tiled ONNX Runtime pipeline vs one untiled ORT pass vs PyTorch eager.

All runs use the same random SRResNet x4 weights (16 blocks, 64 channels, no
BN) on the same image, each in a fresh subprocess so peak RSS is its own.
Prints output megapixels/s, peak RSS, MACs per pixel, GMAC/s, and the tile
size / overlap trade-off table behind the defaults in core/tiling.py.

    python benchmarks/bench_inference.py                 # 640x640 -> 2560x2560
    python benchmarks/bench_inference.py --size 320 --table-size 192 --quick
    python benchmarks/bench_inference.py --big 2000      # also the 2000x2000 photo RSS check

Needs torch (the `train` extra). Figures are ratios measured in the same run;
a busy machine slows every row alike.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()


def rss_mb() -> float:
    """Peak RSS of this process (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def photo(size: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    base = 0.5 + 0.3 * np.sin(xx / 9.0 + yy / 13.0)[..., None] * np.array([1.0, 0.8, 0.6], np.float32)
    return (np.clip(base + rng.normal(0, 0.08, (size, size, 3)), 0, 1) * 255 + 0.5).astype(np.uint8)


# ---------------------------------------------------------------- setup (parent)


def build(folder: Path) -> dict:
    sys.path.insert(0, str(HERE.parents[1] / "tests"))
    from model_fixtures import export_srresnet  # same exporter the tests use

    export_srresnet(folder, "bench_x4", channels=64, blocks=16, seed=0, save_state=True)
    macs = count_macs(_torch_model(folder), 32)
    return {"descriptor": str(folder / "bench_x4.json"), "macs_per_lr_pixel": macs}


def _torch_model(folder: Path):
    """The exact network the ONNX file holds (the exporter saved its state dict beside it)."""
    import torch

    from srgan_studio.training.archs import build_model

    model = build_model("srresnet", scale=4, channels=64, blocks=16, batch_norm=False, bicubic_skip=True).eval()
    model.load_state_dict(torch.load(folder / "bench_x4.pt"))
    return model


def count_macs(model, side: int) -> float:
    """Multiply-accumulates per LR input pixel, summed over every Conv2d (hooks on a real forward)."""
    import torch

    total = 0

    def hook(mod, inp, out):
        nonlocal total
        k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups
        total += out.numel() * k

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.inference_mode():
        model(torch.rand(1, 3, side, side))
    for h in handles:
        h.remove()
    return total / (side * side)


# ---------------------------------------------------------------- workers (subprocess)


def worker(args) -> dict:
    base = rss_mb()
    img = photo(args.size, 1)
    if args.mode == "tiled":
        from srgan_studio.core.descriptor import ModelDescriptor
        from srgan_studio.core.imageio import Image
        from srgan_studio.core.upscale import Upscaler, drain

        up = Upscaler(ModelDescriptor.load(args.descriptor), device="cpu", threads=args.threads,
                      tile=args.tile, overlap=args.overlap)
        drain(up.run(Image(photo(24, 2))))  # warm-up: session and arena
        ready = rss_mb()
        t = time.perf_counter()
        out = drain(up.run(Image(img)))
        seconds = time.perf_counter() - t
        result = out.color
        tiles = len(up.plan(args.size, args.size))
    elif args.mode == "untiled":
        from srgan_studio.core.descriptor import ModelDescriptor
        from srgan_studio.core.runtime import create_session

        d = ModelDescriptor.load(args.descriptor)
        sess = create_session(d.model_path, device="cpu", threads=args.threads)
        sess.run(np.random.rand(1, 3, 24, 24).astype(np.float32))
        ready = rss_mb()
        t = time.perf_counter()
        y = sess.run(img.transpose(2, 0, 1)[None].astype(np.float32) / 255.0)
        result = np.clip(y[0].transpose(1, 2, 0) * 255 + 0.5, 0, 255).astype(np.uint8)
        seconds = time.perf_counter() - t
        tiles = 1
    else:  # torch, torch_nchw
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        model = _torch_model(Path(args.descriptor).parent)
        channels_last = args.mode == "torch"
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        x = torch.from_numpy(img.transpose(2, 0, 1)[None].astype(np.float32) / 255.0)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            model(torch.rand(1, 3, 24, 24))
            ready = rss_mb()
            t = time.perf_counter()
            y = model(x)
            seconds = time.perf_counter() - t
        result = np.clip(y[0].permute(1, 2, 0).numpy() * 255 + 0.5, 0, 255).astype(np.uint8)
        tiles = 1
    if args.save:
        np.save(args.save, result)
    return {"mode": args.mode, "tile": args.tile, "overlap": args.overlap, "seconds": seconds, "tiles": tiles,
            "base_mb": base, "ready_mb": ready, "peak_mb": rss_mb()}


def run_worker(setup: dict, mode: str, size: int, threads: int, tile: int = 0, overlap: int | None = None,
               save: str | None = None) -> dict:
    cmd = [sys.executable, str(HERE), "--worker", mode, "--descriptor", setup["descriptor"], "--size", str(size),
           "--threads", str(threads), "--tile", str(tile)]
    if overlap is not None:
        cmd += ["--overlap", str(overlap)]
    if save:
        cmd += ["--save", save]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"worker {mode} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- report


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=int, default=640, help="input side in pixels (output is 4x)")
    p.add_argument("--table-size", type=int, default=384, help="input side for the trade-off tables")
    p.add_argument("--big", type=int, default=0, help="also run the tiled pipeline on a BIG x BIG image (RSS check)")
    p.add_argument("--threads", type=int, default=0, help="threads for ORT and torch (0 = all cores)")
    p.add_argument("--quick", action="store_true", help="fewer rows in the trade-off tables")
    p.add_argument("--no-torch-nchw", action="store_true", help="skip the slow PyTorch NCHW reference row")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--descriptor", help=argparse.SUPPRESS)
    p.add_argument("--tile", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--overlap", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--save", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        args.mode = args.worker
        print(json.dumps(worker(args)))
        return

    from srgan_studio.core.tiling import DEFAULT_OVERLAP, DEFAULT_TILE, padded_pixels, plan_tiles

    with tempfile.TemporaryDirectory(prefix="srgan-bench-") as tmp:
        tmp = Path(tmp)
        setup = build(tmp)
        macs = setup["macs_per_lr_pixel"]
        size = args.size
        lr_px = size * size
        out_mp = lr_px * 16 / 1e6
        print(f"SRResNet x4, 16 blocks, 64 channels, random weights; input {size}x{size} -> output {4 * size}x{4 * size}"
              f" ({out_mp:.1f} MP); {os.cpu_count()} CPUs; threads={args.threads or 'all'}")
        print(f"MACs per input pixel: {macs / 1e6:.3f} M  (per output pixel: {macs / 16 / 1e6:.3f} M);"
              f" whole image: {macs * lr_px / 1e9:.0f} GMAC")
        print()

        ref = str(tmp / "untiled.npy")
        print(f"{'method':<36} {'s':>7} {'out MP/s':>9} {'GMAC/s':>7} {'peak RSS MB':>12} {'vs one pass':>12}")
        one_pass = None
        runs = [
            ("untiled ORT, one pass", "untiled", ref),
            ("tiled ORT pipeline (defaults)", "tiled", str(tmp / "tiled.npy")),
            ("PyTorch eager, channels_last", "torch", None),
        ]
        if not args.no_torch_nchw:
            runs.append(("PyTorch eager, NCHW", "torch_nchw", None))
        for name, mode, save in runs:
            r = run_worker(setup, mode, size, args.threads, save=save)
            s = r["seconds"]
            one_pass = one_pass or s
            print(f"{name:<36} {s:7.2f} {out_mp / s:9.3f} {macs * lr_px / s / 1e9:7.1f} {r['peak_mb']:12.0f} "
                  f"{s / one_pass:11.2f}x", flush=True)
        diff = int(np.abs(np.load(tmp / "tiled.npy").astype(int) - np.load(ref).astype(int)).max())
        print(f"tiled vs one pass: max abs difference {diff}/255 "
              f"(default tile {DEFAULT_TILE}, overlap {DEFAULT_OVERLAP}, "
              f"{len(plan_tiles(size, size, DEFAULT_TILE, DEFAULT_OVERLAP))} tiles)")
        print(flush=True)

        # The tables use their own (smaller) image so the whole run stays in minutes.
        size = args.table_size
        lr_px = size * size
        ref = str(tmp / "untiled_table.npy")
        one_pass = run_worker(setup, "untiled", size, args.threads, save=ref)["seconds"]

        # Trade-off 1: tile size at the default overlap (time, RSS, computed overhead).
        tiles = (128, 224, 384) if args.quick else (128, 192, 224, 256, 320, 384)
        print(f"Tile size at overlap {DEFAULT_OVERLAP} on {size}x{size}:")
        print(f"{'tile':>5} {'tiles':>6} {'padded px':>10} {'time vs one pass':>17} {'peak RSS MB':>12} {'max diff':>9}")
        for tile in tiles:
            plan = plan_tiles(size, size, tile, DEFAULT_OVERLAP)
            save = str(tmp / f"t{tile}.npy")
            r = run_worker(setup, "tiled", size, args.threads, tile=tile, overlap=DEFAULT_OVERLAP, save=save)
            d = int(np.abs(np.load(save).astype(int) - np.load(ref).astype(int)).max())
            print(f"{tile:5d} {len(plan):6d} {padded_pixels(plan) / lr_px:9.2f}x {r['seconds'] / one_pass:16.2f}x "
                  f"{r['peak_mb']:12.0f} {d:8d}/255", flush=True)
        print()

        # Trade-off 2: overlap (context) at a small tile, where it matters most.
        overlaps = (4, 8, 16) if args.quick else (4, 8, 12, 16, 24, 32)
        tile = 64
        print(f"Overlap at tile {tile} on {size}x{size} (padded pixels / image pixels; error is what the context buys):")
        print(f"{'overlap':>7} {'padded px':>10} {'time vs one pass':>17} {'max diff':>9}")
        for ov in overlaps:
            plan = plan_tiles(size, size, tile, ov)
            save = str(tmp / f"o{ov}.npy")
            r = run_worker(setup, "tiled", size, args.threads, tile=tile, overlap=ov, save=save)
            d = int(np.abs(np.load(save).astype(int) - np.load(ref).astype(int)).max())
            print(f"{ov:7d} {padded_pixels(plan) / lr_px:9.2f}x {r['seconds'] / one_pass:16.2f}x {d:8d}/255", flush=True)

        if args.big:
            print()
            r = run_worker(setup, "tiled", args.big, args.threads)
            big_mp = args.big * args.big * 16 / 1e6
            print(f"Tiled pipeline on {args.big}x{args.big} -> {4 * args.big}x{4 * args.big}: {r['seconds']:.1f} s, "
                  f"{big_mp / r['seconds']:.3f} out MP/s, peak RSS {r['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
