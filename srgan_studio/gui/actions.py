"""The main window's actions, menus and toolbar, with their shortcuts."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QSizePolicy,
    QSlider,
    QToolBar,
    QWidget,
)

from .icons import set_icon
from .model_roles import AUTO_TEXT, kind_tooltip
from .view_state import LENS_FACTOR

REALISM_KEY_STEP = 25  # percent per [ or ] press: the slider's ticks (its page step)


@dataclass
class Actions:
    open: QAction
    paste: QAction
    save: QAction
    batch: QAction
    quit: QAction
    zoom_in: QAction
    zoom_out: QAction
    fit: QAction
    one_to_one: QAction
    side: QAction
    split: QAction
    info: QAction
    lens: QAction
    next: QAction
    previous: QAction
    cancel: QAction
    input_photo: QAction  # Help lists the keys in this order
    input_clean: QAction
    realism_less: QAction
    realism_more: QAction
    models: QAction
    finetune: QAction
    settings: QAction
    about: QAction
    shortcuts: QAction
    recent_menu: QMenu
    realism: QSlider
    input_kind: QComboBox
    realism_label: QLabel
    toolbar: QToolBar

    @property
    def inputs(self) -> tuple[QAction, QAction]:
        """The Input control's keys: like the control itself, they wait for a measured image."""
        return (self.input_photo, self.input_clean)


def _act(win: QMainWindow, text: str, icon_name: str | None, keys, tip: str) -> QAction:
    a = QAction(text, win)
    if icon_name:
        set_icon(a, icon_name)
    if keys:
        seq = keys if isinstance(keys, list) else [keys]
        a.setShortcuts([QKeySequence(k) for k in seq])
    shortcut = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    a.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
    a.setStatusTip(tip)
    return a


def build_actions(win: QMainWindow) -> Actions:
    K = QKeySequence.StandardKey
    a = dict(
        open=_act(win, "&Open…", "open", K.Open, "Open images"),
        paste=_act(win, "&Paste Image", "paste", K.Paste, "Paste an image from the clipboard"),
        save=_act(win, "&Save Upscaled…", "save", [K.Save, "Ctrl+Shift+S"], "Render at full resolution and save"),
        batch=_act(win, "&Batch Folder…", "batch", "Ctrl+B", "Restore a whole folder"),
        quit=_act(win, "&Quit", None, K.Quit, "Quit SRGAN Studio"),
        zoom_in=_act(win, "Zoom &In", "zoom-in", [K.ZoomIn, "Ctrl+="], "Zoom in"),
        zoom_out=_act(win, "Zoom &Out", "zoom-out", K.ZoomOut, "Zoom out"),
        fit=_act(win, "&Fit", "zoom-fit", "Ctrl+0", "Fit the image in the panes"),
        one_to_one=_act(win, "&1:1", "zoom-100", "Ctrl+1", "Show output pixels 1:1"),
        side=_act(win, "Side by Side", "side-by-side", "Ctrl+2", "Three methods side by side"),
        split=_act(win, "Split Slider", "split", "Ctrl+3", "Two methods in one pane with a split slider"),
        info=_act(win, "Image &Info", "info", "Ctrl+I", "Show the image-info overlay"),
        lens=_act(win, "&Lens", "lens", "L", f"Magnify {LENS_FACTOR:g}x under the cursor, in every pane at once"),
        next=_act(win, "&Next Image", "next", ["PgDown", "Alt+Right"], "Next opened image"),
        previous=_act(win, "&Previous Image", "previous", ["PgUp", "Alt+Left"], "Previous opened image"),
        cancel=_act(win, "&Cancel Render", "cancel", "Esc", "Stop the running render"),
        models=_act(win, "&Models…", "models", "Ctrl+M", "Bundled and user models"),
        finetune=_act(
            win, "&Fine-tune on My Photos…", "realism", "Ctrl+Shift+F", "Train a model further on your own photos"
        ),
        settings=_act(win, "&Settings…", "settings", K.Preferences, "Device, tiles, output and theme"),
        about=_act(win, "&About SRGAN Studio", None, None, "About"),
        shortcuts=_act(win, "&Keyboard Shortcuts", None, "F1", "Every shortcut of the app"),
        **_input_actions(win),
    )
    # Platforms without a desktop theme (offscreen, bare X) bind no key to these standard keys.
    for name, fallback in (("settings", "Ctrl+,"), ("quit", "Ctrl+Q")):
        if a[name].shortcut().isEmpty():
            a[name].setShortcut(QKeySequence(fallback))
    a["quit"].setMenuRole(QAction.MenuRole.QuitRole)
    for name in ("side", "split", "info", "lens"):
        a[name].setCheckable(True)
    group = QActionGroup(win)
    group.addAction(a["side"])
    group.addAction(a["split"])
    a["side"].setChecked(True)

    bar = win.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addActions([a["open"], a["paste"]])
    recent = file_menu.addMenu("Open &Recent")
    file_menu.addSeparator()
    file_menu.addActions([a["save"], a["batch"]])
    file_menu.addSeparator()
    file_menu.addAction(a["quit"])
    view_menu = bar.addMenu("&View")
    view_menu.addActions([a["zoom_in"], a["zoom_out"], a["fit"], a["one_to_one"]])
    view_menu.addSeparator()
    view_menu.addActions([a["side"], a["split"], a["info"], a["lens"]])
    view_menu.addSeparator()
    view_menu.addActions([a["previous"], a["next"], a["cancel"]])
    view_menu.addSeparator()
    view_menu.addActions([a["input_photo"], a["input_clean"], a["realism_less"], a["realism_more"]])
    tools = bar.addMenu("&Tools")
    tools.addActions([a["models"], a["finetune"], a["settings"]])
    help_menu = bar.addMenu("&Help")
    help_menu.addActions([a["shortcuts"], a["about"]])

    tb = QToolBar("Main", win)
    tb.setObjectName("main_toolbar")
    tb.setIconSize(QSize(20, 20))
    tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    tb.addActions([a["open"], a["save"], a["batch"]])
    tb.addSeparator()
    tb.addActions([a["zoom_out"], a["zoom_in"], a["fit"], a["one_to_one"]])
    tb.addSeparator()
    tb.addActions([a["side"], a["split"], a["info"], a["lens"]])
    tb.addSeparator()
    tb.addActions([a["previous"], a["next"]])
    tb.addSeparator()
    input_kind = _input_kind_widget(tb)
    realism, label = _realism_widget(tb)
    tb.addSeparator()
    tb.addAction(a["cancel"])
    win.addToolBar(tb)
    return Actions(**a, recent_menu=recent, realism=realism, realism_label=label, input_kind=input_kind, toolbar=tb)


def _input_actions(win: QMainWindow) -> dict[str, QAction]:
    """The toolbar's Input control and Realism slider from the keyboard: without these the only way
    to flip a pair or step the blend was the mouse (or tabbing to a 140-px slider)."""
    from ..core.input_kind import CLEAN, KIND_LABELS, PHOTO

    step = f"one tick ({REALISM_KEY_STEP}%)"
    return dict(
        input_photo=_act(win, f"Input: {KIND_LABELS[PHOTO]}", None, "Ctrl+Shift+P", "Compare the photo models"),
        input_clean=_act(win, f"Input: {KIND_LABELS[CLEAN]}", None, "Ctrl+Shift+C", "Compare the clean-source models"),
        realism_less=_act(win, "Less Realism", None, "[", f"Realism slider down {step}"),
        realism_more=_act(win, "More Realism", None, "]", f"Realism slider up {step}"),
    )


def _input_kind_widget(tb: QToolBar) -> QComboBox:
    from ..core.input_kind import KIND_LABELS, KINDS

    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(6, 0, 6, 0)
    row.addWidget(QLabel("Input"))
    combo = QComboBox()
    combo.setObjectName("input_kind")
    for kind in KINDS:
        combo.addItem(KIND_LABELS[kind], kind)
    # Nothing is measured before an image opens: showing "Clean source" then claimed a guess never made.
    combo.setPlaceholderText(AUTO_TEXT)
    combo.setCurrentIndex(-1)
    combo.setEnabled(False)
    combo.setToolTip(kind_tooltip(None, None))
    row.addWidget(combo)
    tb.addWidget(box)
    return combo


def _realism_widget(tb: QToolBar) -> tuple[QSlider, QLabel]:
    box = QWidget()
    box.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    row = QHBoxLayout(box)
    row.setContentsMargins(6, 0, 6, 0)
    row.addWidget(QLabel("Realism"))
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setObjectName("realism_slider")
    slider.setRange(0, 100)
    slider.setSingleStep(5)
    slider.setPageStep(REALISM_KEY_STEP)
    slider.setTickInterval(REALISM_KEY_STEP)
    slider.setTickPosition(QSlider.TickPosition.TicksBelow)
    slider.setFixedWidth(140)
    row.addWidget(slider)
    label = QLabel()
    label.setMinimumWidth(36)
    row.addWidget(label)
    tb.addWidget(box)
    return slider, label


def shortcut_rows(actions: Actions) -> list[tuple[str, str]]:
    """(keys, what they do) for every action with a shortcut: Help lists these, so they cannot drift."""
    rows = []
    for value in vars(actions).values():
        if isinstance(value, QAction) and value.shortcuts():
            keys = " / ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in value.shortcuts())
            rows.append((keys, value.text().replace("&", "").rstrip("…")))
    return rows
