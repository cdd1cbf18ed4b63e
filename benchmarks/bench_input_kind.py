"""Does the automatic model choice pay? ``auto`` against always-srresnet_x4 and always-restore_x4.

    python benchmarks/bench_input_kind.py [--sets ../shared/datasets/val/Set5 ../shared/datasets/val/Set14]

For every HR image two inputs are written to a temp folder, as a user would have them:
- clean: HR bicubic /4, saved as PNG;
- photo: the HR through the "photo" degradation preset (seed 0), saved as a JPEG (q 90: a file that is
  a JPEG, as phone photos are; decided by name);
- photo png: the same degraded pixels saved as PNG, so only the pixel rule (noise, 8-px grid) can tell.
Each input is classified by ``core/input_kind`` from its file, then upscaled x4 by both models; Y-PSNR
(border 4) against the clean HR. Prints the classification counts and the mean PSNR of each policy per group.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from srgan_studio.core.degradation import config_from, degrade
from srgan_studio.core.imageio import read_image
from srgan_studio.core.input_kind import classify_file, faithful_model
from srgan_studio.core.metrics import mod_crop, psnr_y
from srgan_studio.core.registry import default_registry
from srgan_studio.core.upscale import Upscaler, drain

MODELS = ("srresnet_x4", "restore_x4")


def inputs_for(hr_path: Path, tmp: Path, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Path]]:
    hr = mod_crop(read_image(hr_path).color, 4)
    if hr.shape[2] == 1:
        hr = np.repeat(hr, 3, axis=2)
    h, w = hr.shape[:2]
    clean = tmp / f"{hr_path.stem}_clean.png"
    PILImage.fromarray(hr).resize((w // 4, h // 4), PILImage.BICUBIC).save(clean)
    degraded = PILImage.fromarray(degrade(hr, 4, config_from("photo"), rng))
    photo, photo_png = tmp / f"{hr_path.stem}_photo.jpg", tmp / f"{hr_path.stem}_photo.png"
    degraded.save(photo, quality=90)
    degraded.save(photo_png)
    return hr, {"clean": clean, "photo": photo, "photo png": photo_png}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = Path("../shared/datasets/val")
    parser.add_argument("--sets", nargs="*", type=Path, default=[root / "Set5", root / "Set14"])
    args = parser.parse_args()
    registry = default_registry()
    upscalers = {m: Upscaler(registry.get(m)) for m in MODELS}
    rng = np.random.default_rng(0)
    groups = ("clean", "photo", "photo png")
    scores = {g: {p: [] for p in (*MODELS, "auto")} for g in groups}
    kinds = {g: {"photo": 0, "clean": 0} for g in groups}
    with tempfile.TemporaryDirectory() as tmp:
        for folder in args.sets:
            for hr_path in sorted(folder.glob("*.png")):
                hr, files = inputs_for(hr_path, Path(tmp), rng)
                for group, path in files.items():
                    kind = classify_file(path).kind
                    kinds[group][kind] += 1
                    lr = read_image(path)
                    got = {m: psnr_y(drain(up.run(lr)).color, hr, 4) for m, up in upscalers.items()}
                    got["auto"] = got[faithful_model(kind, registry)]
                    for policy, value in got.items():
                        scores[group][policy].append(value)
    for group in groups:
        line = " | ".join(f"{p} {np.mean(v):.2f} dB" for p, v in scores[group].items())
        print(f"{group} inputs (classified photo {kinds[group]['photo']}, clean {kinds[group]['clean']}): {line}")
    both = {p: np.mean(scores["clean"][p] + scores["photo"][p]) for p in (*MODELS, "auto")}
    print("all inputs: " + " | ".join(f"{p} {v:.2f} dB" for p, v in both.items()))


if __name__ == "__main__":
    main()
