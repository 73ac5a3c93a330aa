"""``escalation_orchestrator``: deliver, retry with durable timers, await acknowledgement.

Every channel (Teams and email) is tried together; a failure of one never stops the other.
Undelivered channels are retried with exponential backoff, on durable timers, until delivered
or the retry window runs out. A crisis escalation waits for a nurse's acknowledgement (the
``ack`` external event); if none comes within the configured delay, the supervisor is alerted.
In the current flow (version 3) that wait starts at the first delivery to the nurse team and
runs beside the channels still retrying; a channel that gives up alerts operations, and if
nothing was delivered at all, operations get an "undeliverable" notice. Earlier versions, kept
for the instances they started, wait for the acknowledgement only after the retries end.

**Versions.** An escalation lives up to about 35 minutes, so a deployment meets instances in
flight, and their replay must take the steps they took before. The extension stamps each new
instance with ``defaultVersion`` from ``host.json`` (``versionMatchStrategy: CurrentOrOlder``,
so a worker never picks up an instance newer than its code), and the orchestrator runs the flow
of the instance's own version (``context.version``). A flow, once deployed, is never edited:
a change is a new version, and the old one stays until its instances have drained (35 minutes
after the deployment; keep it for a day).

- ``""`` (instances started before versioning) and ``"1"``: the "started" audit row, then the
  first delivery round.
- ``"2"``: the first delivery round, then the "started" row, so the nurse team's first alert
  never waits behind the ``escalations`` table (whose retries take up to 15 s when storage is in
  trouble).
- ``"3"``: every channel of every message runs on its own schedule, side by side (see
  :func:`_flow_v3`): the acknowledgement clock starts at the first delivery to the nurse team,
  while a failing channel keeps retrying; a channel that gives up alerts operations (claimed
  once per audience and channel per hour in the ``escalations`` table).

``host.json``'s ``defaultVersion`` may be written ``"3"`` or dotted (``"3.0"``):
:func:`flow_key` reads both as the same flow.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df

from shared.bootstrap import get_runtime
from shared.escalation import ACK_EVENT, CHANNELS, Escalation, RetryConfig
from shared.platform import ESCALATION_ORCHESTRATION

log = logging.getLogger(__name__)

DELIVER = "deliver_escalation"
AUDIT = "audit_escalation"
CLAIM_CHANNEL_ALERT = "claim_channel_alert"
# How long a channel's "gave up" alert holds back the next one for the same audience and
# channel, when the instance's input does not say (the escalation config's
# ``channel_alert_window_s`` does).
CHANNEL_ALERT_WINDOW_S = 3600.0

bp = df.Blueprint()
AUDIT_ATTEMPTS = 5


def _audit(
    context: df.DurableOrchestrationContext, escalation_id: str, event: str, fields: dict[str, Any]
) -> Generator[Any, Any, None]:
    """Write one audit row, retrying on durable timers; the activity logs a row it cannot store."""
    payload = {"id": escalation_id, "event": event, "fields": fields}
    for attempt in range(AUDIT_ATTEMPTS):
        try:
            yield context.call_activity(AUDIT, payload, expected_type=bool)
        except Exception:  # noqa: BLE001 - storage trouble: back off and try again
            if attempt + 1 < AUDIT_ATTEMPTS:
                yield context.create_timer(
                    context.current_utc_datetime + timedelta(seconds=2.0**attempt)
                )
        else:
            return


def deliver(
    context: df.DurableOrchestrationContext,
    escalation: Escalation,
    retry: RetryConfig,
    after_first_round: Callable[[], Generator[Any, Any, None]] | None = None,
) -> Generator[Any, Any, list[str]]:
    """Deliver on every channel, retrying the undelivered ones; return the delivered channels.

    ``after_first_round`` runs once, after the first round's results are in."""
    started = context.current_utc_datetime
    delays = retry.delays()
    pending: list[str] = list(CHANNELS)
    delivered: list[str] = []
    attempt = 0
    while pending:
        attempt += 1
        results = yield context.task_all(
            [
                context.call_activity(
                    DELIVER,
                    {"escalation": escalation.to_json(), "channel": channel, "attempt": attempt},
                    expected_type=dict,
                )
                for channel in pending
            ]
        )
        still: list[str] = []
        for channel, result in zip(pending, results, strict=True):
            if result["ok"]:
                delivered.append(channel)
            elif not result["skipped"]:
                still.append(channel)
        pending = still
        if after_first_round is not None and attempt == 1:
            yield from after_first_round()
        if not pending:
            break
        delay = next(delays)
        elapsed = (context.current_utc_datetime - started).total_seconds()
        if elapsed + delay > retry.window_s:
            yield from _audit(
                context,
                escalation.id,
                "gave_up",
                {"channels": ",".join(pending), "attempts": attempt},
            )
            break
        yield context.create_timer(context.current_utc_datetime + timedelta(seconds=delay))
    return delivered


def _started_row(
    context: df.DurableOrchestrationContext, escalation: Escalation
) -> Generator[Any, Any, None]:
    yield from _audit(
        context,
        escalation.id,
        "started",
        {
            "audience": escalation.audience,
            "kind": escalation.kind,
            "category": escalation.category,
            "conversation_ref": escalation.conversation_ref,
            "signals": ",".join(escalation.signals),
        },
    )


def _flow_v1(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    """Version 1 (and instances without a version): the "started" row, then delivery."""
    data = context.get_input(expected_type=dict)
    escalation = Escalation.from_json(data["escalation"])
    retry = RetryConfig(**data["retry"])
    now = context.current_utc_datetime.isoformat()
    if not context.is_replaying:
        log.info("escalation started: id=%s kind=%s", escalation.id, escalation.kind)
    yield from _started_row(context, escalation)
    delivered = yield from deliver(context, escalation, retry)
    return (
        yield from _after_delivery(
            context, data, escalation=escalation, retry=retry, delivered=delivered, now=now
        )
    )


def _flow_v2(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    """Version 2: the first delivery round, then the "started" row."""
    data = context.get_input(expected_type=dict)
    escalation = Escalation.from_json(data["escalation"])
    retry = RetryConfig(**data["retry"])
    now = context.current_utc_datetime.isoformat()
    if not context.is_replaying:
        log.info("escalation started: id=%s kind=%s", escalation.id, escalation.kind)
    delivered = yield from deliver(
        context, escalation, retry, after_first_round=lambda: _started_row(context, escalation)
    )
    return (
        yield from _after_delivery(
            context, data, escalation=escalation, retry=retry, delivered=delivered, now=now
        )
    )


def _after_delivery(
    context: df.DurableOrchestrationContext,
    data: dict[str, Any],
    *,
    escalation: Escalation,
    retry: RetryConfig,
    delivered: list[str],
    now: str,
) -> Generator[Any, Any, dict[str, Any]]:
    """Operations if nothing was delivered; then, for a crisis, the acknowledgement wait."""
    if not delivered and escalation.audience != "operations":
        notice = escalation.derived(
            id=f"{escalation.id}-undeliverable",
            audience="operations",
            kind="undeliverable",
            title="An escalation could not be delivered to any channel",
            created_at=now,
        )
        yield from deliver(context, notice, retry)
    acknowledged: bool | None = None
    ack_timeout_s = data.get("ack_timeout_s")
    if escalation.kind == "crisis" and ack_timeout_s:
        ack = context.wait_for_external_event(ACK_EVENT, expected_type=dict)
        timer = context.create_timer(
            context.current_utc_datetime + timedelta(seconds=float(ack_timeout_s))
        )
        winner = yield context.task_any([ack, timer])
        acknowledged = winner == ack
        if acknowledged:
            timer.cancel()
        else:
            reminder = escalation.derived(
                id=f"{escalation.id}-unacknowledged",
                audience="supervisor",
                kind="unacknowledged",
                title="A crisis escalation has not been acknowledged",
                created_at=context.current_utc_datetime.isoformat(),
            )
            yield from _audit(context, escalation.id, "ack_overdue", {})
            yield from deliver(context, reminder, retry)
    return {"id": escalation.id, "delivered": delivered, "acknowledged": acknowledged}


@dataclass
class _Message:
    """One message (the escalation, its reminder, an operations notice) on every channel."""

    escalation: Escalation
    started: datetime
    channels: list[_Channel] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        """No channel of this message is still sending or backing off."""
        return all(c.task is None for c in self.channels)


@dataclass
class _Channel:
    """One channel of one message: an attempt in flight, or the backoff timer before the next."""

    message: _Message
    name: str
    delays: Iterator[float]
    attempt: int = 0
    task: Any = None
    backing_off: bool = False
    detail: str = ""


class _Escalation:
    """Version 3's event loop: every channel of every message on its own schedule.

    One ``task_any`` races every channel's attempt or backoff timer, and the acknowledgement
    wait, so nothing waits behind anything else: a channel that keeps failing retries beside
    the acknowledgement clock, which starts at the first delivery to the nurse team; a
    supervisor reminder or an operations notice is sent while the other channels still retry.
    """

    def __init__(self, context: df.DurableOrchestrationContext) -> None:
        self.context = context
        data = context.get_input(expected_type=dict)
        self.escalation = Escalation.from_json(data["escalation"])
        self.retry = RetryConfig(**data["retry"])
        ack_timeout_s = data.get("ack_timeout_s")
        self.ack_timeout_s = float(ack_timeout_s) if ack_timeout_s else None
        self.alert_window_s = float(data.get("channel_alert_window_s") or CHANNEL_ALERT_WINDOW_S)
        self.channels: list[_Channel] = []
        self.ack: Any = None
        self.ack_timer: Any = None
        self.acknowledged: bool | None = None
        self.first_answers = 0
        self.clinical = self._send(self.escalation)
        # Until something reaches the nurse team, the supervisor is reminded when the
        # acknowledgement wait has passed since the start: nobody could have acknowledged.
        self.reach_timer: Any = None
        if self.awaits_ack:
            self.reach_timer = self._timer(self.ack_timeout_s or 0.0)

    @property
    def awaits_ack(self) -> bool:
        return self.escalation.kind == "crisis" and self.ack_timeout_s is not None

    def run(self) -> Generator[Any, Any, dict[str, Any]]:
        if not self.context.is_replaying:
            log.info("escalation started: id=%s kind=%s", self.escalation.id, self.escalation.kind)
        while True:
            racers = [c.task for c in self.channels if c.task is not None]
            if self.ack_timer is not None:
                racers += [self.ack, self.ack_timer]
            if self.reach_timer is not None:
                racers.append(self.reach_timer)
            if not racers:
                break
            winner = yield self.context.task_any(racers)
            if self.reach_timer is not None and winner is self.reach_timer:
                self.reach_timer = None
                yield from self._remind_supervisor(delivered=False)
            elif self.ack_timer is not None and winner is self.ack:
                self.ack_timer.cancel()
                self.ack = self.ack_timer = None
                self.acknowledged = True
            elif self.ack_timer is not None and winner is self.ack_timer:
                self.ack = self.ack_timer = None
                yield from self._remind_supervisor(delivered=True)
            else:
                channel = next(c for c in self.channels if c.task is winner)
                yield from self._settle(channel, winner)
        return {
            "id": self.escalation.id,
            "delivered": self.clinical.delivered,
            "acknowledged": self.acknowledged,
        }

    # --- sending ----------------------------------------------------------------------------

    def _send(self, escalation: Escalation) -> _Message:
        message = _Message(escalation, self.context.current_utc_datetime)
        for name in CHANNELS:
            channel = _Channel(message, name, self.retry.delays())
            message.channels.append(channel)
            self.channels.append(channel)
            self._attempt(channel)
        return message

    def _attempt(self, channel: _Channel) -> None:
        channel.attempt += 1
        channel.backing_off = False
        channel.task = self.context.call_activity(
            DELIVER,
            {
                "escalation": channel.message.escalation.to_json(),
                "channel": channel.name,
                "attempt": channel.attempt,
            },
            expected_type=dict,
        )

    def _settle(self, channel: _Channel, task: Any) -> Generator[Any, Any, None]:
        """React to a channel's finished attempt or backoff timer."""
        if channel.backing_off:
            self._attempt(channel)
            return
        result = task.result
        if not isinstance(result, dict):  # the activity itself failed: a failed attempt
            result = {"ok": False, "skipped": False, "detail": "activity failed"}
        channel.task = None
        channel.detail = str(result.get("detail", ""))
        message = channel.message
        if result["ok"]:
            message.delivered.append(channel.name)
            if message is self.clinical:
                self._start_ack_clock()
        elif not result["skipped"]:
            delay = next(channel.delays)
            now = self.context.current_utc_datetime
            if (now - message.started).total_seconds() + delay > self.retry.window_s:
                yield from self._gave_up(channel)
            else:
                channel.backing_off = True
                channel.task = self.context.create_timer(now + timedelta(seconds=delay))
        if message is self.clinical and channel.attempt == 1:
            self.first_answers += 1
            if self.first_answers == len(CHANNELS):
                yield from _started_row(self.context, self.escalation)
        if message is self.clinical and message.settled and not message.delivered:
            yield from self._undeliverable()

    def _timer(self, seconds: float) -> Any:
        return self.context.create_timer(
            self.context.current_utc_datetime + timedelta(seconds=seconds)
        )

    def _stop_reach_timer(self) -> None:
        if self.reach_timer is not None:
            self.reach_timer.cancel()
            self.reach_timer = None

    def _start_ack_clock(self) -> None:
        """The acknowledgement wait starts at the first delivery to the nurse team (unless
        the supervisor has already been told that nothing reached it)."""
        if not self.awaits_ack or self.ack_timer is not None or self.acknowledged is not None:
            return
        self._stop_reach_timer()
        self.ack = self.context.wait_for_external_event(ACK_EVENT, expected_type=dict)
        self.ack_timer = self._timer(self.ack_timeout_s or 0.0)

    def _remind_supervisor(self, *, delivered: bool) -> Generator[Any, Any, None]:
        """The supervisor reminder: not acknowledged in time, or nothing delivered in time."""
        self.acknowledged = False
        yield from _audit(
            self.context, self.escalation.id, "ack_overdue", {} if delivered else {"delivered": 0}
        )
        self._send(
            self.escalation.derived(
                id=f"{self.escalation.id}-unacknowledged",
                audience="supervisor",
                kind="unacknowledged",
                title=(
                    "A crisis escalation has not been acknowledged"
                    if delivered
                    else "A crisis escalation has not reached the nurse team"
                ),
                created_at=self.context.current_utc_datetime.isoformat(),
            )
        )

    def _undeliverable(self) -> Generator[Any, Any, None]:
        """Nothing reached the nurse team: operations are told, and, for a crisis, the
        supervisor at once (nobody could have acknowledged it)."""
        self._send(
            self.escalation.derived(
                id=f"{self.escalation.id}-undeliverable",
                audience="operations",
                kind="undeliverable",
                title="An escalation could not be delivered to any channel",
                created_at=self.context.current_utc_datetime.isoformat(),
            )
        )
        if self.awaits_ack and self.acknowledged is None:
            self._stop_reach_timer()
            yield from self._remind_supervisor(delivered=False)

    def _gave_up(self, channel: _Channel) -> Generator[Any, Any, None]:
        """Audit the give-up; tell operations, once per audience and channel per hour."""
        message = channel.message.escalation
        yield from _audit(
            self.context,
            message.id,
            "gave_up",
            {"channels": channel.name, "attempts": channel.attempt, "detail": channel.detail},
        )
        if message.audience == "operations":
            return  # operations' own channels: the audit row and the other channel
        claim = {"audience": message.audience, "channel": channel.name}
        claimed = yield from self._claim_channel_alert(claim)
        if not claimed:
            return
        self._send(
            Escalation(
                id=f"{message.id}-gave-up-{channel.name}",
                audience="operations",
                kind="channel_gave_up",
                title=f"Alert channel gave up: {channel.name} to the {message.audience} team",
                created_at=self.context.current_utc_datetime.isoformat(),
                facts=(
                    ("Original escalation", message.id),
                    ("Audience", message.audience),
                    ("Channel", channel.name),
                    ("Attempts", str(channel.attempt)),
                    ("Last result", channel.detail or "none"),
                    ("Delivered on", ", ".join(channel.message.delivered) or "no channel yet"),
                ),
            )
        )

    def _claim_channel_alert(self, claim: dict[str, str]) -> Generator[Any, Any, bool]:
        """Whether this give-up is the first for its audience and channel within the window;
        True when the claim cannot be made (an alert too many beats one lost)."""
        try:
            claimed = yield self.context.call_activity(
                CLAIM_CHANNEL_ALERT, {**claim, "window_s": self.alert_window_s}, expected_type=bool
            )
        except Exception:  # noqa: BLE001 - storage trouble must never silence the alert
            return True
        return bool(claimed)


def _flow_v3(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    """Version 3: every channel on its own schedule; the acknowledgement clock from the first
    delivery to the nurse team; a give-up alerts operations."""
    return (yield from _Escalation(context).run())


# Every flow version still in service, by the version the extension stamped on the instance.
# host.json's defaultVersion must be the newest key (a test holds them together).
FLOWS: dict[
    str, Callable[[df.DurableOrchestrationContext], Generator[Any, Any, dict[str, Any]]]
] = {
    "": _flow_v1,
    "1": _flow_v1,
    "2": _flow_v2,
    "3": _flow_v3,
}
CURRENT_VERSION = "3"
_DOTTED = re.compile(r"(\d+)(?:\.0+)*")


def flow_key(version: str | None) -> str:
    """The ``FLOWS`` key for a stamped version: ``"3"``, ``"3.0"`` and ``"3.0.0"`` are one
    flow, so ``host.json`` may write its ``defaultVersion`` either way."""
    text = (version or "").strip()
    dotted = _DOTTED.fullmatch(text)
    return str(int(dotted.group(1))) if dotted else text


class UnknownFlowVersionError(RuntimeError):
    """An instance stamped with a version this code does not have."""


def escalation_flow(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    """The flow of the instance's own version."""
    version = context.version or ""
    flow = FLOWS.get(flow_key(version))
    if flow is None:
        raise UnknownFlowVersionError(f"no escalation flow for version {version!r}")
    return (yield from flow(context))


@bp.orchestration_trigger(context_name="context", orchestration=ESCALATION_ORCHESTRATION)
def escalation_orchestrator(
    context: df.DurableOrchestrationContext,
) -> Generator[Any, Any, dict[str, Any]]:
    return escalation_flow(context)


@bp.activity_trigger(input_name="payload", activity=DELIVER)
async def deliver_escalation(payload: dict[str, Any]) -> dict[str, Any]:
    """Send on one channel once; audit the outcome. Never raises."""
    escalation = Escalation.from_json(payload["escalation"])
    result = await get_runtime().escalator.deliver_one(
        escalation, payload["channel"], int(payload.get("attempt", 1))
    )
    return {"ok": result.ok, "skipped": result.skipped, "detail": result.detail}


@bp.activity_trigger(input_name="payload", activity=CLAIM_CHANNEL_ALERT)
def claim_channel_alert(payload: dict[str, Any]) -> bool:
    """Claim the "channel gave up" alert for one audience and channel; False when one was
    sent within the window (from any instance: the claim is a row in the escalations table)."""
    return get_runtime().escalator.claim_channel_alert(
        payload["audience"], payload["channel"], float(payload["window_s"])
    )


@bp.activity_trigger(input_name="payload", activity=AUDIT)
def audit_escalation(payload: dict[str, Any]) -> bool:
    get_runtime().escalator.record_audit(
        payload["id"], payload["event"], payload.get("fields", {}), raise_errors=True
    )
    return True
