"""The chat request path, behind the HTTP trigger.

Parse, plan, start ``chat_orchestrator``, poll it until it finishes or the overall budget
runs out, and answer. The orchestration engine is reached through :class:`Orchestrations`, a
small port, so this module never imports Azure Functions. The emergency tier (the pre-approved
emergency reply, after the last LLM tier) is built here from config alone: it needs neither
storage nor the orchestration engine, so the bot always gets an answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from shared.breakers import BreakerService
from shared.escalation import Alert, AlertQueue, Escalator
from shared.events import Audited, ChatRecord, Events
from shared.failover.payload import encoded_size, surely_fits, trim_to_fit
from shared.failover.plan import EMERGENCY, ChatPlan, FailoverResult, build_plan, emergency_result
from shared.failover.ratelimit import BotBackend, RateLimiter, client_ip
from shared.failover.requests import RequestLimits, parse_request
from shared.failover.responses import ChatAnswer, completion_body, preapproved
from shared.failover.second_opinion import SecondOpinion, detach, first_flag, race
from shared.failover.triage_opinion import TriageOpinion
from shared.models import ChatRequest, Outcome
from shared.platform import CHAT_ORCHESTRATION, ApiError, AppConfig, HttpReply, Orchestrations
from shared.safety import BREAKER_NAME, BUILT_IN_DETECTOR, TRIAGE_BREAKER, Pseudonymizer
from shared.safety.retraction import RETRACTION_EVENT, retracted_after_crisis
from shared.signposting import EMERGENCY as EMERGENCY_REPLY
from shared.signposting import NO_FOLLOW_UP, Signposting, compose, person_for

if TYPE_CHECKING:
    from shared.safety import ClassifierFlag, CrisisDetector, CrisisMatch

log = logging.getLogger(__name__)

# How long a reply waits for an escalation to *start* (never for delivery). Past this, the
# start carries on in the background and the reply goes out, so slow storage cannot delay it.
ESCALATION_START_WAIT_S = 0.5
# How long a request waits for its breakers' admission. A warm cache answers in microseconds;
# a cold or slow store must not hold chat up, so past this every tier is allowed.
BREAKER_WAIT_S = 0.5
# Status polling backs off with the request's age: the gap between polls is the configured
# interval, or POLL_BACKOFF of the time already waited if that is longer, up to POLL_CEILING_S.
# A fast answer is seen within the configured interval, a slow one within 5 % of its own
# latency, and a request hung on its providers costs about 10 polls a second, not 200, so a
# host full of hung chats still has the CPU to answer a crisis message at once.
POLL_BACKOFF = 0.05
POLL_CEILING_S = 0.1
# A chat instance is purged once its answer has been read, in the background. One that ran past
# the budget is terminated first, and purged once it has stopped: up to this many status reads,
# POLL_CEILING_S apart. One that will not stop (or a purge that fails) is left to the retention
# timer (``orchestrators/retention.py``).
STOP_POLLS = 300
BUDGET_REASON = "budget exhausted; answered from the emergency tier"
CRISIS_REASON = "answered with the crisis reply"
# The grace an answer waits for the second opinions when no classifier config is at hand.
DEFAULT_GRACE_S = 0.15
_T = TypeVar("_T")
_DETACHED: set[asyncio.Task[Any]] = set()


async def _bounded(work: Coroutine[Any, Any, _T], wait_s: float) -> _T | None:
    """Wait up to ``wait_s`` for ``work``; if it takes longer, leave it running, return None."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=wait_s)
    if task in done:
        return task.result()
    log.warning("escalation start is slow; continuing in the background")
    _DETACHED.add(task)
    task.add_done_callback(_DETACHED.discard)
    return None


def _latest(request: ChatRequest) -> str:
    """The latest user message (parsing guarantees there is one)."""
    return next(m.content for m in reversed(request.messages) if m.role == "user")


def _transcript(request: ChatRequest) -> tuple[tuple[str, str], ...]:
    """The conversation as (role, text), without system turns: for the nurse view's case row."""
    return tuple((m.role, m.content) for m in request.messages if m.role != "system")


def _now() -> datetime:
    return datetime.now(UTC)


def _person_reply(
    signposting: Signposting,
    reply: str,
    request: ChatRequest,
    match: CrisisMatch | None,
    follow_up: str,
) -> str:
    """The pre-approved reply ``reply`` (a crisis category or ``emergency``) composed for the
    person: the request's metadata, and what the detector read in the message. ``classes`` and
    ``language`` are read with defaults, so a detector without them gives the plain reply."""
    person = person_for(
        nation=request.nation,
        age_band=request.age_band,
        language=request.language,
        classes=getattr(match, "classes", ()) or (),
        detected_language=getattr(match, "language", "en") or "en",
    )
    return compose(signposting, reply, person, follow_up=follow_up).text


@dataclass(frozen=True, slots=True)
class _Context:
    """Per-request facts the answer and its observers need."""

    received_at: datetime
    started: float
    conversation_ref: str | None


def _error_reply(error: ApiError) -> HttpReply:
    headers = {"Retry-After": str(error.retry_after_s)} if error.retry_after_s else {}
    return HttpReply(error.status, error.to_body(), headers)


def _no_trace() -> dict[str, str]:
    return {}


@dataclass
class ChatGateway:
    """Answers chat requests, from the services it uses. Clock, sleep and ids are injectable
    for tests; :mod:`shared.bootstrap` builds the process's one gateway."""

    config: AppConfig
    breakers: BreakerService
    escalator: Escalator
    alerts: AlertQueue
    events: Events
    detector: Callable[[], CrisisDetector]
    pseudonyms: Pseudonymizer
    rate_limiter: RateLimiter
    is_configured: Callable[[str], bool]
    blocked: Callable[[str], Outcome | None]
    # The UK services and the reply fragments the crisis and emergency replies are made of.
    signposting: Signposting
    # ``NURSE_FOLLOW_UP``: what the crisis reply says happens after the alert ("none": that
    # nobody will contact the person). The bootstrap checks it names a configured pathway.
    follow_up: str = NO_FOLLOW_UP
    # The classifier's check beside the orchestration (shared/failover/second_opinion.py).
    second_opinion: SecondOpinion | None = None
    # The language-model triage beside it (shared/failover/triage_opinion.py).
    triage: TriageOpinion | None = None
    simulated: bool = False
    poll_interval_s: float = 0.1
    limits: RequestLimits = field(default_factory=RequestLimits)
    # ``FRONT_DOOR_ID``: per-IP limits apply only to requests that came through this profile.
    front_door_id: str = ""
    # ``BOT_BACKEND_ADDRESSES``: the chatbot backend, exempt from the per-IP bucket.
    bot_backend: BotBackend = field(default_factory=BotBackend)
    # The current trace context, carried in the orchestration input so the provider
    # activities join the request's trace (the edge opens the span).
    trace_context: Callable[[], dict[str, str]] = _no_trace
    clock: Callable[[], datetime] = _now
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    new_id: Callable[[], str] = field(default=lambda: uuid.uuid4().hex)

    def clinical_content_state(self) -> dict[str, Any]:
        """The approval state of the reply texts in use, for ``/api/health``: ``unapproved``
        while any of them is a draft, with how many, and the follow-up pathway in use."""
        drafts = self.signposting.unapproved(self.follow_up)
        return {
            "status": "unapproved" if drafts else "approved",
            "unapproved_texts": len(drafts),
            "nurse_follow_up": self.follow_up,
        }

    def second_opinion_state(self) -> dict[str, Any]:
        """The content-safety layer's state, for ``/api/health``."""
        if self.second_opinion is None:
            return {"enabled": False, "reason": "not built"}
        return self.second_opinion.describe()

    def detector_states(self) -> list[dict[str, Any]]:
        """The classifier and the triage, each on or off (and why) with its breaker row's
        state, read afresh (blocking: call it on a worker thread). A row that cannot be read
        is reported as ``None``."""
        rows: list[dict[str, Any]] = []
        for name, layer, row in (
            ("classifier", self.second_opinion, BREAKER_NAME),
            ("triage", self.triage, TRIAGE_BREAKER),
        ):
            if layer is None:
                rows.append({"name": name, "enabled": False, "reason": "not built"})
                continue
            breaker = None
            if layer.enabled:
                try:
                    breaker = layer.breakers.states([row])[0].state.value
                except Exception:  # noqa: BLE001 - health reports what it can read
                    log.warning("%s breaker unreadable for health", name)
            rows.append(
                {
                    "name": name,
                    "enabled": layer.enabled,
                    "reason": layer.off_reason,
                    "breaker": breaker,
                }
            )
        return rows

    def triage_state(self) -> dict[str, Any]:
        """The language-model triage's state, for ``/api/health``."""
        if self.triage is None:
            return {"enabled": False, "reason": "not built"}
        return self.triage.describe()

    async def handle(
        self,
        raw: bytes,
        content_type: str | None,
        orchestrations: Orchestrations,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> HttpReply:
        reply = await self._answer(raw, content_type, orchestrations, headers=headers or {})
        # Alerts leave through the ops-alerts storage queue from wherever they are raised
        # (shared.escalation.alerts). Only those the queue could not take wait in this process;
        # they go out now, in the background, while an orchestration client is at hand.
        self.alerts.flush_soon(self.escalator.alert_sink(orchestrations))
        return reply

    async def _answer(
        self,
        raw: bytes,
        content_type: str | None,
        orchestrations: Orchestrations,
        *,
        headers: Mapping[str, str],
    ) -> HttpReply:
        started = self.monotonic()
        received_at = self.clock()
        try:
            request = parse_request(raw, content_type, self.limits)
        except ApiError as error:
            return _error_reply(error)

        context = _Context(
            received_at, started, self.pseudonyms.reference(request.conversation_key)
        )
        match = self._detect(request)
        if match is not None:  # the app never rate-limits a crisis message (the WAF still can)
            self._count_retraction(request, match.category, context)
            return await self._crisis(
                request,
                match.category,
                match.signals,
                orchestrations,
                context,
                # Taxonomy class ids, where the detector gives them (older ones do not).
                classes=tuple(getattr(match, "classes", ())),
                match=match,
            )
        opinion = self.second_opinion
        triage_on = self.triage is not None and self.triage.enabled
        check = (
            None
            if opinion is None
            else opinion.start(_latest(request), context.conversation_ref, owed=triage_on)
        )
        reply, flag_used, checks = await self._ordinary(
            request, orchestrations, context, check, headers
        )
        if opinion is not None and not flag_used:  # a check still running may flag late
            opinion.follow(
                checks,
                context.conversation_ref,
                lambda flag: self._escalate_late(request, flag, orchestrations),
            )
        return reply

    async def _ordinary(
        self,
        request: ChatRequest,
        orchestrations: Orchestrations,
        context: _Context,
        check: asyncio.Task[ClassifierFlag | None] | None,
        headers: Mapping[str, str],
    ) -> tuple[HttpReply, bool, asyncio.Task[ClassifierFlag | None] | None]:
        """The answer to an ordinary message, whether a second opinion's flag replaced it, and
        the second opinions' check (the classifier's and the triage's, as one) to follow."""
        address = client_ip(headers, self.front_door_id)
        verdict = self.rate_limiter.check(
            conversation=context.conversation_ref,
            client_ip=None if self.bot_backend.includes(address) else address,
        )
        if not verdict.allowed:
            return (
                _error_reply(
                    ApiError(
                        429,
                        f"too many requests for this {verdict.limited_by}; retry later",
                        None,
                        "rate_limited",
                        type="rate_limit_error",
                        retry_after_s=verdict.retry_after_s,
                    )
                ),
                False,
                check,
            )

        trimmed = False
        if not surely_fits(request):
            request, trimmed = trim_to_fit(
                request,
                lambda candidate: encoded_size(self._payload(self._plan(candidate, context))),
            )
        plan = await self._admit(self._plan(request, context))
        # The triage starts on the first tier the plan would call (policy and breakers chose).
        triage = None if self.triage is None else self.triage.start(request, plan.callable_tiers())
        checks = first_flag([c for c in (check, triage) if c is not None])
        if checks is None:
            # No check running (the layers are off): nothing to race, so the chat path stays
            # one task.
            result = await self._run(plan, orchestrations, context.started)
        else:
            run = asyncio.ensure_future(self._run(plan, orchestrations, context.started))
            opinion = self.second_opinion
            grace = DEFAULT_GRACE_S if opinion is None else opinion.config.grace_s
            flag = await race(checks, run, grace)
            if flag is not None:  # the crisis reply replaces the answer, ready or not
                run.cancel()  # _run terminates and purges its orchestration
                crisis = await self._crisis(
                    request,
                    flag.crisis_category,
                    flag.signals,
                    orchestrations,
                    context,
                    source=flag.source,
                )
                return crisis, True, checks
            result = await run
        if result.provider == EMERGENCY:
            await self._alert_all_tiers_failed(result, orchestrations)
        return self._reply(result, plan, context, request, trimmed=trimmed), False, checks

    def _count_retraction(self, request: ChatRequest, category: str, context: _Context) -> None:
        """A crisis reply to a retraction ("it was a joke") is kept (H28) and counted: an audit
        event with the pseudonymous reference and the category, never the text."""
        turns = [m.content for m in request.messages if m.role == "user"]
        try:
            retracted = retracted_after_crisis(turns, self.detector().detect)
        except Exception:  # noqa: BLE001 - a broken pattern file is reported by _detect
            return
        if retracted:
            fields = {"conversation_ref": context.conversation_ref, "category": category}
            self.events.emit(Audited(RETRACTION_EVENT, fields))

    def _plan(self, request: ChatRequest, context: _Context) -> ChatPlan:
        return build_plan(
            self.config.failover,
            request,
            context.received_at,
            is_configured=self.is_configured,
            blocked=self.blocked,
        )

    def _payload(self, plan: ChatPlan) -> dict[str, Any]:
        # The trace context rides in the input, so the provider activities join this trace.
        return {**plan.to_json(), "trace": self.trace_context()}

    def _detect(self, request: ChatRequest) -> CrisisMatch | None:
        try:
            return self.detector().detect_request(request)
        except Exception:
            # A broken pattern file must not take chat down, nor silence crisis detection:
            # explicit statements are still caught, and it is loud (log, alert, /api/health).
            log.critical(
                "crisis patterns unavailable; using the built-in detector for explicit statements",
                exc_info=True,
            )
            self.alerts.push(
                Alert(
                    title="Crisis patterns failed to load: only explicit crisis statements are "
                    "detected until the pattern file is fixed",
                    dedup_key="crisis-detection-misconfigured",
                    rule="crisis_detection_misconfigured",
                    severity="critical",
                )
            )
            return BUILT_IN_DETECTOR.detect_request(request)

    async def _crisis(
        self,
        request: ChatRequest,
        category: str,
        signals: tuple[str, ...],
        orchestrations: Orchestrations,
        context: _Context,
        *,
        source: str = "patterns",
        match: CrisisMatch | None = None,
        classes: tuple[str, ...] = (),
    ) -> HttpReply:
        """The pre-approved crisis reply, after starting (not awaiting) the escalation."""
        outcome = await _bounded(
            self.escalator.crisis(
                orchestrations,
                category=category,
                signals=signals,
                conversation_key=request.conversation_key,
                latest_message=_latest(request),
                classes=classes,
                transcript=_transcript(request),
                user_key=request.user,
            ),
            ESCALATION_START_WAIT_S,
        )
        answer = ChatAnswer(
            completion=preapproved(
                _person_reply(self.signposting, category, request, match, self.follow_up),
                crisis=True,
            ),
            tier=self.config.failover.emergency_tier,
            provider=EMERGENCY,
            crisis=True,
            crisis_category=category,
            crisis_source=source,
            escalated=outcome is not None and outcome.escalated,
            simulated=self.simulated,
        )
        return self._body(answer, context)

    async def _escalate_late(
        self, request: ChatRequest, flag: ClassifierFlag, orchestrations: Orchestrations
    ) -> None:
        """The escalation for a message a second opinion flagged after its answer went out."""
        await self.escalator.crisis(
            orchestrations,
            category=flag.crisis_category,
            signals=flag.signals,
            conversation_key=request.conversation_key,
            latest_message=_latest(request),
            late=True,
            transcript=_transcript(request),
            user_key=request.user,
        )

    async def _alert_all_tiers_failed(
        self, result: FailoverResult, orchestrations: Orchestrations
    ) -> None:
        """Raise the alert, and send it before the reply (bounded) while the client is at hand."""
        self.alerts.push(
            Alert(
                title="All LLM tiers failed for a chat request; emergency replies are being sent",
                dedup_key="all-tiers-failed",
                rule="all_tiers_failed",
                facts=tuple((a.provider, a.outcome.value) for a in result.attempts),
            )
        )
        await _bounded(
            self.alerts.flush(self.escalator.alert_sink(orchestrations)), ESCALATION_START_WAIT_S
        )

    async def _admit(self, plan: ChatPlan) -> ChatPlan:
        """Stamp the plan with each callable tier's breaker admission (one snapshot per
        request; this is where a half-open probe lease is taken). If the breakers cannot be
        read in time, every tier is allowed: breakers must never block chat."""
        names = plan.callable_tiers()
        if not names:
            return plan
        try:
            # On a worker thread: a stale cache reads the table, which must not block the loop.
            admissions = await asyncio.wait_for(
                asyncio.to_thread(self.breakers.admit_all, names), BREAKER_WAIT_S
            )
        except Exception:  # includes the timeout; logged, and chat carries on
            log.warning("breaker admission unavailable; every tier is allowed", exc_info=True)
            return plan
        return plan.with_admissions(
            {name: (admission.allowed, admission.probe) for name, admission in admissions.items()}
        )

    async def _run(
        self, plan: ChatPlan, orchestrations: Orchestrations, started: float
    ) -> FailoverResult:
        # The id is chosen here, so a request cancelled while the start is in flight (the
        # classifier's crisis reply won) still knows which instance to terminate.
        instance_id = uuid.uuid4().hex
        try:
            instance_id = await orchestrations.start(
                CHAT_ORCHESTRATION, self._payload(plan), instance_id
            )
        except asyncio.CancelledError:
            detach(self._dispose(orchestrations, instance_id, stop=CRISIS_REASON))
            raise
        except Exception:
            log.exception("chat orchestration could not start; answering from the emergency tier")
            return emergency_result(plan)
        try:
            return await self._poll(plan, orchestrations, started, instance_id)
        except asyncio.CancelledError:
            detach(self._dispose(orchestrations, instance_id, stop=CRISIS_REASON))
            raise

    async def _poll(
        self, plan: ChatPlan, orchestrations: Orchestrations, started: float, instance_id: str
    ) -> FailoverResult:
        budget_end = started + self.config.failover.budget_s
        base = self.poll_interval_s
        ceiling = max(base, POLL_CEILING_S)
        while True:
            now = self.monotonic()
            remaining = budget_end - now
            if remaining <= 0:
                log.error("chat orchestration exceeded the budget; answering from emergency tier")
                detach(self._dispose(orchestrations, instance_id, stop=BUDGET_REASON))
                return emergency_result(plan)
            interval = min(ceiling, max(base, (now - started) * POLL_BACKOFF))
            await self.sleep(min(interval, remaining))
            try:
                state, output = await orchestrations.poll(instance_id)
            except Exception:
                log.exception("chat orchestration status unavailable; polling again")
                continue
            if state in ("completed", "failed"):
                # The conversation is in the instance's input and history: gone once answered.
                detach(self._dispose(orchestrations, instance_id, stop=None))
            if state == "completed":
                try:
                    return FailoverResult.from_json(output)
                except (KeyError, TypeError, ValueError):
                    log.exception("chat orchestration returned an unreadable result")
                    return emergency_result(plan)
            if state == "failed":
                log.error("chat orchestration failed; answering from the emergency tier")
                return emergency_result(plan)

    async def _dispose(
        self, orchestrations: Orchestrations, instance_id: str, *, stop: str | None
    ) -> None:
        """Purge a chat instance; with ``stop`` (the reason), terminate it first and wait
        until it has stopped."""
        try:
            if stop is not None:
                await orchestrations.terminate(instance_id, stop)
                for _ in range(STOP_POLLS):
                    state, _ = await orchestrations.poll(instance_id)
                    if state != "running":
                        break
                    await self.sleep(POLL_CEILING_S)
                else:
                    log.warning("chat instance did not stop; the retention timer will purge it")
                    return
            await orchestrations.purge(instance_id)
        except Exception:
            log.warning(
                "chat instance clean-up failed; the retention timer will purge it", exc_info=True
            )

    def _reply(
        self,
        result: FailoverResult,
        plan: ChatPlan,
        context: _Context,
        request: ChatRequest,
        *,
        trimmed: bool = False,
    ) -> HttpReply:
        completion = result.completion
        if completion is None:
            text = _person_reply(self.signposting, EMERGENCY_REPLY, request, None, self.follow_up)
            completion = preapproved(text, crisis=False)
        answer = ChatAnswer(
            completion=completion,
            tier=result.tier,
            provider=result.provider,
            attempts=result.attempts,
            simulated=self.simulated,
            preferred_tier=plan.preferred_tier,
            trimmed=trimmed,
        )
        return self._body(answer, context)

    def _body(self, answer: ChatAnswer, context: _Context) -> HttpReply:
        request_id = f"chatcmpl-{self.new_id()}"
        body = completion_body(
            answer, completion_id=request_id, created=int(context.received_at.timestamp())
        )
        self.events.emit(
            ChatRecord(
                at=context.received_at,
                request_id=request_id,
                conversation_ref=context.conversation_ref,
                tier=answer.tier,
                provider=answer.provider,
                attempts=answer.attempts,
                crisis=answer.crisis,
                crisis_category=answer.crisis_category,
                escalated=answer.escalated,
                degraded=answer.degraded,
                simulated=answer.simulated,
                latency_ms=(self.monotonic() - context.started) * 1000.0,
            )
        )
        return HttpReply(200, body)
