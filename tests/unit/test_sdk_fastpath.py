"""The Durable SDK fast path: replays are byte-identical with it and without it; guards hold.

Every orchestration history here is replayed twice through the SDK's own handler, once with
the SDK as shipped (``uninstall()``) and once with the fast path (``install()``), and the
state JSON must be the same byte for byte. The autouse fixture puts the process back as it was
found: the app normally runs with the fast path installed.
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import metadata
from typing import Any

import azure.durable_functions as df
import pytest
from azure.durable_functions.constants import DATETIME_STRING_FORMAT
from azure.durable_functions.models.DurableOrchestrationStatus import (
    DurableOrchestrationStatus,
)
from azure.durable_functions.models.TaskOrchestrationExecutor import TaskOrchestrationExecutor
from dateutil.parser import ParserError
from dateutil.parser import parse as dateutil_parse

import orchestrators
from orchestrators import sdk_fastpath
from orchestrators.chat import CALL_PROVIDER, failover
from orchestrators.escalation import AUDIT, DELIVER, escalation_flow
from shared.failover.plan import ChatPlan, build_plan
from shared.models import ChatRequest, Message
from shared.platform.ports import CHAT_ORCHESTRATION as ORCHESTRATION
from shared.platform.ports import ESCALATION_ORCHESTRATION as ESCALATION
from tests.support.configs import three_tiers, timed
from tests.support.history import TASK_COMPLETED, TASK_FAILED, TIMER_FIRED, Driver
from tests.support.payloads import crisis_escalation
from tests.support.payloads import provider_ok as ok

HISTORY_EVENT = importlib.import_module("azure.durable_functions.models.history.HistoryEvent")
STATUS = importlib.import_module("azure.durable_functions.models.DurableOrchestrationStatus")
EXECUTOR = importlib.import_module("azure.durable_functions.models.TaskOrchestrationExecutor")
VERIFIED = {name: versions[0] for name, versions in sdk_fastpath.VERIFIED.items()}


@pytest.fixture(autouse=True)
def _as_found() -> Iterator[None]:
    """Leave the fast path installed or not, exactly as the test found it."""
    was_installed = sdk_fastpath.installed()
    yield
    sdk_fastpath.uninstall()
    if was_installed:
        assert sdk_fastpath.install(env={}), "could not put the fast path back"


@pytest.fixture
def shipped() -> None:
    """The SDK as shipped, for tests of install()."""
    sdk_fastpath.uninstall()


def originals_in_place() -> bool:
    return (
        HISTORY_EVENT.dt_parse is dateutil_parse
        and STATUS.dt_parse is dateutil_parse
        and EXECUTOR.namedtuple is collections.namedtuple
    )


# --- replaying histories both ways ------------------------------------------------------------


class Recorder(Driver):
    """A history driver that keeps the context JSON of every episode it replays."""

    def __init__(self, fn: Callable[..., Any], name: str, payload: Any, start: datetime) -> None:
        self.contexts: list[str] = []
        self.now = start
        super().__init__(fn, name, payload, start)

    def _episode(self, now: datetime) -> dict[str, Any]:
        self.contexts.append(self.history.context_json())
        return super()._episode(now)

    def resolved(self) -> set[int]:
        """Sequence numbers whose activity finished or whose timer fired."""
        return {
            int(event["TimerId"] if event["EventType"] == TIMER_FIRED else event["TaskScheduledId"])
            for event in self.history.events
            if event["EventType"] in (TASK_COMPLETED, TASK_FAILED, TIMER_FIRED)
        }

    def pending(self, name: str) -> list[dict[str, Any]]:
        done = self.resolved()
        return [call for call in self.calls(name) if call["seq"] not in done]

    def later(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def wait(self) -> None:
        """Fire the newest timer that is neither fired nor cancelled."""
        done = self.resolved()
        timer = [t for t in self.timers() if t["seq"] not in done and not t["isCanceled"]][-1]
        self.fire(timer["seq"])
        self.now = datetime.fromisoformat(timer["fireAt"].replace("Z", "+00:00"))


def replay_outcome(fn: Callable[..., Any], context_json: str) -> str:
    """The state JSON the SDK's handler returns (keys sorted), or the message it raises."""
    handle = df.Orchestrator.create(fn)
    try:
        state = handle(context_json)
    except Exception as exc:  # noqa: BLE001 - the raised message carries the state JSON
        return f"raised {type(exc).__name__}: {exc}"
    return json.dumps(json.loads(state), sort_keys=True)


def shipped_and_fast(fn: Callable[..., Any], context_json: str) -> tuple[str, str]:
    sdk_fastpath.uninstall()
    as_shipped = replay_outcome(fn, context_json)
    assert sdk_fastpath.install(env={})
    return as_shipped, replay_outcome(fn, context_json)


# --- timestamps as the Durable extension (and others) might write them -------------------------


def _ticks(moment: datetime) -> str:
    """.NET writes 7 fractional digits (100 ns ticks)."""
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}7Z"


STYLES: dict[str, Callable[[datetime, int], str]] = {
    "as driven": lambda m, _i: m.isoformat().replace("+00:00", "Z"),
    "ticks": lambda m, _i: _ticks(m),
    "whole seconds": lambda m, _i: f"{m:%Y-%m-%dT%H:%M:%S}Z",
    "offset": lambda m, _i: m.isoformat(),
    "naive": lambda m, _i: m.replace(tzinfo=None).isoformat(),
    # Fast path and fallback within one history: ticks, -00:00, lower-case z, a space.
    "mixed": lambda m, i: (
        _ticks(m),
        m.isoformat().replace("+00:00", "-00:00"),
        f"{m:%Y-%m-%dT%H:%M:%S.%f}z",
        f"{m:%Y-%m-%d %H:%M:%S.%f}Z",
    )[i % 4],
}


def restyled(context_json: str, style: str) -> str:
    context = json.loads(context_json)
    for index, event in enumerate(context["history"]):
        moment = datetime.fromisoformat(event["Timestamp"].replace("Z", "+00:00"))
        event["Timestamp"] = STYLES[style](moment, index)
    return json.dumps(context)


# --- chat scenarios ---------------------------------------------------------------------------

C0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def failed(outcome: str) -> dict[str, Any]:
    return {"outcome": outcome, "ms": 15.0, "status": 503}


def plan(**changes: Any) -> ChatPlan:
    # Every tier writes for at most 3 s, and its timer fires 1 s after that.
    config = timed(three_tiers(), total_s=3.0, timer_margin_s=1.0, **changes)
    request = ChatRequest(messages=(Message("user", "What are the symptoms of ovarian cancer?"),))
    return build_plan(config, request, C0, is_configured=lambda _name: True)


class ChatFlow(Recorder):
    def __init__(self, chat_plan: ChatPlan) -> None:
        super().__init__(failover, ORCHESTRATION, chat_plan.to_json(), C0)

    def answer(self, result: dict[str, Any], after_s: float = 0.2) -> None:
        self.complete(self.calls(CALL_PROVIDER)[-1]["seq"], result, self.later(after_s))

    def crash(self, after_s: float = 0.01) -> None:
        self.fail(self.calls(CALL_PROVIDER)[-1]["seq"], self.later(after_s))

    def outcomes(self) -> list[str]:
        return [a["outcome"] for a in self.output["attempts"]]


def chat_tier1_answers() -> Recorder:
    flow = ChatFlow(plan())
    flow.answer(ok("openai"))
    assert flow.output["tier"] == 1
    return flow


def chat_tier1_times_out() -> Recorder:
    flow = ChatFlow(plan())
    flow.wait()
    flow.answer(ok("azure_openai"), 0.3)
    assert flow.outcomes() == ["timeout", "ok"]
    return flow


def chat_tier1_fails_fast() -> Recorder:
    flow = ChatFlow(plan())
    flow.answer(failed("unavailable"), 0.02)
    flow.answer(ok("azure_openai"))
    assert flow.outcomes() == ["unavailable", "ok"]
    return flow


def chat_activity_crashes() -> Recorder:
    flow = ChatFlow(plan())
    flow.crash()
    flow.answer(ok("azure_openai"))
    assert flow.outcomes() == ["error", "ok"]
    return flow


def chat_late_answer_after_timeout() -> Recorder:
    flow = ChatFlow(plan())
    flow.wait()
    first = flow.calls(CALL_PROVIDER)[0]["seq"]
    flow.complete(first, ok("openai"), flow.later(0.1))  # the loser answers after all
    flow.answer(ok("azure_openai"))
    assert flow.output["provider"] == "azure_openai"
    return flow


def chat_every_tier_fails() -> Recorder:
    flow = ChatFlow(plan())
    flow.answer(failed("unavailable"), 0.1)
    flow.answer(failed("rate_limited"), 0.1)
    flow.answer(failed("auth_error"), 0.1)
    assert flow.output["tier"] == 4
    return flow


def chat_every_tier_times_out() -> Recorder:
    flow = ChatFlow(plan(budget_s=10.3, finish_reserve_s=0.3))
    flow.wait()
    flow.wait()
    flow.wait()  # tier 3's timer is cut to the deadline
    assert flow.outcomes() == ["timeout"] * 3
    return flow


def chat_budget_exhausted() -> Recorder:
    flow = ChatFlow(plan(budget_s=8.4, finish_reserve_s=0.3, min_tier_time_s=0.25))
    flow.wait()
    flow.wait()
    assert flow.outcomes() == ["timeout", "timeout", "budget_exhausted"]
    return flow


def chat_breaker_open_and_probe() -> Recorder:
    admitted = plan().with_admissions({"openai": (False, False), "azure_openai": (True, True)})
    flow = ChatFlow(admitted)
    flow.answer(ok("azure_openai"))
    assert flow.outcomes() == ["breaker_open", "ok"]
    return flow


def chat_nothing_configured() -> Recorder:
    config = three_tiers()
    request = ChatRequest(messages=(Message("user", "hi"),))
    flow = ChatFlow(build_plan(config, request, C0, is_configured=lambda _name: False))
    assert flow.done
    return flow


# --- escalation scenarios ---------------------------------------------------------------------

E0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)
DELIVERED = {"ok": True, "skipped": False, "detail": "http 202"}
REFUSED = {"ok": False, "skipped": False, "detail": "http 500"}
SKIPPED = {"ok": False, "skipped": True, "detail": "not configured"}


def escalation_input(ack_timeout_s: float | None = 300.0) -> dict[str, Any]:
    escalation = crisis_escalation(E0)
    retry = {"first_delay_s": 2.0, "max_delay_s": 8.0, "window_s": 20.0, "attempt_timeout_s": 5.0}
    return {"escalation": escalation.to_json(), "retry": retry, "ack_timeout_s": ack_timeout_s}


class EscalationFlow(Recorder):
    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(escalation_flow, ESCALATION, payload, E0)

    def audit(self, *, stored: bool = True) -> None:
        call = self.pending(AUDIT)[0]
        if stored:
            self.complete(call["seq"], True, self.later(0.01))
        else:
            self.fail(call["seq"], self.later(0.01))

    def deliver(self, results: dict[str, dict[str, Any]]) -> None:
        for call in self.pending(DELIVER):
            self.complete(call["seq"], results[call["input"]["channel"]], self.later(0.1))


def escalation_acknowledged() -> Recorder:
    flow = EscalationFlow(escalation_input())
    flow.audit()
    flow.deliver({"teams": DELIVERED, "email": DELIVERED})
    flow.raise_event("ack", {"by": "nurse"}, flow.later(60))
    assert flow.output["acknowledged"] is True
    return flow


def escalation_retried_after_backoff() -> Recorder:
    flow = EscalationFlow(escalation_input(ack_timeout_s=None))
    flow.audit()
    flow.deliver({"teams": REFUSED, "email": DELIVERED})
    flow.wait()
    flow.deliver({"teams": DELIVERED})
    assert flow.output["delivered"] == ["email", "teams"]
    return flow


def escalation_undeliverable() -> Recorder:
    flow = EscalationFlow(escalation_input(ack_timeout_s=None))
    flow.audit()
    while not flow.pending(AUDIT):  # rounds until the window runs out and "gave_up" is audited
        flow.deliver({"teams": REFUSED, "email": REFUSED})
        if not flow.pending(AUDIT):
            flow.wait()
    flow.audit()
    flow.deliver({"teams": DELIVERED, "email": DELIVERED})  # the operations notice
    assert flow.output["delivered"] == []
    return flow


def escalation_unacknowledged() -> Recorder:
    flow = EscalationFlow(escalation_input(ack_timeout_s=300.0))
    flow.audit()
    flow.deliver({"teams": DELIVERED, "email": DELIVERED})
    flow.wait()  # the acknowledgement deadline
    flow.audit()  # ack_overdue
    flow.deliver({"teams": DELIVERED, "email": DELIVERED})  # the supervisor reminder
    assert flow.output["acknowledged"] is False
    return flow


def escalation_audit_retried() -> Recorder:
    flow = EscalationFlow(escalation_input(ack_timeout_s=None))
    flow.audit(stored=False)
    flow.wait()
    flow.audit(stored=False)
    flow.wait()
    flow.audit()
    flow.deliver({"teams": DELIVERED, "email": SKIPPED})
    assert flow.output["delivered"] == ["teams"]
    return flow


SCENARIOS: dict[str, Callable[[], Recorder]] = {
    f.__name__: f
    for f in (
        chat_tier1_answers,
        chat_tier1_times_out,
        chat_tier1_fails_fast,
        chat_activity_crashes,
        chat_late_answer_after_timeout,
        chat_every_tier_fails,
        chat_every_tier_times_out,
        chat_budget_exhausted,
        chat_breaker_open_and_probe,
        chat_nothing_configured,
        escalation_acknowledged,
        escalation_retried_after_backoff,
        escalation_undeliverable,
        escalation_unacknowledged,
        escalation_audit_retried,
    )
}


@cache
def episodes(scenario: str) -> tuple[Callable[..., Any], tuple[str, ...]]:
    flow = SCENARIOS[scenario]()
    return flow.fn, tuple(flow.contexts)


def differences(scenario: str, style: str) -> list[str]:
    fn, contexts = episodes(scenario)
    found = []
    for number, context in enumerate(contexts, start=1):
        as_shipped, fast = shipped_and_fast(fn, restyled(context, style))
        if as_shipped != fast:
            found.append(f"episode {number}:\n  shipped {as_shipped}\n  fast    {fast}")
    return found


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_replay_is_byte_identical_with_the_fast_path(scenario: str, style: str) -> None:
    """Every episode of the scenario replays to the same state JSON, shipped and fast."""
    assert differences(scenario, style) == []


def test_replay_comparison_detects_a_parser_that_shifts_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The comparison is not vacuous: a fast parser one millisecond off makes replays differ."""

    def off_by_a_millisecond(original: Callable[..., datetime]) -> Callable[..., datetime]:
        return lambda text: original(text) + timedelta(milliseconds=1)

    monkeypatch.setattr(sdk_fastpath, "fast_parser", off_by_a_millisecond)
    assert differences("chat_tier1_times_out", "ticks")


def test_scenarios_cover_several_episodes() -> None:
    """The scenarios replay multi-episode histories, not only first episodes."""
    lengths = {name: len(episodes(name)[1]) for name in SCENARIOS}
    assert all(n >= 2 for name, n in lengths.items() if name != "chat_nothing_configured")
    assert max(lengths.values()) >= 10


# --- the parser -------------------------------------------------------------------------------

TEXTS = {
    "ticks": "2026-11-25T23:05:18.1234567Z",
    "whole seconds": "2026-11-25T23:05:18Z",
    "offset": "2026-11-25T23:05:18.123456+00:00",
    "negative zero offset": "2026-11-25T23:05:18.5-00:00",
    "naive": "2026-11-25T23:05:18.123456",
    "one digit": "2026-11-25T23:05:18.9Z",
    "many digits": "2026-11-25T23:05:18.999999999999Z",
}


def observed(moment: datetime) -> tuple[Any, ...]:
    """What the SDK and our orchestrators read from a parsed timestamp."""
    later = moment + timedelta(seconds=3.25)
    return (
        moment.replace(tzinfo=None),
        moment.utcoffset(),
        moment.isoformat(),
        moment.strftime(DATETIME_STRING_FORMAT),
        later.strftime(DATETIME_STRING_FORMAT),
        (later - moment).total_seconds(),
    )


@pytest.fixture
def fast_parse() -> Callable[..., datetime]:
    return sdk_fastpath.fast_parser(dateutil_parse)


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_fast_parse_reads_what_dateutil_reads(
    text: str, fast_parse: Callable[..., datetime]
) -> None:
    """Durable's timestamp shapes parse to the same instant, offset and formatted text."""
    fast, slow = fast_parse(text), dateutil_parse(text)
    assert fast == slow
    assert observed(fast) == observed(slow)


def durable_shaped_texts() -> list[str]:
    """Texts in the fast path's shape: edge instants with 0-12 fraction digits in every zone
    form, and near misses (no such month, day, hour, minute or second)."""
    instants = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(99, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2024, 2, 29, 12, 30, 45, 500000, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 0, 0, 1, tzinfo=UTC),  # UK clocks go forward
        datetime(2026, 10, 25, 1, 59, 59, 999999, tzinfo=UTC),  # UK clocks go back
        datetime(2026, 11, 25, 23, 5, 18, 123456, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    texts = [
        f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}"
        + (f".{f'{moment.microsecond:06d}987654'[:n]}" if n else "")
        + zone
        for moment in instants
        for n in range(13)
        for zone in ("Z", "+00:00", "-00:00", "")
    ]
    near_misses = [
        "2026-00-10T00:00:00Z",
        "2026-13-10T00:00:00Z",
        "2026-01-00T00:00:00Z",
        "2026-01-32T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-04-31T00:00:00.5Z",
        "2026-01-01T24:00:00Z",
        "2026-01-01T23:60:00+00:00",
        "2026-12-31T23:59:60Z",
        "0000-01-01T00:00:00Z",
    ]
    return texts + near_misses


@pytest.mark.parametrize(
    "zone",
    [
        sdk_fastpath.LocalZone(("UTC", "UTC"), 0, 0),
        sdk_fastpath.LocalZone(("GMT", "BST"), 0, -3600),
    ],
    ids=["UTC", "Europe/London"],
)
def test_fast_parse_agrees_with_dateutil_on_every_durable_shaped_text(
    monkeypatch: pytest.MonkeyPatch, zone: sdk_fastpath.LocalZone
) -> None:
    """Any text in the fast path's shape, valid or not, parses (or fails) as dateutil's does."""
    # dateutil chooses and builds its zone for UTC text from these, whatever TZ the run has.
    monkeypatch.setattr(time, "tzname", zone.names)
    monkeypatch.setattr(time, "timezone", zone.offset_s)
    monkeypatch.setattr(time, "altzone", zone.dst_offset_s)
    monkeypatch.setattr(time, "daylight", int(zone.dst_offset_s != zone.offset_s))
    assert zone.keeps_utc_at_zero()
    fast_parse = sdk_fastpath.fast_parser(dateutil_parse)
    disagreements = []
    for text in durable_shaped_texts():
        assert sdk_fastpath._DURABLE_SHAPE.fullmatch(text), text
        try:
            slow: Any = observed(dateutil_parse(text))
        except (ParserError, ValueError, OverflowError) as exc:
            slow = type(exc)
        try:
            fast: Any = observed(fast_parse(text))
        except (ParserError, ValueError, OverflowError) as exc:
            fast = type(exc)
        if fast != slow:
            disagreements.append((text, slow, fast))
    assert disagreements == []


def spy(calls: list[str]) -> Callable[..., datetime]:
    def parse(text: str, *args: Any, **kwargs: Any) -> datetime:
        calls.append(text)
        result: datetime = dateutil_parse(text, *args, **kwargs)
        return result

    return parse


def test_durable_text_does_not_reach_dateutil() -> None:
    """The Durable extension's timestamps take the fast path."""
    calls: list[str] = []
    sdk_fastpath.fast_parser(spy(calls))(TEXTS["ticks"])
    assert calls == []


@pytest.mark.parametrize(
    "text",
    [
        "Wed, 25 Nov 2026 23:05:18 GMT",
        "2026-11-25 23:05:18Z",
        "2026-11-25T23:05:18z",
        "2026-11-25T23:05:18+01:00",
        "2026-02-30T00:00:00Z",
    ],
    ids=["rfc 1123", "space", "lower-case z", "non-zero offset", "no such day"],
)
def test_other_text_goes_to_dateutil(text: str) -> None:
    """Text outside the fast path's shape, or that fromisoformat rejects, is dateutil's."""
    calls: list[str] = []
    parse = sdk_fastpath.fast_parser(spy(calls))
    with contextlib.suppress(ParserError):
        parse(text)
    assert calls == [text]


def test_non_iso_text_parses_as_dateutil_parses_it(fast_parse: Callable[..., datetime]) -> None:
    """A non-ISO string is still accepted, with dateutil's own result."""
    text = "Wed, 25 Nov 2026 23:05:18 GMT"
    assert repr(fast_parse(text)) == repr(dateutil_parse(text))


def test_text_dateutil_rejects_is_still_rejected(fast_parse: Callable[..., datetime]) -> None:
    """The fast path accepts nothing the SDK rejected: dateutil's error is raised."""
    with pytest.raises(ParserError):
        fast_parse("2026-11-25T24:00:00Z")


# --- the durable client's status --------------------------------------------------------------

STATUS_BODY = {
    "name": "chat_orchestrator",
    "instanceId": "0123456789abcdef",
    "createdTime": "2026-11-25T23:05:18Z",
    "lastUpdatedTime": "2026-11-25T23:05:18.1234567Z",
    "input": {"plan": 1},
    "output": {"tier": 1},
    "runtimeStatus": "Completed",
    "customStatus": None,
}


def status_seen() -> tuple[Any, ...]:
    status = DurableOrchestrationStatus.from_json(dict(STATUS_BODY))
    assert status.created_time is not None
    assert status.last_updated_time is not None
    return (
        bool(status),
        json.dumps(status.to_json(), sort_keys=True, default=str),
        observed(status.created_time),
        observed(status.last_updated_time),
    )


def test_status_poll_reads_the_same_status() -> None:
    """DurableOrchestrationStatus.from_json gives the same status with and without."""
    sdk_fastpath.uninstall()
    as_shipped = status_seen()
    assert sdk_fastpath.install(env={})
    assert status_seen() == as_shipped


# --- install, uninstall and their guards ------------------------------------------------------


def versions(**overrides: str) -> Callable[[str], str]:
    found = {**VERIFIED, **{k.replace("_", "-"): v for k, v in overrides.items()}}
    return lambda name: found[name]


@pytest.mark.usefixtures("shipped")
def test_install_applies_all_three_changes() -> None:
    """With verified versions and no setting, install() replaces the three SDK attributes."""
    assert sdk_fastpath.install(env={}, version_of=versions())
    assert sdk_fastpath.installed()
    assert HISTORY_EVENT.dt_parse.__wrapped__ is dateutil_parse
    assert STATUS.dt_parse.__wrapped__ is dateutil_parse
    assert EXECUTOR.namedtuple.__wrapped__ is collections.namedtuple


@pytest.mark.usefixtures("shipped")
def test_uninstall_restores_the_originals() -> None:
    """uninstall() puts dateutil's parse and collections.namedtuple back."""
    sdk_fastpath.install(env={}, version_of=versions())
    assert sdk_fastpath.uninstall()
    assert not sdk_fastpath.installed()
    assert originals_in_place()


@pytest.mark.usefixtures("shipped")
def test_uninstall_without_install_changes_nothing() -> None:
    """uninstall() on the SDK as shipped reports that and leaves it alone."""
    assert not sdk_fastpath.uninstall()
    assert originals_in_place()


@pytest.mark.usefixtures("shipped")
def test_install_twice_is_harmless() -> None:
    """A second install() changes nothing: no double wrapping."""
    assert sdk_fastpath.install(env={}, version_of=versions())
    replaced = HISTORY_EVENT.dt_parse
    assert not sdk_fastpath.install(env={}, version_of=versions())
    assert HISTORY_EVENT.dt_parse is replaced
    assert replaced.__wrapped__ is dateutil_parse


@pytest.mark.usefixtures("shipped")
def test_concurrent_installs_apply_once() -> None:
    """Of many threads installing at once, exactly one applies the changes."""
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda: results.append(sdk_fastpath.install(env={})))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


REFUSALS = {
    "another SDK version": ({}, versions(azure_functions_durable="1.8.0"), "1.8.0"),
    "another dateutil version": ({}, versions(python_dateutil="3.0.0"), "3.0.0"),
    "turned off with 0": ({"DURABLE_SDK_FASTPATH": "0"}, versions(), "DURABLE_SDK_FASTPATH"),
    "turned off with false": (
        {"DURABLE_SDK_FASTPATH": " False "},
        versions(),
        "DURABLE_SDK_FASTPATH",
    ),
}


@pytest.mark.usefixtures("shipped")
@pytest.mark.parametrize(("env", "version_of", "why"), REFUSALS.values(), ids=REFUSALS.keys())
def test_refused_install_changes_nothing_and_says_why(
    caplog: pytest.LogCaptureFixture,
    env: dict[str, str],
    version_of: Callable[[str], str],
    why: str,
) -> None:
    """An unverified version or the off setting leaves the SDK as shipped, with one INFO line."""
    with caplog.at_level(logging.INFO, logger=sdk_fastpath.__name__):
        assert not sdk_fastpath.install(env=env, version_of=version_of)
    assert originals_in_place()
    assert not sdk_fastpath.installed()
    assert [(r.levelno, why in r.getMessage()) for r in caplog.records] == [(logging.INFO, True)]


@pytest.mark.usefixtures("shipped")
def test_missing_distribution_is_refused() -> None:
    """A distribution that cannot be found by its metadata is not assumed verified."""

    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    assert not sdk_fastpath.install(env={}, version_of=missing)
    assert originals_in_place()


@pytest.mark.usefixtures("shipped")
def test_setting_on_installs() -> None:
    """DURABLE_SDK_FASTPATH=1 is the default behaviour: installed."""
    assert sdk_fastpath.install(env={"DURABLE_SDK_FASTPATH": "1"}, version_of=versions())


@pytest.mark.usefixtures("shipped")
def test_an_attribute_someone_else_replaced_stops_every_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If one target is not the expected original, none of the three is touched."""

    def other(text: str) -> datetime:
        return datetime.fromisoformat(text)

    monkeypatch.setattr(STATUS, "dt_parse", other)
    assert not sdk_fastpath.install(env={}, version_of=versions())
    assert HISTORY_EVENT.dt_parse is dateutil_parse
    assert STATUS.dt_parse is other
    assert EXECUTOR.namedtuple is collections.namedtuple


@pytest.mark.usefixtures("shipped")
def test_a_utc_named_zone_with_an_offset_is_refused() -> None:
    """With TZ like UTC-3 dateutil would attach that zone to UTC text, so nothing changes."""
    zone = sdk_fastpath.LocalZone(("UTC", "UTC"), -10800, -10800)
    assert not sdk_fastpath.install(env={}, version_of=versions(), zone=zone)
    assert originals_in_place()


@pytest.mark.parametrize(
    ("zone", "safe"),
    [
        (sdk_fastpath.LocalZone(("UTC", "UTC"), 0, 0), True),
        (sdk_fastpath.LocalZone(("GMT", "BST"), 0, -3600), True),
        (sdk_fastpath.LocalZone(("UTC", "BST"), 0, -3600), False),
        (sdk_fastpath.LocalZone(("UTC", "UTC"), -10800, -10800), False),
    ],
    ids=["UTC", "Europe/London", "UTC with summer time", "UTC-3"],
)
def test_local_zone_guard(zone: sdk_fastpath.LocalZone, safe: bool) -> None:
    """Only zones where dateutil's UTC is always a zero offset are safe."""
    assert zone.keeps_utc_at_zero() is safe


@pytest.mark.usefixtures("shipped")
def test_importing_the_orchestrators_package_installs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The package's import installs the fast path, so the app replays with it."""
    monkeypatch.delenv("DURABLE_SDK_FASTPATH", raising=False)
    importlib.reload(orchestrators)
    assert sdk_fastpath.installed()


# --- the namedtuple class ---------------------------------------------------------------------


def payload_classes() -> set[type]:
    return {
        type(payload)
        for _ in range(2)
        for payload in TaskOrchestrationExecutor().event_to_SetTaskValuePayload.values()
    }


def test_executors_share_one_payload_class_with_the_fast_path() -> None:
    """With the fast path, replays stop building a new namedtuple class each time."""
    assert sdk_fastpath.install(env={}) or sdk_fastpath.installed()
    assert len(payload_classes()) == 1


def test_each_executor_builds_its_own_class_as_shipped() -> None:
    """As shipped, each executor builds its own class (what the fast path removes)."""
    sdk_fastpath.uninstall()
    assert len(payload_classes()) == 2


def test_shared_namedtuple_builds_other_calls_afresh() -> None:
    """Calls with options or a field list other than a tuple go to namedtuple every time."""
    shared = sdk_fastpath.shared_namedtuple(collections.namedtuple)
    assert shared("P", ("a",)) is shared("P", ("a",))
    assert shared("P", ["a"]) is not shared("P", ["a"])
    assert shared("P", ("a",), defaults=(1,)) is not shared("P", ("a",), defaults=(1,))
