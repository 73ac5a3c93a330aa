"""``/api/health`` says when crisis detection runs on the built-in fallback, or when a
second-opinion detector is off or its breaker open (H14)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.operations.health import DetectorState, crisis_detection_body, health_report
from shared.operations.results_table import MemoryHealthStore
from shared.platform.settings import Settings

from .fakes import TIERS, FakeClock, breaker_service, fake_providers


async def _body(crisis_detection: str) -> Any:
    clock = FakeClock()
    reply = await health_report(
        TIERS,
        fake_providers(),
        Settings(simulated_providers=True),
        breaker_service(clock),
        MemoryHealthStore(history=5),
        clock=clock,
        crisis_detection=crisis_detection,
    )
    return reply.body


@pytest.mark.safety("H14")
async def test_a_broken_pattern_file_makes_the_service_misconfigured() -> None:
    """Every tier healthy, but the pattern file broken: the status is ``misconfigured``."""
    body = await _body("misconfigured")
    assert body["status"] == "misconfigured"
    assert body["crisis_detection"] == {
        "status": "misconfigured",
        "detector": "built_in_explicit_only",
    }


async def test_loaded_patterns_leave_the_status_to_the_tiers() -> None:
    """With the patterns loaded, the status is the tiers' (healthy here)."""
    body = await _body("ok")
    assert body["status"] == "healthy"
    assert body["crisis_detection"]["detector"] == "patterns"


def _detection(patterns: str, *detectors: DetectorState) -> Any:
    return crisis_detection_body(patterns, list(detectors))


CLASSIFIER_ON = DetectorState("classifier", enabled=True, breaker="closed")
TRIAGE_ON = DetectorState("triage", enabled=True, breaker="closed")


def test_every_detector_on_is_ok() -> None:
    """Patterns loaded, classifier and triage on with closed breakers: ``ok``, no reasons."""
    body = _detection("ok", CLASSIFIER_ON, TRIAGE_ON)
    assert (body["status"], body["reasons"]) == ("ok", [])


@pytest.mark.safety("H14")
def test_a_detector_off_by_configuration_is_degraded_with_its_reason() -> None:
    """A classifier off by configuration makes crisis detection ``degraded``, saying why."""
    off = DetectorState("classifier", enabled=False, reason="CONTENT_SAFETY_ENDPOINT is not set")
    body = _detection("ok", off, TRIAGE_ON)
    assert body["status"] == "degraded"
    assert body["reasons"] == ["classifier: off (CONTENT_SAFETY_ENDPOINT is not set)"]
    assert body["detectors"]["classifier"] == {
        "state": "off",
        "reason": "CONTENT_SAFETY_ENDPOINT is not set",
    }


@pytest.mark.safety("H14")
@pytest.mark.parametrize("state", ["open", "half_open"])
def test_an_open_detector_breaker_is_degraded(state: str) -> None:
    """A triage whose breaker is open (or probing) makes crisis detection ``degraded``."""
    body = _detection("ok", CLASSIFIER_ON, DetectorState("triage", enabled=True, breaker=state))
    assert body["status"] == "degraded"
    assert body["reasons"] == [f"triage: breaker {state.replace('_', '-')}"]


def test_a_broken_pattern_file_outranks_a_degraded_detector() -> None:
    """Patterns on the fallback and a detector off: ``misconfigured``, both reasons listed."""
    off = DetectorState("triage", enabled=False, reason="CRISIS_TRIAGE_ENABLED is not set")
    body = _detection("misconfigured", CLASSIFIER_ON, off)
    assert body["status"] == "misconfigured"
    assert len(body["reasons"]) == 2
