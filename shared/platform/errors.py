"""Client-facing errors in the OpenAI error shape.

``{"error": {"type", "message", "param", "code"}}`` with a 4xx status: the bot's SDK understands
it, and the message names the offending field. A malformed request never becomes a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ApiError(Exception):
    """A request the gateway refuses, with the HTTP status to answer with."""

    status: int
    message: str
    param: str | None = None
    code: str | None = None
    type: str = "invalid_request_error"
    retry_after_s: int | None = None

    def __str__(self) -> str:
        return self.message

    def to_body(self) -> dict[str, Any]:
        return {
            "error": {
                "type": self.type,
                "message": self.message,
                "param": self.param,
                "code": self.code,
            }
        }


def invalid(message: str, param: str | None = None, code: str = "invalid_value") -> ApiError:
    return ApiError(status=400, message=message, param=param, code=code)
