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
    ],
    ids=["unknown-kind", "unknown-field", "string-status", "number-answer", "not-object"],
)
def test_invalid_json_is_refused(data: object) -> None:
    """The control API's JSON is checked strictly."""
    with pytest.raises(ValueError, match=r"\w"):
        Fault.from_json(data)


def test_unknown_provider_is_refused() -> None:
    """Only the three simulated providers can be named."""
    with pytest.raises(ValueError, match="openai"):
        parse_provider("gemini")
