"""The pending-alert queue and its delivery through the escalation path."""

from __future__ import annotations

import asyncio

import pytest

from shared.escalation.alerts import Alert, AlertQueue, SentAlert
from tests.observability.helpers import FakeOrchestrations, unit_runtime


def alert(key: str = "provider-failure:openai:1", title: str = "[provider-failure] x") -> Alert:
    return Alert(title=title, dedup_key=key, rule="provider-failure", severity="warning")


def test_same_key_is_queued_once() -> None:
    """A second alert with a pending key is dropped."""
    queue = AlertQueue()
    assert queue.push(alert())
    assert not queue.push(alert(title="[provider-failure] again"))
    assert queue.pending == 1


@pytest.mark.safety("H11")
async def test_flush_starts_one_operations_escalation_per_alert() -> None:
    """Flushing hands each alert to the escalation orchestration, for operations."""
    runtime = unit_runtime()
    engine = FakeOrchestrations()
    queue = AlertQueue()
    queue.push(alert("a", "[provider-failure] one"))
    queue.push(alert("b", "[all-tiers-down] two"))
    assert await queue.flush(runtime.escalator.alert_sink(engine)) == 2
    audiences = [p["escalation"]["audience"] for _, p, _ in engine.started]
    assert audiences == ["operations", "operations"]
    assert engine.titles() == ["[provider-failure] one", "[all-tiers-down] two"]


async def test_flush_empties_the_queue() -> None:
    """A flushed alert is not sent again by the next flush."""
    runtime = unit_runtime()
    engine = FakeOrchestrations()
    queue = AlertQueue()
    queue.push(alert())
    await queue.flush(runtime.escalator.alert_sink(engine))
    await queue.flush(runtime.escalator.alert_sink(engine))
    assert len(engine.started) == 1


async def test_a_key_already_claimed_in_the_store_is_not_sent_twice() -> None:
    """Across flushes (and instances) the escalation store de-duplicates the key."""
    runtime = unit_runtime()
    engine = FakeOrchestrations()
    first, second = AlertQueue(), AlertQueue()
    first.push(alert())
    second.push(alert())
    await first.flush(runtime.escalator.alert_sink(engine))
    await second.flush(runtime.escalator.alert_sink(engine))
    assert len(engine.started) == 1


async def test_listeners_hear_about_each_flushed_alert() -> None:
    """The audit trail learns what was sent, with the escalation id."""
    runtime = unit_runtime()
    heard: list[SentAlert] = []
    queue = AlertQueue()
    queue.add_listener(heard.append)
    queue.push(alert())
    await queue.flush(runtime.escalator.alert_sink(FakeOrchestrations()))
    assert [(s.alert.rule, s.started) for s in heard] == [("provider-failure", True)]
    assert heard[0].escalation_id is not None


async def test_flush_soon_with_nothing_pending_starts_nothing() -> None:
    """The chat path pays nothing when no alert is pending."""
    runtime = unit_runtime()
    engine = FakeOrchestrations()
    runtime.alerts.flush_soon(runtime.escalator.alert_sink(engine))
    await asyncio.sleep(0.01)
    assert engine.started == []


async def test_flush_soon_sends_in_the_background() -> None:
    """With an alert pending, flush_soon returns at once and the alert goes out after."""
    runtime = unit_runtime()
    engine = FakeOrchestrations()
    runtime.alerts.push(alert())
    runtime.alerts.flush_soon(runtime.escalator.alert_sink(engine))
    assert engine.started == [], "nothing was awaited by the caller"
    for _ in range(100):
        if engine.started:
            break
        await asyncio.sleep(0.01)
    assert len(engine.started) == 1
    assert runtime.alerts.pending == 0
