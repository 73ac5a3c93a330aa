"""Typed, frozen configuration, validated once when loaded.

``config/failover-config.json`` describes the tiers and the time budget;
``config/safety-config.json`` holds the safety system prompt, the prohibited-language patterns,
the link allowlist and the SLA numbers. The crisis and emergency replies are composed from
``config/crisis-replies.json`` and ``config/uk-services.json`` (:mod:`shared.signposting`).
Every duration is in seconds (``*_s``). An invalid file fails loudly with the dotted path of
the offending field. Nothing is read at import time: call :func:`load_config`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Mapping, Sized
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

_T = TypeVar("_T")
log = logging.getLogger(__name__)
DEFAULT_CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
CRISIS_CATEGORIES = ("self_harm", "medical_emergency", "safeguarding")

# The safety-critical config files and what in each is safety-critical. The loader records the
# SHA-256 of each one it reads; docs/clinical-safety/safety-case.md states the hashes the
# clinical safety case was assessed against, and a test fails when a file no longer matches.
SAFETY_CRITICAL_FILES: Mapping[str, str] = {
    "crisis-patterns.json": "crisis patterns",
    "safety-config.json": "prohibited patterns, link allowlist, classifier severities",
    "uk-services.json": "UK services: nations, ages, hours, numbers, sources, check dates",
    "crisis-replies.json": "crisis and emergency reply fragments, Welsh texts, approval state",
    "failover-config.json": "tier timings (first token, stall, total, budget), breakers",
    "escalation-config.json": "escalation audiences, channels and retry window",
    "crisis-triage.json": "the language-model crisis triage's prompt, schema and thresholds",
}
_hashes: dict[Path, str] = {}
_hashes_lock = threading.Lock()


def content_hash(raw: bytes) -> str:
    """The hash a safety-critical file is identified by: SHA-256 of its bytes, in hex."""
    return hashlib.sha256(raw).hexdigest()


def loaded_safety_hashes(config_dir: str | Path | None = None) -> dict[str, str]:
    """The hash of each safety-critical file in ``config_dir`` (default: the repo's config/)
    as this process last read it, by file name; files not read yet are absent."""
    folder = Path(config_dir or DEFAULT_CONFIG_DIR).resolve()
    with _hashes_lock:
        return {path.name: digest for path, digest in _hashes.items() if path.parent == folder}


class ConfigError(ValueError):
    """A config file is missing, unreadable or invalid; the message names the field."""


@dataclass(frozen=True, slots=True)
class BucketConfig:
    """A token bucket: refill rate and burst size (see shared.failover.ratelimit)."""

    rate_per_s: float
    burst: int


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    per_conversation: BucketConfig = BucketConfig(rate_per_s=0.5, burst=10)
    per_ip: BucketConfig = BucketConfig(rate_per_s=5.0, burst=60)
    first_delay_s: float = 1.0
    max_delay_s: float = 60.0
    forgive_after_s: float = 60.0
    max_keys: int = 50_000


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    """Circuit-breaker thresholds for one provider."""

    failure_threshold: int = 3
    ratio_threshold: float = 0.5
    ratio_window_s: float = 60.0
    ratio_min_calls: int = 10
    open_s: float = 30.0
    max_open_s: float = 300.0
    probe_lease_margin_s: float = 2.0


@dataclass(frozen=True, slots=True)
class TierSettings:
    """The names of the app settings one tier reads; never their values.

    Like a LiteLLM ``model_list`` entry's ``api_key: os.environ/NAME``: a tier is a deployment,
    so two tiers of one kind read two sets of settings. An empty name means "not read".

    - ``endpoint``: the Azure OpenAI endpoint, or the optional base URL of OpenAI and Anthropic.
    - ``api_key``: the key (for Azure OpenAI, the fallback when ``managed_identity`` is on).
    - ``managed_identity`` (Azure): a flag setting; on means a Microsoft Entra token from the
      app's managed identity instead of the key.
    - ``deployment`` (Azure): the deployment name. When that setting is set it wins; otherwise
      the tier's ``deployment`` in the config file is used.
    - ``api_version`` (Azure): the API version; unset means :data:`DEFAULT_AZURE_API_VERSION`.
    - ``resource_id``, ``key_secret_name`` (Azure): the account's resource id and the Key Vault
      secret holding its key copy. A tier whose resource id setting is set has its key rotated.
    - ``region`` (Azure): the account's region. When that setting is set it wins over the
      tier's ``region`` in the config file (each deployed region calls its own account first,
      so the same tier sits in a different region in each app); see :func:`with_tier_regions`.
    """

    endpoint: str = ""
    api_key: str = ""
    managed_identity: str = ""
    deployment: str = ""
    api_version: str = ""
    resource_id: str = ""
    key_secret_name: str = ""
    region: str = ""


DEFAULT_AZURE_API_VERSION = "2024-10-21"

# The setting names a tier of each kind reads when its config gives no ``settings`` object:
# the names every deployment used before tiers named their own, so those keep working.
# This table is also the list of tier kinds. The platform layer must not import the providers,
# so the provider registry (shared.providers.registry) holds one row per kind that maps it to
# its adapter and checks, when imported, that its kinds are exactly these.
STANDARD_SETTINGS: Mapping[str, TierSettings] = {
    "openai": TierSettings(endpoint="OPENAI_BASE_URL", api_key="OPENAI_API_KEY"),
    "azure_openai": TierSettings(
        endpoint="AZURE_OPENAI_ENDPOINT",
        api_key="AZURE_OPENAI_API_KEY",
        managed_identity="AZURE_OPENAI_USE_MANAGED_IDENTITY",
        deployment="AZURE_OPENAI_DEPLOYMENT",
        api_version="AZURE_OPENAI_API_VERSION",
        resource_id="AZURE_OPENAI_RESOURCE_ID",
        key_secret_name="AZURE_OPENAI_KEY_SECRET_NAME",  # noqa: S106 - a setting name, not a secret
        region="AZURE_OPENAI_REGION",
    ),
    "anthropic": TierSettings(endpoint="ANTHROPIC_BASE_URL", api_key="ANTHROPIC_API_KEY"),
}
TIER_KINDS = tuple(STANDARD_SETTINGS)
# Which names a tier's ``settings`` object may give, and which it must, per kind: the names a
# kind's standard row sets, with the endpoint required only where there is no default URL.
_REQUIRED_SETTINGS: Mapping[str, frozenset[str]] = {
    "openai": frozenset({"api_key"}),
    "azure_openai": frozenset({"endpoint", "api_key"}),
    "anthropic": frozenset({"api_key"}),
}
_SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def allowed_settings(kind: str) -> frozenset[str]:
    """The ``settings`` keys a tier of ``kind`` may name."""
    standard = STANDARD_SETTINGS[kind]
    return frozenset(name for name in standard.__dataclass_fields__ if getattr(standard, name))


@dataclass(frozen=True, slots=True)
class TierConfig:
    """One LLM tier, in failover order."""

    name: str
    kind: str
    model: str
    region: str
    # The tier's answer is streamed; these bound it (see the README's failover section):
    # no first content within first_token_s (the config's old name: timeout_s), or no new
    # content for stall_s once it has started, or no finish within total_s, is a timeout.
    first_token_s: float = 3.0
    stall_s: float = 2.0
    total_s: float = 15.0
    enabled: bool = True
    deployment: str = ""
    breaker: BreakerSettings = field(default_factory=BreakerSettings)
    # None: the kind's standard names (STANDARD_SETTINGS).
    setting_names: TierSettings | None = None

    @property
    def settings(self) -> TierSettings:
        """The names of the app settings this tier reads."""
        if self.setting_names is not None:
            return self.setting_names
        return STANDARD_SETTINGS.get(self.kind, TierSettings())


def emergency_tier(tiers: Sized) -> int:
    """The emergency tier's number: the one after the last LLM tier."""
    return len(tiers) + 1


@dataclass(frozen=True, slots=True)
class FailoverConfig:
    tiers: tuple[TierConfig, ...]
    budget_s: float = 24.0
    finish_reserve_s: float = 0.3
    min_tier_time_s: float = 0.25
    sdk_timeout_margin_s: float = 0.5
    timer_margin_s: float = 1.0
    uk_regions: tuple[str, ...] = ("uksouth", "ukwest")
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)

    @property
    def emergency_tier(self) -> int:
        return emergency_tier(self.tiers)

    def tier(self, name: str) -> TierConfig:
        for tier in self.tiers:
            if tier.name == name:
                return tier
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class SlaConfig:
    crisis_response_s: float = 2.0
    crisis_response_target: float = 0.999
    failover_switch_s: float = 3.0
    availability_target: float = 0.999


@dataclass(frozen=True, slots=True)
class SafetyConfig:
    system_prompt: str
    prohibited_patterns: tuple[re.Pattern[str], ...]
    link_allowlist: tuple[str, ...]
    sla: SlaConfig
    answer_rules: tuple[AnswerRule, ...] = ()


@dataclass(frozen=True, slots=True)
class AnswerRule:
    """One answer-content rule (``answer_rules`` in safety-config.json): unsafe clinical advice
    of one category. ``unless``, found in the same sentence, makes a match a warning instead."""

    id: str
    category: str
    pattern: re.Pattern[str]
    unless: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class AppConfig:
    failover: FailoverConfig
    safety: SafetyConfig


class ConfigReader:
    """Typed access to a JSON object that reports the dotted path of a bad field."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected an object")
        self._data: dict[str, Any] = data
        self._path = path

    def where(self, key: str) -> str:
        return f"{self._path}.{key}" if self._path else key

    def has(self, key: str) -> bool:
        return key in self._data

    def obj(self, key: str) -> ConfigReader:
        if key not in self._data:
            raise ConfigError(f"{self.where(key)}: required")
        return ConfigReader(self._data[key], self.where(key))

    def items(self, key: str) -> list[ConfigReader]:
        value = self._data.get(key)
        if not isinstance(value, list) or not value:
            raise ConfigError(f"{self.where(key)}: expected a non-empty list")
        return [ConfigReader(v, f"{self.where(key)}[{i}]") for i, v in enumerate(value)]

    def text(self, key: str, default: str | None = None) -> str:
        value = self._data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{self.where(key)}: expected a non-empty string")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self._data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{self.where(key)}: expected a list of non-empty strings")
        return tuple(value)

    def number(self, key: str, default: float, *, minimum: float = 0.0) -> float:
        value = self._data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{self.where(key)}: expected a number")
        if value < minimum:
            raise ConfigError(f"{self.where(key)}: must be at least {minimum}")
        return float(value)

    def integer(self, key: str, default: int, *, minimum: int = 0) -> int:
        value = self._data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{self.where(key)}: expected an integer")
        if value < minimum:
            raise ConfigError(f"{self.where(key)}: must be at least {minimum}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self._data.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.where(key)}: expected true or false")
        return value

    def mapping_at_root(self) -> dict[str, Any]:
        """The object this reader reads."""
        return self._data

    def mapping(self, key: str) -> dict[str, Any]:
        value = self._data.get(key, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{self.where(key)}: expected an object")
        return value


def _breaker(reader: ConfigReader, base: BreakerSettings) -> BreakerSettings:
    ratio = reader.number("ratio_threshold", base.ratio_threshold)
    if not 0 < ratio <= 1:
        raise ConfigError(f"{reader.where('ratio_threshold')}: must be in (0, 1]")
    settings = BreakerSettings(
        failure_threshold=reader.integer("failure_threshold", base.failure_threshold, minimum=1),
        ratio_threshold=ratio,
        ratio_window_s=reader.number("ratio_window_s", base.ratio_window_s, minimum=1.0),
        ratio_min_calls=reader.integer("ratio_min_calls", base.ratio_min_calls, minimum=1),
        open_s=reader.number("open_s", base.open_s, minimum=0.001),
        max_open_s=reader.number("max_open_s", base.max_open_s, minimum=0.001),
        probe_lease_margin_s=reader.number(
            "probe_lease_margin_s", base.probe_lease_margin_s, minimum=0.0
        ),
    )
    if settings.max_open_s < settings.open_s:
        raise ConfigError(f"{reader.where('max_open_s')}: must be at least open_s")
    return settings


def _tier_settings(item: ConfigReader, kind: str) -> TierSettings | None:
    """The tier's ``settings`` object, or None for its kind's standard names.

    An object replaces the standard names as a whole, so a second tier never reads the first
    tier's key by accident: names it leaves out are not read at all.
    """
    if not item.has("settings"):
        return None
    reader = item.obj("settings")
    allowed = allowed_settings(kind)
    given = reader.mapping_at_root()
    for key in given:
        if key not in allowed:
            raise ConfigError(
                f"{reader.where(key)}: not a setting of a {kind} tier "
                f"(one of {', '.join(sorted(allowed))})"
            )
    names: dict[str, str] = {}
    for key in sorted(allowed):
        if key not in given:
            if key in _REQUIRED_SETTINGS[kind]:
                raise ConfigError(f"{reader.where(key)}: required")
            continue
        value = reader.text(key)
        if not _SETTING_NAME.fullmatch(value):
            raise ConfigError(f"{reader.where(key)}: not an app setting name: {value!r}")
        names[key] = value
    return TierSettings(**names)


# The first-token time's name before answers were streamed, when it bounded the whole answer.
_OLD_FIRST_TOKEN_KEY = "timeout_s"  # noqa: S105 - a config key, not a password


def _tier_times(item: ConfigReader) -> tuple[float, float, float]:
    """A tier's three stream times; ``timeout_s`` is accepted as the old name of
    ``first_token_s``, so config files written before streaming keep working."""
    base = TierConfig(name="", kind="", model="", region="")
    if item.has("first_token_s") and item.has(_OLD_FIRST_TOKEN_KEY):
        raise ConfigError(
            f"{item.where(_OLD_FIRST_TOKEN_KEY)}: the old name of first_token_s; give one of them"
        )
    key = _OLD_FIRST_TOKEN_KEY if item.has(_OLD_FIRST_TOKEN_KEY) else "first_token_s"
    first_token = item.number(key, base.first_token_s, minimum=0.01)
    stall = item.number("stall_s", base.stall_s, minimum=0.01)
    total = item.number("total_s", max(base.total_s, first_token), minimum=0.01)
    if total < first_token:
        raise ConfigError(f"{item.where('total_s')}: must be at least first_token_s ({key})")
    return first_token, stall, total


def with_tier_regions(failover: FailoverConfig, setting: Callable[[str], str]) -> FailoverConfig:
    """The config with each tier's region taken from its ``region`` setting where that is set
    (``setting`` reads an app setting by name). Residency, health and status all read this."""
    tiers = tuple(
        replace(tier, region=value.strip().lower())
        if tier.settings.region and (value := setting(tier.settings.region)).strip()
        else tier
        for tier in failover.tiers
    )
    return replace(failover, tiers=tiers)


def parse_failover(data: object) -> FailoverConfig:
    """Validate the failover config document."""
    root = ConfigReader(data, "")
    defaults = (
        _breaker(root.obj("breaker_defaults"), BreakerSettings())
        if root.has("breaker_defaults")
        else BreakerSettings()
    )
    tiers: list[TierConfig] = []
    for item in root.items("tiers"):
        kind = item.text("kind")
        if kind not in TIER_KINDS:
            raise ConfigError(f"{item.where('kind')}: must be one of {', '.join(TIER_KINDS)}")
        name = item.text("name")
        if any(t.name == name for t in tiers):
            raise ConfigError(f"{item.where('name')}: duplicate tier name {name!r}")
        first_token, stall, total = _tier_times(item)
        tiers.append(
            TierConfig(
                name=name,
                kind=kind,
                model=item.text("model"),
                region=item.text("region").lower(),
                first_token_s=first_token,
                stall_s=stall,
                total_s=total,
                enabled=item.flag("enabled", True),
                deployment=item.text("deployment") if kind == "azure_openai" else "",
                breaker=_breaker(item.obj("breaker"), defaults)
                if item.has("breaker")
                else defaults,
                setting_names=_tier_settings(item, kind),
            )
        )
    base = FailoverConfig(tiers=())
    return FailoverConfig(
        tiers=tuple(tiers),
        budget_s=root.number("budget_s", base.budget_s, minimum=0.1),
        finish_reserve_s=root.number("finish_reserve_s", base.finish_reserve_s),
        min_tier_time_s=root.number("min_tier_time_s", base.min_tier_time_s),
        sdk_timeout_margin_s=root.number("sdk_timeout_margin_s", base.sdk_timeout_margin_s),
        timer_margin_s=root.number("timer_margin_s", base.timer_margin_s),
        uk_regions=tuple(r.lower() for r in root.strings("uk_regions"))
        if root.has("uk_regions")
        else ("uksouth", "ukwest"),
        rate_limits=_rate_limits(root.obj("rate_limits"))
        if root.has("rate_limits")
        else RateLimitConfig(),
    )


def _bucket(reader: ConfigReader, default: BucketConfig) -> BucketConfig:
    return BucketConfig(
        rate_per_s=reader.number("rate_per_s", default.rate_per_s, minimum=0.001),
        burst=reader.integer("burst", default.burst, minimum=1),
    )


def _rate_limits(reader: ConfigReader) -> RateLimitConfig:
    base = RateLimitConfig()
    return RateLimitConfig(
        per_conversation=_bucket(reader.obj("per_conversation"), base.per_conversation)
        if reader.has("per_conversation")
        else base.per_conversation,
        per_ip=_bucket(reader.obj("per_ip"), base.per_ip) if reader.has("per_ip") else base.per_ip,
        first_delay_s=reader.number("first_delay_s", base.first_delay_s, minimum=1.0),
        max_delay_s=reader.number("max_delay_s", base.max_delay_s, minimum=1.0),
        forgive_after_s=reader.number("forgive_after_s", base.forgive_after_s, minimum=0.0),
        max_keys=reader.integer("max_keys", base.max_keys, minimum=100),
    )


def parse_safety(data: object) -> SafetyConfig:
    """Validate the safety config document."""
    root = ConfigReader(data, "")
    patterns: list[re.Pattern[str]] = []
    for index, source in enumerate(root.strings("prohibited_patterns")):
        try:
            patterns.append(re.compile(source, re.IGNORECASE))
        except re.error as exc:
            raise ConfigError(f"prohibited_patterns[{index}]: invalid pattern: {exc}") from exc
    sla = root.obj("sla") if root.has("sla") else ConfigReader({}, "sla")
    return SafetyConfig(
        system_prompt=root.text("system_prompt"),
        prohibited_patterns=tuple(patterns),
        link_allowlist=tuple(d.lower() for d in root.strings("link_allowlist")),
        sla=SlaConfig(
            crisis_response_s=sla.number("crisis_response_s", 2.0, minimum=0.001),
            crisis_response_target=sla.number("crisis_response_target", 0.999),
            failover_switch_s=sla.number("failover_switch_s", 3.0, minimum=0.001),
            availability_target=sla.number("availability_target", 0.999),
        ),
        answer_rules=_answer_rules(root) if root.has("answer_rules") else (),
    )


def _answer_rules(root: ConfigReader) -> tuple[AnswerRule, ...]:
    """The answer-content rules, each pattern compiled case-insensitively; a bad one is named."""
    rules: list[AnswerRule] = []
    for item in root.items("answer_rules"):
        compiled: dict[str, re.Pattern[str] | None] = {"pattern": None, "unless": None}
        for key in compiled:
            if key == "unless" and not item.has(key):
                continue
            try:
                compiled[key] = re.compile(item.text(key), re.IGNORECASE)
            except re.error as exc:
                raise ConfigError(f"{item.where(key)}: invalid pattern: {exc}") from exc
        pattern = compiled["pattern"]
        assert pattern is not None  # noqa: S101 - compiled above or raised
        rules.append(
            AnswerRule(
                id=item.text("id"),
                category=item.text("category"),
                pattern=pattern,
                unless=compiled["unless"],
            )
        )
    return tuple(rules)


def read_config_file(
    path: Path, parse: Callable[[object], _T], *, default: Callable[[], _T] | None = None
) -> _T:
    """The one loader of a JSON config file: read ``path``, validate it with ``parse``.

    A safety-critical file's content hash is recorded (:func:`loaded_safety_hashes`), even when
    it then fails validation: the hash says which bytes were read.

    Every error is a :class:`ConfigError` that starts with the file's name. A missing file is
    an error, unless ``default`` is given: then it is logged and the default is returned.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        if default is not None:
            log.warning("%s not found; using the defaults", path.name)
            return default()
        raise ConfigError(f"{path.name}: file not found") from exc
    except OSError as exc:
        raise ConfigError(f"{path.name}: {exc}") from exc
    if path.name in SAFETY_CRITICAL_FILES:
        with _hashes_lock:
            _hashes[path.resolve()] = content_hash(raw)
    try:
        data = json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path.name}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path.name}: {exc}") from exc
    try:
        return parse(data)
    except ConfigError as exc:
        raise ConfigError(f"{path.name}: {exc}") from exc


def config_path(config_dir: str | Path | None, name: str) -> Path:
    """``name`` in ``config_dir``, or in the repo's config/ when none is given."""
    return Path(config_dir or DEFAULT_CONFIG_DIR) / name


def load_config(config_dir: str | Path | None = None) -> AppConfig:
    """Read and validate both config files from ``config_dir`` (default: the repo's config/)."""
    return AppConfig(
        failover=read_config_file(config_path(config_dir, "failover-config.json"), parse_failover),
        safety=read_config_file(config_path(config_dir, "safety-config.json"), parse_safety),
    )
