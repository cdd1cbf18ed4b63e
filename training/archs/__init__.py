"""Architectures. Add a module to ARCH_MODULES to register it (no filesystem scanning)."""

from importlib import import_module

from .registry import ARCHS, build_model, register

ARCH_MODULES = (
    "srresnet_arch",
    "rrdbnet_arch",
    "discriminator_arch",
    "spandrel_arch",
)

for _name in ARCH_MODULES:
    import_module(f"{__name__}.{_name}")

__all__ = ["ARCHS", "build_model", "register"]
