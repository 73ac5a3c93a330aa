"""The chat path behind the HTTP trigger, with the Durable engine replaced at its edge."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from shared.bootstrap import assemble, chat_gateway
from shared.breakers.store import InMemoryBreakerStore
from shared.escalation.followups import MemoryConversations, OpenEscalation
from shared.escalation.store import MemoryEscalationStore
from shared.failover.gateway import ChatGateway
from shared.observability.audit import MemoryAuditStore
from shared.platform.config import load_config
from shared.platform.settings import Settings
from shared.providers.registry import build_providers
from shared.signposting import Person, compose, load_signposting
from tests.observability.helpers import unit_runtime

# The shipped chain has four LLM tiers; the emergency text is the fifth.
EMERGENCY_TIER = load_config().failover.emergency_tier
REQUEST = json.dumps({"messages": [{"role": "user", "content": "Hello"}]}).encode()


@dataclass
class Clock:
    now: float = 1000.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeEngine:
    """The Durable engine as seen through the client: scripted states, counted calls."""

    states: list[tuple[str, Any]] = field(default_factory=list)
    start_error: Exception | None = None
    started: list[dict[str, Any]] = field(default_factory=list)
    polls: int = 0
    calls: list[str] = field(default_factory=list)
    purge_gate: asyncio.Event | None = None

    async def start(
        self, name: str, payload: dict[str, Any], instance_id: str | None = None
    ) -> str:
        if self.start_error:
            raise self.start_error
        self.started.append(payload)
        return "instance-1"

    async def poll(self, instance_id: str) -> tuple[str, Any]:
        self.polls += 1
        if not self.states:
            return "running", None
        state = self.states.pop(0)
        if isinstance(state, Exception):
            raise state
        return state

    async def raise_event(self, instance_id: str, name: str, data: Any) -> None:
        self.calls.append(f"raise_event {instance_id}")

    async def terminate(self, instance_id: str, reason: str) -> None:
        self.calls.append(f"terminate {instance_id}")
        self.states[:] = [("failed", None)]  # the extension stops it a moment later

    async def purge(self, instance_id: str) -> int:
        if self.purge_gate is not None:
            await self.purge_gate.wait()
        self.calls.append(f"purge {instance_id}")
        return 1

    async def purge_finished(self, name: str, created_before: Any) -> int:
        return 0


def gateway(clock: Clock, simulated: bool = False) -> ChatGateway:
    runtime = unit_runtime(simulated_providers=simulated, status_poll_interval_s=0.1)
    return chat_gateway(runtime, monotonic=clock.monotonic, sleep=clock.sleep)


def tier_output(tier: int, provider: str) -> dict[str, Any]:
    return {
        "tier": tier,
        "provider": provider,
        "completion": {
            "text": "Some information",
            "finish_reason": "stop",
            "model": "gpt-4o-mini",
            "usage": {"prompt_tokens": 3, "completion_tokens": 4},
        },
        "attempts": [{"provider": provider, "outcome": "ok", "ms": 12.0}],
    }


async def test_completed_orchestration_becomes_a_chat_completion() -> None:
    """A finished orchestration is answered as a chat.completion with the failover report."""
    clock = Clock()
    engine = FakeEngine(states=[("running", None), ("completed", tier_output(1, "openai"))])
    reply = await gateway(clock, simulated=True).handle(REQUEST, "application/json", engine)
    assert reply.status == 200
    assert reply.body["object"] == "chat.completion"
    assert reply.body["choices"][0]["message"]["content"] == "Some information"
    assert reply.body["usage"]["total_tokens"] == 7
    assert reply.body["failover"] == {
        "tier": 1,
        "provider": "openai",
        "attempts": [{"provider": "openai", "outcome": "ok", "ms": 12.0}],
        "crisis": False,
        "crisis_category": None,
        "crisis_source": None,
        "escalated": False,
        "degraded": False,
        "simulated": True,
        "trimmed": False,
    }
    assert engine.polls == 2


async def test_answer_from_tier2_is_marked_degraded() -> None:
    """An answer that did not come from tier 1 is degraded."""
    engine = FakeEngine(states=[("completed", tier_output(2, "azure_openai"))])
    reply = await gateway(Clock()).handle(REQUEST, None, engine)
    assert reply.body["failover"]["degraded"] is True
    assert reply.body["failover"]["provider"] == "azure_openai"


@pytest.mark.safety("H13")
async def test_orchestration_that_cannot_start_is_answered_from_the_emergency_tier() -> None:
    """If the orchestration cannot start, the trigger itself answers from tier 4."""
    engine = FakeEngine(start_error=ConnectionError("task hub unreachable"))
    reply = await gateway(Clock()).handle(REQUEST, None, engine)
    assert reply.status == 200
    assert reply.body["failover"]["tier"] == EMERGENCY_TIER
    assert reply.body["failover"]["provider"] == "emergency"
    assert reply.body["failover"]["degraded"] is True
    expected = compose(load_signposting(), "emergency", Person()).text
    assert reply.body["choices"][0]["message"]["content"] == expected


@pytest.mark.safety("H13")
async def test_orchestration_past_the_budget_is_answered_from_the_emergency_tier() -> None:
    """If the orchestration has not finished within the overall budget, tier 4 answers."""
    clock = Clock()
    engine = FakeEngine()
    reply = await gateway(clock).handle(REQUEST, None, engine)
    assert reply.body["failover"]["tier"] == EMERGENCY_TIER
    budget_s = load_config().failover.budget_s
    assert clock.now - 1000.0 == pytest.approx(budget_s)
    # About ten polls a second once the backoff reaches its ceiling.
    assert engine.polls == pytest.approx(budget_s * 10, abs=1)


@pytest.mark.safety("H16")
async def test_failed_orchestration_is_answered_from_the_emergency_tier() -> None:
    """A failed orchestration still gets the bot an answer."""
    engine = FakeEngine(states=[("failed", None)])
    reply = await gateway(Clock()).handle(REQUEST, None, engine)
    assert reply.body["failover"]["tier"] == EMERGENCY_TIER


async def test_status_errors_are_retried_until_completion() -> None:
    """A transient status error does not lose the answer."""
    engine = FakeEngine(states=[ConnectionError("blip"), ("completed", tier_output(1, "openai"))])  # type: ignore[list-item]
    reply = await gateway(Clock()).handle(REQUEST, None, engine)
    assert reply.body["failover"]["tier"] == 1


async def test_bad_request_never_starts_an_orchestration() -> None:
    """A malformed body is a 400 in the OpenAI error shape and starts nothing."""
    engine = FakeEngine()
    reply = await gateway(Clock()).handle(b'{"messages": 1}', "application/json", engine)
    assert reply.status == 400
    assert reply.body["error"]["param"] == "messages"
    assert engine.started == []


@pytest.mark.parametrize(
    ("tier", "provider", "degraded"),
    [(2, "azure_openai", False), (3, "azure_openai_secondary", True), (1, "openai", True)],
)
async def test_degraded_is_judged_against_the_first_tier_the_policy_permits(
    tier: int, provider: str, degraded: bool
) -> None:
    """With DATA_RESIDENCY=uk the first UK tier is the expected one: its answers are not
    degraded, the second UK account's are."""
    runtime = unit_runtime(data_residency="uk", status_poll_interval_s=0.1)
    clock = Clock()
    chat = chat_gateway(runtime, monotonic=clock.monotonic, sleep=clock.sleep)
    engine = FakeEngine(states=[("completed", tier_output(tier, provider))])
    reply = await chat.handle(REQUEST, None, engine)
    assert reply.body["failover"]["degraded"] is degraded


async def test_plan_carries_the_deadline_and_the_tiers() -> None:
    """The orchestration input names every tier in order, with the configured timeouts."""
    engine = FakeEngine(states=[("completed", tier_output(1, "openai"))])
    await gateway(Clock()).handle(REQUEST, None, engine)
    steps = engine.started[0]["steps"]
    assert [s["name"] for s in steps] == [
        "openai",
        "azure_openai",
        "azure_openai_secondary",
        "anthropic",
    ]
    assert [s["skip"] for s in steps] == ["not_configured"] * 4
    assert "deadline" in engine.started[0]


class Recorder:
    def __init__(self) -> None:
        self.records: list[Any] = []

    def chat_completed(self, record: Any) -> None:
        self.records.append(record)


async def test_each_answer_is_reported_once_to_observers_without_content() -> None:
    """Observers get one record per answer: tier, attempts, latency; no text, no raw ids."""
    clock = Clock()
    gw = gateway(clock)
    recorder = Recorder()
    gw.events.subscribe(recorder.chat_completed)  # type: ignore[attr-defined]
    engine = FakeEngine(states=[("running", None), ("completed", tier_output(2, "azure_openai"))])
    body = json.dumps(
        {
            "messages": [{"role": "user", "content": "secret-marker question"}],
            "metadata": {"conversation_id": "raw-conversation-id"},
        }
    ).encode()
    await gw.handle(body, None, engine)
    (record,) = recorder.records
    assert (record.tier, record.provider, record.degraded) == (2, "azure_openai", True)
    assert record.latency_ms == pytest.approx(200.0)
    assert record.conversation_ref.startswith("ref-")
    assert "secret-marker" not in repr(record)
    assert "raw-conversation-id" not in repr(record)


async def test_a_failing_observer_does_not_affect_the_answer() -> None:
    """An observer that raises is logged; the bot still gets its answer."""

    class Broken:
        def chat_completed(self, record: Any) -> None:
            raise RuntimeError("observer bug")

    gw = gateway(Clock())
    gw.events.subscribe(Broken().chat_completed)  # type: ignore[attr-defined]
    engine = FakeEngine(states=[("completed", tier_output(1, "openai"))])
    reply = await gw.handle(REQUEST, None, engine)
    assert reply.status == 200


@pytest.mark.safety("H03")
async def test_slow_escalation_start_does_not_hold_the_crisis_reply() -> None:
    """If starting the escalation stalls, the crisis reply goes out; the start carries on."""
    release = asyncio.Event()

    class StalledEngine(FakeEngine):
        async def start(
            self, name: str, payload: dict[str, Any], instance_id: str | None = None
        ) -> str:
            await release.wait()
            return await super().start(name, payload, instance_id)

    engine = StalledEngine()
    body = json.dumps({"messages": [{"role": "user", "content": "I want to kill myself"}]})
    reply = await gateway(Clock()).handle(body.encode(), None, engine)
    assert reply.body["failover"]["crisis"] is True
    assert reply.body["failover"]["escalated"] is False
    assert engine.started == []
    release.set()
    for _ in range(100):
        if engine.started:
            break
        await asyncio.sleep(0.01)
    assert len(engine.started) == 1, "the escalation still started, in the background"


async def test_duplicate_crisis_escalations_are_settled_in_memory() -> None:
    """After the first claim, repeats from the same conversation need no storage round trip."""

    class CountingConversations(MemoryConversations):
        reads = 0

        def read(self, conversation_ref: str) -> tuple[OpenEscalation | None, Any]:
            CountingConversations.reads += 1
            return super().read(conversation_ref)

    gw = gateway(Clock())
    gw.escalator.conversations = CountingConversations()
    body = json.dumps(
        {
            "messages": [{"role": "user", "content": "I want to kill myself"}],
            "metadata": {"conversation_id": "c-repeat"},
        }
    ).encode()
    engine = FakeEngine()
    for _ in range(5):
        reply = await gw.handle(body, None, engine)
        assert reply.body["failover"]["escalated"] is True
    assert CountingConversations.reads == 1
    assert len(engine.started) == 1


def crisis_body(text: str, conversation: str) -> bytes:
    message = {"messages": [{"role": "user", "content": text}]}
    return json.dumps({**message, "metadata": {"conversation_id": conversation}}).encode()


@pytest.mark.safety("H03")
async def test_a_stronger_second_crisis_message_starts_a_follow_up() -> None:
    """'I want to end my life', then 'I have taken all my pills': two escalations, the
    second a follow-up naming the first."""
    gw = gateway(Clock())
    engine = FakeEngine()
    await gw.handle(crisis_body("I want to end my life", "c-follow"), None, engine)
    await gw.handle(crisis_body("I have taken all my pills", "c-follow"), None, engine)
    first, second = (p["escalation"] for p in engine.started)
    assert second["title"] == "Ask Eve crisis follow-up: self harm"
    assert dict(second["facts"])["Follow-up to"] == first["id"]


@dataclass(frozen=True)
class ClassifiedMatch:
    """A detector's match that also names taxonomy classes (as the extended detector does)."""

    category: str
    signals: tuple[str, ...]
    classes: tuple[str, ...]


@dataclass
class ClassifyingDetector:
    matches: list[ClassifiedMatch]

    def detect_request(self, _request: Any) -> ClassifiedMatch:
        return self.matches.pop(0)


@pytest.mark.safety("H03")
async def test_the_detectors_taxonomy_classes_reach_the_escalation() -> None:
    """A detector that names classes: 'overdose' planned, then self_harm.overdose_taken, is a
    follow-up whose signals list the class."""
    gw = gateway(Clock())
    detector = ClassifyingDetector(
        [
            ClassifiedMatch("self_harm", ("overdose",), ("self_harm.overdose_planned",)),
            ClassifiedMatch("self_harm", ("overdose",), ("self_harm.overdose_taken",)),
        ]
    )
    gw.detector = lambda: detector  # type: ignore[assignment,return-value]
    engine = FakeEngine()
    for _ in range(2):
        await gw.handle(crisis_body("(the detector decides)", "c-classes"), None, engine)
    assert engine.started[1]["escalation"]["signals"] == ["overdose", "self_harm.overdose_taken"]
    assert dict(engine.started[1]["escalation"]["facts"])["Why"] == (
        "severity rose to an act, under way or done"
    )


NOT_A_KEY = "sk-simulated-test"


def breaker_gateway(store: InMemoryBreakerStore, clock: Clock) -> ChatGateway:
    """A gateway whose tiers are configured (never called: the engine is scripted) and whose
    breakers share ``store``."""
    config = load_config()
    settings = Settings.from_env(
        {
            "OPENAI_API_KEY": NOT_A_KEY,
            "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
            "AZURE_OPENAI_ENDPOINT": "http://127.0.0.1:9",
            "AZURE_OPENAI_API_KEY": NOT_A_KEY,
            "AZURE_OPENAI_DEPLOYMENT": "gpt-4o-mini",
            "AZURE_OPENAI_SECONDARY_ENDPOINT": "http://127.0.0.1:9",
            "AZURE_OPENAI_SECONDARY_API_KEY": NOT_A_KEY,
            "ANTHROPIC_API_KEY": NOT_A_KEY,
            "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",
            "ASKEVE_STATUS_POLL_INTERVAL_MS": "100",
        }
    )
    runtime = assemble(
        config,
        settings,
        build_providers(config, settings),
        breaker_store=store,
        escalation_store=MemoryEscalationStore(),
        audit_store=MemoryAuditStore,
    )
    return chat_gateway(runtime, monotonic=clock.monotonic, sleep=clock.sleep)


async def test_breaker_admission_is_stamped_on_the_plan() -> None:
    """A forced-open breaker makes the plan skip that tier, before the orchestration starts."""
    store = InMemoryBreakerStore()
    chat = breaker_gateway(store, Clock())
    chat.breakers.force_open("openai")
    engine = FakeEngine(states=[("completed", tier_output(2, "azure_openai"))])
    await chat.handle(REQUEST, None, engine)
    steps = engine.started[0]["steps"]
    assert [(s["name"], s["skip"], s["probe"]) for s in steps] == [
        ("openai", "breaker_open", False),
        ("azure_openai", None, False),
        ("azure_openai_secondary", None, False),
        ("anthropic", None, False),
    ]


async def test_unreadable_breakers_allow_every_tier() -> None:
    """If the breaker store is down and nothing was ever read, chat tries every tier."""
    store = InMemoryBreakerStore()
    store.unavailable = True
    engine = FakeEngine(states=[("completed", tier_output(1, "openai"))])
    reply = await breaker_gateway(store, Clock()).handle(REQUEST, None, engine)
    assert reply.status == 200
    assert [s["skip"] for s in engine.started[0]["steps"]] == [None, None, None, None]


@dataclass
class RecordingClock(Clock):
    sleeps: list[float] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_status_polling_backs_off_for_a_hung_request() -> None:
    """A request that never finishes is polled at the base interval first, then ever more
    slowly, never more than the ceiling apart, until the budget ends."""
    clock = RecordingClock()
    runtime = unit_runtime(status_poll_interval_s=0.005)
    chat = chat_gateway(runtime, monotonic=clock.monotonic, sleep=clock.sleep)
    engine = FakeEngine()  # running for ever
    reply = await chat.handle(REQUEST, None, engine)
    budget = runtime.config.failover.budget_s
    assert reply.body["failover"]["provider"] == "emergency"
    assert clock.sleeps[:10] == [0.005] * 10, "a fast answer is seen within the base interval"
    assert max(clock.sleeps) == pytest.approx(0.1)
    assert clock.sleeps[-6:-1] == [pytest.approx(0.1)] * 5, "10 polls a second once backed off"
    assert engine.polls < budget / 0.005 / 5, "at least five times fewer polls than unbacked"
    assert sum(clock.sleeps) == pytest.approx(budget), "polling goes on until the budget ends"


async def _settle(engine: FakeEngine, expected: list[str]) -> None:
    for _ in range(100):
        if engine.calls == expected:
            return
        await asyncio.sleep(0)


async def test_an_answered_instance_is_purged_after_the_answer() -> None:
    """The reply does not wait for the purge; the purge follows in the background."""
    engine = FakeEngine(states=[("completed", tier_output(1, "openai"))])
    engine.purge_gate = asyncio.Event()
    reply = await gateway(Clock()).handle(REQUEST, None, engine)
    assert reply.status == 200
    assert engine.calls == []
    engine.purge_gate.set()
    await _settle(engine, ["purge instance-1"])
    assert engine.calls == ["purge instance-1"]


async def test_a_failed_instance_is_purged_too() -> None:
    """A failed orchestration's instance holds the conversation as well, so it goes."""
    engine = FakeEngine(states=[("failed", None)])
    await gateway(Clock()).handle(REQUEST, None, engine)
    await _settle(engine, ["purge instance-1"])
    assert engine.calls == ["purge instance-1"]


async def test_an_instance_past_the_budget_is_terminated_then_purged() -> None:
    """At the budget the instance is told to stop, and purged once it has."""
    engine = FakeEngine()
    reply = await gateway(Clock()).handle(REQUEST, None, engine)
    assert reply.body["failover"]["provider"] == "emergency"
    await _settle(engine, ["terminate instance-1", "purge instance-1"])
    assert engine.calls == ["terminate instance-1", "purge instance-1"]


async def test_an_instance_that_will_not_stop_is_left_to_the_retention_timer() -> None:
    """Terminated but still running after every check: nothing is purged (it would fail)."""
    engine = FakeEngine()

    async def never_stops(instance_id: str, reason: str) -> None:
        engine.calls.append(f"terminate {instance_id}")

    engine.terminate = never_stops  # type: ignore[method-assign]
    await gateway(Clock()).handle(REQUEST, None, engine)
    for _ in range(2000):
        await asyncio.sleep(0)
    assert engine.calls == ["terminate instance-1"]


async def test_a_conversation_over_the_backend_limit_starts_trimmed() -> None:
    """A conversation whose orchestration input would exceed the Durable backend's payload
    limit starts with its oldest turns left out, keeps its last user turn, and says so."""
    turns = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i} " + "x" * 30_000}
        for i in range(50)
    ] + [{"role": "user", "content": "And what about the smear test?"}]
    body = json.dumps({"messages": turns}).encode()
    engine = FakeEngine(states=[("completed", tier_output(1, "openai"))])
    reply = await gateway(Clock()).handle(body, "application/json", engine)
    assert reply.body["failover"]["trimmed"] is True
    started = engine.started[0]
    assert len(json.dumps(started)) <= 900_000
    sent = started["request"]["messages"]
    assert sent[-1]["content"] == "And what about the smear test?"
    assert sent[0]["role"] == "user"
    assert len(sent) < len(turns)
