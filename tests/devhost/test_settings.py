"""local.settings.json: read into the environment, under variables already set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devhost.settings import LocalSettingsError, apply_local_settings, resolve_references


def _write(directory: Path, document: object) -> None:
    (directory / "local.settings.json").write_text(json.dumps(document), encoding="utf-8")


def test_values_are_copied_into_the_environment(tmp_path: Path) -> None:
    """Values become environment variables."""
    _write(tmp_path, {"IsEncrypted": False, "Values": {"A_SETTING": "from-file"}})
    environ: dict[str, str] = {}
    applied = apply_local_settings(tmp_path, environ)
    assert (environ, applied) == ({"A_SETTING": "from-file"}, ["A_SETTING"])


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    """A variable already set is not overridden."""
    _write(tmp_path, {"Values": {"A_SETTING": "from-file"}})
    environ = {"A_SETTING": "from-env"}
    assert apply_local_settings(tmp_path, environ) == []
    assert environ == {"A_SETTING": "from-env"}


def test_a_missing_file_changes_nothing(tmp_path: Path) -> None:
    """The file is optional."""
    environ: dict[str, str] = {}
    assert apply_local_settings(tmp_path, environ) == []


def test_a_non_string_value_is_refused_by_name(tmp_path: Path) -> None:
    """App settings are strings; the error names the offending key."""
    _write(tmp_path, {"Values": {"PORTISH": 7071}})
    with pytest.raises(LocalSettingsError, match=r"Values\.PORTISH must be a string"):
        apply_local_settings(tmp_path, {})


def test_an_encrypted_file_is_refused(tmp_path: Path) -> None:
    """Encrypted values cannot be used as they are."""
    _write(tmp_path, {"IsEncrypted": True, "Values": {}})
    with pytest.raises(LocalSettingsError, match="encrypted"):
        apply_local_settings(tmp_path, {})


def test_invalid_json_is_refused(tmp_path: Path) -> None:
    """A broken file fails loudly."""
    (tmp_path / "local.settings.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(LocalSettingsError, match="not valid JSON"):
        apply_local_settings(tmp_path, {})


def test_setting_references_are_resolved() -> None:
    """'%NAME%' takes the app setting's value, as the Functions host does."""
    resolved = resolve_references("%SCHEDULE%", {"SCHEDULE": "0 */5 * * * *"})
    assert resolved == "0 */5 * * * *"


def test_a_missing_setting_reference_names_the_setting() -> None:
    """An unset setting is an error that names it."""
    with pytest.raises(ValueError, match="'SCHEDULE'"):
        resolve_references("%SCHEDULE%", {})
