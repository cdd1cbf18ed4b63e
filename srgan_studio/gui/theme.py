"""Light and dark themes (Fusion style with a matching palette)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleFactory, QStyleOptionSlider

THEMES = ("system", "light", "dark")

_DARK = {
    QPalette.ColorRole.Window: "#2b2d31",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1f2023",
    QPalette.ColorRole.AlternateBase: "#2b2d31",
    QPalette.ColorRole.ToolTipBase: "#3a3d42",
    QPalette.ColorRole.ToolTipText: "#f0f0f0",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Button: "#35383d",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Highlight: "#3d7fe0",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#6aa8ff",
    QPalette.ColorRole.PlaceholderText: "#8a8d92",
}

_LIGHT = {
    QPalette.ColorRole.Window: "#f3f3f5",
    QPalette.ColorRole.WindowText: "#202124",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#f0f0f3",
    QPalette.ColorRole.ToolTipBase: "#ffffe8",
    QPalette.ColorRole.ToolTipText: "#202124",
    QPalette.ColorRole.Text: "#202124",
    QPalette.ColorRole.Button: "#e9e9ed",
    QPalette.ColorRole.ButtonText: "#202124",
    QPalette.ColorRole.BrightText: "#c62828",
    QPalette.ColorRole.Highlight: "#2f6fdb",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#1a5fd0",
    QPalette.ColorRole.PlaceholderText: "#80868b",
}


class DarkStyle(QProxyStyle):
    """Fusion with check boxes and radio buttons one can see on a dark palette.

    Fusion outlines them in the window colour darkened, which on a dark theme is the colour of the
    field inside them: an unchecked box (the batch window's model list) was invisible.
    """

    def __init__(self):
        super().__init__(QStyleFactory.create("Fusion"))

    def drawPrimitive(self, element, option, painter, widget=None):  # noqa: N802 - Qt override
        super().drawPrimitive(element, option, painter, widget)
        if element not in _INDICATORS:
            return
        painter.save()
        painter.setRenderHint(
            QPainter.RenderHint.Antialiasing, element == QStyle.PrimitiveElement.PE_IndicatorRadioButton
        )
        painter.setPen(QColor(INDICATOR_EDGE))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        r = option.rect.adjusted(0, 0, -1, -1)
        if element == QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            painter.drawEllipse(r)
        else:
            painter.drawRect(r)
        painter.restore()

    def drawComplexControl(self, control, option, painter, widget=None):  # noqa: N802 - Qt override
        """Fusion paints a slider's groove in the button colour, outlined in the window colour darkened: on
        this palette both are within a few grey levels of the window, and the Realism slider's part right of
        the handle vanished. The groove (and its ticks) get lighter colours; the handle stays Fusion's."""
        if control != QStyle.ComplexControl.CC_Slider or not isinstance(option, QStyleOptionSlider):
            super().drawComplexControl(control, option, painter, widget)
            return
        groove = QStyleOptionSlider(option)
        groove.subControls = option.subControls & (
            QStyle.SubControl.SC_SliderGroove | QStyle.SubControl.SC_SliderTickmarks
        )
        pal = groove.palette
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled):
            pal.setColor(group, QPalette.ColorRole.Button, QColor(GROOVE_FILL))
            pal.setColor(group, QPalette.ColorRole.Window, QColor(GROOVE_EDGE))  # Fusion's outline: window.darker
        # Fusion fills the part left of the handle in the highlight colour even when disabled.
        pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor(INDICATOR_EDGE))
        groove.palette = pal
        super().drawComplexControl(control, groove, painter, widget)
        handle = QStyleOptionSlider(option)
        handle.subControls = option.subControls & QStyle.SubControl.SC_SliderHandle
        if handle.subControls:
            super().drawComplexControl(control, handle, painter, widget)


_INDICATORS = (
    QStyle.PrimitiveElement.PE_IndicatorCheckBox,
    QStyle.PrimitiveElement.PE_IndicatorRadioButton,
)
INDICATOR_EDGE = "#8a8d92"  # as the placeholder text: visible on the dark field, quieter than the text
GROOVE_FILL = "#5c6068"  # Fusion fills the groove with 90 % of this: a step up from the window, below the handle
GROOVE_EDGE = "#a9adb5"  # Fusion outlines with this darkened 140 %: about INDICATOR_EDGE


def apply_theme(app: QApplication, theme: str) -> None:
    """``system`` keeps the platform palette; light and dark use Fusion."""
    if not hasattr(app, "_system_palette"):
        app._system_palette = QPalette(app.palette())  # noqa: SLF001 - remember it to switch back
    if theme not in ("light", "dark"):
        app.setPalette(app._system_palette)
        return
    if theme == "dark":
        app._dark_style = DarkStyle()  # noqa: SLF001 - Qt does not keep a Python reference to the style
        app.setStyle(app._dark_style)
    else:
        app.setStyle("Fusion")
    app.setPalette(palette_for(theme))


def palette_for(theme: str) -> QPalette:
    """The light or dark palette."""
    pal = QPalette()
    for role, color in (_DARK if theme == "dark" else _LIGHT).items():
        pal.setColor(role, QColor(color))
    disabled = QColor("#7a7d82") if theme == "dark" else QColor("#a0a0a4")
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return pal
