"""The language-model triage of crisis, run beside the chat orchestration, never in its way.

:class:`ProviderTriage` is the one adapter of the :class:`~shared.safety.triage.CrisisTriage`
port: it asks a tier's own SDK client (:meth:`SdkProvider.structured
<shared.providers.sdk_adapter.SdkProvider.structured>`) for the verdict through the JSON schema
of ``config/crisis-triage.json``. :class:`TriageOpinion` is its lifecycle for one process:

* it starts once the request's plan has its breaker admissions, on the first tier the plan
  would call (so the policy, ``DATA_RESIDENCY`` included, and the tiers' breakers choose it:
  under ``DATA_RESIDENCY=uk`` it is a UK tier), with its own short timeout and no SDK retries;
* its own breaker row (``crisis_triage``) counts its failures, so a slow triage never opens a
  chat tier's breaker, and an open row skips the triage;
* a verdict that breaks the schema is no flag, counted (and a failure on its breaker row);
* the gateway races it, with the classifier's check, against the answer within the same grace
  (:mod:`shared.failover.second_opinion`), and a late flag is followed like the classifier's.

Nothing here raises into chat: a slow, failing, malformed or skipped triage is a triage without
a flag. The counts are this process's own (a per-instance choice, in the README).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.breakers import BreakerService, OutcomeWriter
from shared.models import ChatRequest, Outcome
from shared.providers.structured import StructuredCall, StructuredReply
from shared.safety import TRIAGE_BREAKER, ClassifierFlag, CrisisTriage, TriageConfig
from shared.safety.triage import (
    MalformedTriageError,
    TriageError,
    TriageResult,
    TriageUsage,
    parse_verdict,
    triage_flag,
    triage_input,
)

log = logging.getLogger(__name__)

# As for the classifier: a cold, slow breaker store must not hold the triage.
ADMISSION_WAIT_S = 0.5


class StructuredProvider(Protocol):
    """The part of an SDK adapter the triage uses."""

    async def structured(self, call: StructuredCall) -> StructuredReply: ...


class ProviderTriage:
    """The port's one adapter: the verdict from a tier's SDK client, held to the schema."""

    def __init__(self, providers: Mapping[str, Any], config: TriageConfig) -> None:
        self._providers = providers
        self._config = config

    async def assess(self, user_turns: Sequence[str], tier: str) -> TriageResult:
        provider = self._providers.get(tier)
        if provider is None or not hasattr(provider, "structured"):
            raise TriageError(Outcome.NOT_CONFIGURED)
        call = StructuredCall(
            system=self._config.system_prompt,
            user=triage_input(user_turns, self._config),
            schema_name=self._config.schema_name,
            schema=self._config.schema,
            description=self._config.schema_description,
            max_tokens=self._config.max_tokens,
            timeout_s=self._config.timeout_s,
        )
        reply: StructuredReply = await provider.structured(call)
        if reply.outcome is not Outcome.OK:
            raise TriageError(reply.outcome, reply.retry_after_s)
        return TriageResult(
            reply.payload, tier, TriageUsage(reply.input_tokens, reply.output_tokens)
        )

    async def close(self) -> None:
        """The tiers' clients belong to their adapters, which close them."""


@dataclass
class TriageCounts:
    """What this process's triages did (``/api/health``; per instance, since it started)."""

    started: int = 0
    flagged: int = 0
    no_flag: int = 0
    malformed: int = 0
    failed: int = 0
    breaker_open: int = 0
    no_tier: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "started": self.started,
            "flagged": self.flagged,
            "no_flag": self.no_flag,
            "malformed": self.malformed,
            "failed": self.failed,
            "breaker_open": self.breaker_open,
            "no_tier": self.no_tier,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
        }


@dataclass
class TriageOpinion:
    """The triage's lifecycle for one process. ``triage`` None: it is off, and
    :attr:`off_reason` says why (``/api/health`` reports it)."""

    triage: CrisisTriage | None
    config: TriageConfig
    breakers: BreakerService
    outcomes: OutcomeWriter
    off_reason: str | None = None
    counts: TriageCounts = field(default_factory=TriageCounts)

    @property
    def enabled(self) -> bool:
        return self.triage is not None

    def describe(self) -> dict[str, Any]:
        """The triage's state for ``/api/health`` (no prompt, no content)."""
        if self.triage is None:
            return {"enabled": False, "reason": self.off_reason}
        return {
            "enabled": True,
            "version": self.config.version,
            "timeout_s": self.config.timeout_s,
            "min_confidence": self.config.min_confidence,
            "recall": "unmeasured until run against clinician-labelled messages",
            "counts": self.counts.to_json(),
        }

    async def close(self) -> None:
        if self.triage is not None:
            await self.triage.close()

    def start(
        self, request: ChatRequest, tiers: Sequence[str]
    ) -> asyncio.Task[ClassifierFlag | None] | None:
        """Start the triage of the request's recent user turns on the first of ``tiers`` (the
        plan's callable tiers, in order); None when it is off or no tier may be called."""
        if self.triage is None:
            return None
        if not tiers:
            self.counts.no_tier += 1
            log.info("crisis triage skipped: no tier may be called")
            return None
        turns = [m.content for m in request.messages if m.role == "user"]
        return asyncio.ensure_future(self._triage(self.triage, turns, tiers[0]))

    async def _triage(
        self, triage: CrisisTriage, turns: Sequence[str], tier: str
    ) -> ClassifierFlag | None:
        try:
            admission = await asyncio.wait_for(
                asyncio.to_thread(self.breakers.admit, TRIAGE_BREAKER), ADMISSION_WAIT_S
            )
            allowed, probe = admission.allowed, admission.probe
        except Exception:  # noqa: BLE001 - breakers never block a triage (nor chat)
            allowed, probe = True, False
        if not allowed:
            self.counts.breaker_open += 1
            log.info("crisis triage breaker open; triage skipped")
            return None
        self.counts.started += 1
        outcome, retry_after, result = Outcome.OK, None, None
        try:
            # The triage's own short timeout (the SDK's per-phase timeout is the same; the
            # adapter's bound sits just past it as a backstop).
            result = await asyncio.wait_for(triage.assess(turns, tier), self.config.timeout_s)
        except TimeoutError:
            outcome = Outcome.TIMEOUT
        except TriageError as exc:
            outcome, retry_after = exc.outcome, exc.retry_after_s
        except Exception:
            log.exception("crisis triage failed unexpectedly")
            outcome = Outcome.ERROR
        flag: ClassifierFlag | None = None
        if result is not None:
            self.counts.input_tokens += result.usage.input_tokens
            self.counts.output_tokens += result.usage.output_tokens
            try:
                found = triage_flag(parse_verdict(result.payload), self.config)
            except MalformedTriageError as exc:
                # Fail open, counted; a tier that keeps answering off-schema opens the row.
                self.counts.malformed += 1
                log.warning("crisis triage answer malformed (%s); no flag", exc)
                outcome = Outcome.UNAVAILABLE
                found = None
            if found is not None:
                flag = ClassifierFlag(found[0], (*found[1], f"triage_tier:{tier}"), "triage")
        if outcome is not Outcome.OK and result is None:
            self.counts.failed += 1
            log.warning("crisis triage without a verdict: %s", outcome.value)
        if flag is not None:
            self.counts.flagged += 1
        elif outcome is Outcome.OK:
            self.counts.no_flag += 1

        def write() -> None:
            self.breakers.record(TRIAGE_BREAKER, outcome, retry_after_s=retry_after, probe=probe)

        self.outcomes.submit(write)
        return flag
