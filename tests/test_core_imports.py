"""The engine and the CLI import neither Qt nor torch (startup speed, and the app runs without torch)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import srgan_studio.core


def test_core_and_cli_import_neither_qt_nor_torch():
    modules = [f"srgan_studio.core.{m.name}" for m in pkgutil.iter_modules(srgan_studio.core.__path__)]
    assert "srgan_studio.core.upscale" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules + ['srgan_studio.cli']!r}:\n"
        "    importlib.import_module(name)\n"
        "import srgan_studio.cli as cli\n"
        "cli.build_parser()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'PySide6', 'shiboken6'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"imported: {out.stdout.strip()}"
