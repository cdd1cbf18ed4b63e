"""Save of a phone photo at x4: over the pixel limit, said in the dialog and refused before any tile.

A 12 MP photo at the model's x4 is 16000x12000 = 192 MP, over the default 180 MP: the dialog offered it
and the save rendered for minutes; a --scale save also ignored Settings › Largest input (it used 180 MP).
"""

from __future__ import annotations

import numpy as np
import pytest
from gui_fixtures import registry, studio_models  # noqa: F401

from srgan_studio.core.cancel import NEVER
from srgan_studio.core.errors import StudioError
from srgan_studio.core.imageio import Image, ImageMeta
from srgan_studio.core.progress import drive
from srgan_studio.core.settings import Settings
from srgan_studio.core.sizing import SizeSpec
from srgan_studio.gui.save_dialog import SaveDialog
from srgan_studio.gui.save_job import SaveOptions, save_job


class CountingUpscaler:
    """An x4 'model' that counts its runs, so a refusal can be shown to come before any work."""

    scale = 4

    def __init__(self):
        self.runs = 0

    def plan(self, height, width):
        return [None]

    def run(self, image, cancel=NEVER):
        self.runs += 1
        yield from ()
        return Image(np.repeat(np.repeat(image.color, 4, axis=0), 4, axis=1), None, ImageMeta())


def _image(w=10, h=6):
    return Image(np.full((h, w, 3), 90, np.uint8), None, ImageMeta(format="PNG"))


def test_dialog_says_the_x4_of_a_phone_photo_is_over_the_limit_and_greys_out_save(qtbot, tmp_path, registry):
    dialog = SaveDialog(
        None, Settings(), [registry.get("srresnet_x4")], tmp_path / "phone.jpg", input_size=(4000, 3000)
    )
    qtbot.addWidget(dialog)
    text = dialog.output.text()
    assert "16000 × 12000 px (192.0 MP) is over" in text and "180 MP limit" in text and "Largest input" in text
    assert not dialog.save_button.isEnabled() and dialog.output.wordWrap()  # the long text is not cut off
    dialog.size.set_mode("scale")
    dialog.size.factor.setValue(2)
    assert dialog.output.text().startswith("8000 × 6000 px (48.0 MP)")
    assert dialog.save_button.isEnabled()
    assert dialog.options().max_pixels == 180_000_000


def test_dialog_follows_a_raised_limit(qtbot, tmp_path, registry):
    settings = Settings(max_megapixels=200)
    dialog = SaveDialog(None, settings, [registry.get("srresnet_x4")], tmp_path / "phone.jpg", input_size=(4000, 3000))
    qtbot.addWidget(dialog)
    assert dialog.output.text().startswith("16000 × 12000 px") and dialog.save_button.isEnabled()
    assert dialog.options().max_pixels == 200_000_000


@pytest.mark.parametrize("size", [SizeSpec(), SizeSpec(scale=3)])
def test_save_over_the_limit_is_refused_before_any_tile(tmp_path, size):
    up = CountingUpscaler()
    out = tmp_path / "out.png"
    options = SaveOptions(out, "png", size=size, max_pixels=1000)  # 10x6 at x3 = 540 px fits, x4 = 960 fits
    drive(save_job(up, _image(), options, NEVER))
    assert out.exists()
    tight = SaveOptions(tmp_path / "tight.png", "png", size=size, max_pixels=500)
    with pytest.raises(StudioError, match=r"tight\.png: .* over the 0\.0005 MP limit .*Largest input"):
        drive(save_job(up, _image(), tight, NEVER))
    assert up.runs == 1 and not (tmp_path / "tight.png").exists()


def test_a_sized_save_uses_the_limit_in_the_settings(tmp_path):
    # 10x6 at x2 = 240 px: refused under a 200 px limit, which the sized path ignored (it used 180 MP).
    with pytest.raises(StudioError, match="limit"):
        drive(
            save_job(
                CountingUpscaler(),
                _image(),
                SaveOptions(tmp_path / "a.png", size=SizeSpec(scale=2), max_pixels=200),
                NEVER,
            )
        )
