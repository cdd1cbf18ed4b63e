"""The batch window's progress: the per-file list, the bar and the summary line, fed by the batch's events.

A mixin of BatchWindow (gui/batch_window.py), kept apart to keep each module short.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidgetItem

from ..core.progress import format_eta

STATUS_TEXT = {
    "done": "✔ done",
    "skipped": "↷ skipped (exists)",
    "failed": "✖ failed",
    "cancelled": "■ stopped",
    "pending": "… not started",
}


SHOWN_NOTES = 3  # left-out entries named on the summary line; the tooltip and the report list all


def left_out_text(notes) -> str:
    """'Left out: readme.txt (not an image)', naming a few, not 'N other file(s) … see the tooltip'."""
    named = [f"{Path(n.path).name} ({n.message.removesuffix(', skipped')})" for n in notes[:SHOWN_NOTES]]
    more = len(notes) - SHOWN_NOTES
    return "Left out: " + ", ".join(named) + (f" and {more} more (hover here for all)" if more > 0 else "")


def passes_text(passes: int) -> str:
    """'8 passes per tile (Settings › Quality)' for a self-ensemble; '' for the usual single pass."""
    return f"{passes} passes per tile (Settings › Quality)" if passes > 1 else ""


def found_text(found: list, notes: list, folder: str, passes: int = 1) -> str:
    """Before Start: how many images the batch will take from ``folder``, and what it leaves out."""
    if not found:
        text = f"No images in {Path(folder).name}."
    else:
        quality = f", {passes_text(passes)}" if passes > 1 else ""
        text = f"{len(found)} image{'s' if len(found) != 1 else ''} in {Path(folder).name}{quality}. Press Start."
    return text + (f"\n{left_out_text(notes)}" if notes else "")


class BatchProgressMixin:
    # -- events from the batch ----------------------------------------------------
    def _on_event(self, ev) -> None:
        from ..core.batch import BatchStarted, FileFinished, FileStarted, TileProgress

        self.progress.setRange(0, max(1, ev.files_total))
        self.progress.setValue(ev.files_done)
        self.eta.setText("" if ev.eta_seconds is None else f"ETA {format_eta(ev.eta_seconds)}")
        if isinstance(ev, BatchStarted):
            self._on_batch_started(ev)
        elif isinstance(ev, FileStarted):
            self._set_row(ev.index, f"working: {ev.model}")
            self.files.scrollToItem(self._rows.get(ev.index))
        elif isinstance(ev, TileProgress):
            pct = int(100 * ev.done / ev.total) if ev.total else 0
            self._set_row(ev.index, f"{ev.model} {pct}%")
        elif isinstance(ev, FileFinished):
            self._on_file_finished(ev)

    def _on_batch_started(self, ev) -> None:
        base = Path(self.input_dir.text().strip()).resolve()
        for i, p in enumerate(ev.inputs):
            try:
                shown = str(Path(p).resolve().relative_to(base))
            except ValueError:
                shown = str(p)
            row = QTreeWidgetItem([shown, "waiting", "", ""])
            self._rows[i] = row
            self.files.addTopLevelItem(row)
        text = f"{len(ev.inputs)} images, models {', '.join(ev.models)}"
        if ev.passes > 1:
            text += f", {passes_text(ev.passes)}"
        if ev.passes_note:
            text += f"\nNote: {ev.passes_note}"
        self.summary_label.setText(text + (f"\n{left_out_text(ev.notes)}" if ev.notes else ""))
        self.summary_label.setToolTip("\n".join(str(n) for n in ev.notes))

    def _on_file_finished(self, ev) -> None:
        r = ev.result
        detail = r.error or ", ".join(Path(p).name for p in r.outputs)
        self._set_row(ev.index, STATUS_TEXT.get(r.status, r.status), detail, f"{r.seconds:.1f}" if r.seconds else "")
        row = self._rows.get(ev.index)
        if row is not None and r.status == "failed":
            row.setToolTip(2, r.error or "")
            row.setForeground(1, Qt.GlobalColor.red)

    def _set_row(self, index: int, status: str, detail: str | None = None, seconds: str | None = None) -> None:
        row = self._rows.get(index)
        if row is None:
            return
        row.setText(1, status)
        if detail is not None:
            row.setText(2, detail)
        if seconds is not None:
            row.setText(3, seconds)

    def _on_finished(self, summary) -> None:
        self.summary = summary
        # The bar counts files with an outcome: a stopped file is not done, and there is no ETA any more.
        self.progress.setRange(0, max(1, len(summary.results)))
        self.progress.setValue(summary.done + summary.skipped + summary.failed)
        self.eta.setText("")
        for i, r in enumerate(summary.results):
            if i in self._rows and r.status in ("pending", "cancelled"):
                self._set_row(i, STATUS_TEXT[r.status])
        text = ("Stopped: " if summary.cancelled else "Finished: ") + summary.line()
        if summary.failed:
            text += " (the list says why each failed)"
        if summary.passes_note:
            text += f"\nNote: {summary.passes_note}"
        if summary.notes:
            text += f"\n{left_out_text(summary.notes)}"
        self.summary_label.setToolTip("\n".join(str(n) for n in summary.notes))
        if summary.cancelled:
            text += ". Press Start again to resume."
        if summary.report_error:
            text += f"\nReport not written: {summary.report_error}"
        self.summary_label.setText(text)
        self.finished.emit(summary)
