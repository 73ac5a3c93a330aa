"""Versioned escalations: a history recorded before the upgrade replays through the new code."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from orchestrators.escalation import (
    AUDIT,
    CURRENT_VERSION,
    DELIVER,
    FLOWS,
    _flow_v2,
    escalation_flow,
)
from shared.platform.ports import ESCALATION_ORCHESTRATION
from tests.support.history import Driver, History, replay
from tests.unit.test_escalation_orchestration import T0, at, crisis, delivered

RECORDED = Path(__file__).parent / "recorded" / "escalation-v1-awaiting-ack.json"
HOST_JSON = Path(__file__).parents[2] / "host.json"


def recorded_history() -> History:
    """Recorded with the orchestrator as deployed before versioning: both channels delivered,
    the acknowledgement timer running. Its instance carries no version."""
    doc = json.loads(RECORDED.read_text())
    return History(
        doc["name"],
        doc["input"],
        datetime.fromisoformat(doc["start"]),
        instance_id=doc["instanceId"],
        events=doc["history"],
    )


def answer_round(driver: Driver, now: datetime) -> None:
    """Deliver every delivery call that has no result yet."""
    done = {e["TaskScheduledId"] for e in driver.history.events if e["EventType"] == 5}
    for call in driver.calls(DELIVER):
        if call["seq"] not in done:
            driver.complete(call["seq"], delivered(), now)


@pytest.mark.safety("H03")
def test_an_escalation_recorded_before_the_upgrade_completes_after_it() -> None:
    """The old instance replays, its acknowledgement deadline passes, the supervisor reminder
    is delivered and the instance completes."""
    driver = Driver.resume(escalation_flow, recorded_history())
    assert not driver.done
    assert "error" not in driver.state or not driver.state["error"]
    ack_timer = driver.timers()[-1]
    driver.fire(ack_timer["seq"])
    driver.complete(driver.calls(AUDIT)[-1]["seq"], True, at(300.4))  # the ack_overdue row
    reminders = [
        c for c in driver.calls(DELIVER) if c["input"]["escalation"]["audience"] == "supervisor"
    ]
    assert sorted(c["input"]["channel"] for c in reminders) == ["email", "teams"]
    answer_round(driver, at(300.5))
    assert driver.done
    assert driver.output == {
        "id": "esc-" + "a" * 32,
        "delivered": ["teams", "email"],
        "acknowledged": False,
    }


@pytest.mark.safety("H03")
def test_the_recorded_history_cannot_replay_through_the_new_flow() -> None:
    """Why versions: version 2's steps differ, so the old history breaks under it."""
    # The old first step (the "started" row's True) reaches version 2's first delivery.
    with pytest.raises(Exception, match="not subscriptable"):
        replay(_flow_v2, recorded_history())


def test_a_new_escalation_delivers_before_writing_its_started_row() -> None:
    """Version 2 sends the first round to every channel first, then writes the started row."""
    driver = Driver(escalation_flow, ESCALATION_ORCHESTRATION, crisis(), T0, version="2")
    first = driver.calls()
    assert [c["name"] for c in first] == [DELIVER, DELIVER]
    answer_round(driver, at(0.2))
    started = driver.calls(AUDIT)
    assert [c["input"]["event"] for c in started] == ["started"]


def test_version_two_still_waits_for_the_acknowledgement() -> None:
    """The rest of the flow is unchanged: no acknowledgement means a supervisor reminder."""
    driver = Driver(escalation_flow, ESCALATION_ORCHESTRATION, crisis(), T0, version="2")
    answer_round(driver, at(0.2))
    driver.complete(driver.calls(AUDIT)[-1]["seq"], True, at(0.3))
    driver.fire(driver.timers()[-1]["seq"])
    driver.complete(driver.calls(AUDIT)[-1]["seq"], True, at(300.4))
    answer_round(driver, at(300.5))
    assert driver.done
    assert driver.output["acknowledged"] is False


def test_an_instance_of_an_unknown_version_fails() -> None:
    """A version this code does not have is an error, never a guess."""
    with pytest.raises(Exception, match="no escalation flow for version '9'"):
        Driver(escalation_flow, ESCALATION_ORCHESTRATION, crisis(), T0, version="9")


def test_host_json_stamps_the_newest_flow_and_accepts_older_ones() -> None:
    """defaultVersion is the newest flow; CurrentOrOlder lets old instances drain here."""
    durable: dict[str, Any] = json.loads(HOST_JSON.read_text())["extensions"]["durableTask"]
    assert durable["defaultVersion"] == CURRENT_VERSION == max(v for v in FLOWS if v)
    assert durable["versionMatchStrategy"] == "CurrentOrOlder"
    assert durable["versionFailureStrategy"] == "Reject"
    assert "" in FLOWS, "instances started before versioning still have a flow"
