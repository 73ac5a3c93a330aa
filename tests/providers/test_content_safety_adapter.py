"""The Azure AI Content Safety adapter: the real ``azure-ai-contentsafety`` client against the
simulated endpoint's wire format, and its failures as breaker outcomes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from shared.models import Outcome
from shared.safety import ClassifierConfig, ClassifierError, ContentSafetySettings
from shared.safety.classifier import AzureContentSafety
from simulators.content_safety import ContentSafetySimulator

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def simulator() -> Iterator[ContentSafetySimulator]:
    with ContentSafetySimulator() as running:
        yield running


@pytest.fixture
async def adapter(simulator: ContentSafetySimulator) -> AsyncIterator[AzureContentSafety]:
    simulator.clear()
    client = AzureContentSafety(
        ContentSafetySettings(endpoint=simulator.endpoint, key="test-key"), ClassifierConfig()
    )
    yield client
    await client.close()


async def test_severities_come_back_by_category(
    adapter: AzureContentSafety, simulator: ContentSafetySimulator
) -> None:
    """The client sends text:analyze and reads categoriesAnalysis into severities."""
    simulator.rate("grey", SelfHarm=4)
    assert await adapter.analyze("all grey today") == {"SelfHarm": 4, "Violence": 0}


async def test_four_level_output_rounds_down(
    adapter: AzureContentSafety, simulator: ContentSafetySimulator
) -> None:
    """With FourSeverityLevels the service reports 0, 2, 4 or 6: a 5 comes back as 4."""
    simulator.rate("grey", SelfHarm=5)
    assert (await adapter.analyze("grey"))["SelfHarm"] == 4


async def test_request_uses_the_key_header_and_an_api_version(
    adapter: AzureContentSafety, simulator: ContentSafetySimulator
) -> None:
    """The key goes in Ocp-Apim-Subscription-Key; the body asks only for the two categories."""
    await adapter.analyze("hello")
    assert simulator.last_credential() == "key"
    assert simulator.last_request() == {
        "text": "hello",
        "categories": ["SelfHarm", "Violence"],
        "outputType": "FourSeverityLevels",
    }


@pytest.mark.parametrize(
    ("fault", "outcome"), [("500", Outcome.UNAVAILABLE), ("429", Outcome.RATE_LIMITED)]
)
async def test_service_errors_become_breaker_outcomes(
    adapter: AzureContentSafety,
    simulator: ContentSafetySimulator,
    fault: str,
    outcome: Outcome,
) -> None:
    """A 500 is unavailable and a 429 rate_limited (one attempt: SDK retries are off)."""
    simulator.set_fault(fault)  # type: ignore[arg-type]
    with pytest.raises(ClassifierError) as raised:
        await adapter.analyze("hello")
    assert raised.value.outcome is outcome
    assert simulator.requests == 1


async def test_rate_limit_carries_retry_after(
    adapter: AzureContentSafety, simulator: ContentSafetySimulator
) -> None:
    """The 429's Retry-After reaches the breaker."""
    simulator.set_fault("429")
    with pytest.raises(ClassifierError) as raised:
        await adapter.analyze("hello")
    assert raised.value.retry_after_s == 1.0


async def test_missing_credential_is_an_auth_error(simulator: ContentSafetySimulator) -> None:
    """The simulator refuses a request without a key, as the service does: auth_error."""
    client = AzureContentSafety(
        ContentSafetySettings(endpoint=simulator.endpoint, key=""), ClassifierConfig()
    )
    try:
        with pytest.raises(ClassifierError) as raised:
            await client.analyze("hello")
    finally:
        await client.close()
    assert raised.value.outcome is Outcome.AUTH_ERROR


def test_unconfigured_layer_says_which_setting_is_missing() -> None:
    """No endpoint: off, naming CONTENT_SAFETY_ENDPOINT; an endpoint without key or identity:
    off, naming both."""
    assert ContentSafetySettings().off_reason == "CONTENT_SAFETY_ENDPOINT is not set"
    assert "CONTENT_SAFETY_KEY" in str(ContentSafetySettings(endpoint="https://x").off_reason)
    assert ContentSafetySettings(endpoint="https://x", managed_identity=True).off_reason is None


class StaticTokenCredential:
    """Stands in for the managed identity at the Entra edge: an obviously fake token."""

    def __init__(self) -> None:
        self.scopes: list[str] = []
        self.closed = False

    async def get_token(self, *scopes: str, **_: Any) -> Any:
        self.scopes.extend(scopes)
        return AccessToken("not-a-real-token", 4_102_444_800)

    async def close(self) -> None:
        self.closed = True


async def test_managed_identity_sends_an_entra_token_not_a_key(
    simulator: ContentSafetySimulator,
) -> None:
    """With managed identity on, the real client sends a bearer token for the Cognitive
    Services scope, no key, and the credential is closed with the client."""
    simulator.clear()
    credential = StaticTokenCredential()
    client = AzureContentSafety(
        ContentSafetySettings(endpoint=simulator.endpoint, managed_identity=True),
        ClassifierConfig(),
        credential_factory=lambda: credential,
        enforce_https=False,
    )
    try:
        await client.analyze("hello")
    finally:
        await client.close()
    assert simulator.last_credential() == "bearer"
    assert credential.scopes == ["https://cognitiveservices.azure.com/.default"]
    assert credential.closed
