"""Escalations when the Durable backend cannot start them: a storage queue and its trigger.

An escalation orchestration retries every undelivered channel on durable timers for the
configured window and then waits for a nurse's acknowledgement. When the orchestration cannot
start (the task hub cannot be read), the same escalation goes on the ``escalation-fallback``
storage queue instead, and the queue trigger does the same work in steps, each one a message:

- **deliver** (``attempt`` n): send on every channel that has not yet delivered, as the
  audit rows in the ``escalations`` table record it (so a step run twice sends nothing twice
  that was delivered). Channels still failing are retried by putting the next step on the
  queue, hidden for the next delay of the orchestration's backoff (``retry`` in
  ``config/escalation-config.json``), until delivered or the window has run out; then a
  ``gave_up`` row, and, if nothing was delivered at all, an "undeliverable" notice to
  operations (itself delivered by this queue), as the orchestration does.
- The first clinical delivery starts the acknowledgement clock: a **remind** step is put on
  the queue hidden for ``ack_timeout_s`` (once: the ``fallback-remind:<id>`` claim records
  it was scheduled). When it becomes visible it reads the acknowledgement (the ``ack:<id>``
  claim, or an ``acknowledged`` audit row) and, if there is none, reminds the supervisor
  audience (once: the ``fallback-reminded:<id>`` claim) through a deliver step.
- A step whose run keeps failing (storage trouble, a crashed process) is retried by the
  Functions host (``visibilityTimeout``) and, after ``maxDequeueCount`` runs, moved to
  ``escalation-fallback-poison``. Its trigger puts the step back with the next backoff delay
  while the window lasts, so a host-level failure gets the same window as a channel failure;
  after the window (or for a message that cannot be read at all) it gives up and alerts
  operations.

Every step is at-least-once: a step delivered twice is idempotent by the rows above.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from shared.escalation.channels import Delivery
from shared.escalation.model import CHANNELS, Escalation, RetryConfig
from shared.escalation.store import EscalationStore
from shared.platform import iso

log = logging.getLogger(__name__)

Step = Literal["deliver", "remind"]
STEPS: tuple[Step, ...] = ("deliver", "remind")
# How long a claim of this module stays claimed: longer than any escalation lives.
_CLAIM_WINDOW_S = 7 * 86400.0
# Azure caps a message's initial visibility delay at 7 days.
_MAX_DELAY_S = 7 * 86400


class DelayedQueue(Protocol):
    """A storage queue that can hide a message for a while (``StorageQueue``)."""

    def put(self, payload: Mapping[str, Any], *, delay_s: float = 0.0) -> None: ...


class Courier(Protocol):
    """What a step needs of the escalator: its store, one delivery, one audit row."""

    @property
    def store(self) -> EscalationStore: ...

    async def deliver_one(self, escalation: Escalation, channel: str, attempt: int) -> Delivery: ...

    def record_audit(
        self, escalation_id: str, event: str, fields: dict[str, Any], *, raise_errors: bool = False
    ) -> None: ...

    def claim_channel_alert(self, audience: str, channel: str, window_s: float) -> bool: ...

    @property
    def channel_alert_window_s(self) -> float: ...


@dataclass(frozen=True, slots=True)
class FallbackStep:
    """One message on the fallback queue."""

    step: Step
    escalation: Escalation
    retry: RetryConfig
    # The acknowledgement wait of a crisis escalation; None for alerts and reminders.
    ack_timeout_s: float | None
    # When delivery began (epoch seconds): the retry window is measured from here.
    started_at: float
    attempt: int = 1

    def to_json(self) -> dict[str, Any]:
        retry = self.retry
        return {
            "step": self.step,
            "escalation": self.escalation.to_json(),
            "retry": {
                "first_delay_s": retry.first_delay_s,
                "max_delay_s": retry.max_delay_s,
                "window_s": retry.window_s,
                "attempt_timeout_s": retry.attempt_timeout_s,
            },
            "ack_timeout_s": self.ack_timeout_s,
            "started_at": self.started_at,
            "attempt": self.attempt,
        }

    @classmethod
    def from_json(cls, data: object) -> FallbackStep:
        """Read a message; ``ValueError`` names what is wrong with one that cannot be read."""
        fields: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
        step = fields.get("step")
        if step not in STEPS:
            raise ValueError(f"not a fallback step: {step!r}")
        try:
            ack = fields.get("ack_timeout_s")
            return cls(
                step=step,
                escalation=Escalation.from_json(fields["escalation"]),
                retry=RetryConfig(**{k: float(v) for k, v in fields["retry"].items()}),
                ack_timeout_s=None if ack is None else float(ack),
                started_at=float(fields["started_at"]),
                attempt=int(fields.get("attempt", 1)),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"unreadable fallback step: {type(exc).__name__} {exc}") from exc


def first_step(
    escalation: Escalation, retry: RetryConfig, ack_timeout_s: float | None, now: float
) -> FallbackStep:
    """The step that starts delivering ``escalation`` through the queue."""
    return FallbackStep("deliver", escalation, retry, ack_timeout_s, started_at=now)


def retry_delay(retry: RetryConfig, attempt: int) -> float:
    """The orchestration's delay after delivery attempt ``attempt`` (1-based): doubling from
    the first delay, capped at the maximum."""
    if attempt <= 1:
        return retry.first_delay_s
    return min(retry.first_delay_s * 2.0 ** min(attempt - 1, 60), retry.max_delay_s)


def queue_delay(seconds: float) -> int:
    """A visibility delay in whole seconds, as the queue service takes it (rounded up)."""
    return max(0, min(_MAX_DELAY_S, math.ceil(seconds)))


def _settled_channels(history: list[dict[str, Any]]) -> set[str]:
    """Channels this escalation needs no more attempts on (delivered, or not configured)."""
    return {
        str(row["channel"])
        for row in history
        if row.get("event") in ("delivered", "skipped") and row.get("channel")
    }


def _delivered_before(history: list[dict[str, Any]]) -> bool:
    return any(row.get("event") == "delivered" for row in history)


def queued_in(history: list[dict[str, Any]]) -> bool:
    """Whether an escalation's rows show it was delivered through the fallback queue."""
    return any(row.get("event") == "started" and row.get("via") == "queue" for row in history)


def _acknowledged_in(history: list[dict[str, Any]]) -> bool:
    return any(row.get("event") == "acknowledged" for row in history)


@dataclass
class FallbackCourier:
    """Runs fallback steps for one process: a courier (the escalator), the queue, a clock."""

    courier: Courier
    queue: DelayedQueue
    # The escalation config's retry, for notices about a message that cannot be read.
    retry: RetryConfig
    clock: Callable[[], float]  # epoch seconds

    async def run(self, data: object) -> None:
        """Run one step read from the queue. Raises when it could not finish (storage
        trouble), so the host retries it."""
        step = FallbackStep.from_json(data)
        if step.step == "remind":
            await self._remind(step)
        else:
            await self._deliver(step)

    # --- delivering -------------------------------------------------------------------------

    async def _deliver(self, step: FallbackStep) -> None:
        escalation = step.escalation
        history = await asyncio.to_thread(self.courier.store.history, escalation.id)
        if step.attempt == 1 and not history:
            await asyncio.to_thread(self._started_row, escalation)
        settled = _settled_channels(history)
        pending = [c for c in CHANNELS if c not in settled]
        results = await asyncio.gather(
            *(self.courier.deliver_one(escalation, c, step.attempt) for c in pending)
        )
        delivered = _delivered_before(history) or any(r.ok for r in results)
        failing: list[str] = [
            c for c, r in zip(pending, results, strict=True) if not r.ok and not r.skipped
        ]
        if delivered:
            await self._schedule_reminder(step)
        if not failing:
            return
        now = self.clock()
        delay = retry_delay(step.retry, step.attempt)
        if now - step.started_at + delay > step.retry.window_s:
            await self._give_up(step, failing, delivered=delivered)
            return
        following = replace(step, attempt=step.attempt + 1)
        await asyncio.to_thread(self.queue.put, following.to_json(), delay_s=queue_delay(delay))

    def _started_row(self, escalation: Escalation) -> None:
        self.courier.record_audit(
            escalation.id,
            "started",
            {
                "audience": escalation.audience,
                "kind": escalation.kind,
                "category": escalation.category,
                "conversation_ref": escalation.conversation_ref,
                "signals": ",".join(escalation.signals),
                "via": "queue",
            },
        )

    async def _give_up(self, step: FallbackStep, failing: list[str], *, delivered: bool) -> None:
        escalation = step.escalation
        await asyncio.to_thread(
            self.courier.record_audit,
            escalation.id,
            "gave_up",
            {"channels": ",".join(failing), "attempts": step.attempt, "via": "queue"},
        )
        if escalation.audience != "operations":
            # As the orchestration does: each channel that gave up is an operations alert,
            # once per audience and channel per window (a claim shared by every instance).
            for channel in failing:
                await self._notify_channel_gave_up(step, channel, delivered=delivered)
        if not delivered:
            # Nothing reached anyone: tell operations (as the orchestration does), and keep
            # the acknowledgement clock, so the supervisor hears of it too.
            await self._notify_operations(escalation, step.retry)
            await self._schedule_reminder(step)

    async def _notify_channel_gave_up(
        self, step: FallbackStep, channel: str, *, delivered: bool
    ) -> None:
        escalation = step.escalation
        claimed = await asyncio.to_thread(
            self.courier.claim_channel_alert,
            escalation.audience,
            channel,
            self.courier.channel_alert_window_s,
        )
        if not claimed:
            return
        notice = replace(
            escalation.derived(
                id=f"{escalation.id}-gave-up-{channel}",
                audience="operations",
                kind="channel_gave_up",
                title=f"Alert channel gave up: {channel} to the {escalation.audience} team",
                created_at=iso(self.clock()),
            ),
            facts=(
                ("Original escalation", escalation.id),
                ("Audience", escalation.audience),
                ("Channel", channel),
                ("Attempts", str(step.attempt)),
                ("Delivered", "on another channel" if delivered else "on no channel"),
                ("Path", "the fallback queue (the Durable backend was unavailable)"),
            ),
        )
        await asyncio.to_thread(
            self.queue.put, first_step(notice, step.retry, None, self.clock()).to_json()
        )

    async def _notify_operations(self, escalation: Escalation, retry: RetryConfig) -> None:
        if escalation.audience == "operations":
            log.critical("operations alert undeliverable through the queue: id=%s", escalation.id)
            return
        notice = escalation.derived(
            id=f"{escalation.id}-undeliverable",
            audience="operations",
            kind="undeliverable",
            title="An escalation could not be delivered to any channel",
            created_at=iso(self.clock()),
        )
        await asyncio.to_thread(
            self.queue.put, first_step(notice, retry, None, self.clock()).to_json()
        )

    # --- the acknowledgement clock ----------------------------------------------------------

    async def _schedule_reminder(self, step: FallbackStep) -> None:
        """Put the remind step once, hidden for the acknowledgement wait."""
        escalation = step.escalation
        if escalation.kind != "crisis" or not step.ack_timeout_s:
            return
        key = f"fallback-remind:{escalation.id}"
        store = self.courier.store
        if await asyncio.to_thread(store.claimed, key):
            return
        remind = replace(step, step="remind", attempt=1)
        await asyncio.to_thread(
            self.queue.put, remind.to_json(), delay_s=queue_delay(step.ack_timeout_s)
        )
        # Recorded after the put: a crash between the two puts a second reminder, which the
        # remind step's own claim makes harmless; the other order could lose it.
        await asyncio.to_thread(store.claim, key, self.clock(), _CLAIM_WINDOW_S)

    async def _remind(self, step: FallbackStep) -> None:
        escalation = step.escalation
        store = self.courier.store
        if await asyncio.to_thread(self._acknowledged, escalation.id):
            return
        now = self.clock()
        if not await asyncio.to_thread(
            store.claim, f"fallback-reminded:{escalation.id}", now, _CLAIM_WINDOW_S
        ):
            return  # another copy of this step reminded already
        await asyncio.to_thread(
            self.courier.record_audit, escalation.id, "ack_overdue", {"via": "queue"}
        )
        reminder = escalation.derived(
            id=f"{escalation.id}-unacknowledged",
            audience="supervisor",
            kind="unacknowledged",
            title="A crisis escalation has not been acknowledged",
            created_at=iso(now),
        )
        await asyncio.to_thread(
            self.queue.put, first_step(reminder, step.retry, None, now).to_json()
        )

    def _acknowledged(self, escalation_id: str) -> bool:
        store = self.courier.store
        return store.claimed(f"ack:{escalation_id}") or _acknowledged_in(
            store.history(escalation_id)
        )

    # --- the poison queue -------------------------------------------------------------------

    async def poisoned(self, data: object) -> None:
        """A step the host gave up on after ``maxDequeueCount`` runs: put it back with the next
        delay while its window lasts; then, or when it cannot be read, alert operations."""
        try:
            step = FallbackStep.from_json(data)
        except ValueError:
            log.critical("escalation fallback message unreadable; operations alerted")
            await self._alert_unreadable()
            return
        now = self.clock()
        delay = retry_delay(step.retry, step.attempt)
        if now - step.started_at + delay <= step.retry.window_s:
            log.error("escalation fallback step poisoned; retrying: id=%s", step.escalation.id)
            following = replace(step, attempt=step.attempt + 1)
            await asyncio.to_thread(self.queue.put, following.to_json(), delay_s=queue_delay(delay))
            return
        log.critical("escalation fallback gave up: id=%s", step.escalation.id)
        self.courier.record_audit(
            step.escalation.id, "gave_up", {"via": "queue", "reason": "poison"}
        )
        await self._notify_operations(step.escalation, step.retry)

    async def _alert_unreadable(self) -> None:
        now = self.clock()
        notice = Escalation(
            id=f"alert-{uuid.uuid4().hex}",
            audience="operations",
            kind="undeliverable",
            title="An escalation fallback message could not be read; check the poison queue",
            created_at=iso(now),
            facts=(("Queue", "escalation-fallback-poison"),),
        )
        await asyncio.to_thread(self.queue.put, first_step(notice, self.retry, None, now).to_json())
