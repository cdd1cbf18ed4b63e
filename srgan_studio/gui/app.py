"""Desktop app entry point: ``srgan-studio [IMAGE...]``.

Startup stays light: no torch, and no ONNX Runtime until a model first runs
(in a worker). The window is shown first; models and the images named on
the command line are loaded right after, from the event loop.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

APP_NAME = "SRGAN Studio"


def create_app(argv: list[str] | None = None):
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "srgan-studio", *(argv or [])])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("SRGAN Studio")
    app.setDesktopFileName(
        "io.github.srgan_studio.SRGANStudio"
    )  # matches packaging/linux/*.desktop, so Wayland finds the icon
    return app


def build_main_window(paths: list[str | Path] = (), settings=None, persist: bool = True):
    """Make the window with settings loaded and the theme applied (app must exist)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ..core.settings import load_settings
    from .icons import app_icon
    from .main_window import MainWindow
    from .theme import apply_theme

    problems: list[str] = []
    if settings is None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            settings = load_settings()
        problems = [str(w.message) for w in caught]
    app = QApplication.instance()
    apply_theme(app, settings.theme)
    app.setWindowIcon(app_icon())
    win = MainWindow(settings, persist=persist)

    def after_show() -> None:
        win.refresh_models()
        if problems:
            win.statusBar().showMessage(problems[0], 10000)
        if paths:
            win.open_paths([Path(p) for p in paths])

    QTimer.singleShot(0, after_show)
    return win


def run_app(argv: list[str]) -> int:
    """Open the app; ``argv`` holds image (or folder) paths to open."""
    logging.basicConfig(level=logging.WARNING, format="srgan-studio: %(message)s")
    paths = [a for a in argv if not a.startswith("-")]
    missing = [p for p in paths if not Path(p).exists()]
    app = create_app([])
    win = build_main_window([p for p in paths if p not in missing])
    win.show()
    _open_files_from_the_os(app, win)
    if missing:
        win.show_error("Cannot open", f"{missing[0]}: no such file or folder")
    _close_on_signals(win)
    code = int(app.exec())
    from .worker import stop_all

    stop_all()  # no thread may run (and emit) while the interpreter finalises
    return code


def _open_files_from_the_os(app, win):
    """macOS hands files dropped on the Dock icon or opened from Finder to a running
    app as QFileOpenEvents on the application, not as argv."""
    from PySide6.QtCore import QEvent, QObject

    class FileOpenFilter(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.FileOpen and event.file():
                win.open_paths([Path(event.file())])
                return True
            return False

    keeper = FileOpenFilter(win)
    app.installEventFilter(keeper)
    return keeper


def _close_on_signals(win) -> None:
    """Ctrl-C or SIGTERM closes the window normally (settings saved, workers stopped)."""
    import signal

    from PySide6.QtCore import QTimer

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: win.close())
    # Python runs signal handlers only between bytecodes; a idle timer gives it the chance.
    timer = QTimer(win, interval=250)
    timer.timeout.connect(lambda: None)
    timer.start()


if __name__ == "__main__":
    sys.exit(run_app(sys.argv[1:]))
