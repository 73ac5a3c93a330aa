"""The Anthropic tier, through the official ``anthropic`` SDK (imported on first use), streamed."""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING, Any, cast

from shared.models import ProviderRequest, ProviderResult
from shared.platform import Settings, TierConfig
from shared.providers.answers import AnthropicStreamAnswer
from shared.providers.loops import Session
from shared.providers.sdk_adapter import Clock, SdkProvider
from shared.providers.sdk_errors import SdkErrors
from shared.providers.streams import EventStream, read_stream
from shared.providers.structured import (
    StructuredCall,
    StructuredReply,
    anthropic_arguments,
    anthropic_reply,
)
from shared.providers.translate import anthropic_prompt

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

# The Messages API requires max_tokens; enough for a full, kind answer in plain English.
DEFAULT_MAX_TOKENS = 1024


@functools.cache
def anthropic_errors() -> SdkErrors:
    """The ``anthropic`` SDK's exception classes."""
    import anthropic  # noqa: PLC0415 - heavy import, deferred to first use

    return SdkErrors(
        timeout=anthropic.APITimeoutError,
        connection=anthropic.APIConnectionError,
        status=anthropic.APIStatusError,
    )


class AnthropicProvider(SdkProvider["AsyncAnthropic"]):
    """Anthropic Messages; the model comes from the tier config, the key and optional base URL
    from the app settings the tier names (``ANTHROPIC_API_KEY``, ``ANTHROPIC_BASE_URL``)."""

    def __init__(
        self,
        tier: TierConfig,
        settings: Settings,
        *,
        default_max_tokens: int = DEFAULT_MAX_TOKENS,
        clock: Clock = time.perf_counter,
        wall_clock: Clock = time.time,
    ) -> None:
        super().__init__(tier, clock=clock, wall_clock=wall_clock)
        names = tier.settings
        self._api_key_setting = names.api_key
        self._api_key = settings.get(names.api_key) if names.api_key else ""
        self._base_url = (settings.get(names.endpoint) if names.endpoint else "") or None
        self._default_max_tokens = default_max_tokens

    def _missing(self) -> str:
        return "" if self._api_key else self._api_key_setting or "api_key"

    def _open(self) -> Session[AsyncAnthropic]:
        from anthropic import AsyncAnthropic  # noqa: PLC0415 - heavy import, deferred to first use

        # Failover is the retry policy: the SDK's own retries would spend the tier's time budget.
        client = AsyncAnthropic(api_key=self._api_key, base_url=self._base_url, max_retries=0)
        return Session(client, client.close)

    def _errors(self) -> SdkErrors:
        return anthropic_errors()

    async def _call(self, client: AsyncAnthropic, request: ProviderRequest) -> ProviderResult:
        prompt = anthropic_prompt(request)
        arguments: dict[str, Any] = {
            "model": self.tier.model,
            "max_tokens": request.max_tokens or self._default_max_tokens,
            "messages": prompt.messages_json(),
            # Per phase (connect, each read): the longest wait between two reads.
            "timeout": request.sdk_read_timeout_s,
            "stream": True,
        }
        if prompt.system:
            arguments["system"] = prompt.system
        # request.temperature is not sent: the pinned SDK's Messages API has no such parameter.

        async def open_stream() -> EventStream:
            return cast("EventStream", await client.messages.create(**arguments))

        return await read_stream(open_stream, AnthropicStreamAnswer(self.tier.model), request)

    async def _structured(self, client: AsyncAnthropic, call: StructuredCall) -> StructuredReply:
        message = await client.messages.create(**anthropic_arguments(call, self.tier.model))
        return anthropic_reply(message, call.schema_name)
