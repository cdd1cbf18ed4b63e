"""`srgan-studio models`: a readable table; `--json` keeps full precision."""

from __future__ import annotations

import json

from srgan_studio.cli import main
from srgan_studio.cli.models_cmd import models_table
from srgan_studio.core.descriptor import ModelDescriptor
from srgan_studio.core.registry import bicubic_descriptor, user_models_dir

SET5 = {"psnr_y": 30.774974624825, "bicubic_psnr_y": 28.416677660003, "ssim_y": 0.87195843175}
SET14 = {"psnr_y": 27.785914195096, "bicubic_psnr_y": 26.086531738351}


def _model(name="sharp_x4", metrics=None, **kw):
    return ModelDescriptor(
        name=name,
        title=name.title(),
        kind="onnx",
        architecture="srresnet",
        scale=4,
        metrics=metrics if metrics is not None else {"Set5": SET5, "Set14": SET14},
        **kw,
    )


def test_table_has_two_decimal_psnr_with_bicubic_alongside():
    lines = models_table([_model()], default="sharp_x4").splitlines()
    assert "Set5 PSNR (bicubic)" in lines[0] and "Set14 PSNR (bicubic)" in lines[0]
    row = lines[1]
    assert row.startswith("*sharp_x4") and "x4" in row and "onnx" in row
    assert "30.77 (28.42)" in row and "27.79 (26.09)" in row
    assert "30.7749" not in row and "0.8719" not in row  # no long decimals, no other metrics


def test_table_columns_line_up_and_missing_metrics_show_a_dash():
    models = [_model("a_much_longer_name_x4"), _model("b_x4", metrics={}), bicubic_descriptor(4)]
    lines = models_table(models, default="b_x4").splitlines()
    starts = {line.index("  x4  ") + 2 for line in lines[1:]}
    assert len(starts) == 1  # the scale column starts at the same place in every row
    assert lines[0].index("scale") == starts.pop()
    assert lines[2].startswith("*b_x4") and " - " in lines[2]
    assert "built-in" in lines[3]


def test_a_set_with_psnr_but_no_bicubic_shows_the_psnr_alone():
    row = models_table([_model(metrics={"Set5": {"psnr_y": 25.0}})], default="").splitlines()[1]
    assert "25.00 " in row and "(" not in row.split("25.00")[1].split("x")[0]


def test_models_json_keeps_full_precision(capsys):
    folder = user_models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sharp_x4.json").write_text(_model().to_json())
    assert main(["models"]) == 0
    assert "30.77 (28.42)" in capsys.readouterr().out
    assert main(["models", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["sharp_x4"]["metrics"]["Set5"]["psnr_y"] == SET5["psnr_y"]
