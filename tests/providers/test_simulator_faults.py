"""Faults are validated values with a strict JSON form."""

from __future__ import annotations

from typing import Any

import pytest

from simulators import Fault, FaultKind
from simulators.faults import parse_provider


def test_default_fault_answers_normally() -> None:
    """A bare Fault is an ordinary answer."""
    assert Fault().kind is FaultKind.OK


def test_json_round_trip() -> None:
    """to_json and from_json are inverses."""
    fault = Fault(FaultKind.STATUS, status=429, retry_after="3", retry_after_ms=3000, count=2)
    assert Fault.from_json(fault.to_json()) == fault


@pytest.mark.parametrize(
    "fault",
    [
        Fault(FaultKind.OK, first_token_ms=5000, tokens_per_s=80.0, answer_tokens=300),
        Fault(FaultKind.STALL, stall_after_tokens=3, answer="a b c d"),
        Fault(FaultKind.STALL, stall_after_tokens=0),
        Fault(FaultKind.DROP, drop_after_tokens=5, count=1),
        Fault(FaultKind.NO_FINAL, tokens_per_s=200.0),
    ],
    ids=["slow-first-token", "stall", "stall-at-once", "drop", "no-final"],
)
def test_stream_faults_round_trip(fault: Fault) -> None:
    """The pacing and stream-fault fields survive to_json and from_json."""
    assert Fault.from_json(fault.to_json()) == fault


def test_a_stall_after_no_tokens_keeps_its_zero() -> None:
    """stall_after_tokens 0 is written out, unlike other zero fields."""
    assert Fault(FaultKind.STALL, stall_after_tokens=0).to_json() == {
        "kind": "stall",
        "stall_after_tokens": 0,
    }


def test_numeric_retry_after_becomes_header_text() -> None:
    """A number of seconds in JSON becomes the header's text form."""
    assert Fault.from_json({"kind": "status", "status": 429, "retry_after": 2}).retry_after == "2"


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": FaultKind.STATUS},
        {"kind": FaultKind.HANG, "status": 500},
        {"kind": FaultKind.STATUS, "status": 200},
        {"kind": FaultKind.HANG, "answer": "x"},
        {"latency_ms": -1},
        {"count": 0},
        {"kind": FaultKind.REFUSE, "count": 1},
        {"retry_after_ms": -5},
        {"first_token_ms": -1},
        {"tokens_per_s": -1.0},
        {"tokens_per_s": float("nan")},
        {"answer_tokens": 0},
        {"kind": FaultKind.STATUS, "status": 500, "first_token_ms": 100},
        {"kind": FaultKind.STALL},
        {"kind": FaultKind.STALL, "stall_after_tokens": -1},
        {"stall_after_tokens": 2},
        {"kind": FaultKind.DROP},
        {"kind": FaultKind.DROP, "drop_after_tokens": -3},
        {"kind": FaultKind.STALL, "stall_after_tokens": 1, "drop_after_tokens": 1},
    ],
    ids=[
        "status-missing",
        "status-on-hang",
        "status-not-error",
        "answer-on-hang",
        "negative-latency",
        "zero-count",
        "counted-refusal",
        "negative-retry-ms",
        "negative-first-token",
        "negative-rate",
        "nan-rate",
        "empty-answer",
        "pacing-on-status",
        "stall-without-count",
        "negative-stall-count",
        "stall-count-on-ok",
        "drop-without-count",
        "negative-drop-count",
        "drop-count-on-stall",
    ],
)
def test_invalid_faults_are_refused(fields: dict[str, Any]) -> None:
    """Contradictory or out-of-range faults fail when built."""
    with pytest.raises(ValueError, match=r"\w"):
        Fault(**fields)


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "explode"},
        {"kind": "ok", "colour": "red"},
        {"kind": "status", "status": "500"},
        {"kind": "ok", "answer": 5},
        ["ok"],
        {"kind": "ok", "tokens_per_s": "80"},
        {"kind": "stall", "stall_after_tokens": 2.5},
        {"kind": "ok", "first_token_ms": True},
    ],
    ids=[
        "unknown-kind",
        "unknown-field",
        "string-status",
        "number-answer",
        "not-object",
        "string-rate",
        "float-stall-count",
        "bool-first-token",
    ],
)
def test_invalid_json_is_refused(data: object) -> None:
    """The control API's JSON is checked strictly."""
    with pytest.raises(ValueError, match=r"\w"):
        Fault.from_json(data)


def test_unknown_provider_is_refused() -> None:
    """Only the three simulated providers can be named."""
    with pytest.raises(ValueError, match="openai"):
        parse_provider("gemini")
