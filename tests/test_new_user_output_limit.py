"""A phone photo at the model's own x4 is over the output limit: refused before any work, saying what to do.

A 12 MP photo at x4 is 192 MP, over the default 180 MP. Only --scale/--width outputs were checked, so the
default command rendered for many minutes; here the same shape is made small with --max-megapixels.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image as PILImage

from srgan_studio.cli import main
from srgan_studio.core.sizing import largest_scale

BICUBIC = "bicubic_x4"


def _photo(path, w=100, h=75, orientation=None):
    arr = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    im = PILImage.fromarray(arr)
    if orientation:
        exif = PILImage.Exif()
        exif[0x0112] = orientation
        im.save(path, quality=90, exif=exif.tobytes())
    else:
        im.save(path)
    return path


def test_native_x4_over_the_limit_is_one_line_before_any_work(tmp_path, capsys):
    src = _photo(tmp_path / "phone.png")  # 100x75 -> 400x300 = 0.12 MP
    assert main(["upscale", str(src), "--model", BICUBIC, "--max-megapixels", "0.1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "phone.png" in err and "400x300" in err and "0.1 MP limit" in err
    # What to do: the largest factor that fits, and the limit that would take x4.
    assert "--scale 3.6 or below" in err and "--max-megapixels to 1" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["phone.png"]


def test_the_suggested_scale_then_works(tmp_path, capsys):
    src = _photo(tmp_path / "phone.png")
    args = ["upscale", str(src), "--model", BICUBIC, "--max-megapixels", "0.1"]
    assert main([*args, "--scale", "3.6", "-q"]) == 0
    assert PILImage.open(tmp_path / "phone_x3.6.png").size == (360, 270)
    assert main([*args, "--scale", "3.7", "-q"]) == 1  # 370x278 is over: 3.6 was the largest


def test_rotated_jpeg_is_measured_upright(tmp_path, capsys):
    # Stored 100x75 with EXIF 6: 75x100 upright, 300x400 at x4; the message names the upright size.
    src = _photo(tmp_path / "phone.jpg", orientation=6)
    assert main(["upscale", str(src), "--model", BICUBIC, "--max-megapixels", "0.1"]) == 1
    assert "300x400" in capsys.readouterr().err


def test_with_several_inputs_the_one_over_the_limit_is_said_first_and_the_others_still_upscale(tmp_path, capsys):
    small = _photo(tmp_path / "small.png", 20, 15)
    big = _photo(tmp_path / "big.png")
    assert main(["upscale", str(big), str(small), "--model", BICUBIC, "--max-megapixels", "0.1"]) == 1
    lines = capsys.readouterr().err.splitlines()
    # The refusal comes before any work, not after the inputs ahead of it have been rendered.
    assert "big.png" in lines[0] and "limit" in lines[0] and "small_x4.png" in lines[1]
    assert lines[-1] == "1 upscaled, 1 failed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.png", "small.png", "small_x4.png"]


def test_within_the_limit_still_upscales(tmp_path, capsys):
    src = _photo(tmp_path / "phone.png")
    assert main(["upscale", str(src), "--model", BICUBIC, "--max-megapixels", "0.12", "-q"]) == 0
    assert PILImage.open(tmp_path / "phone_x4.png").size == (400, 300)


@pytest.mark.parametrize(
    ("size", "limit", "expected"),
    [((4000, 3000), 180_000_000, 3.8), ((100, 75), 100_000, 3.6), ((100, 100), 10_000, 1.0), ((100, 100), 9_999, None)],
)
def test_largest_scale(size, limit, expected):
    assert largest_scale(*size, limit) == expected
