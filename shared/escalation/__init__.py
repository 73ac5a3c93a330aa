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
from shared.escalation.flood import FloodControl, MemoryFloodCounters, TableFloodCounters
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
    "CHANNELS",
    "FORWARDED_HEADER",
    "REGION_HEADER",
    "AckLinks",
    "AckPage",
    "AckSigner",
    "AckTokenError",
    "Alert",
    "AlertOutbox",
    "AlertQueue",
    "Escalation",
    "EscalationStore",
    "Escalator",
    "FallbackEscalationStore",
    "FallbackPendingCrisis",
    "FloodControl",
    "MemoryFloodCounters",
    "MemoryPendingCrisis",
    "PendingCrisisStore",
    "RetryConfig",
    "SentAlert",
    "TableFloodCounters",
    "ack_links_from",
    "link_lifetime_s",
    "load_escalation_config",
]
