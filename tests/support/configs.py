"""Config for tests of the failover logic, apart from the shipped chain's length."""

from __future__ import annotations

from dataclasses import replace

from shared.platform.config import FailoverConfig, load_config

SECONDARY = "azure_openai_secondary"


def three_tiers() -> FailoverConfig:
    """The shipped chain without its second UK Azure OpenAI tier: openai, azure_openai,
    anthropic. The orchestration tests walk this chain; the shipped one is tested apart."""
    shipped = load_config().failover
    return replace(shipped, tiers=tuple(t for t in shipped.tiers if t.name != SECONDARY))


def timed(
    config: FailoverConfig,
    *,
    first_token_s: float = 3.0,
    stall_s: float = 2.0,
    total_s: float = 12.0,
    **failover: float,
) -> FailoverConfig:
    """``config`` with every tier on the same stream times, and any failover numbers changed,
    so that timer arithmetic in tests does not follow the shipped numbers."""
    tiers = tuple(
        replace(t, first_token_s=first_token_s, stall_s=stall_s, total_s=total_s)
        for t in config.tiers
    )
    return replace(config, tiers=tiers, **failover)  # type: ignore[arg-type]
