"""The Durable extension's HTTP API, so the SDK's ``DurableOrchestrationClient`` runs unchanged.

The client binding handed to functions is the same JSON document the Durable extension
builds: public management URLs under ``/runtime/webhooks/durabletask/`` (which need the
system or admin key, passed as ``code``) and ``rpcBaseUrl``, a loopback-only listener the
SDK calls without a key, as the real host's local RPC endpoint. Both serve these routes:

- ``POST orchestrators/{name}[/{instanceId}]``: start (202 with management URLs; 400 for an
  unknown orchestrator; 500 when a live instance already has the id, as in Azure)
- ``GET instances/{id}``: status (202 while pending or running, 200 once finished, 404)
- ``GET instances/``: list, with ``runtimeStatus``, ``createdTimeFrom``/``To`` and
  ``instanceIdPrefix`` filters, ``top`` at a time with an ``x-ms-continuation-token`` header to
  page on (as the extension pages its answer)
- ``POST instances/{id}/terminate``, ``POST instances/{id}/raiseEvent/{name}`` (202, 404, 410)
- ``DELETE instances/{id}`` and ``DELETE instances/?createdTimeFrom=...``: purge (finished
  instances only; 404 when nothing was purged, as the extension answers)
- ``GET _devhost/status-reads``: how many status reads were answered, and how many of them
  carried an orchestration input (the dev host's own, for tests: the extension has no such route)
- ``GET|PUT|DELETE _devhost/fault``: the backend fault switch (the dev host's own). While it is
  on, every other route answers as the extension does when its backend throws: the status code
  (500) and a JSON error body (``Message``, ``ExceptionMessage``, ``ExceptionType``). ``PUT``
  with ``{"status": 500}`` turns it on, ``DELETE`` turns it off; ``DEVHOST_DURABLE_FAULT=500``
  turns it on from the start. The engine keeps running the instances it has: only the API fails,
  as when the extension cannot read the task hub's storage.

Every handler only reads or updates memory, so a status poll costs well under a millisecond.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web

from devhost.durable import (
    ControlOutcome,
    DurableEngine,
    InstanceExistsError,
    UnknownOrchestratorError,
)
from devhost.history import parse_timestamp
from devhost.orchestration import Orchestration, RuntimeStatus

WEBHOOK_PATH = "/runtime/webhooks/durabletask"
CONTINUATION_HEADER = "x-ms-continuation-token"
RPC_PATH = "/durabletask"
_ID_PLACEHOLDER = "INSTANCEID"
_STATUS_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Guard = Callable[[web.Request], web.StreamResponse | None]
FAULT_SETTING = "DEVHOST_DURABLE_FAULT"
# What the extension's HttpApiHandler answers a backend exception with.
_FAULT_MESSAGE = "Something went wrong while processing your request"


@dataclass(slots=True)
class BackendFault:
    """The fault switch: ``status`` is the code every API route answers with, or None."""

    status: int | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> BackendFault:
        """``DEVHOST_DURABLE_FAULT``: a 5xx status code to fail with from the start, or unset."""
        raw = settings.get(FAULT_SETTING, "").strip()
        if not raw:
            return cls()
        return cls(_fault_status(raw))

    def answer(self) -> web.Response | None:
        """The failing answer while the switch is on."""
        if self.status is None:
            return None
        return web.json_response(
            {
                "Message": _FAULT_MESSAGE,
                "ExceptionMessage": "The task hub's storage could not be read (dev host fault).",
                "ExceptionType": "DurableTask.AzureStorage.Storage.DurableTaskStorageException",
            },
            status=self.status,
        )


def _fault_status(raw: object) -> int:
    try:
        status = int(str(raw))
    except ValueError:
        raise ValueError(f"{FAULT_SETTING} must be a 5xx status code, got {raw!r}") from None
    if not 500 <= status <= 599:
        raise ValueError(f"{FAULT_SETTING} must be a 5xx status code, got {raw!r}")
    return status


@dataclass(frozen=True, slots=True, repr=False)
class BindingUrls:
    """Where the API is served. ``repr`` is suppressed: the URLs carry the system key."""

    public_base: str  # e.g. http://127.0.0.1:7071
    rpc_base: str  # e.g. http://127.0.0.1:41234
    system_key: str
    task_hub: str

    def __repr__(self) -> str:
        return "BindingUrls(<redacted>)"

    @property
    def webhook_base(self) -> str:
        """The public base URL of the API."""
        return f"{self.public_base}{WEBHOOK_PATH}"

    def management_urls(self, instance_id: str) -> dict[str, str]:
        """The management payload for one instance (``create_check_status_response``)."""
        base = f"{self.webhook_base}/instances/{quote(instance_id, safe='')}"
        query = f"taskHub={self.task_hub}&connection=Storage&code={self.system_key}"
        return {
            "id": instance_id,
            "statusQueryGetUri": f"{base}?{query}",
            "sendEventPostUri": f"{base}/raiseEvent/{{eventName}}?{query}",
            "terminatePostUri": f"{base}/terminate?reason={{text}}&{query}",
            "rewindPostUri": f"{base}/rewind?reason={{text}}&{query}",
            "purgeHistoryDeleteUri": f"{base}?{query}",
            "restartPostUri": f"{base}/restart?{query}",
            "suspendPostUri": f"{base}/suspend?reason={{text}}&{query}",
            "resumePostUri": f"{base}/resume?reason={{text}}&{query}",
        }

    def client_binding(self) -> str:
        """The durable client binding document (a JSON string, as the worker passes it)."""
        start = f"{self.webhook_base}/orchestrators/{{functionName}}[/{{instanceId}}]"
        return json.dumps(
            {
                "taskHubName": self.task_hub,
                "creationUrls": {
                    "createNewInstancePostUri": f"{start}?code={self.system_key}",
                    "createAndWaitOnNewInstancePostUri": (
                        f"{start}?timeout={{timeoutInSeconds}}"
                        f"&pollingInterval={{intervalInSeconds}}&code={self.system_key}"
                    ),
                },
                "managementUrls": self.management_urls(_ID_PLACEHOLDER),
                "baseUrl": self.webhook_base,
                "requiredQueryStringParameters": f"code={self.system_key}",
                "rpcBaseUrl": f"{self.rpc_base}{RPC_PATH}/",
                "httpBaseUrl": "",
            }
        )


@dataclass(slots=True)
class StatusReads:
    """A tally of the status reads answered, by whether they carried an input."""

    total: int = 0
    with_input: int = 0

    def count(self, carried_input: bool) -> None:
        self.total += 1
        self.with_input += int(carried_input)


class DurableApi:
    """HTTP handlers over a :class:`DurableEngine`."""

    def __init__(
        self,
        engine: DurableEngine,
        urls: BindingUrls,
        clock: Callable[[], datetime],
        fault: BackendFault | None = None,
        max_payload_bytes: int | None = None,
    ):
        self._engine = engine
        self._urls = urls
        self._clock = clock
        self._max_payload = max_payload_bytes
        self.status_reads = StatusReads()
        self.fault = fault if fault is not None else BackendFault()

    def routes(self, prefix: str, guard: Guard | None = None) -> list[web.RouteDef]:
        """The API's routes below ``prefix`` (no trailing slash), each behind ``guard``."""

        def route(method: str, path: str, handler: Handler) -> web.RouteDef:
            return web.route(method, f"{prefix}{path}", _guarded(self._faulty(handler), guard))

        def control(method: str, path: str, handler: Handler) -> web.RouteDef:
            return web.route(method, f"{prefix}{path}", _guarded(handler, guard))

        return [
            route("POST", "/orchestrators/{name}", self.start),
            route("POST", "/orchestrators/{name}/{instance_id}", self.start),
            route("GET", "/instances", self.list_instances),
            route("GET", "/instances/", self.list_instances),
            route("DELETE", "/instances", self.purge_where),
            route("DELETE", "/instances/", self.purge_where),
            route("GET", "/instances/{instance_id}", self.status),
            route("DELETE", "/instances/{instance_id}", self.purge),
            route("POST", "/instances/{instance_id}/terminate", self.terminate),
            route("POST", "/instances/{instance_id}/raiseEvent/{event}", self.raise_event),
            control("GET", "/_devhost/status-reads", self.status_read_tally),
            control("GET", "/_devhost/fault", self.fault_state),
            control("PUT", "/_devhost/fault", self.set_fault),
            control("DELETE", "/_devhost/fault", self.clear_fault),
        ]

    def _faulty(self, handler: Handler) -> Handler:
        async def maybe_failing(request: web.Request) -> web.StreamResponse:
            failing = self.fault.answer()
            return failing if failing is not None else await handler(request)

        return maybe_failing

    async def fault_state(self, request: web.Request) -> web.Response:
        """The fault switch (a dev host route, for tests)."""
        return web.json_response({"status": self.fault.status})

    async def set_fault(self, request: web.Request) -> web.Response:
        """Turn the fault switch on: ``{"status": 500}``."""
        try:
            body = json.loads(await request.text() or "{}")
            self.fault.status = _fault_status(body.get("status", 500))
        except (ValueError, AttributeError) as exc:
            return _dotnet_error(400, "Invalid fault", str(exc))
        return web.json_response({"status": self.fault.status})

    async def clear_fault(self, request: web.Request) -> web.Response:
        """Turn the fault switch off."""
        self.fault.status = None
        return web.json_response({"status": None})

    async def start(self, request: web.Request) -> web.Response:
        """Start an orchestration; an input over the emulated backend's payload limit fails
        with a 500, as the extension answers the backend's refusal."""
        try:
            input_json = _json_text(await request.text())
        except ValueError:
            return _dotnet_error(400, "Invalid JSON content", "The request body is not JSON.")
        size = len(input_json.encode()) if input_json else 0
        if self._max_payload is not None and size > self._max_payload:
            return _dotnet_error(
                500,
                "Something went wrong while processing your request",
                f"The orchestration input is larger than the backend's payload limit of "
                f"{self._max_payload} bytes.",
            )
        try:
            instance_id = self._engine.start(
                request.match_info["name"], request.match_info.get("instance_id"), input_json
            )
        except UnknownOrchestratorError as exc:
            return _dotnet_error(
                400, "One or more of the arguments submitted is incorrect", str(exc)
            )
        except InstanceExistsError as exc:
            return _dotnet_error(
                500, "Something went wrong while processing your request", str(exc)
            )
        payload = self._urls.management_urls(instance_id)
        return web.json_response(
            payload, status=202, headers={"Location": payload["statusQueryGetUri"]}
        )

    async def status(self, request: web.Request) -> web.Response:
        """One instance's status."""
        instance = self._engine.get(request.match_info["instance_id"])
        if instance is None:
            return web.Response(status=404)
        query = request.query
        body = status_body(
            instance,
            show_input=_flag(query, "showInput", default=True),
            show_history=_flag(query, "showHistory", default=False),
            show_history_output=_flag(query, "showHistoryOutput", default=False),
        )
        self.status_reads.count(body["input"] is not None)
        running = instance.status in (RuntimeStatus.PENDING, RuntimeStatus.RUNNING)
        return web.json_response(body, status=202 if running else 200)

    async def status_read_tally(self, request: web.Request) -> web.Response:
        """The tally of status reads (a dev host route, for tests)."""
        reads = self.status_reads
        return web.json_response({"total": reads.total, "withInput": reads.with_input})

    async def list_instances(self, request: web.Request) -> web.Response:
        """The instances matching the query's filters, ``top`` at a time: as the extension
        does, a page that may be followed by more carries an ``x-ms-continuation-token``
        header, which the client sends back (as a request header) for the next page."""
        try:
            matches = self._matching(request, default_to=None)
            top = _top(request.query.get("top"))
            start = _continuation_offset(request.headers.get(CONTINUATION_HEADER))
        except ValueError as exc:
            return _dotnet_error(
                400, "One or more of the arguments submitted is incorrect", str(exc)
            )
        matches.sort(key=lambda o: (o.created, o.instance_id))
        page = matches[start:] if top is None else matches[start : start + top]
        show_input = _flag(request.query, "showInput", default=True)
        bodies = [status_body(o, show_input, False, False) for o in page]
        for body in bodies:
            self.status_reads.count(body["input"] is not None)
        headers = {}
        if top is not None and start + top < len(matches):
            headers[CONTINUATION_HEADER] = _continuation_token(start + top)
        return web.json_response(bodies, headers=headers)

    async def terminate(self, request: web.Request) -> web.Response:
        """Terminate an instance."""
        outcome = self._engine.terminate(
            request.match_info["instance_id"], request.query.get("reason")
        )
        return web.Response(status=_CONTROL_STATUS[outcome])

    async def raise_event(self, request: web.Request) -> web.Response:
        """Raise an external event."""
        instance = self._engine.get(request.match_info["instance_id"])
        if instance is None:
            return web.Response(status=404)
        if instance.status.is_terminal:
            return web.Response(status=410)
        if request.content_type.lower() != "application/json":
            return _dotnet_error(
                400, "Only application/json request content is supported", "Bad content type."
            )
        try:
            input_json = _json_text(await request.text())
        except ValueError:
            return _dotnet_error(400, "Invalid JSON content", "The request body is not JSON.")
        outcome = self._engine.raise_event(
            request.match_info["instance_id"], request.match_info["event"], input_json
        )
        return web.Response(status=_CONTROL_STATUS[outcome])

    async def purge(self, request: web.Request) -> web.Response:
        """Forget one finished instance; a running or unknown one is a 404, as in the extension."""
        deleted = self._engine.purge(request.match_info["instance_id"])
        if not deleted:
            return web.Response(status=404)
        return web.json_response({"instancesDeleted": deleted})

    async def purge_where(self, request: web.Request) -> web.Response:
        """Forget the finished instances matching the filters (``createdTimeFrom`` required)."""
        if "createdTimeFrom" not in request.query:
            return _dotnet_error(
                400, "Please provide value for 'createdTimeFrom' parameter.", "Missing filter."
            )
        try:
            matches = self._matching(request, default_to=self._clock())
        except ValueError as exc:
            return _dotnet_error(
                400, "One or more of the arguments submitted is incorrect", str(exc)
            )
        deleted = sum(self._engine.purge(o.instance_id) for o in matches)
        if not deleted:
            return web.Response(status=404)
        return web.json_response({"instancesDeleted": deleted})

    def _matching(self, request: web.Request, default_to: datetime | None) -> list[Orchestration]:
        query = request.query
        created_from = _time(query.get("createdTimeFrom"))
        created_to = _time(query.get("createdTimeTo")) or default_to
        prefix = query.get("instanceIdPrefix", "")
        statuses = _statuses(query.getall("runtimeStatus", []))
        return [
            o
            for o in self._engine.all()
            if o.instance_id.startswith(prefix)
            and (created_from is None or o.created >= created_from)
            and (created_to is None or o.created <= created_to)
            and (statuses is None or o.status in statuses)
        ]


def status_body(
    instance: Orchestration, show_input: bool, show_history: bool, show_history_output: bool
) -> dict[str, Any]:
    """The status payload ``DurableOrchestrationStatus.from_json`` reads."""
    body: dict[str, Any] = {
        "name": instance.name,
        "instanceId": instance.instance_id,
        "runtimeStatus": str(instance.status),
        "input": _parsed(instance.input_json) if show_input else None,
        "customStatus": instance.custom_status,
        "output": instance.output,
        "createdTime": instance.created.strftime(_STATUS_TIME_FORMAT),
        "lastUpdatedTime": instance.last_updated.strftime(_STATUS_TIME_FORMAT),
    }
    if show_history:
        events = instance.history
        if not show_history_output:
            for event in events:
                event.pop("Result", None)
        body["historyEvents"] = events
    return body


_CONTROL_STATUS = {
    ControlOutcome.ACCEPTED: 202,
    ControlOutcome.NOT_FOUND: 404,
    ControlOutcome.GONE: 410,
}


def _guarded(handler: Handler, guard: Guard | None) -> Handler:
    if guard is None:
        return handler

    async def guarded(request: web.Request) -> web.StreamResponse:
        refused = guard(request)
        return refused if refused is not None else await handler(request)

    return guarded


def _json_text(body: str) -> str | None:
    """Normalise a request body to the JSON text of the value it carries.

    The SDK client posts ``json.dumps`` of a string that is already JSON (the input
    serialised by ``df_dumps``); other callers post the JSON value itself.
    """
    if not body.strip():
        return None
    value = json.loads(body)
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return json.dumps(value)
        return value
    return json.dumps(value)


def _parsed(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _flag(query: Any, name: str, default: bool) -> bool:
    raw = query.get(name)
    return default if raw is None else str(raw).strip().lower() == "true"


def _time(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return parse_timestamp(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a date and time") from None


def _statuses(raw: list[str]) -> set[RuntimeStatus] | None:
    names = [part.strip() for item in raw for part in item.split(",") if part.strip()]
    if not names:
        return None
    by_name = {status.value.lower(): status for status in RuntimeStatus}
    unknown = [name for name in names if name.lower() not in by_name]
    if unknown:
        raise ValueError(f"unknown runtimeStatus {', '.join(unknown)}")
    return {by_name[name.lower()] for name in names}


def _dotnet_error(status: int, message: str, exception_message: str) -> web.Response:
    # The extension's error shape; the SDK reads ExceptionMessage from a 400.
    return web.json_response(
        {"Message": message, "ExceptionMessage": exception_message}, status=status
    )


def _top(raw: str | None) -> int | None:
    """The page size asked for; None (absent) lists everything, as a single page."""
    if raw is None or raw == "":
        return None
    value = int(raw)  # ValueError: a 400, as the extension answers a malformed argument
    if value <= 0:
        raise ValueError(f"top must be a positive number, got {raw!r}")
    return value


# The token is opaque to the client (the extension's are the storage backend's own); here it is
# the position of the next page, base64-encoded so no client is tempted to read it.
_PAGE_MARK = "devhost-page:"


def _continuation_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PAGE_MARK}{offset}".encode()).decode()


def _continuation_offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValueError("malformed continuation token") from None
    if not text.startswith(_PAGE_MARK) or not text[len(_PAGE_MARK) :].isdigit():
        raise ValueError("malformed continuation token")
    return int(text[len(_PAGE_MARK) :])
