"""The second opinion on crisis: a content-safety classifier, behind a small port.

The pattern detector (:mod:`shared.safety.crisis`) is deterministic and reviewable, but it
misses fresh, indirect wording. A classifier trained on far more language is a second,
independent detector. This module holds its parts that know nothing of chat:

* :class:`ClassifierConfig`, the ``classifier`` object of ``config/safety-config.json``: per
  service category, the crisis category it maps to and the severity that counts as crisis;
  the grace an answer waits for the check, and the check's own timeout;
* :class:`ContentSafety`, the port (one method, :meth:`ContentSafety.analyze`);
* :class:`AzureContentSafety`, its one adapter, over the ``azure-ai-contentsafety`` client;
* :func:`crisis_flag`, the pure rule from severities to a crisis category.

Failures of the service are typed (:class:`ClassifierError` with an
:class:`~shared.models.Outcome`), so the breaker sees them as it sees a provider's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from shared.models import Outcome
from shared.platform import (
    BreakerSettings,
    ConfigError,
    ConfigReader,
    Settings,
    config_path,
    flag,
    read_config_file,
)

log = logging.getLogger(__name__)

# The service's four text categories (the REST API's spelling).
SERVICE_CATEGORIES = ("Hate", "SelfHarm", "Sexual", "Violence")
OUTPUT_TYPES = ("FourSeverityLevels", "EightSeverityLevels")
# The crisis categories a classifier flag may map to (those with a pre-approved reply).
CLASSIFIER_CRISIS_CATEGORIES = ("self_harm", "safeguarding", "medical_emergency")
# The breaker row of the classifier in the breakers table.
BREAKER_NAME = "content_safety"

ENDPOINT_SETTING = "CONTENT_SAFETY_ENDPOINT"
KEY_SETTING = "CONTENT_SAFETY_KEY"
MANAGED_IDENTITY_SETTING = "CONTENT_SAFETY_USE_MANAGED_IDENTITY"


@dataclass(frozen=True, slots=True)
class CategoryRule:
    """One service category that can flag crisis, and from which severity."""

    service_category: str
    crisis_category: str
    crisis_severity: int


@dataclass(frozen=True, slots=True)
class ClassifierConfig:
    """The ``classifier`` object of ``safety-config.json`` (durations in seconds)."""

    rules: tuple[CategoryRule, ...] = (
        CategoryRule("SelfHarm", "self_harm", 4),
        CategoryRule("Violence", "safeguarding", 6),
    )
    grace_s: float = 0.15
    timeout_s: float = 2.0
    output_type: str = "FourSeverityLevels"
    breaker: BreakerSettings = field(default_factory=BreakerSettings)

    @property
    def service_categories(self) -> tuple[str, ...]:
        return tuple(rule.service_category for rule in self.rules)


def parse_classifier(data: object) -> ClassifierConfig:
    """Validate the ``classifier`` object of the safety config (absent: the defaults)."""
    root = ConfigReader(data, "")
    if not root.has("classifier"):
        return ClassifierConfig()
    reader = root.obj("classifier")
    output_type = reader.text("output_type", "FourSeverityLevels")
    if output_type not in OUTPUT_TYPES:
        raise ConfigError(f"{reader.where('output_type')}: must be one of {OUTPUT_TYPES}")
    top = 7 if output_type == "EightSeverityLevels" else 6
    rules: list[CategoryRule] = []
    for item in reader.items("categories"):
        service = item.text("service_category")
        if service not in SERVICE_CATEGORIES:
            raise ConfigError(f"{item.where('service_category')}: not one of {SERVICE_CATEGORIES}")
        crisis = item.text("crisis_category")
        if crisis not in CLASSIFIER_CRISIS_CATEGORIES:
            raise ConfigError(f"{item.where('crisis_category')}: not a crisis category")
        severity = item.integer("crisis_severity", 4, minimum=1)
        if severity > top:
            raise ConfigError(f"{item.where('crisis_severity')}: at most {top} for {output_type}")
        rules.append(CategoryRule(service, crisis, severity))
    if not rules:
        raise ConfigError(f"{reader.where('categories')}: at least one category is needed")
    base = BreakerSettings()
    breaker = reader.obj("breaker") if reader.has("breaker") else ConfigReader({}, "breaker")
    return ClassifierConfig(
        rules=tuple(rules),
        grace_s=reader.number("grace_ms", 150.0) / 1000.0,
        timeout_s=reader.number("timeout_s", 2.0, minimum=0.05),
        output_type=output_type,
        breaker=BreakerSettings(
            failure_threshold=breaker.integer(
                "failure_threshold", base.failure_threshold, minimum=1
            ),
            open_s=breaker.number("open_s", base.open_s, minimum=0.001),
            max_open_s=breaker.number("max_open_s", base.max_open_s, minimum=0.001),
        ),
    )


def load_classifier_config(config_dir: str | Path | None = None) -> ClassifierConfig:
    """The classifier's config, from ``safety-config.json`` in ``config_dir``."""
    return read_config_file(config_path(config_dir, "safety-config.json"), parse_classifier)


@dataclass(frozen=True, slots=True)
class ClassifierFlag:
    """A crisis a second opinion found: the category, the signals the nurses see (category
    and severity or class, never the text), and which detector found it (``classifier`` or
    ``triage``; the answer's ``crisis_source``)."""

    crisis_category: str
    signals: tuple[str, ...]
    source: str = "classifier"


def crisis_flag(severities: Mapping[str, int], config: ClassifierConfig) -> ClassifierFlag | None:
    """The first rule (in config order) whose category is rated at or above its severity."""
    for rule in config.rules:
        severity = severities.get(rule.service_category, 0)
        if severity >= rule.crisis_severity:
            return ClassifierFlag(
                rule.crisis_category, (f"classifier:{rule.service_category}:{severity}",)
            )
    return None


class ClassifierError(Exception):
    """The check did not produce severities; ``outcome`` is what the breaker counts."""

    def __init__(self, outcome: Outcome, retry_after_s: float | None = None) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome
        self.retry_after_s = retry_after_s


class ContentSafety(Protocol):
    """The port: severities of the text, by service category. Raises :class:`ClassifierError`."""

    async def analyze(self, text: str) -> Mapping[str, int]: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ContentSafetySettings:
    """Where the service is and how to reach it; ``endpoint`` empty means the layer is off."""

    endpoint: str = ""
    key: str = ""
    managed_identity: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ContentSafetySettings:
        return cls(
            endpoint=settings.get(ENDPOINT_SETTING),
            key=settings.get(KEY_SETTING),
            managed_identity=flag(settings.get(MANAGED_IDENTITY_SETTING)),
        )

    @property
    def off_reason(self) -> str | None:
        """Why the layer is off, or None when it is on."""
        if not self.endpoint:
            return f"{ENDPOINT_SETTING} is not set"
        if not self.key and not self.managed_identity:
            return f"neither {KEY_SETTING} nor {MANAGED_IDENTITY_SETTING} is set"
        return None

    @property
    def auth(self) -> str:
        return "managed_identity" if self.managed_identity else "key"


def _outcome_of(exc: BaseException) -> ClassifierError:
    """Translate an azure-core error into the breaker's outcome."""
    from azure.core.exceptions import (  # noqa: PLC0415 - loaded with the client
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(exc, ClientAuthenticationError):
        return ClassifierError(Outcome.AUTH_ERROR)
    if isinstance(exc, HttpResponseError):
        return _status_outcome(exc)
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return ClassifierError(Outcome.UNAVAILABLE)
    return ClassifierError(Outcome.ERROR)


def _status_outcome(exc: Any) -> ClassifierError:
    status = exc.status_code or 0
    if status == 429:
        raw = exc.response.headers.get("Retry-After") if exc.response is not None else None
        retry_after = float(raw) if raw and raw.replace(".", "", 1).isdigit() else None
        return ClassifierError(Outcome.RATE_LIMITED, retry_after)
    if status in (401, 403):
        return ClassifierError(Outcome.AUTH_ERROR)
    if 400 <= status < 500:
        return ClassifierError(Outcome.BAD_REQUEST)
    return ClassifierError(Outcome.UNAVAILABLE)


def _default_credential() -> Any:
    """The app's managed identity in Azure (``DefaultAzureCredential``, lazily imported)."""
    from azure.identity.aio import DefaultAzureCredential  # noqa: PLC0415

    return DefaultAzureCredential()


class AzureContentSafety:
    """Azure AI Content Safety text analysis through the ``azure-ai-contentsafety`` async
    client: one attempt per check (no SDK retries), within the check's timeout."""

    def __init__(
        self,
        settings: ContentSafetySettings,
        config: ClassifierConfig,
        *,
        credential_factory: Callable[[], Any] | None = None,
        enforce_https: bool = True,
    ) -> None:
        """``credential_factory``: the managed identity's token credential (default
        ``DefaultAzureCredential``, which is the app's identity in Azure). ``enforce_https``
        False lets a test send a bearer token to a loopback simulator over plain HTTP; the
        app never sets it."""
        self._settings = settings
        self._config = config
        self._credential_factory = credential_factory or _default_credential
        self._enforce_https = enforce_https
        self._client: Any = None
        self._credential: Any = None

    def _open(self) -> Any:
        if self._client is None:
            from azure.ai.contentsafety.aio import ContentSafetyClient  # noqa: PLC0415

            if self._settings.managed_identity:
                self._credential = self._credential_factory()
                credential: Any = self._credential
            else:
                from azure.core.credentials import AzureKeyCredential  # noqa: PLC0415

                credential = AzureKeyCredential(self._settings.key)
            timeout = self._config.timeout_s
            self._client = ContentSafetyClient(
                self._settings.endpoint.rstrip("/"),
                credential,
                retry_total=0,
                connection_timeout=timeout,
                read_timeout=timeout,
            )
        return self._client

    async def analyze(self, text: str) -> Mapping[str, int]:
        from azure.ai.contentsafety.models import AnalyzeTextOptions  # noqa: PLC0415

        client = self._open()
        options = AnalyzeTextOptions(
            text=text[:10_000],  # the service's limit per request
            categories=list(self._config.service_categories),
            output_type=self._config.output_type,
        )
        try:
            # enforce_https is a per-request option of azure-core's bearer-token policy.
            extra = {} if self._enforce_https else {"enforce_https": False}
            result = await client.analyze_text(options, **extra)
        except Exception as exc:
            raise _outcome_of(exc) from exc
        return {
            str(item.category): int(item.severity or 0)
            for item in (result.categories_analysis or [])
        }

    async def close(self) -> None:
        client, credential = self._client, self._credential
        self._client = self._credential = None
        if client is not None:
            await client.close()
        if credential is not None:
            await credential.close()


def build_content_safety(
    settings: ContentSafetySettings, config: ClassifierConfig
) -> ContentSafety | None:
    """The adapter when the layer is configured, else None (and the reason is logged once)."""
    reason = settings.off_reason
    if reason is not None:
        log.info("content-safety classifier is off: %s", reason)
        return None
    return AzureContentSafety(settings, config)
