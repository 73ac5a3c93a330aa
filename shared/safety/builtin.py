"""The built-in crisis detector: explicit statements only, for when the pattern file is broken.

The reviewed detector (:mod:`shared.safety.crisis`) reads ``config/crisis-patterns.json``. If
that file cannot be read or fails validation, chat must not carry on with detection off: the
gateway falls back to this detector, ``/api/health`` reports ``misconfigured``, and operations
are alerted. It knows a handful of unmistakable first-person statements per category and
nothing else: no negation, no context, no indirect wording. That is deliberate. It is a floor
that must work with no configuration at all, so it lives in code; it is not a substitute for
the reviewed patterns, and it errs towards firing ("i am not suicidal" fires here).

The phrases are hazard H14's control in ``docs/clinical-safety/hazard-log.md``; a change to
them is a clinical change and needs the same review as the pattern file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from shared.models import ChatRequest
from shared.safety.crisis import CrisisMatch

BUILT_IN_SIGNAL = "built_in_explicit"
# The reviewed detector reads the last three user turns; so does this one.
USER_TURNS = 3

_ME = r"(?:myself|my self)"
_PHRASES: dict[str, tuple[str, ...]] = {
    "self_harm": (
        rf"\b(?:kill|killing|hurt|hurting|harm|harming|cut|cutting) {_ME}\b",
        r"\bsuicid(?:e|al)\b",
        r"\b(?:end|ending|take|taking) my (?:own )?life\b",
        r"\b(?:want|wanna|going|planning|plan|ready) to die\b",
        r"\b(?:do not|dont) want to (?:live|be alive|be here any ?more|wake up)\b",
        r"\boverdos(?:e|ed|ing)\b",
    ),
    "medical_emergency": (
        r"\b(?:cannot|can not|cant) breathe?\b",
        r"\bchest pains?\b",
        r"\b(?:bleeding|blood) (?:heavily|everywhere|(?:that )?(?:will not|wont) stop)\b",
        r"\b(?:unconscious|collapsed|not breathing)\b",
    ),
    "safeguarding": (
        r"\b(?:he|she|they|partner|husband|wife|boyfriend|girlfriend) "
        r"(?:hits|hit|beats|beat|is hurting|hurts|strangled|choked) me\b",
        r"\b(?:he|she|they)(?: will| is going to|s going to|ll) kill me\b",
        r"\b(?:i am|im|i was|i have been|ive been) (?:being )?(?:abused|raped)\b",
    ),
}
# First match wins, in the reviewed detector's shipped order of priority.
_ORDER = ("self_harm", "medical_emergency", "safeguarding")
_COMPILED = tuple((c, re.compile("|".join(_PHRASES[c]))) for c in _ORDER)
_QUOTES = re.compile(r"[\u2018\u2019'`]")
_SPACES = re.compile(r"[^a-z0-9]+")


def _plain(text: str) -> str:
    """Lower case, apostrophes dropped ("can't" -> "cant"), anything else one space."""
    return " " + _SPACES.sub(" ", _QUOTES.sub("", text.lower())).strip() + " "


class BuiltInDetector:
    """Explicit crisis statements in the recent user turns; see the module docstring."""

    def detect(self, user_turns: Sequence[str]) -> CrisisMatch | None:
        """The first category, in priority order, whose phrases occur in any recent turn."""
        texts = [_plain(t) for t in user_turns[-USER_TURNS:]]
        for category, pattern in _COMPILED:
            if any(pattern.search(text) for text in texts):
                return CrisisMatch(category=category, signals=(BUILT_IN_SIGNAL,))
        return None

    def detect_request(self, request: ChatRequest) -> CrisisMatch | None:
        """:meth:`detect` over the request's user messages."""
        return self.detect([m.content for m in request.messages if m.role == "user"])


BUILT_IN_DETECTOR = BuiltInDetector()


def detection_state(detector: Callable[[], object]) -> str:
    """``ok`` when the reviewed pattern file loads, else ``misconfigured`` (never raises)."""
    try:
        detector()
    except Exception:  # noqa: BLE001 - any failure to load means the fallback is in use
        return "misconfigured"
    return "ok"
