"""The automatic tile size: the default, made smaller when free memory would not hold one tile's work.

A tile costs about ``bytes per padded input pixel`` x ``(tile + 2 overlap)^2``;
measured peak RSS on the bundled SRResNet x4 (benchmarks/bench_inference.py,
tile 224 and 384 on a 640 px image, 2 threads): OpenVINO about 7 KB per padded
pixel in fp32 and 5 KB in bf16 and int8 (int8's growth from a 248 to a 408 px
tile is 0.65x fp32's); ONNX Runtime 10-14 KB (core/tiling.py). Larger CPU tiles
were no faster, so the default is also the ceiling, and a tile may use at most
half of the memory that is free when the run starts. Out-of-memory
errors during the run still split tiles (core/upscale.py).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from .tiling import MIN_TILE

BYTES_PER_PADDED_PIXEL = {
    ("openvino", "fp32"): 7_500,
    ("openvino", "bf16"): 5_000,
    ("openvino", "fp16"): 5_000,
    ("openvino", "int8"): 5_000,
}
ORT_BYTES_PER_PADDED_PIXEL = 14_000


def free_memory_bytes() -> int | None:
    """RAM the system can give now (Linux MemAvailable; elsewhere free physical pages), or None if unknown."""
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def bytes_per_padded_pixel(engine: str, precision: str) -> int:
    return BYTES_PER_PADDED_PIXEL.get((engine, precision), ORT_BYTES_PER_PADDED_PIXEL)


def auto_tile(ceiling: int, overlap: int, per_pixel: int, free: int | None) -> int:
    """The largest tile <= ``ceiling`` whose padded area fits in half of ``free`` bytes (never below MIN_TILE)."""
    if free is None:
        return ceiling
    side = math.isqrt(max(0, free // 2 // max(1, per_pixel))) - 2 * overlap
    return max(MIN_TILE, min(ceiling, side))
