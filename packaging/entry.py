"""Entry point of the frozen app (PyInstaller). ``srgan-studio`` is the CLI, which opens the GUI with
no subcommand; an executable whose name ends in ``-gui`` (the Windows windowed one) always opens the GUI."""

import multiprocessing
import os
import sys

if __name__ == "__main__":
    # A frozen executable re-runs itself for every multiprocessing child; this makes those children workers.
    multiprocessing.freeze_support()
    from srgan_studio.cli import gui_main, main

    stem = os.path.splitext(os.path.basename(sys.executable))[0]
    sys.exit(gui_main() if stem.endswith("-gui") else main())
