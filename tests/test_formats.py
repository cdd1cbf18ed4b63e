"""core/formats.py: one table of formats, one rule for output names, used everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from srgan_studio.core import formats, imageio
from srgan_studio.core.batch_plan import BatchJob, plan_batch
from srgan_studio.core.errors import StudioError
from srgan_studio.core.settings import Settings, validate
from srgan_studio.core.upscale import default_output_path


@pytest.mark.parametrize("name", ["jpeg", "JPEG", "jpg", ".JPG", " Jpeg "])
def test_every_spelling_of_a_format_normalizes_to_one_key(name):
    assert formats.normalize(name) == "jpeg"


def test_unknown_and_read_only_formats_are_one_line_errors():
    with pytest.raises(StudioError, match="unknown image format 'gif'; choose one of png, jpeg, webp, tiff"):
        formats.normalize("gif")
    with pytest.raises(StudioError, match="cannot write BMP"):
        formats.writable("bmp")


@pytest.mark.parametrize(
    "source, tag, fmt, name",
    [
        ("photo.jpg", "x4", None, "photo_x4.jpg"),
        ("photo.JPEG", "x4", None, "photo_x4.JPEG"),  # the input's own extension is kept
        ("scan.bmp", "x2", None, "scan_x2.png"),  # BMP cannot be written
        ("p.png", "srgan_x4", "jpg", "p_srgan_x4.jpg"),
        ("p.tiff", "x4", "tif", "p_x4.tiff"),
        ("noext", "x4", None, "noext_x4.png"),
    ],
)
def test_output_names_follow_one_rule(source, tag, fmt, name):
    assert formats.output_name(source, tag, formats.output_format(formats.from_suffix(source), fmt)) == name


def test_the_cli_the_batch_and_imageio_agree_on_formats(tmp_path):
    """The engine and the batch planner name and pick formats the same way (they used to disagree)."""
    src = tmp_path / "in" / "a.tif"
    src.parent.mkdir()
    from PIL import Image

    Image.new("RGB", (8, 8)).save(src)
    plan = plan_batch(BatchJob(src.parent, tmp_path / "out", ["bicubic_x4"], format="JPG"))
    item = plan.items[0]
    assert item.format == "jpeg" and item.outputs["bicubic_x4"].name == "a_bicubic_x4.jpg"
    assert default_output_path(src, "bicubic_x4", "JPG").name == item.outputs["bicubic_x4"].name
    assert imageio.format_from_suffix(item.outputs["bicubic_x4"]) == formats.FORMATS[item.format].pil


def test_settings_and_imageio_take_their_formats_from_the_table():
    for key in formats.WRITABLE:
        validate(Settings(output_format=key))
    with pytest.raises(StudioError):
        validate(Settings(output_format="bmp"))
    assert set(imageio.SUPPORTED_WRITE) == {formats.FORMATS[k].pil for k in formats.WRITABLE}
    assert set(imageio.SUPPORTED_READ) == {f.pil for f in formats.FORMATS.values()}


def test_every_suffix_belongs_to_one_format_and_new_files_get_the_first():
    seen = [s for f in formats.FORMATS.values() for s in f.suffixes]
    assert len(seen) == len(set(seen)) and all(s == s.lower() and s.startswith(".") for s in seen)
    assert formats.output_name(Path("a.png"), "x4", "jpeg") == "a_x4.jpg"
    assert formats.output_name(Path("a.png"), "x4", "tiff") == "a_x4.tif"


def test_the_file_dialog_offers_every_readable_suffix():
    text = formats.file_dialog_filter()
    assert all(f"*{s}" in text for s in formats.SUFFIX_FORMAT)
