"""Signposting through the dev host: the request's metadata reaches the crisis and emergency
replies, and a bad value is a 400 in the OpenAI error shape."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from simulators.faults import Fault, FaultKind
from tests.integration.conftest import Gateway

pytestmark = pytest.mark.integration

SELF_HARM = "I can't go on anymore, I want to end my life"


@pytest.mark.safety("H02")
def test_a_crisis_in_northern_ireland_gets_lifeline_and_no_nhs_111(
    start_gateway: Callable[..., Gateway],
) -> None:
    """metadata.nation northern_ireland: Lifeline, and no NHS 111, through the real host."""
    gateway = start_gateway()
    body = {
        "messages": [{"role": "user", "content": SELF_HARM}],
        "metadata": {"nation": "northern_ireland", "age_band": "adult"},
    }
    response = gateway.post("/api/chat", body)
    assert response.status_code == 200, response.text
    text = response.json()["choices"][0]["message"]["content"]
    assert "0808 808 8000" in text
    assert "NHS 111" not in text


@pytest.mark.safety("H02", "H13")
def test_the_emergency_reply_is_welsh_for_a_welsh_speaker_in_wales(
    start_gateway: Callable[..., Gateway],
) -> None:
    """Every tier down, metadata wales and cy: the Welsh emergency reply with NHS 111 Wales;
    the metadata crossed the orchestration input intact."""
    gateway = start_gateway()
    for provider in ("openai", "azure_openai", "anthropic"):
        gateway.sims.set_fault(provider, Fault(kind=FaultKind.STATUS, status=503))
    body = {
        "messages": [{"role": "user", "content": "What are the symptoms of womb cancer?"}],
        "metadata": {"nation": "wales", "language": "cy"},
    }
    response = gateway.post("/api/chat", body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["failover"]["provider"] == "emergency"
    text = data["choices"][0]["message"]["content"]
    assert "111.wales.nhs.uk" in text
    assert "111.nhs.uk" not in text.replace("111.wales.nhs.uk", "")
    assert text.endswith("Ateb awtomatig yw hwn.")


def test_a_bad_nation_is_a_400_naming_the_field(start_gateway: Callable[..., Gateway]) -> None:
    """metadata.nation 'uk' is refused in the OpenAI error shape, never a 500."""
    gateway = start_gateway()
    body = {"messages": [{"role": "user", "content": "Hello"}], "metadata": {"nation": "uk"}}
    response = gateway.post("/api/chat", body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "metadata.nation"
    assert error["type"] == "invalid_request_error"
