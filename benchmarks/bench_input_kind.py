"""Does the automatic model choice pay? ``auto`` against always-srresnet_x4 and always-restore_x4.

    python benchmarks/bench_input_kind.py [--sets ../shared/datasets/val/Set5 ../shared/datasets/val/Set14]
                                          [--seeds 3] [--kinds-only]

For every HR image these inputs are written to a temp folder, as a user would have them:
- clean: HR bicubic /4, saved as PNG (should read as clean);
- photo: the HR through the "photo" degradation preset (seed 0), saved as a JPEG (q 90: a file that is
  a JPEG, as phone photos are; decided by name);
- photo png: the HR through the "photo" preset with each of --seeds seeds, saved as PNG, so only the
  pixel rule (noise, 8-px grid, blur) can tell;
- noise 5 png: the clean LR plus Gaussian noise (sigma 5 levels), saved as PNG;
- blur+noise png: the clean LR through a soft lens (Gaussian blur, sigma 0.7-2 px), then sensor noise
  (Gaussian, sigma 3-12 levels, colour or grey), with each of --seeds seeds, saved as PNG;
- jpeg q50 png: the clean LR through JPEG q 50, decoded and saved as PNG;
- camera jpeg: the clean LR saved as a JPEG at q 92, as a camera or phone saves (should read as clean:
  the clean twin wins on it; the JPEG's quality lets the pixels decide);
- web jpeg: the clean LR saved as a JPEG at q 70, as a web page or messenger re-compresses (a photo).
Plus synthetic screenshots (tests/kind_fixtures.py: tables ruled every 12, 16 or 24 px at several
offsets against the 8-px JPEG grid; flat UIs whose panels and buttons have their edges on the 8-px grid,
24 layouts with and without text), which should read as clean; they have no HR and are only classified.
Each input is classified by ``core/input_kind`` from its file, then upscaled x4 by both models; Y-PSNR
(border 4) against the clean HR. Prints per group how many were read as photo and as clean, and the
mean PSNR of each policy ("best" picks the better model per image: the most a rule could get).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import ImageFilter

from srgan_studio.core.degradation import config_from, degrade
from srgan_studio.core.imageio import read_image
from srgan_studio.core.input_kind import CLEAN, PHOTO, classify_file, faithful_model
from srgan_studio.core.metrics import mod_crop, psnr_y

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from kind_fixtures import RULE_STYLES, flat_ui, ruled_screenshot  # noqa: E402

MODELS = ("srresnet_x4", "restore_x4")
EXPECTED = {
    "clean": CLEAN,
    "photo": PHOTO,
    "photo png": PHOTO,
    "noise 5 png": PHOTO,
    "blur+noise png": PHOTO,
    "jpeg q50 png": PHOTO,
    "camera jpeg": CLEAN,
    "web jpeg": PHOTO,
}
JPEG_QUALITY = {"photo": 90, "camera jpeg": 92, "web jpeg": 70}
SCREENSHOTS = "screenshots"
FLAT_UI = "flat ui png"


def _jpeg(arr: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    PILImage.fromarray(arr).save(buf, "JPEG", quality=quality)
    return np.asarray(PILImage.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def blurred_noisy(lr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A soft lens, then sensor noise on top: the noise fills the fine detail that the blur took."""
    soft = np.asarray(PILImage.fromarray(lr).filter(ImageFilter.GaussianBlur(rng.uniform(0.7, 2.0))))
    channels = 1 if rng.random() < 0.5 else 3
    noise = rng.normal(0.0, rng.uniform(3.0, 12.0), (*soft.shape[:2], channels))
    return np.clip(soft + noise + 0.5, 0, 255).astype(np.uint8)


def inputs_for(hr_path: Path, index: int, tmp: Path, seeds: int) -> tuple[np.ndarray, list[tuple[str, Path]]]:
    hr = mod_crop(read_image(hr_path).color, 4)
    if hr.shape[2] == 1:
        hr = np.repeat(hr, 3, axis=2)
    h, w = hr.shape[:2]
    stem = tmp / hr_path.stem
    clean = np.asarray(PILImage.fromarray(hr).resize((w // 4, h // 4), PILImage.BICUBIC))
    noisy = np.clip(clean + np.random.default_rng(index).normal(0, 5, clean.shape) + 0.5, 0, 255).astype(np.uint8)
    arrays = [("clean", clean, ".png"), ("noise 5 png", noisy, ".png"), ("jpeg q50 png", _jpeg(clean, 50), ".png")]
    arrays += [("camera jpeg", clean, ".jpg"), ("web jpeg", clean, ".jpg")]
    for seed in range(seeds):
        degraded = degrade(hr, 4, config_from("photo"), np.random.default_rng([seed, index]))
        arrays.append(("photo png", degraded, ".png"))
        if seed == 0:
            arrays.append(("photo", degraded, ".jpg"))
        arrays.append(("blur+noise png", blurred_noisy(clean, np.random.default_rng([seed, index, 1])), ".png"))
    files = []
    for n, (group, arr, suffix) in enumerate(arrays):
        path = Path(f"{stem}_{n}{suffix}")
        PILImage.fromarray(arr).save(path, **({"quality": JPEG_QUALITY[group]} if suffix == ".jpg" else {}))
        files.append((group, path))
    return hr, files


def screenshot_kinds(tmp: Path) -> dict[str, dict[str, int]]:
    shots = [
        (f"shot_{p}_{s}_{o}", ruled_screenshot(p, o, s))
        for p in (12, 16, 24)
        for s in RULE_STYLES
        for o in range(0, p, 3)
    ]
    uis = [(f"ui_{seed}_{text}", flat_ui(seed, text=text)) for seed in range(24) for text in (True, False)]
    kinds = {}
    for group, images in ((SCREENSHOTS, shots), (FLAT_UI, uis)):
        kinds[group] = counts = {PHOTO: 0, CLEAN: 0}
        for name, image in images:
            path = tmp / f"{name}.png"
            PILImage.fromarray(image).save(path)
            counts[classify_file(path).kind] += 1
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = Path("../shared/datasets/val")
    parser.add_argument("--sets", nargs="*", type=Path, default=[root / "Set5", root / "Set14"])
    parser.add_argument("--seeds", type=int, default=3, help="photo-preset seeds per image for the photo png group")
    parser.add_argument("--kinds-only", action="store_true", help="classify only: no models, no PSNR")
    args = parser.parse_args()
    upscalers = registry = None
    if not args.kinds_only:
        from srgan_studio.core.registry import default_registry
        from srgan_studio.core.upscale import Upscaler

        registry = default_registry()
        upscalers = {m: Upscaler(registry.get(m)) for m in MODELS}
    kinds = {g: {PHOTO: 0, CLEAN: 0} for g in EXPECTED}
    scores = {g: [] for g in EXPECTED}  # per input: (srresnet_x4, restore_x4, auto)
    with tempfile.TemporaryDirectory() as tmp:
        paths = [p for folder in args.sets for p in sorted(folder.glob("*.png"))]
        for index, hr_path in enumerate(paths):
            hr, files = inputs_for(hr_path, index, Path(tmp), args.seeds)
            for group, path in files:
                kind = classify_file(path).kind
                kinds[group][kind] += 1
                if upscalers:
                    got = {m: psnr_y(_run(up, path), hr, 4) for m, up in upscalers.items()}
                    scores[group].append((*got.values(), got[faithful_model(kind, registry)]))
        kinds.update(screenshot_kinds(Path(tmp)))
    _report(kinds, scores)


def _run(upscaler, path: Path) -> np.ndarray:
    from srgan_studio.core.upscale import drain

    return drain(upscaler.run(read_image(path))).color


def _report(kinds: dict, scores: dict) -> None:
    print(f"{'group':14s} {'should be':9s} {'photo':>5s} {'clean':>5s}   " + " ".join(f"{p:>11s}" for p in _POLICIES))
    for group, counts in kinds.items():
        expected = EXPECTED.get(group, CLEAN)
        line = f"{group:14s} {expected:9s} {counts[PHOTO]:5d} {counts[CLEAN]:5d}"
        if scores.get(group):
            line += "   " + _psnr_line(scores[group])
        print(line)
    wrong = sum(c[PHOTO if EXPECTED.get(g, CLEAN) == CLEAN else CLEAN] for g, c in kinds.items())
    print(f"misread: {wrong} of {sum(sum(c.values()) for c in kinds.values())}")
    if scores["clean"]:
        print(f"{'clean + photo (JPEG file)':40s}" + _psnr_line(scores["clean"] + scores["photo"]))
        print(f"{'all scored inputs':40s}" + _psnr_line([s for v in scores.values() for s in v]))


_POLICIES = (*MODELS, "auto", "best")


def _psnr_line(rows: list[tuple[float, float, float]]) -> str:
    a = np.asarray(rows)
    means = (*a.mean(axis=0), np.maximum(a[:, 0], a[:, 1]).mean())
    return " ".join(f"{v:8.2f} dB" for v in means)


if __name__ == "__main__":
    main()
