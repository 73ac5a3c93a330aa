"""One behavioural suite, run against every adapter through its real SDK and a simulator."""

from __future__ import annotations

import email.utils
from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.models import Message, Outcome
from shared.platform.settings import Settings
from shared.providers.anthropic_provider import AnthropicProvider
from shared.providers.azure_openai_provider import AzureOpenAIProvider
from shared.providers.openai_provider import OpenAIProvider
from shared.providers.sdk_adapter import SdkProvider
from simulators import Fault, FaultKind, ProviderName, SimulatedProviders

from .helpers import ANTHROPIC_TIER, AZURE_TIER, OPENAI_TIER, provider_request

pytestmark = pytest.mark.integration

KINDS: tuple[ProviderName, ...] = ("openai", "azure_openai", "anthropic")
FIXED_NOW = 1_900_000_000.0
QUESTION = "A private question that must never appear in a detail"


def make_adapter(kind: ProviderName, settings: Settings, **options: Any) -> SdkProvider[Any]:
    """The adapter of ``kind`` on the simulators."""
    if kind == "openai":
        return OpenAIProvider(OPENAI_TIER, settings, **options)
    if kind == "azure_openai":
        return AzureOpenAIProvider(AZURE_TIER, settings, **options)
    return AnthropicProvider(ANTHROPIC_TIER, settings, **options)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> ProviderName:
    """Each provider kind in turn."""
    value: ProviderName = request.param
    return value


@pytest.fixture
async def adapter(kind: ProviderName, settings: Settings) -> AsyncIterator[SdkProvider[Any]]:
    """The adapter of ``kind``, with a fixed wall clock (for HTTP-date Retry-After)."""
    provider = make_adapter(kind, settings, wall_clock=lambda: FIXED_NOW)
    yield provider
    await provider.aclose()


def status(code: int, **options: Any) -> Fault:
    return Fault(FaultKind.STATUS, status=code, **options)


async def test_ok_answer_is_normalised(
    kind: ProviderName, adapter: SdkProvider[Any], sims: SimulatedProviders
) -> None:
    """A normal answer becomes OK with the text, a stop finish reason, model and usage."""
    result = await adapter.complete(provider_request())
    assert result.outcome is Outcome.OK
    assert result.completion is not None
    assert result.completion.text.startswith(f"[simulated {kind}]")
    assert result.completion.finish_reason == "stop"
    assert result.completion.usage.prompt_tokens > 0
    assert result.completion.usage.completion_tokens > 0


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [
        pytest.param(Fault(FaultKind.HANG), Outcome.TIMEOUT, id="hang"),
        pytest.param(Fault(FaultKind.OK, latency_ms=2000), Outcome.TIMEOUT, id="latency"),
        pytest.param(Fault(FaultKind.REFUSE), Outcome.UNAVAILABLE, id="refused"),
        pytest.param(status(500), Outcome.UNAVAILABLE, id="500"),
        pytest.param(status(502), Outcome.UNAVAILABLE, id="502"),
        pytest.param(status(503), Outcome.UNAVAILABLE, id="503"),
        pytest.param(status(529), Outcome.UNAVAILABLE, id="529-overloaded"),
        pytest.param(status(429), Outcome.RATE_LIMITED, id="429"),
        pytest.param(status(401), Outcome.AUTH_ERROR, id="401"),
        pytest.param(status(403), Outcome.AUTH_ERROR, id="403"),
        pytest.param(status(400), Outcome.BAD_REQUEST, id="400"),
        pytest.param(status(404), Outcome.BAD_REQUEST, id="404"),
        pytest.param(status(422), Outcome.BAD_REQUEST, id="422"),
        pytest.param(Fault(FaultKind.CONTENT_FILTER), Outcome.CONTENT_FILTERED, id="filter"),
        pytest.param(Fault(FaultKind.MALFORMED), Outcome.UNAVAILABLE, id="malformed"),
        pytest.param(Fault(FaultKind.TRUNCATED), Outcome.UNAVAILABLE, id="truncated"),
        pytest.param(Fault(FaultKind.WRONG_SHAPE), Outcome.UNAVAILABLE, id="wrong-shape"),
    ],
)
async def test_fault_maps_to_outcome(
    kind: ProviderName,
    adapter: SdkProvider[Any],
    sims: SimulatedProviders,
    fault: Fault,
    outcome: Outcome,
) -> None:
    """Each injected provider fault comes back as its typed outcome, never as an exception."""
    sims.set_fault(kind, fault)
    result = await adapter.complete(provider_request(timeout_s=0.3))
    assert result.outcome is outcome
    assert result.completion is None


@pytest.mark.parametrize(
    ("fault", "seconds"),
    [
        (status(429, retry_after="7"), 7.0),
        (status(429, retry_after_ms=1500), 1.5),
        (status(429, retry_after=email.utils.formatdate(FIXED_NOW + 30, usegmt=True)), 30.0),
    ],
    ids=["seconds", "milliseconds", "http-date"],
)
async def test_rate_limit_carries_retry_after(
    kind: ProviderName,
    adapter: SdkProvider[Any],
    sims: SimulatedProviders,
    fault: Fault,
    seconds: float,
) -> None:
    """A 429 reports how long the provider asked us to wait."""
    sims.set_fault(kind, fault)
    result = await adapter.complete(provider_request())
    assert (result.outcome, result.status) == (Outcome.RATE_LIMITED, 429)
    assert result.retry_after_s == pytest.approx(seconds)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(status(408), id="408"),
        pytest.param(status(409), id="409"),
        pytest.param(status(429, retry_after_ms=10), id="429"),
        pytest.param(status(500), id="500"),
        pytest.param(status(503, retry_after_ms=10), id="503"),
        pytest.param(status(529), id="529"),
        pytest.param(Fault(FaultKind.TRUNCATED), id="truncated"),
    ],
)
async def test_exactly_one_request_per_call(
    kind: ProviderName, adapter: SdkProvider[Any], sims: SimulatedProviders, fault: Fault
) -> None:
    """The SDK never retries: one call reaches the provider exactly once, whatever happens."""
    sims.set_fault(kind, fault)
    # Ample time, so that an SDK retry (which these statuses would trigger) could happen.
    await adapter.complete(provider_request(timeout_s=3.0))
    assert sims.count(kind) == 1


async def test_overridden_answer_text_is_returned(
    kind: ProviderName, adapter: SdkProvider[Any], sims: SimulatedProviders
) -> None:
    """The answer text the provider sends is passed through unchanged (for the content guard)."""
    sims.set_fault(kind, Fault(FaultKind.OK, answer="Exactly this text."))
    result = await adapter.complete(provider_request())
    assert result.completion is not None
    assert result.completion.text == "Exactly this text."


@pytest.mark.parametrize("text", ["", "  \n"], ids=["empty", "blank"])
async def test_blank_answer_is_unavailable(
    kind: ProviderName, adapter: SdkProvider[Any], sims: SimulatedProviders, text: str
) -> None:
    """A 200 whose text is empty or blank is a provider fault, not an answer."""
    sims.set_fault(kind, Fault(FaultKind.OK, answer=text))
    result = await adapter.complete(provider_request())
    assert result.outcome is Outcome.UNAVAILABLE


async def test_short_latency_still_answers(
    kind: ProviderName, adapter: SdkProvider[Any], sims: SimulatedProviders
) -> None:
    """A slow answer inside the timeout is still OK."""
    sims.set_fault(kind, Fault(FaultKind.OK, latency_ms=50))
    result = await adapter.complete(provider_request(timeout_s=3.0))
    assert result.outcome is Outcome.OK


async def test_detail_never_holds_message_content(
    kind: ProviderName, adapter: SdkProvider[Any], sims: SimulatedProviders
) -> None:
    """An error's detail names codes and classes only, not the conversation or error text."""
    sims.set_fault(kind, status(400))
    result = await adapter.complete(provider_request(Message("user", QUESTION)))
    assert result.detail.startswith("HTTP 400")
    assert QUESTION not in result.detail
    assert "Simulated" not in result.detail


async def test_recovers_after_refused_connection(
    kind: ProviderName, adapter: SdkProvider[Any], sims: SimulatedProviders
) -> None:
    """Once the listener is back, the same adapter (and its client) answers again."""
    await adapter.complete(provider_request())
    sims.set_fault(kind, Fault(FaultKind.REFUSE))
    refused = await adapter.complete(provider_request())
    sims.clear_fault(kind)
    recovered = await adapter.complete(provider_request())
    assert (refused.outcome, recovered.outcome) == (Outcome.UNAVAILABLE, Outcome.OK)


async def test_measures_call_time_with_injected_clock(
    kind: ProviderName, settings: Settings, sims: SimulatedProviders
) -> None:
    """``ms`` is the injected clock's difference across the call."""
    ticks = iter([100.0, 100.25])
    provider = make_adapter(kind, settings, clock=lambda: next(ticks))
    try:
        result = await provider.complete(provider_request())
    finally:
        await provider.aclose()
    assert result.ms == pytest.approx(250.0)


async def test_unconfigured_adapter_makes_no_request(
    kind: ProviderName, sims: SimulatedProviders
) -> None:
    """Without credentials the adapter reports NOT_CONFIGURED and calls nothing."""
    provider = make_adapter(kind, Settings())
    result = await provider.complete(provider_request())
    assert (provider.configured, result.outcome, sims.count(kind)) == (
        False,
        Outcome.NOT_CONFIGURED,
        0,
    )


async def test_no_time_left_makes_no_request(
    kind: ProviderName, adapter: SdkProvider[Any], sims: SimulatedProviders
) -> None:
    """A request whose time is already spent is a timeout without a call."""
    result = await adapter.complete(provider_request(timeout_s=0.0))
    assert (result.outcome, sims.count(kind)) == (Outcome.TIMEOUT, 0)
