"""The chat orchestration, replayed from JSON history through the Durable SDK's own handler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orchestrators.chat import CALL_PROVIDER, failover
from shared.failover.plan import ChatPlan, TierStep, build_plan, residency_policy
from shared.models import ChatRequest, Message, Outcome
from shared.platform.config import FailoverConfig, load_config
from shared.platform.ports import CHAT_ORCHESTRATION as ORCHESTRATION
from tests.support.configs import SECONDARY, three_tiers, timed
from tests.support.history import Driver, flat_actions
from tests.support.payloads import provider_ok as ok

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
CALL, WHEN_ANY = 0, 11
# The tests' stream times (every tier): a dead tier is noticed by the activity at 3 s, a
# working one may write for 12 s, and the durable timer, the backstop, fires at 12 + 1 s.
FIRST_TOKEN_S, STALL_S, TOTAL_S, TIMER_MARGIN_S, SDK_MARGIN_S = 3.0, 2.0, 12.0, 1.0, 0.5
TIMER_S = TOTAL_S + TIMER_MARGIN_S


def chain(**failover: float) -> FailoverConfig:
    """The three-tier chain on the tests' stream times, with a budget that fits them all."""
    numbers = {
        "budget_s": 60.0,
        "finish_reserve_s": 0.3,
        "timer_margin_s": TIMER_MARGIN_S,
        "sdk_timeout_margin_s": SDK_MARGIN_S,
        **failover,
    }
    return timed(
        three_tiers(), first_token_s=FIRST_TOKEN_S, stall_s=STALL_S, total_s=TOTAL_S, **numbers
    )


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def failed(outcome: str, ms: float = 15.0) -> dict[str, Any]:
    return {"outcome": outcome, "ms": ms, "status": 503}


def make_plan(config: FailoverConfig | None = None, configured: bool = True) -> ChatPlan:
    request = ChatRequest(
        messages=(Message("user", "What are the symptoms of ovarian cancer?"),),
        conversation_id="conv-1",
    )
    return build_plan(config or chain(), request, T0, is_configured=lambda _name: configured)


class Run(Driver):
    """The chat orchestration under the driver, with shortcuts for its provider calls."""

    def __init__(
        self, plan: ChatPlan, admissions: dict[str, tuple[bool, bool]] | None = None
    ) -> None:
        # As the HTTP trigger does: breaker admissions are stamped on the plan before the start.
        plan = plan.with_admissions(admissions or {})
        super().__init__(failover, ORCHESTRATION, plan.to_json(), T0)

    def last_call(self) -> dict[str, Any]:
        payload: dict[str, Any] = self.calls(CALL_PROVIDER)[-1]["input"]
        return payload

    def answer(self, result: dict[str, Any], now: datetime) -> dict[str, Any]:
        """Complete the newest provider call."""
        return self.complete(self.calls(CALL_PROVIDER)[-1]["seq"], result, now)

    def crash(self, now: datetime) -> dict[str, Any]:
        """Fail the newest provider call."""
        return self.fail(self.calls(CALL_PROVIDER)[-1]["seq"], now)

    def time_out(self) -> dict[str, Any]:
        """Fire the newest tier timer."""
        return self.fire(self.timers()[-1]["seq"])


def test_first_episode_races_tier1_against_its_timer() -> None:
    """The first tier is scheduled together with a timer at its total plus the margin, inside
    one task_any."""
    run = Run(make_plan())
    actions = run.state["actions"][0]
    assert len(actions) == 1, "the first episode schedules nothing but the race"
    assert actions[0]["actionType"] == WHEN_ANY
    assert run.last_call()["tier"] == "openai"
    assert run.timers()[0]["fireAt"].startswith("2026-01-01T12:00:13")


def test_the_activity_payload_carries_the_stream_times() -> None:
    """The activity gets the three stream times, which it enforces itself, and an SDK
    timeout beyond the longer of the first two, so the SDK never cuts a working stream."""
    payload = Run(make_plan()).last_call()
    assert payload["first_token_s"] == FIRST_TOKEN_S
    assert payload["stall_s"] == STALL_S
    assert payload["total_s"] == TOTAL_S
    assert payload["sdk_timeout_s"] == max(FIRST_TOKEN_S, STALL_S) + SDK_MARGIN_S
    assert "timeout_s" not in payload


def test_a_tier_near_the_deadline_gets_every_time_cut_to_what_is_left() -> None:
    """With 2 s of budget left, the total is 2 s and no deadline exceeds it."""
    run = Run(make_plan(chain(budget_s=TIMER_S + 2.3)))
    run.time_out()
    payload = run.last_call()
    assert payload["total_s"] == pytest.approx(2.0)
    assert payload["first_token_s"] == pytest.approx(2.0)
    assert payload["stall_s"] == STALL_S


def test_tier1_success_answers_and_cancels_the_timer() -> None:
    """When tier 1 answers, the orchestration completes and its timer is cancelled."""
    run = Run(make_plan())
    state = run.answer(ok("openai"), at(0.2))
    assert state["isDone"] is True
    assert state["output"]["tier"] == 1
    assert state["output"]["provider"] == "openai"
    assert state["output"]["completion"]["text"] == "answer from openai"
    assert run.timers()[0]["isCanceled"] is True
    assert state["output"]["attempts"] == [{"provider": "openai", "outcome": "ok", "ms": 120.0}]


def test_tier1_timeout_moves_to_tier2() -> None:
    """When the durable timer wins, tier 1 counts as a timeout and tier 2 is tried."""
    run = Run(make_plan())
    state = run.time_out()
    assert state["isDone"] is False
    assert run.last_call()["tier"] == "azure_openai"
    state = run.answer(ok("azure_openai"), at(TIMER_S + 0.3))
    assert state["output"]["tier"] == 2
    assert state["output"]["attempts"][0] == {
        "provider": "openai",
        "outcome": "timeout",
        "ms": TIMER_S * 1000.0,
    }


def test_a_first_token_timeout_from_the_activity_moves_on_at_once() -> None:
    """The activity reports a dead provider at its first-token time, long before the timer:
    tier 2 starts then, with its own full total."""
    run = Run(make_plan())
    run.answer(failed("timeout", ms=FIRST_TOKEN_S * 1000.0), at(FIRST_TOKEN_S + 0.05))
    assert run.last_call()["tier"] == "azure_openai"
    assert run.timers()[0]["isCanceled"] is True
    assert run.timers()[1]["fireAt"].startswith("2026-01-01T12:00:16.05")
    assert run.last_call()["total_s"] == TOTAL_S


@pytest.mark.safety("H04")
def test_a_slow_answer_past_the_old_three_seconds_is_the_answer() -> None:
    """An answer that took 9 s (a slow, working stream) is within the tier's time."""
    run = Run(make_plan())
    state = run.answer(ok("openai"), at(9.0))
    assert state["output"]["tier"] == 1
    assert [a["outcome"] for a in state["output"]["attempts"]] == ["ok"]


def test_tier1_fast_failure_moves_to_tier2_without_waiting() -> None:
    """A fast failure schedules tier 2 in the same episode, and tier 1's timer is cancelled."""
    run = Run(make_plan())
    run.answer(failed("unavailable"), at(0.02))
    assert run.last_call()["tier"] == "azure_openai"
    timers = run.timers()
    assert timers[0]["isCanceled"] is True
    assert timers[1]["fireAt"].startswith("2026-01-01T12:00:13.02"), "tier 2 timer starts now"


def test_failed_activity_is_treated_as_an_error_and_fails_over() -> None:
    """An activity that raises surfaces as an exception when re-yielded, then tier 2 is tried."""
    run = Run(make_plan())
    run.crash(at(0.01))
    assert run.last_call()["tier"] == "azure_openai"
    state = run.answer(ok("azure_openai"), at(0.2))
    assert state["output"]["attempts"][0]["outcome"] == "error"


@pytest.mark.safety("H13")
def test_all_tiers_failing_answers_from_the_emergency_tier() -> None:
    """With every LLM tier failing, the output is tier 4 with one attempt per tier."""
    run = Run(make_plan())
    run.answer(failed("unavailable"), at(0.1))
    run.answer(failed("rate_limited"), at(0.2))
    state = run.answer(failed("auth_error"), at(0.3))
    assert state["isDone"] is True
    assert state["output"]["tier"] == 4
    assert state["output"]["provider"] == "emergency"
    assert state["output"]["completion"] is None
    outcomes = [a["outcome"] for a in state["output"]["attempts"]]
    assert outcomes == ["unavailable", "rate_limited", "auth_error"]


def test_unconfigured_tiers_are_skipped_without_a_call() -> None:
    """Tiers without credentials are recorded as not_configured and never scheduled."""
    run = Run(make_plan(configured=False))
    assert run.state["isDone"] is True
    assert not [a for a in flat_actions(run.state) if a["actionType"] == CALL]
    assert [a["outcome"] for a in run.state["output"]["attempts"]] == ["not_configured"] * 3
    assert run.state["output"]["tier"] == 4


def test_a_tier_that_would_overrun_the_budget_gets_less_time() -> None:
    """Tier 3's total is cut to the overall deadline when earlier tiers used up the budget;
    its timer is that deadline plus the margin."""
    config = chain(budget_s=30.3)  # deadline at +30.0 s
    run = Run(make_plan(config))
    run.time_out()  # tier 1's timer fires at +13 s
    run.time_out()  # tier 2's at +26 s
    assert run.last_call()["tier"] == "anthropic"
    assert run.last_call()["total_s"] == pytest.approx(4.0)
    assert run.timers()[-1]["fireAt"].startswith("2026-01-01T12:00:31"), "deadline + margin"
    state = run.time_out()
    assert state["output"]["tier"] == 4
    assert state["output"]["attempts"][2] == {
        "provider": "anthropic",
        "outcome": "timeout",
        "ms": 5000.0,
    }


@pytest.mark.safety("H16")
def test_no_tier_starts_once_the_budget_is_spent() -> None:
    """A tier with less than the minimum useful time left is recorded as budget_exhausted."""
    config = chain(budget_s=26.4, min_tier_time_s=0.25)
    run = Run(make_plan(config))
    run.time_out()
    state = run.time_out()  # +26.0 s; deadline +26.1 s leaves 0.1 s < 0.25 s
    assert state["isDone"] is True
    assert state["output"]["attempts"][2] == {
        "provider": "anthropic",
        "outcome": Outcome.BUDGET_EXHAUSTED.value,
        "ms": 0.0,
    }


@pytest.mark.parametrize("outcome", ["content_filtered", "bad_request", "timeout"])
def test_every_non_ok_outcome_moves_on(outcome: str) -> None:
    """Any outcome but ok moves on to the next tier."""
    run = Run(make_plan())
    run.answer(failed(outcome), at(0.05))
    assert run.last_call()["tier"] == "azure_openai"


def test_activity_name_matches_the_registered_activity() -> None:
    """The orchestrator calls the activities under the names the blueprint registers."""
    run = Run(make_plan())
    calls = [a["functionName"] for a in flat_actions(run.state) if a["actionType"] == CALL]
    assert calls == [CALL_PROVIDER]


def test_open_breaker_skips_the_tier_without_a_call() -> None:
    """A tier whose breaker is open is recorded as breaker_open, in no time, with no call."""
    run = Run(make_plan(), admissions={"openai": (False, False)})
    assert [c["input"]["tier"] for c in run.calls(CALL_PROVIDER)] == ["azure_openai"]
    state = run.answer(ok("azure_openai"), at(0.1))
    assert state["output"]["attempts"][0] == {
        "provider": "openai",
        "outcome": "breaker_open",
        "ms": 0.0,
    }
    assert state["output"]["tier"] == 2


def test_probe_lease_is_passed_to_the_provider_call() -> None:
    """The request that holds a half-open probe tells the activity, so it reports as the probe."""
    run = Run(make_plan(), admissions={"openai": (True, True)})
    assert run.last_call()["probe"] is True


def test_a_probe_lease_goes_only_to_its_own_tier() -> None:
    """A probe lease on tier 2 does not make tier 1's call a probe, and is kept for tier 2."""
    run = Run(make_plan(), admissions={"azure_openai": (True, True)})
    assert run.last_call()["probe"] is False
    run.answer(failed("unavailable"), at(0.05))
    assert run.last_call()["tier"] == "azure_openai"
    assert run.last_call()["probe"] is True


def test_admission_survives_the_plan_round_trip() -> None:
    """Skips and probe flags set by admission come back unchanged from the orchestration input."""
    plan = make_plan().with_admissions({"openai": (False, False), "anthropic": (True, True)})
    again = ChatPlan.from_json(plan.to_json())
    assert again == plan
    assert [(s.skip, s.probe) for s in again.steps] == [
        (Outcome.BREAKER_OPEN, False),
        (None, False),
        (None, True),
    ]


def test_a_plan_in_the_old_shape_still_runs() -> None:
    """An orchestration started before streaming (one timeout_s per tier, no timer margin in
    the input) is replayed with that timeout as all three times and the default margin."""
    data = make_plan().to_json()
    for step in data["steps"]:
        for key in ("first_token_s", "stall_s", "total_s"):
            step.pop(key)
        step["timeout_s"] = 3.0
    data.pop("timer_margin_s")
    plan = ChatPlan.from_json(data)
    assert plan.steps[0] == TierStep("openai", 1, 3.0, 3.0, 3.0)
    run = Run(plan)
    assert run.last_call()["total_s"] == 3.0
    assert run.timers()[0]["fireAt"].startswith("2026-01-01T12:00:04")


def test_the_new_plan_round_trips() -> None:
    """Stream times and margins come back unchanged from the orchestration input."""
    plan = make_plan()
    assert ChatPlan.from_json(plan.to_json()) == plan


def test_admission_never_unskips_a_tier() -> None:
    """A tier the plan skipped (not configured) stays skipped whatever its breaker says."""
    plan = make_plan(configured=False).with_admissions({"openai": (True, True)})
    assert plan.steps[0].skip is Outcome.NOT_CONFIGURED
    assert plan.steps[0].probe is False
    assert plan.callable_tiers() == []


@pytest.mark.safety("H08")
def test_uk_residency_blocks_tiers_outside_the_uk() -> None:
    """With DATA_RESIDENCY=uk, the shipped chain skips the US tiers as residency_blocked and
    fails over between the two UK Azure OpenAI accounts: UK-only failover is two tiers deep."""
    config = load_config().failover
    policy = residency_policy(config, "uk")
    plan = build_plan(
        config,
        ChatRequest(messages=(Message("user", "hi"),)),
        T0,
        is_configured=lambda _n: True,
        blocked=policy,
    )
    assert [s.skip for s in plan.steps] == [
        Outcome.RESIDENCY_BLOCKED,
        None,
        None,
        Outcome.RESIDENCY_BLOCKED,
    ]
    assert plan.preferred_tier == 2
    run = Run(plan)
    assert [c["input"]["tier"] for c in run.calls(CALL_PROVIDER)] == ["azure_openai"]
    run.answer(failed("unavailable"), at(0.1))
    assert run.last_call()["tier"] == "azure_openai_secondary"
    state = run.answer(ok("from the second UK account"), at(0.3))
    assert (state["output"]["tier"], state["output"]["provider"]) == (3, SECONDARY)


@pytest.mark.safety("H08")
def test_residency_is_off_unless_set_to_uk() -> None:
    """Without the setting, every tier is eligible."""
    policy = residency_policy(load_config().failover, "")
    assert policy("openai") is None
