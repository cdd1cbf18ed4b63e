"""Rough edges a new user hits on the command line: each user error is one line, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from srgan_studio import cli
from srgan_studio.cli import main


def _one_line_error(err: str, *needles: str) -> None:
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    for n in needles:
        assert n in err, err


def test_python_dash_m_cli_runs_the_command():
    """The README's `torchrun ... -m srgan_studio.cli train RECIPE` needs `-m srgan_studio.cli` to work."""
    res = subprocess.run(
        [sys.executable, "-m", "srgan_studio.cli", "--version"], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("srgan-studio ")


def test_unknown_option_is_one_line_naming_the_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["batch", "in", "out", "--overlap", "3"])
    assert exc.value.code == 2
    _one_line_error(capsys.readouterr().err, "srgan-studio batch: error:", "--overlap 3", "--help")


def test_missing_argument_is_one_line(capsys):
    with pytest.raises(SystemExit):
        main(["upscale"])
    _one_line_error(capsys.readouterr().err, "srgan-studio upscale: error:", "INPUT")


def test_mistyped_command_is_an_error_not_the_app(capsys, monkeypatch):
    monkeypatch.setattr(cli, "gui_main", lambda argv=None: pytest.fail("opened the app"))
    assert main(["upscal", "photo.jpg"]) == 2
    _one_line_error(capsys.readouterr().err, "unknown command 'upscal'", "did you mean upscale?")


def test_image_paths_still_open_the_app(tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(cli, "gui_main", lambda argv=None: opened.append(argv) or 0)
    photo = tmp_path / "photo.jpg"
    assert main([str(photo)]) == 0 and main([]) == 0
    assert opened == [[str(photo)], []]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland check")
def test_app_without_a_display_is_one_line_not_a_qt_abort(capsys, monkeypatch):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    assert cli.gui_main([]) == 1
    _one_line_error(capsys.readouterr().err, "graphical session", "srgan-studio upscale")


def test_output_piped_into_head_is_no_traceback(capsys, monkeypatch):
    from srgan_studio.cli import models_cmd

    def closed_pipe(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(models_cmd, "run", closed_pipe)
    assert main(["models", "--json"]) == 0
    assert capsys.readouterr().err == ""


def _png(path, size=(32, 24)):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(path)
    return path


def test_upscale_creates_the_output_folder_like_batch(tmp_path, capsys):
    src = _png(tmp_path / "a.png")
    assert main(["upscale", str(src), "-o", f"{tmp_path / 'new'}/", "--model", "bicubic_x4", "-q"]) == 0
    assert (tmp_path / "new" / "a_x4.png").is_file()
    assert main(["upscale", str(src), "-o", f"{tmp_path / 'no' / 'such'}/", "--model", "bicubic_x4"]) == 1
    _one_line_error(capsys.readouterr().err, "nor does its parent")
    assert not (tmp_path / "no").exists()


def test_upscale_several_inputs_into_a_file_is_one_line(tmp_path, capsys):
    a, b = _png(tmp_path / "a.png"), _png(tmp_path / "b.png")
    mine = tmp_path / "mine.png"
    mine.write_bytes(b"mine")
    assert main(["upscale", str(a), str(b), "-o", str(mine), "--model", "bicubic_x4"]) == 1
    _one_line_error(capsys.readouterr().err, "mine.png", "not a folder")
    assert mine.read_bytes() == b"mine"


def test_upscale_several_inputs_end_with_a_summary(tmp_path, capsys):
    good = _png(tmp_path / "a.png")
    bad = tmp_path / "b.jpg"
    bad.write_text("not a JPEG")
    assert main(["upscale", str(good), str(bad), "-o", str(tmp_path), "--model", "bicubic_x4"]) == 1
    err = capsys.readouterr().err
    assert "b.jpg: not an image" in err and err.strip().splitlines()[-1] == "1 upscaled, 1 failed"
    assert (tmp_path / "a_x4.png").is_file()


@pytest.mark.parametrize(
    "argv",
    [
        ["upscale", "IN/a.png", "--threads", "-2"],
        ["batch", "IN", "OUT", "--threads", "-2"],
        ["batch", "IN", "OUT", "--max-megapixels", "0"],
        ["upscale", "IN/a.png", "--max-megapixels", "-1"],
    ],
)
def test_negative_threads_and_zero_pixel_limit_are_refused(tmp_path, capsys, argv):
    (tmp_path / "IN").mkdir()
    _png(tmp_path / "IN" / "a.png")
    argv = [a.replace("IN", str(tmp_path / "IN")).replace("OUT", str(tmp_path / "OUT")) for a in argv]
    assert main([*argv, "--model", "bicubic_x4"]) == 1
    flag = argv[-2]
    _one_line_error(capsys.readouterr().err, f"{flag} must be")
    assert not (tmp_path / "OUT").exists() and not (tmp_path / "IN" / "a_x4.png").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["finetune", "PHOTOS", "--name", "mine", "--steps", "0"], "--steps must be 1 or more, not 0"),
        (["finetune", "PHOTOS", "--name", "mine", "--steps", "-3"], "--steps must be 1 or more, not -3"),
        (["finetune", "PHOTOS", "--name", "mine", "--minutes", "0"], "--minutes must be more than 0"),
        (["finetune", "PHOTOS", "--name", "mine", "--threads", "-1"], "--threads must be 0"),
        (["train", "RECIPE", "--minutes", "-1"], "--minutes must be more than 0, not -1"),
        (["train", "RECIPE", "--steps", "0"], "--steps must be 1 or more, not 0"),
    ],
)
def test_a_zero_or_negative_budget_is_refused_not_replaced(tmp_path, capsys, monkeypatch, argv, message):
    """Before, `finetune --steps 0` trained for the default 5 minutes and `train --minutes -1` ran one step."""
    from srgan_studio.core import finetune

    monkeypatch.setattr(finetune, "scan_folder", lambda *a: pytest.fail("went on to scan the photos"))
    argv = [str(tmp_path / a) if a in ("PHOTOS", "RECIPE") else a for a in argv]
    assert main(argv) == 1
    _one_line_error(capsys.readouterr().err, message)


def test_models_import_of_an_image_says_it_is_not_a_model(tmp_path, capsys):
    src = _png(tmp_path / "photo.png")
    assert main(["models", "import", str(src)]) == 1
    _one_line_error(capsys.readouterr().err, "photo.png: not a model file", ".onnx", ".safetensors")


def test_export_never_replaces_a_file_unasked_nor_its_checkpoint(tmp_path, capsys):
    pytest.importorskip("torch")
    weights = tmp_path / "generator.safetensors"
    weights.write_bytes(b"not read: the outputs are checked first")
    mine = tmp_path / "mine.onnx"
    mine.write_bytes(b"my model")
    assert main(["export", str(weights), "-o", str(mine)]) == 1
    _one_line_error(capsys.readouterr().err, "mine.onnx: already exists", "--overwrite")
    (tmp_path / "notes.json").write_text("{}")
    assert main(["export", str(weights), "-o", str(tmp_path / "notes.onnx")]) == 1
    _one_line_error(capsys.readouterr().err, "notes.json: already exists")
    # A training checkpoint is a .json: its descriptor would have been written over it, even with --overwrite.
    ckpt = tmp_path / "ckpt_00000001.json"
    ckpt.write_text("{}")
    assert main(["export", str(ckpt), "-o", str(tmp_path / "ckpt_00000001.onnx"), "--overwrite"]) == 1
    _one_line_error(capsys.readouterr().err, "would replace the checkpoint")
    assert mine.read_bytes() == b"my model" and ckpt.read_text() == "{}"


def test_eval_output_is_checked_before_the_evaluation(tmp_path, capsys, monkeypatch):
    pytest.importorskip("torch")
    from srgan_studio.training import evaluate

    monkeypatch.setattr(evaluate, "evaluate", lambda *a, **k: pytest.fail("evaluated first"))
    (tmp_path / "hr").mkdir()
    _png(tmp_path / "hr" / "a.png", (64, 64))
    base = ["eval", "--model", "bicubic_x4", str(tmp_path / "hr"), "-o"]
    assert main([*base, str(tmp_path / "no" / "r.json")]) == 1  # was a traceback after the whole evaluation
    _one_line_error(capsys.readouterr().err, "r.json", "does not exist")
    (tmp_path / "r.json").write_text("mine")
    assert main([*base, str(tmp_path / "r.json")]) == 1
    _one_line_error(capsys.readouterr().err, "r.json: already exists", "--overwrite")
    assert (tmp_path / "r.json").read_text() == "mine"


def test_eval_overwrite_replaces_its_output(tmp_path, capsys):
    pytest.importorskip("torch")
    (tmp_path / "hr").mkdir()
    _png(tmp_path / "hr" / "a.png", (64, 64))
    out = tmp_path / "r.json"
    out.write_text("old")
    assert main(["eval", "--model", "bicubic_x4", str(tmp_path / "hr"), "-o", str(out), "--overwrite"]) == 0
    assert '"sets"' in out.read_text()


def _help(capsys, argv) -> str:
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", [[], *([m.removesuffix("_cmd")] for m in cli.SUBCOMMAND_MODULES)])
def test_every_help_has_examples_that_parse_and_fits_80_columns(capsys, monkeypatch, command):
    import shlex

    monkeypatch.setenv("COLUMNS", "80")
    text = _help(capsys, command)
    assert "examples:" in text and max(len(line) for line in text.splitlines()) < 80
    examples = [ln.strip() for ln in text.split("examples:")[1].splitlines() if ln.strip().startswith("srgan-studio")]
    assert examples
    parser = cli.build_parser()
    for line in examples:
        argv = shlex.split(line)[1:]
        if argv[0] in cli._subcommand_names() and "COMMAND" not in argv:
            args, extra = parser.parse_known_args(argv)  # every flag in an example exists
            assert not extra, line


def test_every_option_has_help():
    parser = cli.build_parser()
    for name in sorted(cli._subcommand_names()):
        sub = cli._subparser(parser, name)
        missing = [a.option_strings[-1] for a in sub._actions if a.option_strings and not a.help]
        assert not missing, f"{name}: {missing} without help"


def test_the_readmes_commands_use_options_that_exist():
    import shlex
    from pathlib import Path

    readme = Path(__file__).resolve().parents[1] / "README.md"
    parser = cli.build_parser()
    checked, in_code = 0, False
    for line in readme.read_text(encoding="utf-8").splitlines():
        in_code ^= line.strip().startswith("```")
        words = shlex.split(line.strip(), comments=True) if in_code and "srgan-studio " in line else []
        if not words or not words[0].endswith("srgan-studio") or len(words) < 2:
            continue
        if words[1] in cli._subcommand_names():
            args, extra = parser.parse_known_args(words[1:])
            assert not extra, line
            checked += 1
    assert checked >= 20


def test_batch_report_replaces_an_earlier_report_but_not_a_users_file(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    _png(tmp_path / "in" / "a.png")
    notes = tmp_path / "notes.json"
    notes.write_text('{"my": "notes"}')
    argv = ["batch", str(tmp_path / "in"), str(tmp_path / "out"), "-m", "bicubic_x4", "-q"]
    assert main([*argv, "--report", str(notes)]) == 1
    _one_line_error(capsys.readouterr().err, "notes.json: exists and is not a batch report")
    assert notes.read_text() == '{"my": "notes"}' and not (tmp_path / "out").exists()
    report = tmp_path / "report.json"
    assert main([*argv, "--report", str(report)]) == 0
    assert main([*argv, "--report", str(report)]) == 0  # a resumed run rewrites its report
    import json

    assert json.loads(report.read_text())["totals"]["skipped"] == 1


def test_upscale_takes_dash_m_like_batch(tmp_path):
    src = _png(tmp_path / "a.png")
    assert main(["upscale", str(src), "-m", "bicubic", "-q"]) == 0
    assert (tmp_path / "a_x4.png").is_file()


def test_upscale_output_name_and_format_must_agree(tmp_path, capsys):
    src = _png(tmp_path / "a.png")
    assert main(["upscale", str(src), "--format", "png", "-o", str(tmp_path / "b.jpg"), "-m", "bicubic_x4"]) == 1
    _one_line_error(capsys.readouterr().err, "b.jpg", "jpeg", "png")
    assert not (tmp_path / "b.jpg").exists()  # was PNG data in a .jpg
    assert main(["upscale", str(src), "--format", "jpg", "-o", str(tmp_path / "b.JPEG"), "-m", "bicubic_x4"]) == 0


def test_upscale_of_a_folder_points_to_batch(tmp_path, capsys):
    assert main(["upscale", str(tmp_path), "-m", "bicubic_x4"]) == 1
    _one_line_error(capsys.readouterr().err, "is a folder", "srgan-studio batch")


def test_upscale_with_a_removed_default_model_in_the_settings_goes_on(tmp_path, capsys):
    """The user did not type 'gone_x4': an 'unknown model' error about it was a riddle (batch falls back too)."""
    from srgan_studio.core.settings import load_settings, save_settings

    settings = load_settings()
    settings.default_model = "gone_x4"
    save_settings(settings)
    src = _png(tmp_path / "a.png")
    assert main(["upscale", str(src), "-o", str(tmp_path / "b.png")]) == 0
    assert "'gone_x4', is not installed" in capsys.readouterr().err
    assert main(["upscale", str(src), "-o", str(tmp_path / "c.png"), "-m", "gone"]) == 1  # typed: still an error
