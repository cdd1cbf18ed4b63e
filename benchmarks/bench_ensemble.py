"""Self-ensemble cost: seconds for ``ensemble`` 1 against N in the same run, and the ratio.

The app's engine (Upscaler, default tiles) on a registry model, fp32 unless --precision, on a
photo-like image; each mode is timed best-of ``--repeats`` after one warm-up, with wall and CPU
seconds (the machine may be shared; CPU time is what the run used). It also prints how far
each mode's output moved from the single pass (mean and max abs, 1/255 units).

    nice python benchmarks/bench_ensemble.py                      # restore_x4, 256 px, modes 1 2 4 8
    nice python benchmarks/bench_ensemble.py --model srresnet_x4 --size 512 --passes 1 8

The quality side is measured by eval: ``srgan-studio eval --ensemble N`` (README, MODEL_CARD).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from srgan_studio.core.ensemble import PASSES
from srgan_studio.core.imageio import Image
from srgan_studio.core.registry import default_registry
from srgan_studio.core.upscale import Upscaler, drain


def photo(size: int, seed: int = 0) -> np.ndarray:
    """Smooth colour, hard edges and noise (uint8 HWC), as bench_inference.py uses."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    base = 0.5 + 0.3 * np.sin(xx / 9.0 + yy / 13.0)[..., None] * np.array([1.0, 0.8, 0.6], np.float32)
    base += 0.2 * ((xx // 37 + yy // 53) % 2)[..., None]
    return (np.clip(base + rng.normal(0, 0.05, (size, size, 3)), 0, 1) * 255 + 0.5).astype(np.uint8)


def timed(upscaler: Upscaler, image: Image, repeats: int) -> tuple[float, float, np.ndarray]:
    """(best wall s, its CPU s, output) after one untimed warm-up."""
    out = drain(upscaler.run(image))
    best = (float("inf"), 0.0)
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        out = drain(upscaler.run(image))
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return best[0], best[1], out.color


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="restore_x4", help="registry model (default restore_x4)")
    p.add_argument("--size", type=int, default=256, help="input side in px (output is x4)")
    p.add_argument("--passes", type=int, nargs="+", default=list(PASSES), choices=PASSES, help="modes to time")
    p.add_argument("--repeats", type=int, default=2, help="timed runs per mode; the best counts")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0 = all cores)")
    p.add_argument("--precision", default="fp32", help="engine precision (default fp32)")
    p.add_argument("--tile", type=int, default=0, help="tile size (0 = the engine's automatic choice)")
    args = p.parse_args()

    desc = default_registry().get(args.model)
    image = Image(photo(args.size))
    passes = sorted(set(args.passes) | {1})
    rows = {}
    for n in passes:
        up = Upscaler(desc, device="cpu", precision=args.precision, threads=args.threads, tile=args.tile, ensemble=n)
        rows[n] = timed(up, image, args.repeats)
    base_wall, base_cpu, base_out = rows[1]
    session = Upscaler(desc, device="cpu", precision=args.precision, threads=args.threads).session
    print(f"{desc.name}, {args.size}x{args.size} -> x{desc.scale}, {session.describe()}, best of {args.repeats}")
    print(f"{'passes':>6} {'wall s':>8} {'CPU s':>8} {'ratio':>6} {'CPU ratio':>9} {'mean |d|':>9} {'max |d|':>8}")
    for n, (wall, cpu, out) in rows.items():
        diff = np.abs(out.astype(np.int16) - base_out.astype(np.int16))
        print(
            f"{n:>6} {wall:>8.2f} {cpu:>8.2f} {wall / base_wall:>6.2f} {cpu / base_cpu:>9.2f} "
            f"{diff.mean():>9.3f} {int(diff.max()):>8}"
        )


if __name__ == "__main__":
    main()
