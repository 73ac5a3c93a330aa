"""The parts of ``host.json`` the dev host honours: the HTTP route prefix, the task hub and the
orchestration version stamped on new instances."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devhost.settings import resolve_references

logger = logging.getLogger(__name__)

HOST_JSON_FILE = "host.json"
DEFAULT_ROUTE_PREFIX = "api"
DEFAULT_TASK_HUB = "TestHubName"  # Core Tools' name when host.json sets none


class HostJsonError(ValueError):
    """``host.json`` is unreadable or malformed."""


@dataclass(frozen=True, slots=True)
class HostConfig:
    """What the dev host takes from ``host.json``."""

    route_prefix: str = DEFAULT_ROUTE_PREFIX
    task_hub: str = DEFAULT_TASK_HUB
    default_version: str = ""


def read_host_json(app_dir: Path, settings: Mapping[str, str]) -> HostConfig:
    """``extensions.http.routePrefix``, ``extensions.durableTask.hubName`` (with ``%NAME%``
    resolved from ``settings``) and ``extensions.durableTask.defaultVersion``; defaults when
    the file or a value is absent.

    The task hub only names the in-memory hub here, so an unset ``%NAME%`` in it falls back
    to the default with a warning rather than stopping the host.
    """
    path = app_dir / HOST_JSON_FILE
    if not path.is_file():
        return HostConfig()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise HostJsonError(f"{HOST_JSON_FILE} is not valid JSON: {exc}") from exc
    extensions = _object(document, "extensions")
    route_prefix = _object(extensions, "http").get("routePrefix", DEFAULT_ROUTE_PREFIX)
    durable = _object(extensions, "durableTask")
    hub_name = durable.get("hubName") or DEFAULT_TASK_HUB
    default_version = durable.get("defaultVersion") or ""
    if not all(isinstance(v, str) for v in (route_prefix, hub_name, default_version)):
        raise HostJsonError(
            f"{HOST_JSON_FILE}: routePrefix, hubName and defaultVersion must be strings"
        )
    try:
        task_hub = resolve_references(hub_name, settings)
    except ValueError as exc:
        logger.warning("host.json hubName: %s; using %s", exc, DEFAULT_TASK_HUB)
        task_hub = DEFAULT_TASK_HUB
    return HostConfig(
        route_prefix=route_prefix.strip("/"), task_hub=task_hub, default_version=default_version
    )


def _object(parent: Any, key: str) -> dict[str, Any]:
    value = parent.get(key, {}) if isinstance(parent, dict) else {}
    if not isinstance(value, dict):
        raise HostJsonError(f"{HOST_JSON_FILE}: {key} must be a JSON object")
    return value
