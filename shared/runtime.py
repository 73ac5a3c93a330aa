"""The process's services, already built: a plain value that the triggers read.

:class:`Runtime` holds what :mod:`shared.bootstrap` built, once per worker process. It builds
nothing, reads no environment and imports nothing above :mod:`shared.platform` at run time (the
names below ``TYPE_CHECKING`` are for the type checker only), so any edge can hold it without
pulling the core in. Core classes never see it: they receive the services they use. Only the
edges (``api/``, ``orchestrators/`` and the timers) call
:func:`shared.bootstrap.get_runtime`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.platform import AppConfig, OperatorAccess, Settings

if TYPE_CHECKING:
    from shared.breakers import BreakerService, OutcomeWriter
    from shared.escalation import AlertQueue, Escalator
    from shared.events import EventBus
    from shared.failover import ChatGateway
    from shared.models import Outcome
    from shared.observability import Observability, RecordsOutbox
    from shared.operations import Readiness, ResilientHealthStore
    from shared.providers import Provider
    from shared.safety import CrisisDetector


@dataclass(frozen=True, slots=True, eq=False)
class Runtime:
    """Every service of one worker process, built by :func:`shared.bootstrap.assemble`."""

    config: AppConfig
    settings: Settings
    providers: Mapping[str, Provider]
    events: EventBus
    breakers: BreakerService
    outcomes: OutcomeWriter
    escalator: Escalator
    alerts: AlertQueue
    health_results: ResilientHealthStore
    readiness: Readiness
    operators: OperatorAccess
    observability: Observability
    gateway: ChatGateway
    detector: Callable[[], CrisisDetector]
    # Where a stopping process puts the audit rows and breaker outcomes it could not write.
    outbox: RecordsOutbox
    # Whether a tier has an adapter with its credentials.
    is_configured: Callable[[str], bool]
    # ``residency_blocked`` for a tier outside the UK when ``DATA_RESIDENCY=uk``, else None.
    residency_block: Callable[[str], Outcome | None]
