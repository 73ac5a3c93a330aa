"""Builds the process's :class:`~shared.runtime.Runtime`: the one module that imports every room.

:func:`assemble` wires the services from config, settings and provider adapters: the events
port first, then the stores, the breaker service, the escalator, the alert queue, the chat
gateway, and observability subscribed to the events. :func:`build_runtime` reads them from an
environment; :func:`get_runtime` is the edges' way in. Tests and tools pass overrides (an
in-memory store, a hand-moved clock) to :func:`assemble` or :func:`configure_runtime`.

The process's life, start to end:

- :func:`prepare_process` runs when the function app is imported, which is when the Python
  worker indexes the functions, before the host sends it any invocation (and before the dev
  host listens). It builds the runtime, which opens no connection and imports no provider SDK,
  then warms it (crisis patterns, provider SDKs, then ``gc.freeze()``) on a thread of its own,
  so the import that indexes the functions stays short and a crisis message on a new instance
  never waits for an SDK (``ASKEVE_WARM_UP=at_import`` warms on the importing thread instead).
- :func:`shutdown` runs when the process is told to stop: SIGTERM, which the worker gets in
  Azure, runs it and then exits normally; the dev host hands its SIGTERM to the same handler
  once it has stopped serving. (An exit without SIGTERM runs it from ``atexit``, where the
  storage SDK's batch writes no longer work, so every queued row then takes the outbox.) It
  drains the audit and breaker outcome queues for a bounded time and puts whatever is left on
  the records outbox queue (:mod:`shared.observability.outbox`).
"""

from __future__ import annotations

import atexit
import functools
import gc
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from shared.breakers import BreakerService, BreakerStore, OutcomeWriter, TableBreakerStore
from shared.escalation import (
    AlertOutbox,
    AlertQueue,
    ConversationEscalations,
    DelayedQueue,
    EscalationStore,
    Escalator,
    FallbackConversations,
    FallbackEscalationStore,
    FallbackPendingCrisis,
    FloodControl,
    MemoryConversations,
    MemoryFloodCounters,
    PendingCrisisStore,
    TableFloodCounters,
    ack_links_from,
    link_lifetime_s,
    load_escalation_config,
)
from shared.events import EventBus
from shared.failover import (
    BotBackend,
    ChatGateway,
    ProviderTriage,
    RateLimiter,
    RequestLimits,
    SecondOpinion,
    TriageOpinion,
    residency_policy,
)
from shared.observability import (
    AuditStore,
    RecordsOutbox,
    Spilled,
    build_observability,
    trace_carrier,
)
from shared.operations import Readiness, health_store_for
from shared.platform import (
    ALERT_QUEUE,
    FALLBACK_QUEUE,
    OUTBOX_QUEUE,
    AppConfig,
    ConfigError,
    OperatorAccess,
    Settings,
    StorageQueue,
    load_config,
    table_client,
    with_tier_regions,
)
from shared.providers import Provider, build_providers, preload_providers
from shared.runtime import Runtime
from shared.safety import (
    ContentSafety,
    ContentSafetySettings,
    CrisisTriage,
    Pseudonymizer,
    TriageConfig,
    build_content_safety,
    load_classifier_config,
    load_detector,
    load_triage_config,
    warm_up_link_check,
)
from shared.safety.triage import ENABLED_SETTING as TRIAGE_SETTING
from shared.safety.triage import triage_enabled
from shared.signposting import NO_FOLLOW_UP, Signposting, load_signposting

log = logging.getLogger(__name__)


def assemble(
    config: AppConfig,
    settings: Settings,
    providers: Mapping[str, Provider],
    *,
    breaker_store: BreakerStore | None = None,
    breaker_clock: Callable[[], float] = time.time,
    escalation_store: EscalationStore | None = None,
    conversations: ConversationEscalations | None = None,
    pending_crisis: PendingCrisisStore | None = None,
    content_safety: ContentSafety | None = None,
    crisis_triage: CrisisTriage | None = None,
    audit_store: Callable[[], AuditStore] | None = None,
    tracer_provider: Any = None,
    meter_provider: Any = None,
    clock: Callable[[], float] = time.time,
    alert_outbox: AlertOutbox | None = None,
    records_outbox: RecordsOutbox | None = None,
    escalation_fallback: DelayedQueue | None = None,
) -> Runtime:
    """Build every service once, each given only what it uses. Opens no connection.
    Without ``alert_outbox`` alerts wait in memory for a flush (unit tests); without
    ``records_outbox`` a stopping process logs what it could not write; without
    ``escalation_fallback`` an escalation whose orchestration cannot start is delivered
    directly, once per channel."""
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
    escalation_config = load_escalation_config(settings.config_dir or None)
    escalator = Escalator(
        config=escalation_config,
        settings=settings,
        store=escalation_store or FallbackEscalationStore.for_settings(settings),
        pseudonyms=pseudonyms,
        events=events,
        links=ack_links_from(
            settings,
            link_lifetime_s(
                settings, escalation_config.ack_timeout_s, escalation_config.ack_link_margin_s
            ),
        ),
        # An injected escalation store (tests) keeps the conversations in memory beside it.
        conversations=conversations
        or (
            MemoryConversations()
            if escalation_store is not None
            else FallbackConversations.for_settings(settings)
        ),
        fallback=escalation_fallback,
        flood=FloodControl(
            escalation_config.flood,
            # Shared across instances in the escalations table; a test's in-memory
            # escalation store comes with in-memory counters.
            MemoryFloodCounters()
            if escalation_store is not None
            else TableFloodCounters.for_settings(settings),
        ),
    )
    alerts = AlertQueue(outbox=alert_outbox)
    warnings = _configuration_warnings(escalator)
    health_results = health_store_for(settings)

    def is_configured(tier: str) -> bool:
        provider = providers.get(tier)
        return provider is not None and provider.configured

    detector = functools.partial(load_detector, _crisis_patterns(settings))
    signposting = load_signposting(settings.config_dir or None)
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
    triage = _triage_opinion(
        settings,
        breaker_store,
        outcomes,
        providers=providers,
        triage=crisis_triage,
        clock=breaker_clock,
        events=events,
    )
    gateway = ChatGateway(
        config=config,
        breakers=breakers,
        escalator=escalator,
        alerts=alerts,
        events=events,
        detector=detector,
        pseudonyms=pseudonyms,
        rate_limiter=RateLimiter(config.failover.rate_limits, time.monotonic),
        is_configured=is_configured,
        blocked=residency,
        signposting=signposting,
        follow_up=_nurse_follow_up(settings, signposting),
        second_opinion=second_opinion,
        triage=triage,
        simulated=settings.simulated_providers,
        poll_interval_s=settings.status_poll_interval_s,
        limits=RequestLimits(max_body_bytes=settings.max_body_bytes),
        front_door_id=settings.get("FRONT_DOOR_ID"),
        bot_backend=_bot_backend(settings),
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
        outbox=records_outbox or RecordsOutbox(_no_outbox),
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


def _triage_opinion(
    settings: Settings,
    breaker_store: BreakerStore,
    outcomes: OutcomeWriter,
    *,
    providers: Mapping[str, Provider],
    triage: CrisisTriage | None,
    clock: Callable[[], float],
    events: EventBus,
) -> TriageOpinion:
    """The language-model triage: on when ``CRISIS_TRIAGE_ENABLED`` is (or a test gives one),
    on the tiers' own adapters, with its own breaker row (``crisis_triage``)."""
    on = triage is not None or triage_enabled(settings)
    try:
        config = load_triage_config(settings.config_dir or None)
    except ConfigError:
        if on:  # on, the prompt and schema must be the reviewed ones: fail loudly
            raise
        log.warning("crisis triage is off and its config did not load", exc_info=True)
        config = TriageConfig(system_prompt="", schema_name="crisis_triage", schema={})
    if on and triage is None:
        triage = ProviderTriage(providers, config)
    breakers = BreakerService(
        breaker_store,
        settings_for=lambda _name: config.breaker,
        lease_s_for=lambda _name: config.timeout_s + config.breaker.probe_lease_margin_s,
        clock=clock,
        events=events,
    )
    if not on:
        log.info("crisis triage is off: %s is not set", TRIAGE_SETTING)
    return TriageOpinion(
        triage=triage if on else None,
        config=config,
        breakers=breakers,
        outcomes=outcomes,
        off_reason=None if on else f"{TRIAGE_SETTING} is not set",
    )


def _bot_backend(settings: Settings) -> BotBackend:
    backend, malformed = BotBackend.parse(settings.get("BOT_BACKEND_ADDRESSES"))
    if malformed:
        log.critical(
            "BOT_BACKEND_ADDRESSES: %d entries are not addresses or CIDR blocks and are left "
            "out; the chatbot backend may share one per-IP bucket",
            len(malformed),
        )
    return backend


def _no_outbox(message: dict[str, Any]) -> None:
    raise RuntimeError("no records outbox in this runtime")


def _crisis_patterns(settings: Settings) -> Path | None:
    if not settings.config_dir:
        return None
    return Path(settings.config_dir) / "crisis-patterns.json"


def chat_gateway(runtime: Runtime, **options: Any) -> ChatGateway:
    """The runtime's gateway with some fields replaced (a test's clock and sleep)."""
    return replace(runtime.gateway, **options)


def warm_up(runtime: Runtime, *, may_freeze: Callable[[], bool] = lambda: True) -> None:
    """Compile the crisis patterns, then import the provider SDKs and load the output guard's
    Public Suffix List, ahead of the first request that needs each: the crisis path needs only
    the patterns, so they come first. Then freeze memory, if ``may_freeze()`` still says that
    no request has reached the app."""
    try:
        runtime.detector()
    except Exception:
        log.critical(
            "crisis patterns failed to load; only the built-in detector for explicit statements "
            "is on, and /api/health reports misconfigured",
            exc_info=True,
        )
    preload_providers(runtime.providers)
    warm_up_link_check()
    # Everything loaded so far (modules, SDK clients, compiled patterns) lives as long as
    # the process. Moving it out of the collector's view keeps full collections short: in
    # the benchmark's crisis-beside-hung-chats run they paused the event loop for up to
    # 147 ms before, and 4-10 ms once the run was under way.
    if may_freeze():
        gc.freeze()
    else:
        log.info(
            "warm-up finished after the first invocation: the SDKs and patterns stay in the "
            "collector's view, so that no request's objects are frozen"
        )


# How prepare_process warms the runtime (README, "Cold start"): ``background`` (the default)
# on a thread of its own once the functions are registered, so the import that indexes them
# is short and a crisis message never waits for the provider SDKs; ``at_import`` on the
# importing thread, before the import returns (as before cold starts were measured; kept for
# comparison, and for a host that would rather pay it all before it serves).
WARM_UP_SETTING = "ASKEVE_WARM_UP"
WARM_UP_MODES = ("background", "at_import")


def warm_up_mode(settings: Settings) -> str:
    """The configured warm-up mode; an unknown value is logged and taken as the default."""
    raw = (settings.get(WARM_UP_SETTING) or WARM_UP_MODES[0]).strip().lower()
    if raw not in WARM_UP_MODES:
        log.warning(
            "%s=%r is not one of %s; warming up in the background",
            WARM_UP_SETTING,
            raw,
            ", ".join(WARM_UP_MODES),
        )
        return WARM_UP_MODES[0]
    return raw


def start_warm_up(runtime: Runtime) -> threading.Thread:
    """Run :func:`warm_up` on a daemon thread and return it. A request that needs the crisis
    patterns before the thread has compiled them waits for that one compilation
    (``load_detector`` compiles once per process); one that needs an SDK waits for its import.
    The thread freezes memory only if no invocation has reached the app by then (see
    :func:`get_runtime`), so that no request's objects are frozen."""
    thread = threading.Thread(
        target=warm_up,
        args=(runtime,),
        kwargs={"may_freeze": lambda: not _invoked},
        name="askeve-warm-up",
        daemon=True,
    )
    thread.start()
    return thread


def _nurse_follow_up(settings: Settings, signposting: Signposting) -> str:
    """The ``NURSE_FOLLOW_UP`` pathway the crisis reply describes. Unset is ``none``. A value
    that names no pathway in crisis-replies.json is logged as critical and treated as ``none``:
    a reply must never promise contact that nobody has configured."""
    value = settings.get("NURSE_FOLLOW_UP") or NO_FOLLOW_UP
    if value not in signposting.book.follow_up:
        log.critical(
            "NURSE_FOLLOW_UP names no configured pathway; crisis replies say nobody will "
            "contact the person (pathways: %s)",
            ", ".join(sorted(signposting.book.follow_up)),
        )
        return NO_FOLLOW_UP
    return value


def build_runtime(env: Mapping[str, str], *, warm: bool = True, **overrides: Any) -> Runtime:
    """Build the runtime from an environment, with the storage queues as its outboxes. With
    ``warm``, :func:`warm_up` runs before this returns, on the caller's thread: callers build
    before they serve, so the first request pays for nothing and nothing of it is frozen.
    ``overrides`` go to :func:`assemble`."""
    settings = Settings.from_env(env)
    config = load_config(settings.config_dir or None)
    config = replace(config, failover=with_tier_regions(config.failover, settings.get))
    overrides.setdefault("alert_outbox", StorageQueue(settings, ALERT_QUEUE).put)
    overrides.setdefault("records_outbox", RecordsOutbox(StorageQueue(settings, OUTBOX_QUEUE).put))
    overrides.setdefault("escalation_fallback", StorageQueue(settings, FALLBACK_QUEUE))
    runtime = assemble(config, settings, build_providers(config, settings), **overrides)
    if warm:
        warm_up(runtime)
    return runtime


# Azure lets a function execution finish for 60 minutes when an instance scales in and for 10
# minutes during platform updates (README, "Records survive an instance stopping"); the worker
# process's own end is not documented, so the drain is kept far inside the shortest of them.
SHUTDOWN_DRAIN_S = 5.0
SHUTDOWN_SPILL_S = 3.0
_DRAIN_SETTING = "ASKEVE_SHUTDOWN_DRAIN_S"


@dataclass(frozen=True, slots=True)
class ShutdownReport:
    """What :func:`shutdown` did with the records still queued in memory."""

    audit_rows: int
    outcomes: int
    spilled: Spilled


def shutdown(
    runtime: Runtime, *, drain_s: float = SHUTDOWN_DRAIN_S, spill_s: float = SHUTDOWN_SPILL_S
) -> ShutdownReport:
    """Drain the audit and outcome queues for at most ``drain_s``, then put what is left on
    the records outbox within ``spill_s`` more. Alerts on their way get the same drain."""
    started = time.monotonic()
    runtime.alerts.settled(drain_s)
    left = max(0.0, drain_s - (time.monotonic() - started))
    outcomes = runtime.outcomes.close(left)
    left = max(0.0, drain_s - (time.monotonic() - started))
    rows = runtime.observability.trail.close(left)
    spilled = runtime.outbox.spill(rows, outcomes, deadline=time.monotonic() + spill_s)
    report = ShutdownReport(audit_rows=len(rows), outcomes=len(outcomes), spilled=spilled)
    log.info(
        "stopping: %d audit rows and %d breaker outcomes were not written in time; "
        "%d records queued in the outbox, %d logged",
        report.audit_rows,
        report.outcomes,
        spilled.queued,
        spilled.logged,
    )
    return report


_prepared: Runtime | None = None
_warming: threading.Thread | None = None  # the warm-up thread prepare_process started
_drained = False


def _shutdown_at_exit(*, exiting: bool = False) -> None:
    global _drained  # noqa: PLW0603 - once per process, from SIGTERM or atexit
    runtime = _prepared
    # A runtime a test or tool configured since is stopped by whoever configured it.
    if runtime is None or runtime is not _runtime or _drained:
        return
    _drained = True
    raw = runtime.settings.get(_DRAIN_SETTING)
    try:
        drain_s = float(raw) if raw else SHUTDOWN_DRAIN_S
    except ValueError:
        drain_s = SHUTDOWN_DRAIN_S
    if exiting:  # table batches no longer work at interpreter exit; queue puts still do
        drain_s = 0.0
    try:
        shutdown(runtime, drain_s=max(0.0, min(drain_s, SHUTDOWN_DRAIN_S)))
    except Exception:
        log.exception("shutdown drain failed")


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    # Drain, then exit normally; the default action would end the process at once, with the
    # queues. Runs on the main thread, while the interpreter still runs every thread pool
    # (at exit the storage SDK can no longer parse a batch answer, so the drain cannot wait
    # for atexit).
    _shutdown_at_exit()
    raise SystemExit(0)


def prepare_process() -> Runtime | None:
    """Build this process's runtime, start warming it (:func:`warm_up_mode`), and drain it
    when the process stops. Called once, where the worker imports the function app; repeated
    calls do nothing more. If the runtime cannot be built (a broken config), it logs why and
    returns None: the functions still index, and each invocation reports the error as it did
    before."""
    global _prepared, _runtime, _warming  # noqa: PLW0603 - one process, prepared once
    if _runtime is not None:  # configured already (a test, a tool), which also stops it
        return _runtime
    try:
        with _runtime_lock:
            runtime = _runtime = _runtime or build_runtime(os.environ, warm=False)
    except Exception:
        log.critical("the runtime could not be built at start-up", exc_info=True)
        return None
    if warm_up_mode(runtime.settings) == "at_import":
        warm_up(runtime)
    else:
        # The modules imported so far and the runtime: frozen now, while the worker is still
        # indexing and no invocation can be in flight. The thread freezes what it loads.
        gc.freeze()
        _warming = start_warm_up(runtime)
    _prepared = runtime
    atexit.register(_shutdown_at_exit, exiting=True)
    try:
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _exit_on_sigterm)
    except ValueError:  # not the main thread: a host that imports here owns its signals
        log.info("SIGTERM left to the host; the queues drain at a normal exit")
    return runtime


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()
_invoked = False  # an invocation has asked for the runtime (every trigger does, first thing)


def get_runtime() -> Runtime:
    """The runtime for this process, built from the environment on first use."""
    global _runtime, _invoked  # noqa: PLW0603 - one runtime per worker process, built lazily
    _invoked = True
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
