"""Tiny random-weight SRResNet models exported to ONNX for tests (torch is allowed here, not in core).

The training helper owns the canonical exporter; this one only has to give the
engine a real network structure to run until the bundled weights land.
"""

from __future__ import annotations

from pathlib import Path

from srgan_studio.core.descriptor import ModelDescriptor


def export_onnx(model, onnx_path: Path) -> Path:
    """The app's ONNX layout (opset 17, dynamic H/W, input/output names) with the legacy exporter, as the app's own."""
    import warnings

    import torch

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            (torch.rand(1, 3, 16, 16),),
            str(onnx_path),
            dynamo=False,
            opset_version=17,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {2: "h", 3: "w"}, "output": {2: "H", 3: "W"}},
        )
    return onnx_path


def export_srresnet(
    folder: Path,
    name: str = "tiny_x4",
    *,
    scale: int = 4,
    channels: int = 16,
    blocks: int = 2,
    seed: int = 0,
    residual_std: float = 0.1,
    receptive_field: int = 0,
    save_state: bool = False,
) -> ModelDescriptor:
    """Export a random SRResNet (bicubic skip) to ``folder/name.onnx`` with its descriptor.

    The tail is rescaled so the network adds a residual of about ``residual_std``
    to bicubic: outputs then stay mostly inside [0, 1], like a trained model's,
    and comparisons are not hidden by clipping.
    """
    import torch

    from srgan_studio.training.archs import build_model

    torch.manual_seed(seed)
    model = build_model("srresnet", scale=scale, channels=channels, blocks=blocks, batch_norm=False, bicubic_skip=True)
    model.eval()
    torch.nn.init.normal_(model.tail.weight, std=0.01)
    with torch.no_grad():
        probe = torch.rand(1, 3, 24, 24, generator=torch.Generator().manual_seed(seed))
        residual = model.tail(model.upsample(model.head(probe) + model.body_tail(model.body(model.head(probe)))))
        model.tail.weight.mul_(residual_std / max(float(residual.std()), 1e-6))
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    onnx_path = export_onnx(model, folder / f"{name}.onnx")
    if save_state:  # the same weights for a PyTorch comparison (benchmarks)
        torch.save(model.state_dict(), folder / f"{name}.pt")
    desc = ModelDescriptor(
        name=name,
        title=f"Test SRResNet x{scale}",
        kind="onnx",
        architecture="srresnet",
        scale=scale,
        receptive_field=receptive_field,
        file=onnx_path.name,
        provenance={
            "source": "tests/model_fixtures.py",
            "random_weights": True,
            "channels": channels,
            "blocks": blocks,
        },
    )
    desc.save(folder / f"{name}.json")
    return ModelDescriptor.load(folder / f"{name}.json")
