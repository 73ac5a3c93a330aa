"""The Azure OpenAI adapter: deployment routing, API version and both ways to authenticate."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

from shared.models import Message, Outcome
from shared.platform.config import DEFAULT_AZURE_API_VERSION
from shared.platform.settings import Settings
from shared.providers.azure_openai_provider import COGNITIVE_SERVICES_SCOPE, AzureOpenAIProvider
from simulators import SimulatedProviders

from .helpers import AZURE_TIER, provider_request

pytestmark = pytest.mark.integration


class FakeCredential:
    """Stands in for the managed identity: hands out an obviously fake token."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.scopes: list[str] = []
        self.closed = False

    async def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        self.scopes.extend(scopes)
        if self.fail:
            raise ClientAuthenticationError("no identity available in this test")
        return AccessToken("fake-entra-token", int(time.time()) + 3600)

    async def close(self) -> None:
        self.closed = True


def changed(settings: Settings, **values: str) -> Settings:
    """``settings`` with some app settings set (an empty value unsets one)."""
    return dataclasses.replace(settings, env={**settings.env, **values})


def managed_identity_settings(settings: Settings) -> Settings:
    return changed(settings, AZURE_OPENAI_API_KEY="", AZURE_OPENAI_USE_MANAGED_IDENTITY="true")


async def test_routes_to_the_tier_deployment_with_api_version(
    azure_provider: AzureOpenAIProvider, settings: Settings, sims: SimulatedProviders
) -> None:
    """The call goes to the tier's deployment with the configured api-version."""
    await azure_provider.complete(provider_request())
    recorded = sims.last_recorded("azure_openai")
    assert recorded is not None
    assert recorded.path == f"/openai/deployments/{AZURE_TIER.deployment}/chat/completions"
    assert recorded.query["api-version"] == DEFAULT_AZURE_API_VERSION


async def test_deployment_setting_overrides_tier(
    settings: Settings, sims: SimulatedProviders
) -> None:
    """AZURE_OPENAI_DEPLOYMENT, when set, names the deployment."""
    provider = AzureOpenAIProvider(
        AZURE_TIER, changed(settings, AZURE_OPENAI_DEPLOYMENT="override-dep")
    )
    try:
        await provider.complete(provider_request())
    finally:
        await provider.aclose()
    recorded = sims.last_recorded("azure_openai")
    assert recorded is not None
    assert recorded.path == "/openai/deployments/override-dep/chat/completions"


async def test_sends_safety_prompt_then_every_turn(
    azure_provider: AzureOpenAIProvider, sims: SimulatedProviders
) -> None:
    """The conversation is translated exactly as for OpenAI."""
    turns = (Message("user", "Q1"), Message("assistant", "A1"), Message("user", "Q2"))
    await azure_provider.complete(provider_request(*turns))
    body = sims.last_request("azure_openai")
    assert body is not None
    assert [m["content"] for m in body["messages"]] == ["SAFETY PROMPT", "Q1", "A1", "Q2"]


async def test_authenticates_with_api_key_header(
    azure_provider: AzureOpenAIProvider, sims: SimulatedProviders
) -> None:
    """With a key, the ``api-key`` header is used."""
    await azure_provider.complete(provider_request())
    recorded = sims.last_recorded("azure_openai")
    assert recorded is not None
    assert recorded.auth == "api-key"


async def test_managed_identity_sends_entra_bearer_token(
    settings: Settings, sims: SimulatedProviders
) -> None:
    """With managed identity, a token for the Cognitive Services scope is sent as bearer."""
    credential = FakeCredential()
    provider = AzureOpenAIProvider(
        AZURE_TIER, managed_identity_settings(settings), credential_factory=lambda: credential
    )
    try:
        result = await provider.complete(provider_request())
    finally:
        await provider.aclose()
    recorded = sims.last_recorded("azure_openai")
    assert recorded is not None
    assert (result.outcome, recorded.auth) == (Outcome.OK, "bearer")
    assert credential.scopes == [COGNITIVE_SERVICES_SCOPE]


async def test_closing_releases_the_credential(
    settings: Settings, sims: SimulatedProviders
) -> None:
    """aclose closes the managed-identity credential with the client."""
    credential = FakeCredential()
    provider = AzureOpenAIProvider(
        AZURE_TIER, managed_identity_settings(settings), credential_factory=lambda: credential
    )
    await provider.complete(provider_request())
    await provider.aclose()
    assert credential.closed


async def test_identity_failure_is_auth_error(settings: Settings, sims: SimulatedProviders) -> None:
    """A managed identity that cannot get a token is an auth error, with no request made."""
    provider = AzureOpenAIProvider(
        AZURE_TIER,
        managed_identity_settings(settings),
        credential_factory=lambda: FakeCredential(fail=True),
    )
    try:
        result = await provider.complete(provider_request())
    finally:
        await provider.aclose()
    assert (result.outcome, sims.count("azure_openai")) == (Outcome.AUTH_ERROR, 0)


@pytest.mark.parametrize(
    ("changes", "configured"),
    [
        ({}, True),
        ({"AZURE_OPENAI_ENDPOINT": ""}, False),
        ({"AZURE_OPENAI_API_KEY": ""}, False),
        ({"AZURE_OPENAI_API_KEY": "", "AZURE_OPENAI_USE_MANAGED_IDENTITY": "true"}, True),
    ],
    ids=["key", "no-endpoint", "no-key", "managed-identity"],
)
def test_configured_needs_endpoint_and_credential(
    settings: Settings, changes: dict[str, str], configured: bool
) -> None:
    """Configured only with an endpoint and either a key or managed identity."""
    provider = AzureOpenAIProvider(AZURE_TIER, changed(settings, **changes))
    assert provider.configured is configured
