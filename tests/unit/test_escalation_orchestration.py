"""The escalation orchestration, replayed from JSON history through the Durable SDK's handler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orchestrators.escalation import AUDIT, DELIVER, escalation_flow
from shared.platform.ports import ESCALATION_ORCHESTRATION as ORCHESTRATION
from tests.support.history import Driver
from tests.support.payloads import crisis_escalation

T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)
RETRY = {"first_delay_s": 2.0, "max_delay_s": 8.0, "window_s": 20.0, "attempt_timeout_s": 5.0}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def crisis(ack_timeout_s: float | None = 300.0, window_s: float = 20.0) -> dict[str, Any]:
    escalation = crisis_escalation(T0)
    retry = {**RETRY, "window_s": window_s}
    return {"escalation": escalation.to_json(), "retry": retry, "ack_timeout_s": ack_timeout_s}


def delivered() -> dict[str, Any]:
    return {"ok": True, "skipped": False, "detail": "http 202"}


def refused() -> dict[str, Any]:
    return {"ok": False, "skipped": False, "detail": "http 500"}


class Flow(Driver):
    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(escalation_flow, ORCHESTRATION, payload, T0)
        self.complete(self.calls(AUDIT)[0]["seq"], True, at(0.01))  # the "started" audit row

    def deliveries(self) -> list[dict[str, Any]]:
        return self.calls(DELIVER)

    def answer(self, results: dict[str, dict[str, Any]], now: datetime) -> None:
        """Complete the newest delivery round: one result per channel."""
        pending = [c for c in self.deliveries() if c["seq"] >= self._round_start()]
        for call in pending:
            self.complete(call["seq"], results[call["input"]["channel"]], now)

    def _round_start(self) -> int:
        completed = {e["TaskScheduledId"] for e in self.history.events if e["EventType"] == 5}
        return min(c["seq"] for c in self.deliveries() if c["seq"] not in completed)


@pytest.mark.safety("H03")
def test_both_channels_are_tried_together() -> None:
    """Teams and email are scheduled in the same round, so one cannot block the other."""
    flow = Flow(crisis())
    assert sorted(c["input"]["channel"] for c in flow.deliveries()) == ["email", "teams"]
    assert all(c["input"]["escalation"]["id"] == "esc-" + "a" * 32 for c in flow.deliveries())


@pytest.mark.safety("H03")
def test_failed_channel_is_retried_after_a_durable_backoff_timer() -> None:
    """A webhook failure waits on a durable timer, then retries only that channel."""
    flow = Flow(crisis())
    flow.answer({"teams": refused(), "email": delivered()}, at(0.5))
    timer = flow.timers()[-1]
    assert timer["fireAt"].startswith("2026-03-01T09:00:02.5")
    flow.fire(timer["seq"])
    retry = flow.deliveries()[-1]
    assert retry["input"]["channel"] == "teams"
    assert retry["input"]["attempt"] == 2


def test_backoff_doubles_up_to_the_cap() -> None:
    """Successive retry delays double: 2 s, 4 s, 8 s, then stay at the 8 s cap."""
    flow = Flow(crisis(window_s=600.0))
    gaps = []
    now = at(0.02)
    for _ in range(4):
        flow.answer({"teams": refused(), "email": delivered()}, now)
        timer = flow.timers()[-1]
        fire_at = datetime.fromisoformat(timer["fireAt"].replace("Z", "+00:00"))
        gaps.append(round((fire_at - now).total_seconds(), 3))
        flow.fire(timer["seq"])
        now = fire_at
    assert gaps == [2.0, 4.0, 8.0, 8.0]


@pytest.mark.safety("H03")
def test_nothing_delivered_within_the_window_alerts_operations() -> None:
    """When no channel delivers before the window ends, an operations notice is sent."""
    flow = Flow(crisis(ack_timeout_s=None))
    now = at(0.0)
    while not any(c["input"]["escalation"]["audience"] == "operations" for c in flow.deliveries()):
        flow.answer({"teams": refused(), "email": refused()}, now)
        timers = [t for t in flow.timers() if t["seq"] > max(c["seq"] for c in flow.deliveries())]
        if timers:
            flow.fire(timers[-1]["seq"])
            now = datetime.fromisoformat(timers[-1]["fireAt"].replace("Z", "+00:00"))
        else:
            # the "gave_up" audit row
            flow.complete(flow.calls(AUDIT)[-1]["seq"], True, now)
    notice = flow.deliveries()[-1]["input"]["escalation"]
    assert notice["kind"] == "undeliverable"
    assert notice["facts"][0] == ["Original escalation", "esc-" + "a" * 32]


@pytest.mark.safety("H03")
def test_acknowledged_crisis_completes_without_a_reminder() -> None:
    """An acknowledgement before the deadline cancels the supervisor reminder."""
    flow = Flow(crisis())
    flow.answer({"teams": delivered(), "email": delivered()}, at(0.3))
    assert not flow.done
    flow.raise_event("ack", {"at": "now"}, at(60))
    assert flow.done
    assert flow.output == {
        "id": "esc-" + "a" * 32,
        "delivered": ["teams", "email"],
        "acknowledged": True,
    }
    assert flow.timers()[-1]["isCanceled"] is True
    assert not [
        c for c in flow.deliveries() if c["input"]["escalation"]["audience"] == "supervisor"
    ]


@pytest.mark.safety("H03")
def test_unacknowledged_crisis_alerts_the_supervisor() -> None:
    """No acknowledgement within the delay: the supervisor is alerted."""
    flow = Flow(crisis(ack_timeout_s=300.0))
    flow.answer({"teams": delivered(), "email": delivered()}, at(0.3))
    ack_timer = flow.timers()[-1]
    assert ack_timer["fireAt"].startswith("2026-03-01T09:05:00.3")
    flow.fire(ack_timer["seq"])
    flow.complete(flow.calls(AUDIT)[-1]["seq"], True, at(300.4))  # ack_overdue audit
    reminder = flow.deliveries()[-1]["input"]["escalation"]
    assert reminder["audience"] == "supervisor"
    assert reminder["kind"] == "unacknowledged"
    flow.answer({"teams": delivered(), "email": delivered()}, at(301))
    assert flow.done
    assert flow.output["acknowledged"] is False


def test_unconfigured_channel_is_not_retried() -> None:
    """A channel that is not configured is skipped, not retried."""
    flow = Flow(crisis(ack_timeout_s=None))
    skipped = {"ok": False, "skipped": True, "detail": "not configured"}
    flow.answer({"teams": delivered(), "email": skipped}, at(0.2))
    assert flow.done
    assert flow.output["delivered"] == ["teams"]
