"""The classifier's second opinion on crisis, run beside the chat orchestration, never in its way.

The gateway starts :meth:`SecondOpinion.start` as soon as a request is parsed and the pattern
detector has not fired. The check is two lookups at once: the content-safety classifier
(through its breaker, within its own timeout) and the conversation's owed crisis reply (a late
flag on an earlier message). Then :meth:`SecondOpinion.race` decides:

* the check flags before the answer is ready: the crisis reply wins, the caller cancels the
  answer (the gateway terminates and purges its orchestration);
* the answer is ready first: it waits at most ``grace_s`` for the check, then goes out;
* a check still running then is followed by :meth:`SecondOpinion.follow`: a late flag
  escalates (marked late) and owes the conversation its crisis reply.

Nothing here raises into chat: a slow, failing or unreachable check is a check without a flag,
and its outcome goes to the ``content_safety`` breaker like any provider's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from shared.breakers import BreakerService, OutcomeWriter
from shared.escalation import PendingCrisisStore
from shared.models import Outcome
from shared.safety import (
    BREAKER_NAME,
    ClassifierConfig,
    ClassifierError,
    ClassifierFlag,
    ContentSafety,
    crisis_flag,
)

log = logging.getLogger(__name__)

OWED_SIGNAL = "classifier:owed-after-late-flag"
# The breaker admission is read from a 1 s cache; a cold, slow store must not hold the check.
ADMISSION_WAIT_S = 0.5

_DETACHED: set[asyncio.Task[Any]] = set()


def detach(work: Coroutine[Any, Any, Any]) -> None:
    """Run ``work`` in the background, keeping a reference until it ends."""
    task = asyncio.ensure_future(work)
    _DETACHED.add(task)
    task.add_done_callback(_DETACHED.discard)


@dataclass
class SecondOpinion:
    """The classifier check's lifecycle for one process. ``classifier`` None: the layer is off,
    and :attr:`off_reason` says why (``/api/health`` reports it)."""

    classifier: ContentSafety | None
    config: ClassifierConfig
    breakers: BreakerService
    outcomes: OutcomeWriter
    pending: PendingCrisisStore
    off_reason: str | None = None
    auth: str = "key"

    @property
    def enabled(self) -> bool:
        return self.classifier is not None

    def describe(self) -> dict[str, Any]:
        """The layer's state for ``/api/health`` (no secrets, no endpoint)."""
        if self.classifier is None:
            return {"enabled": False, "reason": self.off_reason}
        return {
            "enabled": True,
            "auth": self.auth,
            "grace_ms": round(self.config.grace_s * 1000.0, 3),
            "timeout_s": self.config.timeout_s,
            "crisis_severities": {
                rule.service_category: {
                    "crisis_category": rule.crisis_category,
                    "severity": rule.crisis_severity,
                }
                for rule in self.config.rules
            },
        }

    async def close(self) -> None:
        """Close the classifier's client (on the loop that used it)."""
        if self.classifier is not None:
            await self.classifier.close()

    def start(
        self, text: str, conversation_ref: str | None, *, owed: bool = False
    ) -> asyncio.Task[ClassifierFlag | None] | None:
        """Start the check of ``text`` (the latest user message); None when the layer is off.
        With ``owed`` (another second opinion, the triage, is on and may have flagged late),
        the conversation's owed crisis reply is looked up even when the classifier is off."""
        if self.classifier is None and not (owed and conversation_ref is not None):
            return None
        return asyncio.ensure_future(self._check(self.classifier, text, conversation_ref))

    async def race(
        self, check: asyncio.Future[ClassifierFlag | None] | None, answer: asyncio.Future[Any]
    ) -> ClassifierFlag | None:
        """The flag that must replace ``answer``, or None once ``answer`` may go out
        (:func:`race`, within this layer's grace)."""
        return await race(check, answer, self.config.grace_s)

    def follow(
        self,
        check: asyncio.Future[ClassifierFlag | None] | None,
        conversation_ref: str | None,
        escalate: Callable[[ClassifierFlag], Awaitable[None]],
    ) -> None:
        """After the answer went out (a flag it did not use): a late flag escalates
        (``escalate``) and owes the conversation its crisis reply."""
        if check is None or (check.done() and check.result() is None):
            return

        async def late() -> None:
            flag = await check
            if flag is None:
                return
            log.warning("%s flagged a message after its answer; escalating (late)", flag.source)
            if conversation_ref is None:
                log.warning("late flag without a conversation id: no crisis reply can be owed")
            else:
                try:
                    await asyncio.to_thread(
                        self.pending.owe, conversation_ref, flag.crisis_category
                    )
                except Exception:
                    log.exception("owed crisis reply not recorded")
            try:
                await escalate(flag)
            except Exception:
                log.critical("late crisis escalation could not start", exc_info=True)

        detach(late())

    async def _check(
        self, classifier: ContentSafety | None, text: str, conversation_ref: str | None
    ) -> ClassifierFlag | None:
        lookups: set[asyncio.Future[ClassifierFlag | None]] = set()
        if classifier is not None:
            lookups.add(asyncio.ensure_future(self._classify(classifier, text)))
        if conversation_ref is not None:
            lookups.add(asyncio.ensure_future(self._owed(conversation_ref)))
        while lookups:
            done, lookups = await asyncio.wait(lookups, return_when=asyncio.FIRST_COMPLETED)
            for lookup in done:
                flag = lookup.result()
                if flag is not None:
                    for rest in lookups:  # the classifier still records its outcome
                        detach(_quietly(rest))
                    return flag
        return None

    async def _owed(self, conversation_ref: str) -> ClassifierFlag | None:
        try:
            category = await asyncio.to_thread(self.pending.take, conversation_ref)
        except Exception:
            log.exception("owed crisis replies unreadable")
            return None
        if category is None:
            return None
        # The store keeps the category only; with the classifier off only the triage can owe.
        source = "classifier" if self.classifier is not None else "triage"
        return ClassifierFlag(category, (OWED_SIGNAL,), source)

    async def _classify(self, classifier: ContentSafety, text: str) -> ClassifierFlag | None:
        try:
            admission = await asyncio.wait_for(
                asyncio.to_thread(self.breakers.admit, BREAKER_NAME), ADMISSION_WAIT_S
            )
            allowed, probe = admission.allowed, admission.probe
        except Exception:  # noqa: BLE001 - breakers never block a check (nor chat)
            allowed, probe = True, False
        if not allowed:
            log.info("content-safety breaker open; check skipped")
            return None
        outcome, retry_after, severities = Outcome.OK, None, None
        try:
            severities = await asyncio.wait_for(classifier.analyze(text), self.config.timeout_s)
        except TimeoutError:
            outcome = Outcome.TIMEOUT
        except ClassifierError as exc:
            outcome, retry_after = exc.outcome, exc.retry_after_s
        except Exception:
            log.exception("content-safety check failed unexpectedly")
            outcome = Outcome.ERROR
        if outcome is not Outcome.OK:
            log.warning("content-safety check without a result: %s", outcome.value)

        def write() -> None:
            self.breakers.record(BREAKER_NAME, outcome, retry_after_s=retry_after, probe=probe)

        self.outcomes.submit(write)
        return None if severities is None else crisis_flag(severities, self.config)


async def race(
    check: asyncio.Future[ClassifierFlag | None] | None,
    answer: asyncio.Future[Any],
    grace_s: float,
) -> ClassifierFlag | None:
    """The flag that must replace ``answer``, or None once ``answer`` may go out.

    Returns as soon as the check flags; if ``answer`` is ready first, waits at most ``grace_s``
    for the check. Never awaits ``answer`` itself past the check's end."""
    if check is None:
        return None
    done, _ = await asyncio.wait({check, answer}, return_when=asyncio.FIRST_COMPLETED)
    if check not in done:
        done, _ = await asyncio.wait({check}, timeout=grace_s)
        if check not in done:
            return None
    return check.result()


def first_flag(
    checks: list[asyncio.Task[ClassifierFlag | None]],
) -> asyncio.Task[ClassifierFlag | None] | None:
    """One check of several: done with the first flag any of them raises, or with None once
    all have ended without one (None when there is nothing to check). A check that raises is a
    check without a flag. The checks left running keep running (their outcomes are recorded)."""
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]

    async def first() -> ClassifierFlag | None:
        pending: set[asyncio.Future[ClassifierFlag | None]] = set(checks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for check in done:
                if check.cancelled():
                    continue
                if check.exception() is None and check.result() is not None:
                    for rest in pending:
                        detach(_quietly(rest))
                    return check.result()
                if check.exception() is not None:
                    log.error("a crisis check failed", exc_info=check.exception())
        return None

    return asyncio.ensure_future(first())


async def _quietly(work: asyncio.Future[Any]) -> None:
    try:
        await work
    except Exception:
        log.exception("a crisis check or lookup failed")
