"""Network interpolation between two ONNX models of one architecture.

ESRGAN (Wang et al. 2018, §3.4): blending the weights of a PSNR-oriented
network and its GAN fine-tune, theta = (1 - alpha) * theta_psnr + alpha *
theta_gan, trades fidelity for texture smoothly and without the noise that
blending the two *outputs* gives. Here that is done on the exported ONNX
graphs with the ``onnx`` package and numpy (no torch): every float
initializer, float Constant and float node attribute (a LeakyReLU slope, for
instance) is blended; everything else must match exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import ModelError

_FLOAT_TYPES = (np.float16, np.float32, np.float64)


def _load(path: str | Path):
    import onnx

    path = Path(path)
    if not path.is_file():
        raise ModelError("model file is missing", path)
    try:
        return onnx.load(str(path))
    except Exception as exc:  # noqa: BLE001 - onnx raises several types for a bad file
        raise ModelError(f"not a readable ONNX model ({type(exc).__name__})", path) from None


def _blend_array(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    mixed = (1.0 - alpha) * a.astype(np.float64) + alpha * b.astype(np.float64)
    return mixed.astype(a.dtype)


def _blend_tensor(ta, tb, alpha: float, what: str, path_b: Path):
    from onnx import numpy_helper

    a = numpy_helper.to_array(ta)
    b = numpy_helper.to_array(tb)
    if a.shape != b.shape or a.dtype != b.dtype:
        raise ModelError(
            f"cannot interpolate: {what} is {a.dtype}{list(a.shape)} in one model "
            f"and {b.dtype}{list(b.shape)} in the other (different architectures?)",
            path_b,
        )
    if a.dtype.type not in _FLOAT_TYPES:
        if not np.array_equal(a, b):
            raise ModelError(f"cannot interpolate: non-float {what} differs between the models", path_b)
        return None
    out = numpy_helper.from_array(_blend_array(a, b, alpha), ta.name)
    return out


def _blend_attribute(aa, ab, alpha: float, what: str, path_b: Path) -> None:
    """Blend float attributes of node ``ab`` in place; others must be equal."""
    from onnx import AttributeProto

    if aa.name != ab.name or aa.type != ab.type:
        raise ModelError(f"cannot interpolate: attributes of {what} differ", path_b)
    if aa.type == AttributeProto.FLOAT:
        ab.f = float((1.0 - alpha) * aa.f + alpha * ab.f)
    elif aa.type == AttributeProto.FLOATS:
        if len(aa.floats) != len(ab.floats):
            raise ModelError(f"cannot interpolate: attribute {aa.name} of {what} has different lengths", path_b)
        mixed = [(1.0 - alpha) * x + alpha * y for x, y in zip(aa.floats, ab.floats)]
        del ab.floats[:]
        ab.floats.extend(mixed)
    elif aa.type == AttributeProto.TENSOR:
        out = _blend_tensor(aa.t, ab.t, alpha, f"attribute {aa.name} of {what}", path_b)
        if out is not None:
            ab.t.CopyFrom(out)
    elif aa.SerializeToString() != ab.SerializeToString():
        raise ModelError(f"cannot interpolate: attribute {aa.name} of {what} differs", path_b)


def interpolate_onnx(path_a: str | Path, path_b: str | Path, alpha: float) -> bytes:
    """Return the serialized ONNX model (1 - alpha) * A + alpha * B.

    ``alpha`` = 0 gives A's weights, 1 gives B's. Raises ModelError naming
    ``path_b`` when the two graphs do not have the same structure.
    """
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:
        raise ModelError(f"interpolation alpha must be between 0 and 1, not {alpha}")
    path_a, path_b = Path(path_a), Path(path_b)
    ma, mb = _load(path_a), _load(path_b)
    ga, gb = ma.graph, mb.graph

    if len(ga.node) != len(gb.node):
        raise ModelError(
            f"cannot interpolate: the graphs have {len(ga.node)} and {len(gb.node)} nodes (different architectures?)",
            path_b,
        )
    inits_a = {t.name: t for t in ga.initializer}
    names_b = [t.name for t in gb.initializer]
    if sorted(inits_a) != sorted(names_b):
        raise ModelError(
            "cannot interpolate: the models have different weight names (different architectures?)", path_b
        )

    for i, (na, nb) in enumerate(zip(ga.node, gb.node)):
        what = f"node {i} ({nb.op_type} {nb.name})".replace(" )", ")")
        if na.op_type != nb.op_type or na.domain != nb.domain:
            raise ModelError(
                f"cannot interpolate: node {i} is {na.op_type} in one model and {nb.op_type} "
                f"in the other (different architectures?)",
                path_b,
            )
        if list(na.input) != list(nb.input) or list(na.output) != list(nb.output):
            raise ModelError(f"cannot interpolate: {what} is wired differently", path_b)
        if len(na.attribute) != len(nb.attribute):
            raise ModelError(f"cannot interpolate: {what} has different attributes", path_b)
        attrs_a = sorted(na.attribute, key=lambda a: a.name)
        attrs_b = sorted(nb.attribute, key=lambda a: a.name)
        for aa, ab in zip(attrs_a, attrs_b):
            _blend_attribute(aa, ab, alpha, what, path_b)

    for tb in gb.initializer:
        out = _blend_tensor(inits_a[tb.name], tb, alpha, f"weight {tb.name}", path_b)
        if out is not None:
            tb.CopyFrom(out)

    mb.doc_string = f"interpolated: {1 - alpha:.3f} x {path_a.name} + {alpha:.3f} x {path_b.name}"
    return mb.SerializeToString()
