"""Redact identifying details from a short excerpt before it leaves in an escalation."""

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


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def excerpt(text: str, max_chars: int) -> str:
    """A redacted, single-line excerpt of at most ``max_chars`` characters."""
    flat = " ".join(redact(text).split())
    return flat if len(flat) <= max_chars else flat[: max_chars - 1].rstrip() + "…"
