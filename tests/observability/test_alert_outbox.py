"""Alerts with an outbox: put on the storage queue at once, kept in memory only on failure."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from shared.escalation.alerts import Alert, AlertQueue, SendOutcome, SentAlert


def alert(key: str = "provider-failure:openai:1") -> Alert:
    return Alert(
        title="[provider-failure] The openai circuit breaker opened",
        dedup_key=key,
        rule="provider-failure",
        severity="warning",
        subject="openai",
        facts=(("Provider", "openai"),),
    )


def test_an_alert_survives_its_queue_message_form() -> None:
    """to_json and from_json give back the same alert."""
    assert Alert.from_json(alert().to_json()) == alert()


def test_a_message_that_is_not_an_alert_is_refused() -> None:
    """A message without a title or key raises ValueError (the queue retries, then poisons)."""
    with pytest.raises(ValueError, match="not an alert"):
        Alert.from_json({"rule": "x"})


def test_a_pushed_alert_goes_to_the_outbox_and_is_not_kept() -> None:
    """With a working outbox, the alert is put there and nothing waits for a flush."""
    sent: list[dict[str, Any]] = []
    queue = AlertQueue(outbox=sent.append)
    assert queue.push(alert())
    assert queue.settled(10.0)
    assert [Alert.from_json(m) for m in sent] == [alert()]
    assert queue.pending == 0


def test_push_returns_before_the_outbox_has_answered() -> None:
    """The raiser (an answer, the breaker writer) never waits for storage."""
    release = threading.Event()
    queue = AlertQueue(outbox=lambda _message: release.wait(10.0) and None)
    assert queue.push(alert())
    assert not queue.settled(0.0)
    release.set()
    assert queue.settled(10.0)


def test_an_alert_the_outbox_refuses_is_kept_for_a_flush() -> None:
    """After three failed puts the alert stays pending in this process (the fallback)."""
    attempts: list[int] = []

    def broken(_message: dict[str, Any]) -> None:
        attempts.append(1)
        raise OSError("queue down")

    queue = AlertQueue(outbox=broken, pause=lambda _s: None)
    queue.push(alert())
    assert queue.settled(10.0)
    assert len(attempts) == 3
    assert queue.pending == 1


def test_the_same_key_on_its_way_is_not_sent_twice() -> None:
    """A second push of a key still being put on the queue is dropped."""
    release = threading.Event()
    sent: list[dict[str, Any]] = []

    def slow(message: dict[str, Any]) -> None:
        release.wait(10.0)
        sent.append(message)

    queue = AlertQueue(outbox=slow)
    assert queue.push(alert())
    assert not queue.push(alert())
    release.set()
    assert queue.settled(10.0)
    assert len(sent) == 1


async def test_deliver_sends_to_the_sink_and_tells_the_listeners() -> None:
    """An alert taken from the queue goes to the sink; the listeners see it as sent."""
    seen: list[SentAlert] = []
    queue = AlertQueue()
    queue.add_listener(seen.append)

    async def sink(_alert: Alert) -> SendOutcome:
        return SendOutcome(started=True, escalation_id="alert-1")

    outcome = await queue.deliver(alert(), sink)
    assert outcome.escalation_id == "alert-1"
    assert [s.escalation_id for s in seen] == ["alert-1"]


async def test_deliver_lets_the_sinks_error_through() -> None:
    """A sink failure propagates, so the queue message is retried."""
    queue = AlertQueue()

    async def sink(_alert: Alert) -> SendOutcome:
        raise RuntimeError("orchestration engine down")

    with pytest.raises(RuntimeError):
        await queue.deliver(alert(), sink)
