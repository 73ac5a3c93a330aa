"""Keep user-derived text inert in a Teams card.

Teams renders markdown in an Adaptive Card's ``TextBlock`` and ``FactSet`` values, so an
excerpt such as ``**URGENT** [Acknowledge here](https://...)`` would arrive bold, with a live
link, inside an alert that nurses are trained to act on. Every value that goes into a card
derived from what a person wrote (the excerpt: :meth:`Escalation.fact_rows`) is passed
through :func:`escape_markdown` first: each markdown control character is preceded by a
backslash, which the markdown subset of Adaptive Cards reads as "this character, literally".
Links are removed before this, by the excerpt's redaction (:mod:`shared.safety.redact`).

What it does not do: Teams clients disagree on backslash escapes (some mobile clients have
shown the backslashes), so a nurse may see a backslash before a star the person typed; that
is the price of never rendering their text as formatting.
"""

from __future__ import annotations

import re

# Brackets and parentheses (links), emphasis, code, headings, quotes, strikethrough, and the
# backslash itself (so a value cannot cancel the escape that follows it).
_CONTROL = re.compile(r"([\\`*_\[\]()#>~])")


def escape_markdown(value: str) -> str:
    """``value`` with every markdown control character escaped, and on one line (a newline
    would start a new block: a heading or a quote)."""
    return _CONTROL.sub(r"\\\1", " ".join(value.split()))
