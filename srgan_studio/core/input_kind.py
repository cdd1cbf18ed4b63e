"""Which kind of input is this: a photo (compressed or noisy) or a clean source?

The answer picks the model, so a user never has to know which model fits
which input: photos go to the restore twins (trained on blur, noise and JPEG),
clean sources to the SRResNet/SRGAN twins (trained on clean bicubic
downscaling). The rule, in order:

1. A JPEG or a lossy WebP is a photo. This is decided from the name or the
   file's signature, without decoding it.
2. Otherwise the image is a photo when either
   - its flattest 8x8 blocks still show noise above ``NOISE_LEVEL`` grey
     levels (of 255), by Immerkaer's estimator (J. Immerkaer, "Fast noise
     variance estimation", CVIU 1996): the mean absolute response of a mask
     that cancels any plane, and what those blocks hold looks like noise
     rather than fine texture (``NOISE_LIKE``); or
   - the 8-px JPEG block grid is ``GRID_RATIO`` times stronger than the other
     seven phases on one axis, or ``GRID_RATIO_BOTH`` on both (a decoded JPEG
     saved as PNG or TIFF).
3. Else it is a clean source.

Only a centred crop of at most ``CROP`` px is looked at, and it is cut from
the integer pixels before any float conversion, so a 48 MP photo costs as
much as a small one. Fine texture is not taken for noise: a restore model
smooths a clean image's real detail away, which costs more than a clean
model sharpening mild noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .formats import FORMATS

PHOTO = "photo"
CLEAN = "clean"
KINDS = (PHOTO, CLEAN)
KIND_LABELS = {PHOTO: "Photo (compressed or noisy)", CLEAN: "Clean source"}

# (faithful, realistic) model per kind; the photo pair falls back to the clean pair when not installed.
MODEL_PAIRS = {PHOTO: ("restore_x4", "restore_gan_x4"), CLEAN: ("srresnet_x4", "srgan_x4")}

JPEG_SUFFIXES = FORMATS["jpeg"].suffixes
NOISE_LEVEL = 2.5  # grey levels (of 255) in the flattest blocks
NOISE_LIKE = 3.0  # structure per sigma in those blocks: noise alone gives ~1.1, fine texture more
GRID_RATIO = 1.3  # 8-px grid strength over the other phases, on one axis
GRID_RATIO_BOTH = 1.15  # ... or on both axes (a JPEG's grid is two-dimensional; a quantised ramp's aliasing is not)
CROP = 512  # px per side looked at
FLATTEST = 0.1  # share of the 8x8 blocks that count as "flattest"
STEP_CLIP = 12.0  # grey levels: larger steps are edges, not blocking
_MIN_SIDE = 16  # below this nothing can be measured: clean
IMMERKAER_MASK = ((1, -2, 1), (-2, 4, -2), (1, -2, 1))


@dataclass(frozen=True)
class KindReport:
    """What was measured, for the user (``srgan-studio upscale`` prints the reason) and the tests."""

    kind: str
    reason: str
    noise: float | None = None
    grid: float | None = None


# ---------------------------------------------------------------- files


def lossy_format_of_file(path: str | Path) -> str | None:
    """The lossy format ("JPEG" or "lossy WebP") from the name or the first bytes, else None. Never decodes."""
    p = Path(path)
    if p.suffix.lower() in JPEG_SUFFIXES:
        return "JPEG"
    try:
        with p.open("rb") as f:
            head = f.read(12)
            if head.startswith(b"\xff\xd8\xff"):
                return "JPEG"
            if head[:4] == b"RIFF" and head[8:12] == b"WEBP" and _webp_is_lossy(f):
                return "lossy WebP"
    except OSError:
        return None  # the reader reports an unreadable file with its reason later
    return None


def _webp_is_lossy(f) -> bool:
    """Walk the RIFF chunks (headers only): a "VP8 " chunk is lossy, "VP8L" lossless."""
    for _ in range(64):  # a real file reaches its bitstream chunk in a few steps
        header = f.read(8)
        if len(header) < 8:
            return False
        tag, size = header[:4], int.from_bytes(header[4:], "little")
        if tag == b"VP8 ":
            return True
        if tag == b"VP8L":
            return False
        f.seek(size + (size & 1), 1)
    return False


def classify_file(path: str | Path, *, max_pixels: int | None = None) -> KindReport:
    """The kind of an image file: JPEG / lossy WebP without decoding, else measured on its pixels."""
    lossy = lossy_format_of_file(path)
    if lossy:
        return KindReport(PHOTO, f"{lossy} file")
    from .imageio import DEFAULT_MAX_PIXELS, read_image

    image = read_image(path, max_pixels=max_pixels or DEFAULT_MAX_PIXELS)
    return classify_pixels(image.color)


def kind_of_file(path: str | Path, *, max_pixels: int | None = None) -> str:
    return classify_file(path, max_pixels=max_pixels).kind


# ---------------------------------------------------------------- pixels


def classify_pixels(color: np.ndarray) -> KindReport:
    """The kind of decoded pixels: (H, W, C) or (H, W), uint8 or uint16 (alpha is not looked at)."""
    luma = _luma(_centre_crop(color))
    if min(luma.shape) < _MIN_SIDE:
        return KindReport(CLEAN, "too small to measure")
    noise, texture = noise_level(luma)
    rows, cols = grid_strength(luma)
    grid = max(rows, cols)
    if noise > NOISE_LEVEL and texture <= NOISE_LIKE:
        return KindReport(PHOTO, f"noise {noise:.1f} levels in its flattest areas", noise, grid)
    if grid > GRID_RATIO or min(rows, cols) > GRID_RATIO_BOTH:
        return KindReport(PHOTO, f"8-px JPEG grid {grid:.2f}x stronger than elsewhere", noise, grid)
    busy = " (fine texture, not noise)" if noise > NOISE_LEVEL else ""
    return KindReport(CLEAN, f"noise {noise:.1f} levels{busy}, grid {grid:.2f}x", noise, grid)


def _centre_crop(color: np.ndarray) -> np.ndarray:
    """At most CROP x CROP from the middle, starting on a multiple of 8 so the JPEG grid keeps its phase."""
    h, w = color.shape[:2]
    y0 = max(0, (h - CROP) // 2) // 8 * 8
    x0 = max(0, (w - CROP) // 2) // 8 * 8
    return color[y0 : y0 + CROP, x0 : x0 + CROP]


def _luma(color: np.ndarray) -> np.ndarray:
    """BT.601 luma on the 0-255 scale, float32 (16-bit scaled down)."""
    x = color.astype(np.float32)
    if color.dtype == np.uint16:
        x *= np.float32(255.0 / 65535.0)
    if x.ndim == 2:
        return x
    if x.shape[2] >= 3:
        return x[..., 0] * 0.299 + x[..., 1] * 0.587 + x[..., 2] * 0.114
    return x[..., 0]


def noise_level(luma: np.ndarray) -> tuple[float, float]:
    """(sigma, texture) of the flattest FLATTEST share of the 8x8 blocks.

    sigma is Immerkaer's estimate in grey levels: the mask [[1,-2,1],[-2,4,-2],[1,-2,1]]
    is zero on any plane and linear ramp, so smooth content does not count;
    sigma = sqrt(pi/2) / 6 * mean |response|. Fine texture (fur, fabric, a small
    busy image) answers the mask too; texture is the blocks' structure per unit
    of sigma: noise alone gives about 1.1, texture several times more.
    """
    y = luma
    h, w = y.shape
    r = sum(
        weight * y[i : h - 2 + i, j : w - 2 + j] for i, row in enumerate(IMMERKAER_MASK) for j, weight in enumerate(row)
    )
    bh, bw = r.shape[0] // 8, r.shape[1] // 8
    response = _block_mean(np.abs(r), bh, bw)
    # Flattest by the content's own gradients (on the image averaged in 2x2, which
    # halves the noise), not by the noise estimate itself, which would pick the
    # blocks where the noise happens to be low and bias the level down.
    structure = _block_mean(_gradient(_box2(y[1:-1, 1:-1])), bh, bw, cell=4)
    count = max(1, int(len(response) * FLATTEST))
    flattest = np.argpartition(structure, count - 1)[:count]
    sigma = np.sqrt(np.pi / 2) / 6 * response[flattest]
    texture = float(np.median(structure[flattest] / np.maximum(sigma, 1e-3)))
    return float(sigma.mean()), texture


def _block_mean(x: np.ndarray, bh: int, bw: int, cell: int = 8) -> np.ndarray:
    return x[: bh * cell, : bw * cell].reshape(bh, cell, bw, cell).mean(axis=(1, 3)).ravel()


def _box2(y: np.ndarray) -> np.ndarray:
    h, w = y.shape[0] // 2 * 2, y.shape[1] // 2 * 2
    return y[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))


def _gradient(y: np.ndarray) -> np.ndarray:
    g = np.zeros_like(y)
    g[:, :-1] += np.abs(np.diff(y, axis=1))
    g[:-1, :] += np.abs(np.diff(y, axis=0))
    return g


def grid_strength(luma: np.ndarray) -> tuple[float, float]:
    """How much stronger the block edges on the 8-px grid are than at the other seven phases (1.0 = no grid),
    across rows and across columns.

    A block edge is a step that its neighbours do not predict: |d[i] - (d[i-1] + d[i+1]) / 2|
    for the steps d between neighbouring pixels, so ramps and their quantisation
    count alike at every phase. Clipped at STEP_CLIP levels so that a few real
    edges do not outweigh the small, everywhere-present block edges of a JPEG.
    """
    ratios = []
    for axis in (0, 1):
        d = np.diff(luma, axis=axis)
        d = d if axis == 1 else d.T
        excess = np.minimum(np.abs(d[:, 1:-1] - (d[:, :-2] + d[:, 2:]) / 2), STEP_CLIP).mean(axis=0)
        # excess[k] is the step d[k + 1]; phase 7 is the step between pixels 7 and 8 of a block.
        n = (len(excess) + 1) // 8 * 8
        if n < 24:
            ratios.append(1.0)
            continue
        phases = excess[7 : n - 1].reshape(-1, 8).mean(axis=0)  # phases[0] = d[8], i.e. phase 0
        others = np.delete(phases, 7).mean()
        ratios.append(phases[7] / others if others > 1e-6 else 1.0)
    return float(ratios[0]), float(ratios[1])


# ---------------------------------------------------------------- models


def models_for_kind(kind: str, available) -> tuple[str, str]:
    """(faithful, realistic) model names for ``kind``; ``available`` is a registry or a set of names.

    The photo twins fall back to the clean ones where they are not installed.
    """
    if kind not in MODEL_PAIRS:
        raise ValueError(f"unknown input kind {kind!r}; expected one of {KINDS}")
    faithful, realistic = MODEL_PAIRS[kind]
    clean_faithful, clean_realistic = MODEL_PAIRS[CLEAN]
    return (
        faithful if faithful in available else clean_faithful,
        realistic if realistic in available else clean_realistic,
    )


def faithful_model(kind: str, available) -> str:
    """photo -> restore_x4, clean -> srresnet_x4 (also when restore_x4 is not installed)."""
    return models_for_kind(kind, available)[0]
