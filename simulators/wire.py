"""The three providers' wire formats: answer, error and content-filter bodies.

Pure functions over plain JSON values. Answers are fixed, obviously simulated texts: they never
echo or derive from what the user wrote.
"""

from __future__ import annotations

from typing import Any

from simulators.faults import ProviderName

_OPENAI_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Simulated error: the request was invalid."),
    401: ("invalid_request_error", "invalid_api_key", "Simulated error: incorrect API key."),
    403: (
        "invalid_request_error",
        "unsupported_country_region_territory",
        "Simulated error: access to this resource is forbidden.",
    ),
    404: ("invalid_request_error", "model_not_found", "Simulated error: model not found."),
    429: ("requests", "rate_limit_exceeded", "Simulated error: rate limit reached."),
    500: ("server_error", None, "Simulated error: the server had an error."),
    503: ("server_error", None, "Simulated error: the engine is currently overloaded."),
}

_AZURE_ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "Simulated error: the request was invalid."),
    401: ("401", "Simulated error: access denied due to an invalid subscription key."),
    403: ("403", "Simulated error: the principal lacks the required data action."),
    404: ("DeploymentNotFound", "Simulated error: the deployment does not exist."),
    429: ("429", "Simulated error: requests have exceeded the call rate limit."),
    500: ("InternalServerError", "Simulated error: the server had an error."),
    503: ("ServiceUnavailable", "Simulated error: the service is temporarily unavailable."),
}

_ANTHROPIC_ERRORS: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def default_answer(provider: ProviderName) -> str:
    """The safe, generic text a simulated provider answers with."""
    return (
        f"[simulated {provider}] This is a simulated reply from a test provider. "
        "It contains no medical information."
    )


def error_body(provider: ProviderName, status: int, message: str | None = None) -> dict[str, Any]:
    """The provider's real error body for ``status``."""
    if provider == "openai":
        kind, code, text = _OPENAI_ERRORS.get(
            status,
            ("server_error", None, "Simulated error: the server had an error.")
            if status >= 500
            else ("invalid_request_error", None, "Simulated error: the request was invalid."),
        )
        return {"error": {"message": message or text, "type": kind, "param": None, "code": code}}
    if provider == "azure_openai":
        code, text = _AZURE_ERRORS.get(status, (str(status), f"Simulated error {status}."))
        return {"error": {"code": code, "message": message or text}}
    error_type = _ANTHROPIC_ERRORS.get(
        status, "api_error" if status >= 500 else "invalid_request_error"
    )
    return {
        "type": "error",
        "error": {"type": error_type, "message": message or f"Simulated {error_type}."},
    }


def azure_content_filter_body() -> dict[str, Any]:
    """Azure's 400 when the prompt trips its content management policy."""
    safe = {"filtered": False, "severity": "safe"}
    results = dict.fromkeys(("hate", "jailbreak", "sexual", "violence"), safe)
    results["self_harm"] = {"filtered": True, "severity": "medium"}
    return {
        "error": {
            "message": "Simulated error: the prompt triggered the content management policy.",
            "type": None,
            "param": "prompt",
            "code": "content_filter",
            "status": 400,
            "innererror": {
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_result": results,
            },
        }
    }


def estimate_tokens(body: dict[str, Any]) -> int:
    """A rough, deterministic prompt size (about four characters a token)."""
    chars = 0
    system = body.get("system")
    if isinstance(system, str):
        chars += len(system)
    for message in body.get("messages") or []:
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            chars += len(message["content"])
    return max(1, chars // 4)


def openai_answer(
    body: dict[str, Any],
    text: str | None,
    *,
    response_id: str,
    created: int,
    finish_reason: str = "stop",
    azure: bool = False,
    output_tokens: int | None = None,
) -> dict[str, Any]:
    """A ``chat.completion`` object, as OpenAI (or Azure OpenAI) returns it; ``output_tokens``
    defaults to an estimate from the text."""
    prompt_tokens = estimate_tokens(body)
    completion_tokens = _output_tokens(text) if output_tokens is None else output_tokens
    choice: dict[str, Any] = {
        "index": 0,
        "message": {"role": "assistant", "content": text, "refusal": None},
        "logprobs": None,
        "finish_reason": finish_reason,
    }
    answer: dict[str, Any] = {
        "id": response_id,
        "object": "chat.completion",
        "created": created,
        "model": str(body.get("model") or "simulated"),
        "choices": [choice],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "system_fingerprint": "fp_simulated",
    }
    if azure:
        safe = {"filtered": False, "severity": "safe"}
        choice["content_filter_results"] = dict.fromkeys(("hate", "self_harm", "sexual"), safe)
        answer["prompt_filter_results"] = [
            {"prompt_index": 0, "content_filter_results": dict.fromkeys(("hate", "sexual"), safe)}
        ]
    return answer


def anthropic_answer(
    body: dict[str, Any],
    text: str | None,
    *,
    response_id: str,
    stop_reason: str = "end_turn",
    output_tokens: int | None = None,
) -> dict[str, Any]:
    """A ``message`` object, as Anthropic returns it; ``output_tokens`` defaults to an estimate
    from the text."""
    content = [] if text is None else [{"type": "text", "text": text}]
    return {
        "id": response_id,
        "type": "message",
        "role": "assistant",
        "content": content,
        "model": str(body.get("model") or "simulated"),
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": estimate_tokens(body),
            "output_tokens": _output_tokens(text) if output_tokens is None else output_tokens,
        },
    }


def _output_tokens(text: str | None) -> int:
    return 0 if text is None else max(1, len(text) // 4)


def without_content(provider: ProviderName, answer: dict[str, Any]) -> dict[str, Any]:
    """A well-formed JSON answer missing the part that carries the text."""
    missing = "content" if provider == "anthropic" else "choices"
    return {k: v for k, v in answer.items() if k != missing}
