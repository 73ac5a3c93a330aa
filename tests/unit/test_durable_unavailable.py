"""The Durable adapter against a loopback server answering as the extension does when its
backend fails: a 500 with a JSON error body is ``unavailable`` in every port method, never
``missing``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import pytest
from aiohttp import web
from azure.durable_functions.models.utils import http_utils

from api.durable import DurableOrchestrations
from shared.platform import OrchestrationsUnavailable

# The extension's answer to a backend exception (HttpApiHandler: CreateErrorResponse).
BACKEND_ERROR = {
    "Message": "Something went wrong while processing your request",
    "ExceptionMessage": "The remote server returned an error: (503) Server Unavailable.",
    "ExceptionType": "Microsoft.WindowsAzure.Storage.StorageException",
    "StackTrace": "   at DurableTask.AzureStorage...",
}
FAILED_STATUS = {
    "name": "escalation_orchestrator",
    "instanceId": "esc-1",
    "runtimeStatus": "Failed",
    "input": None,
    "customStatus": None,
    "output": "boom",
    "createdTime": "2026-12-08T01:00:00Z",
    "lastUpdatedTime": "2026-12-08T01:00:01Z",
}


class Extension:
    """A loopback stand-in for the extension's HTTP API, with one answer for every route."""

    def __init__(self) -> None:
        self.status = 500
        self.body: Any = BACKEND_ERROR
        self.requests: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(f"{request.method} {request.path}")
        if self.body is None:
            return web.Response(status=self.status)
        return web.json_response(self.body, status=self.status)


@pytest.fixture
async def extension() -> AsyncIterator[tuple[Extension, DurableOrchestrations]]:
    """The loopback extension and an adapter whose client binding points at it."""
    fake = Extension()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    binding = {
        "taskHubName": "hub",
        "creationUrls": {},
        "managementUrls": {},
        "baseUrl": f"{base}/runtime/webhooks/durabletask",
        "requiredQueryStringParameters": "code=x",
        "rpcBaseUrl": f"{base}/durabletask/",
        "httpBaseUrl": "",
    }
    try:
        yield fake, DurableOrchestrations(df.DurableOrchestrationClient(json.dumps(binding)))
    finally:
        # The SDK's session is global and bound to this test's event loop.
        await http_utils._close_session()
        await runner.cleanup()


Call = Callable[[DurableOrchestrations], Awaitable[object]]
PORT_METHODS: dict[str, Call] = {
    "start": lambda o: o.start("escalation_orchestrator", {"a": 1}, "esc-1"),
    "poll": lambda o: o.poll("esc-1"),
    "raise_event": lambda o: o.raise_event("esc-1", "ack", {"at": "now"}),
    "terminate": lambda o: o.terminate("esc-1", "why"),
    "purge": lambda o: o.purge("esc-1"),
    "list": lambda o: o.purge_finished("chat_orchestrator", datetime(2026, 12, 1, tzinfo=UTC)),
}


@pytest.mark.safety("H03")
@pytest.mark.parametrize("method", sorted(PORT_METHODS))
async def test_a_500_with_an_error_body_is_unavailable(
    extension: tuple[Extension, DurableOrchestrations], method: str
) -> None:
    """Every port method raises OrchestrationsUnavailable on the extension's 500 error body."""
    fake, orchestrations = extension
    with pytest.raises(OrchestrationsUnavailable):
        await PORT_METHODS[method](orchestrations)
    assert fake.requests, "the request reached the loopback extension"


@pytest.mark.safety("H03")
async def test_a_poll_answered_500_is_not_missing(
    extension: tuple[Extension, DurableOrchestrations],
) -> None:
    """The acknowledge page's case: a status read answered 500 is never 'no such instance'."""
    _, orchestrations = extension
    with pytest.raises(OrchestrationsUnavailable, match="500"):
        await orchestrations.poll("esc-1")


async def test_a_poll_answered_404_is_missing(
    extension: tuple[Extension, DurableOrchestrations],
) -> None:
    """A 404 with no body is the extension's 'no such instance'."""
    fake, orchestrations = extension
    fake.status, fake.body = 404, None
    assert await orchestrations.poll("esc-1") == ("missing", None)


async def test_a_poll_answered_500_with_a_status_is_a_failed_instance(
    extension: tuple[Extension, DurableOrchestrations],
) -> None:
    """A status read's 500 carrying the instance's status is an instance that failed."""
    fake, orchestrations = extension
    fake.body = FAILED_STATUS
    assert await orchestrations.poll("esc-1") == ("failed", None)


async def test_a_backend_out_of_reach_is_unavailable(
    extension: tuple[Extension, DurableOrchestrations],
) -> None:
    """A body that is not JSON (a proxy's error page) is unavailable too, not missing."""
    fake, orchestrations = extension
    fake.body = None
    fake.status = 502
    with pytest.raises(OrchestrationsUnavailable):
        await orchestrations.poll("esc-1")


async def test_a_terminate_of_a_gone_instance_is_still_fine(
    extension: tuple[Extension, DurableOrchestrations],
) -> None:
    """A 404 on terminate (already gone) stays harmless; only a backend failure raises."""
    fake, orchestrations = extension
    fake.status, fake.body = 404, None
    await orchestrations.terminate("esc-1", "why")
    assert fake.requests == ["POST /durabletask/instances/esc-1/terminate"]


def test_the_sdk_keeps_its_transport_on_the_client() -> None:
    """The adapter guards the SDK's per-client request attributes (pins their presence)."""
    binding = {"taskHubName": "h", "creationUrls": {}, "managementUrls": {}, "rpcBaseUrl": "x/"}
    client = df.DurableOrchestrationClient(json.dumps(binding))
    for name in ("_post_async_request", "_get_async_request", "_delete_async_request"):
        assert getattr(client, name) is not None
    orchestrations = DurableOrchestrations(client)
    assert client._get_async_request is not http_utils.get_async_request
    assert orchestrations is not None
