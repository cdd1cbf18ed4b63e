"""Any output size: is x2 through the model worth it, and are the sizes exact?

    python benchmarks/bench_sizes.py [--model srresnet_x4] [--sets ../shared/datasets/val/Set14 ...]

1. On each set, LR = HR (cropped to a multiple of 4) bicubic /4; ground truth = HR
   bicubic /2. Y-PSNR (BT.601, border 2) of
   - the model at --scale 2 (one x4 pass, then Lanczos down: what the app does),
   - Pillow bicubic x2 from the same LR,
   - the model's own x4 output downscaled by Pillow bicubic,
   with the time of --scale 2 over the plain x4 run, measured in the same loop.
2. Exact sizes for awkward targets, a two-pass x16 on a tiny image, x8 on 16-bit and alpha.
3. Shards N = 1, 2, 3, 7 over a generated folder: per-shard counts, overlap, union vs one batch.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from srgan_studio.core.batch import BatchJob, run_batch
from srgan_studio.core.batch_plan import Shard
from srgan_studio.core.imageio import Image, read_image
from srgan_studio.core.metrics import mod_crop, psnr_y
from srgan_studio.core.registry import bicubic_descriptor, default_registry
from srgan_studio.core.sizing import SizedUpscaler, SizeSpec, passes_needed
from srgan_studio.core.upscale import Upscaler, drain

BORDER = 2


def resize(arr: np.ndarray, w: int, h: int) -> np.ndarray:
    return np.asarray(PILImage.fromarray(arr).resize((w, h), PILImage.BICUBIC))


def x2_through_the_model(upscaler: Upscaler, folder: Path) -> None:
    sized = SizedUpscaler(upscaler, SizeSpec(scale=2))
    drain(upscaler.run(Image(np.zeros((16, 16, 3), np.uint8))))  # load the model outside the timing
    scores = {"--scale 2": [], "bicubic x2": [], "x4 then bicubic down": []}
    t_sized = t_native = 0.0
    wins = 0
    for path in sorted(folder.glob("*.png")):
        hr = mod_crop(read_image(path).color, 4)
        if hr.shape[2] == 1:
            hr = np.repeat(hr, 3, axis=2)
        h, w = hr.shape[:2]
        lr = resize(hr, w // 4, h // 4)
        truth = resize(hr, w // 2, h // 2)
        # Alternating which goes first, so neither always meets a warm cache.
        for which in (0, 1) if len(scores["--scale 2"]) % 2 else (1, 0):
            start = time.perf_counter()
            if which == 0:
                via_model = drain(sized.run(Image(lr))).color
                t_sized += time.perf_counter() - start
            else:
                native = drain(upscaler.run(Image(lr))).color
                t_native += time.perf_counter() - start
        got = {
            "--scale 2": psnr_y(via_model, truth, BORDER),
            "bicubic x2": psnr_y(resize(lr, w // 2, h // 2), truth, BORDER),
            "x4 then bicubic down": psnr_y(resize(native, w // 2, h // 2), truth, BORDER),
        }
        wins += got["--scale 2"] > got["bicubic x2"]
        for key, value in got.items():
            scores[key].append(value)
    n = len(scores["--scale 2"])
    line = " | ".join(f"{key} {np.mean(v):.2f} dB" for key, v in scores.items())
    print(f"{folder.name} ({n} images): {line}")
    print(f"  --scale 2 beats bicubic x2 on {wins}/{n}; time --scale 2 / native x4 = {t_sized / t_native:.2f}x")


def exact_sizes() -> None:
    cases = [
        ((1001, 1), SizeSpec(width=3000)),
        ((1, 37), SizeSpec(height=100)),
        ((400, 300), SizeSpec(width=99)),
        ((300, 200), SizeSpec(width=100, height=100)),
        ((7, 5), SizeSpec(scale=16)),
        ((33, 17), SizeSpec(scale=3)),
        ((33, 17), SizeSpec(scale=2.5)),
        ((640, 480), SizeSpec(width=3000, height=2000)),
        ((5, 3), SizeSpec(scale=1)),
    ]
    up = Upscaler(bicubic_descriptor(4))
    exact = 0
    for (w, h), spec in cases:
        want = spec.target(w, h, 4)
        out = drain(SizedUpscaler(up, spec).run(Image(np.full((h, w, 3), 128, np.uint8))))
        ok = (out.width, out.height) == want
        exact += ok
        print(
            f"  {w}x{h} {spec.tag(4):>10} -> {out.width}x{out.height} (want {want[0]}x{want[1]}) {'ok' if ok else 'WRONG'}"
        )
    print(f"sizes exact in {exact}/{len(cases)} cases")


def special_inputs(upscaler: Upscaler) -> None:
    tiny = Image(np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8))
    out = drain(SizedUpscaler(upscaler, SizeSpec(scale=16)).run(tiny))
    print(
        f"x16 on 7x5 with {upscaler.descriptor.name}: {out.width}x{out.height} in "
        f"{passes_needed(16, upscaler.scale)} passes"
    )
    rng = np.random.default_rng(1)
    deep = Image((rng.random((12, 10, 3)) * 65535).astype(np.uint16), np.full((12, 10), 50000, np.uint16))
    out = drain(SizedUpscaler(upscaler, SizeSpec(scale=8)).run(deep))
    print(
        f"x8 on 16-bit RGBA 10x12: {out.width}x{out.height}, {out.color.dtype}, "
        f"{len(np.unique(out.color))} distinct levels, alpha {out.alpha.dtype} {out.alpha.min()}-{out.alpha.max()}"
    )
    grey = Image(np.full((6, 6, 1), 90, np.uint8), np.full((6, 6), 255, np.uint8))
    out = drain(SizedUpscaler(upscaler, SizeSpec(scale=8)).run(grey))
    print(f"x8 on grey+alpha 6x6: colour {out.color.shape}, alpha {out.alpha.shape}")


def shards(tmp: Path, files: int = 10) -> None:
    src = tmp / "in"
    src.mkdir()
    rng = np.random.default_rng(2)
    for i in range(files):
        PILImage.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)).save(src / f"img{i:02d}.png")
    whole = tmp / "whole"
    drain(run_batch(BatchJob(src, whole, models=["bicubic_x4"], workers=0)))
    reference = {p.name: p.read_bytes() for p in whole.glob("*.png")}
    for n in (1, 2, 3, 7):
        out = tmp / f"sharded{n}"
        counts, seen = [], set()
        overlap = 0
        for k in range(1, n + 1):
            before = set(p.name for p in out.glob("*.png")) if out.exists() else set()
            drain(run_batch(BatchJob(src, out, models=["bicubic_x4"], workers=0, shard=Shard(k, n))))
            new = set(p.name for p in out.glob("*.png")) - before
            overlap += len(new & seen)
            seen |= new
            counts.append(len(new))
        union = {p.name: p.read_bytes() for p in out.glob("*.png")}
        print(f"  N={n}: per shard {counts}, overlap {overlap}, union equals one batch: {union == reference}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="srresnet_x4")
    parser.add_argument("--sets", nargs="*", type=Path, default=[Path("../shared/datasets/val/Set14")])
    args = parser.parse_args()
    upscaler = Upscaler(default_registry().get(args.model))
    for folder in args.sets:
        x2_through_the_model(upscaler, folder)
    exact_sizes()
    special_inputs(upscaler)
    with tempfile.TemporaryDirectory() as tmp:
        print("shards:")
        shards(Path(tmp))


if __name__ == "__main__":
    main()
