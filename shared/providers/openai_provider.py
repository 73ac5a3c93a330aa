"""The OpenAI tier, through the official ``openai`` SDK (imported on first use), streamed."""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING, Any, cast

from shared.models import ProviderRequest, ProviderResult
from shared.platform import Settings, TierConfig
from shared.providers.answers import OpenAIStreamAnswer
from shared.providers.loops import Session
from shared.providers.sdk_adapter import Clock, SdkProvider
from shared.providers.sdk_errors import SdkErrors
from shared.providers.streams import EventStream, read_stream
from shared.providers.structured import (
    StructuredCall,
    StructuredReply,
    openai_arguments,
    openai_reply,
)
from shared.providers.translate import openai_messages

if TYPE_CHECKING:
    from openai import AsyncOpenAI


@functools.cache
def openai_errors() -> SdkErrors:
    """The ``openai`` SDK's exception classes (shared by the Azure OpenAI adapter)."""
    import openai  # noqa: PLC0415 - heavy import, deferred to first use

    return SdkErrors(
        timeout=openai.APITimeoutError,
        connection=openai.APIConnectionError,
        status=openai.APIStatusError,
    )


def chat_arguments(request: ProviderRequest, model: str) -> dict[str, Any]:
    """Keyword arguments of the streamed ``chat.completions.create`` shared by OpenAI and
    Azure OpenAI. The SDK's timeout applies to each phase (connect, each read), so it is the
    longest wait the stream allows between two reads, never the whole answer's time."""
    arguments: dict[str, Any] = {
        "model": model,
        "messages": openai_messages(request),
        "timeout": request.sdk_read_timeout_s,
        "stream": True,
        # The usage comes in one last chunk, after the one with the finish_reason.
        "stream_options": {"include_usage": True},
    }
    if request.max_tokens is not None:
        # max_tokens, not max_completion_tokens: the configured chat models accept it on both
        # OpenAI and the Azure GA API version; reasoning models would need the newer name.
        arguments["max_tokens"] = request.max_tokens
    if request.temperature is not None:
        arguments["temperature"] = request.temperature
    return arguments


async def stream_chat(
    client: AsyncOpenAI, request: ProviderRequest, model: str, fallback_model: str
) -> ProviderResult:
    """One streamed chat completion, assembled within the request's stream deadlines."""

    async def open_stream() -> EventStream:
        stream = await client.chat.completions.create(**chat_arguments(request, model))
        return cast("EventStream", stream)

    return await read_stream(open_stream, OpenAIStreamAnswer(fallback_model), request)


async def structured_chat(client: AsyncOpenAI, call: StructuredCall, model: str) -> StructuredReply:
    """One non-streamed chat completion held to the call's JSON schema (OpenAI and Azure)."""
    completion = await client.chat.completions.create(**openai_arguments(call, model))
    return openai_reply(completion)


class OpenAIProvider(SdkProvider["AsyncOpenAI"]):
    """OpenAI Chat Completions; the model comes from the tier config, the key and optional base
    URL from the app settings the tier names (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``)."""

    def __init__(
        self,
        tier: TierConfig,
        settings: Settings,
        *,
        clock: Clock = time.perf_counter,
        wall_clock: Clock = time.time,
    ) -> None:
        super().__init__(tier, clock=clock, wall_clock=wall_clock)
        names = tier.settings
        self._api_key_setting = names.api_key
        self._api_key = settings.get(names.api_key) if names.api_key else ""
        self._base_url = (settings.get(names.endpoint) if names.endpoint else "") or None

    def _missing(self) -> str:
        return "" if self._api_key else self._api_key_setting or "api_key"

    def _open(self) -> Session[AsyncOpenAI]:
        from openai import AsyncOpenAI  # noqa: PLC0415 - heavy import, deferred to first use

        # Failover is the retry policy: the SDK's own retries would spend the tier's time budget.
        client = AsyncOpenAI(api_key=self._api_key, base_url=self._base_url, max_retries=0)
        return Session(client, client.close)

    def _errors(self) -> SdkErrors:
        return openai_errors()

    async def _call(self, client: AsyncOpenAI, request: ProviderRequest) -> ProviderResult:
        return await stream_chat(client, request, self.tier.model, self.tier.model)

    async def _structured(self, client: AsyncOpenAI, call: StructuredCall) -> StructuredReply:
        return await structured_chat(client, call, self.tier.model)
