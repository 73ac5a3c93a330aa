"""Fixtures for the rotation tests: fake Azure services on a hand-moved clock, and the job
wired to them through the real Azure SDK clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from shared.operations.keyvault import azure_key_stores
from shared.operations.rotation import (
    AccountRotation,
    AgeAlertRule,
    Alert,
    MemoryRotationAudit,
    RotationConfig,
    RotationReport,
    RotationSettings,
    RotationTarget,
    SecretRotation,
    adapter_verifier,
)
from shared.platform.config import TierConfig
from shared.platform.settings import Settings
from tests.support.clocks import ManualClock

from .fakes import (
    DEPLOYMENT,
    RESOURCE_ID,
    VAULT_URL,
    FakeAzure,
    FakeCredential,
    FakeOpenAIEndpoint,
    FakeTransport,
)

T0 = 1_800_000_000.0
AZURE_SECRET = "azure-openai-api-key"
AZURE_TIER = TierConfig(
    "azure_openai", "azure_openai", "gpt-4o-mini", "ukwest", 3.0, deployment=DEPLOYMENT
)
CONFIG = RotationConfig(
    rotate_after_days=90.0,
    secret_expiry_days=180.0,
    verify_attempts=2,
    verify_delay_s=5.0,
    verify_timeout_s=2.0,
    age_alerts=(
        AgeAlertRule("openai", "openai-api-key", warning_days=80.0, critical_days=90.0),
        AgeAlertRule("anthropic", "anthropic-api-key", warning_days=80.0, critical_days=90.0),
    ),
)
ENABLED = RotationSettings(
    enabled=True,
    key_vault_uri=VAULT_URL,
    targets=(RotationTarget("azure_openai", RESOURCE_ID, AZURE_SECRET),),
)


class FakeClock(ManualClock):
    def __init__(self, start: float = T0) -> None:
        super().__init__(start)

    def advance_days(self, days: float) -> None:
        self.advance(days * 86_400)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def azure(clock: FakeClock) -> FakeAzure:
    """Key1 is active and 91 days old; the other providers' keys are 10 days old."""
    fake = FakeAzure(clock)
    fake.put_secret(AZURE_SECRET, fake.keys["Key1"], age_days=91)
    fake.put_secret("openai-api-key", "FAKE-KEY-openai-not-real", age_days=10)
    fake.put_secret("anthropic-api-key", "FAKE-KEY-anthropic-not-real", age_days=10)
    return fake


@pytest.fixture
async def endpoint(azure: FakeAzure) -> AsyncIterator[FakeOpenAIEndpoint]:
    server = FakeOpenAIEndpoint(azure)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@dataclass
class RunResult:
    """What one run left behind."""

    report: RotationReport
    audit: MemoryRotationAudit
    alerts: list[Alert] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)


@dataclass
class Rotation:
    """Runs the job against the fakes, through the real SDK clients and adapter."""

    azure: FakeAzure
    endpoint: FakeOpenAIEndpoint
    clock: FakeClock

    async def run(
        self,
        settings: RotationSettings = ENABLED,
        config: RotationConfig = CONFIG,
        *,
        tiers: Sequence[TierConfig] = (AZURE_TIER,),
        env: Mapping[str, str] | None = None,
    ) -> RunResult:
        """One run over ``settings.targets``, each verified through its tier's own adapter."""
        outcome = RunResult(RotationReport((), ()), MemoryRotationAudit())

        async def alert(raised: Alert) -> None:
            outcome.alerts.append(raised)

        async def sleep(seconds: float) -> None:
            outcome.sleeps.append(seconds)

        app_settings = Settings.from_env(
            env
            if env is not None
            else {"AZURE_OPENAI_ENDPOINT": self.endpoint.url, "AZURE_OPENAI_DEPLOYMENT": DEPLOYMENT}
        )
        by_name = {tier.name: tier for tier in tiers}
        async with azure_key_stores(
            VAULT_URL,
            settings.resource_ids,
            credential=FakeCredential(),
            transport=FakeTransport(self.azure),
        ) as stores:
            accounts = [
                AccountRotation(
                    target.secret_name,
                    stores.accounts.get(target.resource_id),
                    adapter_verifier(by_name[target.tier], app_settings, config.verify_timeout_s),
                )
                for target in settings.targets
            ]
            job = SecretRotation(
                config,
                settings,
                secrets=stores.secrets,
                accounts=accounts,
                alert=alert,
                audit=outcome.audit,
                clock=self.clock,
                sleep=sleep,
            )
            outcome.report = await job.run()
        return outcome


@pytest.fixture
def rotation(azure: FakeAzure, endpoint: FakeOpenAIEndpoint, clock: FakeClock) -> Rotation:
    return Rotation(azure, endpoint, clock)
