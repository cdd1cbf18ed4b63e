"""Which kind of input is this: a photo (compressed or noisy) or a clean source?

The answer picks the model, so a user never has to know which model fits
which input: photos go to the restore twins (trained on blur, noise and JPEG),
clean sources to the SRResNet/SRGAN twins (trained on clean bicubic
downscaling). The rule, in order:

1. A lossy WebP, or a JPEG saved below quality ``HIGH_QUALITY``, is a photo.
   This is decided from the name or signature and the JPEG's quantisation
   tables, without decoding (core/jpeg_quality.py). A camera's or phone's
   own JPEG (quality 85-95) carries so little compression damage that the
   clean twin wins on it, so it goes on to the pixel rules of step 2, which
   still call it a photo when its block grid, noise or blur shows.
2. Otherwise the image is a photo when
   - its flattest 8x8 blocks still show noise above ``NOISE_LEVEL`` grey
     levels (of 255), by Immerkaer's estimator (J. Immerkaer, "Fast noise
     variance estimation", CVIU 1996): the mean absolute response of a mask
     that cancels any plane, and what those blocks hold looks like noise
     rather than fine texture (``NOISE_LIKE``); or
   - the 8-px JPEG block grid is ``GRID_RATIO`` times stronger than the
     strongest step inside the blocks on one axis, or ``GRID_RATIO_BOTH`` on
     both, and it is on every block edge (a decoded JPEG saved as PNG or
     TIFF). A pattern repeating every 4, 12 or 16 px (a ruled table, a
     hatch) is not a grid: it steps inside the blocks too, or on only some
     block edges. Nor are the edges of a flat UI laid out on the 8-px grid:
     steps next to a block of two luma values or fewer are not counted, as
     a JPEG leaves none such where it blocks (it rings). A JPEG file of
     quality ``HIGH_QUALITY`` or more has a faint grid of its own, so it
     needs ``GRID_RATIO_JPEG`` or ``GRID_RATIO_BOTH_JPEG`` (an earlier,
     harsher compression that it was re-saved from); or
   - it is blurred: its finest detail (0.375-0.5 cycles/px) holds under
     ``SOFT_SHARE`` of the spectral power of its mid-scale detail
     (0.125-0.25). A clean downscale keeps more (bicubic, box and Lanczos /2
     and /4 of Set5, Set14 and BSDS500-test: 1.6% at the least), a blur
     anywhere before the last resize far less. A blur also hides noise and
     smooths a JPEG's grid away, so this catches photos the other two miss; or
   - it is blurred under noise: noise added after the blur refills that finest
     band, so above the finest band's level (the noise's, or the rounding's)
     the upper detail (0.25-0.375 cycles/px) holds under ``SOFT_UPPER`` of the
     mid-scale's, or the mid-scale under ``SOFT_MID`` of the coarse
     (0.0625-0.125) detail's. None of the 510 images of Set5, Set14,
     BSDS500-test, BSD200 and T91 reads so, as HR nor bicubic /2 nor /4
     (upper 5.3% at the least; mid 3.9%, but for one near-featureless image
     that the other rules call a photo anyway).
3. Else it is a clean source.

Only a centred crop of at most ``CROP`` px is looked at, and it is cut from
the integer pixels before any float conversion, so a 48 MP photo costs as
much as a small one. Fine texture is not taken for noise: a restore model
smooths a clean image's real detail away, which costs more than a clean
model sharpening mild noise.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .formats import FORMATS
from .input_kind_cues import fine_detail, grid_strength, noise_level
from .jpeg_quality import jpeg_quality

PHOTO = "photo"
CLEAN = "clean"
KINDS = (PHOTO, CLEAN)
KIND_LABELS = {PHOTO: "Photo (compressed or noisy)", CLEAN: "Clean source"}

# (faithful, realistic) model per kind; the photo pair falls back to the clean pair when not installed.
MODEL_PAIRS = {PHOTO: ("restore_x4", "restore_gan_x4"), CLEAN: ("srresnet_x4", "srgan_x4")}

JPEG_SUFFIXES = FORMATS["jpeg"].suffixes
NOISE_LEVEL = 2.5  # grey levels (of 255) in the flattest blocks
NOISE_LIKE = 3.0  # structure per sigma in those blocks: noise alone gives ~1.1, fine texture more
GRID_RATIO = 1.2  # 8-px block edges over the strongest phase inside the blocks, on one axis
GRID_RATIO_BOTH = 1.1  # ... or on both axes (a JPEG's grid is two-dimensional; a quantised ramp's aliasing is not)
# ... for a JPEG file of HIGH_QUALITY or more, whose own grid is faint: at q 85 / 92 / 95, 54% / 18% / 2% of
# Set5, Set14 and BSDS500-test (80 images, bicubic /2) pass these, 71% / 31% / 8% the two above; the same
# saved first at q 50-70 and then at q 90-92 (re-saved): 91-99%, 98-100% with the two above.
GRID_RATIO_JPEG, GRID_RATIO_BOTH_JPEG = 1.25, 1.15
HIGH_QUALITY = 85  # JPEG quality from which the pixels decide (srresnet_x4 wins from here up: jpeg_quality.py)
SOFT_SHARE = 0.01  # finest-band power over mid-band power (medians over the bins) below this: blurred
SOFT_UPPER = 0.045  # upper-band power above the finest band's, over mid-band power, below this: blurred (noise or not)
SOFT_MID = 0.025  # mid-band power above the finest band's, over low-band power, below this: blurred (noise or not)
CROP = 512  # px per side looked at
_MIN_SIDE = 16  # below this nothing can be measured: clean


@dataclass(frozen=True)
class KindReport:
    """What was measured, for the user (``srgan-studio upscale`` prints the reason) and the tests."""

    kind: str
    reason: str
    noise: float | None = None
    grid: float | None = None
    detail: float | None = None  # fine_detail(): finest-band power per unit of mid-band power
    upper: float | None = None  # fine_detail(): upper-band power above the finest band's, per unit of mid-band
    mid: float | None = None  # fine_detail(): mid-band power above the finest band's, per unit of low-band


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


def classify_header(path: str | Path) -> KindReport | None:
    """The kind when the file alone tells (a lossy WebP, a JPEG below ``HIGH_QUALITY``), else None: the
    pixels decide. Reads the name and the header only."""
    return _by_header(path)[0]


def _by_header(path: str | Path) -> tuple[KindReport | None, int | None]:
    lossy = lossy_format_of_file(path)
    quality = jpeg_quality(path) if lossy == "JPEG" else None
    if lossy and (quality is None or quality < HIGH_QUALITY):
        return KindReport(PHOTO, f"{lossy} file" + (f", quality {quality}" if quality else "")), quality
    return None, quality


def classify_file(path: str | Path, *, max_pixels: int | None = None, color: np.ndarray | None = None) -> KindReport:
    """The kind of an image file: a lossy WebP or a compressed JPEG without decoding, else measured on its
    pixels (``color`` when the caller has decoded them already, so nothing is decoded twice)."""
    by_header, quality = _by_header(path)
    if by_header is not None:
        return by_header
    if color is None:
        from .imageio import DEFAULT_MAX_PIXELS, read_image

        color = read_image(path, max_pixels=max_pixels or DEFAULT_MAX_PIXELS).color
    report = classify_pixels(color, jpeg_quality=quality)
    if quality is None:
        return report
    return dataclasses.replace(report, reason=f"JPEG file, quality {quality}; {report.reason}")


def kind_of_file(path: str | Path, *, max_pixels: int | None = None) -> str:
    return classify_file(path, max_pixels=max_pixels).kind


# ---------------------------------------------------------------- pixels


def classify_pixels(color: np.ndarray, *, jpeg_quality: int | None = None) -> KindReport:
    """The kind of decoded pixels: (H, W, C) or (H, W), uint8 or uint16 (alpha is not looked at).

    ``jpeg_quality``: the pixels are a JPEG file's, saved at this quality (``HIGH_QUALITY`` or more). Its own
    mild compression leaves a faint grid, so only a stronger one, from an earlier and harsher compression,
    makes it a photo (``GRID_RATIO_JPEG``).
    """
    luma = _luma(_centre_crop(color))
    if min(luma.shape) < _MIN_SIDE:
        return KindReport(CLEAN, "too small to measure")
    noise, texture = noise_level(luma)
    rows, cols = grid_strength(luma)
    grid = max(rows, cols)
    detail, upper, mid = fine_detail(luma)
    measured = {"noise": noise, "grid": grid, "detail": detail, "upper": upper, "mid": mid}
    if noise > NOISE_LEVEL and texture <= NOISE_LIKE:
        return KindReport(PHOTO, f"noise {noise:.1f} levels in its flattest areas", **measured)
    one, both = (GRID_RATIO, GRID_RATIO_BOTH) if jpeg_quality is None else (GRID_RATIO_JPEG, GRID_RATIO_BOTH_JPEG)
    if grid > one or min(rows, cols) > both:
        return KindReport(PHOTO, f"8-px JPEG grid {grid:.2f}x stronger than the steps inside its blocks", **measured)
    if detail < SOFT_SHARE:
        return KindReport(PHOTO, f"blurred: finest detail {detail:.1%} of its mid-scale detail", **measured)
    if upper < SOFT_UPPER:
        return KindReport(PHOTO, f"blurred under noise: upper detail {upper:.1%} of its mid-scale detail", **measured)
    if mid < SOFT_MID:
        return KindReport(PHOTO, f"blurred under noise: mid-scale detail {mid:.1%} of its coarse detail", **measured)
    busy = " (fine texture, not noise)" if noise > NOISE_LEVEL else ""
    return KindReport(
        CLEAN,
        f"noise {noise:.1f} levels{busy}, grid {grid:.2f}x, fine detail {detail:.1%}, upper {upper:.1%}",
        **measured,
    )


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
