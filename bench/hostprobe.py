"""The dev host with CPU accounting, for the benchmark only (never deployed, never in tests).

    python -m bench.hostprobe [--no-ledger] [--max-finished N] [--sdk-as-shipped] -- [args]

It wraps, from outside, the points where the dev host hands control to the app, and adds up
the CPU time (``time.thread_time``, so waiting costs nothing) spent in each:

- ``http:<function>``: an HTTP trigger's coroutine steps (parse, crisis check, plan, start,
  reply), **including** the status polls it makes, which are also counted on their own as
  ``poll`` (the client side of ``get_status``) and ``start`` (``start_new``);
- ``activity:<name>``: an activity (coroutine steps, or the whole call on its worker thread);
- ``replay``: each call of the SDK's orchestrator handle (one per episode: the SDK's replay of
  the whole history plus our generator), with ``episodes`` counting them.

Work the event loop does outside these (the aiohttp server, the dev host's Durable emulation,
socket callbacks) is not attributed; the benchmark reports the whole process's CPU beside it.
``GET /stats`` (the ledger, and whether the app's Durable SDK fast path is installed) and
``POST /reset`` on a loopback port printed as ``{"probe_url": ...}``. ``--sdk-as-shipped`` runs
the app with that fast path taken out (see :func:`sdk_as_shipped`).
"""

from __future__ import annotations

import argparse
import http.server
import inspect
import json
import socket
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Generator, Mapping
from concurrent.futures import Executor
from typing import Any


class Ledger:
    """CPU seconds and call counts per bucket; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.cpu: defaultdict[str, float] = defaultdict(float)
        self.calls: defaultdict[str, int] = defaultdict(int)

    def add(self, bucket: str, seconds: float, calls: int = 1) -> None:
        with self._lock:
            self.cpu[bucket] += seconds
            self.calls[bucket] += calls

    def reset(self) -> None:
        with self._lock:
            self.cpu.clear()
            self.calls.clear()

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "cpu_ms": {k: v * 1000.0 for k, v in self.cpu.items()},
                "calls": dict(self.calls),
            }


LEDGER = Ledger()


class CpuTimed:
    """Await ``coroutine`` while adding the CPU time of each of its steps to ``bucket``."""

    def __init__(self, coroutine: Any, bucket: str) -> None:
        self._coroutine = coroutine
        self._bucket = bucket

    def __await__(self) -> Generator[Any, Any, Any]:
        steps = self._coroutine.__await__()
        spent = 0.0
        send: Any = None
        error: BaseException | None = None
        try:
            while True:
                started = time.thread_time()
                try:
                    yielded = steps.throw(error) if error is not None else steps.send(send)
                except StopIteration as done:
                    spent += time.thread_time() - started
                    return done.value
                spent += time.thread_time() - started
                error = None
                try:
                    send = yield yielded
                except BaseException as exc:  # noqa: BLE001 - handed back to the coroutine
                    error = exc
        finally:
            LEDGER.add(self._bucket, spent)


def _timed_sync(handler: Callable[..., Any], bucket: str) -> Callable[..., Any]:
    def run(**kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return handler(**kwargs)
        finally:
            LEDGER.add(bucket, time.thread_time() - started)

    return run


def sdk_as_shipped() -> None:
    """Run the app on the Durable SDK as shipped, for the benchmark's side-by-side rows.

    The app installs its SDK fast path (orchestrators.sdk_fastpath) when the ``orchestrators``
    package is first imported; importing it here and uninstalling keeps it out, because the
    package is not imported again when the dev host loads the app.
    """
    from orchestrators import sdk_fastpath  # noqa: PLC0415 - installs, then taken out

    sdk_fastpath.uninstall()


def sdk_fast_path_state() -> bool | None:
    """Whether the app's SDK fast path is in place (None before the app is imported)."""
    module = sys.modules.get("orchestrators.sdk_fastpath")
    return None if module is None else bool(module.installed())


def bound_instances(max_finished: int) -> None:
    """Bound the dev host's in-memory instance store so a soak reaches its steady state."""
    from devhost.durable import DurableEngine  # noqa: PLC0415

    defaults = dict(DurableEngine.__init__.__kwdefaults__ or {})
    defaults["max_finished"] = max_finished
    DurableEngine.__init__.__kwdefaults__ = defaults


def install() -> None:
    """Wrap the dev host's hand-over points (import-time patching of this process only)."""
    from api import durable as api_durable  # noqa: PLC0415
    from devhost import host as devhost_host  # noqa: PLC0415
    from devhost import invocation, orchestration  # noqa: PLC0415

    names: dict[int, str] = {}
    build_index = getattr(devhost_host, "build_index")  # noqa: B009 - not re-exported

    def indexed(functions: tuple[Any, ...], settings: Mapping[str, str]) -> Any:
        index = build_index(functions, settings)
        for fn in index.http:
            names[id(fn.info.handler)] = f"http:{fn.info.name}"
        for name, act in index.activities.items():
            names[id(act.info.handler)] = f"activity:{name}"
        return index

    setattr(devhost_host, "build_index", indexed)  # noqa: B010 - not re-exported

    call = invocation.call

    async def timed_call(
        handler: Callable[..., Any], kwargs: Mapping[str, Any], executor: Executor
    ) -> Any:
        bucket = names.get(id(handler))
        if bucket is None:
            return await call(handler, kwargs, executor)
        if inspect.iscoroutinefunction(handler):
            return await CpuTimed(handler(**kwargs), bucket)
        return await call(_timed_sync(handler, bucket), kwargs, executor)

    invocation.call = timed_call

    run_handle = getattr(orchestration, "run_handle")  # noqa: B009 - not re-exported

    def timed_run_handle(handle: Callable[[Any], Any], context_json: str) -> Any:
        def timed(context: Any) -> Any:
            started = time.thread_time()
            try:
                return handle(context)
            finally:
                LEDGER.add("replay", time.thread_time() - started)

        return run_handle(timed, context_json)

    setattr(orchestration, "run_handle", timed_run_handle)  # noqa: B010 - not re-exported

    cls = api_durable.DurableOrchestrations
    poll, start = cls.poll, cls.start

    async def timed_poll(self: Any, instance_id: str) -> Any:
        return await CpuTimed(poll(self, instance_id), "poll")

    async def timed_start(self: Any, *args: Any, **kwargs: Any) -> Any:
        return await CpuTimed(start(self, *args, **kwargs), "start")

    cls.poll = timed_poll  # type: ignore[method-assign]
    cls.start = timed_start  # type: ignore[method-assign]


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._answer({**LEDGER.to_json(), "sdk_fast_path": sdk_fast_path_state()})

    def do_POST(self) -> None:
        LEDGER.reset()
        self._answer({"reset": True})

    def _answer(self, data: dict[str, Any]) -> None:
        body = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def serve_ledger() -> str:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    threading.Thread(target=server.serve_forever, name="probe-ledger", daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hostprobe")
    parser.add_argument("--no-ledger", action="store_true", help="no CPU accounting")
    parser.add_argument("--max-finished", type=int, default=None)
    parser.add_argument("--sdk-as-shipped", action="store_true", help="see sdk_as_shipped")
    parser.add_argument("devhost_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    rest = [a for a in args.devhost_args if a != "--"]
    if not args.no_ledger:
        install()
    if args.max_finished is not None:
        bound_instances(args.max_finished)
    if args.sdk_as_shipped:
        sdk_as_shipped()
    print(json.dumps({"probe_url": serve_ledger()}), flush=True)
    from devhost.__main__ import main as devhost_main  # noqa: PLC0415

    return devhost_main(rest)


if __name__ == "__main__":
    sys.exit(main())
