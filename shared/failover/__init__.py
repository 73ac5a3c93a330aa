"""The chat path: request parsing, the failover plan, the gateway, responses and rate limits.

What other rooms may use is exported here; the modules behind it are this room's own.
"""

from shared.failover.gateway import ChatGateway
from shared.failover.plan import (
    EMERGENCY,
    ChatPlan,
    FailoverResult,
    emergency_result,
    residency_policy,
)
from shared.failover.ratelimit import BotBackend, RateLimiter
from shared.failover.requests import RequestLimits
from shared.failover.second_opinion import SecondOpinion
from shared.failover.triage_opinion import ProviderTriage, TriageOpinion

__all__ = [
    "EMERGENCY",
    "BotBackend",
    "ChatGateway",
    "ChatPlan",
    "FailoverResult",
    "ProviderTriage",
    "RateLimiter",
    "RequestLimits",
    "SecondOpinion",
    "TriageOpinion",
    "emergency_result",
    "residency_policy",
]
