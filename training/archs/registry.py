"""Architecture registry: a name -> builder map filled by an explicit import list.

Each architecture module decorates its builder with ``@register("name")``.
``archs/__init__.py`` imports every module by name, so PyInstaller and readers
see the full list; nothing is discovered by scanning the filesystem.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch.nn as nn

ARCHS: dict[str, Callable[..., nn.Module]] = {}


def register(name: str):
    def deco(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in ARCHS:
            raise ValueError(f"architecture {name!r} registered twice")
        ARCHS[name] = fn
        return fn

    return deco


def build_model(type: str, **options: Any) -> nn.Module:  # noqa: A002 - matches the recipe key
    try:
        builder = ARCHS[type]
    except KeyError:
        raise ValueError(f"unknown architecture type {type!r}; known: {sorted(ARCHS)}") from None
    return builder(**options)


def upsample_factors(scale: int, arch: str) -> list[int]:
    """Sub-pixel steps for a scale: x2 per factor of 2 (the papers' layout), or one x3."""
    if scale in (2, 4, 8):
        return [2] * (scale.bit_length() - 1)
    if scale == 3:
        return [3]
    raise ValueError(f"{arch} scale must be 2, 3, 4 or 8, not {scale}")
