"""Inference benchmark on the bundled SRResNet x4: the app's CPU path against what a user would run instead.

In one run, on the same weights and the same inputs (256->1024 and 640->2560):
  * the app (Upscaler, default tiles, precision auto = bf16 where the CPU has it, and --precision fp32)
    against a Real-ESRGAN-style PyTorch NCHW ``tile_process`` (tile 128, pad 10, fp32 eager);
  * the app against a raw one-pass ONNX Runtime session (default options);
  * tiled against one pass (max abs difference, 1/255 units), bf16 and fp32;
  * Y-PSNR on Set5 (LR = Pillow bicubic /4, border 4) through bf16 and fp32;
  * peak RSS of each run (each in its own process, so the figure is its own).
Wall and CPU seconds are both printed (the machine may be shared: CPU time is what the run itself used);
the ratios compare rows of this same run. Timed runs are the best of ``--repeats`` after a warm-up.

    nice python benchmarks/bench_inference.py                # about 4 minutes on 2 cores
    nice python benchmarks/bench_inference.py --sizes 256 --repeats 1

Needs torch and safetensors (the `train` extra) for the PyTorch reference.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
DESCRIPTOR = ROOT / "resources" / "models" / "srresnet_x4.json"
SET5 = ROOT.parent / "shared" / "datasets" / "val" / "Set5"


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def photo(size: int, seed: int = 0) -> np.ndarray:
    """A photo-like test image: smooth colour, edges and noise (uint8 HWC)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    base = 0.5 + 0.3 * np.sin(xx / 9.0 + yy / 13.0)[..., None] * np.array([1.0, 0.8, 0.6], np.float32)
    base += 0.2 * ((xx // 37 + yy // 53) % 2)[..., None]
    return (np.clip(base + rng.normal(0, 0.05, (size, size, 3)), 0, 1) * 255 + 0.5).astype(np.uint8)


def timed(fn, repeats: int) -> tuple[float, float, object]:
    """(best wall seconds, CPU seconds of that run, result)."""
    best = (math.inf, math.inf, None)
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        run = (time.perf_counter() - wall, time.process_time() - cpu, result)
        best = min(best, run, key=lambda r: r[0])
    return best


# ---------------------------------------------------------------- the engines (run in a worker process)


def torch_model():
    """The bundled weights in the training architecture, fp32, eval mode."""
    import torch
    from safetensors.torch import load_file

    from srgan_studio.core.descriptor import ModelDescriptor
    from srgan_studio.training.archs import build_model

    d = ModelDescriptor.load(DESCRIPTOR)
    model = build_model("srresnet", **d.provenance["arch_options"]).eval()
    model.load_state_dict(load_file(str(DESCRIPTOR.with_suffix(".safetensors"))))  # bundled beside the ONNX file
    torch.set_grad_enabled(False)
    return model


def realesrgan_tile_process(model, img: np.ndarray, scale: int = 4, tile: int = 128, pad: int = 10) -> np.ndarray:
    """Real-ESRGAN's RealESRGANer.tile_process (NCHW tiles with ``pad`` context), uint8 in and out."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float().div_(255).unsqueeze(0)
    _, c, h, w = x.shape
    out = x.new_zeros((1, c, h * scale, w * scale))
    for ty in range(math.ceil(h / tile)):
        for tx in range(math.ceil(w / tile)):
            x0, y0 = tx * tile, ty * tile
            x1, y1 = min(x0 + tile, w), min(y0 + tile, h)
            px0, py0, px1, py1 = max(x0 - pad, 0), max(y0 - pad, 0), min(x1 + pad, w), min(y1 + pad, h)
            y_tile = model(x[:, :, py0:py1, px0:px1])
            ox, oy = (x0 - px0) * scale, (y0 - py0) * scale
            out[:, :, y0 * scale : y1 * scale, x0 * scale : x1 * scale] = y_tile[
                :, :, oy : oy + (y1 - y0) * scale, ox : ox + (x1 - x0) * scale
            ]
    return out[0].clamp_(0, 1).mul_(255).round_().byte().permute(1, 2, 0).numpy()


def app_upscaler(precision: str, threads: int):
    from srgan_studio.core.descriptor import ModelDescriptor
    from srgan_studio.core.upscale import Upscaler

    return Upscaler(ModelDescriptor.load(DESCRIPTOR), device="cpu", threads=threads, precision=precision)


def app_run(up, img: np.ndarray, tile: int | None = None) -> np.ndarray:
    from srgan_studio.core.imageio import Image
    from srgan_studio.core.upscale import drain

    return drain(up.run(Image(img), tile=tile)).color


def raw_ort(threads: int):
    import onnxruntime as ort

    from srgan_studio.core.descriptor import ModelDescriptor

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    session = ort.InferenceSession(
        str(ModelDescriptor.load(DESCRIPTOR).model_path), opts, providers=["CPUExecutionProvider"]
    )

    def run(img: np.ndarray) -> np.ndarray:
        y = session.run(None, {"input": img.transpose(2, 0, 1)[None].astype(np.float32) / 255})[0]
        return np.clip(y[0].transpose(1, 2, 0) * 255 + 0.5, 0, 255).astype(np.uint8)

    return run


def worker(mode: str, size: int, threads: int, repeats: int, save: str | None) -> dict:
    img = photo(size, 1)
    warm = photo(48, 2)
    info = {}
    if mode == "torch_tiler":
        import torch

        torch.set_num_threads(threads)
        model = torch_model()
        realesrgan_tile_process(model, warm)
        fn = lambda: realesrgan_tile_process(model, img)  # noqa: E731
    elif mode == "ort_one_pass":
        run = raw_ort(threads)
        run(warm)
        fn = lambda: run(img)  # noqa: E731
    else:  # app_<precision> or app_<precision>_one_pass
        precision = mode.split("_")[1]
        tile = size if mode.endswith("one_pass") else None
        up = app_upscaler(precision, threads)
        app_run(up, warm, tile)
        info = {"engine": up.session.describe(), "tile": tile or up.tile}
        fn = lambda: app_run(up, img, tile)  # noqa: E731
    wall, cpu, out = timed(fn, repeats)
    if save:
        np.save(save, out)
    return {"mode": mode, "wall": wall, "cpu": cpu, "peak_mb": peak_rss_mb(), **info}


def set5_worker(threads: int) -> dict:
    from PIL import Image as PILImage

    from srgan_studio.core.imageio import read_image
    from srgan_studio.core.metrics import mod_crop, psnr_y

    ups = {p: app_upscaler(p, threads) for p in ("bf16", "fp32")}
    scores: dict[str, list[float]] = {p: [] for p in ups}
    for path in sorted(SET5.glob("*.png")):
        hr = mod_crop(read_image(path).color[..., :3], 4)
        h, w = hr.shape[:2]
        lr = np.asarray(PILImage.fromarray(hr).resize((w // 4, h // 4), PILImage.BICUBIC))
        for p, up in ups.items():
            scores[p].append(psnr_y(app_run(up, lr), hr, 4))
    return {p: float(np.mean(v)) for p, v in scores.items()} | {
        "images": len(scores["fp32"]),
        "engine": ups["bf16"].session.describe(),
    }


def call_worker(*args: str) -> dict:
    out = subprocess.run([sys.executable, str(HERE), "--worker", *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"worker {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- report


def max_diff(a: Path, b: Path) -> int:
    return int(np.abs(np.load(a).astype(int) - np.load(b).astype(int)).max())


def report_size(size: int, threads: int, repeats: int, tmp: Path) -> None:
    rows = {}
    for mode in ("torch_tiler", "ort_one_pass", "app_auto", "app_fp32", "app_auto_one_pass", "app_fp32_one_pass"):
        reps = 1 if mode.endswith("one_pass") and mode.startswith("app") else repeats
        rows[mode] = call_worker(mode, str(size), str(threads), str(reps), str(tmp / f"{mode}_{size}.npy"))
    torch_row, ort_row = rows["torch_tiler"], rows["ort_one_pass"]
    print(f"\n{size}x{size} -> {4 * size}x{4 * size}, {threads} threads, best of {repeats}")
    print(
        f"{'engine':<52} {'wall s':>7} {'CPU s':>7} {'peak RSS MB':>12} {'vs tiler wall/CPU':>18} "
        f"{'vs ORT wall/CPU':>16}"
    )
    labels = {
        "torch_tiler": "Real-ESRGAN-style PyTorch tile_process (128, pad 10)",
        "ort_one_pass": "ONNX Runtime, one pass, default options",
        "app_auto": "app, precision auto (tiled)",
        "app_fp32": "app, --precision fp32 (tiled)",
    }
    for mode, label in labels.items():
        r = rows[mode]
        vs_t = f"{torch_row['wall'] / r['wall']:.2f}x / {torch_row['cpu'] / r['cpu']:.2f}x"
        vs_o = f"{ort_row['wall'] / r['wall']:.2f}x / {ort_row['cpu'] / r['cpu']:.2f}x"
        print(f"{label:<52} {r['wall']:7.2f} {r['cpu']:7.2f} {r['peak_mb']:12.0f} {vs_t:>18} {vs_o:>16}")
    for p in ("auto", "fp32"):
        r = rows[f"app_{p}"]
        d = max_diff(tmp / f"app_{p}_{size}.npy", tmp / f"app_{p}_one_pass_{size}.npy")
        print(
            f"app {p}: {r['engine']}, tile {r['tile']}; tiled vs one pass max diff {d}/255 "
            f"(one pass peak RSS {rows[f'app_{p}_one_pass']['peak_mb']:.0f} MB)"
        )
    print(
        f"app auto vs fp32 (both tiled) max diff {max_diff(tmp / f'app_auto_{size}.npy', tmp / f'app_fp32_{size}.npy')}"
        f"/255; app fp32 vs PyTorch tiler max diff "
        f"{max_diff(tmp / f'app_fp32_{size}.npy', tmp / f'torch_tiler_{size}.npy')}/255",
        flush=True,
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 640], help="input sides (output is 4x)")
    p.add_argument("--threads", type=int, default=2, help="threads for every engine")
    p.add_argument("--repeats", type=int, default=2, help="timed runs per engine; the best counts")
    p.add_argument("--no-set5", action="store_true", help="skip the Set5 precision check")
    p.add_argument(
        "--imported",
        action="store_true",
        help="also import a full-size ESRGAN (RRDBNet x4, random weights) through spandrel and time it on 128x128 "
        "beside srresnet_x4 (benchmarks/bench_imported.py; needs the train extra, a few minutes)",
    )
    p.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        if args.worker[0] == "set5":
            print(json.dumps(set5_worker(int(args.worker[1]))))
        else:
            mode, size, threads, repeats, save = args.worker
            print(json.dumps(worker(mode, int(size), int(threads), int(repeats), save)))
        return

    import platform
    import tempfile

    print(
        f"bundled SRResNet x4 ({DESCRIPTOR}); {platform.processor() or platform.machine()}, "
        f"{__import__('os').cpu_count()} CPUs",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="srgan-bench-") as tmp:
        for size in args.sizes:
            report_size(size, args.threads, args.repeats, Path(tmp))
    if not args.no_set5 and SET5.is_dir():
        r = call_worker("set5", str(args.threads))
        print(
            f"\nSet5 Y-PSNR ({r['images']} images, LR bicubic /4, border 4; {r['engine']}): bf16 {r['bf16']:.3f} dB, "
            f"fp32 {r['fp32']:.3f} dB, difference {r['bf16'] - r['fp32']:+.3f} dB"
        )
    if args.imported:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_imported import main as imported_main

        print("\nimported community model (spandrel) beside srresnet_x4:")
        imported_main(["--size", "128"])


if __name__ == "__main__":
    main()
