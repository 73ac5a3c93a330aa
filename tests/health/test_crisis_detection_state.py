"""``/api/health`` says when crisis detection runs on the built-in fallback (H14)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.operations.health import health_report
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
