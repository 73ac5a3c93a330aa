"""The simulator: three provider listeners and a control API, on one event loop.

Each provider has its own runner and port, so that "connection refused" is simulated by really
closing that provider's listener (and its idle keep-alive connections), and recovery by
reopening it on the same port.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from simulators.control import control_app
from simulators.endpoints import ProviderEndpoint
from simulators.faults import PROVIDERS, Fault, ProviderName
from simulators.pacing import INSTANT, Pacing
from simulators.state import ProviderState, RecordedRequest

# Hung requests are released before shutdown, so this bound is only a backstop.
_SHUTDOWN_TIMEOUT_S = 2.0


class SimulatorHub:
    """Starts, drives and stops the simulated providers. Use from the loop that started it."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        clock: Callable[[], float] = time.time,
        pacing: Pacing | Mapping[ProviderName, Pacing] | None = None,
    ) -> None:
        """``pacing``: every provider's default pacing, or each one's (missing: instant)."""
        self.host = host
        self._clock = clock
        self._states: dict[ProviderName, ProviderState] = {
            p: ProviderState(pacing=pacing_of(pacing, p)) for p in PROVIDERS
        }
        self._runners: dict[ProviderName, web.AppRunner] = {}
        self._sites: dict[ProviderName, web.TCPSite | None] = {}
        self._ports: dict[ProviderName, int] = {}
        self._control: web.AppRunner | None = None
        self._control_port = 0
        self._stopping = asyncio.Event()

    async def start(
        self, ports: Mapping[ProviderName, int] | None = None, control_port: int | None = 0
    ) -> None:
        """Listen on the given ports (0 or missing: a free port); ``control_port=None``: none."""
        ports = ports or {}
        try:
            for provider in PROVIDERS:
                endpoint = ProviderEndpoint(
                    provider, self._states[provider], self._stopping, self._clock
                )
                runner = web.AppRunner(
                    endpoint.app(), access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT_S
                )
                await runner.setup()
                self._runners[provider] = runner
                self._ports[provider] = ports.get(provider, 0)
                await self._open(provider)
            if control_port is not None:
                self._control = web.AppRunner(control_app(self), access_log=None)
                await self._control.setup()
                site = web.TCPSite(self._control, self.host, control_port)
                await site.start()
                self._control_port = site.port
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Release hung requests, close every listener and connection. Safe to call twice."""
        self._stopping.set()
        for state in self._states.values():
            state.release()
        runners = [*self._runners.values(), *([self._control] if self._control else [])]
        self._runners, self._sites, self._control = {}, {}, None
        for runner in runners:
            await runner.cleanup()

    def port(self, provider: ProviderName) -> int:
        return self._ports[provider]

    def url(self, provider: ProviderName) -> str:
        """The base URL an SDK is configured with for ``provider``."""
        root = f"http://{self.host}:{self._ports[provider]}"
        return f"{root}/v1" if provider == "openai" else root

    @property
    def control_url(self) -> str:
        return f"http://{self.host}:{self._control_port}" if self._control_port else ""

    def urls(self) -> dict[str, str]:
        return {
            "openai_base_url": self.url("openai"),
            "azure_endpoint": self.url("azure_openai"),
            "anthropic_base_url": self.url("anthropic"),
            "control_url": self.control_url,
        }

    async def set_fault(self, provider: ProviderName, fault: Fault | None) -> None:
        """Inject ``fault`` (None clears it); requests hung by the previous fault are released."""
        state = self._states[provider]
        was_refusing = state.refusing
        state.set_fault(fault)
        await self._follow_refusal(provider, was_refusing)

    def set_pacing(self, pacing: Pacing, provider: ProviderName | None = None) -> None:
        """Make ``pacing`` the default of ``provider`` (None: of every provider); answers
        already under way keep the pacing they started with."""
        for name in PROVIDERS if provider is None else (provider,):
            self._states[name].pacing = pacing

    def pacing(self, provider: ProviderName) -> Pacing:
        return self._states[provider].pacing

    async def reset(self) -> None:
        """Clear every fault, counter and recorded request (not the pacing)."""
        for provider, state in self._states.items():
            was_refusing = state.refusing
            state.reset()
            await self._follow_refusal(provider, was_refusing)

    def count(self, provider: ProviderName) -> int:
        return self._states[provider].requests

    def triage_count(self, provider: ProviderName) -> int:
        return self._states[provider].triage_requests

    def last(self, provider: ProviderName) -> RecordedRequest | None:
        return self._states[provider].last

    def stats(self) -> dict[str, Any]:
        return {provider: state.to_json() for provider, state in self._states.items()}

    async def _follow_refusal(self, provider: ProviderName, was_refusing: bool) -> None:
        refusing = self._states[provider].refusing
        if refusing and not was_refusing:
            await self._close(provider)
        elif was_refusing and not refusing:
            await self._open(provider)

    async def _open(self, provider: ProviderName) -> None:
        site = web.TCPSite(self._runners[provider], self.host, self._ports[provider])
        await site.start()
        self._sites[provider] = site
        self._ports[provider] = site.port

    async def _close(self, provider: ProviderName) -> None:
        site = self._sites.pop(provider, None)
        if site is not None:
            await site.stop()
        server = self._runners[provider].server
        # A down server drops its connections too; a pooled keep-alive connection would otherwise
        # stay open (close() only ends aiohttp's idle task, not the socket) and time out instead.
        for connection in server.connections if server is not None else ():
            connection.force_close()


def pacing_of(
    pacing: Pacing | Mapping[ProviderName, Pacing] | None, provider: ProviderName
) -> Pacing:
    """One provider's pacing from a shared pacing, a per-provider mapping, or None (instant)."""
    if pacing is None:
        return INSTANT
    if isinstance(pacing, Pacing):
        return pacing
    return pacing.get(provider, INSTANT)
