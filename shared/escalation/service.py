"""Starting escalations and delivering them, on behalf of the HTTP trigger and the activities.

:class:`Escalator` is built once per process (see :mod:`shared.bootstrap`) from the services it
uses: the escalation config, the app settings (channel endpoints), the escalations store, the
pseudonymizer and the events port. It also keeps this instance's memory of recent
de-duplication claims, so a storm of duplicates costs no storage round trips.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from shared.escalation.acklinks import (
    FORWARDED_HEADER,
    REGION_HEADER,
    AckLinks,
    AckOutcome,
    AckPage,
    AckTokenError,
)
from shared.escalation.alerts import Alert, AlertSink, SendOutcome
from shared.escalation.channels import Delivery, SmtpSettings, send_email, send_teams
from shared.escalation.flood import Admission, FloodControl, digest_id
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
    # De-duplication keys this instance knows to be claimed, with when that lapses.
    claims: dict[str, float] = field(default_factory=dict)
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
        user_key: str | None = None,
    ) -> EscalationOutcome:
        """Start the clinical escalation for a crisis message, unless one is already running.

        ``late``: the message was flagged after its ordinary answer had gone out (the
        classifier's late flag); the title says so, so the nurse knows the person has not yet
        seen the crisis signposting. ``user_key``: the bot's ``user`` field, de-duplicated as
        well as the conversation (a new conversation id does not make a new crisis)."""
        reference = self.pseudonyms.reference(conversation_key)
        if reference is not None and not await self._claim(f"{reference}:{category}"):
            return EscalationOutcome(escalated=True, deduplicated=True)
        user_ref = self.pseudonyms.reference(user_key) if user_key != conversation_key else None
        if user_ref is not None and not await self._claim(f"user:{user_ref}:{category}"):
            return EscalationOutcome(escalated=True, deduplicated=True)
        if self.flood is not None:
            source = self.pseudonyms.reference(user_key) or reference
            admission = await asyncio.to_thread(self.flood.admit, source, self.clock())
            if admission.folded:
                return await self._fold(
                    starter, admission, category, signals, reference=reference, late=late
                )
        excerpt = None
        if self.settings.escalation_include_excerpt:
            excerpt = redacted_excerpt(latest_message, self.config.excerpt_max_chars)
        escalation = Escalation(
            id=f"esc-{uuid.uuid4().hex}",
            audience="clinical",
            kind="crisis",
            title=(
                f"Ask Eve crisis message{' (flagged late, after an answer)' if late else ''}: "
                f"{category.replace('_', ' ')}"
            ),
            created_at=now_iso(),
            category=category,
            signals=signals,
            conversation_ref=reference,
            callback_required=True,
            excerpt=excerpt,
        )
        return await self._start(starter, escalation, await_ack=True)

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
        }

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
            # Last resort, so the escalation is not lost: deliver directly, once per channel.
            task = asyncio.create_task(self._deliver_directly(escalation))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return EscalationOutcome(escalated=False, escalation_id=escalation.id)
        return EscalationOutcome(escalated=True, escalation_id=escalation.id)

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

    # --- acknowledging ----------------------------------------------------------------------

    def ack_url(self, escalation: Escalation) -> str | None:
        """The signed acknowledgement link for a crisis escalation (None for other kinds, or
        when links are not configured)."""
        if self.links is None or escalation.kind != "crisis":
            return None
        return self.links.link(escalation.id, escalation.created_at)

    def ack_confirmation(self, token: str) -> AckPage:
        """``GET`` on a link: the confirmation page for a genuine token. Changes nothing."""
        if self.links is None:
            return AckPage(404, "unavailable")
        try:
            claim = self.links.signer.verify(token, self.clock())
        except AckTokenError as exc:
            return _token_error(exc)
        return AckPage(200, "confirm", claim.escalation_id, token)

    async def acknowledge_link(
        self, token: str, orchestrations: Orchestrations, *, forwarded: bool = False
    ) -> AckPage:
        """``POST`` on a link: acknowledge once, in the region that runs the escalation."""
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
            return await self._forward(links, claim.region, token, claim.escalation_id)
        try:
            return await self._acknowledge_here(claim.escalation_id, links, orchestrations)
        except Exception as exc:  # noqa: BLE001 - the Durable backend: a page, never a 500
            log.warning(
                "acknowledgement not delivered: id=%s %s", claim.escalation_id, type(exc).__name__
            )
            return AckPage(503, "unreachable", claim.escalation_id)

    async def _acknowledge_here(
        self, escalation_id: str, links: AckLinks, orchestrations: Orchestrations
    ) -> AckPage:
        state, _ = await orchestrations.poll(escalation_id)
        if state == "missing":
            return AckPage(404, "unknown", escalation_id)
        if state != "running":
            return AckPage(409, "finished", escalation_id)
        try:
            claimed = await asyncio.to_thread(
                self.store.claim, f"ack:{escalation_id}", self.clock(), links.signer.ttl_s * 2
            )
        except Exception:  # noqa: BLE001 - a second acknowledgement is harmless; a lost one is not
            log.warning(
                "acknowledgement claim unavailable; acknowledging anyway: id=%s", escalation_id
            )
            claimed = True
        if not claimed:
            return AckPage(409, "already", escalation_id)
        await orchestrations.raise_event(escalation_id, ACK_EVENT, {"at": now_iso()})
        await asyncio.to_thread(
            self.record_audit, escalation_id, "acknowledged", {"late": False, "via": "link"}
        )
        return AckPage(200, "acknowledged", escalation_id)

    async def _forward(
        self, links: AckLinks, region: str, token: str, escalation_id: str
    ) -> AckPage:
        base = links.region_urls.get(region)
        if base is None:
            log.error("acknowledgement for region %s, which has no ACK_REGION_URLS entry", region)
            return AckPage(502, "unreachable", escalation_id)
        url = f"{base}/api/ack"
        headers = {REGION_HEADER: region, FORWARDED_HEADER: "1", "accept": "application/json"}
        try:
            timeout = aiohttp.ClientTimeout(total=self.config.retry.attempt_timeout_s)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(url, data={"token": token}, headers=headers) as response,
            ):
                outcome = _outcome_of(await response.json(content_type=None))
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            log.warning("acknowledgement could not reach region %s: %s", region, type(exc).__name__)
            return AckPage(502, "unreachable", escalation_id)
        if not isinstance(outcome, str) or outcome not in _FORWARDABLE:
            return AckPage(502, "unreachable", escalation_id)
        return AckPage(response.status, _FORWARDABLE[outcome], escalation_id)

    async def acknowledge(self, escalation_id: str, orchestrations: Orchestrations) -> HttpReply:
        """Record that a nurse has taken a crisis case; stops the supervisor reminder."""
        if not _ESCALATION_ID.fullmatch(escalation_id):
            error = ApiError(404, "no such escalation", "escalation_id", "not_found")
            return HttpReply(404, error.to_body())
        state, _ = await orchestrations.poll(escalation_id)
        if state == "missing":
            return HttpReply(
                404, ApiError(404, "no such escalation", "escalation_id", "not_found").to_body()
            )
        late = state != "running"
        if not late:
            await orchestrations.raise_event(escalation_id, ACK_EVENT, {"at": now_iso()})
        await asyncio.to_thread(self.record_audit, escalation_id, "acknowledged", {"late": late})
        return HttpReply(200, {"id": escalation_id, "acknowledged": True, "late": late})
