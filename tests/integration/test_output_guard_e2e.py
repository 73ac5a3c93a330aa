"""The output guard, applied the same way to every tier's answer, end to end."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from simulators.faults import Fault, FaultKind
from tests.integration.conftest import Gateway

pytestmark = pytest.mark.integration

QUESTION = "I have had bloating for three weeks, what could it be?"


@pytest.mark.safety("H05")
def test_diagnosis_from_tier1_is_filtered_and_tier2_answers(
    start_gateway: Callable[..., Gateway],
) -> None:
    """An answer with diagnosis language is content_filtered; the next tier is tried."""
    gateway = start_gateway()
    gateway.sims.set_fault(
        "openai",
        Fault(kind=FaultKind.OK, answer="From what you describe, you have ovarian cancer."),
    )
    data = gateway.chat(QUESTION)
    assert data["failover"]["provider"] == "azure_openai"
    assert data["failover"]["attempts"][0]["outcome"] == "content_filtered"
    assert "you have ovarian cancer" not in data["choices"][0]["message"]["content"]


@pytest.mark.safety("H05", "H21")
def test_prescription_from_tier2_is_filtered_too(start_gateway: Callable[..., Gateway]) -> None:
    """The same check applies after a provider switch: tier 2's dosing advice is refused."""
    gateway = start_gateway()
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))
    gateway.sims.set_fault(
        "azure_openai", Fault(kind=FaultKind.OK, answer="Take 400mg of ibuprofen every four hours.")
    )
    data = gateway.chat(QUESTION)
    assert data["failover"]["provider"] == "anthropic"
    outcomes = [a["outcome"] for a in data["failover"]["attempts"]]
    assert outcomes == ["unavailable", "content_filtered", "ok"]


@pytest.mark.safety("H06")
def test_links_outside_the_allowlist_are_removed(start_gateway: Callable[..., Gateway]) -> None:
    """Links to allowlisted domains stay; any other link is removed from the answer."""
    gateway = start_gateway()
    gateway.sims.set_fault(
        "openai",
        Fault(
            kind=FaultKind.OK,
            answer=(
                "See https://www.nhs.uk/conditions/ovarian-cancer/ for symptoms, "
                "and [this miracle cure](https://cures.example.com/buy) is not advice."
            ),
        ),
    )
    data = gateway.chat(QUESTION)
    text = data["choices"][0]["message"]["content"]
    assert data["failover"]["provider"] == "openai"
    assert "https://www.nhs.uk/conditions/ovarian-cancer/" in text
    assert "cures.example.com" not in text
