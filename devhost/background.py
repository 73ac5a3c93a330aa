"""Run a dev host on a thread of its own, with its own event loop (for tests and tools)::

with running_devhost("tests.devhost.toy_app:app") as host:
    httpx.get(f"{host.base_url}/api/hello", headers={"x-functions-key": host.function_key})
    host.run_timer("cleanup")
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

from devhost import loader
from devhost.host import DevHost

T = TypeVar("T")

_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 30.0


class RunningDevHost:
    """A started :class:`DevHost` on a background thread; its methods are thread-safe."""

    def __init__(self, host: DevHost) -> None:
        self.host = host
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="devhost", daemon=True)

    @property
    def base_url(self) -> str:
        """``http://host:port``."""
        return self.host.base_url

    @property
    def function_key(self) -> str:
        """The function key."""
        return self.host.function_key

    @property
    def admin_key(self) -> str:
        """The admin key."""
        return self.host.admin_key

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coroutine`` on the host's loop and wait for its result."""
        if self._loop is None:
            coroutine.close()
            raise RuntimeError("the dev host is not running")
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout)

    def run_timer(self, name: str, timeout: float | None = 30.0) -> None:
        """Run timer function ``name`` now and wait for it; its exception propagates."""
        self.call(self.host.run_timer(name), timeout)

    def start(self) -> None:
        """Start the thread and wait until the host listens (or raise why it could not)."""
        self._thread.start()
        if not self._started.wait(_START_TIMEOUT_S):
            raise TimeoutError("the dev host did not start in time")
        if self._failure is not None:
            self._thread.join(_STOP_TIMEOUT_S)
            raise self._failure

    def stop(self) -> None:
        """Stop the host cleanly and join its thread."""
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(_STOP_TIMEOUT_S)
        if self._thread.is_alive():
            raise TimeoutError("the dev host did not stop in time")
        if self._failure is not None:
            raise self._failure

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that waits
            self._failure = exc
        finally:
            self._loop = None
            self._started.set()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        await self.host.start()  # on failure, _main records why and then wakes start()
        self._loop = asyncio.get_running_loop()
        self._started.set()
        try:
            await self._stop.wait()
        finally:
            await self.host.stop()


@contextmanager
def running_devhost(
    app_spec: str = loader.DEFAULT_APP_SPEC,
    host: str = "127.0.0.1",
    port: int = 0,
    settings: Mapping[str, str] | None = None,
) -> Iterator[RunningDevHost]:
    """A dev host serving ``app_spec`` on a background thread, stopped on exit."""
    running = RunningDevHost(DevHost(app_spec, host, port, settings))
    running.start()
    try:
        yield running
    finally:
        running.stop()
