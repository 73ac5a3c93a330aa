"""The dev host: serves one Functions app's HTTP triggers, timers, queues and orchestrations.

It indexes ``app.get_functions()`` once, then serves on one aiohttp server:

- ``/<route prefix>/...``: the HTTP triggers (keys enforced)
- ``POST /admin/functions/{name}``: run a timer function now (admin key), as in Azure
- ``/runtime/webhooks/durabletask/...``: the Durable HTTP API (system or admin key)

and the same Durable API, keyless, on a second loopback-only listener (the SDK's RPC
endpoint). :meth:`DevHost.start` and :meth:`DevHost.stop` run on the caller's event loop;
``devhost.background.running_devhost`` runs a host on a thread of its own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from aiohttp import web
from azure.functions.queue import QueueMessage
from azure.functions.timer import TimerRequest

from devhost import invocation, loader, responses
from devhost.auth import AuthLevel, HostKeys, presented_key
from devhost.clock import Clock, utc_now
from devhost.durable import DurableEngine
from devhost.durable_api import RPC_PATH, WEBHOOK_PATH, BindingUrls, DurableApi
from devhost.hostjson import read_host_json
from devhost.http_triggers import HttpTriggers
from devhost.index import FunctionIndex, QueueFunction, TimerFunction, build_index
from devhost.queues import QueueService
from devhost.timers import TimerService

logger = logging.getLogger(__name__)

_MAX_BODY_BYTES = 100 * 1024 * 1024  # Azure's request size limit
_THREAD_COUNT_SETTING = "PYTHON_THREADPOOL_THREAD_COUNT"
# Host names compared against a configured bind address; nothing binds to them here.
_WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104  # nosec B104


@dataclass(slots=True)
class _Running:
    """What exists only while the host is started."""

    executor: ThreadPoolExecutor
    engine: DurableEngine
    timers: TimerService
    queues: QueueService
    main_runner: web.AppRunner
    rpc_runner: web.AppRunner
    port: int


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
    ) -> None:
        """Import and index the app. ``settings`` overlay the environment for the host's
        own use (keys, disabled flags, ``%NAME%`` references); they are not exported to the
        app's ``os.environ``. The route prefix and task hub come from the app's ``host.json``
        unless ``route_prefix`` is given.
        """
        self._settings = {**os.environ, **(settings or {})}
        config = read_host_json(loader.app_directory(app_spec), self._settings)
        self._task_hub = config.task_hub
        self._queue_options = config.queues
        prefix = (config.route_prefix if route_prefix is None else route_prefix).strip("/")
        self._keys = HostKeys.from_settings(self._settings)
        self.index: FunctionIndex = build_index(
            loader.registered_functions(loader.load_app(app_spec)), self._settings
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
        try:
            rpc_socket = socket.create_server(("127.0.0.1", 0))
        except OSError:
            main_socket.close()
            raise
        executor = ThreadPoolExecutor(
            max_workers=_thread_count(self._settings), thread_name_prefix="devhost-worker"
        )
        runners: list[web.AppRunner] = []
        try:
            self._running = await self._serve(main_socket, rpc_socket, executor, runners)
        except BaseException:
            for runner in reversed(runners):
                await runner.cleanup()
            main_socket.close()
            rpc_socket.close()
            executor.shutdown(wait=False, cancel_futures=True)
            raise
        self._running.timers.start()
        self._running.queues.start()
        logger.info(
            "dev host serving %d HTTP, %d timer, %d queue, %d orchestrator, %d activity functions",
            len(self.index.http),
            len(self.index.timers),
            len(self.index.queues),
            len(self.index.orchestrators),
            len(self.index.activities),
        )

    async def _serve(
        self,
        main_socket: socket.socket,
        rpc_socket: socket.socket,
        executor: ThreadPoolExecutor,
        runners: list[web.AppRunner],
    ) -> _Running:
        port = int(main_socket.getsockname()[1])
        urls = BindingUrls(
            public_base=f"http://{_url_host(self._bind_host)}:{port}",
            rpc_base=f"http://127.0.0.1:{rpc_socket.getsockname()[1]}",
            system_key=self._keys.system_key,
            task_hub=self._task_hub,
        )
        client_binding = urls.client_binding()
        engine = DurableEngine(
            self.index.orchestrators,
            self.index.activities,
            executor,
            clock=self._clock,
            client_binding=client_binding,
        )
        api = DurableApi(engine, urls, self._clock)
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
            return self._admin_invoke(request, timers)

        async def dispatch(request: web.Request) -> web.StreamResponse:
            path = request.path
            prefix = self._route_prefix
            if not prefix or path == prefix or path.startswith(prefix + "/"):
                return await http.handle(request, path[len(prefix) :])
            return responses.not_found()

        main_app = web.Application(client_max_size=_MAX_BODY_BYTES)
        main_app.add_routes(api.routes(WEBHOOK_PATH, guard=self._system_guard))
        main_app.router.add_route("*", "/admin/functions/{name}", admin_invoke)
        main_app.router.add_route("*", "/{tail:[\\s\\S]*}", dispatch)  # any path, newlines too
        rpc_app = web.Application(client_max_size=_MAX_BODY_BYTES)
        rpc_app.add_routes(api.routes(RPC_PATH))
        for app, sock in ((rpc_app, rpc_socket), (main_app, main_socket)):
            # No access log: URLs carry keys (?code=) and instance ids.
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=self._grace_s)
            runners.append(runner)
            await runner.setup()
            await web.SockSite(runner, sock).start()
        rpc_runner, main_runner = runners
        return _Running(executor, engine, timers, queues, main_runner, rpc_runner, port)

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
        await running.engine.close()
        await _close_sdk_client_session()
        await running.rpc_runner.cleanup()
        # A synchronous function still running cannot be interrupted; do not wait for it.
        running.executor.shutdown(wait=False, cancel_futures=True)

    async def run_timer(self, name: str) -> None:
        """Run timer function ``name`` now (even if disabled) and wait for it to finish."""
        await self._require_running().timers.run_now(name)

    def _admin_invoke(self, request: web.Request, timers: TimerService) -> web.StreamResponse:
        if request.method != "POST":
            return responses.method_not_allowed(frozenset({"POST"}))
        if not self._keys.allows(AuthLevel.ADMIN, presented_key(request.headers, request.query)):
            return responses.unauthorized()
        name = request.match_info["name"]
        if timers.has(name):
            timers.trigger(name)
            return web.Response(status=202)
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
