"""INT8 post-training quantization of the bundled x4 models: is it faster than fp32 on a CPU, and as good?

For srresnet_x4 and restore_x4 (found through resources/models/*.json), in one run:
  * quantizes the fp32 ONNX to INT8: ONNX Runtime ``quantize_static`` (QDQ, per-channel s8 weights, u8
    activations, Conv only, MinMax) calibrated on 32 LR crops (Pillow bicubic /4) of ../shared/datasets/train,
    the app's own int8 twin (settings precision int8) (core/runtime/int8.py: that recipe calibrated on synthetic pictures;
    the figures below ran on a byte-identical copy of its generator), and OpenVINO NNCF post-training
    quantization when ``nncf`` imports (add its install to PYTHONPATH; it is no project dependency);
  * times fp32, bf16 and int8 on the same inputs (256x256 one pass, 480x640 in 256 px tiles with 12 px of
    context like the app; best of ``--repeats`` after a warm-up, wall and CPU seconds; the variants take
    turns in each round, so a shared machine's load falls on all of them);
  * scores Y-PSNR (border 4) on Set5 and Set14 (LR = Pillow bicubic /4) and the max / mean abs output
    difference to fp32 (0-255 units, before rounding);
  * saves 1:1 and 4x-zoom crops of fp32 against int8 under ``--crops``.

    nice .venv/bin/python benchmarks/bench_int8.py                      # ~22 min on 2 busy cores
    PYTHONPATH=/tmp/h24/nncf_site nice .venv/bin/python benchmarks/bench_int8.py --models srresnet_x4

Figures, 2026-12-04, AMD EPYC 2 cores (AVX-512, VNNI, BF16; shared with other jobs, load ~2.5), 2 threads,
ONNX Runtime 1.31.1, OpenVINO 2026.4.1, NNCF 3.4.0; ``PYTHONPATH=<nncf> nice .venv/bin/python
benchmarks/bench_int8.py``. Seconds wall / CPU, best of 3; ratios against fp32 of the same engine, same run;
dB are Y-PSNR differences to fp32; |d| in 1/255:

  srresnet_x4                 256x256 wall/CPU  ratio      480x640 wall/CPU  ratio     dSet5  dSet14 max|d| mean|d|
  OV fp32                        4.45 / 4.33   1.00/1.00    11.76 / 22.34  1.00/1.00   30.775  27.786 (dB)
  OV bf16                        2.16 / 2.14   2.06/2.02     6.31 / 11.46  1.86/1.95   -0.003  -0.004   2.2  0.22
  OV int8 QDQ, train calib       0.63 / 1.25   7.09/3.47     3.76 /  7.19  3.13/3.11   -0.018  -0.013  46.4  0.45
  OV int8 QDQ, synth calib       0.63 / 1.25   7.03/3.46     3.60 /  6.91  3.27/3.23   -0.035  -0.020  17.4  0.54
  OV int8 NNCF, train calib      0.61 / 1.16   7.35/3.72     3.28 /  6.35  3.58/3.52   -0.116  -0.153  88.8  0.98
  ORT fp32                       3.06 / 5.10   1.00/1.00    19.91 / 27.58  1.00/1.00
  ORT int8 QDQ, train calib     13.34 / 13.98  0.23/0.36    61.89 / 54.50  0.32/0.51   -0.021  -0.015  46.4  0.46
  restore_x4
  OV fp32                        2.35 / 4.44   1.00/1.00    11.97 / 23.06  1.00/1.00   29.570  27.009 (dB)
  OV bf16                        1.11 / 2.15   2.11/2.07     5.96 / 11.48  2.01/2.01   -0.009  -0.008   2.2  0.22
  OV int8 QDQ, train calib       0.66 / 1.29   3.57/3.43     3.48 /  6.81  3.44/3.39   -0.003  -0.003  18.7  0.45
  OV int8 QDQ, synth calib       0.69 / 1.29   3.40/3.45     3.68 /  7.11  3.25/3.25   +0.006  +0.006   6.3  0.50
  OV int8 NNCF, train calib      0.62 / 1.20   3.79/3.70     3.48 /  6.64  3.44/3.47   -0.024  -0.073  45.7  0.97
  ORT fp32                       2.96 / 5.12   1.00/1.00    18.86 / 32.92  1.00/1.00
  ORT int8 QDQ, train calib     10.65 / 11.98  0.28/0.43    43.94 / 52.55  0.43/0.63   +0.001  -0.001  18.7  0.46

(srresnet's OV fp32 256 px row ran on about one core in all three tries: its wall ratio overstates; CPU
ratios are the honest ones.) The largest differences are single pixels on edges (zebra stripes, ppt3 text).
Crops (1:1 and 4x, fp32 | int8 | |diff| x8) of comic, baboon, monarch and the worst spot: int8 looks the same;
no banding, blocks or colour shift; the x8 difference is faint noise following edges.

Conclusion: INT8 through OpenVINO (ONNX Runtime QDQ quantization: per-channel s8 weights, u8 activations,
Conv only, MinMax) ships as a user choice: 3.1-3.5x less CPU than fp32 (1.6-1.7x less than bf16) on this VNNI
CPU, within 0.035 dB on Set5 and Set14 for both models, and calibrating on synthetic pictures (no dataset) is
as good as on 32 training crops (-0.035/-0.020 dB against -0.018/-0.013 on srresnet_x4, +0.006 on restore_x4).
NNCF's default post-training quantization was 5-10% faster but lost up to 0.15 dB (over the bar), and it
brings ~200 MB of dependencies (scipy, scikit-learn): not used. ONNX Runtime's own int8 kernels were 2-4x
slower than its fp32 (its CPU path keeps the float LeakyRelu between int8 convolutions): int8 is OpenVINO-only.
Not measured: CPUs without VNNI (AVX2 only), where OpenVINO's int8 gains less.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MODELS = ROOT / "resources" / "models"
DATASETS = ROOT.parent / "shared" / "datasets"
TRAIN, VAL = DATASETS / "train", DATASETS / "val"


# ---------------------------------------------------------------- images


def read_rgb(path: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


def bicubic_down(hr: np.ndarray, scale: int = 4) -> np.ndarray:
    from PIL import Image

    h, w = hr.shape[:2]
    return np.asarray(Image.fromarray(hr).resize((w // scale, h // scale), Image.BICUBIC))


def to_nchw(img: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(img.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0


def to_u8(y: np.ndarray) -> np.ndarray:
    return np.clip(y[0].transpose(1, 2, 0) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def train_crops(n: int = 32, lr: int = 64, seed: int = 0) -> list[np.ndarray]:
    """``n`` LR crops (lr x lr, bicubic /4 of a 4*lr HR crop) from the training photos, deterministic."""
    files = sorted(p for p in TRAIN.rglob("*") if p.suffix.lower() in (".png", ".jpg", ".bmp"))
    rng = np.random.default_rng(seed)
    crops: list[np.ndarray] = []
    for i in rng.permutation(len(files)):
        hr = read_rgb(files[i])
        if min(hr.shape[:2]) < 4 * lr:
            continue
        y = int(rng.integers(0, hr.shape[0] - 4 * lr + 1))
        x = int(rng.integers(0, hr.shape[1] - 4 * lr + 1))
        crops.append(bicubic_down(hr[y : y + 4 * lr, x : x + 4 * lr]))
        if len(crops) == n:
            break
    return crops


# ---------------------------------------------------------------- quantization


def quantize_ort(src: Path, dst: Path, crops: list[np.ndarray]) -> Path:
    """The app's quantization, calibrated on training-photo crops instead of its synthetic set."""
    from srgan_studio.core.runtime.int8 import quantize

    quantize(src, dst, [to_nchw(c) for c in crops])
    return dst


def app_int8(src: Path, dst: Path) -> Path:
    """What ``--precision int8`` compiles: the app's own quantization, synthetic calibration."""
    from srgan_studio.core.runtime.int8 import quantize

    quantize(src, dst)
    return dst


def quantize_nncf(src: Path, dst: Path, crops: list[np.ndarray]) -> Path | None:
    try:
        import nncf
    except ImportError:
        return None
    import openvino as ov

    model = ov.Core().read_model(str(src))
    quantized = nncf.quantize(model, nncf.Dataset([to_nchw(c) for c in crops]), subset_size=len(crops))
    ov.save_model(quantized, str(dst))
    return dst


# ---------------------------------------------------------------- engines


def ov_runner(path: Path, hint: str, threads: int):
    from srgan_studio.core.runtime.devices import Target
    from srgan_studio.core.runtime.openvino_session import OpenVINOSession

    return OpenVINOSession(path, Target("openvino", "cpu"), threads, hint).run


def ort_runner(path: Path, threads: int):
    from srgan_studio.core.runtime.devices import Target
    from srgan_studio.core.runtime.ort_session import create_ort_session

    return create_ort_session(path, Target("onnxruntime", "cpu"), threads, "fp32").run


def variants(name: str, files: dict[str, Path], threads: int) -> dict[str, object]:
    """label -> run(x); the fp32 rows first (the references)."""
    from srgan_studio.core.runtime.precision import cpu_has_bf16

    fp32 = files["fp32"]
    out = {"OV fp32": lambda: ov_runner(fp32, "fp32", threads)}
    if cpu_has_bf16():
        out["OV bf16"] = lambda: ov_runner(fp32, "bf16", threads)
    out["OV int8 (ORT QDQ, train calib)"] = lambda: ov_runner(files["qdq"], "fp32", threads)
    out["OV int8 (ORT QDQ, synth calib)"] = lambda: ov_runner(files["qdq_synth"], "fp32", threads)
    if files.get("nncf"):
        out["OV int8 (NNCF, train calib)"] = lambda: ov_runner(files["nncf"], "fp32", threads)
    out["ORT fp32"] = lambda: ort_runner(fp32, threads)
    out["ORT int8 (QDQ, train calib)"] = lambda: ort_runner(files["qdq"], threads)
    return {k: v() for k, v in out.items()}


def reference_of(label: str) -> str:
    return "ORT fp32" if label.startswith("ORT") else "OV fp32"


# ---------------------------------------------------------------- measurements


def tiled(run, x: np.ndarray, tile: int, pad: int = 12, scale: int = 4) -> np.ndarray:
    """The app's way with large inputs: tiles with ``pad`` pixels of context, cores cut out and placed."""
    _, c, h, w = x.shape
    out = np.empty((1, c, h * scale, w * scale), np.float32)
    for y0 in range(0, h, tile):
        for x0 in range(0, w, tile):
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            py0, px0 = max(y0 - pad, 0), max(x0 - pad, 0)
            y = run(x[:, :, py0 : min(y1 + pad, h), px0 : min(x1 + pad, w)])
            oy, ox = (y0 - py0) * scale, (x0 - px0) * scale
            out[..., y0 * scale : y1 * scale, x0 * scale : x1 * scale] = y[
                ..., oy : oy + (y1 - y0) * scale, ox : ox + (x1 - x0) * scale
            ]
    return out


def timings(runs: dict, shapes: list[tuple[int, int]], repeats: int, tile: int) -> dict:
    """(label, shape) -> (best wall, CPU of that run); variants take turns each round.

    Inputs larger than ``tile`` run in tiles, as the app runs them (one 2560x1920 pass takes GBs)."""
    lenna = bicubic_down(read_rgb(VAL / "Set14" / "lenna.png"))  # a real picture: noise activates differently
    inputs = {}
    for s in shapes:
        reps = (math.ceil(s[0] / lenna.shape[0]), math.ceil(s[1] / lenna.shape[1]), 1)
        inputs[s] = to_nchw(np.tile(lenna, reps)[: s[0], : s[1]])
    best: dict = {}

    def go(run, x):
        return run(x) if max(x.shape[2:]) <= tile else tiled(run, x, tile)

    for run in runs.values():  # warm-up: first-run allocations and lazy compilation
        for s in shapes:
            go(run, inputs[s])
    for _ in range(repeats):
        for s in shapes:
            for label, run in runs.items():
                wall, cpu = time.perf_counter(), time.process_time()
                go(run, inputs[s])
                now = (time.perf_counter() - wall, time.process_time() - cpu)
                best[label, s] = min(best.get((label, s), (math.inf, 0.0)), now)
    return best


def quality(runs: dict) -> dict:
    """label -> {Set5: dB, Set14: dB, max: abs diff to its fp32, mean: ...}; plus the outputs for crops."""
    from srgan_studio.core.metrics import mod_crop, psnr_y

    scores: dict = {label: {} for label in runs}
    outputs: dict = {label: {} for label in runs}
    for bench in ("Set5", "Set14"):
        per: dict = {label: [] for label in runs}
        for path in sorted((VAL / bench).glob("*.png")):
            hr = mod_crop(read_rgb(path), 4)
            x = to_nchw(bicubic_down(hr))
            raw = {label: run(x) for label, run in runs.items()}
            for label, y in raw.items():
                per[label].append(psnr_y(to_u8(y), hr, 4))
                d = np.abs(y - raw[reference_of(label)]) * 255
                s = scores[label]
                if float(d.max()) > s.get("max", -1.0):
                    y0, x0 = np.unravel_index(int(d[0].max(axis=0).argmax()), d.shape[2:])
                    s["max"], s["worst"] = float(d.max()), (path.stem, int(y0), int(x0))
                s.setdefault("means", []).append(float(d.mean()))
                outputs[label][path.stem] = to_u8(y)
        for label in runs:
            scores[label][bench] = float(np.mean(per[label]))
    for s in scores.values():
        s["mean"] = float(np.mean(s.pop("means")))
    return scores, outputs


def save_crops(name: str, outputs: dict, scores: dict, where: Path) -> None:
    """fp32 | int8 | |diff| x8, at 1:1 (192 px) and 4x nearest zoom (48 px): the middle of three telling
    images, and around the largest difference of all."""
    from PIL import Image

    where.mkdir(parents=True, exist_ok=True)
    for label in outputs:
        if "int8" not in label:
            continue
        ref = outputs[reference_of(label)]
        tag = label.split("(")[1].rstrip(")").replace(", ", "_").replace(" ", "")
        worst = scores[label]["worst"]
        for stem in ("comic", "baboon", "monarch", "worst"):
            a, b = ref[worst[0] if stem == "worst" else stem], outputs[label][worst[0] if stem == "worst" else stem]
            y, x = (a.shape[0] - 192) // 2, (a.shape[1] - 192) // 2  # the middle: borders are not what differs
            if stem == "worst":
                stem = f"worst-{worst[0]}"
                y = min(max(worst[1] - 96, 0), a.shape[0] - 192)
                x = min(max(worst[2] - 96, 0), a.shape[1] - 192)
            diff = np.clip(np.abs(a.astype(int) - b.astype(int)) * 8, 0, 255).astype(np.uint8)
            rows = []
            for size, zoom in ((192, 1), (48, 4)):
                o = (192 - size) // 2
                parts = [
                    p[y + o : y + o + size, x + o : x + o + size].repeat(zoom, 0).repeat(zoom, 1) for p in (a, b, diff)
                ]
                rows.append(np.concatenate([np.pad(p, ((2, 2), (2, 2), (0, 0))) for p in parts], axis=1))
            Image.fromarray(np.concatenate(rows, axis=0)).save(where / f"{name}_{stem}_{tag}.png")


# ---------------------------------------------------------------- report


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=["srresnet_x4", "restore_x4"])
    p.add_argument("--sizes", nargs="+", default=["256x256", "480x640"], help="LR input HxW (output is 4x)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--tile", type=int, default=256, help="inputs larger than this run in tiles of it")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--calib", type=int, default=32, help="calibration crops")
    p.add_argument("--crops", type=Path, default=Path("/tmp/h24"), help="where the comparison PNGs go")
    args = p.parse_args()
    shapes = [tuple(int(v) for v in s.split("x")) for s in args.sizes]
    import logging

    import onnxruntime
    import openvino

    logging.getLogger().setLevel(logging.ERROR)  # quantize_static's "consider pre-processing" advice

    print(
        f"{platform.processor() or platform.machine()}, {args.threads} threads; ONNX Runtime {onnxruntime.__version__}"
        f", OpenVINO {openvino.__version__.split('-')[0]}; tiles of {args.tile} (pad 12) above that, best of {args.repeats}",
        flush=True,
    )
    t0 = time.perf_counter()
    train = train_crops(args.calib)
    with tempfile.TemporaryDirectory(prefix="srgan-int8-") as tmp:
        for name in args.models:
            src = MODELS / f"{name}.onnx"
            files = {
                "fp32": src,
                "qdq": quantize_ort(src, Path(tmp) / f"{name}_qdq.onnx", train),
                "qdq_synth": app_int8(src, Path(tmp) / f"{name}_qdq_synth.onnx"),
                "nncf": quantize_nncf(src, Path(tmp) / f"{name}_nncf.xml", train),
            }
            print(f"\n== {name}: quantized in {time.perf_counter() - t0:.0f} s", flush=True)
            runs = variants(name, files, args.threads)
            best = timings(runs, shapes, args.repeats, args.tile)
            scores, outputs = quality(runs)
            save_crops(name, outputs, scores, args.crops)
            head = "".join(f" {f'{h}x{w} wall/CPU s':>20} {'vs fp32':>13}" for h, w in shapes)
            worst = {k: v["worst"] for k, v in scores.items() if "int8" in k}
            print(f"largest differences (image, y, x): {worst}")
            print(
                f"{'variant':<32}{head} {'Set5 dB':>8} {'Set14 dB':>9} {'dSet5':>7} {'dSet14':>7} {'max|d|':>7} {'mean|d|':>7}"
            )
            for label in runs:
                ref = reference_of(label)
                line = f"{label:<32}"
                for s in shapes:
                    (w, c), (rw, rc) = best[label, s], best[ref, s]
                    line += f" {w:9.2f} / {c:8.2f} {rw / w:5.2f}x/{rc / c:5.2f}x"
                sc, rs = scores[label], scores[ref]
                line += f" {sc['Set5']:8.3f} {sc['Set14']:9.3f} {sc['Set5'] - rs['Set5']:+7.3f}"
                line += f" {sc['Set14'] - rs['Set14']:+7.3f} {sc['max']:7.2f} {sc['mean']:7.3f}"
                print(line, flush=True)
            del runs
    print(f"\ntotal {time.perf_counter() - t0:.0f} s; crops in {args.crops}")


if __name__ == "__main__":
    main()
