"""Telemetry, the SLA monitor, the audit trail and the status page's data.

What other rooms may use is exported here; the modules behind it are this room's own.
"""

from shared.observability.audit import AuditStore
from shared.observability.observer import Observability, build_observability
from shared.observability.outbox import RecordsOutbox, Spilled, apply_message
from shared.observability.status import (
    AlertRow,
    EscalationRow,
    FailoverRow,
    LatencyPoint,
    SlaRow,
    StatusReport,
    TierRow,
    Window,
    parse_window,
)
from shared.observability.telemetry import trace_carrier

__all__ = [
    "AlertRow",
    "AuditStore",
    "EscalationRow",
    "FailoverRow",
    "LatencyPoint",
    "Observability",
    "RecordsOutbox",
    "SlaRow",
    "Spilled",
    "StatusReport",
    "TierRow",
    "Window",
    "apply_message",
    "build_observability",
    "parse_window",
    "trace_carrier",
]
