"""An Azure OpenAI tier, through the ``openai`` SDK's Azure client.

Every value comes from the app settings the tier names (:class:`TierSettings`; the standard
names are ``AZURE_OPENAI_*``), so two tiers can call two accounts. It authenticates with an API
key or, when the tier's managed-identity setting is on, with a Microsoft Entra token from the
Function App's managed identity (``azure-identity``, imported on first use). The deployment is
the tier's deployment setting when that is set, else the tier's ``deployment`` in config.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from shared.models import ProviderRequest, ProviderResult
from shared.platform import DEFAULT_AZURE_API_VERSION, Settings, TierConfig, flag
from shared.providers.loops import Session
from shared.providers.openai_provider import openai_errors, stream_chat, structured_chat
from shared.providers.sdk_adapter import Clock, SdkProvider
from shared.providers.sdk_errors import SdkErrors
from shared.providers.structured import StructuredCall, StructuredReply

if TYPE_CHECKING:
    from openai import AsyncAzureOpenAI

COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default"


class AsyncCredential(Protocol):
    """The part of an ``azure.core`` async token credential that this adapter relies on."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...

    async def close(self) -> None: ...


CredentialFactory = Callable[[], AsyncCredential]


def default_credential() -> AsyncCredential:
    """The managed identity in Azure (``DefaultAzureCredential``, which also serves dev logins)."""
    from azure.identity.aio import DefaultAzureCredential  # noqa: PLC0415 - heavy, lazy

    credential: AsyncCredential = DefaultAzureCredential()
    return credential


class AzureOpenAIProvider(SdkProvider["AsyncAzureOpenAI"]):
    """Azure OpenAI Chat Completions against one deployment."""

    def __init__(
        self,
        tier: TierConfig,
        settings: Settings,
        *,
        credential_factory: CredentialFactory = default_credential,
        clock: Clock = time.perf_counter,
        wall_clock: Clock = time.time,
    ) -> None:
        super().__init__(tier, clock=clock, wall_clock=wall_clock)
        self._names = names = tier.settings

        def read(name: str) -> str:
            return settings.get(name) if name else ""

        self._endpoint = read(names.endpoint)
        self._api_key = read(names.api_key)
        self._managed_identity = flag(read(names.managed_identity))
        self._api_version = read(names.api_version) or DEFAULT_AZURE_API_VERSION
        self._credential_factory = credential_factory
        self.deployment = read(names.deployment) or tier.deployment

    def _missing(self) -> str:
        names = self._names
        missing = [] if self._endpoint else [names.endpoint or "endpoint"]
        if not (self._api_key or self._managed_identity):
            missing.append(names.api_key or "api_key")
        if not self.deployment:
            missing.append(names.deployment or "deployment")
        return ", ".join(missing)

    def _open(self) -> Session[AsyncAzureOpenAI]:
        from openai import AsyncAzureOpenAI  # noqa: PLC0415 - heavy import, deferred to first use

        if not self._managed_identity:
            client = AsyncAzureOpenAI(
                azure_endpoint=self._endpoint,
                api_version=self._api_version,
                api_key=self._api_key,
                max_retries=0,
            )
            return Session(client, client.close)
        from azure.identity.aio import get_bearer_token_provider  # noqa: PLC0415 - lazy

        credential = self._credential_factory()
        token_provider: Callable[[], Awaitable[str]] = get_bearer_token_provider(
            credential,  # type: ignore[arg-type]  # satisfies azure.core's AsyncTokenProvider
            COGNITIVE_SERVICES_SCOPE,
        )
        client = AsyncAzureOpenAI(
            azure_endpoint=self._endpoint,
            api_version=self._api_version,
            azure_ad_token_provider=token_provider,
            max_retries=0,
        )

        async def close() -> None:
            try:
                await client.close()
            finally:
                await credential.close()

        return Session(client, close)

    def _errors(self) -> SdkErrors:
        errors = openai_errors()
        if not self._managed_identity:
            return errors
        from azure.core.exceptions import ClientAuthenticationError  # noqa: PLC0415 - lazy

        return SdkErrors(
            timeout=errors.timeout,
            connection=errors.connection,
            status=errors.status,
            credential=(ClientAuthenticationError,),
        )

    async def _call(self, client: AsyncAzureOpenAI, request: ProviderRequest) -> ProviderResult:
        # For Azure the model argument names the deployment (the SDK puts it in the URL).
        return await stream_chat(client, request, self.deployment, self.tier.model)

    async def _structured(self, client: AsyncAzureOpenAI, call: StructuredCall) -> StructuredReply:
        # json_schema response formats need API version 2024-08-01-preview or later (GA
        # 2024-10-21); the tier's api-version setting must be one of them.
        return await structured_chat(client, call, self.deployment)
