"""Light and dark themes (Fusion style with a matching palette)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

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


def apply_theme(app: QApplication, theme: str) -> None:
    """``system`` keeps the platform palette; light and dark use Fusion."""
    if not hasattr(app, "_system_palette"):
        app._system_palette = QPalette(app.palette())  # noqa: SLF001 - remember it to switch back
    if theme not in ("light", "dark"):
        app.setPalette(app._system_palette)
        return
    app.setStyle("Fusion")
    pal = QPalette()
    for role, color in (_DARK if theme == "dark" else _LIGHT).items():
        pal.setColor(role, QColor(color))
    disabled = QColor("#7a7d82") if theme == "dark" else QColor("#a0a0a4")
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    app.setPalette(pal)
