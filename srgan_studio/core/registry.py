"""The model registry: bundled models, user models, and bicubic.

Bundled models are ``*.onnx`` + ``*.json`` descriptors in the ``models``
folder of ``srgan_studio.resources``; user models live in
``data_dir()/models``. Bicubic (Pillow) is a registry model like the others,
one per scale the ONNX models offer (always x4), so the CLI and the compare
view treat all methods alike. A descriptor that cannot be read is skipped
and reported in ``Registry.problems`` rather than breaking the app.
"""

from __future__ import annotations

import builtins
import difflib
import re
import shutil
import time
from importlib import resources
from pathlib import Path

import numpy as np

from .atomic import atomic_path, file_sha256
from .descriptor import ModelDescriptor
from .errors import ModelError
from .settings import data_dir

PREFERRED_DEFAULT = "srresnet_x4"
PYTORCH_SUFFIXES = (".pth", ".pt", ".ckpt", ".safetensors")  # imported through spandrel (training/import_model.py)
_NAME_OK = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def bundled_models_dir() -> Path:
    return Path(str(resources.files("srgan_studio.resources") / "models"))


def user_models_dir() -> Path:
    return data_dir() / "models"


def bicubic_descriptor(scale: int) -> ModelDescriptor:
    return ModelDescriptor(
        name=f"bicubic_x{scale}",
        title=f"Bicubic x{scale}",
        kind="bicubic",
        architecture="bicubic",
        scale=scale,
        receptive_field=3,  # Pillow's bicubic reads 2 source pixels each side when enlarging
        provenance={"source": "Pillow Image.resize(BICUBIC)"},
        notes="Classic interpolation: the baseline the networks must beat.",
    )


class Registry:
    def __init__(self, bundled_dir: Path | None = None, user_dir: Path | None = None):
        self.bundled_dir = Path(bundled_dir) if bundled_dir is not None else bundled_models_dir()
        self._user_dir = Path(user_dir) if user_dir is not None else None
        self.problems: builtins.list[str] = []
        self._models: dict[str, ModelDescriptor] = {}
        self.refresh()

    @property
    def user_dir(self) -> Path:
        return self._user_dir if self._user_dir is not None else user_models_dir()

    def refresh(self) -> None:
        """Re-read both folders (after another process added or removed a model)."""
        models: dict[str, ModelDescriptor] = {}
        self.problems = []
        for folder, user in ((self.bundled_dir, False), (self.user_dir, True)):
            if not folder.is_dir():
                continue
            for js in sorted(folder.glob("*.json")):
                try:
                    d = ModelDescriptor.load(js)
                except ModelError as exc:
                    self.problems.append(str(exc))
                    continue
                if user:
                    d = _replace(d, user=True)
                if d.name in models and user:
                    self.problems.append(f"{js}: user model {d.name!r} hidden by the bundled model of that name")
                    continue
                models[d.name] = d
        scales = {d.scale for d in models.values() if d.kind == "onnx"} | {4}
        for s in sorted(scales):
            b = bicubic_descriptor(s)
            models.setdefault(b.name, b)
        self._models = models

    def list(self) -> builtins.list[ModelDescriptor]:
        """ONNX models first (bundled, then user), then bicubic; by name within each."""
        return sorted(self._models.values(), key=lambda d: (d.kind != "onnx", d.user, d.scale != 4, d.name))

    def names(self) -> builtins.list[str]:
        return [d.name for d in self.list()]

    def get(self, name: str) -> ModelDescriptor:
        """The model ``name`` resolves to (see ``resolve``); ModelError if none or several."""
        return self._models[self.resolve(name)]

    def resolve(self, name: str) -> str:
        """The registry name for what a user typed: exact, alias or unique prefix."""
        return resolve_name(name, self.names())

    def find(self, name: str) -> str | None:
        """Like ``resolve``, but None where it would be an error (for saved settings)."""
        return find_name(name, self.names())

    def __contains__(self, name: str) -> bool:
        return name in self._models

    def default_name(self) -> str:
        """``srresnet_x4`` when present, else the first x4 ONNX model, else any ONNX model, else bicubic x4."""
        if PREFERRED_DEFAULT in self._models:
            return PREFERRED_DEFAULT
        onnx_models = [d for d in self.list() if d.kind == "onnx"]
        for d in onnx_models:
            if d.scale == 4:
                return d.name
        return onnx_models[0].name if onnx_models else "bicubic_x4"

    def default(self) -> ModelDescriptor:
        return self._models[self.default_name()]

    def import_onnx(self, path: str | Path, name: str | None = None, title: str | None = None) -> ModelDescriptor:
        """Check an ONNX file (checker, ORT load, probe run), copy it into the user folder, write its descriptor."""
        src = Path(path)
        if not src.is_file():
            raise ModelError("model file not found", src)
        name = self.new_user_name(src, name)
        probe = probe_onnx(src)
        desc = ModelDescriptor(
            name=name,
            title=title or f"{src.stem} x{probe['scale']}",
            kind="onnx",
            architecture=probe["architecture"],
            scale=probe["scale"],
            in_channels=probe["in_channels"],
            out_channels=probe["out_channels"],
            pad_multiple=probe["pad_multiple"],
            receptive_field=probe["receptive_field"],
            provenance={"imported_from": str(src.resolve())},
        )
        return self.add_user_model(src, desc, src)

    def new_user_name(self, src: Path, name: str | None) -> str:
        """``name`` (or one made from the file name) if it is valid and free; ModelError naming ``src`` if not."""
        name = name or _name_from(src)
        if not _NAME_OK.match(name):
            raise ModelError(f"model name {name!r} must be lowercase letters, digits, '_', '-' or '.'", src)
        if name in self._models:
            raise ModelError(f"a model named {name!r} already exists; pick another name", src)
        return name

    def add_user_model(self, onnx_file: Path, desc: ModelDescriptor, src: Path) -> ModelDescriptor:
        """Copy a checked ``onnx_file`` into the user folder as ``desc.name`` and write ``desc`` beside it.

        The ONNX file's sha256 and the import time join the provenance; ``src`` is
        the file the user chose, named in errors.
        """
        dest_dir = self.user_dir
        try:
            dest_dir.mkdir(parents=True, exist_ok=True)
            onnx_dest = dest_dir / f"{desc.name}.onnx"
            with atomic_path(onnx_dest) as tmp:
                shutil.copyfile(onnx_file, tmp)
        except OSError as exc:
            raise ModelError(f"cannot copy into {dest_dir} ({exc.strerror or exc})", src) from None
        provenance = {
            **desc.provenance,
            "sha256": file_sha256(onnx_dest),
            "imported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        _replace(desc, file=onnx_dest.name, provenance=provenance).save(dest_dir / f"{desc.name}.json")
        self.refresh()
        return self.get(desc.name)

    def remove(self, name: str) -> None:
        d = self.get(name)
        if not d.user:
            raise ModelError(
                f"{name!r} is a {'built-in' if d.kind == 'bicubic' else 'bundled'} model and cannot be removed"
            )
        src = Path(d.source_path)
        # Training weights beside the model (fine-tunes, imports): a removed model leaves nothing behind.
        weights = d.model_path.with_suffix(".safetensors") if d.model_path is not None else None
        for p in (d.model_path, weights, src):
            if p is not None:
                try:
                    p.unlink(missing_ok=True)
                except OSError as exc:
                    raise ModelError(f"cannot remove ({exc.strerror or exc})", p) from None
        self.refresh()


def default_registry() -> Registry:
    return Registry()


def alias_of(name: str) -> str:
    """A model's short name: its name without the scale suffix (``srresnet_x4`` -> ``srresnet``)."""
    return re.sub(r"_x\d+$", "", name)


def resolve_name(typed: str, names: builtins.list[str]) -> str:
    """The one name in ``names`` that ``typed`` means, tried in order: the exact name,
    an alias (the name without ``_xN``), a unique prefix. ModelError otherwise, one line
    with what was meant where that can be guessed."""
    if typed in names:
        return typed
    if not typed:
        raise ModelError("no model name given")
    for candidates in ([n for n in names if alias_of(n) == typed], [n for n in names if n.startswith(typed)]):
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            raise ModelError(f"model {typed!r} is ambiguous: did you mean {_either(candidates)}?")
    aliases = {alias_of(n): n for n in names}
    close = difflib.get_close_matches(typed, names, n=3, cutoff=0.6) or [
        aliases[a] for a in difflib.get_close_matches(typed, list(aliases), n=3, cutoff=0.6)
    ]
    hint = f"did you mean {_either(close)}?" if close else f"known models: {', '.join(names)}"
    raise ModelError(f"unknown model {typed!r}; {hint}")


def find_name(typed: str, names: builtins.list[str]) -> str | None:
    """``resolve_name``, or None where that is an error (a saved setting that no longer matches)."""
    try:
        return resolve_name(typed, names)
    except ModelError:
        return None


def _either(names: builtins.list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _replace(d: ModelDescriptor, **changes) -> ModelDescriptor:
    from dataclasses import replace

    return replace(d, **changes)


def _name_from(path: Path) -> str:
    stem = re.sub(r"[^a-z0-9_.-]+", "_", path.stem.lower()).strip("_.-") or "model"
    return stem[:64]


def probe_onnx(path: Path) -> dict:
    """Validate an ONNX SR model and measure scale, channels, size multiple and useful context."""
    import onnx

    try:
        onnx.checker.check_model(str(path))
        graph = onnx.load(str(path), load_external_data=False).graph
    except Exception as exc:  # noqa: BLE001 - onnx raises several types on bad files
        raise ModelError(
            f"not a valid ONNX model ({str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__})", path
        ) from None
    from .runtime import create_session

    session = create_session(path, device="cpu", engine="onnxruntime")  # its .inner exposes the graph inputs
    shape = session.inner.get_inputs()[0].shape
    if len(shape) != 4:
        raise ModelError(f"model input must be NCHW (4 dimensions), not {shape}", path)
    if isinstance(shape[2], int) or isinstance(shape[3], int):
        raise ModelError(
            f"model input has a fixed size {shape[2]}x{shape[3]}; export it with dynamic height and width", path
        )
    c_in = shape[1] if isinstance(shape[1], int) else 3
    if c_in not in (1, 3):
        raise ModelError(f"model takes {c_in} channels; only 1 or 3 are supported", path)
    rng = np.random.default_rng(0)
    out = pad_multiple = side = None
    errors = []
    for side, pad_multiple in ((25, 1), (24, 8), (32, 16), (64, 32)):  # noqa: B007 - the pair that ran is kept
        try:
            out = session.run(rng.random((1, c_in, side, side), dtype=np.float32))
            break
        except Exception as exc:  # noqa: BLE001 - try the next size multiple
            errors.append(str(exc).splitlines()[0][:120])
    if out is None:
        raise ModelError(f"probe run failed ({errors[-1]})", path)
    if out.ndim != 4 or out.shape[2] % side or out.shape[2] != out.shape[3]:
        raise ModelError(
            f"output shape {tuple(out.shape)} for a {side}x{side} input is not a whole-number upscale", path
        )
    scale = out.shape[2] // side
    if scale < 1:
        raise ModelError(f"model shrinks the image (output {out.shape[2]} for input {side})", path)
    if not np.isfinite(out).all():
        raise ModelError("probe run produced NaN or infinite values", path)
    ops = {n.op_type for n in graph.node}
    return {
        "scale": int(scale),
        "in_channels": int(c_in),
        "out_channels": int(out.shape[1]),
        "pad_multiple": pad_multiple,
        "receptive_field": measure_context(session, c_in, scale, pad_multiple),
        "architecture": "onnx" if "Conv" not in ops else "onnx-cnn",
    }


def measure_context(session, channels: int, scale: int, pad_multiple: int = 1, tol: float = 0.05 / 255) -> int:
    """Smallest LR context after which cutting the input no longer changes the output by more than ``tol``.

    Used as the tile overlap, so a model with a wide effective field still tiles without seams.
    """
    core, full_w = 32, 32 + 64
    rng = np.random.default_rng(1)
    x = rng.random((1, channels, 32, full_w), dtype=np.float32)
    full = np.clip(session.run(x), 0, 1)[..., : core * scale]
    for c in (4, 8, 12, 16, 24, 32, 48):
        w = core + c
        if pad_multiple > 1 and w % pad_multiple:
            continue
        try:
            part = np.clip(session.run(x[..., :w]), 0, 1)[..., : core * scale]
        except Exception:  # noqa: BLE001 - sizes the model refuses are skipped
            continue
        if float(np.abs(part - full).max()) <= tol:
            return c
    return 64
