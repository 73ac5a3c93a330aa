"""The dev host: serves one Functions app's HTTP triggers, timers, queues and orchestrations.

It indexes ``app.get_functions()`` once, then serves on one aiohttp server:

- ``/<route prefix>/...``: the HTTP triggers (keys enforced)
- ``POST /admin/functions/{name}``: run a timer function now (admin key), as in Azure
- ``/runtime/webhooks/durabletask/...``: the Durable HTTP API (system or admin key)

and the same Durable API, keyless, on a second loopback-only listener (the SDK's RPC
endpoint). :meth:`DevHost.start` and :meth:`DevHost.stop` run on the caller's event loop;
``devhost.background.running_devhost`` runs a host on a thread of its own.

Given a :class:`~devhost.topology.Placement`, a host serves only some function groups (one
process of the Flex topology, see ``devhost.processes``): without the ``durable`` group it
has no engine, its durable client binding points at the Durable process's URLs, and it
forwards the Durable HTTP API and ``POST /admin/functions/{name}`` for a function of another
group to the process that owns it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

import aiohttp
from aiohttp import web
from azure.functions.queue import QueueMessage
from azure.functions.timer import TimerRequest

from devhost import invocation, loader, responses
from devhost.auth import AuthLevel, HostKeys, presented_key
from devhost.clock import Clock, utc_now
from devhost.durable import DurableEngine
from devhost.durable_api import RPC_PATH, WEBHOOK_PATH, BackendFault, BindingUrls, DurableApi
from devhost.hostjson import read_host_json
from devhost.http_triggers import HttpTriggers
from devhost.index import FunctionIndex, QueueFunction, TimerFunction, build_index
from devhost.queues import QueueService
from devhost.timers import TimerService
from devhost.topology import (
    DURABLE_GROUP,
    HTTP_GROUP,
    Placement,
    function_groups,
    hop_delay_s,
    max_payload_bytes,
)

logger = logging.getLogger(__name__)

_MAX_BODY_BYTES = 100 * 1024 * 1024  # Azure's request size limit
_THREAD_COUNT_SETTING = "PYTHON_THREADPOOL_THREAD_COUNT"
# Hop-by-hop headers, and those aiohttp sets itself, are not copied when forwarding.
_NOT_FORWARDED = frozenset(
    {"host", "connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"}
)
# Host names compared against a configured bind address; nothing binds to them here.
_WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104  # nosec B104


@dataclass(slots=True)
class _Running:
    """What exists only while the host is started."""

    executor: ThreadPoolExecutor
    engine: DurableEngine | None
    timers: TimerService
    queues: QueueService
    main_runner: web.AppRunner
    rpc_runner: web.AppRunner | None
    port: int
    forwarder: aiohttp.ClientSession | None


class DevHost:
    """One Functions app, served locally. Not thread-safe: use it from one event loop."""

    def __init__(
        self,
        app_spec: str = loader.DEFAULT_APP_SPEC,
        host: str = "127.0.0.1",
        port: int = 0,
        settings: Mapping[str, str] | None = None,
        *,
        route_prefix: str | None = None,
        clock: Clock = utc_now,
        shutdown_grace_s: float = 2.0,
        placement: Placement | None = None,
    ) -> None:
        """Import and index the app. ``settings`` overlay the environment for the host's
        own use (keys, disabled flags, ``%NAME%`` references); they are not exported to the
        app's ``os.environ``. The route prefix and task hub come from the app's ``host.json``
        unless ``route_prefix`` is given. ``placement`` limits the host to some function
        groups (default: all of them, in this one process).
        """
        self._settings = {**os.environ, **(settings or {})}
        config = read_host_json(loader.app_directory(app_spec), self._settings)
        self._task_hub = config.task_hub
        self._default_version = config.default_version
        self._queue_options = config.queues
        prefix = (config.route_prefix if route_prefix is None else route_prefix).strip("/")
        self._keys = HostKeys.from_settings(self._settings)
        self._hop_s = hop_delay_s(self._settings)
        self.placement = placement or Placement()
        functions = loader.registered_functions(loader.load_app(app_spec))
        self.groups = function_groups(functions)
        self.index: FunctionIndex = _served_only(
            build_index(functions, self._settings), self.placement, self.groups
        )
        for skipped in self.index.skipped:
            logger.warning("function %s is not served: %s", skipped.name, skipped.reason)
        self._bind_host = host
        self._requested_port = port
        self._route_prefix = f"/{prefix}" if prefix else ""
        self._clock = clock
        self._grace_s = shutdown_grace_s
        self._running: _Running | None = None

    @property
    def function_key(self) -> str:
        """The function key (``DEVHOST_FUNCTION_KEY``, else generated)."""
        return self._keys.function_key

    @property
    def admin_key(self) -> str:
        """The admin (master) key (``DEVHOST_ADMIN_KEY``, else generated)."""
        return self._keys.admin_key

    @property
    def system_key(self) -> str:
        """The Durable extension's system key (``DEVHOST_SYSTEM_KEY``, else generated)."""
        return self._keys.system_key

    @property
    def port(self) -> int:
        """The port the host listens on (known once started)."""
        return self._require_running().port

    @property
    def base_url(self) -> str:
        """``http://host:port``, for clients of this host."""
        return f"http://{_url_host(self._bind_host)}:{self.port}"

    async def start(self) -> None:
        """Bind the listeners and start the timers."""
        if self._running is not None:
            raise RuntimeError("the dev host is already started")
        main_socket = socket.create_server((self._bind_host, self._requested_port))
        rpc_socket: socket.socket | None = None
        if self.placement.has_engine:
            try:
                rpc_socket = socket.create_server(("127.0.0.1", self.placement.rpc_port))
            except OSError:
                main_socket.close()
                raise
        executor = ThreadPoolExecutor(
            max_workers=_thread_count(self._settings), thread_name_prefix="devhost-worker"
        )
        runners: list[web.AppRunner] = []
        # Only a process of the Flex topology forwards calls to the others.
        forwarder = None if self.placement.served is None else aiohttp.ClientSession()
        try:
            self._running = await self._serve(main_socket, rpc_socket, executor, runners, forwarder)
        except BaseException:
            if forwarder is not None:
                await forwarder.close()
            for runner in reversed(runners):
                await runner.cleanup()
            main_socket.close()
            if rpc_socket is not None:
                rpc_socket.close()
            executor.shutdown(wait=False, cancel_futures=True)
            raise
        self._running.timers.start()
        self._running.queues.start()
        logger.info(
            "dev host (pid %d) serving %d HTTP, %d timer, %d queue, %d orchestrator, %d activity "
            "functions",
            os.getpid(),
            len(self.index.http),
            len(self.index.timers),
            len(self.index.queues),
            len(self.index.orchestrators),
            len(self.index.activities),
        )

    async def _serve(
        self,
        main_socket: socket.socket,
        rpc_socket: socket.socket | None,
        executor: ThreadPoolExecutor,
        runners: list[web.AppRunner],
        forwarder: aiohttp.ClientSession | None,
    ) -> _Running:
        port = int(main_socket.getsockname()[1])
        placement = self.placement
        if rpc_socket is not None:
            urls = BindingUrls(
                public_base=placement.public_url or f"http://{_url_host(self._bind_host)}:{port}",
                rpc_base=f"http://127.0.0.1:{rpc_socket.getsockname()[1]}",
                system_key=self._keys.system_key,
                task_hub=self._task_hub,
            )
        else:  # the engine is in the Durable process: reach it as the SDK reaches the extension
            urls = BindingUrls(
                public_base=placement.public_url or placement.peers[DURABLE_GROUP],
                rpc_base=str(placement.durable_rpc),
                system_key=self._keys.system_key,
                task_hub=self._task_hub,
            )
        client_binding = urls.client_binding()
        engine: DurableEngine | None = None
        if rpc_socket is not None:
            engine = DurableEngine(
                self.index.orchestrators,
                self.index.activities,
                executor,
                clock=self._clock,
                client_binding=client_binding,
                default_version=self._default_version,
                hop_delay_s=self._hop_s,
            )
        http = HttpTriggers(self.index.http, self._keys, executor, client_binding)

        async def run_timer(function: TimerFunction, request: TimerRequest) -> None:
            client = client_binding if function.info.client_args else None
            kwargs = invocation.arguments(function.info, request, client)
            await invocation.call(function.info.handler, kwargs, executor)

        timers = TimerService(self.index.timers, run_timer, clock=self._clock)

        async def run_queue(function: QueueFunction, message: QueueMessage) -> None:
            client = client_binding if function.info.client_args else None
            kwargs = invocation.arguments(function.info, message, client)
            await invocation.call(function.info.handler, kwargs, executor)

        queues = QueueService(self.index.queues, self._queue_options, self._settings, run_queue)

        async def admin_invoke(request: web.Request) -> web.StreamResponse:
            return await self._admin_invoke(request, timers, forwarder)

        async def dispatch(request: web.Request) -> web.StreamResponse:
            path = request.path
            prefix = self._route_prefix
            if not prefix or path == prefix or path.startswith(prefix + "/"):
                return await http.handle(request, path[len(prefix) :])
            return responses.not_found()

        async def to_durable(request: web.Request) -> web.StreamResponse:
            # The public Durable HTTP API, answered by the process that holds the engine.
            assert forwarder is not None  # noqa: S101 - only without the engine, so forwarding
            return await _forward(forwarder, request, placement.peers[DURABLE_GROUP])

        main_app = web.Application(client_max_size=_MAX_BODY_BYTES)
        api = (
            None
            if engine is None
            else DurableApi(
                engine,
                urls,
                self._clock,
                BackendFault.from_settings(self._settings),
                max_payload_bytes(self._settings),
            )
        )
        if api is not None:
            main_app.add_routes(api.routes(WEBHOOK_PATH, guard=self._system_guard))
        else:
            main_app.router.add_route("*", WEBHOOK_PATH + "{tail:(/[\\s\\S]*)?}", to_durable)
        main_app.router.add_route("*", "/admin/functions/{name}", admin_invoke)
        main_app.router.add_route("*", "/{tail:[\\s\\S]*}", dispatch)  # any path, newlines too
        rpc_runner: web.AppRunner | None = None
        if api is not None and rpc_socket is not None:
            rpc_app = web.Application(client_max_size=_MAX_BODY_BYTES)
            rpc_app.add_routes(api.routes(RPC_PATH))
            rpc_runner = await self._listen(rpc_app, rpc_socket, runners)
        main_runner = await self._listen(main_app, main_socket, runners)
        return _Running(executor, engine, timers, queues, main_runner, rpc_runner, port, forwarder)

    async def _listen(
        self, app: web.Application, sock: socket.socket, runners: list[web.AppRunner]
    ) -> web.AppRunner:
        # No access log: URLs carry keys (?code=) and instance ids.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=self._grace_s)
        runners.append(runner)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        return runner

    async def stop(self) -> None:
        """Stop timers, answer or cancel requests in flight, cancel activities and durable
        timers, close the listeners and the thread pool."""
        running = self._running
        if running is None:
            return
        self._running = None
        await running.timers.stop()
        await running.queues.stop()
        # Requests in flight get the grace period; they may still poll the RPC listener.
        await running.main_runner.cleanup()
        if running.engine is not None:
            await running.engine.close()
        await _close_sdk_client_session()
        if running.rpc_runner is not None:
            await running.rpc_runner.cleanup()
        if running.forwarder is not None:
            await running.forwarder.close()
        # A synchronous function still running cannot be interrupted; do not wait for it.
        running.executor.shutdown(wait=False, cancel_futures=True)

    async def run_timer(self, name: str) -> None:
        """Run timer function ``name`` now (even if disabled) and wait for it to finish."""
        await self._require_running().timers.run_now(name)

    async def _admin_invoke(
        self,
        request: web.Request,
        timers: TimerService,
        forwarder: aiohttp.ClientSession | None,
    ) -> web.StreamResponse:
        if request.method != "POST":
            return responses.method_not_allowed(frozenset({"POST"}))
        if not self._keys.allows(AuthLevel.ADMIN, presented_key(request.headers, request.query)):
            return responses.unauthorized()
        name = request.match_info["name"]
        if timers.has(name):
            timers.trigger(name)
            return web.Response(status=202)
        owner = self.placement.peer(self.groups.get(name.lower(), ""))
        if owner is not None and forwarder is not None:
            return await _forward(forwarder, request, owner)
        if self.index.find(name) is None:
            return responses.not_found("No function has this name.")
        return responses.error_response(
            400, "not_supported", "The dev host runs only timer functions on demand."
        )

    def _system_guard(self, request: web.Request) -> web.StreamResponse | None:
        if self._keys.allows_system(presented_key(request.headers, request.query)):
            return None
        return responses.unauthorized()

    def _require_running(self) -> _Running:
        if self._running is None:
            raise RuntimeError("the dev host is not started")
        return self._running


_F = TypeVar("_F", TimerFunction, QueueFunction)


def _served_only(
    index: FunctionIndex, placement: Placement, groups: Mapping[str, str]
) -> FunctionIndex:
    """The part of ``index`` whose groups this process serves."""
    if placement.served is None:
        return index

    def own(functions: Mapping[str, _F]) -> Mapping[str, _F]:
        return MappingProxyType(
            {
                name: fn
                for name, fn in functions.items()
                if placement.serves(groups[fn.info.name.lower()])
            }
        )

    durable = placement.serves(DURABLE_GROUP)
    return FunctionIndex(
        http=index.http if placement.serves(HTTP_GROUP) else (),
        timers=own(index.timers),
        orchestrators=index.orchestrators if durable else MappingProxyType({}),
        activities=index.activities if durable else MappingProxyType({}),
        skipped=index.skipped,
        queues=own(index.queues),
    )


async def _forward(
    session: aiohttp.ClientSession, request: web.Request, base_url: str
) -> web.Response:
    """Send ``request`` on to the process at ``base_url`` and answer with its reply."""
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED}
    try:
        async with session.request(
            request.method,
            f"{base_url}{request.rel_url}",
            data=await request.read(),
            headers=headers,
            allow_redirects=False,
        ) as reply:
            body = await reply.read()
            kept = {k: v for k, v in reply.headers.items() if k.lower() not in _NOT_FORWARDED}
            return web.Response(status=reply.status, body=body, headers=kept)
    except aiohttp.ClientError as exc:
        logger.warning("forwarding to another group's process failed: %s", type(exc).__name__)
        return responses.error_response(
            502, "bad_gateway", "The process that serves this function is not reachable."
        )


async def _close_sdk_client_session() -> None:
    # The SDK's client keeps one module-wide aiohttp session and offers no shutdown hook.
    # Close it if it belongs to this loop, so no "unclosed session" warning follows and a
    # later host (on another loop) gets a fresh one.
    from azure.durable_functions.models.utils import http_utils  # noqa: PLC0415 - lazy, SDK internals

    session = http_utils._client_session
    if session is None or session.closed:
        return
    if getattr(session, "_loop", None) is asyncio.get_running_loop():
        await http_utils._close_session()


def _url_host(bind_host: str) -> str:
    host = "127.0.0.1" if bind_host in _WILDCARD_HOSTS else bind_host
    return f"[{host}]" if ":" in host else host


def _thread_count(settings: Mapping[str, str]) -> int | None:
    raw = settings.get(_THREAD_COUNT_SETTING, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{_THREAD_COUNT_SETTING} must be a positive whole number, got {raw!r}")
    return int(raw)
