"""Entry point of the frozen app (PyInstaller).

``srgan-studio`` is the CLI, which opens the GUI with no subcommand; an
executable whose name ends in ``-gui`` (the Windows windowed one) always opens
the GUI. ``srgan-studio -m srgan_studio.xxx ARGS`` runs one of the app's own
modules like ``python -m`` would: the app starts helpers such as the trainer
as ``[sys.executable, "-m", ...]``, and in a frozen app ``sys.executable`` is
this program, not a Python interpreter.
"""

import multiprocessing
import os
import sys


def _run_module(name: str, args: list[str]) -> None:
    import runpy

    if name != "srgan_studio" and not name.startswith("srgan_studio."):
        sys.exit(f"srgan-studio: error: -m only runs the app's own modules, not {name!r}")
    sys.argv = [name, *args]
    runpy.run_module(name, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    # A frozen executable re-runs itself for every multiprocessing child; this makes those children workers.
    multiprocessing.freeze_support()
    if len(sys.argv) >= 3 and sys.argv[1] == "-m":
        _run_module(sys.argv[2], sys.argv[3:])
        sys.exit(0)
    from srgan_studio.cli import gui_main, main

    stem = os.path.splitext(os.path.basename(sys.executable))[0]
    sys.exit(gui_main() if stem.endswith("-gui") else main())
