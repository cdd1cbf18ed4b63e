"""The house rules, checked by tools: ruff's lint and import-linter's layering contracts.

Both are configured in pyproject.toml and installed by the dev extra. Formatting is
not checked here (one `ruff format` pass is applied to the whole tree instead).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Where the source folders land in the installed package (pyproject's package-dir).
LAYOUT = {"srgan_studio": "srgan_studio", "training": "srgan_studio/training", "resources": "srgan_studio/resources"}


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed: pip install -c constraints.txt -e '.[dev]'")
    return str(path)


def _python_only(folder: str, names: list[str]) -> list[str]:
    return [
        n for n in names if n in ("__pycache__", "runs") or (not (Path(folder) / n).is_dir() and not n.endswith(".py"))
    ]


@pytest.fixture
def installed_layout(tmp_path) -> Path:
    """The package's modules as a wheel installs them: training/ and resources/ inside
    srgan_studio/, so import-linter sees srgan_studio.training where the imports point."""
    for source, target in LAYOUT.items():
        shutil.copytree(ROOT / source, tmp_path / target, ignore=_python_only)
    return tmp_path


def _lint_imports(layout: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(layout)}
    return subprocess.run(
        [_tool("lint-imports"), "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=layout,
        env=env,
        capture_output=True,
        text=True,
    )


def test_ruff_finds_nothing():
    result = subprocess.run(
        [_tool("ruff"), "check", "--no-cache", "--output-format", "concise", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_leaves_the_tree_unchanged():
    result = subprocess.run(
        [_tool("ruff"), "format", "--check", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_are_kept(installed_layout):
    result = _lint_imports(installed_layout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    "module, code, contract",
    [
        ("core/_probe.py", "def later():\n    import torch\n", "core is the engine"),
        ("core/_probe.py", "def later():\n    from ..training import trainer\n", "core is the engine"),
        ("core/_probe.py", "from PySide6 import QtCore\n", "core is the engine"),
        ("gui/_probe.py", "def later():\n    from ..training.trainer import Trainer\n", "gui reaches training"),
    ],
)
def test_a_forbidden_import_breaks_its_contract_even_inside_a_function(installed_layout, module, code, contract):
    (installed_layout / "srgan_studio" / module).write_text(code, encoding="utf-8")
    result = _lint_imports(installed_layout)
    assert result.returncode != 0
    assert "1 broken" in result.stdout and contract in result.stdout.split("BROKEN")[0].rsplit("\n\n", 1)[-1]
