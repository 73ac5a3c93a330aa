"""One non-streamed call that must answer through a JSON schema, on a tier's own SDK client.

The crisis triage (:mod:`shared.safety.triage`) asks a tier for a small structured verdict, not
an answer. Each SDK has its own way to hold a model to a schema:

* OpenAI and Azure OpenAI: ``response_format={"type": "json_schema", "json_schema": {...,
  "strict": true}}`` on Chat Completions; the verdict is the message's JSON text;
* Anthropic: one tool whose ``input_schema`` is the schema, forced with ``tool_choice``; the
  verdict is the ``tool_use`` block's ``input``.

:class:`StructuredCall` is what the caller asks, :class:`StructuredReply` what comes back: the
raw payload (validated by the caller, never here) and the tokens it cost, or an outcome when the
call failed. The adapters build the calls (:meth:`SdkProvider.structured
<shared.providers.sdk_adapter.SdkProvider.structured>`) with the tier's client, so the triage
uses the same credentials, endpoint and no-retry client as the tier's answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.models import Outcome


@dataclass(frozen=True, slots=True)
class StructuredCall:
    """A system prompt, one user message, and the schema the answer must follow."""

    system: str
    user: str
    schema_name: str
    schema: Mapping[str, Any]
    max_tokens: int
    timeout_s: float
    description: str = ""


@dataclass(frozen=True, slots=True)
class StructuredReply:
    """The raw payload (a JSON text or an object), or the outcome of a failed call."""

    outcome: Outcome
    payload: object = None
    input_tokens: int = 0
    output_tokens: int = 0
    retry_after_s: float | None = None


def openai_arguments(call: StructuredCall, model: str) -> dict[str, Any]:
    """Keyword arguments of a non-streamed ``chat.completions.create`` held to the schema."""
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": call.system},
            {"role": "user", "content": call.user},
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": call.schema_name,
                "description": call.description or call.schema_name,
                "schema": dict(call.schema),
                "strict": True,
            },
        },
        "max_tokens": call.max_tokens,
        "temperature": 0,
        "timeout": call.timeout_s,
    }


def openai_reply(completion: Any) -> StructuredReply:
    """The JSON text of the first choice (None when the model refused or wrote nothing)."""
    usage = getattr(completion, "usage", None)
    choices = getattr(completion, "choices", None) or []
    message = choices[0].message if choices else None
    payload = None if message is None or getattr(message, "refusal", None) else message.content
    return StructuredReply(
        Outcome.OK,
        payload,
        input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
    )


def anthropic_arguments(call: StructuredCall, model: str) -> dict[str, Any]:
    """Keyword arguments of a non-streamed ``messages.create`` forced to use the schema tool."""
    return {
        "model": model,
        "max_tokens": call.max_tokens,
        "system": call.system,
        "messages": [{"role": "user", "content": call.user}],
        "tools": [
            {
                "name": call.schema_name,
                "description": call.description or call.schema_name,
                "input_schema": dict(call.schema),
            }
        ],
        "tool_choice": {"type": "tool", "name": call.schema_name},
        "timeout": call.timeout_s,
    }


def anthropic_reply(message: Any, schema_name: str) -> StructuredReply:
    """The input of the schema tool's ``tool_use`` block (None when there is none)."""
    usage = getattr(message, "usage", None)
    payload = None
    for block in getattr(message, "content", None) or []:
        if getattr(block, "type", None) == "tool_use" and getattr(block, "name", "") == schema_name:
            payload = block.input
            break
    return StructuredReply(
        Outcome.OK,
        payload,
        input_tokens=int(getattr(usage, "input_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "output_tokens", 0) or 0),
    )
