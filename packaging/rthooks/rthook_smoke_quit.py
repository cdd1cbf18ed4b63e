"""PyInstaller runtime hook: ``SRGAN_STUDIO_QUIT_AFTER_MS=N`` closes the app N ms after its event loop starts.

It lets ``packaging/build.sh`` open the frozen GUI offscreen and check that a
real window came up, without any test hook in the GUI code. At the deadline it
prints the titles of the visible top-level windows on stderr and exits 0, or
3 when no window is visible. Without the variable it does nothing and imports
nothing, so ordinary starts pay no cost.
"""


def _arm(delay_ms: int) -> None:
    import sys

    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    armed = []

    def check_and_quit() -> None:
        app = QCoreApplication.instance()
        shown = [w.windowTitle() for w in QApplication.topLevelWidgets() if w.isVisible() and not w.isMinimized()]
        if sys.stderr is not None:  # None in a windowed Windows executable
            print(f"srgan-studio smoke: visible windows {shown!r}", file=sys.stderr, flush=True)
        app.exit(0 if shown else 3)

    # Patch every class the GUI might call exec() on; the first loop to start gets the timer.
    for cls in (QApplication, QGuiApplication, QCoreApplication):
        if "exec" not in cls.__dict__:
            continue
        original = cls.exec

        def exec_with_deadline(*args, _original=original):
            if not armed:
                armed.append(True)
                QTimer.singleShot(delay_ms, check_and_quit)
            return _original(*args)

        cls.exec = staticmethod(exec_with_deadline)


def _main() -> None:
    import os

    value = os.environ.get("SRGAN_STUDIO_QUIT_AFTER_MS", "")
    if value.strip().isdigit():
        _arm(int(value))


_main()
