"""Registry: bundled + user + bicubic models, import checks, removal, clear errors."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from srgan_studio.core.errors import ModelError
from srgan_studio.core.registry import Registry, default_registry, user_models_dir
from srgan_studio.core.runtime import create_session
from srgan_studio.core.settings import data_dir


def _copy_model(desc, folder, name=None):
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(desc.model_path, folder / desc.file)
    text = desc.to_json()
    if name:
        text = text.replace(f'"name": "{desc.name}"', f'"name": "{name}"')
    (folder / f"{name or desc.name}.json").write_text(text)


def test_works_with_no_bundled_models(tmp_path):
    reg = Registry(bundled_dir=tmp_path / "none", user_dir=tmp_path / "user")
    assert [d.name for d in reg.list()] == ["bicubic_x4"]
    assert reg.default_name() == "bicubic_x4"
    assert reg.get("bicubic_x4").kind == "bicubic"


def test_default_registry_uses_the_data_dir(tmp_path):
    assert user_models_dir() == data_dir() / "models"
    assert default_registry().user_dir == user_models_dir()


def test_bundled_model_is_listed_and_preferred(tmp_path, tiny_model):
    _copy_model(tiny_model, tmp_path / "bundled", name="srresnet_x4")
    _copy_model(tiny_model, tmp_path / "bundled")
    reg = Registry(bundled_dir=tmp_path / "bundled", user_dir=tmp_path / "user")
    assert reg.default_name() == "srresnet_x4"
    assert reg.names()[-1] == "bicubic_x4"
    d = reg.get("tiny_x4")
    assert d.kind == "onnx" and not d.user and d.model_path.is_file()


def test_bicubic_for_every_scale(tmp_path, tiny_model):
    _copy_model(tiny_model, tmp_path / "b")
    js = tmp_path / "b" / "tiny_x4.json"
    js.write_text(js.read_text().replace('"scale": 4', '"scale": 2'))
    reg = Registry(bundled_dir=tmp_path / "b", user_dir=tmp_path / "u")
    assert {"bicubic_x2", "bicubic_x4"} <= set(reg.names())


def test_unknown_model_lists_known_names(tmp_path):
    reg = Registry(bundled_dir=tmp_path, user_dir=tmp_path / "u")
    with pytest.raises(ModelError, match="unknown model 'nope'.*bicubic_x4"):
        reg.get("nope")


def test_broken_descriptor_is_reported_not_fatal(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "bad.json").write_text("{ not json")
    reg = Registry(bundled_dir=tmp_path / "b", user_dir=tmp_path / "u")
    assert "bicubic_x4" in reg
    assert len(reg.problems) == 1 and "bad.json" in reg.problems[0]


def test_import_measures_and_copies(tmp_path, tiny_model):
    reg = Registry(bundled_dir=tmp_path / "b", user_dir=tmp_path / "u")
    d = reg.import_onnx(tiny_model.model_path, name="mine_x4", title="Mine")
    assert (d.scale, d.in_channels, d.out_channels, d.user, d.title) == (4, 3, 3, True, "Mine")
    assert d.model_path == tmp_path / "u" / "mine_x4.onnx" and d.model_path.is_file()
    assert 4 <= d.receptive_field <= 64
    assert len(d.provenance["sha256"]) == 64
    assert Registry(bundled_dir=tmp_path / "b", user_dir=tmp_path / "u").get("mine_x4").user
    with pytest.raises(ModelError, match="already exists"):
        reg.import_onnx(tiny_model.model_path, name="mine_x4")
    reg.remove("mine_x4")
    assert "mine_x4" not in reg and not d.model_path.exists()


def test_import_rejects_a_corrupt_file(tmp_path):
    bad = tmp_path / "junk.onnx"
    bad.write_bytes(np.random.default_rng(0).bytes(2000))
    reg = Registry(bundled_dir=tmp_path / "b", user_dir=tmp_path / "u")
    with pytest.raises(ModelError, match="junk.onnx.*not a valid ONNX model"):
        reg.import_onnx(bad)
    assert not (tmp_path / "u" / "junk.onnx").exists()
    with pytest.raises(ModelError, match="not found"):
        reg.import_onnx(tmp_path / "missing.onnx")


def test_bundled_and_bicubic_cannot_be_removed(tmp_path, tiny_model):
    _copy_model(tiny_model, tmp_path / "b")
    reg = Registry(bundled_dir=tmp_path / "b", user_dir=tmp_path / "u")
    for name in ("tiny_x4", "bicubic_x4"):
        with pytest.raises(ModelError, match="cannot be removed"):
            reg.remove(name)


def test_missing_or_corrupt_model_file_is_a_clear_error(tmp_path, tiny_model):
    with pytest.raises(ModelError, match="missing"):
        create_session(tmp_path / "gone.onnx")
    (tmp_path / "cut.onnx").write_bytes(tiny_model.model_path.read_bytes()[:500])
    with pytest.raises(ModelError, match="cut.onnx.*cannot load"):
        create_session(tmp_path / "cut.onnx", device="cpu")
