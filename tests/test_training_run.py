"""Trainer runs end to end: bit-for-bit resume (PSNR and GAN stages), bad recipes and bad data folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")

from srgan_studio.cli import main  # noqa: E402
from srgan_studio.training.checkpoint import CheckpointError, list_checkpoints  # noqa: E402
from srgan_studio.training.data import PatchDataset  # noqa: E402
from srgan_studio.training.recipe import RecipeError, load_recipe, recipe_from_dict  # noqa: E402
from srgan_studio.training.trainer import Trainer  # noqa: E402

TINY_MODEL = {"type": "srresnet", "scale": 4, "blocks": 1, "channels": 8, "batch_norm": False, "bicubic_skip": True}


def _photos(folder: Path, n: int = 3, size: int = 48) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[:size, :size]
    for i in range(n):
        base = (np.sin(xx / (3 + i)) + np.cos(yy / (4 + i)))[..., None] * 60 + 128
        img = np.clip(base + rng.normal(0, 12, (size, size, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(folder / f"p{i}.png")
    return folder


def _recipe(train_dir: Path, stage: str = "psnr", steps: int = 4, gan: dict | None = None, **train):
    data = {
        "experiment": {"name": "t", "seed": 3},
        "model": dict(TINY_MODEL),
        "data": {"train": str(train_dir), "patch_size": 32, "batch_size": 2},
        "train": {
            "stage": stage,
            "steps": steps,
            "lr": 1e-3,
            "schedule": "cosine",
            "log_every": 1,
            "checkpoint_minutes": 60,
            "ema": 0.9,
            "threads": 1,
            **train,
        },
        "gan": {
            "discriminator_options": {"base_channels": 4, "dense": 8},
            "pixel_weight": 0.1,
            "lowpass_weight": 1.0,
            **(gan or {}),
        },
    }
    return recipe_from_dict(data)


def _all_state(trainer: Trainer) -> dict[str, torch.Tensor]:
    out = {f"{n}/{k}": v.clone() for n, m in trainer.modules().items() for k, v in m.state_dict().items()}
    for n, opt in trainer.optimizers().items():
        for idx, st in opt.state_dict()["state"].items():
            out.update({f"opt_{n}/{idx}/{k}": v.clone() for k, v in st.items() if torch.is_tensor(v)})
    return out


@pytest.mark.parametrize("stage, gan", [("psnr", {}), ("gan", {}), ("gan", {"d_shift": 4})])
def test_resume_is_bit_for_bit(tmp_path, stage, gan):
    photos = _photos(tmp_path / "photos")
    dataset = PatchDataset(photos, 32, 4)
    straight = Trainer(_recipe(photos, stage, gan=gan), tmp_path / "a", progress_file=False)
    straight.train(dataset, val_sets={})

    first = Trainer(_recipe(photos, stage, gan=gan), tmp_path / "b", progress_file=False)

    def stop_at_two(record):
        if record.get("event") == "step" and record["step"] == 2:
            first.stop_requested = True

    first.emit = stop_at_two
    assert first.train(dataset, val_sets={})["status"] == "stopped"
    assert first.step == 2
    second = Trainer(_recipe(photos, stage, gan=gan), tmp_path / "b", progress_file=False)
    assert second.resume() and second.step == 2
    second.train(dataset, val_sets={})
    assert second.step == straight.step == 4

    a, b = _all_state(straight), _all_state(second)
    assert a.keys() == b.keys()
    if stage == "gan":
        assert any(k.startswith("d/") for k in a) and any(k.startswith("opt_d/") for k in a)
    for k in a:
        assert torch.equal(a[k], b[k]), k
    # The run actually trained (not a trivially equal pair of untouched models).
    fresh = Trainer(_recipe(photos, stage), tmp_path / "c", progress_file=False)
    assert not torch.equal(fresh.generator.head[0].weight, straight.generator.head[0].weight)


def test_corrupt_checkpoint_is_a_clear_error_and_never_overwritten(tmp_path):
    photos = _photos(tmp_path / "photos")
    t = Trainer(_recipe(photos, steps=2), tmp_path / "run", progress_file=False)
    t.train(PatchDataset(photos, 32, 4), val_sets={})
    (ckpt,) = list_checkpoints(tmp_path / "run" / "checkpoints")
    tensors = ckpt.with_suffix(".safetensors")
    tensors.write_bytes(tensors.read_bytes()[:-10] + b"0123456789")
    before = tensors.read_bytes()
    with pytest.raises(CheckpointError, match="corrupt checkpoint"):
        Trainer(_recipe(photos, steps=2), tmp_path / "run", progress_file=False).resume()
    assert tensors.read_bytes() == before


def test_gan_stage_trains_the_generator_and_discriminator(tmp_path):
    photos = _photos(tmp_path / "photos")
    t = Trainer(_recipe(photos, "gan", steps=3), tmp_path / "run", progress_file=False)
    d_before = {k: v.clone() for k, v in t.gan.d.state_dict().items()}
    records = []
    t.emit = records.append
    t.train(PatchDataset(photos, 32, 4), val_sets={})
    losses = [r["losses"] for r in records if r.get("event") == "step"]
    assert {"adv", "pixel", "lowpass", "content", "d", "p_real", "p_fake"} <= set(losses[-1])
    assert any(not torch.equal(d_before[k], v) for k, v in t.gan.d.state_dict().items())


def test_d_shift_shows_d_the_same_shifted_crop_of_sr_and_hr(tmp_path):
    photos = _photos(tmp_path / "photos")
    t = Trainer(_recipe(photos, "gan", steps=1, gan={"d_shift": 4}), tmp_path / "run", progress_file=False)
    stage = t.gan
    assert stage.d.patch_size == 28
    offsets = [o for step in range(1, 9) for o in stage._offsets(step, 16)]
    assert {y for y, _ in offsets} == {x for _, x in offsets} == {0, 1, 2, 3}
    assert stage._offsets(5, 16) == stage._offsets(5, 16) != stage._offsets(6, 16)
    img = torch.arange(2 * 3 * 32 * 32, dtype=torch.float32).reshape(2, 3, 32, 32)
    crops = stage._crop(img, [(1, 3), (2, 0)])
    assert crops.shape == (2, 3, 28, 28)
    assert torch.equal(crops[0], img[0, :, 1:29, 3:31]) and torch.equal(crops[1], img[1, :, 2:30, 0:28])
    seen = []
    forward = stage.d.forward
    stage.d.forward = lambda x, features=False: (seen.append(x.shape[-1]), forward(x, features=features))[1]
    t.train(PatchDataset(photos, 32, 4), val_sets={})
    assert seen and set(seen) == {28}


# --- bad recipes ----------------------------------------------------------------

GOOD = """
[model]
type = "srresnet"
scale = 4
[data]
train = "photos"
[train]
steps = 2
"""


@pytest.mark.parametrize(
    "extra, match",
    [
        ("[train]\nsteps = 2\nbogus = 1\n", "train.bogus is not a known key"),
        ('[train]\nsteps = "many"\n', "train.steps must be an integer"),
        ('[train]\nsteps = 2\npixel_loss = "l3"\n', "train.pixel_loss must be one of"),
        ('[gan]\nadversarial = "wgan"\n', "gan.adversarial must be one of"),
        ("[gan]\nlowpass_weight = true\n", "gan.lowpass_weight must be a number"),
        ("[nonsense]\nx = 1\n", r"unknown section \[nonsense\]"),
        ("[train]\nsteps = 0\n", "train.steps must be positive"),
        ("[gan]\nd_shift = 40\n", "gan.d_shift must be in"),
    ],
)
def test_bad_recipes_name_the_file_and_key(tmp_path, extra, match):
    path = tmp_path / "r.toml"
    text = GOOD.replace("[train]\nsteps = 2\n", "") + extra
    path.write_text(text)
    with pytest.raises(RecipeError, match=match) as info:
        load_recipe(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_not_toml_recipe(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text("[model\n")
    with pytest.raises(RecipeError, match="not a valid TOML recipe"):
        load_recipe(path)


def test_bad_model_option_through_the_cli(tmp_path, capsys):
    _photos(tmp_path / "photos")
    path = tmp_path / "r.toml"
    path.write_text(GOOD.replace("scale = 4", "scale = 4\nwings = 2"))
    code = main(
        ["train", str(path), "--data", str(tmp_path / "photos"), "--out", str(tmp_path / "run"), "--progress", "none"]
    )
    err = capsys.readouterr().err.strip()
    assert code == 1 and "wings" in err and len(err.splitlines()) == 1


# --- bad data folders ---------------------------------------------------------------


def _train_cli(tmp_path, data: Path, capsys) -> tuple[int, str]:
    path = tmp_path / "r.toml"
    path.write_text(
        GOOD.replace(
            "scale = 4", "\n".join(f"{k} = {str(v).lower()}" for k, v in TINY_MODEL.items() if k != "type")
        ).replace("[data]", "[data]\npatch_size = 32")
    )
    code = main(["train", str(path), "--data", str(data), "--out", str(tmp_path / "run"), "--progress", "none"])
    return code, capsys.readouterr().err.strip()


def test_missing_data_folder(tmp_path, capsys):
    code, err = _train_cli(tmp_path, tmp_path / "nowhere", capsys)
    assert code == 1 and "nowhere" in err and "does not exist" in err and len(err.splitlines()) == 1


def test_empty_data_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, err = _train_cli(tmp_path, tmp_path / "empty", capsys)
    assert code == 1 and "empty" in err and "0 usable images" in err


def test_all_corrupt_data_folder(tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.jpg").write_bytes(b"\xff\xd8\xff garbage")
    (bad / "b.png").write_bytes(b"not a png")
    code, err = _train_cli(tmp_path, bad, capsys)
    assert code == 1 and "0 usable images" in err.splitlines()[-1]


def test_corrupt_files_are_skipped_and_logged_once(tmp_path):
    photos = _photos(tmp_path / "photos", n=2)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    ds = PatchDataset(photos, 32, 4)
    assert len(ds) == 2
    assert [p.name for p, _ in ds.skipped] == ["broken.jpg"]


def test_gan_stage_with_vgg_content_from_a_weights_file(tmp_path):
    from srgan_studio.training.losses import vgg19_features

    photos = _photos(tmp_path / "photos")
    torch.manual_seed(0)
    feats = vgg19_features(8)
    for m in feats:
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    state = {f"features.{k}": v for k, v in feats.state_dict().items()}
    torch.save(state, tmp_path / "vgg.pth")
    recipe = _recipe(photos, "gan", steps=1)
    recipe.gan.content_loss = "vgg22"
    recipe.gan.vgg_weights = str(tmp_path / "vgg.pth")
    records = []
    t = Trainer(recipe, tmp_path / "run", progress_file=False, emit=records.append)
    t.train(PatchDataset(photos, 32, 4), val_sets={})
    (last,) = [r for r in records if r.get("event") == "step"]
    assert last["losses"]["content"] > 0


def test_missing_vgg_weights_stop_the_run_with_one_line(tmp_path, capsys):
    _photos(tmp_path / "photos")
    path = tmp_path / "r.toml"
    model = "\n".join(f"{k} = {str(v).lower()}" for k, v in TINY_MODEL.items() if k != "type")
    path.write_text(
        GOOD.replace("scale = 4", model)
        .replace("[data]", "[data]\npatch_size = 32")
        .replace("steps = 2", 'steps = 2\nstage = "gan"')
        + f'[gan]\ncontent_loss = "vgg54"\nvgg_weights = "{tmp_path / "vgg19.pth"}"\n'
    )
    code = main(
        ["train", str(path), "--data", str(tmp_path / "photos"), "--out", str(tmp_path / "run"), "--progress", "none"]
    )
    err = capsys.readouterr().err.strip()
    assert code == 1 and "vgg19.pth" in err and "does not exist" in err and len(err.splitlines()) == 1
