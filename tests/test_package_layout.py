"""The installed package is found, not listed, and a broken subcommand shows.

The full check (sdist -> wheel -> fresh venv -> run) is .ci/wheel-check; these are
the fast parts of it that run with the rest of the suite.
"""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import setuptools

from srgan_studio import cli

ROOT = Path(__file__).resolve().parents[1]
MAPPED = {"srgan_studio": "srgan_studio", "srgan_studio.training": "training", "srgan_studio.resources": "resources"}


def _discovered_packages(monkeypatch) -> list[str]:
    seen = {}
    monkeypatch.setattr(setuptools, "setup", lambda **kwargs: seen.update(kwargs))
    monkeypatch.chdir(ROOT)
    runpy.run_path(str(ROOT / "setup.py"))
    return seen["packages"]


def _package_folders() -> set[str]:
    """Every source folder with an __init__.py, named as it installs."""
    names = set()
    for prefix, folder in MAPPED.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            names.add(".".join((prefix, *parts)))
    return names


def test_setup_finds_every_package_folder_under_its_installed_name(monkeypatch):
    packages = _discovered_packages(monkeypatch)
    assert set(packages) == _package_folders()
    assert "srgan_studio.cli" in packages and "srgan_studio.training.archs" in packages
    assert all(name == "srgan_studio" or name.startswith("srgan_studio.") for name in packages)


def test_training_runs_are_never_a_package(monkeypatch):
    assert not any(".runs" in name for name in _discovered_packages(monkeypatch))


def test_a_subcommand_that_fails_to_import_is_an_error_not_a_missing_command(monkeypatch):
    monkeypatch.setattr(cli, "SUBCOMMAND_MODULES", (*cli.SUBCOMMAND_MODULES, "no_such_cmd"))
    with pytest.raises(ModuleNotFoundError, match="no_such_cmd"):
        cli.build_parser()


def test_every_subcommand_registers_a_parser():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == {name.removesuffix("_cmd") for name in cli.SUBCOMMAND_MODULES}


def test_cli_modules_import_without_torch_or_qt():
    # The plain wheel has neither; .ci/wheel-check proves it in a real venv.
    code = (
        "import sys, importlib; from srgan_studio import cli\n"
        "[importlib.import_module('srgan_studio.cli.' + m) for m in cli.SUBCOMMAND_MODULES]\n"
        "bad = sorted(m for m in ('torch', 'PySide6') if m in sys.modules); print(bad); sys.exit(bool(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
