"""The main window's models: the registry, which model each pane shows, Photo / Clean source, Realism.

A mixin of MainWindow (gui/main_window.py), kept apart to keep each module short.
"""

from __future__ import annotations

from .model_roles import kind_tooltip


class ModelsMixin:
    # -- models and realism ------------------------------------------------------
    @property
    def registry(self):
        if self._registry is None:
            from ..core.registry import default_registry

            self._registry = default_registry()
        return self._registry

    def _descriptor(self, name: str):
        try:
            return self.registry.get(name)
        except Exception:  # noqa: BLE001 - a missing or broken model shows in its pane
            return None

    def refresh_models(self) -> None:
        """(Re)read the registry and give each pane its model, or 'not installed'."""
        self.registry.refresh()
        models = self.registry.list()
        self.compare.set_model_choices([(d.name, d.title) for d in models])
        self.realism.update_availability()
        self._apply_all_slot_models()

    def _installed(self) -> list[str]:
        return self.registry.names()

    def _pair_descriptors(self) -> tuple:
        faithful, realistic = self.roles.pair(self._installed())
        return self._descriptor(faithful), self._descriptor(realistic)

    def _apply_all_slot_models(self) -> None:
        for i in range(len(self.compare.slots)):
            self._apply_slot_model(i)

    def _apply_slot_model(self, index: int) -> None:
        slot = self.compare.slots[index]
        name = self.roles.resolve(index, self._installed())
        self.compare.select_model(index, name)
        desc = self._descriptor(name)
        if desc is None:
            self.preview.set_slot_model(slot, None, "model not installed")
            return
        if self.roles.is_realistic(index) and self.realism.percent < 100 and self.actions.realism.isEnabled():
            self.realism.schedule()  # the blend replaces this model once built
            if slot.descriptor is not None and slot.descriptor.name.startswith(f"{name}@"):
                return
        if slot.descriptor != desc:
            self.preview.set_slot_model(slot, desc)

    def set_input_kind(self, kind: str, report=None) -> None:
        """Photo or Clean source: switch the panes that follow the input to that pair. ``report``: the
        measurement of a newly opened image (None: the user chose, the last measurement stays)."""
        if report is not None:
            self.kind_report = report
        box = self.actions.input_kind
        box.setCurrentIndex(max(0, box.findData(kind)))
        box.setEnabled(True)
        box.setToolTip(kind_tooltip(kind, self.kind_report))
        if kind == self.roles.kind:
            return
        self.roles.kind = kind
        self.realism.update_availability()
        self._apply_all_slot_models()

    def _on_model_chosen(self, index: int, name: str) -> None:
        self.roles.choose(index, name, self._installed())
        self._apply_slot_model(index)

    def _on_realism_ready(self, desc) -> None:
        for i, slot in enumerate(self.compare.slots):
            if self.roles.is_realistic(i) and slot.descriptor != desc:
                self.preview.set_slot_model(slot, desc)
