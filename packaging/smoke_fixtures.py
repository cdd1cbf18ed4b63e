"""Inputs and checks for build.sh's smoke test, run with the build environment's Python (not the frozen app).

    python smoke_fixtures.py image PATH                  a 48x40 RGB test photo (gradients + noise)
    python smoke_fixtures.py tiny-model MODELS_DIR       a x4 nearest-neighbour ONNX model + descriptor
    python smoke_fixtures.py check OUT W H [--differs OTHER] [--nearest-of INPUT]

The tiny model stands in for the bundled one until real weights are in
resources/models: it makes the frozen app load and run ONNX Runtime, and its
output is exactly predictable. ``check`` exits 1 with one line on failure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

TINY_NAME = "smoke_nearest_x4"


def make_image(path: Path) -> None:
    h, w = 40, 48
    yy, xx = np.mgrid[0:h, 0:w]
    rng = np.random.default_rng(8)
    rgb = np.stack([xx * 255 / (w - 1), yy * 255 / (h - 1), (xx + yy) % 17 * 15], axis=-1)
    rgb = np.clip(rgb + rng.normal(0, 12, rgb.shape), 0, 255).astype(np.uint8)
    Image.fromarray(rgb, "RGB").save(path)


def make_tiny_model(models_dir: Path) -> str:
    """Conv 3->48 copying each channel 16 times, then DepthToSpace(4, CRD): nearest-neighbour x4."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    scale, ch = 4, 3
    weight = np.zeros((ch * scale * scale, ch, 1, 1), np.float32)
    for c in range(ch):
        weight[c * scale * scale : (c + 1) * scale * scale, c, 0, 0] = 1.0
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["input", "w"], ["feat"], kernel_shape=[1, 1]),
            helper.make_node("DepthToSpace", ["feat"], ["output"], blocksize=scale, mode="CRD"),
        ],
        "smoke_nearest_x4",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, ch, "h", "w"])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, ch, "H", "W"])],
        [numpy_helper.from_array(weight, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # readable by every ONNX Runtime the app supports
    onnx.checker.check_model(model)
    models_dir.mkdir(parents=True, exist_ok=True)
    onnx.save(model, models_dir / f"{TINY_NAME}.onnx")
    descriptor = {
        "name": TINY_NAME,
        "title": "Smoke test nearest x4",
        "kind": "onnx",
        "architecture": "nearest",
        "scale": scale,
        "receptive_field": 0,
        "file": f"{TINY_NAME}.onnx",
        "provenance": {"source": "packaging/smoke_fixtures.py"},
    }
    (models_dir / f"{TINY_NAME}.json").write_text(json.dumps(descriptor, indent=2) + "\n", encoding="utf-8")
    return TINY_NAME


def check(out: Path, width: int, height: int, differs: Path | None, nearest_of: Path | None) -> str | None:
    if not out.is_file():
        return f"{out}: no output written"
    with Image.open(out) as im:
        if im.size != (width, height):
            return f"{out}: size {im.size}, expected {(width, height)}"
        got = np.asarray(im.convert("RGB"), np.int16)
    if got.std() < 1.0:
        return f"{out}: flat image (std {got.std():.2f})"
    if differs is not None:
        with Image.open(differs) as other:
            ref = np.asarray(other.convert("RGB"), np.int16)
        if np.abs(got - ref).max() == 0:
            return f"{out}: identical to {differs}; the model did not run"
    if nearest_of is not None:
        with Image.open(nearest_of) as src:
            ref = np.asarray(src.convert("RGB").resize((width, height), Image.Resampling.NEAREST), np.int16)
        err = int(np.abs(got - ref).max())
        if err > 1:
            return f"{out}: differs from nearest-neighbour x4 of {nearest_of} by up to {err}/255"
    return None


def main(argv: list[str]) -> int:
    if argv[:1] == ["image"] and len(argv) == 2:
        make_image(Path(argv[1]))
    elif argv[:1] == ["tiny-model"] and len(argv) == 2:
        print(make_tiny_model(Path(argv[1])))
    elif argv[:1] == ["check"] and len(argv) >= 4:
        opts = dict(zip(argv[4::2], argv[5::2]))
        problem = check(
            Path(argv[1]),
            int(argv[2]),
            int(argv[3]),
            Path(opts["--differs"]) if "--differs" in opts else None,
            Path(opts["--nearest-of"]) if "--nearest-of" in opts else None,
        )
        if problem:
            print(f"smoke: {problem}", file=sys.stderr)
            return 1
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
