"""The process-wide runtime: config, settings and provider adapters, built once on first use.

Nothing is built at import time, so importing the function app stays cheap and never opens a
connection. Tests and the dev host can rebuild it from a given environment with
:func:`configure_runtime`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from shared.config import AppConfig, load_config
from shared.providers.base import Provider
from shared.settings import Settings


@dataclass(frozen=True, slots=True)
class Runtime:
    config: AppConfig
    settings: Settings
    providers: Mapping[str, Provider]

    def is_configured(self, tier: str) -> bool:
        provider = self.providers.get(tier)
        return provider is not None and provider.configured


_runtime: Runtime | None = None


def build_runtime(env: Mapping[str, str]) -> Runtime:
    from shared.providers.registry import build_providers  # noqa: PLC0415 - keeps import cheap

    settings = Settings.from_env(env)
    config = load_config(settings.config_dir or None)
    return Runtime(config=config, settings=settings, providers=build_providers(config, settings))


def get_runtime() -> Runtime:
    """The runtime for this process, built from the environment on first use."""
    global _runtime  # noqa: PLW0603 - one runtime per worker process, built lazily
    if _runtime is None:
        _runtime = build_runtime(os.environ)
    return _runtime


def configure_runtime(env: Mapping[str, str] | None = None) -> Runtime:
    """Rebuild the runtime (tests, dev host): from ``env`` or the current environment."""
    global _runtime  # noqa: PLW0603 - see get_runtime
    _runtime = build_runtime(os.environ if env is None else env)
    return _runtime
