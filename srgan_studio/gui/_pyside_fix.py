"""Keep PySide6 6.12 from crashing CPython 3.11 with "none_dealloc" / "bool_dealloc".

Measured here (PySide6 6.12.0, CPython 3.11.7):
- every call of a C++ method that returns void (``widget.update()``,
  ``painter.setPen()`` ...) releases one reference to None that it never took;
- every Python-side ``Signal.emit()`` releases one reference to True, whatever
  the signal's arguments (100 emits: True's count drops by 100).
CPython 3.12+ makes None, True and False immortal, so there the extra
releases are harmless, which is presumably why they went unnoticed. On 3.11
None aborts the app within a minute of repaints, and True a little later:
worker progress signals emit thousands of times, and the count reaches zero
at the latest when the interpreter finalises (exit code 134 on quit).
6.12.0 is the newest PySide6-Essentials on the index (checked with
``pip index versions PySide6-Essentials``), so there is no fixed release to
move to.

The fix does what 3.12 does: it gives the three singletons a reference count
so large that no amount of stray releases can bring it to zero. They are
never freed anyway, so nothing else changes. It is a no-op on 3.12+.
"""

from __future__ import annotations

import ctypes
import sys

_RESERVE = 1 << 48
SINGLETONS = (None, True, False)


def make_singletons_immortal() -> None:
    if sys.version_info >= (3, 12):
        return
    for obj in SINGLETONS:
        # ob_refcnt is the first field of every object (non-debug CPython 3.11).
        refcnt = ctypes.c_ssize_t.from_address(id(obj))
        if refcnt.value < _RESERVE:
            refcnt.value += _RESERVE
