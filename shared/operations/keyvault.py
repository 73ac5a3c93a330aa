"""Where keys live: Key Vault secrets, and the Azure OpenAI account's two keys.

Each is a port with one adapter over the async Azure SDK client (azure-keyvault-secrets,
azure-mgmt-cognitiveservices), which the caller builds and passes in, so tests can hand the
real clients a fake transport. :class:`SecretCache` reads secrets through such a port with a
TTL, so a new secret version is picked up without a restart.

Secret values are held in fields left out of ``repr``, and errors are translated at this
boundary into messages that carry the operation, the HTTP status and the service's error code
only::

    KeyMaterialError
    ├── SecretStoreError      Key Vault refused, failed or could not be reached
    └── AccountKeysError      the management API refused, failed or could not be reached

They are raised ``from None``: an SDK exception's text can quote the response, and nothing
from it is needed beyond the status and code.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

log = logging.getLogger(__name__)

KEY_NAMES = ("Key1", "Key2")
_RESOURCE_ID = re.compile(
    r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.CognitiveServices/accounts/(?P<account>[^/]+)/?",
    re.IGNORECASE,
)


class KeyMaterialError(Exception):
    """A key store failed. The message never holds a secret value."""


class SecretStoreError(KeyMaterialError):
    """Key Vault refused, failed or could not be reached."""


class AccountKeysError(KeyMaterialError):
    """The Azure OpenAI management API refused, failed or could not be reached."""


@dataclass(frozen=True, slots=True)
class SecretVersion:
    """A secret version's metadata. Times are epoch seconds."""

    name: str
    version: str
    created_on: float | None
    expires_on: float | None = None
    enabled: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Secret:
    """A secret version and its value (never shown by ``repr``)."""

    version: SecretVersion
    value: str = field(repr=False)


class SecretStore(Protocol):
    async def get(self, name: str) -> Secret:
        """The latest version of ``name``, with its value."""
        ...

    async def versions(self, name: str) -> list[SecretVersion]:
        """Every version of ``name`` (metadata only), oldest first."""
        ...

    async def set(
        self,
        name: str,
        value: str,
        *,
        tags: Mapping[str, str],
        expires_on: float | None,
        content_type: str = "text/plain",
    ) -> SecretVersion:
        """Store ``value`` as the new latest version of ``name``."""
        ...


@dataclass(frozen=True, slots=True)
class AccountKeys:
    """Both keys of an Azure OpenAI account (values never shown by ``repr``)."""

    key1: str = field(repr=False)
    key2: str = field(repr=False)

    def value(self, key_name: str) -> str:
        if key_name not in KEY_NAMES:
            raise ValueError(f"key name must be one of {', '.join(KEY_NAMES)}")
        return self.key1 if key_name == KEY_NAMES[0] else self.key2


class AccountKeyService(Protocol):
    async def list(self) -> AccountKeys:
        """Both current keys."""
        ...

    async def regenerate(self, key_name: str) -> AccountKeys:
        """Regenerate ``key_name`` (``Key1`` or ``Key2``); both keys afterwards."""
        ...


def latest_enabled(versions: list[SecretVersion]) -> SecretVersion | None:
    """The newest enabled version, which is what an unversioned reference resolves to."""
    enabled = [(v.created_on or 0.0, index, v) for index, v in enumerate(versions) if v.enabled]
    return max(enabled, key=lambda item: item[:2])[2] if enabled else None


# --- Key Vault ------------------------------------------------------------------------------


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _version_of(name: str, properties: Any) -> SecretVersion:
    return SecretVersion(
        name=name,
        version=str(properties.version or ""),
        created_on=_epoch(properties.created_on),
        expires_on=_epoch(properties.expires_on),
        enabled=properties.enabled is not False,
        tags=dict(properties.tags or {}),
    )


def _failure(operation: str, exc: Exception) -> str:
    """``operation failed: HTTP 403 Forbidden`` from an azure-core error, without its text."""
    status = getattr(exc, "status_code", None)
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    parts = [f"{operation} failed:"]
    parts.append(f"HTTP {status}" if isinstance(status, int) else type(exc).__name__)
    if isinstance(code, str) and re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", code):
        parts.append(code)
    return " ".join(parts)


class AzureSecretStore:
    """:class:`SecretStore` over an ``azure.keyvault.secrets.aio.SecretClient``."""

    def __init__(self, client: Any) -> None:
        self._client = client

    async def get(self, name: str) -> Secret:
        try:
            secret = await self._client.get_secret(name)
        except Exception as exc:  # noqa: BLE001 - translated; the SDK's text is not kept
            raise SecretStoreError(_failure(f"read secret {name}", exc)) from None
        return Secret(_version_of(name, secret.properties), str(secret.value or ""))

    async def versions(self, name: str) -> list[SecretVersion]:
        try:
            found = [
                _version_of(name, p)
                async for p in self._client.list_properties_of_secret_versions(name)
            ]
        except Exception as exc:  # noqa: BLE001 - translated; the SDK's text is not kept
            raise SecretStoreError(_failure(f"list versions of {name}", exc)) from None
        return sorted(found, key=lambda v: v.created_on or 0.0)

    async def set(
        self,
        name: str,
        value: str,
        *,
        tags: Mapping[str, str],
        expires_on: float | None,
        content_type: str = "text/plain",
    ) -> SecretVersion:
        expires = None if expires_on is None else datetime.fromtimestamp(expires_on, UTC)
        try:
            secret = await self._client.set_secret(
                name, value, tags=dict(tags), expires_on=expires, content_type=content_type
            )
        except Exception as exc:  # noqa: BLE001 - translated; the SDK's text is not kept
            raise SecretStoreError(_failure(f"store secret {name}", exc)) from None
        return _version_of(name, secret.properties)


# --- the Azure OpenAI account ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountRef:
    subscription_id: str
    resource_group: str
    account: str


def parse_resource_id(resource_id: str, setting: str = "AZURE_OPENAI_RESOURCE_ID") -> AccountRef:
    """``/subscriptions/…/resourceGroups/…/providers/Microsoft.CognitiveServices/accounts/…``;
    a malformed id raises ``ValueError`` naming the app ``setting`` it came from."""
    match = _RESOURCE_ID.fullmatch(resource_id.strip())
    if match is None:
        raise ValueError(f"{setting} must be a Microsoft.CognitiveServices/accounts resource id")
    return AccountRef(match["sub"], match["rg"], match["account"])


class AzureAccountKeys:
    """:class:`AccountKeyService` over an ``azure.mgmt.cognitiveservices.aio`` client."""

    def __init__(self, client: Any, account: AccountRef) -> None:
        self._client = client
        self._account = account

    async def list(self) -> AccountKeys:
        try:
            keys = await self._client.accounts.list_keys(
                self._account.resource_group, self._account.account
            )
        except Exception as exc:  # noqa: BLE001 - translated; the SDK's text is not kept
            raise AccountKeysError(_failure("list account keys", exc)) from None
        return AccountKeys(str(keys.key1 or ""), str(keys.key2 or ""))

    async def regenerate(self, key_name: str) -> AccountKeys:
        if key_name not in KEY_NAMES:
            raise ValueError(f"key name must be one of {', '.join(KEY_NAMES)}")
        try:
            keys = await self._client.accounts.regenerate_key(
                self._account.resource_group, self._account.account, key_name
            )
        except Exception as exc:  # noqa: BLE001 - translated; the SDK's text is not kept
            raise AccountKeysError(_failure(f"regenerate {key_name}", exc)) from None
        return AccountKeys(str(keys.key1 or ""), str(keys.key2 or ""))


# --- reading secrets with a TTL -------------------------------------------------------------


@dataclass(slots=True)
class _Cached:
    value: str = field(repr=False)
    fetched_at: float


class SecretCache:
    """Secret values for at most ``ttl_s``: a rotated key is picked up within the TTL.

    If Key Vault cannot be reached when an entry is stale, the last value is kept (a key that
    worked a moment ago beats none) and the fetch is tried again ``retry_s`` later, so an
    outage does not turn every read into a call to Key Vault.
    """

    def __init__(
        self,
        fetch: Callable[[str], Awaitable[str]],
        *,
        ttl_s: float = 300.0,
        retry_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._ttl_s = ttl_s
        self._retry_s = min(retry_s, ttl_s)
        self._clock = clock
        self._entries: dict[str, _Cached] = {}

    async def get(self, name: str) -> str:
        """The value of ``name``; raises :class:`SecretStoreError` only with nothing cached."""
        now = self._clock()
        cached = self._entries.get(name)
        if cached is not None and 0.0 <= now - cached.fetched_at < self._ttl_s:
            return cached.value
        try:
            value = await self._fetch(name)
        except KeyMaterialError as exc:
            if cached is None:
                raise
            log.warning("secret %s not refreshed (%s); keeping the cached value", name, exc)
            # Served as if fetched so that it goes stale again retry_s from now.
            self._entries[name] = _Cached(cached.value, now - self._ttl_s + self._retry_s)
            return cached.value
        self._entries[name] = _Cached(value, now)
        return value

    def invalidate(self, name: str | None = None) -> None:
        """Forget one entry (or all), so the next read fetches afresh."""
        if name is None:
            self._entries.clear()
        else:
            self._entries.pop(name, None)


def store_fetch(store: SecretStore) -> Callable[[str], Awaitable[str]]:
    """A :class:`SecretCache` fetch function over a :class:`SecretStore`."""

    async def fetch(name: str) -> str:
        return (await store.get(name)).value

    return fetch


# --- the Azure clients ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyStores:
    """The ports a rotation run uses: the vault, and one account service per resource id."""

    secrets: SecretStore
    accounts: Mapping[str, AccountKeyService] = field(default_factory=dict)


@contextlib.asynccontextmanager
async def azure_key_stores(
    vault_uri: str,
    resource_ids: Sequence[str] = (),
    *,
    credential: Any = None,
    transport: Any = None,
    retry_total: int = 3,
) -> AsyncIterator[KeyStores]:
    """Key Vault and management clients on ``credential`` (default: the managed identity,
    through ``DefaultAzureCredential``), closed on exit. ``transport`` is for tests."""
    from azure.keyvault.secrets.aio import SecretClient  # noqa: PLC0415 - heavy, lazy
    from azure.mgmt.cognitiveservices.aio import (  # noqa: PLC0415 - heavy, lazy
        CognitiveServicesManagementClient,
    )

    refs = {resource_id: parse_resource_id(resource_id) for resource_id in resource_ids}
    options: dict[str, Any] = {"retry_total": retry_total}
    if transport is not None:
        options["transport"] = transport
    async with contextlib.AsyncExitStack() as stack:
        if credential is None:
            from azure.identity.aio import DefaultAzureCredential  # noqa: PLC0415 - lazy

            credential = await stack.enter_async_context(DefaultAzureCredential())
        secrets = await stack.enter_async_context(SecretClient(vault_uri, credential, **options))
        # One management client per subscription, shared by the accounts in it.
        clients: dict[str, Any] = {}
        accounts: dict[str, AccountKeyService] = {}
        for resource_id, ref in refs.items():
            if ref.subscription_id not in clients:
                clients[ref.subscription_id] = await stack.enter_async_context(
                    CognitiveServicesManagementClient(credential, ref.subscription_id, **options)
                )
            accounts[resource_id] = AzureAccountKeys(clients[ref.subscription_id], ref)
        yield KeyStores(AzureSecretStore(secrets), accounts)
