"""Shared test setup: Qt offscreen, and config/data dirs pointed at tmp dirs so
tests never touch the user's real settings or models."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    base = tmp_path_factory.mktemp("studio-home")
    monkeypatch.setenv("SRGAN_STUDIO_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("SRGAN_STUDIO_DATA_DIR", str(base / "data"))
    yield


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A 2-block, 16-channel random SRResNet x4 in ONNX, exported once per session."""
    from model_fixtures import export_srresnet

    return export_srresnet(tmp_path_factory.mktemp("models"), "tiny_x4")


@pytest.fixture(scope="session")
def deep_model(tmp_path_factory):
    """A full-depth SRResNet x4 (16 blocks, 64 channels): the receptive field that makes seams."""
    from model_fixtures import export_srresnet

    return export_srresnet(tmp_path_factory.mktemp("deep"), "deep_x4", channels=64, blocks=16, seed=1)
