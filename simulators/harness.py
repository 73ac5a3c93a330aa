"""Simulated providers for tests: the simulator on its own event loop in a background thread.

Tests run their SDK clients on their own loops; the simulator's loop lives in this thread so
that a hung or slow simulated request never blocks the code under test.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar

from shared.platform.config import STANDARD_SETTINGS, TierConfig, TierSettings, load_config
from simulators.faults import Fault, ProviderName
from simulators.hub import SimulatorHub
from simulators.pacing import Pacing
from simulators.state import RecordedRequest

_T = TypeVar("_T")
_CALL_TIMEOUT_S = 10.0


def tier_settings(names: TierSettings, url: str, key: str) -> dict[str, str]:
    """App settings that point one tier (by the setting names it reads) at ``url`` with ``key``."""
    return {names.endpoint: url, names.api_key: key}


_URL_OF_KIND = {
    "openai": "openai_base_url",
    "azure_openai": "azure_endpoint",
    "anthropic": "anthropic_base_url",
}


def app_settings(
    urls: Mapping[str, str], key: str, tiers: Iterable[TierConfig] | None = None
) -> dict[str, str]:
    """App settings that point every tier (default: the shipped chain's, and the standard
    names of each kind) at the simulator of its kind (``urls`` as the simulator process prints
    them, or :attr:`SimulatedProviders.urls`), with ``key`` as every key. Both Azure OpenAI
    tiers of the shipped chain reach the one Azure simulator; point one elsewhere with
    :func:`tier_settings`."""
    chain = load_config().failover.tiers if tiers is None else tiers
    pointed = [(kind, STANDARD_SETTINGS[kind]) for kind in _URL_OF_KIND]
    pointed += [(tier.kind, tier.settings) for tier in chain]
    settings: dict[str, str] = {"ASKEVE_SIMULATED_PROVIDERS": "true"}
    for kind, names in pointed:
        settings.update(tier_settings(names, urls[_URL_OF_KIND[kind]], key))
    return settings


class SimulatedProviders:
    """The three simulated providers, running until :meth:`stop` (or the end of a ``with``).

    ``pacing`` is the default pacing of every provider, or of each (see
    :mod:`simulators.pacing`; :data:`simulators.pacing.REALISTIC` is what ``make run`` uses);
    without it every answer is instant.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        ports: Mapping[ProviderName, int] | None = None,
        control_port: int | None = 0,
        pacing: Pacing | Mapping[ProviderName, Pacing] | None = None,
    ) -> None:
        self._hub = SimulatorHub(host, pacing=pacing)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="simulated-providers", daemon=True)
        self._thread.start()
        self._stopped = False
        try:
            self._call(self._hub.start(ports, control_port))
        except BaseException:
            self._shutdown_loop()
            raise

    @property
    def openai_base_url(self) -> str:
        """OpenAI base URL, ending in ``/v1``."""
        return self._hub.url("openai")

    @property
    def azure_endpoint(self) -> str:
        """Azure OpenAI resource endpoint (the SDK appends ``/openai/deployments/...``)."""
        return self._hub.url("azure_openai")

    @property
    def anthropic_base_url(self) -> str:
        """Anthropic base URL (the SDK appends ``/v1/messages``)."""
        return self._hub.url("anthropic")

    @property
    def urls(self) -> dict[str, str]:
        """The three base URLs, keyed as :func:`app_settings` reads them."""
        return {
            "openai_base_url": self.openai_base_url,
            "azure_endpoint": self.azure_endpoint,
            "anthropic_base_url": self.anthropic_base_url,
        }

    @property
    def control_url(self) -> str:
        """Root of the control API (``/_sim/...``), or empty when started without one."""
        return self._hub.control_url

    def port(self, provider: ProviderName) -> int:
        return self._hub.port(provider)

    def set_fault(self, provider: ProviderName, fault: Fault) -> None:
        """Inject ``fault`` into ``provider``, replacing (and releasing) any previous one."""
        self._call(self._hub.set_fault(provider, fault))

    def clear_fault(self, provider: ProviderName) -> None:
        """Let ``provider`` answer normally again."""
        self._call(self._hub.set_fault(provider, None))

    def set_pacing(self, pacing: Pacing, provider: ProviderName | None = None) -> None:
        """Make ``pacing`` the default of ``provider`` (None: of every provider)."""

        async def on_loop() -> None:
            self._hub.set_pacing(pacing, provider)

        self._call(on_loop())

    def pacing(self, provider: ProviderName) -> Pacing:
        """The default pacing of ``provider``."""
        return self._read(lambda: self._hub.pacing(provider))

    def clear(self) -> None:
        """Clear every fault, counter and recorded request (the pacing stays)."""
        self._call(self._hub.reset())

    def count(self, provider: ProviderName) -> int:
        """Requests ``provider`` has received, including faulted ones."""
        return self._read(lambda: self._hub.count(provider))

    def triage_count(self, provider: ProviderName) -> int:
        """Crisis-triage requests ``provider`` answered by the rule (counted in ``count`` too)."""
        return self._read(lambda: self._hub.triage_count(provider))

    def last_request(self, provider: ProviderName) -> dict[str, Any] | None:
        """The JSON body of the last request ``provider`` received."""
        recorded = self.last_recorded(provider)
        return None if recorded is None else recorded.body

    def last_recorded(self, provider: ProviderName) -> RecordedRequest | None:
        """Path, query, credential scheme and body of the last request ``provider`` received."""
        return self._read(lambda: self._hub.last(provider))

    def stats(self) -> dict[str, Any]:
        """Counters, faults and last requests of all providers (as the control API reports)."""
        return self._read(self._hub.stats)

    def stop(self) -> None:
        """Stop the servers and the thread. Safe to call twice."""
        if self._stopped:
            return
        try:
            self._call(self._hub.stop())
        finally:
            self._shutdown_loop()

    def __enter__(self) -> SimulatedProviders:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _call(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(_CALL_TIMEOUT_S)

    def _read(self, read: Callable[[], _T]) -> _T:
        async def on_loop() -> _T:
            return read()

        return self._call(on_loop())

    def _run(self) -> None:
        # The loop is finished off in its own thread, so stop() works from any thread, even
        # one that is running an event loop of its own (an async test).
        try:
            self._loop.run_forever()
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        finally:
            self._loop.close()

    def _shutdown_loop(self) -> None:
        self._stopped = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_CALL_TIMEOUT_S)
