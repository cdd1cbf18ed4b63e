"""What the CPU can do fast, for choosing a precision (torch-free, Qt-free).

bf16 pays only where the CPU has native bf16 arithmetic (AVX512-BF16 or AMX);
elsewhere emulated bf16 is slower than fp32, so "auto" means fp32 there. The
trainer and the inference runtime both ask here.
"""

from __future__ import annotations

import functools
from pathlib import Path

BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@functools.cache
def cpu_flags() -> frozenset[str] | None:
    """The CPU's feature flags as Linux names them (x86 "flags", Arm "Features"); None where unreadable."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return frozenset(line.split(":", 1)[1].split())
    return None


def cpu_has_bf16() -> bool:
    """True where /proc/cpuinfo shows native bf16 (AVX512-BF16 / AMX); False where it cannot be read."""
    return bool((cpu_flags() or frozenset()) & BF16_FLAGS)
