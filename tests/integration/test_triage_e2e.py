"""The language-model crisis triage end to end: the app on the dev host, the tiers' real SDKs
against the simulators, which answer triage requests by marker (``simulators/triage.py``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.models import ChatRequest, Message
from shared.signposting import Person, compose
from simulators import Fault, FaultKind, ProviderName
from tests.integration.conftest import Gateway, write_config
from tests.integration.test_chat_e2e import wait_for

pytestmark = pytest.mark.integration

CONVERSATION = "conv-triage-7d1e"
# Worded so the crisis patterns miss it (asserted below); the marker drives the simulator.
INDIRECT = "lately everything feels grey and far away, like a quiet fog"
ORDINARY = "What are the symptoms of ovarian cancer?"
TIER_TIMEOUT_S = 5.0
BUDGET_S = 20.0
ON = {"CRISIS_TRIAGE_ENABLED": "true"}
# The tiers of the test chain, and the ones to disable so that the triage (and the answer)
# use each wire format in turn.
KINDS: dict[ProviderName, tuple[str, ...]] = {
    "openai": (),
    "azure_openai": ("openai",),
    "anthropic": ("openai", "azure_openai"),
}


def disable(names: tuple[str, ...]) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        for tier in data["tiers"]:
            if tier["name"] in names:
                tier["enabled"] = False

    return edit


def start_with_triage(
    start_gateway: Callable[..., Gateway],
    tmp_path: Path,
    *,
    disabled: tuple[str, ...] = (),
    extra: dict[str, str] | None = None,
    **triage: Any,
) -> Gateway:
    """The gateway with the triage on, tiers in ``disabled`` off, and ``crisis-triage.json``
    edited by ``triage`` (timeout, thresholds) in a config directory of the test's own."""
    directory = tmp_path / "triage-config"
    directory.mkdir()
    write_config(
        directory,
        tier_timeout_s=TIER_TIMEOUT_S,
        budget_s=BUDGET_S,
        open_s=30.0,
        edit_failover=disable(disabled),
    )
    path = directory / "crisis-triage.json"
    data = json.loads(path.read_text())
    data.update(triage)
    path.write_text(json.dumps(data))
    return start_gateway(
        tier_timeout_s=TIER_TIMEOUT_S,
        budget_s=BUDGET_S,
        extra={**ON, "ASKEVE_CONFIG_DIR": str(directory), **(extra or {})},
    )


def slow_answers(gateway: Gateway, kind: ProviderName) -> None:
    """The tier's streamed answers start after 1 s; its triage answers stay instant (the
    simulators' triage rule is not paced), so a flag always comes before the answer."""
    gateway.sims.set_fault(kind, Fault(kind=FaultKind.OK, first_token_ms=1000))


def clinical_titles(gateway: Gateway) -> list[str]:
    cards = [r.body for r in gateway.webhook.received if r.path == "/clinical"]
    return [str(card["attachments"][0]["content"]["body"][0]["text"]) for card in cards]


def test_patterns_miss_the_indirect_message(start_gateway: Callable[..., Gateway]) -> None:
    """The message the triage tests rely on is one the crisis patterns do not match."""
    gateway = start_gateway()
    text = f"{INDIRECT} [triage:sh]"
    request = ChatRequest(messages=(Message(role="user", content=text),))
    assert gateway.runtime.detector().detect_request(request) is None


@pytest.mark.safety("H01")
@pytest.mark.parametrize("kind", list(KINDS))
def test_triage_flag_gets_the_crisis_reply_and_an_escalation(
    start_gateway: Callable[..., Gateway], tmp_path: Path, kind: ProviderName
) -> None:
    """A message only the triage flags gets the crisis reply and an escalation, with
    ``crisis_source: triage``, on each wire format the triage may use."""
    gateway = start_with_triage(start_gateway, tmp_path, disabled=KINDS[kind])
    slow_answers(gateway, kind)
    data = gateway.chat(f"{INDIRECT} [triage:sh]", CONVERSATION)
    failover = data["failover"]
    assert (failover["crisis"], failover["crisis_source"], failover["crisis_category"]) == (
        True,
        "triage",
        "self_harm",
    )
    assert (failover["provider"], failover["escalated"]) == ("emergency", True)
    text = data["choices"][0]["message"]["content"]
    assert text == compose(gateway.runtime.gateway.signposting, "self_harm", Person()).text
    assert gateway.sims.triage_count(kind) == 1
    assert wait_for(lambda: bool(clinical_titles(gateway)))


@pytest.mark.safety("H01")
def test_each_category_selects_its_own_pre_approved_reply(
    start_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    """A medical-emergency verdict selects the medical-emergency reply, nothing generated."""
    gateway = start_with_triage(start_gateway, tmp_path)
    slow_answers(gateway, "openai")
    data = gateway.chat(f"{INDIRECT} [triage:me]", CONVERSATION)
    assert data["failover"]["crisis_category"] == "medical_emergency"
    text = data["choices"][0]["message"]["content"]
    assert text == compose(gateway.runtime.gateway.signposting, "medical_emergency", Person()).text


def test_no_flag_leaves_the_answer_from_tier_1(
    start_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    """An ordinary message is triaged once and answered from tier 1, not degraded."""
    gateway = start_with_triage(start_gateway, tmp_path)
    failover = gateway.chat(ORDINARY, CONVERSATION)["failover"]
    assert (failover["tier"], failover["crisis"], failover["degraded"]) == (1, False, False)
    assert wait_for(lambda: gateway.sims.triage_count("openai") == 1)


@pytest.mark.safety("H16")
@pytest.mark.parametrize("kind", list(KINDS))
def test_malformed_triage_output_is_no_flag_and_counted(
    start_gateway: Callable[..., Gateway], tmp_path: Path, kind: ProviderName
) -> None:
    """Output that breaks the schema is no flag (the answer goes out) and is counted."""
    gateway = start_with_triage(start_gateway, tmp_path, disabled=KINDS[kind])
    failover = gateway.chat(f"{ORDINARY} [triage:malformed]", CONVERSATION)["failover"]
    assert (failover["crisis"], failover["provider"]) == (False, kind)

    def counts() -> dict[str, int]:
        found: dict[str, int] = gateway.get("/api/health").json()["triage"]["counts"]
        return found

    assert wait_for(lambda: counts()["malformed"] == 1)
    assert counts()["flagged"] == 0


@pytest.mark.safety("H16")
def test_slow_triage_does_not_hold_the_answer(
    start_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    """A triage past its own timeout leaves the answer to go out from tier 1, no crisis."""
    gateway = start_with_triage(start_gateway, tmp_path, timeout_s=0.3)
    failover = gateway.chat(f"{ORDINARY} [triage:slow]", CONVERSATION)["failover"]
    assert (failover["tier"], failover["crisis"]) == (1, False)
    assert wait_for(lambda: gateway.get("/api/health").json()["triage"]["counts"]["failed"] == 1)


@pytest.mark.safety("H16")
def test_failing_triages_open_its_breaker_and_it_is_skipped(
    start_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    """Three timed-out triages open the crisis_triage breaker (not tier 1's); the next request
    sends no triage, is answered from tier 1, and /api/health says detection is degraded."""
    gateway = start_with_triage(start_gateway, tmp_path, timeout_s=0.3)
    for _ in range(3):
        gateway.chat(f"{ORDINARY} [triage:slow]", CONVERSATION)
    opinion = gateway.runtime.gateway.triage
    assert opinion is not None
    assert wait_for(lambda: opinion.breakers.states(["crisis_triage"])[0].state == "open")
    assert gateway.runtime.breakers.states(["openai"])[0].state == "closed"
    gateway.breaker_clock.advance(2.0)  # past the 1 s cache, so the open state is read
    # (A timed-out triage may never have reached the simulator on a loaded machine, so the
    # count before the next request is the baseline, not 3.)
    sent = gateway.sims.triage_count("openai")
    failover = gateway.chat(f"{INDIRECT} [triage:sh]", CONVERSATION)["failover"]
    assert (failover["tier"], failover["crisis"]) == (1, False)
    assert gateway.sims.triage_count("openai") == sent
    body = gateway.get("/api/health").json()
    assert body["triage"]["counts"]["breaker_open"] == 1
    assert body["crisis_detection"]["status"] == "degraded"
    assert "triage: breaker open" in body["crisis_detection"]["reasons"]


@pytest.mark.safety("H01")
def test_late_triage_flag_escalates_marked_late_and_owes_the_next_reply(
    start_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    """A triage flag after the answer escalates (marked late); the conversation's next reply
    is the crisis reply."""
    gateway = start_with_triage(start_gateway, tmp_path, timeout_s=10.0)
    first = gateway.chat(f"{INDIRECT} [triage:late:sh]", CONVERSATION)["failover"]
    assert (first["crisis"], first["tier"]) == (False, 1)
    assert wait_for(lambda: bool(clinical_titles(gateway)), timeout_s=30.0)
    assert "flagged late" in clinical_titles(gateway)[0]
    second = gateway.chat(ORDINARY, CONVERSATION)["failover"]
    assert (second["crisis"], second["crisis_source"], second["crisis_category"]) == (
        True,
        "triage",
        "self_harm",
    )


@pytest.mark.safety("H01")
def test_under_uk_residency_the_triage_calls_a_uk_tier(
    start_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    """With DATA_RESIDENCY=uk the US tier is never asked: the triage goes to the UK Azure
    OpenAI tier, and its flag still gets the crisis reply."""
    gateway = start_with_triage(start_gateway, tmp_path, extra={"DATA_RESIDENCY": "uk"})
    slow_answers(gateway, "azure_openai")
    failover = gateway.chat(f"{INDIRECT} [triage:sg]", CONVERSATION)["failover"]
    assert (failover["crisis_source"], failover["crisis_category"]) == ("triage", "safeguarding")
    assert gateway.sims.triage_count("azure_openai") == 1
    assert gateway.sims.count("openai") == 0


def test_off_by_default_sends_no_triage_and_health_says_so(
    start_gateway: Callable[..., Gateway],
) -> None:
    """Without CRISIS_TRIAGE_ENABLED no triage is sent, and /api/health says it is off and
    crisis detection is degraded, with the reason."""
    gateway = start_gateway()
    failover = gateway.chat(f"{INDIRECT} [triage:sh]", CONVERSATION)["failover"]
    assert failover["crisis"] is False
    assert gateway.sims.triage_count("openai") == 0
    body = gateway.get("/api/health").json()
    assert body["triage"] == {"enabled": False, "reason": "CRISIS_TRIAGE_ENABLED is not set"}
    assert body["crisis_detection"]["status"] == "degraded"
    assert "triage: off (CRISIS_TRIAGE_ENABLED is not set)" in body["crisis_detection"]["reasons"]
