"""Every registered architecture: forward shape at every scale (looping over the registry)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from srgan_studio.training.archs import ARCHS, build_model  # noqa: E402
from srgan_studio.training.archs.discriminator_arch import SRGANDiscriminator  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread():
    # Tiny tensors: threading only adds overhead (and stalls on a busy machine).
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# Tiny options per architecture so the loop stays fast; a new architecture must add an entry.
TINY = {
    "srresnet": [{"blocks": 2, "channels": 8}, {"blocks": 1, "channels": 8, "batch_norm": False, "bicubic_skip": True}],
    "rrdbnet": [
        {"blocks": 1, "channels": 8, "growth": 4},
        {"blocks": 1, "channels": 8, "growth": 4, "bicubic_skip": True},
    ],
    "srgan_discriminator": [{"base_channels": 4, "dense": 8}],
}
# "spandrel" is built from an imported model's weights, not from options (tests/test_finetune_imported.py).
GENERATORS = [name for name in ARCHS if name not in ("srgan_discriminator", "spandrel")]


def test_every_architecture_has_tiny_options():
    assert set(TINY) == set(ARCHS) - {"spandrel"}


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_generator_output_shape(name, scale):
    torch.manual_seed(0)
    for options in TINY[name]:
        model = build_model(name, scale=scale, **options).eval()
        x = torch.rand(2, 3, 7, 9)
        with torch.no_grad():
            y = model(x)
        assert y.shape == (2, 3, 7 * scale, 9 * scale)
        assert torch.isfinite(y).all()


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_rejects_unsupported_scale(name):
    with pytest.raises(ValueError, match="scale"):
        build_model(name, scale=5, **TINY[name][0])


@pytest.mark.parametrize("name", GENERATORS)
def test_bicubic_skip_starts_at_bicubic(name):
    options = dict(TINY[name][1])
    model = build_model(name, scale=4, **options).eval()
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        ref = torch.nn.functional.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)
        assert torch.allclose(model(x), ref, atol=1e-6)


@pytest.mark.parametrize("patch", [32, 40, 96])
def test_discriminator_takes_the_training_patch_size(patch):
    d = SRGANDiscriminator(patch_size=patch, base_channels=4, dense=8)
    logits, feats = d(torch.rand(3, 3, patch, patch), features=True)
    assert logits.shape == (3, 1)
    assert len(feats) == 8
    # Four stride-2 blocks: the last feature map is ceil(p / 16) on a side.
    assert feats[-1].shape[-1] == -(-patch // 16)


def test_discriminator_paper_layout():
    d = SRGANDiscriminator()
    convs = [m for m in d.features.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 64, 128, 128, 256, 256, 512, 512]
    assert [c.stride[0] for c in convs] == [1, 2, 1, 2, 1, 2, 1, 2]
    dense = [m for m in d.classifier if isinstance(m, torch.nn.Linear)]
    assert [(lin.in_features, lin.out_features) for lin in dense] == [(512 * 6 * 6, 1024), (1024, 1)]


def test_discriminator_rejects_other_sizes():
    d = SRGANDiscriminator(patch_size=32, base_channels=4, dense=8)
    with pytest.raises(ValueError, match="32px"):
        d(torch.rand(1, 3, 48, 48))


def test_channels_last_gives_the_same_logits():
    torch.manual_seed(1)
    d = SRGANDiscriminator(patch_size=32, base_channels=4, dense=8).eval()
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        a = d(x)
        b = d.to(memory_format=torch.channels_last)(x.contiguous(memory_format=torch.channels_last))
    assert torch.allclose(a, b, atol=1e-5)
