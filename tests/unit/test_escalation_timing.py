"""The acknowledgement clock and channel give-ups, replayed on an injected clock (flow version 3).

Every run here is the current flow (``CURRENT_VERSION``) replayed through the SDK's handler by
:class:`~tests.support.escalation_run.EscalationRun`: activities answer after 0.1 s, timers fire
at their ``fireAt``, and nothing sleeps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from orchestrators.escalation import CURRENT_VERSION
from tests.support.escalation_run import (
    DELIVERED,
    GONE,
    REFUSED,
    Answer,
    EscalationRun,
    at,
    deliveries,
    teams_gone_for,
)
from tests.support.payloads import crisis_escalation

T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)
DELIVER, AUDIT, CLAIM = "deliver_escalation", "audit_escalation", "claim_channel_alert"
# The shipped retry and acknowledgement settings (config/escalation-config.json).
SHIPPED_RETRY = {"first_delay_s": 2.0, "max_delay_s": 60.0, "window_s": 1800.0}
ACK_WAIT_S = 300.0


def crisis(window_s: float = 1800.0, ack_timeout_s: float | None = ACK_WAIT_S) -> dict[str, Any]:
    retry = {**SHIPPED_RETRY, "window_s": window_s, "attempt_timeout_s": 10.0}
    return {
        "escalation": crisis_escalation(T0).to_json(),
        "retry": retry,
        "ack_timeout_s": ack_timeout_s,
        "channel_alert_window_s": 3600.0,
    }


def escalation(
    deliver: Answer,
    *,
    claim: Answer = lambda _payload: True,
    window_s: float = 1800.0,
    ack_timeout_s: float | None = ACK_WAIT_S,
) -> EscalationRun:
    answers = {DELIVER: deliver, AUDIT: lambda _payload: True, CLAIM: claim}
    return EscalationRun(crisis(window_s, ack_timeout_s), T0, answers, version=CURRENT_VERSION)


def first_to(run: EscalationRun, audience: str, kind: str | None = None) -> float:
    """When the first delivery to ``audience`` (of ``kind``) was scheduled, in seconds."""
    return min(
        s.at_s for s in run.calls(DELIVER) if s.audience == audience and kind in (None, s.kind)
    )


def reminded(run: EscalationRun) -> bool:
    return any(s.audience == "supervisor" for s in run.calls(DELIVER))


@pytest.mark.safety("H03")
def test_the_supervisor_is_reminded_one_wait_after_delivery_while_teams_keeps_failing() -> None:
    """Teams answers 410 for the whole window, email delivers at once: the reminder goes at
    the first delivery plus the acknowledgement wait, not after the retry window."""
    run = escalation(teams_gone_for("clinical"))
    run.run_until(reminded)
    assert reminded(run)
    assert first_to(run, "supervisor") <= ACK_WAIT_S + 1.0


@pytest.mark.safety("H03")
def test_a_failing_channel_keeps_retrying_beside_the_acknowledgement_clock() -> None:
    """After the reminder has gone, the clinical Teams channel is still being retried."""
    run = escalation(teams_gone_for("clinical"))
    run.run_until(reminded)
    reminder_at = first_to(run, "supervisor")
    run.run_until(lambda r: any(s.at_s > reminder_at + 60 for s in r.calls(DELIVER)))
    later = [s for s in run.calls(DELIVER) if s.at_s > reminder_at]
    assert any(s.audience == "clinical" and s.input["channel"] == "teams" for s in later)


@pytest.mark.safety("H03")
def test_the_acknowledgement_clock_starts_at_the_first_delivery() -> None:
    """Email refuses three times and then delivers at about 14 s: the nurse team gets the
    whole wait from then, so the reminder comes at about 314 s."""

    def results(audience: str, channel: str, attempt: int) -> dict[str, Any]:
        if audience == "clinical" and channel == "teams":
            return GONE
        if audience == "clinical" and attempt <= 3:
            return REFUSED
        return DELIVERED

    run = escalation(deliveries(results))
    run.run_until(reminded)
    delivered_at = max(
        s.at_s for s in run.calls(DELIVER) if s.audience == "clinical" and s.input["attempt"] == 4
    )
    assert delivered_at > 10.0
    assert delivered_at + ACK_WAIT_S <= first_to(run, "supervisor") <= delivered_at + ACK_WAIT_S + 1


@pytest.mark.safety("H03")
def test_an_acknowledgement_cancels_the_reminder_while_a_channel_still_retries() -> None:
    """Acknowledged at 60 s: no reminder ever, Teams goes on to give up, and the output says
    acknowledged."""
    run = escalation(teams_gone_for("clinical"))
    run.run_until(lambda r: r.seconds() >= 60.0)
    run.driver.raise_event("ack", {"at": "now"}, run.now)
    run.run()
    assert run.done
    assert not reminded(run)
    assert run.driver.output == {
        "id": "esc-" + "a" * 32,
        "delivered": ["email"],
        "acknowledged": True,
    }


@pytest.mark.safety("H03")
def test_nothing_reaching_the_nurse_team_reminds_the_supervisor_after_the_wait() -> None:
    """Both clinical channels keep failing: the supervisor hears when the wait has passed
    since the start, not at the end of the 30-minute window."""
    run = escalation(deliveries(lambda aud, _ch, _n: REFUSED if aud == "clinical" else DELIVERED))
    run.run_until(reminded)
    assert ACK_WAIT_S <= first_to(run, "supervisor") <= ACK_WAIT_S + 1.0
    reminder = next(s for s in run.calls(DELIVER) if s.audience == "supervisor")
    assert reminder.input["escalation"]["title"] == (
        "A crisis escalation has not reached the nurse team"
    )


@pytest.mark.safety("H03")
def test_a_delivery_activity_that_crashes_is_a_failed_attempt_and_retried() -> None:
    """An activity failure (a worker lost mid-send) is retried like a refused send."""

    def results(payload: dict[str, Any]) -> Any:
        first_teams = payload["channel"] == "teams" and payload["attempt"] == 1
        return RuntimeError("worker lost") if first_teams else DELIVERED

    run = escalation(results).run()
    assert run.done
    assert sorted(run.driver.output["delivered"]) == ["email", "teams"]
    teams = [s for s in run.calls(DELIVER) if s.input["channel"] == "teams"]
    assert [s.input["attempt"] for s in teams if s.audience == "clinical"] == [1, 2]


@pytest.mark.safety("H03")
def test_a_channel_that_gives_up_alerts_operations() -> None:
    """At the end of the window the failing Teams channel gives up and operations get a
    "channel gave up" notice naming the channel, the audience and the last result."""
    run = escalation(teams_gone_for("clinical"), window_s=20.0).run()
    assert run.done
    (claim,) = run.calls(CLAIM)
    assert (claim.input["audience"], claim.input["channel"]) == ("clinical", "teams")
    notices = [s for s in run.calls(DELIVER) if s.kind == "channel_gave_up"]
    assert {s.input["channel"] for s in notices} == {"teams", "email"}
    facts = dict(notices[0].input["escalation"]["facts"])
    assert facts["Channel"] == "teams"
    assert facts["Audience"] == "clinical"
    assert facts["Last result"] == "http 410"
    assert facts["Original escalation"] == "esc-" + "a" * 32


@pytest.mark.safety("H03")
def test_the_give_up_notice_follows_the_give_up_at_once() -> None:
    """The notice is scheduled right after the give-up's audit row and claim (two activity
    hops, 0.2 s on this clock)."""
    run = escalation(teams_gone_for("clinical"), window_s=20.0).run()
    gave_up = next(s for s in run.calls(AUDIT) if s.input["event"] == "gave_up")
    assert first_to(run, "operations", "channel_gave_up") - gave_up.at_s <= 0.25


@pytest.mark.safety("H03")
def test_a_give_up_already_alerted_within_the_hour_is_not_sent_again() -> None:
    """When the claim says operations were told within the hour, no notice is sent."""
    run = escalation(teams_gone_for("clinical"), window_s=20.0, claim=lambda _p: False).run()
    assert run.done
    assert len(run.calls(CLAIM)) == 1
    assert not [s for s in run.calls(DELIVER) if s.audience == "operations"]


@pytest.mark.safety("H03")
def test_a_give_up_whose_claim_cannot_be_made_is_alerted_anyway() -> None:
    """Storage trouble in the claim never silences the notice."""
    run = escalation(
        teams_gone_for("clinical"), window_s=20.0, claim=lambda _p: RuntimeError("storage down")
    ).run()
    assert [s for s in run.calls(DELIVER) if s.kind == "channel_gave_up"]


def test_a_supervisor_channel_that_gives_up_alerts_operations_too() -> None:
    """The supervisor's Teams webhook is revoked: its give-up is claimed and alerted."""

    def results(audience: str, channel: str, _attempt: int) -> dict[str, Any]:
        return GONE if channel == "teams" else DELIVERED

    run = escalation(deliveries(results), window_s=20.0, ack_timeout_s=5.0).run()
    claimed = {(s.input["audience"], s.input["channel"]) for s in run.calls(CLAIM)}
    assert claimed == {("clinical", "teams"), ("supervisor", "teams")}


def test_an_operations_channel_that_gives_up_raises_no_notice_about_itself() -> None:
    """Operations' own give-ups are audited, never alerted to operations again."""
    run = escalation(
        deliveries(lambda _aud, channel, _n: GONE if channel == "teams" else DELIVERED),
        window_s=20.0,
        ack_timeout_s=None,
    ).run()
    assert run.done
    claimed = {s.input["audience"] for s in run.calls(CLAIM)}
    assert claimed == {"clinical"}
    gave_up = [s for s in run.calls(AUDIT) if s.input["event"] == "gave_up"]
    assert len(gave_up) == 2  # the clinical Teams channel, and operations' own


@pytest.mark.safety("H03")
def test_answers_that_arrive_together_start_the_clock_at_the_delivery() -> None:
    """Teams' 410 and e-mail's delivery in one episode: Teams backs off, and once the started
    row is written the acknowledgement timer runs from that moment, not from the start."""
    run = escalation(teams_gone_for("clinical"))
    teams, email = sorted(run.calls(DELIVER), key=lambda s: s.input["channel"] != "teams")
    answered = at(T0, 0.2)
    run.driver.complete_together({teams.seq: GONE, email.seq: DELIVERED}, answered)
    started = run.driver.calls(AUDIT)[-1]
    run.driver.complete(started["seq"], True, at(T0, 0.3))
    timers = {t["fireAt"]: t["isCanceled"] for t in run.driver.timers()}
    assert timers == {
        "2026-03-01T09:05:00.000000Z": True,  # nothing delivered yet: cancelled
        "2026-03-01T09:00:02.200000Z": False,  # Teams' backoff
        "2026-03-01T09:05:00.200000Z": False,  # the acknowledgement wait
    }
