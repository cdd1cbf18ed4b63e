"""Side-by-side crops for looking at models on damaged photos (written to a folder you name, never the repo).

    python scripts/compare_crops.py IMAGE OUT_DIR --model srresnet_x4 --model runs/restore_x4/generator.safetensors
        [--quality 45] [--noise 4] [--crop X Y SIZE] [--zoom 4]

The LR is IMAGE (mod-cropped) downscaled x4 by bicubic, plus Gaussian noise (8-bit levels) and JPEG at
QUALITY: a phone or web photo. Writes OUT_DIR/<stem>_1to1.png (HR | bicubic | each model, the crop at 1:1)
and OUT_DIR/<stem>_zoom.png (the centre of the crop magnified by nearest neighbour), with labels.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def damaged_lr(hr: np.ndarray, quality: int, noise: float, seed: int = 0) -> np.ndarray:
    lr = np.asarray(Image.fromarray(hr).resize((hr.shape[1] // 4, hr.shape[0] // 4), Image.BICUBIC), np.float32)
    lr = np.clip(lr + np.random.default_rng(seed).normal(0, noise, lr.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(lr).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def strip(tiles: list[tuple[str, np.ndarray]], zoom: int) -> Image.Image:
    h, w = tiles[0][1].shape[:2]
    sheet = Image.new("RGB", (len(tiles) * (w * zoom + 4), h * zoom + 18), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (label, tile) in enumerate(tiles):
        x = i * (w * zoom + 4)
        sheet.paste(Image.fromarray(tile).resize((w * zoom, h * zoom), Image.NEAREST), (x, 18))
        draw.text((x + 2, 2), label[:28], fill="black")
    return sheet


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("image")
    p.add_argument("out_dir")
    p.add_argument("--model", action="append", default=[], help="registry name or .safetensors weights")
    p.add_argument("--quality", type=int, default=45)
    p.add_argument("--noise", type=float, default=4.0)
    p.add_argument("--crop", type=int, nargs=3, metavar=("X", "Y", "SIZE"), help="crop in HR pixels")
    p.add_argument("--zoom", type=int, default=4)
    args = p.parse_args(argv)
    from srgan_studio.training.evaluate import bicubic_runner, resolve_model

    hr = np.asarray(Image.open(args.image).convert("RGB"))
    hr = np.ascontiguousarray(hr[: hr.shape[0] // 4 * 4, : hr.shape[1] // 4 * 4])
    lr = damaged_lr(hr, args.quality, args.noise)
    outputs = [("HR", hr), (f"bicubic (q{args.quality})", bicubic_runner(4)(lr))]
    for spec in args.model:
        runner, _, _ = resolve_model(spec)
        path = Path(spec)
        name = (path.parent.name if path.stem == "generator" else path.stem) if path.suffix == ".safetensors" else spec
        outputs.append((name, runner(lr)))
    x, y, size = args.crop or (hr.shape[1] // 2 - 64, hr.shape[0] // 2 - 64, 128)
    crops = [(label, img[y : y + size, x : x + size]) for label, img in outputs]
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(args.image).stem
    strip(crops, 1).save(out / f"{stem}_1to1.png")
    q = size // (2 * args.zoom)
    centre = [(label, c[size // 2 - q : size // 2 + q, size // 2 - q : size // 2 + q]) for label, c in crops]
    strip(centre, args.zoom).save(out / f"{stem}_zoom.png")
    print(f"wrote {out / f'{stem}_1to1.png'} and {out / f'{stem}_zoom.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
