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

from shared.escalation.alerts import Alert, AlertSink, SendOutcome
from shared.escalation.channels import Delivery, SmtpSettings, send_email, send_teams
from shared.escalation.model import (
    Audience,
    Escalation,
    EscalationConfig,
    email_message,
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
    # De-duplication keys this instance knows to be claimed, with when that lapses.
    claims: dict[str, float] = field(default_factory=dict)
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
    ) -> EscalationOutcome:
        """Start the clinical escalation for a crisis message, unless one is already running.

        ``late``: the message was flagged after its ordinary answer had gone out (the
        classifier's late flag); the title says so, so the nurse knows the person has not yet
        seen the crisis signposting."""
        reference = self.pseudonyms.reference(conversation_key)
        if reference is not None and not await self._claim(f"{reference}:{category}"):
            return EscalationOutcome(escalated=True, deduplicated=True)
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
        result: Delivery
        if channel == "teams":
            url = self.settings.get(audience.teams_webhook_setting)
            result = (
                await send_teams(url, teams_message(escalation), timeout_s)
                if url
                else Delivery("teams", ok=False, detail="not configured", skipped=True)
            )
        elif channel == "email":
            smtp = SmtpSettings.from_settings(self.settings)
            recipients = self.settings.get(audience.email_to_setting)
            if smtp is None or not recipients:
                result = Delivery("email", ok=False, detail="not configured", skipped=True)
            else:
                message = email_message(escalation, sender=smtp.sender, recipients=recipients)
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

    # --- acknowledging ----------------------------------------------------------------------

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
