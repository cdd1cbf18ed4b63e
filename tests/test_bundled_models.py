"""Shipped model files carry no path of the machine that built them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "resources" / "models"
DESCRIPTORS = sorted(MODELS.glob("*.json"))
# A POSIX absolute path, a Windows drive or UNC path, or a home folder.
MACHINE_PATH = re.compile(
    r"(^|[\s\"'(=])(/(home|work|root|tmp|usr|mnt|opt|data|Users|var)\b|[A-Za-z]:[\\/]|\\\\|~[/\\])"
)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _is_machine_path(text: str) -> bool:
    return text.startswith("/") or bool(MACHINE_PATH.search(text))


def test_there_are_bundled_descriptors():
    assert DESCRIPTORS, "no bundled descriptors found"


@pytest.mark.parametrize("path", DESCRIPTORS, ids=lambda p: p.name)
def test_bundled_descriptor_has_no_absolute_machine_path(path):
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    bad = [text for text in _strings(descriptor) if _is_machine_path(text)]
    assert not bad, f"{path.name} carries machine paths: {bad}"


@pytest.mark.parametrize("path", DESCRIPTORS, ids=lambda p: p.name)
def test_bundled_descriptor_names_its_data_and_base_portably(path):
    provenance = json.loads(path.read_text(encoding="utf-8")).get("provenance", {})
    for key in ("data", "base"):
        value = provenance.get(key, "")
        assert ".." not in Path(value).parts, f"{path.name}: {key} = {value!r} climbs out of the repository"


def test_model_card_has_no_absolute_machine_path():
    card = (MODELS / "MODEL_CARD.md").read_text(encoding="utf-8")
    bad = [line for line in card.splitlines() if MACHINE_PATH.search(line)]
    assert not bad, bad


def test_the_check_catches_the_paths_it_is_for():
    for text in ("/work/shared/datasets/train", "C:\\Users\\me\\train", "run from /home/me/x", "~/photos"):
        assert _is_machine_path(text), text
    for text in ("datasets/train", "runs/srresnet_x4/generator.safetensors", "L1 / MSE", "1/255"):
        assert not _is_machine_path(text), text


def test_export_writes_repository_relative_paths_or_the_datasets_name(tmp_path):
    export = pytest.importorskip("srgan_studio.training.export", reason="needs the train extra")
    repo = export.REPO_ROOT
    assert export.portable_path(repo / "runs" / "a" / "generator.safetensors") == ("runs/a/generator.safetensors")
    assert export.portable_path("/work/shared/datasets/train") == "datasets/train"
    assert export.portable_path(tmp_path / "photos" / "train") == "photos/train"
    assert export.portable_path(repo / ".." / "shared" / "datasets" / "train") == "datasets/train"
    assert export.portable_path("") == ""


def test_export_provenance_of_a_run_with_absolute_paths_is_portable(tmp_path):
    export = pytest.importorskip("srgan_studio.training.export", reason="needs the train extra")
    run = tmp_path / "run"
    run.mkdir()
    (run / "recipe.toml").write_text(
        f'[data]\ntrain = "{tmp_path}/datasets/train"\n[train]\nstage = "psnr"\n'
        f'init = "{export.REPO_ROOT}/runs/base/generator.safetensors"\n',
        encoding="utf-8",
    )
    prov = export.provenance(run / "generator.safetensors", {"options": {}}, {})
    assert prov["data"] == "datasets/train"
    assert prov["base"] == "runs/base/generator.safetensors"
    assert not any(_is_machine_path(text) for text in _strings(prov)), prov
