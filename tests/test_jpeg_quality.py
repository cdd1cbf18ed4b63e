"""The JPEG quality estimate and the rule that lets a camera's own JPEG be read by its pixels."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from srgan_studio.core import input_kind
from srgan_studio.core.input_kind import CLEAN, HIGH_QUALITY, PHOTO, classify_file
from srgan_studio.core.jpeg_quality import jpeg_quality, quality_from_table


def _smooth_picture(side: int = 192) -> np.ndarray:
    """Soft gradients and a few discs: clean content with no noise, grid or blur to measure."""
    y, x = np.mgrid[0:side, 0:side].astype(np.float32)
    img = np.stack([x / side * 200 + 20, y / side * 180 + 30, (x + y) / (2 * side) * 150 + 50], axis=-1)
    for cy, cx, r, v in ((50, 60, 20, 240), (120, 140, 30, 10), (150, 40, 15, 128)):
        img[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = v
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("quality", [25, 50, 70, 85, 90, 95, 100])
def test_quality_is_read_back_from_pillows_tables(tmp_path, quality):
    path = tmp_path / "a.jpg"
    Image.fromarray(_smooth_picture(64)).save(path, quality=quality)
    assert abs(jpeg_quality(path) - quality) <= 1


def test_very_coarse_tables_still_read_as_low_quality(tmp_path):
    path = tmp_path / "a.jpg"
    Image.fromarray(_smooth_picture(64)).save(path, quality=5)
    assert jpeg_quality(path) < 25  # IJG clamps divisors at 255, so the estimate reads a little high down here


def test_tables_that_are_not_jpeg_tables_are_refused():
    with pytest.raises(ValueError, match="64 divisors"):
        quality_from_table([1] * 63)
    with pytest.raises(ValueError):
        quality_from_table([0] * 64)


def test_no_quality_for_other_files(tmp_path):
    png, fake = tmp_path / "a.png", tmp_path / "b.jpg"
    Image.fromarray(_smooth_picture(64)).save(png)
    fake.write_text("not an image")
    assert jpeg_quality(png) is None
    assert jpeg_quality(fake) is None
    assert jpeg_quality(tmp_path / "missing.jpg") is None


def test_a_compressed_jpeg_is_a_photo_without_decoding(tmp_path, monkeypatch):
    path = tmp_path / "web.jpg"
    Image.fromarray(_smooth_picture()).save(path, quality=HIGH_QUALITY - 15)

    def no_decoding(*_a, **_k):
        raise AssertionError("a compressed JPEG is decided from its header")

    monkeypatch.setattr(input_kind, "classify_pixels", no_decoding)
    report = classify_file(path)
    assert report.kind == PHOTO and f"quality {HIGH_QUALITY - 15}" in report.reason


def test_a_cameras_own_jpeg_is_judged_by_its_pixels(tmp_path):
    path = tmp_path / "camera.jpg"
    Image.fromarray(_smooth_picture()).save(path, quality=95)
    report = classify_file(path)
    assert report.kind == CLEAN
    assert report.reason.startswith("JPEG file, quality 95;")


def test_a_high_quality_jpeg_of_a_noisy_photo_is_still_a_photo(tmp_path):
    rng = np.random.default_rng(0)
    noisy = np.clip(_smooth_picture().astype(np.float32) + rng.normal(0, 8, (192, 192, 3)), 0, 255).astype(np.uint8)
    path = tmp_path / "night.jpg"
    Image.fromarray(noisy).save(path, quality=95)
    assert classify_file(path).kind == PHOTO


def test_decoded_pixels_are_used_when_given(tmp_path, monkeypatch):
    path = tmp_path / "camera.jpg"
    Image.fromarray(_smooth_picture()).save(path, quality=95)
    import srgan_studio.core.imageio as imageio

    monkeypatch.setattr(imageio, "read_image", lambda *a, **k: pytest.fail("decoded twice"))
    assert classify_file(path, color=_smooth_picture()).kind == CLEAN
