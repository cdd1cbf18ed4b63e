"""SRGAN Studio: photo restoration by super-resolution."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("srgan-studio")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+source"
