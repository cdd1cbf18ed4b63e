"""Model names: the exact name, an alias (the name without _xN) or a unique prefix
resolves; anything else is one line with a guess, in every command and in the settings."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from srgan_studio.cli import main
from srgan_studio.core.errors import ModelError
from srgan_studio.core.registry import Registry, find_name, resolve_name
from srgan_studio.core.settings import load_settings, save_settings

NAMES = ["srgan_x4", "srresnet_x4", "srresnet_x2", "restore_x4", "bicubic_x4", "mine"]


@pytest.mark.parametrize(
    "typed, name",
    [
        ("srgan_x4", "srgan_x4"),  # exact
        ("srgan", "srgan_x4"),  # alias
        ("rest", "restore_x4"),  # unique prefix
        ("srresnet_x2", "srresnet_x2"),
        ("bic", "bicubic_x4"),
        ("mine", "mine"),
    ],
)
def test_exact_alias_and_unique_prefix_resolve(typed, name):
    assert resolve_name(typed, NAMES) == name


def test_the_exact_name_wins_over_a_longer_one_it_prefixes():
    assert resolve_name("srgan", ["srgan", "srgan_x4"]) == "srgan"


def test_an_alias_wins_over_a_prefix_of_other_names():
    assert resolve_name("srresnet", ["srresnet_x4", "srresnet_long_x4"]) == "srresnet_x4"


@pytest.mark.parametrize(
    "typed, guesses",
    [
        ("srresnet", ["srresnet_x4", "srresnet_x2"]),  # alias of two scales
        ("sr", ["srgan_x4", "srresnet_x4", "srresnet_x2"]),
    ],
)
def test_ambiguous_names_list_what_they_could_mean(typed, guesses):
    with pytest.raises(ModelError) as err:
        resolve_name(typed, NAMES)
    text = str(err.value)
    assert "ambiguous" in text and "did you mean" in text and "\n" not in text
    assert all(g in text for g in guesses)


@pytest.mark.parametrize("typed, guess", [("srgna_x4", "srgan_x4"), ("restor_x4", "restore_x4"), ("srgn", "srgan_x4")])
def test_a_misspelt_name_gets_a_guess(typed, guess):
    with pytest.raises(ModelError, match=f"unknown model '{typed}'; did you mean .*{guess}"):
        resolve_name(typed, NAMES)


def test_a_name_like_nothing_lists_the_known_models():
    with pytest.raises(ModelError, match="unknown model 'zzz'; known models: srgan_x4, "):
        resolve_name("zzz", NAMES)


def test_find_gives_none_where_resolve_is_an_error():
    assert find_name("srgan", NAMES) == "srgan_x4"
    assert find_name("sr", NAMES) is None and find_name("zzz", NAMES) is None and find_name("", NAMES) is None


def test_the_registry_gets_by_alias_and_prefix_and_keeps_exact_membership():
    registry = Registry()
    assert registry.get("bicubic").name == "bicubic_x4"
    assert registry.get("bic").name == "bicubic_x4"
    assert "bicubic" not in registry  # a new model may still take the short name


def _photo(path, size=(12, 8)):
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(path)
    return path


def test_upscale_takes_an_alias(tmp_path):
    src = _photo(tmp_path / "a.png")
    assert main(["upscale", str(src), "--model", "bicubic"]) == 0
    assert Image.open(tmp_path / "a_x4.png").size == (48, 32)


def test_upscale_with_an_unknown_name_is_one_line_with_a_guess(tmp_path, capsys):
    src = _photo(tmp_path / "a.png")
    assert main(["upscale", str(src), "--model", "bicubc"]) == 1
    err = capsys.readouterr().err
    assert "did you mean bicubic_x4?" in err and err.count("\n") == 1
    assert not (tmp_path / "a_x4.png").exists()


def test_batch_outputs_carry_the_models_name_not_the_alias(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _photo(folder / "a.png")
    assert main(["batch", str(folder), str(tmp_path / "out"), "-m", "bic", "-q"]) == 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a_bicubic_x4.png"]


def test_batch_with_a_name_and_its_alias_is_a_model_listed_twice(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    _photo(folder / "a.png")
    assert main(["batch", str(folder), str(tmp_path / "out"), "-m", "bicubic,bicubic_x4"]) == 1
    assert "listed twice" in capsys.readouterr().err


def test_the_settings_default_model_may_be_an_alias(tmp_path):
    save_settings(replace(load_settings(), default_model="bicubic"))
    src = _photo(tmp_path / "a.png")
    assert main(["upscale", str(src)]) == 0
    assert Image.open(tmp_path / "a_x4.png").size == (48, 32)
    from srgan_studio.cli.batch_cmd import _default_model

    assert _default_model() == "bicubic_x4"
