"""The language-model crisis triage as an offline detector, for measuring its recall.

    python -m scripts.evaluate_crisis --detector triage FILE

reads the provider settings from the environment (as the app does: ``OPENAI_API_KEY``,
``AZURE_OPENAI_*``, ``DATA_RESIDENCY``, ...) and asks the first tier the policy permits, with
the shipped ``config/crisis-triage.json``, exactly as the gateway does (the same adapter, the
same strict verdict rule, the same confidence). What differs is what a measurement needs: no
breakers, and a call that fails is tried again (up to three times) and then stops the run,
because a failure scored as "no crisis" would understate recall. A malformed answer is scored
as the gateway treats it: no flag.

Against the simulators the figures measure nothing but the markers; the recall of the triage
is unmeasured until this runs against clinician-labelled messages with the real model.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from shared.failover import ProviderTriage, residency_policy
from shared.platform import Settings, load_config, with_tier_regions
from shared.providers import build_providers
from shared.providers.registry import close_providers
from shared.safety import CrisisMatch, load_triage_config
from shared.safety.triage import MalformedTriageError, TriageError, parse_verdict, triage_flag

ATTEMPTS = 3


class TriageUnavailableError(RuntimeError):
    """No tier can be asked, or a call kept failing: the measurement cannot go on."""


@dataclass
class TriageTally:
    """What the run's calls did (printed by the caller if it wants)."""

    calls: int = 0
    retries: int = 0
    malformed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


class TriageDetector:
    """``detect(user_turns) -> CrisisMatch | None`` over the triage of the first permitted
    tier; one event loop for the whole run, so the SDK client is reused."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        settings = Settings.from_env(os.environ if env is None else env)
        config = load_config(settings.config_dir or None)
        config = replace(config, failover=with_tier_regions(config.failover, settings.get))
        self._providers = build_providers(config, settings)
        blocked = residency_policy(config.failover, settings.data_residency)
        tiers = [
            t.name
            for t in config.failover.tiers
            if t.enabled and blocked(t.name) is None and self._providers[t.name].configured
        ]
        if not tiers:
            msg = "no tier the policy permits is configured: set its provider settings"
            raise TriageUnavailableError(msg)
        self.tier = tiers[0]
        self._config = load_triage_config(settings.config_dir or None)
        self._triage = ProviderTriage(self._providers, self._config)
        self._loop = asyncio.new_event_loop()
        self.tally = TriageTally()
        self._sleep = sleep

    def detect(self, user_turns: Sequence[str]) -> CrisisMatch | None:
        """The crisis the triage finds in ``user_turns``, or None."""
        return self._loop.run_until_complete(self._detect(user_turns))

    def close(self) -> None:
        """Close the SDK clients, then the loop (once; later calls do nothing)."""
        if self._loop.is_closed():
            return
        self._loop.run_until_complete(close_providers(self._providers))
        self._loop.close()

    async def _detect(self, user_turns: Sequence[str]) -> CrisisMatch | None:
        for attempt in range(ATTEMPTS):
            self.tally.calls += 1
            try:
                result = await self._triage.assess(user_turns, self.tier)
            except TriageError as exc:
                name = exc.outcome.value
                self.tally.outcomes[name] = self.tally.outcomes.get(name, 0) + 1
                if attempt + 1 == ATTEMPTS:
                    msg = f"tier {self.tier}: the triage failed {ATTEMPTS} times ({name})"
                    raise TriageUnavailableError(msg) from exc
                self.tally.retries += 1
                await self._sleep(2.0**attempt)
                continue
            self.tally.input_tokens += result.usage.input_tokens
            self.tally.output_tokens += result.usage.output_tokens
            try:
                found = triage_flag(parse_verdict(result.payload), self._config)
            except MalformedTriageError:
                self.tally.malformed += 1
                return None
            return None if found is None else CrisisMatch(category=found[0], signals=found[1])
        return None  # not reached: the last attempt returns or raises


class _CommandLineTriage:
    """The detector as the evaluation command uses it: a run that cannot go on ends with a
    one-line reason (exit 2) instead of a traceback, and the clients close at exit."""

    def __init__(self) -> None:
        try:
            self._detector = TriageDetector()
        except TriageUnavailableError as exc:
            sys.stderr.write(f"evaluate_crisis --detector triage: {exc}\n")
            raise SystemExit(2) from exc
        atexit.register(self._detector.close)

    def detect(self, user_turns: Sequence[str]) -> CrisisMatch | None:
        try:
            return self._detector.detect(user_turns)
        except TriageUnavailableError as exc:
            sys.stderr.write(f"evaluate_crisis --detector triage: {exc}\n")
            raise SystemExit(2) from exc


def command_line_detector(_options: object) -> _CommandLineTriage:
    """The ``triage`` entry of the evaluation command's detector registry."""
    return _CommandLineTriage()
