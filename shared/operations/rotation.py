"""Secret rotation: Azure OpenAI dual-key rotation, and age alerts for keys no API can rotate.

**Azure OpenAI**: every ``azure_openai`` tier whose resource id setting is set is rotated on its
own, against its own account and Key Vault secret, and verified through its own adapter.
Each account has two keys; Key Vault holds the one in use (the *active* key) and the app
reads the latest version of that secret (a Key Vault reference, re-read by the platform within
24 hours, or :class:`~shared.operations.keyvault.SecretCache`). When the active version is older
than
``rotate_after_days``:

1. Find which account key Key Vault holds, by comparing it with both account keys. The tag a
   previous run left is not trusted: a redeployment can write either key back. If it matches
   neither, stop and raise a critical alert: nothing is regenerated.
2. Regenerate the other one, the *standby*, through the management API.
3. Verify the new key with a real call through the Azure OpenAI adapter (retried a few times,
   since a new key takes a moment to reach every front end).
4. Switch: store it as the new latest secret version, with an expiry, unless another writer
   added a version since step 1.

Storing *is* the switch, because every reader takes the latest version, so the new key is
stored only once verified; a failure at any step leaves Key Vault, and so the active key,
untouched. The old key stays valid as the new standby and is regenerated only on the next
cycle, ``rotate_after_days`` later, long after every instance has moved to the new one: no
request ever holds a dead key.

**OpenAI and Anthropic** keys cannot be created through their APIs: the age of the latest
enabled secret version raises a warning at ``warning_days`` and a critical alert at
``critical_days``.

Safety rails: nothing runs unless ``SECRET_ROTATION_ENABLED=true``; ``SECRET_ROTATION_DRY_RUN=true``
reads and decides but writes nothing (no regeneration, no new version). Every action is audited
(:class:`RotationAudit`, partition ``rotation`` of the ``audit`` table). Audit rows, alerts, logs
and exception messages hold names, versions, ages and outcomes, never a key.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from shared.escalation import Alert, AlertQueue
from shared.models import Outcome, ProviderResult
from shared.operations.health import check_request
from shared.operations.keyvault import (
    KEY_NAMES,
    AccountKeys,
    AccountKeyService,
    KeyMaterialError,
    KeyStores,
    Secret,
    SecretStore,
    azure_key_stores,
    latest_enabled,
    parse_resource_id,
)
from shared.platform import (
    ConfigError,
    ConfigReader,
    Settings,
    TierConfig,
    config_path,
    ensure_table,
    flag,
    iso,
    read_config_file,
    table_client,
)
from shared.providers import AzureOpenAIProvider

log = logging.getLogger(__name__)

CONFIG_FILE = "rotation-config.json"
AUDIT_TABLE = "audit"
AUDIT_PARTITION = "rotation"
TAG_KEY_NAME = "askeve-key-name"
TAG_PREVIOUS = "askeve-previous-version"
TAG_ROTATED_AT = "askeve-rotated-at"
_DAY_S = 86_400.0
# The platform re-reads an unversioned Key Vault reference within 24 hours; a shorter cycle
# could regenerate a key that an instance still holds.
_MIN_ROTATE_AFTER_DAYS = 2.0


# --- config -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgeAlertRule:
    """Alert on the age of ``secret_name`` (a key that cannot be rotated by API)."""

    provider: str
    secret_name: str
    warning_days: float = 80.0
    critical_days: float = 90.0


@dataclass(frozen=True, slots=True)
class RotationConfig:
    rotate_after_days: float = 90.0
    secret_expiry_days: float = 180.0
    verify_attempts: int = 6
    verify_delay_s: float = 10.0
    verify_timeout_s: float = 10.0
    age_alerts: tuple[AgeAlertRule, ...] = ()
    secret_cache_ttl_s: float = 300.0


def parse_rotation_config(data: object) -> RotationConfig:
    """Validate ``rotation-config.json``; errors name the offending field."""
    root = ConfigReader(data, "")
    azure = (
        root.obj("azure_openai") if root.has("azure_openai") else ConfigReader({}, "azure_openai")
    )
    rotate = azure.number("rotate_after_days", 90.0, minimum=_MIN_ROTATE_AFTER_DAYS)
    expiry = azure.number("secret_expiry_days", 2 * rotate, minimum=1.0)
    if expiry <= rotate:
        # The stored key must outlive its turn as the active key, or a late run finds it expired.
        raise ConfigError(f"{azure.where('secret_expiry_days')}: must exceed rotate_after_days")
    rules: list[AgeAlertRule] = []
    for item in root.items("age_alerts") if root.has("age_alerts") else []:
        rule = AgeAlertRule(
            provider=item.text("provider"),
            secret_name=item.text("secret_name"),
            warning_days=item.number("warning_days", 80.0, minimum=1.0),
            critical_days=item.number("critical_days", 90.0, minimum=1.0),
        )
        if rule.critical_days < rule.warning_days:
            raise ConfigError(f"{item.where('critical_days')}: must be at least warning_days")
        rules.append(rule)
    return RotationConfig(
        rotate_after_days=rotate,
        secret_expiry_days=expiry,
        verify_attempts=azure.integer("verify_attempts", 6, minimum=1),
        verify_delay_s=azure.number("verify_delay_s", 10.0),
        verify_timeout_s=azure.number("verify_timeout_s", 10.0, minimum=0.1),
        age_alerts=tuple(rules),
        secret_cache_ttl_s=root.number("secret_cache_ttl_s", 300.0, minimum=1.0),
    )


def load_rotation_config(config_dir: str | Path | None = None) -> RotationConfig:
    """Read and validate ``rotation-config.json`` from ``config_dir`` (default: the repo's)."""
    return read_config_file(config_path(config_dir, CONFIG_FILE), parse_rotation_config)


@dataclass(frozen=True, slots=True)
class RotationTarget:
    """One Azure OpenAI tier's account and the Key Vault secret holding its key copy."""

    tier: str
    resource_id: str  # the value of the tier's resource id setting
    secret_name: str  # the value of the tier's key secret name setting
    resource_setting: str = "AZURE_OPENAI_RESOURCE_ID"  # that setting's name, for errors


def rotation_targets(tiers: Sequence[TierConfig], settings: Settings) -> tuple[RotationTarget, ...]:
    """Every Azure OpenAI tier whose resource id or secret name setting is set, in tier order.

    A tier with only one of the two is still a target, so that the run audits it as
    ``not_configured`` instead of passing over it in silence.
    """
    targets: list[RotationTarget] = []
    for tier in tiers:
        names = tier.settings
        if tier.kind != "azure_openai":
            continue
        resource_id = settings.get(names.resource_id) if names.resource_id else ""
        secret_name = settings.get(names.key_secret_name) if names.key_secret_name else ""
        if resource_id or secret_name:
            targets.append(RotationTarget(tier.name, resource_id, secret_name, names.resource_id))
    return tuple(targets)


@dataclass(frozen=True, slots=True)
class RotationSettings:
    """The app settings the job reads."""

    enabled: bool = False  # SECRET_ROTATION_ENABLED
    dry_run: bool = False  # SECRET_ROTATION_DRY_RUN
    key_vault_uri: str = ""  # KEY_VAULT_URI
    targets: tuple[RotationTarget, ...] = ()  # each tier's resource id and key secret name

    @property
    def resource_ids(self) -> tuple[str, ...]:
        """The accounts to open, once each."""
        return tuple(dict.fromkeys(t.resource_id for t in self.targets if t.resource_id))

    @classmethod
    def from_settings(
        cls, settings: Settings, tiers: Sequence[TierConfig] = ()
    ) -> RotationSettings:
        return cls(
            enabled=flag(settings.get("SECRET_ROTATION_ENABLED")),
            dry_run=flag(settings.get("SECRET_ROTATION_DRY_RUN")),
            key_vault_uri=settings.get("KEY_VAULT_URI"),
            targets=rotation_targets(tiers, settings),
        )


# --- decisions ----------------------------------------------------------------------------


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"


def age_days(created_on: float | None, now: float) -> float | None:
    return None if created_on is None else max(0.0, (now - created_on) / _DAY_S)


def age_level(days: float, rule: AgeAlertRule) -> Level:
    if days >= rule.critical_days:
        return Level.CRITICAL
    if days >= rule.warning_days:
        return Level.WARNING
    return Level.OK


def active_key_name(keys: AccountKeys, value: str) -> str | None:
    """Which account key ``value`` is (compared in constant time), or None."""
    candidate = value.encode()
    for name in KEY_NAMES:
        if hmac.compare_digest(keys.value(name).encode(), candidate):
            return name
    return None


def standby_of(key_name: str) -> str:
    return KEY_NAMES[1] if key_name == KEY_NAMES[0] else KEY_NAMES[0]


# --- what the job reports -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited action. ``fields`` hold names, versions, ages and outcomes only."""

    action: str
    target: str
    fields: Mapping[str, str | float | int | bool] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {"action": self.action, "target": self.target, **self.fields}


class RotationAudit(Protocol):
    def write(self, entry: AuditEntry) -> None:
        """Append one entry; raises on storage failure."""
        ...


class MemoryRotationAudit:
    """Entries in memory (tests, and the fallback when the table cannot be reached)."""

    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def write(self, entry: AuditEntry) -> None:
        self.entries.append(entry)


class TableRotationAudit:
    """Partition ``rotation`` of the ``audit`` table; row keys sort by time."""

    def __init__(self, table: Any, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self._table = table
        self._clock_ns = clock_ns

    @classmethod
    def for_settings(cls, settings: Settings) -> TableRotationAudit:
        client = table_client(settings, AUDIT_TABLE, timeout_s=5.0)
        ensure_table(client)
        return cls(client)

    def write(self, entry: AuditEntry) -> None:
        self._table.create_entity(
            {
                "PartitionKey": AUDIT_PARTITION,
                "RowKey": f"{self._clock_ns():020d}-{entry.action}",
                **entry.row(),
            }
        )


@dataclass(frozen=True, slots=True)
class RotationReport:
    audit: tuple[AuditEntry, ...]
    alerts: tuple[Alert, ...]

    @property
    def actions(self) -> list[str]:
        return [entry.action for entry in self.audit]


Verifier = Callable[[str], Awaitable[ProviderResult]]
# Where the job raises its alerts: normally a push onto the process's AlertQueue.
AlertSink = Callable[[Alert], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class AccountRotation:
    """What rotating one tier's key needs: its secret, its account and its own verifier."""

    secret_name: str
    account: AccountKeyService | None
    verify: Verifier


# --- the job ------------------------------------------------------------------------------


class SecretRotation:
    """One run of the rotation job over injected ports."""

    def __init__(
        self,
        config: RotationConfig,
        settings: RotationSettings,
        *,
        secrets: SecretStore,
        accounts: Sequence[AccountRotation],
        alert: AlertSink,
        audit: RotationAudit,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._config = config
        self._settings = settings
        self._secrets = secrets
        self._accounts = tuple(accounts)
        self._alert = alert
        self._audit = audit
        self._clock = clock
        self._sleep = sleep
        self._entries: list[AuditEntry] = []
        self._alerts: list[Alert] = []

    async def run(self) -> RotationReport:
        """Rotate each Azure OpenAI tier's key if due, then check the other keys' ages."""
        if not self._accounts:
            self._note("not_configured", "azure_openai", reason="no secret or resource")
        for account in self._accounts:
            await self._rotate_azure_openai(account)
        for rule in self._config.age_alerts:
            await self._check_age(rule)
        return RotationReport(tuple(self._entries), tuple(self._alerts))

    # --- Azure OpenAI -------------------------------------------------------------------

    async def _rotate_azure_openai(self, rotation: AccountRotation) -> None:
        target = rotation.secret_name
        if not target or rotation.account is None:
            self._note("not_configured", target or "azure_openai", reason="no secret or resource")
            return
        current = await self._due_secret(target)
        if current is None:
            return
        active = await self._active_key(rotation.account, target, current)
        if active is None:
            return
        if self._settings.dry_run:
            self._note("dry_run", target, active=active, would_regenerate=standby_of(active))
            return
        await self._replace_standby(rotation.account, rotation.verify, target, current, active)

    async def _due_secret(self, target: str) -> Secret | None:
        """The active secret if its version is due for rotation."""
        try:
            current = await self._secrets.get(target)
        except KeyMaterialError as exc:
            await self._failed(target, "read_secret", exc)
            return None
        age = age_days(current.version.created_on, self._clock())
        if age is not None and age < self._config.rotate_after_days:
            self._note("not_due", target, version=current.version.version, age_days=round(age, 2))
            return None
        return current

    async def _active_key(
        self, account: AccountKeyService, target: str, current: Secret
    ) -> str | None:
        """Which account key Key Vault holds; None (audited and alerted) if unknown."""
        try:
            keys = await account.list()
        except KeyMaterialError as exc:
            await self._failed(target, "list_keys", exc)
            return None
        active = active_key_name(keys, current.value)
        if active is None:
            await self._stop(
                "active_key_unknown",
                target,
                Level.CRITICAL,
                "Azure OpenAI key in Key Vault matches neither account key; nothing regenerated",
                version=current.version.version,
            )
        return active

    async def _replace_standby(
        self,
        account: AccountKeyService,
        verify: Verifier,
        target: str,
        current: Secret,
        active: str,
    ) -> None:
        """Regenerate the standby key, verify it, then switch Key Vault to it."""
        standby = standby_of(active)
        try:
            keys = await account.regenerate(standby)
        except KeyMaterialError as exc:
            await self._failed(target, "regenerate", exc, key_name=standby)
            return
        self._note("regenerated", target, key_name=standby)
        if not hmac.compare_digest(keys.value(active).encode(), current.value.encode()):
            # Someone regenerated the active key meanwhile: what Key Vault holds is dead.
            await self._stop(
                "active_key_changed",
                target,
                Level.CRITICAL,
                "Azure OpenAI active key changed during rotation",
                key_name=active,
            )
            return
        outcome = await self._verified(verify, keys.value(standby))
        if outcome is not Outcome.OK:
            await self._stop(
                "verification_failed",
                target,
                Level.WARNING,
                "Azure OpenAI key rotation stopped: the new key failed verification",
                key_name=standby,
                outcome=outcome.value,
            )
            return
        self._note("verified", target, key_name=standby)
        await self._switch(target, current.version.version, keys.value(standby), standby)

    async def _verified(self, verify: Verifier, key: str) -> Outcome:
        outcome = Outcome.ERROR
        for attempt in range(self._config.verify_attempts):
            if attempt:
                await self._sleep(self._config.verify_delay_s)
            outcome = (await verify(key)).outcome
            if outcome is Outcome.OK:
                break
        return outcome

    async def _switch(self, target: str, read_version: str, value: str, key_name: str) -> None:
        now = self._clock()
        try:
            latest = await self._secrets.get(target)
            if latest.version.version != read_version:
                await self._stop(
                    "concurrent_change",
                    target,
                    Level.WARNING,
                    "Azure OpenAI key rotation stopped: the secret changed during the run",
                    version=latest.version.version,
                )
                return
            stored = await self._secrets.set(
                target,
                value,
                tags={
                    TAG_KEY_NAME: key_name,
                    TAG_PREVIOUS: read_version,
                    TAG_ROTATED_AT: iso(now),
                },
                expires_on=now + self._config.secret_expiry_days * _DAY_S,
            )
        except KeyMaterialError as exc:
            await self._failed(target, "switch", exc, key_name=key_name)
            return
        self._note("rotated", target, key_name=key_name, version=stored.version)

    # --- age alerts -----------------------------------------------------------------------

    async def _check_age(self, rule: AgeAlertRule) -> None:
        target = rule.secret_name
        try:
            latest = latest_enabled(await self._secrets.versions(target))
        except KeyMaterialError as exc:
            await self._failed(target, "read_versions", exc)
            return
        days = None if latest is None else age_days(latest.created_on, self._clock())
        if latest is None or days is None:
            title = f"{rule.provider} key: no enabled, dated version in Key Vault"
            await self._stop("age_unknown", target, Level.WARNING, title, provider=rule.provider)
            return
        level = age_level(days, rule)
        fields: dict[str, str | float] = {
            "provider": rule.provider,
            "version": latest.version,
            "age_days": round(days, 2),
        }
        if level is Level.OK:
            self._note("age_ok", target, **fields)
            return
        title = f"{rule.provider} API key is {int(days)} days old: replace it by hand"
        await self._stop(f"age_{level.value}", target, level, title, **fields)

    # --- audit and alerts -----------------------------------------------------------------

    def _note(self, action: str, target: str, **fields: str | float | int | bool) -> None:
        entry = AuditEntry(action, target, fields)
        self._entries.append(entry)
        log.info("secret rotation: %s %s %s", action, target, fields)
        try:
            self._audit.write(entry)
        except Exception as exc:  # noqa: BLE001 - the log line above keeps the record
            log.warning("rotation audit write failed (%s)", type(exc).__name__)

    async def _failed(self, target: str, step: str, exc: KeyMaterialError, **fields: str) -> None:
        # KeyMaterialError messages are built from status codes and names only.
        title = f"Secret rotation step failed: {step}"
        await self._stop(
            "failed", target, Level.WARNING, title, step=step, error=str(exc), **fields
        )

    async def _stop(
        self,
        action: str,
        target: str,
        level: Level,
        title: str,
        **fields: str | float | int | bool,
    ) -> None:
        """Audit ``action`` and raise an alert about it to operations."""
        self._note(action, target, **fields)
        alert = Alert(
            title=f"[{level.value}] {title}",
            dedup_key=f"rotation:{target}:{action}:{fields.get('step', '')}",
            rule=f"rotation_{action}",
            severity=level.value,
            subject=target,
            facts=(
                ("secret", target),
                ("level", level.value),
                *((name.replace("_", " "), str(value)) for name, value in fields.items()),
            ),
        )
        self._alerts.append(alert)
        try:
            await self._alert(alert)
        except Exception as exc:  # noqa: BLE001 - an alert channel must not stop the run
            log.warning("rotation alert not raised (%s): %s", type(exc).__name__, alert.title)


# --- wiring -------------------------------------------------------------------------------


def adapter_verifier(tier: TierConfig, settings: Settings, timeout_s: float) -> Verifier:
    """Verify a key with one real call through ``tier``'s own adapter (its endpoint and
    deployment), authenticating with that key instead of the managed identity."""

    async def verify(key: str) -> ProviderResult:
        names = tier.settings
        env = {**settings.env, names.api_key: key}
        if names.managed_identity:
            env[names.managed_identity] = "false"
        provider = AzureOpenAIProvider(tier, replace(settings, env=env))
        try:
            return await provider.complete(check_request(timeout_s))
        finally:
            await provider.aclose()

    return verify


def queue_sink(alerts: AlertQueue) -> AlertSink:
    """Alerts onto the process's queue; the timer flushes it to the escalation afterwards."""

    async def push(alert: Alert) -> None:
        alerts.push(alert)

    return push


def _audit_for(settings: Settings) -> RotationAudit:
    try:
        return TableRotationAudit.for_settings(settings)
    except Exception as exc:  # noqa: BLE001 - audit still reaches the log
        log.warning(
            "rotation audit table unavailable (%s); auditing to the log", type(exc).__name__
        )
        return MemoryRotationAudit()


async def run_secret_rotation(
    app_settings: Settings,
    tiers: Sequence[TierConfig],
    alerts: AlertQueue,
    *,
    open_stores: Callable[[RotationSettings], contextlib.AbstractAsyncContextManager[KeyStores]]
    | None = None,
    audit: RotationAudit | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> RotationReport:
    """The timer's job: do nothing unless enabled; otherwise run against Key Vault. Alerts go
    onto ``alerts``, for the caller to flush."""
    settings = RotationSettings.from_settings(app_settings, tiers)
    if audit is None:
        audit = await asyncio.to_thread(_audit_for, app_settings)
    if not settings.enabled or not settings.key_vault_uri:
        entry = AuditEntry("disabled", "rotation", {"key_vault": bool(settings.key_vault_uri)})
        with contextlib.suppress(Exception):
            audit.write(entry)
        log.info("secret rotation: disabled")
        return RotationReport((entry,), ())
    config = load_rotation_config(app_settings.config_dir or None)
    opener = open_stores or _azure_stores
    try:
        for target in settings.targets:  # a malformed id stops the run before any client opens
            if target.resource_id:
                parse_resource_id(target.resource_id, setting=target.resource_setting)
        async with opener(settings) as stores:
            accounts = [
                AccountRotation(
                    target.secret_name,
                    stores.accounts.get(target.resource_id),
                    adapter_verifier(
                        next(t for t in tiers if t.name == target.tier),
                        app_settings,
                        config.verify_timeout_s,
                    ),
                )
                for target in settings.targets
            ]
            job = SecretRotation(
                config,
                settings,
                secrets=stores.secrets,
                accounts=accounts,
                alert=queue_sink(alerts),
                audit=audit,
                clock=clock,
                sleep=sleep,
            )
            return await job.run()
    except ValueError as exc:  # a malformed resource id: the message names the setting
        entry = AuditEntry("failed", "rotation", {"step": "open", "error": str(exc)})
        with contextlib.suppress(Exception):
            audit.write(entry)
        log.warning("secret rotation not started: %s", exc)
        return RotationReport((entry,), ())


def _azure_stores(settings: RotationSettings) -> contextlib.AbstractAsyncContextManager[KeyStores]:
    return azure_key_stores(settings.key_vault_uri, settings.resource_ids)
