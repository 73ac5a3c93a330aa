"""The function index: what ``app.get_functions()`` registers, as typed values.

The host reads each function's binding metadata (its ``function.json`` form, exactly what the
Python worker hands to the real host) and keeps the functions it can serve: HTTP, timer,
storage queue, orchestration and activity triggers, with durable client input bindings. A
function of any other kind is skipped with a reason, so it does not stop the rest from
running; a supported function that is misconfigured (a bad route or schedule, a missing
``%NAME%`` setting) stops the host with an error that names it.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from devhost import ncrontab
from devhost.auth import AuthLevel
from devhost.routing import RouteTemplate, parse_route
from devhost.settings import resolve_references

HTTP_TRIGGER = "httpTrigger"
HTTP_OUTPUT = "http"
TIMER_TRIGGER = "timerTrigger"
QUEUE_TRIGGER = "queueTrigger"
ORCHESTRATION_TRIGGER = "orchestrationTrigger"
ACTIVITY_TRIGGER = "activityTrigger"
DURABLE_CLIENT = "durableClient"
# The Python worker passes an invocation context to a parameter with this name.
CONTEXT_PARAMETER = "context"


class UnsupportedFunctionError(Exception):
    """A function of a kind (trigger or binding type) this host does not serve."""


@dataclass(frozen=True, slots=True)
class FunctionInfo:
    """What every served function has."""

    name: str
    handler: Callable[..., Any]
    trigger_arg: str
    client_args: tuple[str, ...]
    wants_context: bool
    disabled: bool


@dataclass(frozen=True, slots=True)
class HttpFunction:
    """An HTTP-triggered function. ``methods`` is ``None`` when every method is allowed."""

    info: FunctionInfo
    route: RouteTemplate
    methods: frozenset[str] | None
    auth_level: AuthLevel


@dataclass(frozen=True, slots=True)
class TimerFunction:
    """A timer-triggered function."""

    info: FunctionInfo
    schedule: ncrontab.CronSchedule
    run_on_startup: bool


@dataclass(frozen=True, slots=True)
class QueueFunction:
    """A storage-queue-triggered function: ``connection`` names the app setting that holds
    the storage connection string (``AzureWebJobsStorage`` when the binding gives none)."""

    info: FunctionInfo
    queue_name: str
    connection: str


@dataclass(frozen=True, slots=True)
class OrchestratorFunction:
    """An orchestrator; its handler is the SDK's replay handle (context JSON -> state JSON)."""

    info: FunctionInfo


@dataclass(frozen=True, slots=True)
class ActivityFunction:
    """An activity; ``info.trigger_arg`` is the parameter that receives the input."""

    info: FunctionInfo


@dataclass(frozen=True, slots=True)
class SkippedFunction:
    """A registered function this host does not serve, and why."""

    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class FunctionIndex:
    """Every function the host serves, by kind."""

    http: tuple[HttpFunction, ...]
    timers: Mapping[str, TimerFunction]
    orchestrators: Mapping[str, OrchestratorFunction]
    activities: Mapping[str, ActivityFunction]
    skipped: tuple[SkippedFunction, ...]
    queues: Mapping[str, QueueFunction] = field(default_factory=lambda: MappingProxyType({}))

    def find(self, name: str) -> FunctionInfo | None:
        """Any served function by name (case-insensitive, as function names are in Azure)."""
        everything: list[FunctionInfo] = [fn.info for fn in self.http]
        for group in (self.timers, self.queues, self.orchestrators, self.activities):
            everything.extend(fn.info for fn in group.values())
        wanted = name.lower()
        return next((info for info in everything if info.name.lower() == wanted), None)


def build_index(functions: tuple[Any, ...], settings: Mapping[str, str]) -> FunctionIndex:
    """Index ``get_functions()`` output; ``settings`` resolve ``%NAME%`` and disabled flags."""
    http: list[HttpFunction] = []
    timers: dict[str, TimerFunction] = {}
    orchestrators: dict[str, OrchestratorFunction] = {}
    activities: dict[str, ActivityFunction] = {}
    queues: dict[str, QueueFunction] = {}
    skipped: list[SkippedFunction] = []
    for function in functions:
        name = str(function.get_function_name())
        try:
            entry, key = _index_one(function, name, settings)
        except UnsupportedFunctionError as exc:
            skipped.append(SkippedFunction(name, str(exc)))
            continue
        except ValueError as exc:
            raise ValueError(f"function {name}: {exc}") from exc
        if isinstance(entry, HttpFunction):
            http.append(entry)
        elif isinstance(entry, TimerFunction):
            timers[key] = entry
        elif isinstance(entry, QueueFunction):
            queues[key] = entry
        elif isinstance(entry, OrchestratorFunction):
            orchestrators[key] = entry
        else:
            activities[key] = entry
    http.sort(key=lambda fn: fn.route.precedence)
    return FunctionIndex(
        http=tuple(http),
        timers=MappingProxyType(timers),
        orchestrators=MappingProxyType(orchestrators),
        activities=MappingProxyType(activities),
        skipped=tuple(skipped),
        queues=MappingProxyType(queues),
    )


def is_disabled(name: str, settings: Mapping[str, str]) -> bool:
    """The real host's switch: app setting ``AzureWebJobs.<name>.Disabled``."""
    raw = settings.get(f"AzureWebJobs.{name}.Disabled", "")
    return raw.strip().lower() in {"1", "true"}


Indexed = HttpFunction | TimerFunction | QueueFunction | OrchestratorFunction | ActivityFunction
_TRIGGERS = (HTTP_TRIGGER, TIMER_TRIGGER, QUEUE_TRIGGER, ORCHESTRATION_TRIGGER, ACTIVITY_TRIGGER)
_DEFAULT_CONNECTION = "AzureWebJobsStorage"


def _index_one(function: Any, name: str, settings: Mapping[str, str]) -> tuple[Indexed, str]:
    """The indexed function and the name it is found by."""
    bindings: list[dict[str, Any]] = json.loads(function.get_function_json())["bindings"]
    triggers = [b for b in bindings if str(b.get("type", "")).endswith("Trigger")]
    if len(triggers) != 1:
        raise UnsupportedFunctionError("a function needs exactly one trigger")
    trigger = triggers[0]
    kind = trigger["type"]
    if kind not in _TRIGGERS:
        raise UnsupportedFunctionError(f"trigger type {kind!r} is not supported by the dev host")
    others = [b for b in bindings if b is not trigger]
    unsupported = sorted({f"{b.get('type')}:{b.get('name')}" for b in others if not _served(b)})
    if unsupported:
        names = ", ".join(unsupported)
        raise UnsupportedFunctionError(f"bindings not supported by the dev host: {names}")
    client_args = tuple(b["name"] for b in others if b.get("type") == DURABLE_CLIENT)
    handler = function.get_user_function()
    info = FunctionInfo(
        name=name,
        handler=handler,
        trigger_arg=str(trigger["name"]),
        client_args=client_args,
        wants_context=_wants_context(handler, {trigger["name"], *client_args}),
        disabled=is_disabled(name, settings),
    )
    if kind == HTTP_TRIGGER:
        methods = trigger.get("methods")
        http = HttpFunction(
            info=info,
            route=parse_route(str(trigger.get("route") or name)),
            methods=frozenset(str(m).upper() for m in methods) if methods else None,
            auth_level=AuthLevel.parse(trigger.get("authLevel")),
        )
        return http, name
    if kind == TIMER_TRIGGER:
        expression = resolve_references(str(trigger["schedule"]), settings)
        timer = TimerFunction(
            info=info,
            schedule=ncrontab.parse(expression),
            run_on_startup=bool(trigger.get("runOnStartup", False)),
        )
        return timer, name
    if kind == QUEUE_TRIGGER:
        queue = QueueFunction(
            info=info,
            queue_name=resolve_references(str(trigger["queueName"]), settings).lower(),
            connection=str(trigger.get("connection") or _DEFAULT_CONNECTION),
        )
        return queue, name
    # The Durable extension registers an orchestrator or activity under the name given in
    # its trigger binding when there is one, else under the function name.
    if kind == ORCHESTRATION_TRIGGER:
        return OrchestratorFunction(info=info), str(trigger.get("orchestration") or name)
    return ActivityFunction(info=info), str(trigger.get("activity") or name)


def _served(binding: dict[str, Any]) -> bool:
    """Durable client inputs and the ``$return`` HTTP output are the only extra bindings."""
    kind = binding.get("type")
    return kind == DURABLE_CLIENT or (kind == HTTP_OUTPUT and binding.get("name") == "$return")


def _wants_context(handler: Callable[..., Any], binding_names: set[str]) -> bool:
    if CONTEXT_PARAMETER in binding_names:
        return False
    try:
        parameters = inspect.signature(handler).parameters
    except (TypeError, ValueError):
        return False
    return CONTEXT_PARAMETER in parameters
