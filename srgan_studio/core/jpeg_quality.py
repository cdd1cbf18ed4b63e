"""The quality a JPEG was saved at, estimated from its quantisation tables (header only, no decoding).

A camera or phone saves at quality 85-95, a web page or a messenger re-compresses
at 50-80. The two need different models: measured on Set5+Set14 bicubic /4 LR
saved as JPEG, srresnet_x4 beats restore_x4 from quality 85 up (+0.36 dB at 90,
+0.66 dB at 95) and loses below 80 (-0.19 dB at 70, -0.36 dB at 40).
"""

from __future__ import annotations

from pathlib import Path

# The IJG (libjpeg) luminance table at quality 50 (ITU-T T.81, Annex K.1); any order, only its sum is used.
_IJG_LUMA_SUM = sum(
    (16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29)
    + (51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121)
    + (120, 101, 72, 92, 95, 98, 112, 100, 103, 99)
)


def quality_from_table(table) -> int:
    """The IJG quality (1-100) whose luminance table is as coarse as ``table`` (64 divisors, any order).

    IJG scales its quality-50 table by 5000/q percent below 50 and by 200-2q percent above, so the
    ratio of the sums gives q back: within 1 for IJG files from quality 25 up (below, divisors clamp at 255
    and the estimate reads high); an equivalent quality for other encoders.
    """
    values = list(table)
    if len(values) != 64 or min(values) < 1:
        raise ValueError("a JPEG quantisation table has 64 divisors of at least 1")
    percent = 100.0 * sum(values) / _IJG_LUMA_SUM
    quality = (200.0 - percent) / 2.0 if percent <= 100.0 else 5000.0 / percent
    return max(1, min(100, round(quality)))


def jpeg_quality(path: str | Path) -> int | None:
    """The estimated quality of a JPEG file, or None when it is no JPEG or its tables cannot be read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:  # reads the header (and the DQT tables) only
            tables = getattr(im, "quantization", None) or {}
            if im.format != "JPEG" or 0 not in tables:
                return None
            return quality_from_table(tables[0])
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError):
        return None
