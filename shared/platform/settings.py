"""App settings (environment variables), read once into a typed, frozen value.

Secrets live only here (from app settings or Key Vault references), never in config files.
Provider credentials have no fields of their own: each tier names the settings it reads
(:class:`~shared.platform.config.TierSettings`) and its adapter looks them up with
:meth:`Settings.get`, so a second tier of a kind is just more setting names.
``local.settings.json`` Values count as app settings: the dev host loads them into the
environment, with real environment variables taking precedence.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.platform.flags import flag

log = logging.getLogger(__name__)

DEV_STORAGE = "UseDevelopmentStorage=true"

# What App Service hands the app when it cannot resolve a Key Vault reference: the reference
# text itself. Matched anywhere in a value, in any case and spacing, so that a half-resolved or
# hand-edited value fails closed too.
_KEY_VAULT_REFERENCE = re.compile(r"@\s*microsoft\s*\.\s*keyvault\s*\(", re.IGNORECASE)


def is_unresolved_reference(value: str) -> bool:
    """Whether a setting's value is still an unresolved Key Vault reference."""
    return bool(_KEY_VAULT_REFERENCE.search(value))


def resolved_only(env: Mapping[str, str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """The environment without its unresolved Key Vault references, and their names.

    Such a value is not a secret but a public string: used as ``ACK_LINK_KEY`` it would let
    anyone sign acknowledgements, as a webhook URL it would count as configured. So it is
    treated as missing (fail closed), and each name is logged once, critically, without its
    value."""
    unresolved = tuple(sorted(n for n, v in env.items() if is_unresolved_reference(v)))
    for name in unresolved:
        log.critical(
            "app setting %s is an unresolved Key Vault reference; treated as missing, and "
            "/api/health reports misconfigured",
            name,
        )
    return {n: v for n, v in env.items() if n not in unresolved}, unresolved


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"app setting {name} must be a number, got {raw!r}") from exc


def _table_endpoint(env: Mapping[str, str]) -> str:
    """The table endpoint for identity-based storage, when no connection string is set."""
    if env.get("BREAKER_STORAGE_CONNECTION") or env.get("AzureWebJobsStorage"):
        return ""
    endpoint = env.get("AzureWebJobsStorage__tableServiceUri", "").strip()
    account = env.get("AzureWebJobsStorage__accountName", "").strip()
    if not endpoint and account:
        endpoint = f"https://{account}.table.core.windows.net"
    return endpoint


def _queue_endpoint(env: Mapping[str, str]) -> str:
    """The queue endpoint for identity-based storage, when no connection string is set."""
    if env.get("AzureWebJobsStorage"):
        return ""
    endpoint = env.get("AzureWebJobsStorage__queueServiceUri", "").strip()
    account = env.get("AzureWebJobsStorage__accountName", "").strip()
    if not endpoint and account:
        endpoint = f"https://{account}.queue.core.windows.net"
    return endpoint


@dataclass(frozen=True, slots=True, repr=False)
class Settings:
    """Storage, knobs and every app setting. ``repr`` is suppressed so secrets never reach a log."""

    simulated_providers: bool = False
    storage_connection: str = DEV_STORAGE
    storage_table_endpoint: str = ""
    # The queues stay in the account the queue triggers read, whatever moves the tables.
    queue_connection: str = DEV_STORAGE
    storage_queue_endpoint: str = ""
    breaker_table: str = "breakers"
    escalation_table: str = "escalations"
    status_poll_interval_s: float = 0.1
    config_dir: str = ""
    pseudonym_key: str = ""
    max_body_bytes: int = 2 * 1024 * 1024
    data_residency: str = ""
    escalation_include_excerpt: bool = False
    # The nurse view shows the last turns' text (stored in the escalation's case row): off
    # unless the deploying organisation turns it on.
    escalation_show_messages: bool = False
    env: Mapping[str, str] = field(default_factory=dict)
    # Settings whose value was an unresolved Key Vault reference (names only; treated as unset).
    unresolved: tuple[str, ...] = ()

    def get(self, name: str) -> str:
        """Any other app setting by name (config files refer to settings by name)."""
        return self.env.get(name, "").strip()

    def __repr__(self) -> str:
        return "Settings(<redacted>)"

    @classmethod
    def from_env(cls, raw_env: Mapping[str, str]) -> Settings:
        """Read the settings; a value that is an unresolved Key Vault reference is missing."""
        env, unresolved = resolved_only(raw_env)
        return cls(
            simulated_providers=flag(env.get("ASKEVE_SIMULATED_PROVIDERS")),
            storage_connection=env.get("BREAKER_STORAGE_CONNECTION", "")
            or env.get("AzureWebJobsStorage", "")
            or DEV_STORAGE,
            storage_table_endpoint=_table_endpoint(env),
            queue_connection=env.get("AzureWebJobsStorage", "") or DEV_STORAGE,
            storage_queue_endpoint=_queue_endpoint(env),
            breaker_table=env.get("BREAKER_TABLE_NAME", "") or "breakers",
            escalation_table=env.get("ESCALATION_TABLE_NAME", "") or "escalations",
            status_poll_interval_s=_float(env, "ASKEVE_STATUS_POLL_INTERVAL_MS", 100.0) / 1000.0,
            config_dir=env.get("ASKEVE_CONFIG_DIR", ""),
            pseudonym_key=env.get("PSEUDONYM_KEY", ""),
            max_body_bytes=int(_float(env, "MAX_REQUEST_BODY_BYTES", 2 * 1024 * 1024)),
            data_residency=env.get("DATA_RESIDENCY", "").strip().lower(),
            escalation_include_excerpt=flag(env.get("ESCALATION_INCLUDE_EXCERPT")),
            escalation_show_messages=flag(env.get("ESCALATION_SHOW_MESSAGES")),
            env=env,
            unresolved=unresolved,
        )
