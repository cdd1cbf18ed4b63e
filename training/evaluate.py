"""The evaluation protocol behind ``srgan-studio eval`` and the model card.

For each HR image: mod-crop to the scale, LR = Pillow BICUBIC downscale
(antialiased, ~MATLAB imresize), SR = the model on LR; PSNR and SSIM on the
BT.601 Y channel with ``scale`` pixels cropped from each border (bicubic x4 on
Set5 = 28.42 dB), and the texture ratio (Laplacian energy SR / HR; 1 = HR-like,
PSNR models score far below 1), and the checkerboard amplitude (below). Bicubic
upscaling of the same LR is reported alongside.

Degraded LR (``degradation``) is random, so one draw per image leaves a 5-image set's
figures noise-dominated; ``draws`` scores each image on that many fixed draws and
reports the mean over all (image, draw) pairs.

Checkerboard amplitude: sub-pixel upsampling artefacts repeat every ``scale``
pixels, so they show as spectral peaks at the lattice frequencies (k/scale
cycles per pixel). ``core.metrics.lattice_amplitude`` sums the amplitude (in 8-bit Y levels)
of those peaks above their spectral neighbourhood. HR photos and bicubic score
about 1; a visible grid scores several times more.

Models: a registry name runs through the app's ONNX engine (no torch needed);
a ``.onnx`` file with its descriptor likewise; a weights file or training
checkpoint runs through PyTorch.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage

from ..core.degradation import DegradationConfig, config_from
from ..core.errors import ModelError, StudioError
from ..core.metrics import lattice_amplitude, psnr_y, ssim_y, texture_ratio
from .data import find_images, load_eval_pairs

Runner = Callable[[np.ndarray], np.ndarray]  # uint8 LR (H, W, 3) -> uint8 SR (sH, sW, 3)
TORCH_SUFFIXES = {".safetensors", ".json"}


def bicubic_runner(scale: int) -> Runner:
    def run(lr: np.ndarray) -> np.ndarray:
        h, w = lr.shape[:2]
        return np.asarray(PILImage.fromarray(lr).resize((w * scale, h * scale), PILImage.BICUBIC))

    return run


def torch_runner(path: str | Path) -> tuple[Runner, int, str]:
    """(runner, scale, label) for a weights file or checkpoint."""
    try:
        import torch
    except ImportError:
        raise StudioError(
            f"{path}: evaluating PyTorch weights needs torch (pip install 'srgan-studio[train]')"
        ) from None
    from .checkpoint import CheckpointError
    from .export import load_generator
    from .validation import run_model

    try:
        model, arch, extra = load_generator(path)
    except CheckpointError as exc:
        raise ModelError(str(exc)) from None
    model.to(memory_format=torch.channels_last)
    scale = int(arch.get("options", {}).get("scale", 4))
    label = f"{arch['type']} ({Path(path).name}, step {extra.get('step', '?')})"
    return (lambda lr: run_model(model, lr, channels_last=True)), scale, label


def engine_runner(descriptor, ensemble: int = 1) -> Runner:
    """Run a registry model through the app's tiled ONNX engine (``ensemble`` passes per tile)."""
    from ..core.imageio import Image
    from ..core.upscale import Upscaler, drain

    # fp32: a measurement must not depend on whether this CPU happens to run bf16 (the app's "auto").
    upscaler = Upscaler(descriptor, device="cpu", precision="fp32", ensemble=ensemble)

    def run(lr: np.ndarray) -> np.ndarray:
        out = drain(upscaler.run(Image(np.ascontiguousarray(lr))))
        return out.color

    return run


def resolve_model(spec: str, scale: int | None = None, ensemble: int = 1) -> tuple[Runner, int, str]:
    """(runner, scale, label) for a registry name, an .onnx file, or PyTorch weights.

    ``ensemble`` > 1 (the engine's self-ensemble) needs the engine: PyTorch weights refuse it."""
    path = Path(spec)
    if path.suffix.lower() in TORCH_SUFFIXES and ensemble != 1:
        raise StudioError(f"--ensemble {ensemble} runs through the app's engine; export {path.name} to ONNX first")
    if path.suffix.lower() in TORCH_SUFFIXES and path.exists():
        return torch_runner(path)
    if path.suffix.lower() in TORCH_SUFFIXES:
        raise ModelError("weights file does not exist", path)
    from ..core.descriptor import ModelDescriptor

    if path.suffix.lower() == ".onnx":
        d = ModelDescriptor.load(path.with_suffix(".json"))
        return engine_runner(d, ensemble), d.scale, _label(d.title, ensemble)
    from ..core.registry import default_registry

    if spec == "bicubic":
        spec = f"bicubic_x{scale or 4}"
    d = default_registry().get(spec)
    return engine_runner(d, ensemble), d.scale, _label(d.title, ensemble)


def _label(title: str, ensemble: int) -> str:
    return f"{title}, self-ensemble of {ensemble}" if ensemble > 1 else title


def eval_sets(folders: list[str | Path]) -> dict[str, Path]:
    """Each folder is one set; a folder holding only sub-folders of images (e.g. val/
    with Set5 and Set14) contributes each sub-folder as a set."""
    sets: dict[str, Path] = {}
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise StudioError("evaluation folder does not exist", folder)
        images = set(find_images(folder))
        direct = [p for p in folder.iterdir() if p in images]
        subs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and find_images(p))
        chosen = [folder] if direct or not subs else subs
        for f in chosen:
            if not find_images(f):
                raise StudioError("no images to evaluate on", f)
            sets[f.name if f.name not in sets else str(f)] = f
    return sets


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def _score(sr: np.ndarray, bi: np.ndarray, hr: np.ndarray, scale: int) -> dict[str, float]:
    return {
        "psnr_y": psnr_y(sr, hr, scale),
        "ssim_y": ssim_y(sr, hr, scale),
        "texture": texture_ratio(sr, hr, scale),
        "bicubic_psnr_y": psnr_y(bi, hr, scale),
        "bicubic_ssim_y": ssim_y(bi, hr, scale),
        "bicubic_texture": texture_ratio(bi, hr, scale),
        "checker": lattice_amplitude(sr, scale),
        "bicubic_checker": lattice_amplitude(bi, scale),
        "hr_checker": lattice_amplitude(hr, scale),
    }


def _draws_text(draws: int) -> str:
    return f"{draws} draw{'s' if draws > 1 else ''} per image"


def _score_set(
    runner: Runner,
    name: str,
    folder: Path,
    scale: int,
    config: DegradationConfig,
    seed: int,
    draws: int,
    progress: Callable[[str], None] | None,
    warn: Callable[[str], None],
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """(rows, skipped): one row per (image, draw), an image's draws together, one draw's LRs in memory
    at a time; an unreadable file is skipped with a warning, and a set with none readable is an error."""
    bicubic = bicubic_runner(scale)
    scored = []
    unreadable: dict[Path, Exception] = {}
    skipped = []
    for draw in range(draws):
        pairs = load_eval_pairs(folder, scale, config, seed, draw, skipped=unreadable)
        if draw == 0:
            skipped = _skipped(folder, unreadable, bool(pairs), warn)
        for index, (img_name, lr, hr) in enumerate(pairs):
            sr = runner(lr)
            if sr.shape != hr.shape:
                raise ModelError(f"model output {sr.shape} for {img_name} does not match HR {hr.shape} (wrong scale?)")
            row = {"image": img_name, "draw": draw, **_score(sr, bicubic(lr), hr, scale)}
            scored.append((index, draw, row))
            if progress:
                progress(f"{name}/{img_name}{f' draw {draw}' if draws > 1 else ''}: {row['psnr_y']:.2f} dB")
    return [row for _, _, row in sorted(scored, key=lambda t: t[:2])], skipped


def _skipped(folder: Path, unreadable: dict[Path, Exception], any_left: bool, warn: Callable[[str], None]):
    """The set's unreadable files as JSON rows, each warned about; an error where none is left."""
    rows = [{"image": str(p.relative_to(folder)), "reason": _why_unreadable(p, e)} for p, e in unreadable.items()]
    for row in rows:
        warn(f"warning: skipped {folder / row['image']}: {row['reason']}")
    if not any_left:
        raise StudioError(f"no readable images to evaluate on ({len(rows)} skipped)", folder)
    return rows


def _why_unreadable(path: Path, exc: Exception) -> str:
    """The app's own one-line reason for the file (core.imageio's words, not Pillow's internals)."""
    from ..core.imageio import read_image

    try:
        read_image(path)
    except StudioError as err:
        return str(err).removeprefix(f"{err.path}: ")
    except Exception:  # noqa: BLE001 - any other failure: Pillow's own words below
        pass
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _stderr(text: str) -> None:
    print(text, file=sys.stderr)


def evaluate(
    runner: Runner,
    folders: list[str | Path],
    scale: int,
    progress: Callable[[str], None] | None = None,
    degradation: str = "clean",
    seed: int = 0,
    draws: int = 1,
    warn: Callable[[str], None] = _stderr,
) -> dict[str, Any]:
    """Metrics per set: the model's and bicubic's mean PSNR/SSIM (Y, border=scale) and texture ratio.

    ``degradation`` names a preset of core.degradation: the LR is then the pipeline's output for
    (seed, image index, draw), scored against the clean HR; nothing degraded is written to disk.
    With ``draws`` > 1 each image is degraded that many times (independent fixed streams, see
    ``load_eval_pairs``): ``per_image`` holds one row per (image, draw) and the set's figures are
    the mean over all of them. Bicubic is scored on the same LRs. A file that cannot be read is
    skipped, ``warn`` told (one line naming it and why), and listed in the set's ``skipped``."""
    if draws < 1:
        raise ValueError(f"draws must be at least 1, not {draws}")
    config = config_from(degradation)
    lr_text = "Pillow BICUBIC"
    if not config.is_clean:
        lr_text = f"degradation preset {degradation!r} (seed {seed}, {_draws_text(draws)})"
    result: dict[str, Any] = {
        "scale": scale,
        "border": scale,
        "degradation": degradation,
        "seed": seed,
        "draws": draws,
        "protocol": f"HR mod-crop, LR = {lr_text}, Y (BT.601), border = scale",
        "sets": {},
    }
    for name, folder in eval_sets(folders).items():
        rows, skipped = _score_set(runner, name, folder, scale, config, seed, draws, progress, warn)
        summary = {k: _mean([r[k] for r in rows]) for k in rows[0] if k not in ("image", "draw")}
        result["sets"][name] = {"images": len(rows) // draws, **summary, "per_image": rows, "skipped": skipped}
    return result


def format_table(result: dict[str, Any], label: str) -> str:
    degraded, seed = result.get("degradation", "clean"), result.get("seed", 0)
    inputs = "clean bicubic LR"
    if degraded != "clean":
        inputs = f"LR degraded by {degraded!r}, seed {seed}, {_draws_text(result.get('draws', 1))} (mean over all)"
    lines = [
        f"{label}: x{result['scale']}, Y channel, border {result['border']}, {inputs}",
        f"{'set':<10} {'images':>6}  {'PSNR':>7} {'SSIM':>7} {'texture':>8} {'checker':>8}   "
        f"{'bicubic PSNR':>12} {'SSIM':>7} {'texture':>8} {'checker':>8}   {'HR checker':>10}",
    ]
    for name, m in result["sets"].items():
        lines.append(
            f"{name:<10} {m['images']:>6}  {m['psnr_y']:>7.2f} {m['ssim_y']:>7.4f} {m['texture']:>8.3f} "
            f"{m['checker']:>8.2f}   {m['bicubic_psnr_y']:>12.2f} {m['bicubic_ssim_y']:>7.4f} "
            f"{m['bicubic_texture']:>8.3f} {m['bicubic_checker']:>8.2f}   {m['hr_checker']:>10.2f}"
        )
    lines.append(
        "texture = Laplacian energy SR / HR (1.0 = as much fine detail as the original); "
        "checker = amplitude of the scale-periodic grid in Y levels (HR photos ~1)"
    )
    return "\n".join(lines)
