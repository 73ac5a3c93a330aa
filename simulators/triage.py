"""How the simulated providers answer a crisis-triage request: by a rule over markers.

A triage request is a non-streamed request held to a JSON schema: on OpenAI and Azure OpenAI a
``response_format`` of type ``json_schema``, on Anthropic a forced tool (``tool_choice`` of
type ``tool``). The simulators answer it in the provider's own structured form (the message's
JSON text, or a ``tool_use`` block) from the last marker in the request's user message. The
user's words are never read otherwise, and nothing of them is echoed.

=====================================  ===================================================
marker in a user turn                  the triage answer
=====================================  ===================================================
(none), ``[triage:none]``              ``crisis: false``, category ``none``, confidence 0.9
``[triage:sh]``, ``[triage:me]``,      ``crisis: true``, category ``self_harm``,
``[triage:sg]``                        ``medical_emergency`` or ``safeguarding``, class
                                       ``CATEGORY.simulated``, confidence 0.9
``[triage:sh@0.3]``                    as above, with that confidence
``[triage:malformed]``                 an answer that breaks the schema (``crisis: "yes"``)
``[triage:slow]``                      no crisis, after :data:`SLOW_S` (past any triage
                                       timeout: the caller's own timeout ends it)
``[triage:late:sh]`` (``me``, ``sg``)  a crisis, after :data:`LATE_S` (after an instant
                                       answer and its grace, within the triage timeout)
``[triage:none~150]`` (any marker)     the same answer, after 150 ms (the benchmark's
                                       triage pace; ``slow`` and ``late`` keep theirs)
=====================================  ===================================================

The markers are codes, not category names: the crisis patterns read "self harm" in
``self_harm``, and a test message must be one that only the triage flags.

Faults set on a provider (statuses, hangs, broken bodies) apply to triage requests as to any.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from simulators.faults import ProviderName

SLOW_S = 30.0
LATE_S = 1.5
_MARKER = re.compile(
    r"\[triage:(?:(?P<late>late):)?(?P<what>[a-z_]+)(?:@(?P<confidence>[01](?:\.\d+)?))?"
    r"(?:~(?P<ms>\d{1,5}))?\]"
)
CATEGORIES = {"sh": "self_harm", "me": "medical_emergency", "sg": "safeguarding"}


@dataclass(frozen=True, slots=True)
class TriageAnswer:
    """What the simulator answers, and after how long."""

    payload: dict[str, Any]
    delay_s: float = 0.0


def is_triage(provider: ProviderName, body: dict[str, Any]) -> bool:
    """Whether ``body`` is a structured (schema-held) request."""
    if provider == "anthropic":
        choice = body.get("tool_choice")
        return isinstance(choice, dict) and choice.get("type") == "tool"
    response_format = body.get("response_format")
    return isinstance(response_format, dict) and response_format.get("type") == "json_schema"


def schema_problem(provider: ProviderName, body: dict[str, Any]) -> str | None:
    """Why the real API would refuse the structured part of the request, or None."""
    if provider == "anthropic":
        tools = body.get("tools")
        name = body["tool_choice"].get("name")
        named = [t for t in tools if isinstance(t, dict)] if isinstance(tools, list) else []
        if not any(
            t.get("name") == name and isinstance(t.get("input_schema"), dict) for t in named
        ):
            return "tool_choice: the named tool with an input_schema is required"
        return None
    spec = body["response_format"].get("json_schema")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        return "response_format.json_schema.name: required"
    schema = spec.get("schema")
    if spec.get("strict") is True and (
        not isinstance(schema, dict) or schema.get("additionalProperties") is not False
    ):
        return "response_format.json_schema.schema: strict schemas need additionalProperties false"
    return None


def _user_text(provider: ProviderName, body: dict[str, Any]) -> str:
    texts = []
    for message in body.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            texts.append(content if isinstance(content, str) else json.dumps(content))
    return "\n".join(texts)


def answer_for(provider: ProviderName, body: dict[str, Any]) -> TriageAnswer:
    """The triage answer for a request, from its last marker (see the module docstring)."""
    markers = list(_MARKER.finditer(_user_text(provider, body)))
    none = {"crisis": False, "category": "none", "class": "none", "confidence": 0.9}
    if not markers:
        return TriageAnswer(none)
    marker = markers[-1]
    what = marker["what"]
    paced = int(marker["ms"]) / 1000.0 if marker["ms"] else 0.0
    if what == "malformed":
        return TriageAnswer({"crisis": "yes", "category": "self_harm"}, paced)
    if what == "slow":
        return TriageAnswer(none, SLOW_S)
    category = CATEGORIES.get(what)
    if category is None:
        return TriageAnswer(none, paced)
    confidence = float(marker["confidence"]) if marker["confidence"] else 0.9
    payload = {
        "crisis": True,
        "category": category,
        "class": f"{category}.simulated",
        "confidence": confidence,
    }
    return TriageAnswer(payload, LATE_S if marker["late"] else paced)


def structured_body(
    provider: ProviderName,
    body: dict[str, Any],
    payload: dict[str, Any],
    *,
    response_id: str,
    created: int,
) -> dict[str, Any]:
    """The provider's non-streamed answer carrying ``payload`` in its structured form."""
    text = json.dumps(payload)
    input_tokens = max(1, len(json.dumps(body.get("messages") or [])) // 4)
    output_tokens = max(1, len(text) // 4)
    if provider == "anthropic":
        name = body["tool_choice"].get("name")
        return {
            "id": response_id,
            "type": "message",
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": f"toolu_{response_id}", "name": name, "input": payload}
            ],
            "model": str(body.get("model") or "simulated"),
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        }
    return {
        "id": response_id,
        "object": "chat.completion",
        "created": created,
        "model": str(body.get("model") or "simulated"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": input_tokens,
            "completion_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        },
        "system_fingerprint": "fp_simulated",
    }
