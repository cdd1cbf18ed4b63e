"""A JPEG with EXIF but no resolution has no DPI: the output must not invent one.

Pillow reports 72 dpi for such a file (its fallback when the EXIF has no XResolution); the reader took that as
the photo's and an x2 output was written at 144 dpi. A real resolution, in JFIF units or in the EXIF, is kept.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image as PILImage

from srgan_studio.cli import main
from srgan_studio.core.imageio import read_image


def _jpeg(path, *, exif_dpi=None, jfif_dpi=None):
    im = PILImage.fromarray(np.random.default_rng(0).integers(0, 256, (12, 16, 3), dtype=np.uint8))
    exif = PILImage.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "TestPhone"
    if exif_dpi:
        exif[282] = exif[283] = exif_dpi
        exif[296] = 2  # inches
    kw = {"dpi": (jfif_dpi, jfif_dpi)} if jfif_dpi else {}
    im.save(path, quality=90, exif=exif.tobytes(), **kw)
    return path


def test_exif_without_resolution_means_no_dpi(tmp_path):
    src = _jpeg(tmp_path / "phone.jpg")
    assert PILImage.open(src).info.get("dpi") == (72, 72)  # Pillow's guess, the case this is about
    assert read_image(src).meta.dpi is None


@pytest.mark.parametrize(("kw", "dpi"), [({"exif_dpi": 300}, 300), ({"jfif_dpi": 240}, 240)])
def test_a_real_resolution_is_kept(tmp_path, kw, dpi):
    assert read_image(_jpeg(tmp_path / "a.jpg", **kw)).meta.dpi == (dpi, dpi)


def test_upscaled_output_has_no_invented_dpi_but_keeps_exif(tmp_path, capsys):
    src = _jpeg(tmp_path / "phone.jpg")
    assert main(["upscale", str(src), "--model", "bicubic_x4", "--scale", "2", "-q"]) == 0
    out = PILImage.open(tmp_path / "phone_x2.jpg")
    assert out.size == (24, 32)  # upright
    assert out.getexif().get(0x0112) == 1 and out.getexif().get(0x010F) == "TestPhone"
    assert out.info.get("dpi") in (None, (72, 72))  # 72 is Pillow's guess again on reading; 144 was invented
    assert read_image(tmp_path / "phone_x2.jpg").meta.dpi is None
