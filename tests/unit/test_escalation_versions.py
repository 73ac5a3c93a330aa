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
    _flow_v3,
    escalation_flow,
    flow_key,
)
from shared.platform.ports import ESCALATION_ORCHESTRATION
from tests.support.history import Driver, History, flat_actions, replay
from tests.unit.test_escalation_orchestration import T0, at, crisis, delivered

RECORDED = Path(__file__).parent / "recorded" / "escalation-v1-awaiting-ack.json"
RECORDED_V2 = Path(__file__).parent / "recorded" / "escalation-v2-teams-failing.json"
HOST_JSON = Path(__file__).parents[2] / "host.json"


def recorded_history(path: Path = RECORDED) -> History:
    """Recorded with the orchestrator as deployed before versioning: both channels delivered,
    the acknowledgement timer running. Its instance carries no version."""
    doc = json.loads(path.read_text())
    return History(
        doc["name"],
        doc["input"],
        datetime.fromisoformat(doc["start"]),
        instance_id=doc["instanceId"],
        events=doc["history"],
        version=doc.get("version", ""),
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
    newest = max((v for v in FLOWS if v), key=int)
    assert flow_key(durable["defaultVersion"]) == CURRENT_VERSION == newest
    assert durable["versionMatchStrategy"] == "CurrentOrOlder"
    assert durable["versionFailureStrategy"] == "Reject"
    assert "" in FLOWS, "instances started before versioning still have a flow"


@pytest.mark.safety("H03")
def test_a_version_two_escalation_recorded_with_teams_failing_completes_after_the_upgrade() -> None:
    """Recorded under version 2 (Teams refusing, email delivered, Teams backing off): it
    replays through the new code with version 2's steps, retries Teams to the end of its
    window, then waits for the acknowledgement and reminds the supervisor."""
    history = recorded_history(RECORDED_V2)
    driver = Driver.resume(escalation_flow, history)
    assert not driver.done
    assert not driver.state.get("error")
    gone = {"ok": False, "skipped": False, "detail": "http 410"}
    now = at(2.6)
    while not [c for c in driver.calls(AUDIT) if c["input"]["event"] == "gave_up"]:
        timer = driver.timers()[-1]
        driver.fire(timer["seq"])
        now = datetime.fromisoformat(timer["fireAt"].replace("Z", "+00:00"))
        retry = driver.calls(DELIVER)[-1]
        driver.complete(retry["seq"], gone, now)
    driver.complete(driver.calls(AUDIT)[-1]["seq"], True, now)  # the gave_up row
    assert not [c for c in driver.calls() if c["name"] == "claim_channel_alert"]
    driver.fire(driver.timers()[-1]["seq"])  # version 2's acknowledgement wait, after the loop
    driver.complete(driver.calls(AUDIT)[-1]["seq"], True, now)  # ack_overdue
    answer_round(driver, now)
    assert driver.done
    assert driver.output["delivered"] == ["email"]
    assert driver.output["acknowledged"] is False


def steps_in_history(history: History) -> list[tuple[str, str]]:
    """What the recorded instance scheduled, in sequence order: activities by name, timers."""
    return [
        ("timer", "") if e["EventType"] == 10 else ("activity", str(e["Name"]))
        for e in history.events
        if e["EventType"] in (4, 10)
    ]


def steps_asked_for(state: dict[str, Any], count: int) -> list[tuple[str, str]]:
    """The first ``count`` activities and timers a replay asks for, in sequence order."""
    steps = [
        ("timer", "") if a["actionType"] == 5 else ("activity", str(a["functionName"]))
        for a in flat_actions(state)
        if a["actionType"] in (0, 1, 5)
    ]
    return steps[:count]


@pytest.mark.safety("H03")
def test_the_version_two_recording_cannot_replay_through_version_three() -> None:
    """Why a new version: version 3 asks for different steps at the recorded sequence
    numbers (the extension rejects such a replay as non-deterministic); version 2 matches."""
    history = recorded_history(RECORDED_V2)
    recorded = steps_in_history(history)
    assert steps_asked_for(replay(_flow_v2, history), len(recorded)) == recorded
    assert steps_asked_for(replay(_flow_v3, history), len(recorded)) != recorded


def test_a_dotted_default_version_selects_the_same_flow() -> None:
    """host.json may write "3.0" (or "3"): both stamp the same flow."""
    assert flow_key("3.0") == flow_key("3") == flow_key(" 3.0.0 ") == "3"
    assert flow_key("2.0") == "2"
    assert flow_key("") == flow_key(None) == ""
    driver = Driver(escalation_flow, ESCALATION_ORCHESTRATION, crisis(), T0, version="3.0")
    assert sorted(c["input"]["channel"] for c in driver.calls(DELIVER)) == ["email", "teams"]
