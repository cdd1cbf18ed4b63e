"""`srgan-studio upscale` and `srgan-studio models` end to end (in-process)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image as PILImage

from srgan_studio.cli import main
from srgan_studio.core.registry import user_models_dir


@pytest.fixture
def user_model(tiny_model):
    """The tiny test model installed as the user's srresnet_x4 (so it is the default)."""
    folder = user_models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(tiny_model.model_path, folder / "srresnet_x4.onnx")
    desc = json.loads(tiny_model.to_json())
    desc.update(name="srresnet_x4", file="srresnet_x4.onnx")
    (folder / "srresnet_x4.json").write_text(json.dumps(desc))
    return "srresnet_x4"


def _photo(path, size=(30, 20), mode="RGB"):
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    PILImage.fromarray(arr).convert(mode).save(path)
    return path


def test_upscale_default_output_beside_input(tmp_path, user_model, capsys):
    src = _photo(tmp_path / "photo.jpg")
    assert main(["upscale", str(src)]) == 0
    out = tmp_path / "photo_x4.jpg"
    assert PILImage.open(out).size == (120, 80)
    assert "photo_x4.jpg" in capsys.readouterr().err


def test_existing_output_is_an_error_unless_overwrite(tmp_path, user_model, capsys):
    src = _photo(tmp_path / "a.png")
    (tmp_path / "a_x4.png").write_bytes(b"old")
    assert main(["upscale", str(src)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists" in err and "Traceback" not in err
    assert (tmp_path / "a_x4.png").read_bytes() == b"old"
    assert main(["upscale", str(src), "--overwrite"]) == 0
    assert PILImage.open(tmp_path / "a_x4.png").size == (120, 80)


def test_never_overwrites_an_input_even_with_overwrite(tmp_path, user_model, capsys):
    src = _photo(tmp_path / "a.png")
    before = src.read_bytes()
    assert main(["upscale", str(src), "-o", str(src), "--overwrite"]) == 1
    assert "input" in capsys.readouterr().err
    assert src.read_bytes() == before


def test_several_inputs_into_a_folder_with_format_and_model(tmp_path, user_model):
    a, b = _photo(tmp_path / "a.png"), _photo(tmp_path / "b.bmp", mode="L")
    out = tmp_path / "out"
    out.mkdir()
    assert (
        main(
            [
                "upscale",
                str(a),
                str(b),
                "-o",
                str(out),
                "--format",
                "webp",
                "--model",
                "bicubic_x4",
                "--tile",
                "64",
                "--threads",
                "1",
                "--quality",
                "90",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in out.iterdir()) == ["a_x4.webp", "b_x4.webp"]
    assert PILImage.open(out / "b_x4.webp").size == (120, 80)


def test_one_bad_input_among_several_fails_that_file_only(tmp_path, user_model, capsys):
    good = _photo(tmp_path / "good.png")
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    assert main(["upscale", str(bad), str(good)]) == 1
    assert (tmp_path / "good_x4.png").exists() and not (tmp_path / "bad_x4.png").exists()
    assert "bad.png" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv,text",
    [
        (["--model", "nope"], "unknown model"),
        (["--device", "tpu"], "unknown device"),
        (["--quality", "0"], "quality"),
        (["--max-megapixels", "0.0001"], "over the limit"),
    ],
)
def test_user_errors_are_one_line(tmp_path, user_model, capsys, argv, text):
    src = _photo(tmp_path / "a.png")
    assert main(["upscale", str(src), *argv]) == 1
    err = capsys.readouterr().err
    assert text in err and err.startswith("srgan-studio: error:") and err.count("\n") == 1


def test_models_lists_and_json(user_model, capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "srresnet_x4" in out and "bicubic_x4" in out
    assert main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} >= {"srresnet_x4", "bicubic_x4"}
    assert all({"kind", "scale", "provenance", "metrics"} <= set(r) for r in rows)


def test_models_import_and_remove(tiny_model, capsys):
    assert main(["models", "import", str(tiny_model.model_path), "--name", "extra_x4"]) == 0
    assert (user_models_dir() / "extra_x4.onnx").is_file()
    assert main(["models", "remove", "extra_x4"]) == 0
    assert not (user_models_dir() / "extra_x4.onnx").exists()
    assert main(["models", "remove", "bicubic_x4"]) == 1
