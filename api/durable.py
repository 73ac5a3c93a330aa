"""Adapt the Durable Functions client to the core's orchestration port.

Status reads never carry the orchestration input. The extension's HTTP API includes the input
unless the request says ``showInput=false``, and the SDK (1.7.0) adds a query argument only when
its value is true, so ``get_status()`` would read the whole conversation back on every poll
(and, on the Azure Storage backend, download the large-message blob of a long one). Status and
list requests are therefore sent here, to the same ``rpcBaseUrl`` the SDK uses, with
``showInput=false``.

**A failing backend is never "no such instance".** The extension answers every backend
exception on its HTTP API with a 500 and a JSON error body (``Message``, ``ExceptionMessage``).
The SDK turns some of those into a generic ``Exception`` and others into nothing at all (a 500
on a status read is, to it, an instance that failed). Every request the client makes goes
through :func:`guarded`, which raises :class:`~shared.platform.OrchestrationsUnavailable` for
such an answer, and for a backend that cannot be reached, in every port method. A status read
that answers 500 *with a status body* (``runtimeStatus``) is an instance that failed, as the
extension documents, and is read as one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import azure.durable_functions as df
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from azure.durable_functions.models.utils import http_utils

from shared.platform import OrchestrationsUnavailable

_STATES = {
    df.OrchestrationRuntimeStatus.Completed: "completed",
    df.OrchestrationRuntimeStatus.Failed: "failed",
    df.OrchestrationRuntimeStatus.Terminated: "failed",
    df.OrchestrationRuntimeStatus.Canceled: "failed",
}
# The extension's list API pages its answer; the next page is asked for with this header.
CONTINUATION_HEADER = "x-ms-continuation-token"
FINISHED = ("Completed", "Failed", "Terminated")
_LIST_PAGE = 100
_LIST_TIMEOUT = aiohttp.ClientTimeout(total=60)


def rpc_base_url(client: df.DurableOrchestrationClient) -> str:
    """The local RPC base URL of the client's binding (the one every SDK call goes to)."""
    # The SDK keeps the parsed binding on a private attribute; a test pins its presence.
    url = str(client._orchestration_bindings.rpc_base_url or "")
    if not url:
        raise RuntimeError("the durable client binding has no rpcBaseUrl")
    return url


def status_url(base: str, instance_id: str) -> str:
    """A status request for one instance that asks for no input and no history."""
    return f"{base}instances/{quote(instance_id, safe='')}?showInput=false"


def list_url(base: str, created_before: datetime, page: int = _LIST_PAGE) -> str:
    """A list request for finished instances created before a time, without their inputs,
    ``page`` at a time (the extension's ``top``; the next page follows the continuation
    token)."""
    query = urlencode(
        {
            "createdTimeFrom": "1970-01-01T00:00:00Z",
            "createdTimeTo": created_before.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "runtimeStatus": ",".join(FINISHED),
            "showInput": "false",
            "top": str(page),
        }
    )
    return f"{base}instances/?{query}"


Request = Callable[..., Awaitable[list[Any]]]


def _is_status_body(body: object) -> bool:
    return isinstance(body, dict) and body.get("runtimeStatus") is not None


def backend_failure(code: int, body: object, *, status_read: bool = False) -> str | None:
    """Why an answer from the extension's HTTP API means the backend failed, or None.

    A 5xx is a backend failure, except a status read's 500 that carries the instance's status
    (an instance that failed with an unhandled exception)."""
    if code < 500 or (status_read and code == 500 and _is_status_body(body)):
        return None
    detail = body.get("Message") if isinstance(body, dict) else None
    return f"the Durable HTTP API answered {code}" + (f": {detail}" if detail else "")


def guarded(request: Request, *, reads_status: bool = False) -> Request:
    """``request`` (one of the SDK's ``http_utils`` calls), raising
    :class:`OrchestrationsUnavailable` for a backend failure or a backend out of reach.
    ``reads_status``: a GET, whose 500 may carry a failed instance's status."""

    async def call(url: str, *args: Any, **kwargs: Any) -> list[Any]:
        try:
            code, body = await request(url, *args, **kwargs)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            # ValueError: a body that is not JSON (a proxy's error page, say).
            raise OrchestrationsUnavailable(
                f"the Durable HTTP API could not be read: {type(exc).__name__}"
            ) from exc
        failure = backend_failure(int(code), body, status_read=reads_status)
        if failure is not None:
            raise OrchestrationsUnavailable(failure)
        return [code, body]

    return call


class DurableOrchestrations:
    def __init__(
        self, client: df.DurableOrchestrationClient, *, list_page: int = _LIST_PAGE
    ) -> None:
        self._client = client
        # Every SDK call goes through the guard (the SDK keeps its transport on these
        # attributes, set per client; a test pins their presence).
        client._post_async_request = guarded(http_utils.post_async_request)
        client._get_async_request = guarded(http_utils.get_async_request, reads_status=True)
        client._delete_async_request = guarded(http_utils.delete_async_request)
        self._get = client._get_async_request
        self._page_size = list_page

    async def start(
        self, name: str, payload: dict[str, Any], instance_id: str | None = None
    ) -> str:
        return str(await self._client.start_new(name, instance_id, payload))

    async def poll(self, instance_id: str) -> tuple[str, Any]:
        code, body = await self._get(status_url(rpc_base_url(self._client), instance_id))
        if code == 404:
            return "missing", None
        if code not in (200, 202, 400, 500) or not isinstance(body, dict):
            raise OrchestrationsUnavailable(f"status request answered {code} without a status")
        status = DurableOrchestrationStatus.from_json(body)
        if status.runtime_status is None:
            # A status code the extension gives an instance, without its status: not an
            # instance we can read, and not evidence that there is none.
            raise OrchestrationsUnavailable(f"status request answered {code} without a status")
        state = _STATES.get(status.runtime_status, "running")
        return state, status.output if state == "completed" else None

    async def raise_event(self, instance_id: str, name: str, data: Any) -> None:
        await self._client.raise_event(instance_id, name, data)

    async def terminate(self, instance_id: str, reason: str) -> None:
        # 202 accepted, 410 already finished; 404 (gone already) is the SDK's exception.
        try:
            await self._client.terminate(instance_id, reason)
        except OrchestrationsUnavailable:
            raise
        except Exception as exc:
            if "No instance with ID" not in str(exc):
                raise

    async def purge(self, instance_id: str) -> int:
        result = await self._client.purge_instance_history(instance_id)
        return int(result.instances_deleted or 0)

    async def purge_finished(self, name: str, created_before: datetime) -> int:
        base = rpc_base_url(self._client)
        doomed: list[str] = []
        token: str | None = None
        async with aiohttp.ClientSession(timeout=_LIST_TIMEOUT) as session:
            while True:
                headers = {CONTINUATION_HEADER: token} if token else {}
                url = list_url(base, created_before, self._page_size)
                page, token = await _list_page(session, url, headers)
                doomed += [
                    str(item["instanceId"])
                    for item in page or []
                    if str(item.get("name", "")).lower() == name.lower()
                ]
                if not token or not page:
                    break
        deleted = 0
        for instance_id in doomed:
            deleted += await self.purge(instance_id)
        return deleted


async def _list_page(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str]
) -> tuple[Any, str | None]:
    """One page of a list request and the continuation token; a backend failure raises
    :class:`OrchestrationsUnavailable`."""
    try:
        async with session.get(url, headers=headers) as resp:
            code, body = resp.status, await resp.json(content_type=None)
            token = resp.headers.get(CONTINUATION_HEADER)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise OrchestrationsUnavailable(
            f"the Durable HTTP API could not be read: {type(exc).__name__}"
        ) from exc
    failure = backend_failure(code, body)
    if failure is not None:
        raise OrchestrationsUnavailable(failure)
    if code != 200:
        raise RuntimeError(f"list request answered {code}")
    return body, token
