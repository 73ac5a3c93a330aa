"""Retractions after a crisis reply: "sorry, it was a joke" in the turn after a disclosure.

Detection reads the last three user turns, so a strong match keeps firing for two more turns
after the person retracts it. That behaviour is kept on purpose (hazard H28): a retraction
straight after a disclosure is common in people at risk, and suppressing the crisis reply would
turn a minimised disclosure into a miss. What this module adds is the measure: a request whose
latest user turn retracts, while only an earlier turn holds the crisis, is a crisis reply that
was followed by a retraction. The gateway reports each one as an audit event
(:data:`RETRACTION_EVENT`, with the pseudonymous conversation reference and the category, never
text), so the count on the status page is read from the audit table, across instances.

The phrases are the everyday ways of taking something back; a phrase that also negates a
crisis ("I'm not going to hurt myself") is left to the detector's own negation rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from shared.safety.text import unify_quotes

RETRACTION_EVENT = "crisis_retracted"

_RETRACTION = re.compile(
    r"\b(?:"
    r"(?<!not )(?<!n't )(?:i was |i'm |im |i am |was |only |just )?"
    r"(?<!not )(?<!n't )(?:joking|kidding|messing|having a laugh)"
    r"|(?:it was|that was|it's|that's|just) (?:a |only a )?(?:joke|test|wind ?up)"
    r"|(?:i )?(?:didn't|didnt|did not|don't|dont|do not) (?:really )?mean (?:it|that)"
    r"|(?:i'm|im|i am) (?:fine|ok|okay|alright|all right) (?:really|honestly|now|actually)"
    r"|(?:please )?(?:ignore|forget|disregard) (?:that|what i (?:said|wrote|typed)|my last message)"
    r"|wrong (?:chat|window|person|conversation)"
    r"|(?:not|wasn't|was not) (?:serious|being serious)"
    r")\b",
    re.IGNORECASE,
)


def is_retraction(text: str) -> bool:
    """Whether ``text`` takes back what was said before."""
    flat = " ".join(unify_quotes(unicodedata.normalize("NFKC", text)).split())
    return bool(_RETRACTION.search(flat))


def retracted_after_crisis(
    user_turns: Sequence[str], detect: Callable[[Sequence[str]], object | None]
) -> bool:
    """Whether the latest of ``user_turns`` retracts a crisis that only an earlier turn holds
    (so the reply before it was a crisis reply, and this one will be again)."""
    if len(user_turns) < 2 or not is_retraction(user_turns[-1]):
        return False
    return detect([user_turns[-1]]) is None and detect(list(user_turns[:-1])) is not None
