"""Settings: typed defaults, atomic save, migrations, and a bad file never stops the app."""

from __future__ import annotations

import json
import warnings

import pytest

from srgan_studio.core.errors import SettingsError
from srgan_studio.core.settings import (
    SCHEMA_VERSION,
    Settings,
    SettingsWarning,
    config_dir,
    data_dir,
    load_settings,
    save_settings,
    settings_path,
)


def test_env_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("SRGAN_STUDIO_CONFIG_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("SRGAN_STUDIO_DATA_DIR", str(tmp_path / "d"))
    assert config_dir() == tmp_path / "c" and data_dir() == tmp_path / "d"
    assert settings_path() == tmp_path / "c" / "settings.json"


def test_defaults_when_no_file():
    s = load_settings()
    assert s == Settings() and s.schema_version == SCHEMA_VERSION
    assert (s.device, s.tile, s.output_format, s.alpha_mode, s.theme) == ("auto", 0, "", "model", "system")


def test_roundtrip_creates_the_folder():
    s = Settings(device="cpu", tile=192, theme="dark", recent_files=["/a.png"], max_megapixels=50.0)
    path = save_settings(s)
    assert path.is_file()
    assert load_settings() == s


def test_invalid_value_is_reset_with_a_warning(tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"schema_version": SCHEMA_VERSION, "tile": 5, "theme": "neon", "device": "cpu"}))
    with pytest.warns(SettingsWarning) as caught:
        s = load_settings(p)
    messages = [str(w.message) for w in caught]
    assert any("s.json" in m and "tile" in m for m in messages), messages
    assert any("s.json" in m and "theme='neon'" in m for m in messages), messages
    assert (s.tile, s.theme, s.device) == (0, "system", "cpu")


def test_unknown_key_is_dropped_with_a_warning(tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"schema_version": SCHEMA_VERSION, "colour": "red"}))
    with pytest.warns(SettingsWarning, match="colour"):
        assert load_settings(p) == Settings()


def test_corrupt_file_gives_defaults_and_is_kept(tmp_path):
    p = tmp_path / "s.json"
    p.write_text("{ half a file")
    with pytest.warns(SettingsWarning, match="unreadable"):
        assert load_settings(p) == Settings()
    assert (tmp_path / "s.json.broken").read_text() == "{ half a file"


def test_migrations_run_in_order(tmp_path, monkeypatch):
    import srgan_studio.core.settings as st

    def rename_format(data):
        data["output_format"] = {"jpg": "jpeg"}.get(data.pop("format"), "png")
        return data

    monkeypatch.setattr(st, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(st, "MIGRATIONS", {1: rename_format})
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"schema_version": 1, "format": "jpg", "tile": 256}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = load_settings(p)
    assert (s.output_format, s.tile) == ("jpeg", 256)
    save_settings(s, p)
    assert json.loads(p.read_text())["schema_version"] == 2


def test_newer_file_is_read_with_a_warning(tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"schema_version": SCHEMA_VERSION + 5, "theme": "dark"}))
    with pytest.warns(SettingsWarning, match="newer"):
        assert load_settings(p).theme == "dark"


def test_save_validates():
    with pytest.raises(SettingsError, match="alpha_mode"):
        save_settings(Settings(alpha_mode="magic"))
    assert not settings_path().exists()


def test_recent_files_most_recent_first():
    s = Settings()
    for name in ["a", "b", "a", "c"]:
        s.add_recent(name)
    assert s.recent_files == ["c", "a", "b"]
