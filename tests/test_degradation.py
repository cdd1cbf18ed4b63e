"""The real-world degradation pipeline (core/degradation.py) and its recipe keys."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from PIL import Image

from srgan_studio.core.degradation import (
    CLEAN,
    PRESETS,
    DegradationConfig,
    DegradationError,
    config_from,
    degrade,
    degrade_pair,
    usm_sharpen,
)
from srgan_studio.core.degradation_kernels import (
    KERNEL_TYPES,
    bessel_j1,
    convolve,
    gaussian_kernel,
    random_blur_kernel,
    sinc_kernel,
)
from srgan_studio.core.metrics import psnr_y


def photo_like(size: int = 96, seed: int = 0) -> np.ndarray:
    """Smooth shapes plus fine stripes: something blur, noise and JPEG visibly change."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    img = np.stack([128 + 60 * np.sin(xx / 7 + c) * np.cos(yy / 11) for c in range(3)], axis=-1)
    img[size // 4 : size // 2, size // 4 : 3 * size // 4] = rng.integers(0, 255, 3)
    img += 20 * ((xx.astype(int) // 2) % 2)[..., None]
    return np.clip(img, 0, 255).astype(np.uint8)


def test_convolve_matches_direct_reflect_padded_convolution():
    rng = np.random.default_rng(1)
    img = rng.random((13, 17, 3)).astype(np.float32)
    k = rng.random((5, 5)).astype(np.float32)
    k /= k.sum()
    padded = np.pad(img, ((2, 2), (2, 2), (0, 0)), mode="reflect")
    direct = np.zeros_like(img)
    for y in range(13):
        for x in range(17):
            direct[y, x] = (padded[y : y + 5, x : x + 5] * k[::-1, ::-1, None]).sum(axis=(0, 1))
    np.testing.assert_allclose(convolve(img, k), direct, atol=1e-5)


def test_bessel_j1_against_reference_values():
    # J1 at 0.5, 1, 3, 5, 10, 20 (Abramowitz & Stegun tables).
    x = np.array([0.5, 1.0, 3.0, 5.0, 10.0, 20.0, -1.0])
    ref = np.array([0.2422684577, 0.4400505857, 0.3390589585, -0.3275791376, 0.0434727462, 0.0668331242, -0.4400505857])
    np.testing.assert_allclose(bessel_j1(x), ref, atol=1e-7)


@pytest.mark.parametrize("kind", KERNEL_TYPES)
def test_every_blur_kernel_is_normalised_centred_and_symmetric(kind):
    k = random_blur_kernel(np.random.default_rng(3), 21, kind, (0.2, 3.0), (0.5, 4.0), (1.0, 2.0))
    assert k.shape == (21, 21)
    assert k.sum() == pytest.approx(1.0, abs=1e-5)
    assert k[10, 10] == k.max()
    np.testing.assert_allclose(k, k[::-1, ::-1], atol=1e-6)  # point-symmetric: no shift of the image


def test_anisotropic_kernel_is_wider_along_its_long_axis():
    k = gaussian_kernel(21, 4.0, 1.0, 0.0)
    assert k[10, 14] > 10 * k[14, 10]  # sigma_x 4 along columns, sigma_y 1 along rows


def test_sinc_kernel_rings():
    k = sinc_kernel(21, np.pi / 3)
    assert k.sum() == pytest.approx(1.0, abs=1e-5)
    assert k.min() < 0  # the negative lobes that make ringing


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_each_preset_gives_an_lr_of_the_exact_size_and_is_deterministic(name):
    hr = photo_like(96)
    a = degrade(hr, 4, PRESETS[name], np.random.default_rng([7, 3]))
    b = degrade(hr, 4, PRESETS[name], np.random.default_rng([7, 3]))
    assert a.shape == (24, 24, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)


def test_clean_preset_is_a_plain_bicubic_downscale_and_draws_nothing():
    hr = photo_like(64)
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    lr = degrade(hr, 4, CLEAN, rng)
    assert rng.bit_generator.state == before
    np.testing.assert_array_equal(lr, np.asarray(Image.fromarray(hr).resize((16, 16), Image.BICUBIC)))


def test_photo_degradation_is_worse_than_bicubic_and_varies_with_the_draw():
    hr = photo_like(128)
    clean = degrade(hr, 4, CLEAN, np.random.default_rng(0))
    lrs = [degrade(hr, 4, PRESETS["realesrgan"], np.random.default_rng(s)) for s in range(6)]
    assert all(psnr_y(lr, clean, 0) < 45 for lr in lrs)
    assert len({lr.tobytes() for lr in lrs}) == 6


def test_each_step_of_the_pipeline_can_be_switched_on_alone():
    hr = photo_like(96)
    clean = degrade(hr, 4, CLEAN, np.random.default_rng(0))
    only_noise = dataclasses.replace(CLEAN, noise_prob=1.0, gaussian_noise_prob=1.0, noise_range=[20.0, 20.0])
    noisy = degrade(hr, 4, only_noise, np.random.default_rng(0)).astype(np.float32)
    # Noise of sigma 20 on HR, averaged by the 4x4 downscale, leaves ~5 levels.
    assert 2.0 < np.std(noisy - clean) < 10.0
    only_jpeg = dataclasses.replace(CLEAN, jpeg_prob2=1.0, jpeg_range2=[10, 10])
    jpeg = degrade(hr, 4, only_jpeg, np.random.default_rng(0))
    buf = io.BytesIO()
    Image.fromarray(clean).save(buf, "JPEG", quality=10)
    assert psnr_y(jpeg, clean, 0) < 40


def test_usm_target_sharpens_edges_only_when_asked():
    hr = photo_like(96)
    target, _ = degrade_pair(hr, 4, PRESETS["photo"], np.random.default_rng(0))
    np.testing.assert_array_equal(target, hr)
    usm = dataclasses.replace(PRESETS["photo"], usm_target=True)
    sharp, _ = degrade_pair(hr, 4, usm, np.random.default_rng(0))
    assert not np.array_equal(sharp, hr)
    assert np.abs(np.diff(sharp.astype(float), axis=1)).mean() > np.abs(np.diff(hr.astype(float), axis=1)).mean()
    np.testing.assert_array_equal(usm_sharpen(np.full((32, 32, 3), 90, np.uint8)), 90)  # flat stays flat


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("blur_sigma", [-1.0, 2.0], "blur_sigma"),
        ("jpeg_range", [0, 90], "jpeg_range"),
        ("jpeg_range2", [50, 101], "jpeg_range2"),
        ("noise_prob", 1.5, "probability"),
        ("second_stage_prob", -0.1, "second_stage_prob"),
        ("kernel_range", [7, 22], "odd"),
        ("kernel_range2", [7, 41], "between 3 and"),
        ("kernel_prob", [0, 0, 0, 0, 0, 0], "kernel_prob"),
        ("final_resize_modes", ["lanczos"], "final_resize_modes"),
        ("noise_range", "loud", "list"),
        ("sigma", 1.0, "not a known key"),
    ],
)
def test_impossible_settings_name_the_key(key, value, words):
    with pytest.raises(DegradationError) as info:
        config_from("photo", {key: value})
    message = str(info.value)
    assert key in message and words in message and "\n" not in message


def test_unknown_preset_is_an_error():
    with pytest.raises(DegradationError, match="preset"):
        config_from("vintage", {})


def test_overrides_apply_on_top_of_the_preset():
    c = config_from("photo", {"jpeg_range2": [20, 30], "usm_target": True})
    assert c.jpeg_range2 == [20, 30] and c.usm_target
    assert c.noise_range == PRESETS["photo"].noise_range
    assert isinstance(c, DegradationConfig)


def _recipe_text(extra: str) -> str:
    return f'[model]\ntype = "srresnet"\nscale = 4\n[data]\ntrain = "x"\ndegradation = "photo"\n{extra}'


def test_a_recipe_with_an_impossible_degradation_fails_before_training_naming_the_key(tmp_path):
    from srgan_studio.training.recipe import RecipeError, load_recipe

    path = tmp_path / "bad.toml"
    path.write_text(_recipe_text("[degradation]\njpeg_range = [0, 120]\n"), encoding="utf-8")
    with pytest.raises(RecipeError) as info:
        load_recipe(path)
    assert "degradation.jpeg_range" in str(info.value) and str(path) in str(info.value)
    path.write_text(_recipe_text("").replace('"photo"', '"vintage"'), encoding="utf-8")
    with pytest.raises(RecipeError, match="preset"):
        load_recipe(path)


def test_the_degradation_table_survives_the_resolved_recipe(tmp_path):
    from srgan_studio.training.recipe import degradation_config, load_recipe

    path = tmp_path / "ok.toml"
    path.write_text(_recipe_text("[degradation]\nnoise_range = [1.0, 5.0]\nusm_target = true\n"), encoding="utf-8")
    recipe = load_recipe(path)
    again = tmp_path / "again.toml"
    again.write_text(recipe.to_toml(), encoding="utf-8")
    config = degradation_config(load_recipe(again))
    assert config.noise_range == [1.0, 5.0] and config.usm_target
    assert config.jpeg_range2 == PRESETS["photo"].jpeg_range2
