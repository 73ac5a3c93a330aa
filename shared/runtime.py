"""The process-wide runtime: config, settings, provider adapters and stores, built on first use.

Nothing is built at import time, so importing the function app stays cheap and never opens a
connection. Stores that need storage are created lazily, and a failure to create one is retried
on the next use rather than cached. Tests and the dev host can rebuild the runtime from a given
environment with :func:`configure_runtime`.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from shared.breakers.writer import OutcomeWriter
from shared.escalation.model import EscalationConfig, load_escalation_config
from shared.escalation.store import EscalationStore, MemoryEscalationStore, TableEscalationStore
from shared.failover.plan import residency_policy
from shared.failover.ratelimit import RateLimiter
from shared.failover.requests import RequestLimits
from shared.models import Outcome
from shared.observability.records import Observers
from shared.platform.config import AppConfig, load_config
from shared.platform.settings import Settings
from shared.platform.storage import table_client
from shared.providers.base import Provider
from shared.safety.pseudonym import Pseudonymizer

if TYPE_CHECKING:
    from shared.breakers.service import BreakerService
    from shared.safety.crisis import CrisisDetector

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self,
        config: AppConfig,
        settings: Settings,
        providers: Mapping[str, Provider],
        escalation: EscalationConfig | None = None,
        escalation_store: EscalationStore | None = None,
    ) -> None:
        self.config = config
        self.settings = settings
        self.providers = providers
        self.escalation = escalation or load_escalation_config(settings.config_dir or None)
        self.pseudonyms = Pseudonymizer(settings.pseudonym_key)
        self.observers = Observers()
        # De-duplication keys this instance knows to be claimed, with when that lapses.
        self.recent_claims: dict[str, float] = {}
        self.request_limits = RequestLimits(max_body_bytes=settings.max_body_bytes)
        self._escalation_store = escalation_store
        self._detector: CrisisDetector | None = None
        self._breakers: BreakerService | None = None
        self._rate_limiter: RateLimiter | None = None
        self._outcomes: OutcomeWriter | None = None
        self._residency = residency_policy(config.failover, settings.data_residency)
        self._lock = threading.Lock()

    @property
    def breakers(self) -> BreakerService:
        """This instance's breaker service, sharing state through the ``breakers`` table."""
        with self._lock:
            if self._breakers is None:
                from shared.breakers.service import BreakerService  # noqa: PLC0415 - lazy
                from shared.breakers.store import TableBreakerStore  # noqa: PLC0415 - lazy

                store = TableBreakerStore(table_client(self.settings, self.settings.breaker_table))
                self._breakers = BreakerService.for_config(store, self.config.failover)
            return self._breakers

    @property
    def outcomes(self) -> OutcomeWriter:
        """Where provider outcomes are written to the breakers, in the background."""
        with self._lock:
            if self._outcomes is None:
                self._outcomes = OutcomeWriter()
            return self._outcomes

    def use_breakers(self, service: BreakerService) -> None:
        """Install a given breaker service (tests, benchmarks)."""
        with self._lock:
            self._breakers = service
        from shared.observability.observer import installed  # noqa: PLC0415

        if (found := installed(self)) is not None:
            found.attach_breakers()

    @property
    def detector(self) -> CrisisDetector:
        """The crisis detector, compiled from config on first use."""
        if self._detector is None:
            from shared.safety.crisis import load_detector  # noqa: PLC0415 - compiled on first use

            self._detector = load_detector(self._crisis_patterns_path())
        return self._detector

    def _crisis_patterns_path(self) -> Path | None:
        if not self.settings.config_dir:
            return None
        return Path(self.settings.config_dir) / "crisis-patterns.json"

    @property
    def rate_limiter(self) -> RateLimiter:
        """This instance's rate limiter (per instance by design: see shared.failover.ratelimit)."""
        with self._lock:
            if self._rate_limiter is None:
                self._rate_limiter = RateLimiter(self.config.failover.rate_limits, time.monotonic)
            return self._rate_limiter

    def residency_block(self, tier: str) -> Outcome | None:
        """``residency_blocked`` for a tier outside the UK when ``DATA_RESIDENCY=uk``."""
        return self._residency(tier)

    def warm_up(self) -> None:
        """Import the provider SDKs and compile the crisis patterns ahead of the first request."""
        from shared.providers.registry import preload_providers  # noqa: PLC0415

        preload_providers(self.providers)
        try:
            _ = self.detector
        except Exception:
            log.critical("crisis patterns failed to load; crisis detection is OFF", exc_info=True)
        # Everything loaded so far (modules, SDK clients, compiled patterns) lives as long as
        # the process. Moving it out of the collector's view keeps full collections short: in
        # the benchmark's crisis-beside-hung-chats run they paused the event loop for up to
        # 147 ms before, and 4-10 ms once the run was under way.
        gc.freeze()

    def is_configured(self, tier: str) -> bool:
        provider = self.providers.get(tier)
        return provider is not None and provider.configured

    @property
    def escalation_store(self) -> EscalationStore:
        """The shared table store; the in-process store if storage cannot be reached."""
        with self._lock:
            if self._escalation_store is None:
                try:
                    self._escalation_store = TableEscalationStore.for_settings(self.settings)
                except Exception:  # noqa: BLE001 - storage down: degrade, retry on next use
                    log.warning("escalation store unavailable; using in-process fallback")
                    return _FALLBACK_ESCALATIONS
            return self._escalation_store


_FALLBACK_ESCALATIONS = MemoryEscalationStore()
_runtime: Runtime | None = None


def build_runtime(env: Mapping[str, str], *, warm_up: bool = True) -> Runtime:
    """Build the runtime. With ``warm_up``, the provider SDKs are imported and the crisis
    patterns compiled on a background thread, so the first chat request pays for neither."""
    from shared.providers.registry import build_providers  # noqa: PLC0415 - keeps import cheap

    settings = Settings.from_env(env)
    config = load_config(settings.config_dir or None)
    runtime = Runtime(config=config, settings=settings, providers=build_providers(config, settings))
    from shared.observability.observer import install  # noqa: PLC0415 - loaded with the runtime, not the app

    install(runtime)
    if warm_up:
        threading.Thread(target=runtime.warm_up, name="warm-up", daemon=True).start()
    return runtime


def get_runtime() -> Runtime:
    """The runtime for this process, built from the environment on first use."""
    global _runtime  # noqa: PLW0603 - one runtime per worker process, built lazily
    if _runtime is None:
        _runtime = build_runtime(os.environ)
    return _runtime


def configure_runtime(env: Mapping[str, str] | None = None) -> Runtime:
    """Rebuild the runtime (tests, dev host): from ``env`` or the current environment."""
    global _runtime  # noqa: PLW0603 - see get_runtime
    _runtime = build_runtime(os.environ if env is None else env)
    return _runtime
