"""The provider port.

Every adapter turns a :class:`~shared.models.ProviderRequest` into exactly one
:class:`~shared.models.ProviderResult` and never raises for provider trouble: SDK exceptions are
translated at this boundary into the small typed set of :class:`~shared.models.Outcome` values.
"""

from __future__ import annotations

from typing import Protocol

from shared.models import ProviderRequest, ProviderResult


class Provider(Protocol):
    """A language model tier."""

    @property
    def name(self) -> str:
        """The tier name from config, e.g. ``openai``."""
        ...

    @property
    def configured(self) -> bool:
        """Whether credentials and an endpoint are present. Unconfigured tiers are skipped."""
        ...

    async def complete(self, request: ProviderRequest) -> ProviderResult:
        """Call the provider once, streaming, with no retries, within the request's first-token,
        stall and total times (``first_token_limit_s``, ``stall_limit_s``, ``timeout_s``)."""
        ...

    async def aclose(self) -> None:
        """Close the SDK clients this adapter opened on the running event loop."""
        ...
