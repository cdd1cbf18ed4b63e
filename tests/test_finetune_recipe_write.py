"""write_recipe: atomic (a failed write leaves the old file and no temp file) and never over a file it did not write."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from srgan_studio.core.errors import StudioError
from srgan_studio.core.finetune.recipes import write_recipe
from srgan_studio.core.recipe_schema import ExperimentSection, Recipe, load_recipe

STAGE_COMMENT = "Fine-tuning stage 1/2 (psnr) written by SRGAN Studio.\nBase model: restore_x4; photos: /p."


def _recipe(name: str) -> Recipe:
    return Recipe(experiment=ExperimentSection(name=name))


def test_writes_a_loadable_recipe_marked_as_ours(tmp_path):
    probe = write_recipe(tmp_path / "recipe-src.toml", _recipe("probe"))
    assert probe.read_text(encoding="utf-8").splitlines()[0] == "# Recipe written by SRGAN Studio."
    assert load_recipe(probe).experiment.name == "probe"
    stage = write_recipe(tmp_path / "recipe-psnr.toml", _recipe("stage"), STAGE_COMMENT)
    lines = stage.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == [f"# {line}" for line in STAGE_COMMENT.splitlines()]  # its own header carries the mark
    assert load_recipe(stage).experiment.name == "stage"
    assert sorted(os.listdir(tmp_path)) == ["recipe-psnr.toml", "recipe-src.toml"]
    assert oct(stage.stat().st_mode & 0o777) == oct(0o666 & ~_umask())  # not mkstemp's private 0600


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_resumed_run_rewrites_its_own_recipe(tmp_path):
    path = tmp_path / "recipe-psnr.toml"
    write_recipe(path, _recipe("first"), STAGE_COMMENT)
    write_recipe(path, _recipe("second"), STAGE_COMMENT)
    assert load_recipe(path).experiment.name == "second"
    write_recipe(path, _recipe("third"))  # the mark is on the first line either way
    assert load_recipe(path).experiment.name == "third"
    assert os.listdir(tmp_path) == ["recipe-psnr.toml"]


@pytest.mark.parametrize(
    "content",
    [
        "# my own recipe, tuned by hand\n[train]\nsteps = 5\n",
        "[train]\nsteps = 5\n# written by SRGAN Studio, then edited\n",  # the mark is not on its first line
        "\n",
    ],
)
def test_refuses_a_file_it_did_not_write(tmp_path, content):
    path = tmp_path / "recipe-gan.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StudioError) as caught:
        write_recipe(path, _recipe("ours"), STAGE_COMMENT)
    assert str(caught.value) == f"{path}: exists and was not written by SRGAN Studio; refusing to overwrite it"
    assert path.read_text(encoding="utf-8") == content
    assert os.listdir(tmp_path) == ["recipe-gan.toml"]


def test_an_empty_file_is_replaced(tmp_path):
    # An older version wrote in place: a crash then left an empty recipe, and its run must still resume.
    path = tmp_path / "recipe-psnr.toml"
    path.write_bytes(b"")
    write_recipe(path, _recipe("ours"), STAGE_COMMENT)
    assert load_recipe(path).experiment.name == "ours"


def test_refuses_a_folder_in_its_place(tmp_path):
    (tmp_path / "recipe-psnr.toml").mkdir()
    with pytest.raises(StudioError, match="refusing to overwrite it$"):
        write_recipe(tmp_path / "recipe-psnr.toml", _recipe("ours"))


@pytest.mark.parametrize("failure", ["disk full", "interrupted"])
def test_a_failure_mid_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch, failure):
    path = write_recipe(tmp_path / "recipe-psnr.toml", _recipe("old"), STAGE_COMMENT)
    before = path.read_bytes()

    def half_then_fail(self: Path, data: bytes) -> int:
        with open(self, "wb") as fh:
            fh.write(data[: len(data) // 2])
        if failure == "disk full":
            raise OSError(errno.ENOSPC, "No space left on device")
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_bytes", half_then_fail)
    if failure == "disk full":
        with pytest.raises(StudioError) as caught:
            write_recipe(path, _recipe("new"), STAGE_COMMENT)
        assert str(caught.value) == f"{path}: cannot write the recipe (No space left on device)"
    else:
        with pytest.raises(KeyboardInterrupt):
            write_recipe(path, _recipe("new"), STAGE_COMMENT)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["recipe-psnr.toml"]
