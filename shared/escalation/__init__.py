"""Escalations to nurses and operations: the model, the service, its store, channels and alerts.

What other rooms may use is exported here; the modules behind it are this room's own.
"""

from shared.escalation.acklinks import (
    FORWARDED_HEADER,
    REGION_HEADER,
    AckLinks,
    AckPage,
    AckSigner,
    AckTokenError,
    ack_links_from,
    link_lifetime_s,
)
from shared.escalation.alerts import Alert, AlertOutbox, AlertQueue, SentAlert
from shared.escalation.casefile import CASE_ROW, OUTCOMES, CaseFile
from shared.escalation.fallback import DelayedQueue, FallbackCourier, FallbackStep
from shared.escalation.flood import FloodControl, MemoryFloodCounters, TableFloodCounters
from shared.escalation.followups import (
    ConversationEscalations,
    FallbackConversations,
    MemoryConversations,
    SignalSeverity,
)
from shared.escalation.model import CHANNELS, Escalation, RetryConfig, load_escalation_config
from shared.escalation.pending import (
    FallbackPendingCrisis,
    MemoryPendingCrisis,
    PendingCrisisStore,
)
from shared.escalation.service import ACK_EVENT, Escalator
from shared.escalation.store import EscalationStore, FallbackEscalationStore

__all__ = [
    "ACK_EVENT",
    "CASE_ROW",
    "CHANNELS",
    "FORWARDED_HEADER",
    "OUTCOMES",
    "REGION_HEADER",
    "AckLinks",
    "AckPage",
    "AckSigner",
    "AckTokenError",
    "Alert",
    "AlertOutbox",
    "AlertQueue",
    "CaseFile",
    "ConversationEscalations",
    "DelayedQueue",
    "Escalation",
    "EscalationStore",
    "Escalator",
    "FallbackConversations",
    "FallbackCourier",
    "FallbackEscalationStore",
    "FallbackPendingCrisis",
    "FallbackStep",
    "FloodControl",
    "MemoryConversations",
    "MemoryFloodCounters",
    "MemoryPendingCrisis",
    "PendingCrisisStore",
    "RetryConfig",
    "SentAlert",
    "SignalSeverity",
    "TableFloodCounters",
    "ack_links_from",
    "link_lifetime_s",
    "load_escalation_config",
]
