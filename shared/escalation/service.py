"""Starting escalations and delivering them, on behalf of the HTTP trigger and the activities.

:class:`Escalator` is built once per process (see :mod:`shared.bootstrap`) from the services it
uses: the escalation config, the app settings (channel endpoints), the escalations store, the
pseudonymizer and the events port. It also keeps this instance's memory of recent
de-duplication claims, so a storm of duplicates costs no storage round trips.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp

from shared.escalation.acklinks import (
    ACK_PATH,
    FORWARDED_HEADER,
    REGION_HEADER,
    AckLinks,
    AckOutcome,
    AckPage,
    AckTokenError,
)
from shared.escalation.alerts import Alert, AlertSink, SendOutcome
from shared.escalation.casefile import OUTCOMES, CaseFile, case_file
from shared.escalation.channels import Delivery, SmtpSettings, send_email, send_teams
from shared.escalation.fallback import DelayedQueue, FallbackCourier, first_step, queued_in
from shared.escalation.flood import Admission, FloodControl, digest_id
from shared.escalation.followups import (
    ConversationEscalations,
    MemoryConversations,
    Signal,
    Verdict,
    claim_signal,
)
from shared.escalation.model import (
    Audience,
    Escalation,
    EscalationConfig,
    email_message,
    missing_audiences,
    teams_message,
)
from shared.escalation.store import EscalationStore
from shared.events import EscalationSent, Events
from shared.platform import (
    ESCALATION_ORCHESTRATION,
    ApiError,
    HttpReply,
    Orchestrations,
    OrchestrationsUnavailable,
    Settings,
    now_iso,
)
from shared.safety import Pseudonymizer
from shared.safety import excerpt as redacted_excerpt

log = logging.getLogger(__name__)

# What another region may answer a forwarded acknowledgement with.
_FORWARDABLE: dict[str, AckOutcome] = {
    "acknowledged": "acknowledged",
    "already": "already",
    "finished": "finished",
    "invalid": "invalid",
    "expired": "expired",
    "unknown": "unknown",
    "recorded": "recorded",
    "bad_outcome": "bad_outcome",
    "try_again": "try_again",
}


def _outcome_of(body: object) -> object:
    """The outcome in the other region's JSON answer (``outcome``, or the error's ``code``)."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    return error.get("code") if isinstance(error, dict) else body.get("outcome")


def _token_error(exc: AckTokenError) -> AckPage:
    return AckPage(410, "expired") if exc.reason == "expired" else AckPage(403, "invalid")


ACK_EVENT = "ack"
_MAX_REMEMBERED_CLAIMS = 10_000
_ESCALATION_ID = re.compile(r"esc-[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class EscalationOutcome:
    escalated: bool
    escalation_id: str | None = None
    deduplicated: bool = False


@dataclass
class Escalator:
    """Starts durable escalations, delivers them, audits them; de-duplicates per conversation."""

    config: EscalationConfig
    settings: Settings
    store: EscalationStore
    pseudonyms: Pseudonymizer
    events: Events
    clock: Callable[[], float] = time.time
    # Signed acknowledgement links in crisis alerts; None when not configured.
    links: AckLinks | None = None
    # Where an escalation goes when its orchestration cannot start (the escalation-fallback
    # storage queue); None (unit tests): delivered directly, once per channel.
    fallback: DelayedQueue | None = None
    # De-duplication keys this instance knows to be claimed, with when that lapses.
    claims: dict[str, float] = field(default_factory=dict)
    # Each conversation's open escalation and what it reported (shared through the table).
    conversations: ConversationEscalations = field(default_factory=MemoryConversations)
    # Folds crisis escalations past a limit a minute into one digest (shared/escalation/flood).
    flood: FloodControl | None = None
    _background: set[asyncio.Task[None]] = field(default_factory=set)

    # --- starting ---------------------------------------------------------------------------

    async def crisis(
        self,
        starter: Orchestrations,
        *,
        category: str,
        signals: tuple[str, ...],
        conversation_key: str | None,
        latest_message: str,
        late: bool = False,
        classes: tuple[str, ...] = (),
        transcript: Sequence[tuple[str, str]] = (),
        user_key: str | None = None,
    ) -> EscalationOutcome:
        """Start the clinical escalation for a crisis message; in a conversation with an open
        escalation, a follow-up when the message reports something new (its category, a higher
        severity, a new signal or class), and nothing when it reports nothing new.

        ``late``: the message was flagged after its ordinary answer had gone out (the
        classifier's late flag); the title says so, so the nurse knows the person has not yet
        seen the crisis signposting. ``transcript``: the conversation as (role, text), for the
        case row behind the nurse view (its text kept only with ``ESCALATION_SHOW_MESSAGES``).
        ``user_key``: the bot's ``user`` field, de-duplicated as well as the conversation (a new
        conversation id does not make a new crisis)."""
        reference = self.pseudonyms.reference(conversation_key)
        names = tuple(dict.fromkeys((*signals, *classes)))
        signal = Signal(category, names, self.config.severity.rank(names))
        escalation_id = f"esc-{uuid.uuid4().hex}"
        verdict = Verdict("new")
        if reference is not None:
            verdict = await self._verdict(reference, signal, escalation_id)
            if verdict.decision == "duplicate":
                return EscalationOutcome(escalated=True, deduplicated=True)
        # The same user in a conversation under a new id is not a new crisis (a follow-up in the
        # same conversation was decided above, and is never folded into a user's claim).
        user_ref = self.pseudonyms.reference(user_key) if user_key != conversation_key else None
        if (
            user_ref is not None
            and verdict.decision == "new"
            and not await self._claim(f"user:{user_ref}:{category}")
        ):
            return EscalationOutcome(escalated=True, deduplicated=True)
        if self.flood is not None:
            source = user_ref or reference
            admission = await asyncio.to_thread(self.flood.admit, source, self.clock())
            if admission.folded:
                return await self._fold(
                    starter, admission, category, signals, reference=reference, late=late
                )
        excerpt = None
        if self.settings.escalation_include_excerpt:
            excerpt = redacted_excerpt(latest_message, self.config.excerpt_max_chars)
        follow_up = verdict.decision == "follow_up"
        facts: tuple[tuple[str, str], ...] = ()
        if follow_up and verdict.first_id:
            facts = (
                ("Follow-up to", verdict.first_id),
                ("Why", self._follow_up_reason(verdict, signal)),
            )
        escalation = Escalation(
            id=escalation_id,
            audience="clinical",
            kind="crisis",
            title=(
                f"Ask Eve crisis {'follow-up' if follow_up else 'message'}"
                f"{' (flagged late, after an answer)' if late else ''}: "
                f"{category.replace('_', ' ')}"
            ),
            created_at=now_iso(),
            category=category,
            signals=names,
            conversation_ref=reference,
            callback_required=True,
            excerpt=excerpt,
            facts=facts,
        )
        # The case row is for the nurse view, opened later: written beside the start, never
        # before it, so slow storage cannot delay the alert.
        outcome, _ = await asyncio.gather(
            self._start(starter, escalation, await_ack=True),
            self._save_case(escalation, transcript),
        )
        return outcome

    async def _save_case(
        self, escalation: Escalation, transcript: Sequence[tuple[str, str]]
    ) -> None:
        """Write the case row the nurse view reads. A failure costs the view its details,
        never the escalation; the log names the escalation, never the text."""
        case = case_file(
            escalation_id=escalation.id,
            category=escalation.category or "",
            signals=escalation.signals,
            created_at=escalation.created_at,
            conversation_ref=escalation.conversation_ref,
            transcript=transcript,
            show_messages=self.settings.escalation_show_messages,
        )
        try:
            await asyncio.to_thread(self.store.save_case, case)
        except Exception as exc:  # noqa: BLE001 - the escalation matters more than its view
            log.warning("case row not written: id=%s %s", escalation.id, type(exc).__name__)

    def _follow_up_reason(self, verdict: Verdict, signal: Signal) -> str:
        if verdict.reason == "severity":
            return f"severity rose to {self.config.severity.label(signal.rank)}"
        if verdict.reason == "category":
            return "a new crisis category in the same conversation"
        return "a crisis signal not reported before in this conversation"

    async def _verdict(self, reference: str, signal: Signal, escalation_id: str) -> Verdict:
        """New, follow-up or duplicate, recorded for every instance. A message this instance
        knows to be identical to one inside the window is answered from memory."""
        now = self.clock()
        window = self.config.dedup_window_s
        key = f"{reference}:{signal.category}:{'|'.join(sorted(signal.names))}"
        known_until = self.claims.get(key)
        if known_until is not None and now < known_until:
            return Verdict("duplicate")
        try:
            verdict = await asyncio.to_thread(
                functools.partial(
                    claim_signal,
                    self.conversations,
                    reference,
                    signal,
                    escalation_id=escalation_id,
                    now=now,
                    window_s=window,
                )
            )
        except Exception:  # noqa: BLE001 - storage trouble must never suppress an escalation
            log.warning("escalation de-duplication unavailable; escalating anyway")
            return Verdict("new")
        # Raised here: the identical message is a duplicate for the whole window. A duplicate
        # of another instance's escalation: its window is unknown, so remember it briefly.
        raised = verdict.decision != "duplicate"
        self.claims[key] = now + (window if raised else min(window, 30.0))
        if len(self.claims) > _MAX_REMEMBERED_CLAIMS:
            self.claims.clear()
        return verdict

    async def alert(
        self,
        starter: Orchestrations,
        *,
        title: str,
        facts: tuple[tuple[str, str], ...] = (),
        dedup_key: str | None = None,
        audience: Audience = "operations",
    ) -> EscalationOutcome:
        """Raise a system alert to operations (de-duplicated on ``dedup_key`` when given)."""
        if dedup_key is not None and not await self._claim(f"alert:{dedup_key}"):
            return EscalationOutcome(escalated=True, deduplicated=True)
        escalation = Escalation(
            id=f"alert-{uuid.uuid4().hex}",
            audience=audience,
            kind="alert",
            title=title,
            created_at=now_iso(),
            facts=facts,
        )
        return await self._start(starter, escalation, await_ack=False)

    async def _fold(
        self,
        starter: Orchestrations,
        admission: Admission,
        category: str,
        signals: tuple[str, ...],
        *,
        reference: str | None,
        late: bool,
    ) -> EscalationOutcome:
        """Fold one crisis escalation into its minute's digest: record it under the digest's
        id, and let the first fold of the minute start the digest and the operations alert."""
        assert self.flood is not None  # noqa: S101 - only called with flood control on
        digest = digest_id(admission.minute)
        await asyncio.to_thread(
            self.record_audit,
            digest,
            "folded",
            {
                "conversation_ref": reference,
                "category": category,
                "signals": ",".join(signals),
                "late": late,
                "reason": admission.reason,
            },
        )
        await asyncio.to_thread(self.flood.record_fold, admission.minute)
        if not await self._claim(f"flood-digest:{admission.minute}"):
            return EscalationOutcome(escalated=True, escalation_id=digest, deduplicated=True)
        limits = self.config.flood
        minute = now_iso()[:16].replace("T", " ")
        outcome = await self._start(
            starter,
            Escalation(
                id=digest,
                audience="clinical",
                kind="crisis",
                title=(
                    "Ask Eve: more crisis messages than the alert limit this minute "
                    f"({minute} UTC); this card stands for every one of them"
                ),
                created_at=now_iso(),
                category=category,
                signals=signals,
                conversation_ref=reference,
                callback_required=True,
                facts=(
                    (
                        "Folded into this card",
                        "every crisis message over the limit in this minute: the count is on "
                        "the status page; each one's conversation reference is in the "
                        "escalation record under this card's id",
                    ),
                    (
                        "Limits",
                        f"{limits.per_source_per_minute} a minute from one source, "
                        f"{limits.total_per_minute} a minute in all",
                    ),
                ),
            ),
            await_ack=True,
        )
        await self.alert(
            starter,
            title=(
                "Crisis escalations over the limit: a surge, or one source repeating; "
                "the nurses get one digest card a minute"
            ),
            facts=(("Minute (UTC)", minute), ("Reason", admission.reason)),
            dedup_key=f"escalation-flood:{admission.minute}",
        )
        return outcome

    def alert_sink(self, starter: Orchestrations) -> AlertSink:
        """Where an :class:`~shared.escalation.alerts.AlertQueue` flushes to: one durable
        escalation per alert, through ``starter``."""

        async def send(alert: Alert) -> SendOutcome:
            outcome = await self.alert(
                starter,
                title=alert.title,
                facts=alert.facts,
                dedup_key=alert.dedup_key,
                audience=alert.audience,
            )
            return SendOutcome(outcome.escalated, outcome.escalation_id, outcome.deduplicated)

        return send

    def _payload(self, escalation: Escalation, *, await_ack: bool) -> dict[str, Any]:
        retry = self.config.retry
        return {
            "escalation": escalation.to_json(),
            "retry": {
                "first_delay_s": retry.first_delay_s,
                "max_delay_s": retry.max_delay_s,
                "window_s": retry.window_s,
                "attempt_timeout_s": retry.attempt_timeout_s,
            },
            "ack_timeout_s": self.config.ack_timeout_s if await_ack else None,
            "channel_alert_window_s": self.config.channel_alert_window_s,
        }

    @property
    def channel_alert_window_s(self) -> float:
        """How long one channel's give-up alert holds back the next for the same audience."""
        return self.config.channel_alert_window_s

    def claim_channel_alert(self, audience: str, channel: str, window_s: float) -> bool:
        """Whether to tell operations that ``audience``'s ``channel`` gave up: the first time
        within ``window_s``, across instances (a claim row in the escalations table). When the
        claim cannot be made, True: an alert too many beats one lost."""
        try:
            return self.store.claim(f"channel-gave-up:{audience}:{channel}", self.clock(), window_s)
        except Exception:  # noqa: BLE001 - storage trouble must never silence the alert
            log.warning("channel alert de-duplication unavailable; alerting anyway")
            return True

    async def _claim(self, key: str) -> bool:
        """Whether to escalate ``key`` now. A key this instance already knows to be inside its
        window is answered from memory, so a storm of duplicates costs no storage round trips."""
        now = self.clock()
        window = self.config.dedup_window_s
        known_until = self.claims.get(key)
        if known_until is not None and now < known_until:
            return False
        try:
            claimed = await asyncio.to_thread(self.store.claim, key, now, window)
        except Exception:  # noqa: BLE001 - storage trouble must never suppress an escalation
            log.warning("escalation de-duplication unavailable; escalating anyway")
            return True
        # Claimed here: duplicates are known for the whole window. Claimed elsewhere: the
        # remaining window is unknown, so remember it only briefly.
        self.claims[key] = now + (window if claimed else min(window, 30.0))
        if len(self.claims) > _MAX_REMEMBERED_CLAIMS:
            self.claims.clear()
        return claimed

    async def _start(
        self, starter: Orchestrations, escalation: Escalation, *, await_ack: bool
    ) -> EscalationOutcome:
        try:
            await starter.start(
                ESCALATION_ORCHESTRATION,
                self._payload(escalation, await_ack=await_ack),
                escalation.id,
            )
        except Exception:
            log.exception("escalation orchestration could not start: id=%s", escalation.id)
            if await self._queue_fallback(escalation, await_ack=await_ack):
                return EscalationOutcome(escalated=True, escalation_id=escalation.id)
            # Last resort, so the escalation is not lost: deliver directly, once per channel.
            task = asyncio.create_task(self._deliver_directly(escalation))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return EscalationOutcome(escalated=False, escalation_id=escalation.id)
        return EscalationOutcome(escalated=True, escalation_id=escalation.id)

    async def _queue_fallback(self, escalation: Escalation, *, await_ack: bool) -> bool:
        """Put the escalation on the fallback queue, whose trigger retries and reminds as the
        orchestration would; False when there is no queue or it cannot take the message."""
        if self.fallback is None:
            return False
        ack_timeout_s = self.config.ack_timeout_s if await_ack else None
        step = first_step(escalation, self.config.retry, ack_timeout_s, self.clock())
        try:
            await asyncio.to_thread(self.fallback.put, step.to_json())
        except Exception:
            # The direct delivery after this is the last resort.
            log.exception("escalation fallback queue unavailable: id=%s", escalation.id)
            return False
        log.warning(
            "escalation queued for delivery without the orchestration: id=%s", escalation.id
        )
        return True

    def fallback_courier(self) -> FallbackCourier:
        """What the fallback queue's trigger runs each step with."""
        if self.fallback is None:
            raise RuntimeError("no escalation fallback queue is configured")
        return FallbackCourier(self, self.fallback, self.config.retry, self.clock)

    async def _acknowledge_queued(
        self, escalation_id: str, window_s: float, fields: dict[str, Any]
    ) -> bool | None:
        """Acknowledge an escalation delivered through the fallback queue (it has no
        orchestration): the ``ack:<id>`` claim, which the queued reminder reads, and the audit
        row. None when the escalation did not go by the queue (or that cannot be read)."""
        try:
            history = await asyncio.to_thread(self.store.history, escalation_id)
        except Exception:  # noqa: BLE001 - then ask the orchestration, as before
            return None
        if not queued_in(history):
            return None
        try:
            claimed = await asyncio.to_thread(
                self.store.claim, f"ack:{escalation_id}", self.clock(), window_s
            )
        except Exception:  # noqa: BLE001 - the audit row below still records it
            claimed = True
        if claimed:
            await asyncio.to_thread(self.record_audit, escalation_id, "acknowledged", fields)
        return claimed

    async def _deliver_directly(self, escalation: Escalation) -> None:
        results = await asyncio.gather(
            *(self.deliver_one(escalation, channel, attempt=1) for channel in ("teams", "email"))
        )
        if not any(r.ok for r in results):
            log.critical("escalation undeliverable without the orchestration: id=%s", escalation.id)

    # --- delivering and auditing (the orchestration's activities) ---------------------------

    def record_audit(
        self, escalation_id: str, event: str, fields: dict[str, Any], *, raise_errors: bool = False
    ) -> None:
        """Write an audit row; if storage fails, keep the record in the log (no content in it)."""
        try:
            self.store.audit(escalation_id, event, fields)
        except Exception:
            log.warning(
                "escalation audit write failed; record kept in log: id=%s event=%s fields=%s",
                escalation_id,
                event,
                fields,
            )
            if raise_errors:
                raise

    async def deliver_one(self, escalation: Escalation, channel: str, attempt: int) -> Delivery:
        """Send one escalation on one channel of its audience, and audit the attempt."""
        audience = self.config.audiences[escalation.audience]
        timeout_s = self.config.retry.attempt_timeout_s
        ack_url = self.ack_url(escalation)
        result: Delivery
        if channel == "teams":
            url = self.settings.get(audience.teams_webhook_setting)
            result = (
                await send_teams(url, teams_message(escalation, ack_url=ack_url), timeout_s)
                if url
                else Delivery("teams", ok=False, detail="not configured", skipped=True)
            )
        elif channel == "email":
            smtp = SmtpSettings.from_settings(self.settings)
            recipients = self.settings.get(audience.email_to_setting)
            if smtp is None or not recipients:
                result = Delivery("email", ok=False, detail="not configured", skipped=True)
            else:
                message = email_message(
                    escalation, sender=smtp.sender, recipients=recipients, ack_url=ack_url
                )
                result = await send_email(smtp, message, timeout_s)
        else:
            result = Delivery(channel, ok=False, detail="unknown channel", skipped=True)
        event = "delivered" if result.ok else ("skipped" if result.skipped else "delivery_failed")
        self.events.emit(EscalationSent(escalation.audience, channel, event))
        await asyncio.to_thread(
            self.record_audit,
            escalation.id,
            event,
            {
                "channel": channel,
                "attempt": attempt,
                "detail": result.detail,
                "audience": escalation.audience,
                "kind": escalation.kind,
            },
        )
        return result

    def missing_audiences(self) -> list[str]:
        """Audiences that no channel reaches; none in simulation, where ``make run``'s local
        inbox stands in for every channel."""
        if self.settings.simulated_providers:
            return []
        return missing_audiences(self.config, self.settings.get)

    # --- acknowledging, the nurse view and outcomes ------------------------------------------

    def ack_url(self, escalation: Escalation) -> str | None:
        """The signed acknowledgement link for a crisis escalation (None for other kinds, or
        when links are not configured)."""
        if self.links is None or escalation.kind != "crisis":
            return None
        return self.links.link(escalation.id, escalation.created_at)

    async def nurse_view(
        self, token: str, *, messages: bool = False, forwarded: bool = False
    ) -> AckPage:
        """The nurse view of a genuine token's escalation: ``GET`` on the link (what the alert
        carries, the number of turns, the forms), or with ``messages`` (a ``POST`` from that
        view) the text of the last turns too, when ``ESCALATION_SHOW_MESSAGES`` is on. Changes
        nothing but the audit trail: every view is audited (the link's escalation, the time,
        whether text was shown; never the text). The case lives in the region that raised the
        escalation, so a token for the other region is forwarded there, which audits the view
        and answers with the case; if it cannot be reached, the forms are shown without it."""
        if self.links is None:
            return AckPage(404, "unavailable")
        try:
            claim = self.links.signer.verify(token, self.clock())
        except AckTokenError as exc:
            return _token_error(exc)
        if claim.region != self.links.signer.region:
            if forwarded:  # never forward twice: the regions' addresses disagree
                log.error("view forwarded to the wrong region: %s", claim.region)
                return AckPage(421, "unreachable", claim.escalation_id)
            return await self._forward_view(
                self.links, claim.region, token, claim.escalation_id, messages=messages
            )
        enabled = self.settings.escalation_show_messages
        shown = messages and enabled
        case = None
        try:
            case = await asyncio.to_thread(self.store.case, claim.escalation_id)
        except Exception as exc:  # noqa: BLE001 - the forms still work without the case
            log.warning("case row unreadable: id=%s %s", claim.escalation_id, type(exc).__name__)
        if case is not None and not shown:
            case = replace(case, messages=())
        await asyncio.to_thread(
            self.record_audit,
            claim.escalation_id,
            "viewed",
            {"via": "link", "messages": shown},
        )
        return AckPage(
            200,
            "messages" if shown else "confirm",
            claim.escalation_id,
            token,
            case=case,
            messages_enabled=enabled,
        )

    async def acknowledge_link(
        self, token: str, orchestrations: Orchestrations, *, forwarded: bool = False
    ) -> AckPage:
        """``POST`` on a link: acknowledge once, in the region that runs the escalation."""
        return await self._on_link(token, orchestrations, forwarded=forwarded, outcome=None)

    async def record_outcome(
        self, token: str, outcome: str, orchestrations: Orchestrations, *, forwarded: bool = False
    ) -> AckPage:
        """``POST`` from the view: record what happened (one of :data:`OUTCOMES`), audited.

        Recording an outcome also acknowledges an escalation that is still waiting: a nurse
        who has contacted the person, or tried to, or handed the case to 999, has taken it,
        and a supervisor reminder after that would say nobody had. An outcome may be recorded
        again later (``could_not_contact``, then ``contacted``); each is audited."""
        if outcome not in OUTCOMES:
            return AckPage(400, "bad_outcome")
        return await self._on_link(token, orchestrations, forwarded=forwarded, outcome=outcome)

    async def _on_link(
        self,
        token: str,
        orchestrations: Orchestrations,
        *,
        forwarded: bool,
        outcome: str | None,
    ) -> AckPage:
        links = self.links
        if links is None:
            return AckPage(404, "unavailable")
        try:
            claim = links.signer.verify(token, self.clock())
        except AckTokenError as exc:
            return _token_error(exc)
        if claim.region != links.signer.region:
            if forwarded:  # never forward twice: the regions' addresses disagree
                log.error("acknowledgement forwarded to the wrong region: %s", claim.region)
                return AckPage(421, "unreachable", claim.escalation_id)
            return await self._forward(links, claim.region, token, claim.escalation_id, outcome)
        return await self._act_here(claim.escalation_id, links, orchestrations, outcome)

    async def _act_here(
        self,
        escalation_id: str,
        links: AckLinks,
        orchestrations: Orchestrations,
        outcome: str | None,
    ) -> AckPage:
        """Acknowledge (if still waiting) and, with ``outcome``, record it."""
        try:
            page = await self._acknowledge_here(escalation_id, links, orchestrations)
        except Exception as exc:  # noqa: BLE001 - the Durable backend: a page, never a 500
            log.warning(
                "acknowledgement not delivered: id=%s %s", escalation_id, type(exc).__name__
            )
            return AckPage(503, "try_again", escalation_id)
        if outcome is None or page.outcome == "unknown":
            return page
        await asyncio.to_thread(
            self.record_audit, escalation_id, "outcome", {"outcome": outcome, "via": "link"}
        )
        return AckPage(200, "recorded", escalation_id, recorded=outcome)

    async def _acknowledge_here(
        self, escalation_id: str, links: AckLinks, orchestrations: Orchestrations
    ) -> AckPage:
        """Raise the ``ack`` event first, then claim. A failure between the two leaves no claim,
        so a retry raises again (the orchestration takes the first event and ignores the rest)
        instead of answering "already acknowledged" for an acknowledgement never received.
        "Already" is said only after the event was raised: the escalation's audit trail has an
        acknowledgement (written after a raise), or another post won the claim. An escalation
        delivered through the fallback queue has no orchestration: its claim is the
        acknowledgement (the queued reminder reads it)."""
        page: AckPage | None = None
        queued = await self._acknowledge_queued(
            escalation_id, links.signer.ttl_s * 2, {"late": False, "via": "link", "path": "queue"}
        )
        if queued is not None:
            outcome: AckOutcome = "acknowledged" if queued else "already"
            page = AckPage(200 if queued else 409, outcome, escalation_id)
        else:
            state, _ = await orchestrations.poll(escalation_id)
            if state == "missing":
                page = AckPage(404, "unknown", escalation_id)
            elif state != "running":
                page = AckPage(409, "finished", escalation_id)
            elif await self._acknowledged_before(escalation_id):
                page = AckPage(409, "already", escalation_id)
        if page is not None:
            return page
        try:
            await orchestrations.raise_event(escalation_id, ACK_EVENT, {"at": now_iso()})
        except Exception:
            # Finished since the poll (another acknowledgement won)? Then say so; else retry.
            state, _ = await orchestrations.poll(escalation_id)
            if state in ("completed", "failed"):
                return AckPage(409, "finished", escalation_id)
            raise
        try:
            claimed = await asyncio.to_thread(
                self.store.claim, f"ack:{escalation_id}", self.clock(), links.signer.ttl_s * 2
            )
        except Exception:  # noqa: BLE001 - the event is raised: the acknowledgement has arrived
            log.warning("acknowledgement claim not written: id=%s", escalation_id)
            claimed = True
        if not claimed:
            return AckPage(409, "already", escalation_id)
        await asyncio.to_thread(
            self.record_audit, escalation_id, "acknowledged", {"late": False, "via": "link"}
        )
        return AckPage(200, "acknowledged", escalation_id)

    async def _forward_view(
        self, links: AckLinks, region: str, token: str, escalation_id: str, *, messages: bool
    ) -> AckPage:
        """The view from the escalation's own region; the forms alone if it cannot answer."""
        without_case = AckPage(200, "confirm", escalation_id, token)
        base = links.region_urls.get(region)
        if base is None:
            log.error("view for region %s, which has no ACK_REGION_URLS entry", region)
            return without_case
        headers = {REGION_HEADER: region, FORWARDED_HEADER: "1", "accept": "application/json"}
        try:
            timeout = aiohttp.ClientTimeout(total=self.config.retry.attempt_timeout_s)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                request = (
                    session.post(f"{base}{ACK_PATH}/view", data={"token": token}, headers=headers)
                    if messages
                    else session.get(f"{base}{ACK_PATH}", params={"token": token}, headers=headers)
                )
                async with request as response:
                    body = await response.json(content_type=None)
                    status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            log.warning("view could not reach region %s: %s", region, type(exc).__name__)
            return without_case
        outcome = body.get("outcome") if isinstance(body, dict) else None
        if status != 200 or outcome not in ("confirm", "messages"):
            return without_case
        return AckPage(
            200,
            "messages" if outcome == "messages" else "confirm",
            escalation_id,
            token,
            case=CaseFile.from_json(escalation_id, body.get("case")),
            messages_enabled=bool(body.get("messages_enabled")),
        )

    async def _acknowledged_before(self, escalation_id: str) -> bool:
        """Whether the audit trail has an acknowledgement (by link or by an operator); False
        when it cannot be read, so the event is raised again (harmless) rather than not at all."""
        try:
            rows = await asyncio.to_thread(self.store.history, escalation_id)
        except Exception:  # noqa: BLE001 - unknown: raise again
            return False
        return any(r.get("event") == "acknowledged" for r in rows)

    async def _forward(
        self, links: AckLinks, region: str, token: str, escalation_id: str, outcome: str | None
    ) -> AckPage:
        base = links.region_urls.get(region)
        if base is None:
            log.error("acknowledgement for region %s, which has no ACK_REGION_URLS entry", region)
            return AckPage(502, "unreachable", escalation_id)
        url = f"{base}{ACK_PATH}" + ("" if outcome is None else "/outcome")
        form = {"token": token} if outcome is None else {"token": token, "outcome": outcome}
        headers = {REGION_HEADER: region, FORWARDED_HEADER: "1", "accept": "application/json"}
        try:
            timeout = aiohttp.ClientTimeout(total=self.config.retry.attempt_timeout_s)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(url, data=form, headers=headers) as response,
            ):
                answer = _outcome_of(await response.json(content_type=None))
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            log.warning("acknowledgement could not reach region %s: %s", region, type(exc).__name__)
            return AckPage(502, "unreachable", escalation_id)
        if not isinstance(answer, str) or answer not in _FORWARDABLE:
            return AckPage(502, "unreachable", escalation_id)
        recorded = outcome if answer == "recorded" else None
        return AckPage(response.status, _FORWARDABLE[answer], escalation_id, recorded=recorded)

    async def acknowledge(self, escalation_id: str, orchestrations: Orchestrations) -> HttpReply:
        """Record that a nurse has taken a crisis case; stops the supervisor reminder."""
        if not _ESCALATION_ID.fullmatch(escalation_id):
            error = ApiError(404, "no such escalation", "escalation_id", "not_found")
            return HttpReply(404, error.to_body())
        queued = await self._acknowledge_queued(
            escalation_id, self.config.dedup_window_s, {"late": False, "path": "queue"}
        )
        if queued is not None:  # delivered through the fallback queue: no orchestration
            return HttpReply(200, {"id": escalation_id, "acknowledged": True, "late": False})
        try:
            state, _ = await orchestrations.poll(escalation_id)
            late = state != "running"
            if state != "missing" and not late:
                await orchestrations.raise_event(escalation_id, ACK_EVENT, {"at": now_iso()})
        except OrchestrationsUnavailable:
            error = ApiError(
                503,
                "the escalation service is unavailable; try again in a minute",
                code="unavailable",
                type="service_unavailable",
            )
            return HttpReply(503, error.to_body(), {"Retry-After": "60"})
        if state == "missing":
            return HttpReply(
                404, ApiError(404, "no such escalation", "escalation_id", "not_found").to_body()
            )
        await asyncio.to_thread(self.record_audit, escalation_id, "acknowledged", {"late": late})
        return HttpReply(200, {"id": escalation_id, "acknowledged": True, "late": late})
