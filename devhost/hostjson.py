"""The parts of ``host.json`` the dev host honours: the HTTP route prefix, the task hub and the
orchestration version stamped on new instances, and the storage queue trigger's settings
(``extensions.queues``)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
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
class QueueOptions:
    """``extensions.queues``, with the Functions host's defaults."""

    max_polling_interval_s: float = 60.0
    visibility_timeout_s: float = 0.0
    max_dequeue_count: int = 5
    batch_size: int = 16
    base64: bool = True


@dataclass(frozen=True, slots=True)
class HostConfig:
    """What the dev host takes from ``host.json``."""

    route_prefix: str = DEFAULT_ROUTE_PREFIX
    task_hub: str = DEFAULT_TASK_HUB
    default_version: str = ""
    queues: QueueOptions = field(default_factory=QueueOptions)


def read_host_json(app_dir: Path, settings: Mapping[str, str]) -> HostConfig:
    """``extensions.http.routePrefix``, ``extensions.durableTask.hubName`` (with ``%NAME%``
    resolved from ``settings``) and ``extensions.durableTask.defaultVersion``; defaults when
    the file or a value is absent.

    The task hub only names the in-memory hub here, so an unset ``%NAME%`` in it falls back
    to the default with a warning rather than stopping the host.
    """
    path = app_dir / HOST_JSON_FILE
    if not path.is_file():
        return HostConfig(queues=_queue_options(queue_overrides(settings)))
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
        route_prefix=route_prefix.strip("/"),
        task_hub=task_hub,
        default_version=default_version,
        queues=_queue_options({**_object(extensions, "queues"), **queue_overrides(settings)}),
    )


# An app setting named so overrides the matching host.json value, as in Azure
# (AzureFunctionsJobHost__extensions__queues__maxDequeueCount, ...).
QUEUE_OVERRIDE_PREFIX = "AzureFunctionsJobHost__extensions__queues__"
_INTEGER_QUEUE_OPTIONS = frozenset({"maxDequeueCount", "batchSize"})


def queue_overrides(settings: Mapping[str, str]) -> dict[str, Any]:
    """``extensions.queues`` values that app settings override."""
    found: dict[str, Any] = {}
    for name, value in settings.items():
        if not name.startswith(QUEUE_OVERRIDE_PREFIX):
            continue
        key = name[len(QUEUE_OVERRIDE_PREFIX) :]
        text = value.strip()
        if key in _INTEGER_QUEUE_OPTIONS:
            if not text.isdigit():
                raise HostJsonError(f"{name} must be a whole number, got {value!r}")
            found[key] = int(text)
        else:
            found[key] = text
    return found


_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$")


def _seconds(value: Any, name: str, default: float) -> float:
    """A ``[d.]hh:mm:ss[.fff]`` time span, or a number of milliseconds (as the host reads
    ``maxPollingInterval``)."""
    if value is None:
        return default
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / 1000.0
    match = _TIMESPAN.match(str(value).strip())
    if match is None:
        raise HostJsonError(f"{HOST_JSON_FILE}: queues.{name} must be a time span, got {value!r}")
    days, hours, minutes, seconds = match.groups()
    return int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _queue_options(raw: dict[str, Any]) -> QueueOptions:
    base = QueueOptions()
    dequeue = raw.get("maxDequeueCount", base.max_dequeue_count)
    batch = raw.get("batchSize", base.batch_size)
    encoding = str(raw.get("messageEncoding", "base64")).lower()
    if not isinstance(dequeue, int) or dequeue < 1 or not isinstance(batch, int) or batch < 1:
        raise HostJsonError(f"{HOST_JSON_FILE}: queues.maxDequeueCount and batchSize must be >= 1")
    if encoding not in {"base64", "none"}:
        raise HostJsonError(f"{HOST_JSON_FILE}: queues.messageEncoding must be base64 or none")
    return QueueOptions(
        max_polling_interval_s=_seconds(
            raw.get("maxPollingInterval"), "maxPollingInterval", base.max_polling_interval_s
        ),
        visibility_timeout_s=_seconds(
            raw.get("visibilityTimeout"), "visibilityTimeout", base.visibility_timeout_s
        ),
        max_dequeue_count=dequeue,
        batch_size=min(batch, 32),
        base64=encoding == "base64",
    )


def _object(parent: Any, key: str) -> dict[str, Any]:
    value = parent.get(key, {}) if isinstance(parent, dict) else {}
    if not isinstance(value, dict):
        raise HostJsonError(f"{HOST_JSON_FILE}: {key} must be a JSON object")
    return value
