"""A tiny synchronous HTTP client for tests (the dev host runs on its own thread)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any


@dataclass(frozen=True)
class Reply:
    """Status, headers and body of one response."""

    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def call(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    json_body: Any = None,
    timeout: float = 20.0,
) -> Reply:
    """Send one request and return the reply, whatever its status."""
    all_headers = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=body, headers=all_headers, method=method)  # noqa: S310 - loopback test URLs
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback test URLs
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, error.headers, error.read())


def poll(url: str, until: Callable[[Reply], bool], timeout: float = 10.0) -> Reply:
    """GET ``url`` every 5 ms until ``until(reply)`` holds; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        reply = call("GET", url)
        if until(reply):
            return reply
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; last reply {reply}")
        time.sleep(0.005)
