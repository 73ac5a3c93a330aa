"""Builds the process's :class:`~shared.runtime.Runtime`: the one module that imports every room.

:func:`assemble` wires the services from config, settings and provider adapters: the events
port first, then the stores, the breaker service, the escalator, the alert queue, the chat
gateway, and observability subscribed to the events. :func:`build_runtime` reads them from an
environment; :func:`get_runtime` is the edges' way in (built on first use, so importing the
function app stays cheap and opens no connection). Tests and tools pass overrides (an
in-memory store, a hand-moved clock) to :func:`assemble` or :func:`configure_runtime`.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from shared.breakers import BreakerService, BreakerStore, OutcomeWriter, TableBreakerStore
from shared.escalation import (
    AlertQueue,
    EscalationStore,
    Escalator,
    FallbackEscalationStore,
    FallbackPendingCrisis,
    PendingCrisisStore,
    ack_links_from,
    load_escalation_config,
)
from shared.events import EventBus
from shared.failover import (
    ChatGateway,
    RateLimiter,
    RequestLimits,
    SecondOpinion,
    residency_policy,
)
from shared.observability import AuditStore, build_observability, trace_carrier
from shared.operations import Readiness, health_store_for
from shared.platform import (
    AppConfig,
    OperatorAccess,
    Settings,
    load_config,
    table_client,
    with_tier_regions,
)
from shared.providers import Provider, build_providers, preload_providers
from shared.runtime import Runtime
from shared.safety import (
    ContentSafety,
    ContentSafetySettings,
    Pseudonymizer,
    build_content_safety,
    load_classifier_config,
    load_detector,
)

log = logging.getLogger(__name__)


def assemble(
    config: AppConfig,
    settings: Settings,
    providers: Mapping[str, Provider],
    *,
    breaker_store: BreakerStore | None = None,
    breaker_clock: Callable[[], float] = time.time,
    escalation_store: EscalationStore | None = None,
    pending_crisis: PendingCrisisStore | None = None,
    content_safety: ContentSafety | None = None,
    audit_store: Callable[[], AuditStore] | None = None,
    tracer_provider: Any = None,
    meter_provider: Any = None,
    clock: Callable[[], float] = time.time,
) -> Runtime:
    """Build every service once, each given only what it uses. Opens no connection."""
    events = EventBus()
    residency = residency_policy(config.failover, settings.data_residency)
    breaker_store = breaker_store or TableBreakerStore(
        table_client(settings, settings.breaker_table)
    )
    breakers = BreakerService.for_config(
        breaker_store,
        config.failover,
        clock=breaker_clock,
        events=events,
    )
    pseudonyms = Pseudonymizer(settings.pseudonym_key)
    escalator = Escalator(
        config=load_escalation_config(settings.config_dir or None),
        settings=settings,
        store=escalation_store or FallbackEscalationStore.for_settings(settings),
        pseudonyms=pseudonyms,
        events=events,
        links=ack_links_from(settings),
    )
    alerts = AlertQueue()
    warnings = _configuration_warnings(escalator)
    health_results = health_store_for(settings)

    def is_configured(tier: str) -> bool:
        provider = providers.get(tier)
        return provider is not None and provider.configured

    detector = functools.partial(load_detector, _crisis_patterns(settings))
    outcomes = OutcomeWriter()
    second_opinion = _second_opinion(
        settings,
        breaker_store,
        outcomes,
        pending=pending_crisis or FallbackPendingCrisis.for_settings(settings),
        classifier=content_safety,
        clock=breaker_clock,
        events=events,
    )
    gateway = ChatGateway(
        config=config,
        breakers=breakers,
        outcomes=outcomes,
        escalator=escalator,
        alerts=alerts,
        events=events,
        detector=detector,
        pseudonyms=pseudonyms,
        rate_limiter=RateLimiter(config.failover.rate_limits, time.monotonic),
        is_configured=is_configured,
        blocked=residency,
        second_opinion=second_opinion,
        simulated=settings.simulated_providers,
        poll_interval_s=settings.status_poll_interval_s,
        limits=RequestLimits(max_body_bytes=settings.max_body_bytes),
        front_door_id=settings.get("FRONT_DOOR_ID"),
        trace_context=trace_carrier,
    )
    observability = build_observability(
        settings,
        sla=config.safety.sla,
        tiers=config.failover.tiers,
        usable_tiers=[
            t.name
            for t in config.failover.tiers
            if t.enabled and is_configured(t.name) and residency(t.name) is None
        ],
        breakers=breakers,
        health_results=health_results,
        is_configured=is_configured,
        alerts=alerts,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        audit_store=audit_store,
        clock=clock,
        warnings=warnings,
    )
    events.subscribe(observability.handle)
    return Runtime(
        config=config,
        settings=settings,
        providers=providers,
        events=events,
        breakers=breakers,
        outcomes=outcomes,
        escalator=escalator,
        alerts=alerts,
        health_results=health_results,
        readiness=Readiness(breakers.probe_store),
        operators=OperatorAccess.from_settings(settings),
        observability=observability,
        gateway=gateway,
        detector=detector,
        is_configured=is_configured,
        residency_block=residency,
    )


def _configuration_warnings(escalator: Escalator) -> list[str]:
    """Problems an operator must fix, logged once (critical) as the runtime is built and shown
    on the status page. Alert audiences without a channel are one, outside simulation (where
    the local inbox stands in)."""
    missing = escalator.missing_audiences()
    if not missing:
        return []
    warning = (
        "misconfigured: no alert channel for the "
        + ", ".join(missing)
        + " audience(s); their alerts reach nobody"
    )
    log.critical("%s", warning)
    return [warning]


def _second_opinion(
    settings: Settings,
    breaker_store: BreakerStore,
    outcomes: OutcomeWriter,
    *,
    pending: PendingCrisisStore,
    classifier: ContentSafety | None,
    clock: Callable[[], float],
    events: EventBus,
) -> SecondOpinion:
    """The content-safety check: on when configured (or given a classifier), with its own
    breaker row (``content_safety``) in the shared breakers table."""
    config = load_classifier_config(settings.config_dir or None)
    access = ContentSafetySettings.from_settings(settings)
    if classifier is None:
        classifier = build_content_safety(access, config)
    breakers = BreakerService(
        breaker_store,
        settings_for=lambda _name: config.breaker,
        lease_s_for=lambda _name: config.timeout_s + config.breaker.probe_lease_margin_s,
        clock=clock,
        events=events,
    )
    return SecondOpinion(
        classifier=classifier,
        config=config,
        breakers=breakers,
        outcomes=outcomes,
        pending=pending,
        off_reason=None if classifier is not None else access.off_reason,
        auth=access.auth,
    )


def _crisis_patterns(settings: Settings) -> Path | None:
    if not settings.config_dir:
        return None
    return Path(settings.config_dir) / "crisis-patterns.json"


def chat_gateway(runtime: Runtime, **options: Any) -> ChatGateway:
    """The runtime's gateway with some fields replaced (a test's clock and sleep)."""
    return replace(runtime.gateway, **options)


def warm_up(runtime: Runtime) -> None:
    """Import the provider SDKs and compile the crisis patterns ahead of the first request."""
    preload_providers(runtime.providers)
    try:
        runtime.detector()
    except Exception:
        log.critical(
            "crisis patterns failed to load; only the built-in detector for explicit statements "
            "is on, and /api/health reports misconfigured",
            exc_info=True,
        )
    # Everything loaded so far (modules, SDK clients, compiled patterns) lives as long as
    # the process. Moving it out of the collector's view keeps full collections short: in
    # the benchmark's crisis-beside-hung-chats run they paused the event loop for up to
    # 147 ms before, and 4-10 ms once the run was under way.
    gc.freeze()


def build_runtime(env: Mapping[str, str], *, warm: bool = True, **overrides: Any) -> Runtime:
    """Build the runtime from an environment. With ``warm``, the provider SDKs are imported
    and the crisis patterns compiled on a background thread, so the first chat request pays
    for neither. ``overrides`` go to :func:`assemble`."""
    settings = Settings.from_env(env)
    config = load_config(settings.config_dir or None)
    config = replace(config, failover=with_tier_regions(config.failover, settings.get))
    runtime = assemble(config, settings, build_providers(config, settings), **overrides)
    if warm:
        threading.Thread(target=warm_up, args=(runtime,), name="warm-up", daemon=True).start()
    return runtime


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def get_runtime() -> Runtime:
    """The runtime for this process, built from the environment on first use."""
    global _runtime  # noqa: PLW0603 - one runtime per worker process, built lazily
    if _runtime is None:
        with _runtime_lock:
            if _runtime is None:
                _runtime = build_runtime(os.environ)
    return _runtime


def configure_runtime(env: Mapping[str, str] | None = None, **overrides: Any) -> Runtime:
    """Rebuild the runtime (tests, dev host): from ``env`` or the current environment."""
    global _runtime  # noqa: PLW0603 - see get_runtime
    _runtime = build_runtime(os.environ if env is None else env, **overrides)
    return _runtime
