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
