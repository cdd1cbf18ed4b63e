"""Which model each compare pane shows (no Qt).

The middle and right panes hold roles, not names: the *faithful* and the
*realistic* model of the pair that fits the input. The input kind (Photo or
Clean source, core/input_kind.py) picks the pair: restore_x4 / restore_gan_x4
for photos, srresnet_x4 / srgan_x4 for clean sources; where the restore
models are not installed the clean pair stands in. A pane the user set to
another model from its menu keeps that model whatever the input.
"""

from __future__ import annotations

from collections.abc import Collection

from ..core.input_kind import CLEAN, KIND_LABELS, KindReport, classify_file, classify_pixels, models_for_kind

FAITHFUL = "@faithful"
REALISTIC = "@realistic"
DEFAULT_PANES = ("bicubic_x4", FAITHFUL, REALISTIC)


class ModelRoles:
    def __init__(self, panes: tuple[str, ...] = DEFAULT_PANES):
        self.panes = list(panes)
        self.kind = CLEAN

    def pair(self, installed: Collection[str]) -> tuple[str, str]:
        """(faithful, realistic) model names for the current input kind."""
        return models_for_kind(self.kind, set(installed))

    def resolve(self, index: int, installed: Collection[str]) -> str:
        """The model name pane ``index`` shows."""
        faithful, realistic = self.pair(installed)
        return {FAITHFUL: faithful, REALISTIC: realistic}.get(self.panes[index], self.panes[index])

    def choose(self, index: int, name: str, installed: Collection[str]) -> None:
        """The user picked ``name`` for pane ``index``: a pair member keeps following the input."""
        faithful, realistic = self.pair(installed)
        self.panes[index] = {faithful: FAITHFUL, realistic: REALISTIC}.get(name, name)

    def is_realistic(self, index: int) -> bool:
        return self.panes[index] == REALISTIC


def input_report_of(path, image) -> KindReport:
    """The kind of an opened file or pasted image (core/input_kind.py's rule) and why, measured on the
    pixels already decoded."""
    if path is None:
        return classify_pixels(image.color)
    return classify_file(path, color=image.color)


AUTO_TEXT = "Auto"  # the Input control before any image was measured


def kind_tooltip(chosen: str | None, report: KindReport | None) -> str:
    """The Input control's tooltip: what each choice does, and why this image got its kind (``chosen``
    None: no image yet)."""
    text = (
        "Photo: restore models (blur, noise, JPEG). Clean source: SRResNet/SRGAN.\n"
        "Set from the file when it opens; change it if the guess is wrong."
    )
    if chosen is None:
        return f"{AUTO_TEXT}: measured from each image when it opens.\n{text}"
    if report is None:
        return text
    measured = f"This image: {KIND_LABELS[report.kind]}, because: {report.reason}."
    if chosen != report.kind:
        measured += f"\nYou chose {KIND_LABELS[chosen]}."
    return f"{text}\n\n{measured}"
