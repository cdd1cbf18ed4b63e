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
