"""One typed Settings object, saved as JSON in the platformdirs config folder.

Policy for a bad file (a desktop app must still start): a value of the wrong
type or out of range is reset to its default, unknown keys are dropped, and
an unreadable file gives all defaults; each case emits a SettingsWarning
naming the file and the key. A corrupt file is first copied aside as
``settings.json.broken`` so nothing the user had is lost. Old files are
upgraded by the MIGRATIONS steps, keyed by schema_version.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .atomic import atomic_write_bytes
from .ensemble import PASSES
from .errors import SettingsError
from .formats import DEFAULT_QUALITY, WRITABLE

SCHEMA_VERSION = 1
APP_NAME = "srgan-studio"
FILE_NAME = "settings.json"
MAX_RECENT = 12


class SettingsWarning(UserWarning):
    """A setting was reset or dropped while loading."""


def config_dir() -> Path:
    env = os.environ.get("SRGAN_STUDIO_CONFIG_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    env = os.environ.get("SRGAN_STUDIO_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def settings_path() -> Path:
    return config_dir() / FILE_NAME


@dataclass
class Settings:
    schema_version: int = SCHEMA_VERSION
    device: str = "auto"  # auto | cpu | cuda | cuda:N | gpu | gpu:N (OpenVINO, Intel graphics)
    precision: str = "auto"  # auto | fp32 | bf16 | fp16 | int8 (core/runtime/precision.py)
    engine: str = "auto"  # CPU engine: auto (OpenVINO where installed) | openvino | onnxruntime
    tile: int = 0  # LR tile core size; 0 = automatic
    threads: int = 0  # CPU threads; 0 = ONNX Runtime's choice
    output_format: str = ""  # "" = same as the input | png | jpeg | webp | tiff
    jpeg_quality: int = DEFAULT_QUALITY
    output_dir: str = ""  # "" = beside the input
    keep_metadata: bool = True
    alpha_mode: str = "model"  # model | bicubic
    ensemble: int = 1  # model passes per tile, averaged over flips/transposes (core/ensemble.py)
    max_megapixels: float = 180.0  # decompression-bomb limit for inputs
    theme: str = "system"  # system | light | dark
    default_model: str = ""
    realism: int = 50  # the Realism slider, percent (remembered)
    save_dir: str = ""  # the folder of the last save ("" = beside the input)
    recent_files: list[str] = field(default_factory=list)
    window_geometry: str = ""
    window_state: str = ""

    def add_recent(self, path: str | Path) -> None:
        p = str(path)
        self.recent_files = [p] + [r for r in self.recent_files if r != p][: MAX_RECENT - 1]


def _choice(*options: str) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and v in options


def _device_ok(v: Any) -> bool:
    if not isinstance(v, str):
        return False
    kind, _, index = v.partition(":")
    return v in ("auto", "cpu", "cuda", "gpu") or (kind in ("cuda", "gpu") and index.isdigit())


def _int_in(lo: int, hi: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


VALIDATORS: dict[str, Callable[[Any], bool]] = {
    "device": _device_ok,
    "precision": _choice("auto", "fp32", "bf16", "fp16", "int8"),
    "engine": _choice("auto", "openvino", "onnxruntime"),
    "tile": lambda v: _int_in(0, 8192)(v) and (v == 0 or v >= 32),
    "threads": _int_in(0, 1024),
    "output_format": _choice("", *WRITABLE),
    "jpeg_quality": _int_in(1, 100),
    "output_dir": lambda v: isinstance(v, str),
    "keep_metadata": lambda v: isinstance(v, bool),
    "alpha_mode": _choice("model", "bicubic"),
    "ensemble": lambda v: _int_in(1, 8)(v) and v in PASSES,
    "max_megapixels": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 10_000,
    "theme": _choice("system", "light", "dark"),
    "default_model": lambda v: isinstance(v, str),
    "realism": _int_in(0, 100),
    "save_dir": lambda v: isinstance(v, str),
    "recent_files": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "window_geometry": lambda v: isinstance(v, str),
    "window_state": lambda v: isinstance(v, str),
}


# from version -> a step that upgrades a dict to version + 1; add one whenever a key changes
# meaning or name, and bump SCHEMA_VERSION. (None yet: version 1 is the first release.)
MIGRATIONS: dict[int, Callable[[dict], dict]] = {}


def validate(settings: Settings) -> None:
    """Raise SettingsError for the first invalid value (for callers that set values in code)."""
    for name, ok in VALIDATORS.items():
        if not ok(getattr(settings, name)):
            raise SettingsError(f"invalid setting {name}={getattr(settings, name)!r}")


def load_settings(path: str | Path | None = None) -> Settings:
    """Load settings; never fails on a bad file (see the module docstring)."""
    path = Path(path) if path is not None else settings_path()
    if not path.exists():
        return Settings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        backup = path.with_name(path.name + ".broken")
        try:
            shutil.copy2(path, backup)
            kept = f"; the old file was kept as {backup.name}"
        except OSError:
            kept = ""
        warnings.warn(f"{path}: unreadable settings ({exc}); using defaults{kept}", SettingsWarning, stacklevel=2)
        return Settings()

    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version < 1:
        version = 1
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](dict(data))
        version += 1
    if version > SCHEMA_VERSION:
        warnings.warn(
            f"{path}: written by a newer version (schema {version}); reading what this version knows",
            SettingsWarning,
            stacklevel=2,
        )

    defaults = Settings()
    values: dict[str, Any] = {}
    known = {f.name for f in fields(Settings)}
    for key, value in data.items():
        if key == "schema_version":
            continue
        if key not in known:
            warnings.warn(f"{path}: unknown setting {key!r} ignored", SettingsWarning, stacklevel=2)
            continue
        if isinstance(getattr(defaults, key), float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not VALIDATORS[key](value):
            warnings.warn(
                f"{path}: invalid value {key}={value!r}; using {getattr(defaults, key)!r}",
                SettingsWarning,
                stacklevel=2,
            )
            continue
        values[key] = value
    settings = Settings(**values)
    settings.recent_files = settings.recent_files[:MAX_RECENT]
    return settings


def save_settings(settings: Settings, path: str | Path | None = None) -> Path:
    """Validate, then write atomically (creating the config folder)."""
    validate(settings)
    path = Path(path) if path is not None else settings_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = asdict(settings)
        data["schema_version"] = SCHEMA_VERSION
        atomic_write_bytes(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        raise SettingsError(f"cannot save settings ({exc.strerror or exc})", path) from None
    return path
