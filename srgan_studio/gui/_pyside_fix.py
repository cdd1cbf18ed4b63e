"""Keep PySide6 6.12 from crashing CPython 3.11 with "none_dealloc: deallocating None".

Measured here (PySide6 6.12.0, CPython 3.11.7): every call of a C++ method
that returns void (``widget.update()``, ``painter.setPen()``, ``painter.end()``
...) releases one reference to None that it never took. CPython 3.12+ makes
None immortal, so there the extra release is harmless, which is presumably
why it went unnoticed. On 3.11 None starts with about 5,000 references and a
repaint of a compare pane costs 10-30, so the app aborts within a minute of
use (tests/test_gui_pyside_fix.py shows it).

The fix does what 3.12 does: it gives None a reference count so large that
no amount of stray releases can bring it to zero. None is never freed
anyway, so nothing else changes. It is a no-op on 3.12+.
"""

from __future__ import annotations

import ctypes
import sys

_RESERVE = 1 << 48


def make_none_immortal() -> None:
    if sys.version_info >= (3, 12):
        return
    # ob_refcnt is the first field of every object (non-debug CPython 3.11).
    refcnt = ctypes.c_ssize_t.from_address(id(None))
    if refcnt.value < _RESERVE:
        refcnt.value += _RESERVE
