"""Model descriptors: everything the GUI, the tiler and the CLI know about a model.

A descriptor is a JSON file beside the model file (``name.onnx`` ->
``name.json``). Nothing outside the runtime reads the model file itself.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import ModelError

SCHEMA_VERSION = 1
KINDS = ("onnx", "bicubic")


@dataclass(frozen=True)
class ModelDescriptor:
    name: str  # registry key, e.g. "srresnet_x4"
    title: str  # shown in the GUI, e.g. "SRResNet x4"
    kind: str  # "onnx" or "bicubic"
    architecture: str  # e.g. "srresnet", "rrdbnet", "bicubic"
    scale: int
    in_channels: int = 3
    out_channels: int = 3
    fp16: bool = False  # safe to run in half precision on CUDA
    pad_multiple: int = 1  # input H and W must be a multiple of this
    receptive_field: int = 0  # pixels of LR context a tile needs at its border
    file: str = ""  # model file name, relative to the descriptor
    provenance: dict[str, Any] = field(default_factory=dict)  # data, recipe, steps, base, licence
    metrics: dict[str, Any] = field(default_factory=dict)  # e.g. {"Set5": {"psnr_y": 30.4, "ssim_y": 0.86}}
    notes: str = ""
    schema_version: int = SCHEMA_VERSION
    source_path: str = ""  # where this descriptor was loaded from (not saved)
    user: bool = False  # a user model (removable), not bundled (not saved)

    @property
    def model_path(self) -> Path | None:
        if not self.file:
            return None
        return Path(self.source_path).parent / self.file

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("source_path")
        data.pop("user")
        return json.dumps(data, indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str | Path = "") -> ModelDescriptor:
        known = {f.name for f in fields(cls)} - {"source_path", "user"}
        unknown = set(data) - known
        if unknown:
            raise ModelError(f"unknown descriptor keys {sorted(unknown)}", source or None)
        for key in ("name", "title", "kind", "architecture", "scale"):
            if key not in data:
                raise ModelError(f"descriptor lacks '{key}'", source or None)
        if data["kind"] not in KINDS:
            raise ModelError(f"descriptor kind must be one of {KINDS}, not {data['kind']!r}", source or None)
        if not isinstance(data["scale"], int) or data["scale"] < 1:
            raise ModelError(f"descriptor scale must be a positive integer, not {data['scale']!r}", source or None)
        return cls(**data, source_path=str(source))

    @classmethod
    def load(cls, path: str | Path) -> ModelDescriptor:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError("descriptor file is missing", path) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelError(f"descriptor is not valid JSON ({exc})", path) from None
        if not isinstance(data, dict):
            raise ModelError("descriptor must be a JSON object", path)
        return cls.from_dict(data, path)

    def save(self, path: str | Path) -> None:
        """Write atomically (temp file + os.replace)."""
        from .atomic import atomic_write_bytes

        atomic_write_bytes(Path(path), self.to_json().encode("utf-8"))
