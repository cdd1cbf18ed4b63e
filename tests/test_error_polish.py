"""Rough edges from a new-user walkthrough: each user error is one line that says what is wrong
(recipe typos and --set overrides, unreadable eval images, junk .pth imports, truncated JPEGs)."""

from __future__ import annotations

import io
import json
import re
import zipfile

import numpy as np
import pytest
from PIL import Image as PILImage

from srgan_studio.cli import main
from srgan_studio.core.errors import ImageReadError, StudioError
from srgan_studio.core.imageio import read_image
from srgan_studio.core.recipe_schema import RecipeError, load_recipe

SECTIONS = "(sections: data, degradation, experiment, gan, model, train)"


def _one_line(text: str) -> str:
    text = text.strip()
    assert text and "\n" not in text, text
    return text


def _recipe_error(tmp_path, text: str, overrides=()) -> str:
    path = tmp_path / "r.toml"
    path.write_text(text)
    with pytest.raises(RecipeError) as info:
        load_recipe(path, list(overrides))
    return _one_line(str(info.value))


# ---------------------------------------------------------------- recipes


def test_a_typo_key_says_did_you_mean(tmp_path):
    err = _recipe_error(tmp_path, "[train]\nlrr = 1e-4\n")
    assert err == f"{tmp_path / 'r.toml'}: train.lrr is not a known key; did you mean train.lr?"


def test_a_key_with_no_near_match_lists_the_known_keys(tmp_path):
    err = _recipe_error(tmp_path, "[train]\nqqqqq = 1\n")
    assert "train.qqqqq is not a known key (known: betas, " in err and "did you mean" not in err


def test_an_unknown_section_lists_the_sections(tmp_path):
    err = _recipe_error(tmp_path, "[trian]\nlr = 1e-4\n")
    assert err.endswith(f"r.toml: unknown section [trian]; did you mean [train]? {SECTIONS}")
    err = _recipe_error(tmp_path, "[zzz]\nx = 1\n")
    assert err.endswith(f"r.toml: unknown section [zzz] {SECTIONS}")


@pytest.mark.parametrize(
    "override, expected",
    [
        ("train.lrr=1e-4", "--set train.lrr=1e-4: train.lrr is not a known key; did you mean train.lr?"),
        ("trian.lr=1e-4", f"--set trian.lr=1e-4: unknown section [trian]; did you mean [train]? {SECTIONS}"),
        ("train.steps=0", "--set train.steps=0: train.steps must be positive"),
        ("train.stage=foo", "--set train.stage=foo: train.stage must be one of ('psnr', 'gan'), not 'foo'"),
        ("train.lr", "--set train.lr: must look like SECTION.KEY=VALUE"),
        ("lr=1e-4", "--set lr=1e-4: must look like SECTION.KEY=VALUE"),
    ],
)
def test_a_bad_override_is_named_not_the_file(tmp_path, override, expected):
    assert _recipe_error(tmp_path, "[train]\nsteps = 5\n", [override]) == expected


def test_an_override_is_blamed_only_for_what_it_broke(tmp_path):
    # the file's own typo is the file's, even with a good override
    err = _recipe_error(tmp_path, "[train]\nlrr = 1\n", ["train.steps=3"])
    assert err.startswith(f"{tmp_path / 'r.toml'}: train.lrr")
    # a later override that mends an earlier one is fine
    path = tmp_path / "ok.toml"
    path.write_text("[train]\nsteps = 5\n")
    assert load_recipe(path, ["train.steps=0", "train.steps=7"]).train.steps == 7
    # the culprit is the override that broke the recipe, not an earlier good one
    err = _recipe_error(tmp_path, "[data]\npatch_size = 64\n", ["gan.d_shift=4", "data.patch_size=8"])
    assert err.startswith("--set data.patch_size=8: gan.d_shift must be in")


def test_train_command_names_the_override(tmp_path, capsys):
    pytest.importorskip("torch")
    path = tmp_path / "r.toml"
    path.write_text("[train]\nsteps = 5\n")
    assert main(["train", str(path), "--out", str(tmp_path / "run"), "--set", "train.lrr=1e-4"]) != 0
    err = _one_line(capsys.readouterr().err)
    assert err.endswith("--set train.lrr=1e-4: train.lrr is not a known key; did you mean train.lr?")
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------- eval


def _jpeg_bytes(h=64, w=64) -> bytes:
    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    PILImage.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def _eval_folder(folder, bad=True):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    for i in range(2):
        PILImage.fromarray(rng.integers(0, 256, (40, 44, 3), dtype=np.uint8)).save(folder / f"im{i}.png")
    if bad:
        (folder / "a_notes.jpg").write_text("not a picture\n" * 10)
        data = _jpeg_bytes()
        (folder / "cut.jpg").write_bytes(data[: len(data) // 2])
    return folder


def test_eval_skips_unreadable_files_and_records_them(tmp_path):
    from srgan_studio.training.evaluate import bicubic_runner, evaluate

    warnings: list[str] = []
    result = evaluate(bicubic_runner(4), [_eval_folder(tmp_path / "set")], 4, warn=warnings.append)
    clean = evaluate(bicubic_runner(4), [_eval_folder(tmp_path / "clean", bad=False)], 4, warn=warnings.append)
    m = result["sets"]["set"]
    assert m["images"] == 2 and m["psnr_y"] == clean["sets"]["clean"]["psnr_y"]
    assert m["skipped"] == [
        {"image": "a_notes.jpg", "reason": "not an image in a supported format (PNG, JPEG, WebP, TIFF, BMP)"},
        {"image": "cut.jpg", "reason": "truncated or damaged file"},
    ]
    assert clean["sets"]["clean"]["skipped"] == []
    assert warnings == [
        f"warning: skipped {tmp_path / 'set' / 'a_notes.jpg'}: not an image in a supported format "
        "(PNG, JPEG, WebP, TIFF, BMP)",
        f"warning: skipped {tmp_path / 'set' / 'cut.jpg'}: truncated or damaged file",
    ]


def test_eval_skips_on_every_draw_and_warns_once(tmp_path):
    from srgan_studio.training.evaluate import bicubic_runner, evaluate

    warnings: list[str] = []
    result = evaluate(
        bicubic_runner(4), [_eval_folder(tmp_path / "set")], 4, degradation="photo", draws=2, warn=warnings.append
    )
    assert result["sets"]["set"]["images"] == 2 and len(result["sets"]["set"]["per_image"]) == 4
    assert len(warnings) == 2


def test_eval_command_warns_on_stderr_and_goes_on(tmp_path, capsys):
    folder = _eval_folder(tmp_path / "set")
    assert main(["eval", "--model", "bicubic_x4", str(folder), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["sets"]["set"]["images"] == 2
    assert err.splitlines() == [
        f"warning: skipped {folder / 'a_notes.jpg'}: not an image in a supported format (PNG, JPEG, WebP, TIFF, BMP)",
        f"warning: skipped {folder / 'cut.jpg'}: truncated or damaged file",
    ]


def test_eval_with_nothing_readable_names_the_folder(tmp_path):
    from srgan_studio.training.evaluate import bicubic_runner, evaluate

    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "notes.jpg").write_text("not a picture\n" * 10)
    with pytest.raises(StudioError) as info:
        evaluate(bicubic_runner(4), [folder], 4, warn=lambda _: None)
    assert _one_line(str(info.value)) == f"{folder}: no readable images to evaluate on (1 skipped)"


# ---------------------------------------------------------------- models import


def _junk_cases() -> dict[str, tuple[bytes, str]]:
    torch = pytest.importorskip("torch")
    pytest.importorskip("spandrel")
    buf = io.BytesIO()
    torch.save({"conv.weight": torch.zeros(8, 3, 3, 3)}, buf)
    good = buf.getvalue()
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("readme.txt", "hello")
    return {
        "text": (b"hello, this is not a model\n", "a text file, not a zip or pickle archive"),
        "html": (b"<!DOCTYPE html>\n<html><body>404</body></html>\n", "a web page, not a zip or pickle archive"),
        "random": (np.random.default_rng(0).bytes(4096), "not a zip or pickle archive"),
        "empty": (b"", "the file is empty (0 bytes)"),
        "cut_zip": (good[: len(good) // 2], "truncated or damaged zip archive"),
        "other_zip": (other.getvalue(), "a zip archive, but not one torch.save wrote"),
        "pickle": (b"\x80\x02K\x05.", "a pickle archive, but not one torch.save wrote"),
    }


@pytest.mark.parametrize("case", ["text", "html", "random", "empty", "cut_zip", "other_zip", "pickle"])
def test_a_junk_pth_says_what_it_is(tmp_path, case):
    from srgan_studio.core.errors import ModelError
    from srgan_studio.training import import_model

    data, why = _junk_cases()[case]
    src = tmp_path / "junk.pth"
    src.write_bytes(data)
    with pytest.raises(ModelError) as info:
        import_model.read_state_dict(src)
    err = _one_line(str(info.value))
    assert err.startswith(f"{src}: not a readable PyTorch weights file (") and why in err
    assert not re.search(r"\(\d+\)|operand|miniz|enforce", err), err


def test_models_import_of_junk_is_one_plain_line(tmp_path, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("spandrel")
    src = tmp_path / "junk.pth"
    src.write_bytes(b"hello, this is not a model\n")
    assert main(["models", "import", str(src)]) != 0
    err = _one_line(capsys.readouterr().err)
    assert err.endswith("junk.pth: not a readable PyTorch weights file (a text file, not a zip or pickle archive)")


# ---------------------------------------------------------------- truncated images


@pytest.mark.parametrize("keep", [100, 0.5])
def test_a_truncated_jpeg_says_so(tmp_path, keep):
    data = _jpeg_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: keep if isinstance(keep, int) else int(len(data) * keep)])
    with pytest.raises(ImageReadError) as info:
        read_image(cut)
    assert _one_line(str(info.value)) == f"{cut}: truncated or damaged file"
    assert PILImage.MAX_IMAGE_PIXELS is not None  # Pillow's bomb guard stays on
