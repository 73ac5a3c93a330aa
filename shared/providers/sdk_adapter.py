"""What every SDK adapter does around the call itself.

It skips an unconfigured tier, bounds and times the call, reuses a client per event loop and
turns anything raised into an outcome, so a concrete adapter only builds its client and makes
one streamed request (read within its deadlines by :mod:`shared.providers.streams`).
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import replace
from typing import Generic

from shared.models import Outcome, ProviderRequest, ProviderResult
from shared.platform import TierConfig
from shared.providers.loops import ClientT, PerLoop, Session
from shared.providers.sdk_errors import SdkErrors, result_for_exception
from shared.providers.structured import StructuredCall, StructuredReply

Clock = Callable[[], float]
# Past the stream's own deadlines, time to close the stream; the outer bound is a backstop.
CLOSE_GRACE_S = 0.5


class SdkProvider(ABC, Generic[ClientT]):
    """A :class:`~shared.providers.base.Provider` backed by one SDK client per event loop."""

    def __init__(
        self,
        tier: TierConfig,
        *,
        clock: Clock = time.perf_counter,
        wall_clock: Clock = time.time,
    ) -> None:
        self.tier = tier
        self._clock = clock
        self._wall_clock = wall_clock
        self._clients: PerLoop[ClientT] = PerLoop(self._open)

    @property
    def name(self) -> str:
        return self.tier.name

    @property
    def configured(self) -> bool:
        return not self._missing()

    async def complete(self, request: ProviderRequest) -> ProviderResult:
        """Call the provider once, streaming, with no retries, within the request's first-token,
        stall and total times."""
        missing = self._missing()
        if missing:
            return ProviderResult(Outcome.NOT_CONFIGURED, detail=f"missing {missing}")
        if request.timeout_s <= 0:
            return ProviderResult(Outcome.TIMEOUT, detail="no time left")
        started = self._clock()
        try:
            # Built outside the bound: the first use imports the SDK, which blocks the loop and
            # would otherwise be billed to the provider as a timeout.
            client = self._clients.get()
            # The adapter enforces the stream deadlines; this bounds anything else it awaits.
            async with asyncio.timeout(request.timeout_s + CLOSE_GRACE_S):
                result = await self._call(client, request)
        except TimeoutError:
            result = ProviderResult(Outcome.TIMEOUT, detail="deadline")
        except Exception as exc:  # noqa: BLE001 - an adapter never raises (cancellation still does)
            result = result_for_exception(exc, self._errors_or_none(), now=self._wall_clock())
        return replace(result, ms=(self._clock() - started) * 1000.0)

    async def structured(self, call: StructuredCall) -> StructuredReply:
        """One non-streamed call held to ``call.schema``, within ``call.timeout_s``, with no
        retries, on this tier's client; the payload is returned unvalidated. Never raises for
        provider trouble (cancellation still does)."""
        missing = self._missing()
        if missing:
            return StructuredReply(Outcome.NOT_CONFIGURED)
        try:
            client = self._clients.get()  # built outside the bound, as in complete()
            async with asyncio.timeout(call.timeout_s + CLOSE_GRACE_S):
                return await self._structured(client, call)
        except TimeoutError:
            return StructuredReply(Outcome.TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - an adapter never raises
            result = result_for_exception(exc, self._errors_or_none(), now=self._wall_clock())
            return StructuredReply(result.outcome, retry_after_s=result.retry_after_s)

    def preload(self) -> None:
        """Import the SDK now (e.g. at worker start-up) so that no request pays for it."""
        self._errors_or_none()

    async def aclose(self) -> None:
        """Close the client of the running event loop (a no-op if none was built)."""
        await self._clients.aclose()

    def _errors_or_none(self) -> SdkErrors | None:
        try:
            return self._errors()
        except ImportError:
            return None

    @abstractmethod
    def _missing(self) -> str:
        """The names of missing settings, comma-separated; empty when configured."""

    @abstractmethod
    def _open(self) -> Session[ClientT]:
        """Build a client (with ``max_retries=0``) for the running loop."""

    @abstractmethod
    def _errors(self) -> SdkErrors:
        """The SDK's exception classes (importing the SDK)."""

    @abstractmethod
    async def _structured(self, client: ClientT, call: StructuredCall) -> StructuredReply:
        """Make exactly one non-streamed request held to the call's schema (see
        :mod:`shared.providers.structured`), with the SDK timeout ``call.timeout_s``."""

    @abstractmethod
    async def _call(self, client: ClientT, request: ProviderRequest) -> ProviderResult:
        """Make exactly one streamed request, read with
        :func:`~shared.providers.streams.read_stream`, with the SDK timeout
        ``request.sdk_read_timeout_s``."""
