"""What the CPU can do fast, for choosing a precision (torch-free, Qt-free).

bf16 pays only where the CPU has native bf16 arithmetic (AVX512-BF16 or AMX);
elsewhere emulated bf16 is slower than fp32, so "auto" means fp32 there.
"""

from __future__ import annotations

import functools
import platform
from pathlib import Path

BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux names them; empty where they cannot be read."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def cpu_has_bf16() -> bool:
    """True where bf16 matrix arithmetic is native (x86 AVX512-BF16 / AMX; Apple M2+ is not detected)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    return bool(cpu_flags() & BF16_FLAGS)
