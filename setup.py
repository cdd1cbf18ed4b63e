"""Package discovery for the one top-level package, ``srgan_studio``.

``pyproject.toml`` holds everything else. This file exists because the source
folders ``training/`` and ``resources/`` install as ``srgan_studio.training``
and ``srgan_studio.resources`` (see ``package-dir`` there), and setuptools'
``packages.find`` cannot put a prefix on the packages it finds in a mapped
folder. Found, not listed: a new subpackage ships without editing anything.
"""

from setuptools import find_packages, setup

# Folders inside the mapped trees that are never installed.
_NOT_PACKAGES = ["runs", "runs.*"]


def _mapped(prefix: str, folder: str) -> list[str]:
    return [prefix] + [f"{prefix}.{name}" for name in find_packages(folder, exclude=_NOT_PACKAGES)]


setup(
    packages=find_packages(include=["srgan_studio", "srgan_studio.*"])
    + _mapped("srgan_studio.training", "training")
    + _mapped("srgan_studio.resources", "resources"),
)
