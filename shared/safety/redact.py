"""Redact identifying details from a short excerpt before it leaves in an escalation.

Contact details (e-mail, phone, NHS number, postcode, links) are found by their shape. Names
have no shape: only a name that follows a cue ("my name is", "I'm called", a title such as
"Mrs" or "Dr", "my daughter/husband/GP ...") is redacted. A name written without a cue ("Sarah
said I should ask") is not, which is why the excerpt is off unless the deployer turns it on
(``ESCALATION_INCLUDE_EXCERPT``) after its DPIA.
"""

from __future__ import annotations

import re

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Links first, in any case, with or without a scheme: ``HTTPS://``, ``//host``, ``www.``.
    # A link left in an excerpt is one a nurse might follow from the alert.
    (
        re.compile(r"(?:\b[a-z][a-z0-9+.-]*:)?//\S+|\bwww\.\S+", re.IGNORECASE),
        "[link]",
    ),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # NHS numbers: 10 digits, often written 3-3-4.
    (re.compile(r"\b\d{3}[\s-]?\d{3}[\s-]?\d{4}\b"), "[nhs-number]"),
    # UK and international phone numbers: +44 or 0 followed by 9-10 more digits, spaced freely.
    (re.compile(r"(?:\+\s?\d{1,3}[\s-]?|\b0)(?:\d[\s-]?){8,11}\d\b"), "[phone]"),
    (re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE), "[postcode]"),
)


# A name after a cue: one to three capitalised words (with hyphens or apostrophes), kept cue.
_NAME = r"[A-Z][a-zA-Z'\-]+(?:\s+[A-Z][a-zA-Z'\-]+){0,2}"
_NAME_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"(?i:\b(?:my name is|my name's|name is|i am called|i'm called|call me|"
            r"this is|signed|regards|thanks)\s+)" + _NAME
        ),
        "[name]",
    ),
    (re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Nurse|Sister)\.?\s+" + _NAME), "[name]"),
    (
        re.compile(
            r"(?i:\bmy\s+(?:husband|wife|partner|son|daughter|mum|mother|dad|father|sister|"
            r"brother|friend|carer|gp|doctor|consultant|nurse|boyfriend|girlfriend|niece|"
            r"nephew|aunt|uncle|grandson|granddaughter)\s*,?\s+)" + _NAME
        ),
        "[name]",
    ),
)


def _name(match: re.Match[str]) -> str:
    """Keep the cue, replace the name: "my daughter Emma" -> "my daughter [name]"."""
    whole = match.group(0)
    for start in range(len(whole)):
        if whole[start].isupper() and (start == 0 or not whole[start - 1].isalpha()):
            tail = whole[start:]
            if re.fullmatch(_NAME, tail):
                return whole[:start] + "[name]"
    return "[name]"


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    for pattern, _ in _NAME_PATTERNS:
        text = pattern.sub(_name, text)
    return text


def excerpt(text: str, max_chars: int) -> str:
    """A redacted, single-line excerpt of at most ``max_chars`` characters."""
    flat = " ".join(redact(text).split())
    return flat if len(flat) <= max_chars else flat[: max_chars - 1].rstrip() + "…"
