"""Escalations through the fallback queue when the orchestration cannot start: the steps,
against real loopback Teams and SMTP receivers, an in-memory escalations store and the queue
port (a list that records each message and its visibility delay)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from shared.escalation import Escalator, FallbackStep
from shared.escalation.fallback import queue_delay, retry_delay
from shared.escalation.model import RetryConfig
from simulators.receivers import SmtpReceiver, WebhookReceiver, receiver_settings
from tests.observability.helpers import FakeOrchestrations, unit_runtime
from tests.support.clocks import ManualClock

RETRY = {"first_delay_s": 2.0, "max_delay_s": 60.0, "window_s": 1800.0, "attempt_timeout_s": 5.0}


@dataclass
class Queue:
    """The fallback queue port: each message put, with its visibility delay."""

    messages: list[tuple[dict[str, Any], float]] = field(default_factory=list)

    def put(self, payload: Mapping[str, Any], *, delay_s: float = 0.0) -> None:
        self.messages.append((dict(payload), delay_s))

    def take(self) -> list[tuple[dict[str, Any], float]]:
        taken, self.messages = self.messages, []
        return taken


@pytest.fixture(scope="module")
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


@dataclass
class Rig:
    escalator: Escalator
    queue: Queue
    clock: ManualClock
    webhook: WebhookReceiver
    smtp: SmtpReceiver

    def paths(self) -> list[str]:
        return [r.path for r in self.webhook.received]

    def events(self, escalation_id: str) -> list[str]:
        return [row["event"] for row in self.escalator.store.history(escalation_id)]


@pytest.fixture
def rig(webhook: WebhookReceiver, smtp: SmtpReceiver) -> Rig:
    """An escalator whose orchestrations cannot start, with the fallback queue."""
    webhook.clear()
    smtp.clear()
    escalator = unit_runtime(env=receiver_settings(webhook, smtp)).escalator
    clock = ManualClock(1_800_000_000.0)
    queue = Queue()
    escalator.fallback = queue
    escalator.clock = clock
    escalator.config = type(escalator.config)(
        audiences=escalator.config.audiences,
        retry=RetryConfig(**RETRY),
        ack_timeout_s=300.0,
        dedup_window_s=escalator.config.dedup_window_s,
        excerpt_max_chars=escalator.config.excerpt_max_chars,
    )
    return Rig(escalator, queue, clock, webhook, smtp)


async def crisis(rig: Rig) -> FallbackStep:
    """Raise a crisis with the Durable backend down; the one queued step."""
    outcome = await rig.escalator.crisis(
        FakeOrchestrations(fail=True),
        category="self_harm",
        signals=("s1",),
        conversation_key="conv-1",
        latest_message="text",
    )
    assert outcome.escalated
    ((message, delay),) = rig.queue.take()
    assert delay == 0
    return FallbackStep.from_json(message)


async def run(rig: Rig, message: dict[str, Any]) -> None:
    await rig.escalator.fallback_courier().run(message)


@pytest.mark.safety("H03")
async def test_an_escalation_that_cannot_start_is_queued_not_sent_once() -> None:
    """With the fallback queue, a failed start puts a deliver step with the retry and ack wait."""
    escalator = unit_runtime().escalator
    queue = Queue()
    escalator.fallback = queue
    outcome = await escalator.crisis(
        FakeOrchestrations(fail=True),
        category="self_harm",
        signals=(),
        conversation_key="conv-2",
        latest_message="text",
    )
    ((message, _),) = queue.messages
    step = FallbackStep.from_json(message)
    assert (outcome.escalated, step.step, step.attempt) == (True, "deliver", 1)
    assert step.ack_timeout_s == escalator.config.ack_timeout_s
    assert step.retry == escalator.config.retry


@pytest.mark.safety("H03")
async def test_a_failing_channel_is_retried_after_the_backoff_delay(rig: Rig) -> None:
    """Teams fails, email delivers: the next step (attempt 2) is hidden for the first delay."""
    step = await crisis(rig)
    rig.webhook.fail_next(1)
    await run(rig, step.to_json())
    steps = [(FallbackStep.from_json(m), d) for m, d in rig.queue.take()]
    retry = next((s, d) for s, d in steps if s.step == "deliver")
    assert (retry[0].attempt, retry[1]) == (2, queue_delay(RETRY["first_delay_s"]))
    assert len(rig.smtp.messages) == 1


@pytest.mark.safety("H03")
async def test_the_retry_sends_only_the_channel_that_failed(rig: Rig) -> None:
    """The second attempt delivers Teams and sends no second email (state from the table)."""
    step = await crisis(rig)
    rig.webhook.fail_next(1)
    await run(rig, step.to_json())
    retry = next(m for m, _ in rig.queue.take() if m["step"] == "deliver")
    await run(rig, retry)
    assert rig.paths() == ["/clinical"]
    assert len(rig.smtp.messages) == 1
    assert rig.queue.take() == []


async def test_a_step_run_twice_delivers_once(rig: Rig) -> None:
    """At-least-once: a delivered step seen again sends nothing more."""
    step = await crisis(rig)
    await run(rig, step.to_json())
    await run(rig, step.to_json())
    assert rig.paths() == ["/clinical"]
    assert len(rig.smtp.messages) == 1


@pytest.mark.safety("H03")
async def test_the_first_delivery_schedules_one_reminder_after_the_ack_wait(rig: Rig) -> None:
    """The ack clock starts at the first delivery: one remind step, hidden for ack_timeout_s."""
    step = await crisis(rig)
    rig.webhook.fail_next(1)
    await run(rig, step.to_json())
    retry = next(m for m, _ in rig.queue.messages if m["step"] == "deliver")
    await run(rig, retry)
    reminders = [(m, d) for m, d in rig.queue.take() if m["step"] == "remind"]
    assert [d for _, d in reminders] == [queue_delay(300.0)]


@pytest.mark.safety("H03")
async def test_an_unacknowledged_reminder_reaches_the_supervisor(rig: Rig) -> None:
    """The remind step finds no acknowledgement and delivers to the supervisor audience."""
    step = await crisis(rig)
    await run(rig, step.to_json())
    (remind,) = [m for m, _ in rig.queue.take() if m["step"] == "remind"]
    await run(rig, remind)
    (supervisor,) = rig.queue.take()
    await run(rig, supervisor[0])
    assert rig.paths() == ["/clinical", "/supervisor"]
    assert "ack_overdue" in rig.events(step.escalation.id)


@pytest.mark.safety("H03")
async def test_an_acknowledged_escalation_sends_no_reminder(rig: Rig) -> None:
    """A nurse's acknowledgement (the admin route) is the claim the remind step reads."""
    step = await crisis(rig)
    await run(rig, step.to_json())
    (remind,) = [m for m, _ in rig.queue.take() if m["step"] == "remind"]
    reply = await rig.escalator.acknowledge(step.escalation.id, FakeOrchestrations(fail=True))
    assert reply.status == 200
    await run(rig, remind)
    assert rig.queue.take() == []
    assert "ack_overdue" not in rig.events(step.escalation.id)


async def test_a_reminder_seen_twice_reminds_once(rig: Rig) -> None:
    """Two copies of the remind step: the supervisor is reminded once."""
    step = await crisis(rig)
    await run(rig, step.to_json())
    (remind,) = [m for m, _ in rig.queue.take() if m["step"] == "remind"]
    await run(rig, remind)
    await run(rig, remind)
    assert len(rig.queue.take()) == 1


@pytest.mark.safety("H03")
async def test_after_the_window_it_gives_up_and_alerts_operations(rig: Rig) -> None:
    """Nothing delivered by the end of the window: a gave_up row and an operations notice."""
    rig.smtp.stop()
    try:
        step = await crisis(rig)
        rig.webhook.fail_next(1)
        rig.clock.advance(RETRY["window_s"])
        await run(rig, step.to_json())
    finally:
        rig.smtp.start()
    queued = [FallbackStep.from_json(m) for m, _ in rig.queue.take()]
    assert "gave_up" in rig.events(step.escalation.id)
    notices = [s.escalation for s in queued if s.step == "deliver"]
    assert sorted((n.audience, n.kind, n.id.rsplit("-", 1)[-1]) for n in notices) == [
        ("operations", "channel_gave_up", "email"),
        ("operations", "channel_gave_up", "teams"),
        ("operations", "undeliverable", "undeliverable"),
    ]


@pytest.mark.safety("H03")
async def test_a_channel_that_gives_up_alerts_operations_once_an_hour(rig: Rig) -> None:
    """On the queue path as in the orchestration: Teams failing to the end of the window
    while email delivered is one operations alert naming Teams; the next escalation whose
    Teams gives up within the hour raises none."""
    queued: list[FallbackStep] = []
    for conversation in ("conv-a", "conv-b"):
        outcome = await rig.escalator.crisis(
            FakeOrchestrations(fail=True),
            category="self_harm",
            signals=("s1",),
            conversation_key=conversation,
            latest_message="text",
        )
        assert outcome.escalated
        ((message, _),) = rig.queue.take()
        rig.webhook.fail_next(1)
        rig.clock.advance(RETRY["window_s"])
        await run(rig, message)
        queued += [FallbackStep.from_json(m) for m, _ in rig.queue.take()]
    notices = [s.escalation for s in queued if s.step == "deliver"]
    gave_up = [n for n in notices if n.kind == "channel_gave_up"]
    assert [(n.audience, n.title) for n in gave_up] == [
        ("operations", "Alert channel gave up: teams to the clinical team")
    ]
    assert [n for n in notices if n.kind == "undeliverable"] == []


@pytest.mark.safety("H03")
async def test_a_poisoned_step_inside_its_window_is_put_back_with_the_backoff(rig: Rig) -> None:
    """The host gave up on a step: inside the window it is retried after the next delay."""
    step = await crisis(rig)
    await rig.escalator.fallback_courier().poisoned(step.to_json())
    ((message, delay),) = rig.queue.take()
    assert (FallbackStep.from_json(message).attempt, delay) == (2, queue_delay(2.0))


@pytest.mark.safety("H03")
async def test_a_poisoned_step_after_its_window_alerts_operations(rig: Rig) -> None:
    """After the window the poison trigger gives up: a gave_up row and an operations notice."""
    step = await crisis(rig)
    rig.clock.advance(RETRY["window_s"])
    await rig.escalator.fallback_courier().poisoned(step.to_json())
    ((message, _),) = rig.queue.take()
    assert FallbackStep.from_json(message).escalation.audience == "operations"
    assert "gave_up" in rig.events(step.escalation.id)


@pytest.mark.safety("H03")
async def test_an_unreadable_poisoned_message_alerts_operations(rig: Rig) -> None:
    """A message that cannot be read at all still reaches operations."""
    await rig.escalator.fallback_courier().poisoned({"step": "deliver"})
    ((message, _),) = rig.queue.take()
    assert FallbackStep.from_json(message).escalation.audience == "operations"


def test_the_backoff_is_the_orchestrations() -> None:
    """retry_delay(n) is the n-th delay of RetryConfig.delays()."""
    retry = RetryConfig(first_delay_s=2.0, max_delay_s=60.0)
    delays = retry.delays()
    assert [retry_delay(retry, n) for n in range(1, 9)] == [next(delays) for _ in range(8)]


def test_an_unreadable_step_is_a_value_error() -> None:
    """A message without a known step or its fields is refused with a ValueError."""
    for bad in (None, {"step": "dance"}, {"step": "deliver"}):
        with pytest.raises(ValueError, match="fallback step"):
            FallbackStep.from_json(bad)
