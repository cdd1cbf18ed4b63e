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
