"""Each loss decreases on an overfit batch; VGG weights come from a local file or fail clearly."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from srgan_studio.training import losses as L  # noqa: E402
from srgan_studio.training.archs.discriminator_arch import SRGANDiscriminator  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread():
    # Tiny tensors: threading only adds overhead (and stalls on a busy machine).
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _overfit(loss_fn, steps: int = 30, lr: float = 0.05, size: int = 32) -> tuple[float, float]:
    """Optimise an SR image towards a fixed HR batch; return (first, last) loss."""
    g = torch.Generator().manual_seed(0)
    hr = torch.rand(2, 3, size, size, generator=g)
    sr = torch.rand(2, 3, size, size, generator=g).requires_grad_(True)
    opt = torch.optim.Adam([sr], lr=lr)
    values = []
    for _ in range(steps):
        loss = loss_fn(sr, hr)
        opt.zero_grad()
        loss.backward()
        opt.step()
        values.append(float(loss.detach()))
    return values[0], values[-1]


@pytest.mark.parametrize("kind", ["l1", "mse", "charbonnier"])
def test_pixel_losses_decrease(kind):
    first, last = _overfit(lambda sr, hr: L.pixel_loss(kind, sr, hr))
    assert last < 0.5 * first


def test_lowpass_loss_decreases_and_ignores_texture():
    first, last = _overfit(lambda sr, hr: L.lowpass_loss(sr, hr, 4))
    assert last < 0.5 * first
    hr = torch.zeros(1, 3, 8, 8)
    checker = torch.zeros(1, 3, 8, 8)
    checker[..., ::2, ::2] = 0.5
    checker[..., 1::2, 1::2] = -0.5  # zero mean in every 4x4 cell: texture only
    assert float(L.lowpass_loss(checker, hr, 4)) == 0.0
    assert float(L.pixel_loss("l1", checker, hr)) > 0


def _vgg_state(seed: int = 0) -> dict:
    """Random weights in torchvision's vgg19 layout (features.N.*), plus a classifier key to ignore."""
    torch.manual_seed(seed)
    feats = L.vgg19_features(35)
    for m in feats:
        if isinstance(m, torch.nn.Conv2d):  # He init keeps activations alive 16 layers deep
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    state = {f"features.{k}": v.clone() for k, v in feats.state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(4, 4)
    return state


@pytest.mark.parametrize("layer", ["vgg22", "vgg54"])
@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_vgg_loss_from_file_decreases(tmp_path, layer, suffix):
    path = tmp_path / f"vgg19{suffix}"
    state = _vgg_state()
    if suffix == ".pth":
        torch.save(state, path)
    else:
        from safetensors.torch import save_file

        save_file(state, str(path))
    loss = L.VGGLoss(layer, path)
    key = "0.weight"
    assert torch.equal(loss.features.state_dict()[key], state[f"features.{key}"])
    assert not any(p.requires_grad for p in loss.parameters())
    first, last = _overfit(loss, steps=6, lr=0.05, size=16)
    assert last < 0.7 * first


def test_vgg_features_match_torchvision_indices():
    feats = L.vgg19_features(L.VGG_LAYERS["vgg54"])
    assert isinstance(feats[L.VGG_LAYERS["vgg22"]], torch.nn.ReLU)
    assert isinstance(feats[-1], torch.nn.ReLU) and len(feats) == 36
    convs = [m for m in feats if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 16 and convs[-1].out_channels == 512


def test_vgg_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(L.LossError, match="does not exist"):
        L.VGGLoss("vgg54", tmp_path / "nope.pth")


def test_vgg_wrong_shapes_are_a_clear_error(tmp_path):
    state = _vgg_state()
    state["features.2.weight"] = torch.zeros(64, 64, 1, 1)
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(L.LossError, match="features.2.weight|2.weight"):
        L.VGGLoss("vgg22", tmp_path / "bad.pth")


def test_vgg_not_a_state_dict(tmp_path):
    (tmp_path / "junk.pth").write_bytes(b"not a pickle")
    with pytest.raises(L.LossError, match="cannot read"):
        L.VGGLoss("vgg22", tmp_path / "junk.pth")


def test_vgg_without_weights_never_falls_back_to_random(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_torchvision(name, *args, **kwargs):
        if name.startswith("torchvision"):
            raise ImportError("no torchvision")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torchvision)
    with pytest.raises(L.LossError, match="VGG19 weights are needed"):
        L.VGGLoss("vgg54", "")


def _tiny_d() -> SRGANDiscriminator:
    torch.manual_seed(0)
    return SRGANDiscriminator(patch_size=32, base_channels=4, dense=8)


def test_feature_matching_decreases():
    d = _tiny_d().requires_grad_(False)

    def fm(sr, hr):
        _, fs = d(sr, features=True)
        with torch.no_grad():
            _, fh = d(hr, features=True)
        return L.feature_match_loss(fs, fh)

    first, last = _overfit(fm, steps=30, lr=0.03)
    assert last < 0.7 * first


@pytest.mark.parametrize("kind", ["bce", "ragan"])
def test_discriminator_loss_decreases(kind):
    d = _tiny_d()
    opt = torch.optim.Adam(d.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(3)
    real = torch.rand(4, 3, 32, 32, generator=g)
    fake = torch.nn.functional.avg_pool2d(real, 3, 1, 1)  # blurrier, like an SR output
    values = []
    for _ in range(15):
        loss = L.d_loss(kind, d(real), d(fake))
        opt.zero_grad()
        loss.backward()
        opt.step()
        values.append(float(loss.detach()))
    assert values[-1] < 0.5 * values[0]


@pytest.mark.parametrize("kind", ["bce", "ragan"])
def test_generator_adversarial_loss_decreases(kind):
    d = _tiny_d().requires_grad_(False)
    with torch.no_grad():
        real = d(torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(5)))
    first, last = _overfit(lambda sr, hr: L.g_adv_loss(kind, real, d(sr)), steps=20, lr=0.02)
    assert last < 0.7 * first


def test_unknown_loss_names():
    x = torch.zeros(1, 1)
    for fn in (lambda: L.pixel_loss("l3", x, x), lambda: L.d_loss("wgan", x, x), lambda: L.g_adv_loss("wgan", x, x)):
        with pytest.raises(ValueError):
            fn()


def test_grid_loss_decreases_and_targets_periodic_patterns():
    first, last = _overfit(lambda sr, hr: L.grid_loss(sr, hr, 4), steps=20, lr=0.05)
    assert last < 0.5 * first
    g = torch.Generator().manual_seed(1)
    hr = torch.rand(2, 3, 32, 32, generator=g)
    grid = hr.clone()
    grid[..., ::4, ::4] += 0.05
    noise = hr + 0.05 * torch.randn(hr.shape, generator=g)
    assert float(L.grid_loss(grid, hr, 4)) > 3 * float(L.grid_loss(noise, hr, 4))
