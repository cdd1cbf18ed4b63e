"""Import a community PyTorch upscaler (.pth, .pt, .ckpt, .safetensors) as a user model, through spandrel.

- Weights only, never pickled code: ``.safetensors`` through safetensors, the
  others through ``torch.load(weights_only=True)``. spandrel's own file loader is
  not used: in 0.4.2 it passes its restricted ``pickle_module`` to ``torch.load``,
  which turns ``weights_only`` off, and it tries ``torch.jit.load`` on ``.pt``.
- spandrel then detects the architecture and its hyperparameters from the state
  dict. Only single-image super-resolution and restoration models whose output is
  an image (1 or 3 channels) are accepted.
- The model is exported to ONNX by ``export.write_verified_onnx`` (checker, ONNX
  Runtime against spandrel's PyTorch output at two sizes), its receptive field
  measured as for the bundled models, and registered with a descriptor.
A bad file gets a one-line ModelError naming it; nothing is registered.
"""

from __future__ import annotations

import pickle
import re
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import torch
from spandrel import ImageModelDescriptor, ModelLoader, UnsupportedModelError, canonicalize_state_dict

from ..core.atomic import file_sha256
from ..core.descriptor import ModelDescriptor
from ..core.errors import ModelError
from ..core.finetune.base import imported_base_problem
from ..core.registry import PYTORCH_SUFFIXES, Registry
from .checkpoint import save_weights
from .export import OPSET, _fp16_safe, estimate_receptive_field, write_verified_onnx

MAX_FILE_BYTES = 2 * 1024**3  # the largest community upscalers (HAT-L, DAT) are well under 1 GB
PURPOSES = ("SR", "Restoration")
CHANNELS = (1, 3)
LICENCE = "unknown, check the source"
# How a pre-1.6 torch.save file starts: protocol 2, then the magic number as a LONG1.
LEGACY_MAGIC = b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def read_state_dict(path: Path) -> dict[str, Any]:
    """The file's tensors, canonicalised by spandrel (``params_ema``, ``params``, ``module.`` unwrapped)."""
    suffix = path.suffix.lower()
    if suffix not in PYTORCH_SUFFIXES:
        raise ModelError(f"not a PyTorch model file (expected one of {', '.join(PYTORCH_SUFFIXES)})", path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ModelError(f"cannot read the file ({exc.strerror or exc})", path) from None
    if size > MAX_FILE_BYTES:
        raise ModelError(
            f"file is {size / 1024**3:.1f} GB, over the {MAX_FILE_BYTES / 1024**3:.0f} GB limit for an upscaling model",
            path,
        )
    if suffix == ".safetensors":
        state = _load_safetensors(path)
    else:
        state = _load_weights_only(path)
    if not isinstance(state, dict) or not state:
        raise ModelError("the file holds no state dict (a dict of weight tensors)", path)
    return canonicalize_state_dict(state)


def _load_safetensors(path: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    try:
        return load_file(str(path), device="cpu")
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own and OS errors on bad files
        raise ModelError(f"not a readable .safetensors file ({_first_line(exc)})", path) from None


def _load_weights_only(path: Path) -> Any:
    try:
        return torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch's message is a page long; the line that matters names the refused global, if any.
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
        if found is None:
            raise ModelError(f"not a readable PyTorch weights file ({_unreadable_why(path)})", path) from None
        raise ModelError(
            f"refused: the file holds pickled code or objects ({found.group(1)}), not just weights; "
            "prefer a .safetensors copy",
            path,
        ) from None
    except Exception:  # noqa: BLE001 - truncated zips, bad magic numbers, EOF: all one answer
        raise ModelError(f"not a readable PyTorch weights file ({_unreadable_why(path)})", path) from None


def _unreadable_why(path: Path) -> str:
    """What the file is instead, from its first bytes: torch's own reasons ("Unsupported operand 60",
    "101", "failed finding central directory") name an opcode or offset, which tells a user nothing."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    if not head:
        return "the file is empty (0 bytes)"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return "truncated or damaged zip archive; download it again"
        if any(n.endswith("/data.pkl") for n in names):
            return "a PyTorch archive with damaged or unsupported contents"
        return "a zip archive, but not one torch.save wrote"
    if head.startswith(LEGACY_MAGIC):
        return "truncated or damaged legacy-format PyTorch file; download it again"
    if head.startswith(b"\x80"):
        return "a pickle archive, but not one torch.save wrote"
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return "a web page, not a zip or pickle archive; download the raw file, not its page"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "not a zip or pickle archive"
    return "a text file, not a zip or pickle archive"


def load_model(path: Path, state: dict[str, Any] | None = None):
    """spandrel's ImageModelDescriptor for ``path`` (or ``state`` read from it; float32, CPU, eval);
    ModelError if refused."""
    state = read_state_dict(path) if state is None else state
    try:
        desc = ModelLoader(device="cpu").load_from_state_dict(state)
    except UnsupportedModelError:
        raise ModelError(
            "spandrel does not recognise this state dict (an unsupported architecture, or not an upscaling model)", path
        ) from None
    except Exception as exc:  # noqa: BLE001 - a known layout with missing or odd tensors
        raise ModelError(f"state dict does not fit its detected architecture ({_first_line(exc)})", path) from None
    check_supported(desc, path)
    desc.model.float().eval()
    return desc


def check_supported(desc, path: Path) -> None:
    """Accept only single-image SR/restoration models that map a 1- or 3-channel image to one."""
    arch = desc.architecture.name
    if not isinstance(desc, ImageModelDescriptor):
        raise ModelError(
            f"{arch} is a {desc.purpose} model that needs more than one image (e.g. a mask); "
            "only single-image upscaling and restoration models can be imported",
            path,
        )
    if desc.purpose not in PURPOSES:
        raise ModelError(
            f"{arch} is a {desc.purpose} model; only super-resolution and restoration models can be imported", path
        )
    if desc.input_channels not in CHANNELS or desc.output_channels not in CHANNELS:
        raise ModelError(
            f"{arch} maps {desc.input_channels} to {desc.output_channels} channels; "
            "only 1 (grey) or 3 (RGB) are supported",
            path,
        )
    if desc.size_requirements.square:
        raise ModelError(f"{arch} needs square inputs, which the tiler cannot promise", path)


class SpandrelCall(torch.nn.Module):
    """The network as spandrel runs it: some architectures wrap the bare model
    (input normalisation, an extra noise-level channel), and the export must include that.
    Padding is left to the app's tiler (``pad_multiple``); clamping to its output stage."""

    def __init__(self, desc):
        super().__init__()
        self.model = desc.model
        self.call_fn = getattr(desc, "_call_fn", None) or (lambda model, x: model(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.call_fn(self.model, x)


def _round_up(n: int, multiple: int) -> int:
    return -(-n // multiple) * multiple


def verify_inputs(channels: int, minimum: int, multiple: int) -> list[torch.Tensor]:
    """Two random inputs of different, non-square sizes the model accepts (the first one is traced)."""
    gen = torch.Generator().manual_seed(1)
    sizes = ((29, 37), (45, 21))
    return [torch.rand(1, channels, *(max(minimum, _round_up(s, multiple)) for s in hw), generator=gen) for hw in sizes]


def import_pytorch_model(
    path: str | Path, registry: Registry, *, name: str | None = None, title: str | None = None
) -> ModelDescriptor:
    """Load ``path`` with spandrel, export and verify ONNX, register it as a user model; its descriptor."""
    src = Path(path)
    if not src.is_file():
        raise ModelError("model file not found", src)
    name = registry.new_user_name(src, name)
    started = time.monotonic()
    desc = load_model(src)
    model, scale = SpandrelCall(desc).eval(), int(desc.scale)
    req = desc.size_requirements
    with torch.no_grad():
        checks = [(x, model(x)) for x in verify_inputs(desc.input_channels, req.minimum, req.multiple_of)]
    arch = desc.architecture.name
    with tempfile.TemporaryDirectory(prefix="srgan-import-") as tmp:
        onnx_tmp = Path(tmp) / f"{name}.onnx"
        try:
            diff = write_verified_onnx(model, onnx_tmp, checks, {"architecture": arch, "scale": str(scale)})
        except ModelError as exc:
            raise ModelError(
                f"{arch} does not export to ONNX faithfully ({str(exc).split(': ', 1)[-1]})", src
            ) from None
        except Exception as exc:  # noqa: BLE001 - the tracer fails in many ways on exotic layers
            raise ModelError(f"{arch} cannot be exported to ONNX ({_first_line(exc)})", src) from None
        fp16 = bool(desc.supports_half) and _fp16_safe(model, *checks[0])
        field = estimate_receptive_field(
            model, scale, size=_round_up(max(96, req.minimum), req.multiple_of), channels=desc.input_channels
        )
        descriptor = ModelDescriptor(
            name=name,
            title=title or f"{src.stem} ({arch} x{scale})",
            kind="onnx",
            architecture=arch,
            scale=scale,
            in_channels=int(desc.input_channels),
            out_channels=int(desc.output_channels),
            fp16=fp16,
            pad_multiple=int(req.multiple_of),
            receptive_field=field,
            provenance={
                "imported_from": src.name,
                "source_sha256": file_sha256(src),
                "licence": LICENCE,
                "loader": "spandrel (weights only)",
                "purpose": desc.purpose,
                "size_requirements": {"minimum": int(req.minimum), "multiple_of": int(req.multiple_of)},
                "export": {"opset": OPSET, "max_abs_diff": diff, "import_seconds": 0.0},
            },
            notes="Imported community model: check its source for the licence and what it was trained on.",
        )
        descriptor.provenance["export"]["import_seconds"] = round(time.monotonic() - started, 2)
        weights = _keep_training_weights(model, descriptor, registry, src)
        try:
            return registry.add_user_model(onnx_tmp, descriptor, src)
        except BaseException:
            if weights is not None:
                weights.unlink(missing_ok=True)
            raise


def _keep_training_weights(model: SpandrelCall, descriptor: ModelDescriptor, registry: Registry, src: Path):
    """Write the weights beside the user model as a fine-tuning base (architecture ``spandrel``), and
    name the file in the descriptor; None (nothing written) for models fine-tuning cannot use."""
    if imported_base_problem(descriptor):
        return None
    path = (registry.user_dir / f"{descriptor.name}.safetensors").resolve()
    arch = {"type": "spandrel", "options": {"weights": str(path), "scale": descriptor.scale}}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_weights(path, model.state_dict(), arch)
    except OSError as exc:
        raise ModelError(f"cannot write into {path.parent} ({exc.strerror or exc})", src) from None
    descriptor.provenance["weights"] = path.name
    return path
