"""The drill's values: its configuration, what happened during it, and the verdict of a check.

Everything the checks, the report and the plot need is in :class:`DrillResult`, as plain
frozen values with epoch-second timestamps, so each of them is a pure function of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.loadgen import Sample
from devhost.topology import Topology

PROVIDERS = ("openai", "azure_openai", "anthropic")

# The scenario of issue 9, with each fixed phase's share of the default two-minute run.
# Recovery has no fixed length: each tier's fault is cleared once the previous tier's breaker
# has closed, so it takes as long as the breaks take to end.
FIXED_PHASES: tuple[tuple[str, float], ...] = (
    ("all healthy", 15.0),
    ("tier 1 hangs", 20.0),
    ("tiers 1 and 2 return 503", 20.0),
    ("all LLM tiers down", 15.0),
    ("crisis messages during the outage", 10.0),
)
TAIL_PHASE = ("healthy again", 10.0)
DEFAULT_DURATION_S = 120.0


@dataclass(frozen=True, slots=True)
class DrillConfig:
    """How long, how fast and with which settings the drill runs.

    ``duration_s`` is the nominal length; the fixed phases are scaled to it and recovery
    adds what the breaks need. Breaks are short (``open_s``) so recovery happens in the run.
    """

    duration_s: float = DEFAULT_DURATION_S
    rate_per_s: float = 8.0
    crisis_every: int = 4  # during the crisis phase, every n-th request is a crisis message
    tier_timeout_s: float = 1.0
    budget_s: float = 8.0
    # Healthy providers start answering this late; well above the admission slack of
    # drill.checks, so a recovery's probe is never mistaken for a request admitted after the
    # breaker closed. Then they write at a model's speed (simulators.pacing.REALISTIC: about
    # 70 tokens/s for gpt-4o-mini), streamed: an answer takes seconds, as real ones do.
    provider_ms: int = 300
    tokens_per_s: float = 70.0
    answer_tokens: int = 150
    failure_threshold: int = 3
    open_s: float = 3.0
    max_open_s: float = 6.0
    poll_ms: int = 5
    monitor_interval_s: float = 0.2
    delivery_wait_s: float = 10.0
    live: bool = True
    # As Azure runs it: HTTP, Durable and each timer in processes of their own (devhost.topology).
    topology: Topology = Topology.FLEX

    @classmethod
    def short(cls) -> DrillConfig:
        """The shortened drill for ``make test``: about 20 s of traffic."""
        return cls(
            duration_s=20.0,
            rate_per_s=10.0,
            crisis_every=3,
            tier_timeout_s=0.5,
            answer_tokens=60,
            open_s=1.0,
            max_open_s=2.0,
            live=False,
        )

    def phase_lengths(self) -> list[tuple[str, float]]:
        scale = self.duration_s / DEFAULT_DURATION_S
        return [(name, share * scale) for name, share in FIXED_PHASES]

    def tail_length(self) -> float:
        return TAIL_PHASE[1] * self.duration_s / DEFAULT_DURATION_S

    def recovery_wait_s(self) -> float:
        """The longest a recovering tier's breaker may take to close: a whole break, a probe
        that may still be in flight, and slack for a loaded machine."""
        return self.max_open_s + 2 * self.tier_timeout_s + 3.0


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class BreakerObservation:
    """One provider's breaker as ``GET /api/breakers`` showed it at ``at``."""

    at: float
    provider: str
    state: str
    failed_probes: int
    changed_at: float | None


@dataclass(frozen=True, slots=True)
class Recovery:
    """One tier's recovery: its fault cleared at ``cleared_at``, breaker seen closed after."""

    provider: str
    cleared_at: float
    closed_at: float | None  # the breaker's own changed_at; None if it never closed


@dataclass(frozen=True, slots=True)
class Delivery:
    at: float
    channel: str  # teams | email
    route: str  # webhook path or recipient
    title: str


@dataclass(frozen=True, slots=True)
class Sla:
    crisis_response_s: float
    crisis_response_target: float
    failover_switch_s: float
    availability_target: float


@dataclass(frozen=True, slots=True)
class DrillResult:
    config: DrillConfig
    started: float
    ended: float
    phases: tuple[Phase, ...]
    samples: tuple[Sample, ...]
    breakers: tuple[BreakerObservation, ...]
    recoveries: tuple[Recovery, ...]
    provider_calls: dict[str, int]  # calls each simulated provider received during the run
    deliveries: tuple[Delivery, ...]
    sla: Sla
    fault_started: dict[str, float] = field(default_factory=dict)  # first fault per provider
    # When a provider refused connections: such calls never reach the simulator's counter.
    refusals: tuple[tuple[str, float, float], ...] = ()
    # The dev host's processes by group (Flex) or ("single",): what actually served the drill.
    host_processes: tuple[str, ...] = ()

    def phase_at(self, at: float) -> str:
        for phase in self.phases:
            if phase.start <= at < phase.end:
                return phase.name
        return self.phases[-1].name if self.phases and at >= self.phases[-1].end else ""


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    passed: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "detail": self.detail}
