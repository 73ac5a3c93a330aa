"""The content-safety classifier end to end: the real ``azure-ai-contentsafety`` client in the
app on the dev host, against the simulated Content Safety endpoint, beside the real chat
orchestration."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.models import ChatRequest, Message
from shared.signposting import Person, compose
from simulators.content_safety import ContentSafetySimulator, content_safety_settings
from simulators.faults import Fault, FaultKind
from tests.integration.conftest import SIM_KEY, Gateway, write_config
from tests.integration.test_chat_e2e import wait_for

pytestmark = pytest.mark.integration

# Worded so the crisis patterns miss it (asserted below); the simulator rates it.
INDIRECT = "lately everything feels grey and far away, like a quiet fog (ref qv7)"
ORDINARY = "What are the symptoms of ovarian cancer?"
CONVERSATION = "conv-classifier-51c2"
# Times no healthy loopback answer can miss on a busy machine: these tests are about the
# classifier, and an answer must come from tier 1 whenever the check leaves it alone.
TIER_TIMEOUT_S = 5.0
BUDGET_S = 20.0


@pytest.fixture
def classifier(content_safety: ContentSafetySimulator) -> ContentSafetySimulator:
    """The session's simulator, cleared, answering at once."""
    content_safety.clear()
    content_safety.set_latency_ms(0)
    return content_safety


def start_with_classifier(
    start_gateway: Callable[..., Gateway],
    classifier: ContentSafetySimulator,
    tmp_path: Path,
    **classifier_config: Any,
) -> Gateway:
    """The gateway with the classifier on; ``classifier_config`` edits its config object."""
    extra = content_safety_settings(classifier, SIM_KEY)
    if classifier_config:
        directory = tmp_path / "classifier-config"
        directory.mkdir()
        write_config(directory, tier_timeout_s=TIER_TIMEOUT_S, budget_s=BUDGET_S, open_s=30.0)
        safety = directory / "safety-config.json"
        data = json.loads(safety.read_text())
        data["classifier"].update(classifier_config)
        safety.write_text(json.dumps(data))
        extra["ASKEVE_CONFIG_DIR"] = str(directory)
    return start_gateway(tier_timeout_s=TIER_TIMEOUT_S, budget_s=BUDGET_S, extra=extra)


def clinical_titles(gateway: Gateway) -> list[str]:
    cards = [r.body for r in gateway.webhook.received if r.path == "/clinical"]
    return [str(card["attachments"][0]["content"]["body"][0]["text"]) for card in cards]


def test_patterns_miss_the_indirect_message(start_gateway: Callable[..., Gateway]) -> None:
    """The message the classifier tests rely on is one the crisis patterns do not match."""
    gateway = start_gateway()
    request = ChatRequest(messages=(Message(role="user", content=INDIRECT),))
    assert gateway.runtime.detector().detect_request(request) is None


@pytest.mark.safety("H01")
def test_classifier_flag_gets_the_crisis_reply_and_an_escalation(
    start_gateway: Callable[..., Gateway], classifier: ContentSafetySimulator, tmp_path: Path
) -> None:
    """A message rated self-harm 4 gets the crisis reply and an escalation, from the classifier."""
    gateway = start_with_classifier(start_gateway, classifier, tmp_path)
    classifier.rate("qv7", SelfHarm=4)
    data = gateway.chat(INDIRECT, CONVERSATION)
    failover = data["failover"]
    assert failover["crisis"] is True
    assert failover["crisis_source"] == "classifier"
    assert failover["crisis_category"] == "self_harm"
    assert failover["escalated"] is True
    assert failover["provider"] == "emergency"
    text = data["choices"][0]["message"]["content"]
    assert text == compose(gateway.runtime.gateway.signposting, "self_harm", Person()).text
    assert wait_for(lambda: bool(clinical_titles(gateway)))
    assert "self harm" in clinical_titles(gateway)[0]


def test_flag_before_the_answer_terminates_and_purges_the_orchestration(
    start_gateway: Callable[..., Gateway], classifier: ContentSafetySimulator, tmp_path: Path
) -> None:
    """With tier 1 slow to answer, the flag wins; the chat orchestration is stopped and purged."""
    gateway = start_with_classifier(start_gateway, classifier, tmp_path)
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.OK, first_token_ms=500))
    classifier.rate("qv7", SelfHarm=6)
    data = gateway.chat(INDIRECT, CONVERSATION)
    assert data["failover"]["crisis_source"] == "classifier"
    assert wait_for(lambda: gateway.instances("chat_orchestrator") == [])


@pytest.mark.safety("H01")
def test_violence_at_its_severity_is_a_safeguarding_crisis(
    start_gateway: Callable[..., Gateway], classifier: ContentSafetySimulator, tmp_path: Path
) -> None:
    """Violence at the configured severity (6) gets the safeguarding crisis reply."""
    gateway = start_with_classifier(start_gateway, classifier, tmp_path)
    classifier.rate("qv7", Violence=6)
    failover = gateway.chat(INDIRECT, CONVERSATION)["failover"]
    assert (failover["crisis_category"], failover["crisis_source"]) == (
        "safeguarding",
        "classifier",
    )


@pytest.mark.safety("H01")
def test_sexual_at_high_severity_is_a_safeguarding_crisis(
    start_gateway: Callable[..., Gateway], classifier: ContentSafetySimulator, tmp_path: Path
) -> None:
    """Sexual rated 6 (sexual violence, abuse) gets the safeguarding crisis reply."""
    gateway = start_with_classifier(start_gateway, classifier, tmp_path)
    classifier.rate("qv7", Sexual=6)
    failover = gateway.chat(INDIRECT, CONVERSATION)["failover"]
    assert (failover["crisis_category"], failover["crisis_source"]) == (
        "safeguarding",
        "classifier",
    )


@pytest.mark.safety("H12")
def test_severity_below_the_threshold_is_answered_normally(
    start_gateway: Callable[..., Gateway], classifier: ContentSafetySimulator, tmp_path: Path
) -> None:
    """Self-harm rated 2 (under the configured 4) does not replace the answer."""
    gateway = start_with_classifier(start_gateway, classifier, tmp_path)
    classifier.rate("qv7", SelfHarm=2)
    failover = gateway.chat(INDIRECT, CONVERSATION)["failover"]
    assert (failover["crisis"], failover["crisis_source"], failover["tier"]) == (False, None, 1)


def test_ordinary_message_with_the_check_on_answers_from_tier_1(
    start_gateway: Callable[..., Gateway], classifier: ContentSafetySimulator, tmp_path: Path
) -> None:
    """An ordinary message is checked, and answered from tier 1, not degraded, no crisis."""
    gateway = start_with_classifier(start_gateway, classifier, tmp_path)
    failover = gateway.chat(ORDINARY, CONVERSATION)["failover"]
    assert (failover["tier"], failover["provider"], failover["degraded"]) == (1, "openai", False)
    assert (failover["crisis"], failover["crisis_source"]) == (False, None)
    assert classifier.requests == 1
    assert classifier.last_request() == {
        "text": ORDINARY,
        "categories": ["SelfHarm", "Violence", "Sexual"],
        "outputType": "FourSeverityLevels",
    }
    assert classifier.last_credential() == "key"


@pytest.mark.safety("H16")
def test_hung_check_does_not_hold_the_answer(
    start_gateway: Callable[..., Gateway], classifier: ContentSafetySimulator, tmp_path: Path
) -> None:
    """A check that hangs (its own timeout 60 s, past the client's 30 s) leaves the answer to
    go out after the grace, from tier 1: the answer never waits for the check's end."""
    gateway = start_with_classifier(start_gateway, classifier, tmp_path, timeout_s=60.0)
    classifier.set_fault("hang")
    classifier.rate("qv7", SelfHarm=6)
    failover = gateway.chat(INDIRECT, CONVERSATION)["failover"]
    assert (failover["tier"], failover["crisis"]) == (1, False)
    assert classifier.hanging == 1


@pytest.mark.safety("H16")
@pytest.mark.parametrize("fault", ["500", "429"])
def test_failing_check_never_turns_the_answer_into_an_error(
    start_gateway: Callable[..., Gateway],
    classifier: ContentSafetySimulator,
    tmp_path: Path,
    fault: Any,
) -> None:
    """A check answered with a 500 or a 429 leaves an ordinary answer from tier 1."""
    gateway = start_with_classifier(start_gateway, classifier, tmp_path)
    classifier.set_fault(fault)
    failover = gateway.chat(ORDINARY, CONVERSATION)["failover"]
    assert (failover["tier"], failover["crisis"], failover["degraded"]) == (1, False, False)
    assert classifier.requests == 1


def test_failing_checks_open_the_classifier_breaker(
    start_gateway: Callable[..., Gateway], classifier: ContentSafetySimulator, tmp_path: Path
) -> None:
    """Three failed checks open the content_safety breaker; the next request skips the check."""
    gateway = start_with_classifier(start_gateway, classifier, tmp_path)
    classifier.set_fault("500")
    for _ in range(3):
        gateway.chat(ORDINARY, CONVERSATION)
    breaker = gateway.runtime.gateway.second_opinion
    assert breaker is not None
    assert wait_for(lambda: breaker.breakers.states(["content_safety"])[0].state == "open")
    gateway.breaker_clock.advance(2.0)  # past the 1 s cache, so the open state is read
    gateway.chat(ORDINARY, CONVERSATION)
    assert classifier.requests == 3


@pytest.mark.safety("H01")
def test_late_flag_escalates_marked_late_and_owes_the_next_reply(
    start_gateway: Callable[..., Gateway], classifier: ContentSafetySimulator, tmp_path: Path
) -> None:
    """A flag after the answer escalates (marked late); the conversation's next reply is the
    crisis reply, from the classifier."""
    gateway = start_with_classifier(start_gateway, classifier, tmp_path, timeout_s=30.0)
    classifier.set_latency_ms(3000)  # the answer (instant) and its 150 ms grace go first
    classifier.rate("qv7", SelfHarm=4)
    first = gateway.chat(INDIRECT, CONVERSATION)["failover"]
    assert (first["crisis"], first["tier"]) == (False, 1)
    assert wait_for(lambda: bool(clinical_titles(gateway)), timeout_s=30.0)
    assert "flagged late" in clinical_titles(gateway)[0]
    second = gateway.chat(ORDINARY, CONVERSATION)["failover"]
    assert (second["crisis"], second["crisis_source"], second["crisis_category"]) == (
        True,
        "classifier",
        "self_harm",
    )


def test_health_says_the_layer_is_off_when_unconfigured(
    start_gateway: Callable[..., Gateway],
) -> None:
    """With no CONTENT_SAFETY_ENDPOINT, /api/health reports the classifier off, and why."""
    gateway = start_gateway()
    body = gateway.get("/api/health").json()
    assert body["content_safety"] == {
        "enabled": False,
        "reason": "CONTENT_SAFETY_ENDPOINT is not set",
    }


def test_health_reports_the_layer_on_with_its_thresholds(
    start_gateway: Callable[..., Gateway], classifier: ContentSafetySimulator, tmp_path: Path
) -> None:
    """Configured, /api/health reports the classifier on, its grace and per-category severities."""
    gateway = start_with_classifier(start_gateway, classifier, tmp_path)
    state = gateway.get("/api/health").json()["content_safety"]
    assert (state["enabled"], state["auth"], state["grace_ms"]) == (True, "key", 150.0)
    assert state["crisis_severities"]["SelfHarm"] == {"crisis_category": "self_harm", "severity": 4}
