"""The third opinion on crisis: a language model's triage of the last user turns, behind a port.

The patterns (:mod:`shared.safety.crisis`) and the content-safety classifier
(:mod:`shared.safety.classifier`) read wording; a language model can read intent. This module
holds the parts of the triage that know nothing of chat or of any SDK:

* :class:`TriageConfig`, ``config/crisis-triage.json`` (a safety file): the prompt, the JSON
  schema the answer must follow, the timeout, the token cap and the confidence that counts;
* :class:`CrisisTriage`, the port (one method, :meth:`CrisisTriage.assess`);
* :func:`triage_input`, the one user message the model reads (the last turns, delimited);
* :func:`parse_verdict`, the strict validation of the model's structured answer, and
  :func:`triage_flag`, the pure rule from a verdict to a crisis category.

The model's words never reach a person: a verdict only selects one of the pre-approved crisis
replies. Anything that is not exactly the schema is :class:`MalformedTriageError` (no flag,
counted).
Its recall is unmeasured until it is run against clinician-labelled messages.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from shared.models import Outcome
from shared.platform import (
    BreakerSettings,
    ConfigError,
    ConfigReader,
    Settings,
    config_path,
    flag,
    read_config_file,
)

TRIAGE_FILE = "crisis-triage.json"
# The breaker row of the triage in the breakers table.
TRIAGE_BREAKER = "crisis_triage"
ENABLED_SETTING = "CRISIS_TRIAGE_ENABLED"
CRISIS_CATEGORIES = ("self_harm", "medical_emergency", "safeguarding")
NO_CRISIS = "none"
_FIELDS = frozenset({"crisis", "category", "class", "confidence"})
# A class becomes a signal the nurses and the logs see: a short label, never free text.
_CLASS = re.compile(r"^[a-z][a-z0-9_]{0,40}(?:\.[a-z][a-z0-9_]{0,40})?$")


@dataclass(frozen=True, slots=True)
class TriageConfig:
    """``config/crisis-triage.json``, validated (durations in seconds)."""

    system_prompt: str
    schema_name: str
    schema: Mapping[str, Any]
    schema_description: str = ""
    version: str = ""
    user_turns: int = 3
    timeout_s: float = 2.0
    max_tokens: int = 120
    min_confidence: float = 0.5
    # The class labels a signal may carry; any other label is reported as ``unlisted``, so a
    # model's free wording (a name, a place) never reaches an alert or a log.
    classes: frozenset[str] = frozenset()
    breaker: BreakerSettings = field(default_factory=BreakerSettings)


def parse_triage(data: object) -> TriageConfig:
    """Validate the triage file; the schema must ask for exactly the four fields, strictly."""
    reader = ConfigReader(data, "")
    schema = reader.mapping("schema")
    properties = schema.get("properties")
    if (
        schema.get("type") != "object"
        or not isinstance(properties, dict)
        or set(properties) != _FIELDS
        or set(schema.get("required") or ()) != _FIELDS
        or schema.get("additionalProperties") is not False
    ):
        raise ConfigError(
            "schema: must be a closed object requiring exactly crisis, category, class, confidence"
        )
    enum = properties["category"].get("enum") if isinstance(properties["category"], dict) else None
    if enum is None or set(enum) != {*CRISIS_CATEGORIES, NO_CRISIS}:
        raise ConfigError(f"schema.properties.category.enum: must be {CRISIS_CATEGORIES} + none")
    name = reader.text("schema_name")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise ConfigError("schema_name: letters, digits, _ and - only (at most 64)")
    confidence = reader.number("min_confidence", 0.5)
    if confidence > 1:
        raise ConfigError("min_confidence: must be at most 1")
    base = BreakerSettings()
    breaker = reader.obj("breaker") if reader.has("breaker") else ConfigReader({}, "breaker")
    return TriageConfig(
        system_prompt=reader.text("system_prompt"),
        schema_name=name,
        schema=schema,
        schema_description=reader.text("schema_description", name),
        version=reader.text("version", "unversioned"),
        user_turns=reader.integer("user_turns", 3, minimum=1),
        timeout_s=reader.number("timeout_s", 2.0, minimum=0.05),
        max_tokens=reader.integer("max_tokens", 120, minimum=16),
        min_confidence=confidence,
        classes=frozenset(reader.strings("classes")) if reader.has("classes") else frozenset(),
        breaker=BreakerSettings(
            failure_threshold=breaker.integer(
                "failure_threshold", base.failure_threshold, minimum=1
            ),
            open_s=breaker.number("open_s", base.open_s, minimum=0.001),
            max_open_s=breaker.number("max_open_s", base.max_open_s, minimum=0.001),
        ),
    )


def triage_enabled(settings: Settings) -> bool:
    """Whether ``CRISIS_TRIAGE_ENABLED`` turns the triage on."""
    return flag(settings.get(ENABLED_SETTING))


def load_triage_config(config_dir: str | Path | None = None) -> TriageConfig:
    """The triage's config, from ``crisis-triage.json`` in ``config_dir`` (hash recorded)."""
    return read_config_file(config_path(config_dir, TRIAGE_FILE), parse_triage)


def triage_input(user_turns: Sequence[str], config: TriageConfig) -> str:
    """The one user message the model reads: the last ``user_turns`` turns, oldest first, each
    between tags (a tag inside a turn is defused, so a turn cannot close its own block)."""
    recent = list(user_turns)[-config.user_turns :]
    blocks = [
        "<message>\n" + turn.replace("<", "\u2039").replace(">", "\u203a") + "\n</message>"
        for turn in recent
    ]
    return "Recent messages from the user, oldest first:\n" + "\n".join(blocks)


@dataclass(frozen=True, slots=True)
class TriageVerdict:
    """The model's structured answer, validated."""

    crisis: bool
    category: str
    triage_class: str
    confidence: float


class MalformedTriageError(ValueError):
    """The model's answer is not exactly the schema (no flag; counted)."""


def parse_verdict(payload: object) -> TriageVerdict:
    """Validate the model's answer strictly: a JSON object (or its text) with exactly the four
    fields, of the right types, a known category, a label-shaped class, a confidence in [0, 1],
    and ``crisis`` true exactly when the category is not ``none``."""
    if isinstance(payload, str | bytes):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise MalformedTriageError("not JSON") from exc
    if not isinstance(payload, dict):
        raise MalformedTriageError("not an object")
    if set(payload) != _FIELDS:
        raise MalformedTriageError("fields are not exactly crisis, category, class, confidence")
    crisis, category = payload["crisis"], payload["category"]
    label, confidence = payload["class"], payload["confidence"]
    if not isinstance(crisis, bool):
        raise MalformedTriageError("crisis is not a boolean")
    if category not in (*CRISIS_CATEGORIES, NO_CRISIS):
        raise MalformedTriageError("unknown category")
    if not isinstance(label, str) or not _CLASS.fullmatch(label):
        raise MalformedTriageError("class is not a label")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise MalformedTriageError("confidence is not a number")
    if not (math.isfinite(confidence) and 0.0 <= confidence <= 1.0):
        raise MalformedTriageError("confidence is outside [0, 1]")
    if crisis != (category != NO_CRISIS):
        raise MalformedTriageError("crisis and category disagree")
    return TriageVerdict(crisis, category, label, float(confidence))


def triage_flag(verdict: TriageVerdict, config: TriageConfig) -> tuple[str, tuple[str, ...]] | None:
    """The crisis category and its signals (names only), when the verdict is a crisis at or
    above the configured confidence; else None."""
    if not verdict.crisis or verdict.confidence < config.min_confidence:
        return None
    label = verdict.triage_class if verdict.triage_class in config.classes else "unlisted"
    signals = (
        f"triage:{verdict.category}",
        f"triage_class:{label}",
        f"triage_confidence:{verdict.confidence:.2f}",
    )
    return verdict.category, signals


@dataclass(frozen=True, slots=True)
class TriageUsage:
    """Tokens one triage call cost (as the provider reported them; 0 when it did not)."""

    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True, slots=True)
class TriageResult:
    """What one call produced: the raw structured payload (unvalidated) and its cost."""

    payload: object
    tier: str
    usage: TriageUsage = TriageUsage()


class TriageError(Exception):
    """The call did not produce a payload; ``outcome`` is what the breaker counts."""

    def __init__(self, outcome: Outcome, retry_after_s: float | None = None) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome
        self.retry_after_s = retry_after_s


class CrisisTriage(Protocol):
    """The port: the model's structured triage of the recent user turns, from ``tier``.
    Raises :class:`TriageError` when the call fails."""

    async def assess(self, user_turns: Sequence[str], tier: str) -> TriageResult: ...

    async def close(self) -> None: ...
