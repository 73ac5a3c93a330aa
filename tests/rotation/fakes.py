"""Loopback fakes of the Azure services the rotation job talks to.

:class:`FakeAzure` keeps one Key Vault and one Azure OpenAI account. The real SDK clients reach
it through :class:`FakeTransport` (an azure-core async transport, so no socket is opened), and
the real Azure OpenAI adapter reaches :class:`FakeOpenAIEndpoint`, a loopback HTTP server that
accepts only the account's current keys. Every key value contains ``FAKE-KEY`` so a test can
search logs and audit rows for any of them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.pipeline.transport import AsyncHttpTransport
from azure.core.rest._http_response_impl_async import AsyncHttpResponseImpl
from azure.core.utils import case_insensitive_dict

VAULT_URL = "https://askeve-test.vault.azure.net"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
RESOURCE_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-askeve-test"
    "/providers/Microsoft.CognitiveServices/accounts/askeve-test-openai"
)
DEPLOYMENT = "gpt-4o-mini"
_CHALLENGE = (
    'Bearer authorization="https://login.microsoftonline.com/'
    f'{SUBSCRIPTION}", resource="https://vault.azure.net"'
)


class FakeCredential:
    """A token credential that hands out a static, obviously fake token."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("fake-token", int(time.time()) + 3600)

    async def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo("fake-token", int(time.time()) + 3600)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> FakeCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


@dataclass
class StoredVersion:
    version: str
    value: str
    created: float
    expires: float | None
    tags: dict[str, str]
    content_type: str | None = None
    enabled: bool = True


@dataclass
class FakeAzure:
    """One Key Vault and Azure OpenAI accounts, on an injected clock.

    ``keys`` are the keys of the account at :data:`RESOURCE_ID`; :meth:`add_account` adds more.
    """

    clock: Callable[[], float]
    keys: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, dict[str, str]] = field(default_factory=dict)  # resource id -> keys
    vault: dict[str, list[StoredVersion]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, operation)
    failures: dict[str, int] = field(default_factory=dict)  # operation -> HTTP status
    after: dict[str, Callable[[], None]] = field(default_factory=dict)  # operation -> hook
    issued: list[str] = field(default_factory=list)  # every key value ever handed out
    _counter: int = 0

    def __post_init__(self) -> None:
        if not self.keys:
            self.keys = {"Key1": self.new_key(), "Key2": self.new_key()}
        self.accounts[RESOURCE_ID] = self.keys

    def add_account(self, resource_id: str) -> dict[str, str]:
        """Another account, with two fresh keys (the dict changes as keys are regenerated)."""
        keys = {"Key1": self.new_key(), "Key2": self.new_key()}
        self.accounts[resource_id] = keys
        return keys

    def new_key(self) -> str:
        self._counter += 1
        key = f"FAKE-KEY-{self._counter:04d}-not-a-real-azure-key"
        self.issued.append(key)
        return key

    def put_secret(
        self, name: str, value: str, *, age_days: float = 0.0, tags: dict[str, str] | None = None
    ) -> StoredVersion:
        self._counter += 1
        stored = StoredVersion(
            version=f"{self._counter:032x}",
            value=value,
            created=self.clock() - age_days * 86_400,
            expires=None,
            tags=dict(tags or {}),
        )
        self.vault.setdefault(name, []).append(stored)
        return stored

    def latest(self, name: str) -> StoredVersion:
        """The newest version (the later one written, of two created in the same second)."""
        versions = self.vault[name]
        return max(enumerate(versions), key=lambda item: (item[1].created, item[0]))[1]

    def writes(self) -> list[str]:
        """Operations that change something."""
        return [op for _method, op in self.requests if op in {"set_secret", "regenerate"}]

    # --- HTTP ----------------------------------------------------------------------------

    def handle(
        self, method: str, url: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(url)
        if parts.hostname and parts.hostname.endswith("vault.azure.net"):
            if "Authorization" not in headers:
                return 401, {"WWW-Authenticate": _CHALLENGE}, b""
            operation, reply = self._vault(method, parts.path.rstrip("/").split("/")[2:], body)
        elif parts.hostname == "management.azure.com":
            operation, reply = self._arm(method, parts.path, body)
        else:
            return 404, {}, b""
        self.requests.append((method, operation))
        status = self.failures.get(operation)
        if status is not None:
            error = {"error": {"code": "Forbidden", "message": "Caller is not authorized"}}
            return status, {"content-type": "application/json"}, json.dumps(error).encode()
        result = reply()
        hook = self.after.pop(operation, None)
        if hook is not None:
            hook()
        return 200, {"content-type": "application/json"}, json.dumps(result).encode()

    def _vault(self, method: str, path: list[str], body: bytes) -> tuple[str, Callable[[], Any]]:
        name = path[0]
        if method == "PUT":
            return "set_secret", lambda: self._set(name, json.loads(body))
        if len(path) > 1 and path[1] == "versions":
            return "list_versions", lambda: {
                "value": [self._bundle(name, v, value=False) for v in self.vault.get(name, [])],
                "nextLink": None,
            }
        return "get_secret", lambda: self._bundle(name, self.latest(name))

    def _set(self, name: str, data: dict[str, Any]) -> dict[str, Any]:
        stored = self.put_secret(name, data["value"], tags=data.get("tags"))
        stored.expires = (data.get("attributes") or {}).get("exp")
        stored.content_type = data.get("contentType")
        return self._bundle(name, stored)

    def _bundle(self, name: str, stored: StoredVersion, *, value: bool = True) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "enabled": stored.enabled,
            "created": int(stored.created),
            "updated": int(stored.created),
            "recoveryLevel": "Recoverable",
        }
        if stored.expires is not None:
            attributes["exp"] = int(stored.expires)
        bundle: dict[str, Any] = {
            "id": f"{VAULT_URL}/secrets/{name}/{stored.version}",
            "attributes": attributes,
            "tags": stored.tags,
        }
        if stored.content_type:
            bundle["contentType"] = stored.content_type
        if value:
            bundle["value"] = stored.value
        return bundle

    def _arm(self, method: str, path: str, body: bytes) -> tuple[str, Callable[[], Any]]:
        [keys] = [k for rid, k in self.accounts.items() if path.startswith(rid + "/")]

        def listed() -> dict[str, str]:
            return {"key1": keys["Key1"], "key2": keys["Key2"]}

        if path.endswith("/regenerateKey"):
            key_name = json.loads(body)["keyName"]

            def regenerate() -> dict[str, str]:
                keys[key_name] = self.new_key()
                return listed()

            return "regenerate", regenerate
        return "list_keys", listed


class _Closable:
    async def close(self) -> None:
        return None


class _Response(AsyncHttpResponseImpl):
    def __init__(self, request: Any, status: int, headers: dict[str, str], body: bytes) -> None:
        lowered = case_insensitive_dict(headers)
        super().__init__(
            request=request,
            internal_response=_Closable(),
            status_code=status,
            reason="OK" if status < 400 else "Error",
            headers=lowered,
            content_type=lowered.get("content-type"),
            stream_download_generator=None,
        )
        self._content = body


class FakeTransport(AsyncHttpTransport):  # type: ignore[type-arg]
    """Hands every request to :class:`FakeAzure`; nothing leaves the process."""

    def __init__(self, azure: FakeAzure) -> None:
        self._azure = azure

    async def send(self, request: Any, **kwargs: Any) -> _Response:
        body = (
            request.content
            if isinstance(request.content, bytes)
            else (request.content or "").encode()
        )
        status, headers, payload = self._azure.handle(
            request.method, request.url, request.headers, body
        )
        return _Response(request, status, headers, payload)

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> FakeTransport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class FakeOpenAIEndpoint:
    """An Azure OpenAI endpoint on loopback that accepts only its account's current keys."""

    def __init__(self, azure: FakeAzure, resource_id: str = RESOURCE_ID) -> None:
        self._azure = azure
        self._resource_id = resource_id
        self.rejecting = False  # answer 401 whatever the key
        self.keys_seen: list[str] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/openai/deployments/{deployment}/chat/completions", self._complete)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _complete(self, request: web.Request) -> web.StreamResponse:
        key = request.headers.get("api-key", "")
        self.keys_seen.append(key)
        if self.rejecting or key not in self._azure.accounts[self._resource_id].values():
            error = {"error": {"code": "401", "message": "Access denied due to invalid key."}}
            return web.json_response(error, status=401)
        if (await request.json()).get("stream"):
            return await self._stream(request)
        return web.json_response(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 0,
                "model": DEPLOYMENT,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "OK"},
                        "finish_reason": "length",
                    }
                ],
                "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
            }
        )

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        """The same one-token answer, streamed as Azure OpenAI streams it (the adapters always
        ask for a stream)."""
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0}
        chunks = [
            {
                **base,
                "model": DEPLOYMENT,
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": "OK"}}],
            },
            {
                **base,
                "model": DEPLOYMENT,
                "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}],
            },
            {
                **base,
                "model": DEPLOYMENT,
                "choices": [],
                "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
            },
        ]
        for chunk in chunks:
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response
