"""Input kind (photo vs clean source) and the model it picks in `upscale` and `batch`."""

from __future__ import annotations

import io
import json
import shutil

import numpy as np
import pytest
from kind_fixtures import RULE_STYLES, dead_leaves, downscale, flat_ui, ruled_screenshot, soft_photo
from PIL import Image as PILImage
from PIL import ImageFilter

from srgan_studio.cli import main
from srgan_studio.core import registry
from srgan_studio.core.input_kind import (
    CLEAN,
    CROP,
    NOISE_LEVEL,
    PHOTO,
    SOFT_SHARE,
    classify_file,
    classify_pixels,
    faithful_model,
    lossy_format_of_file,
    models_for_kind,
)
from srgan_studio.core.registry import user_models_dir


def clean_picture(h=200, w=280, dtype=np.uint8):
    """Gradients and flat shapes with edges off the 8-px grid: what a render or a clean scan looks like."""
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), np.float64)
    img[..., 0] = xx / w * 255
    img[..., 1] = yy / h * 200
    img[..., 2] = 90
    img[(xx - w // 3) ** 2 + (yy - h // 2) ** 2 < (h // 4) ** 2] = (235, 40, 60)
    img[h // 5 : h - 37, w // 2 + 13 : w - 11] = (30, 170, 95)
    peak = 65535 if dtype == np.uint16 else 255
    return np.clip(img / 255 * peak + 0.5, 0, peak).astype(dtype)


def noisy(arr, sigma=8.0, seed=0):
    rng = np.random.default_rng(seed)
    return np.clip(arr + rng.normal(0, sigma, arr.shape), 0, 255).astype(np.uint8)


def jpeg_round_trip(arr, quality):
    buf = io.BytesIO()
    PILImage.fromarray(arr).save(buf, "JPEG", quality=quality)
    return np.asarray(PILImage.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def test_clean_gradients_and_shapes_are_clean():
    assert classify_pixels(clean_picture()).kind == CLEAN
    assert classify_pixels(clean_picture(dtype=np.uint16)).kind == CLEAN
    assert classify_pixels(clean_picture()[..., :1]).kind == CLEAN  # grey


@pytest.mark.parametrize("sigma", [6.0, 12.0])
def test_sensor_noise_makes_a_photo(sigma):
    report = classify_pixels(noisy(clean_picture(), sigma))
    assert report.kind == PHOTO and "noise" in report.reason


def test_fine_texture_with_no_flat_area_is_not_taken_for_noise():
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:120, 0:160].astype(np.float64)
    img = np.full(x.shape, 128.0)
    for _ in range(6):
        fx, fy = rng.uniform(-0.3, 0.3, 2)
        img += 20 * np.sin(2 * np.pi * (fx * x + fy * y) + rng.uniform(0, 6))
    busy = np.clip(np.repeat(img[..., None], 3, axis=2) + 0.5, 0, 255).astype(np.uint8)
    report = classify_pixels(busy)
    assert report.noise > NOISE_LEVEL  # the mask alone would call it noisy
    assert report.kind == CLEAN and "texture" in report.reason


@pytest.mark.parametrize("quality", [40, 60, 75, 90])  # 90: a faint grid, seen across the rows only
def test_a_decoded_jpeg_saved_losslessly_is_a_photo_by_its_block_grid(quality):
    report = classify_pixels(jpeg_round_trip(clean_picture(), quality))
    assert report.kind == PHOTO and "grid" in report.reason


def test_the_grid_is_only_counted_on_the_jpeg_phase():
    # The same JPEG shifted by 3 px has its block edges off the crop's 8-px grid phase 7.
    shifted = jpeg_round_trip(clean_picture(), 40)[:, 3:]
    assert classify_pixels(jpeg_round_trip(clean_picture(), 40)).grid > classify_pixels(shifted).grid


@pytest.mark.parametrize("style", RULE_STYLES)
@pytest.mark.parametrize("period", [12, 16, 24])
def test_a_screenshot_ruled_every_12_16_or_24_px_has_no_jpeg_grid(period, style):
    # At some offsets the rules land on the 8-px block edges: on every other one at 12 px (and on the
    # middle of the blocks between), on every second or third one at 16 and 24 px.
    for offset in range(period):
        report = classify_pixels(ruled_screenshot(period, offset, style))
        assert report.kind == CLEAN, f"offset {offset}: {report.reason}"


@pytest.mark.parametrize("resample", [PILImage.BICUBIC, PILImage.BOX, PILImage.LANCZOS])
def test_clean_downscales_of_a_natural_picture_keep_their_fine_detail(resample):
    assert classify_pixels(downscale(dead_leaves(), 4, resample)).kind == CLEAN


def test_a_photo_whose_blur_hid_its_noise_is_a_photo_when_saved_as_png(tmp_path):
    path = tmp_path / "soft.png"
    PILImage.fromarray(soft_photo(downscale(dead_leaves()))).save(path)
    report = classify_file(path)
    assert report.kind == PHOTO and "blurred" in report.reason
    assert report.noise < NOISE_LEVEL  # what is left of the noise would not tell


def test_a_flat_image_is_clean():
    report = classify_pixels(np.full((64, 64, 3), 90, np.uint8))
    assert report.kind == CLEAN and report.detail == 1.0


def test_big_images_are_judged_on_their_centre():
    h, w = CROP * 3, CROP * 3
    base = np.full((h, w, 3), 128, np.uint8)
    centre = (slice(CROP, 2 * CROP), slice(CROP, 2 * CROP))
    noisy_centre = base.copy()
    noisy_centre[centre] = noisy(base[centre])
    noisy_border = noisy(base)
    noisy_border[centre] = 128
    assert classify_pixels(noisy_centre).kind == PHOTO
    assert classify_pixels(noisy_border).kind == CLEAN


def test_compressed_jpeg_is_a_photo_by_name_or_signature_without_decoding(tmp_path):
    garbage = tmp_path / "not_really.jpg"
    garbage.write_bytes(b"this is not an image at all")
    assert classify_file(garbage).kind == PHOTO  # decided by the name; decoding would fail
    renamed = tmp_path / "photo.png"
    PILImage.fromarray(clean_picture()).save(renamed, "JPEG", quality=70)  # a camera's q95: test_jpeg_quality
    assert lossy_format_of_file(renamed) == "JPEG"
    assert classify_file(renamed).kind == PHOTO


def test_lossy_webp_is_a_photo_and_lossless_webp_is_measured(tmp_path):
    lossy, lossless = tmp_path / "a.webp", tmp_path / "b.webp"
    PILImage.fromarray(clean_picture()).save(lossy, "WEBP", quality=90)
    PILImage.fromarray(clean_picture()).save(lossless, "WEBP", lossless=True)
    assert lossy_format_of_file(lossy) == "lossy WebP"
    assert lossy_format_of_file(lossless) is None
    assert classify_file(lossy).kind == PHOTO
    assert classify_file(lossless).kind == CLEAN


def test_png_files_are_measured(tmp_path):
    clean, grainy = tmp_path / "clean.png", tmp_path / "grainy.png"
    PILImage.fromarray(clean_picture()).save(clean)
    PILImage.fromarray(noisy(clean_picture())).save(grainy)
    assert classify_file(clean).kind == CLEAN
    assert classify_file(grainy).kind == PHOTO


def test_tiny_images_are_clean():
    assert classify_pixels(noisy(np.full((6, 9, 3), 128, np.uint8))).kind == CLEAN


def test_faithful_model_falls_back_while_restore_is_not_installed():
    assert faithful_model(PHOTO, {"restore_x4", "srresnet_x4"}) == "restore_x4"
    assert faithful_model(PHOTO, {"srresnet_x4", "srgan_x4"}) == "srresnet_x4"
    assert faithful_model(CLEAN, {"restore_x4", "srresnet_x4"}) == "srresnet_x4"
    assert models_for_kind(PHOTO, {"restore_x4", "restore_gan_x4"}) == ("restore_x4", "restore_gan_x4")
    with pytest.raises(ValueError):
        faithful_model("blurry", {"srresnet_x4"})


# ---------------------------------------------------------------- the CLI picks per input


@pytest.fixture
def twins(tiny_model, tmp_path_factory, monkeypatch):
    """The tiny test model as the only srresnet_x4 and restore_x4 (bundled models would hide user ones)."""
    monkeypatch.setattr(registry, "bundled_models_dir", lambda: tmp_path_factory.mktemp("no-bundled"))
    folder = user_models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("srresnet_x4", "restore_x4"):
        shutil.copy(tiny_model.model_path, folder / f"{name}.onnx")
        desc = json.loads(tiny_model.to_json())
        desc.update(name=name, file=f"{name}.onnx")
        (folder / f"{name}.json").write_text(json.dumps(desc))


def _inputs(folder):
    folder.mkdir()
    PILImage.fromarray(clean_picture(40, 48)).save(folder / "render.png")
    PILImage.fromarray(clean_picture(40, 48)).save(folder / "snap.jpg", quality=80)
    PILImage.fromarray(noisy(clean_picture(40, 48), 12)).save(folder / "grain.png")
    return folder


def test_upscale_without_model_picks_per_input_and_says_so(tmp_path, twins, capsys):
    src = _inputs(tmp_path / "in")
    assert main(["upscale", str(src / "render.png"), str(src / "snap.jpg"), str(src / "grain.png")]) == 0
    lines = {line.split(" -> ")[0].rsplit("/", 1)[-1]: line for line in capsys.readouterr().err.splitlines()}
    assert "(srresnet_x4, clean" in lines["render.png"]
    assert "(restore_x4, photo: JPEG file" in lines["snap.jpg"]
    assert "(restore_x4, photo: noise" in lines["grain.png"]


def test_upscale_model_flag_wins(tmp_path, twins, capsys):
    src = _inputs(tmp_path / "in")
    assert main(["upscale", str(src / "snap.jpg"), "--model", "srresnet_x4"]) == 0
    assert "(srresnet_x4;" in capsys.readouterr().err


def test_batch_auto_names_the_chosen_model_per_file(tmp_path, twins, capsys):
    src = _inputs(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["batch", str(src), str(out), "--workers", "0"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "grain_restore_x4.png",
        "render_srresnet_x4.png",
        "snap_restore_x4.jpg",
    ]
    err = capsys.readouterr().err
    assert "render.png (srresnet_x4)" in err and "snap.jpg (restore_x4)" in err
    # A re-run resumes: every file is skipped, whichever twin it got.
    assert main(["batch", str(src), str(out)]) == 0
    assert "0 done, 3 skipped" in capsys.readouterr().out


def test_batch_auto_falls_back_to_srresnet_without_restore(tmp_path, tiny_model, twins, capsys):
    for ext in ("onnx", "json"):
        (user_models_dir() / f"restore_x4.{ext}").unlink()
    src = _inputs(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["batch", str(src), str(out), "-q"]) == 0
    assert {p.name.split("_", 1)[1] for p in out.iterdir()} == {"srresnet_x4.png", "srresnet_x4.jpg"}


def test_batch_model_flag_wins(tmp_path, twins):
    src = _inputs(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["batch", str(src), str(out), "-m", "srresnet_x4", "-q"]) == 0
    assert all("srresnet_x4" in p.name for p in out.iterdir())


@pytest.mark.parametrize("workers", [0, 2])
def test_batch_auto_decodes_each_input_once(tmp_path, twins, monkeypatch, capsys, workers):
    # A lossless file and a camera's q 95 JPEG are judged on their pixels: the same decode the model gets.
    from srgan_studio.core import imageio

    src = _inputs(tmp_path / "in")
    PILImage.fromarray(noisy(clean_picture(40, 48), 12)).save(src / "camera.jpg", quality=95)
    real_read, decoded = imageio.read_image, []
    monkeypatch.setattr(imageio, "read_image", lambda path, **kw: decoded.append(path.name) or real_read(path, **kw))
    out = tmp_path / "out"
    assert main(["batch", str(src), str(out), "--workers", str(workers), "-q"]) == 0
    assert sorted(decoded) == ["camera.jpg", "grain.png", "render.png", "snap.jpg"]
    assert sorted(p.name for p in out.iterdir()) == [
        "camera_restore_x4.jpg",
        "grain_restore_x4.png",
        "render_srresnet_x4.png",
        "snap_restore_x4.jpg",
    ]


def test_batch_auto_with_a_named_twin_keeps_the_named_one(tmp_path, twins):
    # "auto" and srresnet_x4 together: a clean file gets srresnet_x4 once, a noisy one both twins.
    src = _inputs(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["batch", str(src), str(out), "-m", "auto", "-m", "srresnet_x4", "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "grain_restore_x4.png",
        "grain_srresnet_x4.png",
        "render_srresnet_x4.png",
        "snap_restore_x4.jpg",
        "snap_srresnet_x4.jpg",
    ]


def test_a_plan_leaves_lossless_inputs_undecided_and_decides_jpegs_by_header(tmp_path, twins):
    from srgan_studio.core.batch_plan import AUTO, BatchJob, decide, plan_batch, planned_outputs

    src = _inputs(tmp_path / "in")
    job = BatchJob(src, tmp_path / "out", [AUTO])
    items = {item.input.name: item for item in plan_batch(job).items}
    assert items["snap.jpg"].todo == ("restore_x4",) and not items["snap.jpg"].undecided
    render = items["render.png"]
    assert set(render.todo) == {"srresnet_x4", "restore_x4"} and planned_outputs(render, job) == 1
    clean = decide(render, CLEAN, job)
    assert clean.todo == ("srresnet_x4",) and list(clean.outputs) == ["srresnet_x4"] and not clean.undecided
    assert decide(render, PHOTO, job).todo == ("restore_x4",)


def blurred_then_noisy(lr, blur, sigma, channels=3, seed=0):
    soft = np.asarray(PILImage.fromarray(lr).filter(ImageFilter.GaussianBlur(blur)))
    noise = np.random.default_rng(seed).normal(0, sigma, (*soft.shape[:2], channels))
    return np.clip(soft + noise + 0.5, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(("blur", "sigma", "channels"), [(1.0, 3.0, 3), (1.0, 2.0, 1), (1.5, 3.0, 3), (2.0, 2.0, 3)])
def test_a_blur_under_noise_too_faint_to_tell_is_a_photo(blur, sigma, channels):
    # The noise refills the finest band that the blur emptied, so that band's share reads sharp, and it is
    # too faint for the noise rule; the bands the blur emptied sit at the noise's own level.
    report = classify_pixels(blurred_then_noisy(downscale(dead_leaves()), blur, sigma, channels))
    assert report.kind == PHOTO and "blurred under noise" in report.reason
    assert report.detail > SOFT_SHARE and report.noise < NOISE_LEVEL


@pytest.mark.parametrize("sigma", [6.0, 12.0])
def test_a_blur_under_strong_noise_is_a_photo(sigma):
    assert classify_pixels(blurred_then_noisy(downscale(dead_leaves()), 1.5, sigma)).kind == PHOTO


def test_a_strong_blur_alone_is_a_photo():
    # Blurred this much, the finest band holds the rounding to integers only: as much as the mid band keeps.
    report = classify_pixels(blurred_then_noisy(downscale(dead_leaves()), 2.0, 0.0))
    assert report.kind == PHOTO and report.detail > SOFT_SHARE


@pytest.mark.parametrize("text", [True, False])
def test_a_flat_ui_laid_out_on_the_8px_grid_has_no_jpeg_grid(text):
    # Every panel and button edge is a block edge and the blocks between are flat: no step inside them at all.
    for seed in range(24):
        report = classify_pixels(flat_ui(seed, text=text))
        assert report.kind == CLEAN, f"layout {seed}: {report.reason}"


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_a_flat_ui_that_went_through_a_jpeg_still_shows_its_grid(seed):
    # The JPEG rings around every edge it blocks, so those blocks are no longer flat fills.
    report = classify_pixels(jpeg_round_trip(flat_ui(seed), 50))
    assert report.kind == PHOTO and "grid" in report.reason


def test_a_high_quality_jpeg_files_own_faint_grid_does_not_make_a_photo(tmp_path):
    decoded = jpeg_round_trip(clean_picture(), 90)
    assert classify_pixels(decoded).kind == PHOTO  # as a PNG: the grid can only be an earlier JPEG's
    camera, resaved = tmp_path / "camera.jpg", tmp_path / "resaved.jpg"
    PILImage.fromarray(clean_picture()).save(camera, quality=90)
    PILImage.fromarray(jpeg_round_trip(clean_picture(), 50)).save(resaved, quality=92)
    assert classify_file(camera).kind == CLEAN  # a camera's own q 90: the clean twin wins on it
    report = classify_file(resaved)
    assert report.kind == PHOTO and "quality 92" in report.reason and "grid" in report.reason
