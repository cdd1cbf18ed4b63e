"""The issue-18 quit sequence, driven through the real entry point (``run_app``).

Run as a script: ``python tests/quit_sequence.py PNG JPEG [--issue-timings]``.
It exits with run_app's code, so a crash on quit shows as 134. The steps:
start with the PNG; once its preview renders, click a pane, Esc, Ctrl++;
open the JPEG; once that renders, drag the Realism slider from 100% to 70%;
Esc; Ctrl+Q. ``--issue-timings`` waits 8 s and 3 s as the issue's reporter did
(for runs under Xvfb); without it each step waits for the preview instead.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from PySide6.QtCore import QPoint, Qt, QTimer
    from PySide6.QtTest import QTest

    from srgan_studio.gui.app import create_app, run_app

    png, jpeg = argv[0], argv[1]
    issue_timings = "--issue-timings" in argv
    create_app([])

    def window():
        from PySide6.QtWidgets import QApplication

        from srgan_studio.gui.main_window import MainWindow

        return next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))

    def rendering(win) -> bool:
        return (
            win.image is not None
            and win.load_worker is None
            and win.preview.busy
            and any(s.target is not None and s.target.done.any() for s in win.compare.slots)
        )

    def when(ready, then, seconds: float) -> None:
        """Run ``then`` after ``seconds`` (issue timings) or once ``ready()`` holds."""
        if issue_timings:
            QTimer.singleShot(int(seconds * 1000), then)
            return

        def poll():
            if ready():
                then()
            else:
                QTimer.singleShot(50, poll)

        QTimer.singleShot(50, poll)

    def key(win, keys: str) -> None:
        """Press ``keys``: the action that owns the shortcut, as Qt's shortcut map would
        (offscreen windows never become active, so a synthetic key press is not routed)."""
        from PySide6.QtGui import QAction, QKeySequence

        wanted = QKeySequence(keys)
        for action in win.findChildren(QAction):
            if action.isEnabled() and any(
                s.matches(wanted) == QKeySequence.SequenceMatch.ExactMatch for s in action.shortcuts()
            ):
                action.trigger()
                return

    def step_one() -> None:
        win = window()
        pane = win.compare.panes[1]
        QTest.mouseClick(pane, Qt.MouseButton.LeftButton, pos=QPoint(pane.width() // 2, pane.height() // 2))
        key(win, "Esc")
        key(win, "Ctrl++")
        win.open_paths([Path(jpeg)])  # what Ctrl+O does once a file is picked in the dialog
        when(lambda: win.images.current == Path(jpeg) and rendering(win), step_two, 3)

    def step_two() -> None:
        win = window()
        slider = win.actions.realism
        slider.setSliderDown(True)  # a drag: one valueChanged per position
        for value in range(100, 69, -5):
            slider.setValue(value)
            QTest.qWait(20)
        slider.setSliderDown(False)
        QTest.qWait(300)
        key(win, "Esc")
        key(win, "Ctrl+Q")

    def start() -> None:
        win = window()
        win.actions.realism.setValue(100)
        when(lambda: rendering(win), step_one, 8)

    QTimer.singleShot(0, start)
    return run_app([png])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
