"""Batch throughput: pipelined (reader / model / writer threads) against strictly one after another.

    python benchmarks/bench_batch.py [--images 64] [--size 256] [--model NAME ...] [--rounds 2]

Makes a folder of small PNG photos-like images, then runs the same batch with
``workers=0`` (read, model, write in turn) and ``workers=N`` (pipelined), in
the same process and alternating, for each model. Prints images per second
and the ratio. Without ``--model`` it measures bicubic and, when torch is
available, a tiny random SRResNet exported to ONNX (16 channels, 2 blocks),
which stands in for a light network: the point is the overlap, not the model.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from srgan_studio.core.batch import BatchJob, run_batch
from srgan_studio.core.upscale import drain


def make_folder(folder: Path, n: int, size: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    for i in range(n):
        fx, fy = rng.uniform(4, 20, 2)
        base = np.stack(
            [
                128 + 100 * np.sin(x / fx + i),
                128 + 100 * np.cos(y / fy),
                255 * (x + y) / (2 * size),
            ],
            axis=-1,
        )
        img = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(folder / f"photo_{i:03d}.png")


def tiny_onnx_model(data_dir: Path) -> str | None:
    """Export a tiny SRResNet into the user models folder; None without torch."""
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from model_fixtures import export_srresnet
    except ImportError:
        return None
    try:
        export_srresnet(data_dir / "models", "bench_tiny_x4", channels=16, blocks=2)
    except ImportError:
        return None
    return "bench_tiny_x4"


def run_once(src: Path, work: Path, model: str, workers: int, threads: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one batch into a fresh folder."""
    out = work / f"out-{model}-{workers}"
    shutil.rmtree(out, ignore_errors=True)
    start, cpu = time.perf_counter(), time.process_time()
    summary = drain(run_batch(BatchJob(src, out, [model], workers=workers, threads=threads)))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if summary.done != len(summary.results):
        raise SystemExit(f"benchmark run failed: {summary.line()}")
    shutil.rmtree(out, ignore_errors=True)
    return seconds, cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--model", action="append", help="registry model(s) (default: bicubic_x4 + a tiny ONNX model)")
    ap.add_argument("--workers", type=int, default=2, help="encoder threads of the pipelined run")
    ap.add_argument("--threads", type=int, default=0, help="inference threads (0: ONNX Runtime's choice)")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds; the best time of each mode is kept")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        os.environ.setdefault("SRGAN_STUDIO_DATA_DIR", str(work / "data"))
        os.environ.setdefault("SRGAN_STUDIO_CONFIG_DIR", str(work / "config"))
        models = args.model or ["bicubic_x4"]
        if not args.model:
            tiny = tiny_onnx_model(Path(os.environ["SRGAN_STUDIO_DATA_DIR"]))
            if tiny:
                models.append(tiny)
        src = work / "in"
        make_folder(src, args.images, args.size)
        print(
            f"{args.images} PNG images of {args.size}x{args.size}, x4 -> PNG; {os.cpu_count()} CPUs; "
            f"pipelined = 1 reader + model + {args.workers} writers; load average {os.getloadavg()[0]:.1f}"
        )
        print("(cores busy = process CPU time / wall time: how much of the machine the run kept busy)")
        print(
            f"{'model':<16} {'sequential img/s':>17} {'cores busy':>10} {'pipelined img/s':>16} {'cores busy':>10}"
            f" {'ratio':>7}"
        )
        for model in models:
            run_once(src, work, model, 0, args.threads)  # warm-up: session, caches
            best = {0: (float("inf"), 0.0), args.workers: (float("inf"), 0.0)}
            for _ in range(args.rounds):
                for workers in (0, args.workers):
                    best[workers] = min(best[workers], run_once(src, work, model, workers, args.threads))
            (ws, cs), (wp, cp) = best[0], best[args.workers]
            seq, pipe = args.images / ws, args.images / wp
            print(f"{model:<16} {seq:>17.2f} {cs / ws:>10.2f} {pipe:>16.2f} {cp / wp:>10.2f} {pipe / seq:>6.2f}x")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process: {peak:.0f} MB; load average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
