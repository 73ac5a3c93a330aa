"""One adapter per LLM SDK, all behind the :class:`~shared.providers.base.Provider` port.

What other rooms may use is exported here; the modules behind it are this room's own.
"""

from shared.providers.azure_openai_provider import AzureOpenAIProvider
from shared.providers.base import Provider
from shared.providers.registry import build_providers, preload_providers

__all__ = [
    "AzureOpenAIProvider",
    "Provider",
    "build_providers",
    "preload_providers",
]
