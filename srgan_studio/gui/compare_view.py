"""The compare view: three panes side by side, or two methods under a split slider.

All panes share one ViewState (one zoom, one pan) and show RenderSlots; a
model combo above each pane picks what it shows.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from .image_pane import ImagePane, SplitPane
from .qimage import DisplayImage
from .render_slot import RenderSlot
from .view_state import ViewState

DEFAULT_MODELS = ("bicubic_x4", "srresnet_x4", "srgan_x4")


class CompareView(QWidget):
    model_chosen = Signal(int, str)  # pane index, model name

    def __init__(self, parent=None, default_models: tuple[str, ...] = DEFAULT_MODELS):
        super().__init__(parent)
        self.view = ViewState()
        self.slots = [RenderSlot(f"pane{i}", name) for i, name in enumerate(default_models)]
        self.panes = [ImagePane(self.view, slot) for slot in self.slots]
        self.combos = [QComboBox() for _ in self.slots]
        self.split_pane = SplitPane(self.view, self.slots[0], self.slots[-1])
        self.split_left = QComboBox()
        self.split_right = QComboBox()
        self._build()

    def _build(self) -> None:
        side = QWidget()
        row = QHBoxLayout(side)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        for i, (pane, combo) in enumerate(zip(self.panes, self.combos)):
            col = QVBoxLayout()
            col.setSpacing(2)
            combo.setToolTip("Model shown in this pane")
            combo.activated.connect(lambda _idx, i=i: self._on_combo(i))
            col.addWidget(combo)
            col.addWidget(pane, 1)
            row.addLayout(col, 1)

        split = QWidget()
        col = QVBoxLayout(split)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Left:"))
        bar.addWidget(self.split_left)
        bar.addStretch(1)
        bar.addWidget(QLabel("Right:"))
        bar.addWidget(self.split_right)
        for combo in (self.split_left, self.split_right):
            combo.setToolTip("Method on this side of the split")
            combo.activated.connect(self._on_split_choice)
        col.addLayout(bar)
        col.addWidget(self.split_pane, 1)

        self.stack = QStackedWidget()
        self.stack.addWidget(side)
        self.stack.addWidget(split)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)
        self._refresh_split_combos()
        self.split_left.setCurrentIndex(0)
        self.split_right.setCurrentIndex(len(self.slots) - 1)

    # -- public --------------------------------------------------------------
    @property
    def mode(self) -> str:
        return "split" if self.stack.currentIndex() == 1 else "side"

    def set_mode(self, mode: str) -> None:
        self.stack.setCurrentIndex(1 if mode == "split" else 0)
        widget = self.split_pane if mode == "split" else self.panes[0]
        self.view.set_viewport(widget.width(), widget.height())

    def set_original(self, original: DisplayImage | None, scale: int = 4) -> None:
        for pane in (*self.panes, self.split_pane):
            pane.original = original
        if original is None:
            self.view.set_image_size(0, 0)
        else:
            self.view.set_image_size(original.width * scale, original.height * scale)
        self._update_panes()

    def set_lens_enabled(self, on: bool) -> None:
        for pane in (*self.panes, self.split_pane):
            pane.set_lens_enabled(on)

    def set_show_info(self, on: bool) -> None:
        for pane in (*self.panes, self.split_pane):
            pane.show_info = on
        self._update_panes()

    def set_model_choices(self, choices: list[tuple[str, str]]) -> None:
        """(name, title) of every installed model, for the pane combos."""
        for combo, slot in zip(self.combos, self.slots):
            combo.blockSignals(True)
            combo.clear()
            for name, title in choices:
                combo.addItem(title, name)
            current = slot.descriptor.name if slot.descriptor is not None else slot.default_model
            idx = combo.findData(current)
            if idx < 0:
                combo.addItem(f"{slot.default_model} (not installed)", slot.default_model)
                idx = combo.count() - 1
            combo.setCurrentIndex(idx)
            combo.blockSignals(False)
        self._refresh_split_combos()

    def select_model(self, index: int, name: str) -> None:
        combo = self.combos[index]
        i = combo.findData(name)
        if i >= 0:
            combo.setCurrentIndex(i)

    def split_slots(self) -> tuple[RenderSlot, RenderSlot]:
        return self.split_pane.left, self.split_pane.right

    def _update_panes(self) -> None:
        for pane in (*self.panes, self.split_pane):
            pane.update()

    # -- handlers --------------------------------------------------------------
    def _on_combo(self, index: int) -> None:
        name = self.combos[index].currentData()
        if name:
            self.model_chosen.emit(index, name)
        self._refresh_split_combos()

    def _on_split_choice(self) -> None:
        left = self.split_left.currentIndex()
        right = self.split_right.currentIndex()
        self.split_pane.set_slots(self.slots[max(0, left)], self.slots[max(0, right)])

    def _refresh_split_combos(self) -> None:
        for combo in (self.split_left, self.split_right):
            keep = combo.currentIndex()
            combo.blockSignals(True)
            combo.clear()
            for i, combo_pane in enumerate(self.combos):
                combo.addItem(f"Pane {i + 1}: {combo_pane.currentText() or self.slots[i].title}")
            combo.setCurrentIndex(keep if keep >= 0 else 0)
            combo.blockSignals(False)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        step = 60
        moves = {
            Qt.Key.Key_Left: (step, 0),
            Qt.Key.Key_Right: (-step, 0),
            Qt.Key.Key_Up: (0, step),
            Qt.Key.Key_Down: (0, -step),
        }
        # Only bare arrows pan: Alt+Right is "next image", and when there is no next
        # image (the action is disabled) it must not fall through to a pan.
        if event.key() in moves and event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        ):
            self.view.pan_by(*moves[event.key()])
            return
        super().keyPressEvent(event)
