"""Any output size (core/sizing.py) and its flags in `upscale` and `batch`."""

from __future__ import annotations

import numpy as np
import pytest
from gen_helpers import collect
from PIL import Image as PILImage

from srgan_studio.cli import main
from srgan_studio.core.errors import StudioError
from srgan_studio.core.imageio import Image, ImageMeta, read_image
from srgan_studio.core.registry import bicubic_descriptor
from srgan_studio.core.sizing import SizedUpscaler, SizeSpec, passes_needed, resample
from srgan_studio.core.upscale import Progress, Upscaler, default_output_path

BICUBIC = "bicubic_x4"


def run(gen):
    """The generator's return value (its progress events are covered by their own test)."""
    return collect(gen)[1]


class FakeModel:
    """A x4 'model' that paints every output pixel 200, so its output is recognisable after resampling."""

    scale = 4
    descriptor = bicubic_descriptor(4)

    def __init__(self):
        self.inputs: list[tuple[int, int]] = []

    def plan(self, height, width):
        return [None] * 2

    def run(self, image, cancel=None):
        self.inputs.append((image.width, image.height))
        for i in range(2):
            yield Progress(i + 1, 2, "tiles")
        h, w = image.height * 4, image.width * 4
        return Image(np.full((h, w, image.color.shape[2]), 200, np.uint8), None, ImageMeta())


def rgb(w, h, value=50):
    return Image(np.full((h, w, 3), value, np.uint8))


# ---------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    ("spec", "size", "expected"),
    [
        (SizeSpec(width=3000), (1001, 1), (3000, 3)),  # odd width, a 1-pixel-high image
        (SizeSpec(height=100), (1, 37), (3, 100)),
        (SizeSpec(width=99), (400, 300), (99, 74)),  # a target smaller than the input
        (SizeSpec(width=100, height=100), (300, 200), (100, 67)),
        (SizeSpec(width=100, height=100), (200, 300), (67, 100)),
        (SizeSpec(scale=2.5), (3, 3), (8, 8)),  # half up, not Python's round-half-even
        (SizeSpec(scale=1), (17, 9), (17, 9)),
        (SizeSpec(), (17, 9), (68, 36)),
        (SizeSpec(width=1), (5000, 3), (1, 1)),  # never below one pixel
    ],
)
def test_targets_are_exact(spec, size, expected):
    assert spec.target(*size, model_scale=4) == expected


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"scale": 0}, "between 1 and 16"),
        ({"scale": -2}, "between 1 and 16"),
        ({"scale": 16.5}, "between 1 and 16"),
        ({"scale": float("nan")}, "between 1 and 16"),
        ({"scale": 2, "width": 100}, "not both"),
        ({"width": 0}, "at least 1"),
        ({"height": -5}, "at least 1"),
    ],
)
def test_bad_sizes_are_one_line_errors(kwargs, text):
    with pytest.raises(StudioError, match=text):
        SizeSpec(**kwargs)


@pytest.mark.parametrize(("factor", "model", "passes"), [(1, 4, 1), (4, 4, 1), (4.01, 4, 2), (16, 4, 2), (16, 2, 4)])
def test_passes_needed(factor, model, passes):
    assert passes_needed(factor, model) == passes


def test_names_carry_the_size_and_the_default_is_unchanged():
    assert default_output_path("photo.jpg", 4).name == "photo_x4.jpg"
    assert default_output_path("photo.jpg", SizeSpec(scale=2).tag(4)).name == "photo_x2.jpg"
    assert default_output_path("photo.jpg", SizeSpec(scale=2.5).tag(4)).name == "photo_x2.5.jpg"
    assert default_output_path("photo.jpg", SizeSpec(width=3000).tag(4)).name == "photo_3000w.jpg"
    assert default_output_path("photo.jpg", SizeSpec(width=3000, height=2000).tag(4)).name == "photo_3000x2000.jpg"


# ---------------------------------------------------------------- how the size is reached


def test_a_factor_below_the_models_comes_from_the_models_output():
    model = FakeModel()
    out = run(SizedUpscaler(model, SizeSpec(scale=2)).run(rgb(10, 6)))
    assert model.inputs == [(10, 6)]
    assert (out.width, out.height) == (20, 12)
    assert np.all(out.color == 200)  # bicubic from the input would be 50


def test_large_factors_run_a_second_pass_on_the_first_output_with_one_progress_bar():
    model = FakeModel()
    seen, out = collect(SizedUpscaler(model, SizeSpec(scale=10)).run(rgb(7, 5)))
    assert model.inputs == [(7, 5), (28, 20)]
    assert (out.width, out.height) == (70, 50)
    assert [(p.done, p.total) for p in seen] == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_x16_on_a_tiny_image_through_a_real_upscaler():
    up = SizedUpscaler(Upscaler(bicubic_descriptor(4)), SizeSpec(scale=16))
    out = run(up.run(rgb(7, 5, value=90)))
    assert (out.width, out.height) == (112, 80)
    assert abs(int(out.color.mean()) - 90) <= 1


def test_targets_over_the_pixel_limit_or_16x_are_refused_before_any_tile():
    model = FakeModel()
    with pytest.raises(StudioError, match="limit"):
        run(SizedUpscaler(model, SizeSpec(scale=16), max_pixels=10_000).run(rgb(10, 10)))
    with pytest.raises(StudioError, match="at most 16"):
        run(SizedUpscaler(model, SizeSpec(width=1000)).run(rgb(10, 10)))
    assert model.inputs == []


def test_x8_keeps_16_bit_and_alpha():
    rng = np.random.default_rng(0)
    color = (rng.random((6, 5, 3)) * 65535).astype(np.uint16)
    alpha = np.full((6, 5), 40000, np.uint16)
    up = SizedUpscaler(Upscaler(bicubic_descriptor(4)), SizeSpec(scale=8))
    out = run(up.run(Image(color, alpha)))
    assert out.color.dtype == np.uint16 and out.alpha.dtype == np.uint16
    assert out.color.shape == (48, 40, 3) and out.alpha.shape == (48, 40)
    assert len(np.unique(out.color)) > 1000  # not squashed through 8 bits
    assert np.abs(out.alpha.astype(int) - 40000).max() <= 2


def test_grey_with_alpha_stays_grey_with_alpha_at_x8():
    grey = Image(np.full((4, 6, 1), 77, np.uint8), np.full((4, 6), 255, np.uint8))
    out = run(SizedUpscaler(Upscaler(bicubic_descriptor(4)), SizeSpec(scale=8)).run(grey))
    assert out.color.shape == (32, 48, 1) and out.alpha.shape == (32, 48)


def test_resampling_premultiplies_alpha():
    # Invisible red beside opaque green: a reduction must not bleed red into the edge.
    color = np.zeros((8, 8, 3), np.uint8)
    color[:, :4] = (255, 0, 0)
    color[:, 4:] = (0, 255, 0)
    alpha = np.zeros((8, 8), np.uint8)
    alpha[:, 4:] = 255
    out = resample(Image(color, alpha), 3, 3)
    visible = out.alpha > 10
    assert visible.any()
    assert out.color[..., 0][visible].max() <= 2


def test_resampling_to_the_same_size_is_a_no_op():
    image = rgb(5, 4)
    assert resample(image, 5, 4) is image


# ---------------------------------------------------------------- the CLI


def _png(path, w=30, h=20, dpi=None):
    rng = np.random.default_rng(0)
    im = PILImage.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    im.save(path, dpi=dpi) if dpi else im.save(path)
    return path


def test_upscale_scale_width_and_box_names_and_sizes(tmp_path):
    src = _png(tmp_path / "a.png", dpi=(72, 72))
    assert main(["upscale", str(src), "--model", BICUBIC, "--scale", "2"]) == 0
    assert main(["upscale", str(src), "--model", BICUBIC, "--width", "99"]) == 0
    assert main(["upscale", str(src), "--model", BICUBIC, "--width", "100", "--height", "50"]) == 0
    assert PILImage.open(tmp_path / "a_x2.png").size == (60, 40)
    assert PILImage.open(tmp_path / "a_99w.png").size == (99, 66)
    assert PILImage.open(tmp_path / "a_100x50.png").size == (75, 50)
    dpi = read_image(tmp_path / "a_x2.png").meta.dpi
    assert dpi is not None and round(dpi[0]) == 144  # DPI follows the final factor, not the model's 4


@pytest.mark.parametrize(
    ("flags", "text"),
    [
        (["--scale", "0"], "between 1 and 16"),
        (["--scale", "-1"], "between 1 and 16"),
        (["--scale", "17"], "between 1 and 16"),
        (["--scale", "2", "--width", "100"], "not both"),
        (["--scale", "16", "--max-megapixels", "0.1"], "limit"),
    ],
)
def test_upscale_bad_sizes_fail_in_one_line_before_any_work(tmp_path, capsys, flags, text):
    src = _png(tmp_path / "a.png")
    assert main(["upscale", str(src), "--model", BICUBIC, *flags]) == 1
    err = capsys.readouterr().err
    assert text in err and err.count("\n") == 1 and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def test_batch_sizes_name_their_outputs(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    _png(folder / "a.png")
    _png(folder / "b.png", 13, 7)
    out = tmp_path / "out"
    assert main(["batch", str(folder), str(out), "-m", BICUBIC, "--width", "40", "-q"]) == 0
    assert PILImage.open(out / "a_bicubic_x4_40w.png").size == (40, 27)
    assert PILImage.open(out / "b_bicubic_x4_40w.png").size == (40, 22)


def test_batch_box_over_the_limit_is_refused_before_any_work(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    _png(folder / "a.png")
    args = ["batch", str(folder), str(tmp_path / "out"), "-m", BICUBIC, "--width", "9000", "--height", "9000"]
    assert main([*args, "--max-megapixels", "50"]) == 1
    err = capsys.readouterr().err
    assert "limit" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
