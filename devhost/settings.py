"""App settings for local runs: ``local.settings.json`` ``Values``, under the real environment.

As with Core Tools, a variable already in the environment wins over the file, so a developer
can override one setting without editing the file. The file is optional.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, MutableMapping
from pathlib import Path

LOCAL_SETTINGS_FILE = "local.settings.json"
_REFERENCE = re.compile(r"%([^%]+)%")


class LocalSettingsError(ValueError):
    """``local.settings.json`` is unreadable or malformed."""


def read_local_settings(app_dir: Path) -> dict[str, str]:
    """The ``Values`` of ``local.settings.json`` in ``app_dir`` (empty when there is no file)."""
    path = app_dir / LOCAL_SETTINGS_FILE
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LocalSettingsError(f"{LOCAL_SETTINGS_FILE} is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise LocalSettingsError(f"{LOCAL_SETTINGS_FILE} must hold a JSON object")
    if document.get("IsEncrypted") is True:
        raise LocalSettingsError(f"{LOCAL_SETTINGS_FILE} is encrypted; decrypt it first")
    values = document.get("Values", {})
    if not isinstance(values, dict):
        raise LocalSettingsError(f"{LOCAL_SETTINGS_FILE}: Values must be a JSON object")
    for name, value in values.items():
        if not isinstance(value, str):
            raise LocalSettingsError(f"{LOCAL_SETTINGS_FILE}: Values.{name} must be a string")
    return dict(values)


def apply_local_settings(app_dir: Path, environ: MutableMapping[str, str]) -> list[str]:
    """Copy ``local.settings.json`` ``Values`` into ``environ`` without overriding it.

    Returns the names that were applied (never their values, which may be secrets).
    """
    applied = []
    for name, value in read_local_settings(app_dir).items():
        if name not in environ:
            environ[name] = value
            applied.append(name)
    return applied


def resolve_references(text: str, settings: Mapping[str, str]) -> str:
    """Replace ``%NAME%`` with app setting ``NAME``, as the Functions host does in bindings."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in settings:
            raise ValueError(f"{text!r} refers to app setting {name!r}, which is not set")
        return settings[name]

    return _REFERENCE.sub(substitute, text)
