"""The desktop app (PySide6). All Qt code of SRGAN Studio lives in this package."""

from ._pyside_fix import make_singletons_immortal

make_singletons_immortal()  # before any Qt call: see _pyside_fix.py
