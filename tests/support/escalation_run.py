"""Run an escalation orchestration to its end on an injected clock, as the extension would.

Each step either answers the oldest unanswered activity (after a fixed latency) or fires the
earliest timer that is neither fired nor cancelled, and replays the orchestrator through the
SDK's handler. Nothing sleeps: time is the history's own timestamps, so a run of half an hour
of escalation takes milliseconds, and the moment each activity was scheduled is a figure that
can be read off the run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrators.escalation import escalation_flow
from shared.platform.ports import ESCALATION_ORCHESTRATION
from tests.support.history import TASK_COMPLETED, TASK_FAILED, TIMER_FIRED, Driver

# An activity's answer: given its input, its result (or an Exception to fail it).
Answer = Callable[[dict[str, Any]], Any]

DELIVERED = {"ok": True, "skipped": False, "detail": "http 202"}
GONE = {"ok": False, "skipped": False, "detail": "http 410"}
REFUSED = {"ok": False, "skipped": False, "detail": "http 500"}
SKIPPED = {"ok": False, "skipped": True, "detail": "not configured"}


@dataclass(frozen=True)
class Scheduled:
    """An activity call, with when (seconds after the start) the orchestrator scheduled it."""

    at_s: float
    seq: int
    name: str
    input: dict[str, Any]

    @property
    def audience(self) -> str | None:
        escalation = self.input.get("escalation")
        return None if escalation is None else str(escalation["audience"])

    @property
    def kind(self) -> str | None:
        escalation = self.input.get("escalation")
        return None if escalation is None else str(escalation["kind"])


@dataclass
class EscalationRun:
    """One escalation instance, driven step by step on a deterministic clock."""

    payload: dict[str, Any]
    start: datetime
    answers: dict[str, Answer]
    version: str
    latency_s: float = 0.1
    scheduled: dict[int, Scheduled] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.now = self.start
        self.driver = Driver(
            escalation_flow,
            ESCALATION_ORCHESTRATION,
            self.payload,
            self.start,
            version=self.version,
        )
        self._note_new_calls()

    @property
    def done(self) -> bool:
        return self.driver.done

    def seconds(self) -> float:
        return (self.now - self.start).total_seconds()

    def _note_new_calls(self) -> None:
        for call in self.driver.calls():
            if call["seq"] not in self.scheduled:
                self.scheduled[call["seq"]] = Scheduled(
                    self.seconds(), call["seq"], call["name"], call["input"]
                )

    def _answered(self) -> set[int]:
        events = self.driver.history.events
        return {
            e["TaskScheduledId"] for e in events if e["EventType"] in (TASK_COMPLETED, TASK_FAILED)
        }

    def _open_timers(self) -> list[dict[str, Any]]:
        fired = {e["TimerId"] for e in self.driver.history.events if e["EventType"] == TIMER_FIRED}
        return [t for t in self.driver.timers() if t["seq"] not in fired and not t["isCanceled"]]

    def step(self) -> bool:
        """Answer one activity or fire one timer; False when there is nothing left to do."""
        answered = self._answered()
        waiting = [s for s in self.scheduled.values() if s.seq not in answered]
        if waiting:
            call = min(waiting, key=lambda s: s.seq)
            self.now += timedelta(seconds=self.latency_s)
            result = self.answers[call.name](call.input)
            if isinstance(result, Exception):
                self.driver.fail(call.seq, self.now)
            else:
                self.driver.complete(call.seq, result, self.now)
        else:
            timers = self._open_timers()
            if not timers or self.done:
                return False
            timer = min(timers, key=lambda t: (t["fireAt"], t["seq"]))
            self.driver.fire(timer["seq"])
            self.now = datetime.fromisoformat(timer["fireAt"].replace("Z", "+00:00"))
        self._note_new_calls()
        return True

    def run(self, limit_s: float = 7200.0) -> EscalationRun:
        """Step until the instance is done (or the clock passes ``limit_s``)."""
        while not self.done and self.seconds() <= limit_s and self.step():
            pass
        return self

    def run_until(self, found: Callable[[EscalationRun], bool], limit_s: float = 7200.0) -> None:
        while not found(self) and not self.done and self.seconds() <= limit_s and self.step():
            pass

    def calls(self, name: str) -> list[Scheduled]:
        return sorted((s for s in self.scheduled.values() if s.name == name), key=lambda s: s.seq)


def deliveries(results: Callable[[str, str, int], dict[str, Any]]) -> Answer:
    """A ``deliver_escalation`` answer from (audience, channel, attempt)."""

    def answer(payload: dict[str, Any]) -> dict[str, Any]:
        audience = str(payload["escalation"]["audience"])
        return results(audience, str(payload["channel"]), int(payload["attempt"]))

    return answer


def teams_gone_for(audience: str) -> Answer:
    """Every Teams post to ``audience`` answers 410 Gone (a revoked webhook); all else delivers."""
    return deliveries(
        lambda aud, channel, _attempt: GONE if (aud, channel) == (audience, "teams") else DELIVERED
    )


def at(start: datetime, seconds: float) -> datetime:
    return start + timedelta(seconds=seconds)


def figures(version: str) -> dict[str, float]:
    """With the shipped escalation config, the clinical Teams webhook answering 410 for the
    whole window and e-mail delivering: seconds from the crisis to the supervisor reminder,
    and from the Teams channel's give-up row to the operations notice (both as scheduled)."""
    from shared.escalation import load_escalation_config  # noqa: PLC0415 - only for figures
    from tests.support.payloads import crisis_escalation  # noqa: PLC0415

    config = load_escalation_config()
    retry = config.retry
    payload = {
        "escalation": crisis_escalation(FIGURES_START).to_json(),
        "retry": {
            "first_delay_s": retry.first_delay_s,
            "max_delay_s": retry.max_delay_s,
            "window_s": retry.window_s,
            "attempt_timeout_s": retry.attempt_timeout_s,
        },
        "ack_timeout_s": config.ack_timeout_s,
        "channel_alert_window_s": config.channel_alert_window_s,
    }
    answers: dict[str, Answer] = {
        "deliver_escalation": teams_gone_for("clinical"),
        "audit_escalation": lambda _payload: True,
        "claim_channel_alert": lambda _payload: True,
    }
    run = EscalationRun(payload, FIGURES_START, answers, version=version).run()
    deliveries_ = run.calls("deliver_escalation")
    reminder = min(s.at_s for s in deliveries_ if s.audience == "supervisor")
    gave_up = min(s.at_s for s in run.calls("audit_escalation") if s.input["event"] == "gave_up")
    notices = [s.at_s for s in deliveries_ if s.kind == "channel_gave_up"]
    return {
        "ack_wait_s": config.ack_timeout_s,
        "crisis_to_reminder_s": round(reminder, 3),
        "gave_up_at_s": round(gave_up, 3),
        "gave_up_to_notice_s": round(min(notices) - gave_up, 3) if notices else float("nan"),
    }


FIGURES_START = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)

if __name__ == "__main__":
    from orchestrators.escalation import CURRENT_VERSION

    for flow in ("2", CURRENT_VERSION):
        print(f"flow version {flow}: {figures(flow)}")
