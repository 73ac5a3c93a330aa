"""End-to-end fixtures: the real app on the dev host, with Azurite, the simulated providers
and loopback alert receivers, all started by the tests themselves."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
import pytest
import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueClient

from devhost import azurite
from devhost.background import RunningDevHost, running_devhost
from devhost.processes import HostProcesses, start_host
from devhost.topology import Topology
from shared.bootstrap import configure_runtime
from shared.platform import ALERT_QUEUE, FALLBACK_QUEUE, OUTBOX_QUEUE
from shared.platform.config import DEFAULT_CONFIG_DIR
from shared.providers.registry import close_providers, preload_providers
from shared.runtime import Runtime
from simulators.content_safety import ContentSafetySimulator
from simulators.harness import SimulatedProviders, app_settings
from simulators.receivers import SmtpReceiver, WebhookReceiver, receiver_settings
from tests.support.clocks import ManualClock
from tests.support.configs import SECONDARY

FUNCTION_KEY = "test-function-key"
ADMIN_KEY = "test-admin-key"
SIM_KEY = "sk-simulated-test"
# What the dev host itself reads: keys, timer schedules, and timers off unless a test runs them.
HOST_SETTINGS = {
    "DEVHOST_FUNCTION_KEY": FUNCTION_KEY,
    "DEVHOST_ADMIN_KEY": ADMIN_KEY,
    "HEALTH_CHECK_SCHEDULE": "0 */1 * * * *",
    "SECRET_ROTATION_SCHEDULE": "0 30 2 * * *",
    "AzureWebJobs.health_check.Disabled": "true",
    "AUDIT_RETENTION_SCHEDULE": "0 45 2 * * *",
    "AzureWebJobs.secret_rotation.Disabled": "true",
    "AzureWebJobs.audit_retention.Disabled": "true",
    "TASK_HUB_PURGE_SCHEDULE": "0 */5 * * * *",
    "AzureWebJobs.task_hub_retention.Disabled": "true",
}


@pytest.fixture(scope="session")
def sims() -> Iterator[SimulatedProviders]:
    with SimulatedProviders() as providers:
        yield providers


@pytest.fixture(scope="session")
def content_safety() -> Iterator[ContentSafetySimulator]:
    """The simulated Content Safety endpoint; a test turns the classifier on by passing
    ``content_safety_settings(content_safety, SIM_KEY)`` to ``start_gateway(extra=...)``."""
    with ContentSafetySimulator() as simulator:
        yield simulator


@pytest.fixture(scope="session")
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    try:
        yield receiver
    finally:
        receiver.stop()


@dataclass
class Gateway:
    host: RunningDevHost
    runtime: Runtime
    sims: SimulatedProviders
    webhook: WebhookReceiver
    smtp: SmtpReceiver
    breaker_clock: ManualClock
    # The app settings the runtime was built from (for a second host of the same app).
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.host.base_url

    def client(self) -> openai.OpenAI:
        """The unmodified openai SDK, pointed at the gateway."""
        return openai.OpenAI(
            base_url=f"{self.url}/api/v1",
            api_key="not-used-by-the-gateway",
            default_headers={"x-functions-key": FUNCTION_KEY},
            max_retries=0,
            timeout=30.0,
        )

    def post(
        self, path: str, body: Any, key: str | None = FUNCTION_KEY, **kw: Any
    ) -> requests.Response:
        headers = {"x-functions-key": key} if key else {}
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return requests.post(
            f"{self.url}{path}",
            data=content,
            headers={"content-type": "application/json", **headers, **kw.pop("headers", {})},
            timeout=30.0,
            **kw,
        )

    def get(self, path: str, key: str | None = FUNCTION_KEY) -> requests.Response:
        headers = {"x-functions-key": key} if key else {}
        return requests.get(f"{self.url}{path}", headers=headers, timeout=30.0)

    def instances(self, name: str) -> list[dict[str, Any]]:
        """Durable instances of one orchestration, from the Durable HTTP API."""
        response = requests.get(
            f"{self.url}/runtime/webhooks/durabletask/instances",
            headers={"x-functions-key": ADMIN_KEY},
            timeout=30.0,
        )
        response.raise_for_status()
        return [i for i in response.json() if i.get("name") == name]

    def chat(self, text: str, conversation_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"messages": [{"role": "user", "content": text}]}
        if conversation_id:
            body["metadata"] = {"conversation_id": conversation_id}
        response = self.post("/api/chat", body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data


def clear_queues(connection: str) -> None:
    """Empty the app's storage queues, so one test's alerts never reach the next one's host."""
    for name in (ALERT_QUEUE, OUTBOX_QUEUE, FALLBACK_QUEUE):
        for queue in (name, f"{name}-poison"):
            with (
                QueueClient.from_connection_string(connection, queue) as client,
                contextlib.suppress(ResourceNotFoundError),
            ):
                client.clear_messages()


def write_config(
    directory: Path,
    *,
    tier_timeout_s: float,
    budget_s: float,
    open_s: float,
    rate_limits: dict[str, Any] | None = None,
    edit_failover: Callable[[dict[str, Any]], None] | None = None,
    ack_timeout_s: float = 2.0,
) -> Path:
    """The repo's config with test timings. The chain is the shipped one without its second UK
    Azure OpenAI tier (openai, azure_openai, anthropic), so each tier is one simulator; the
    four-tier chain is tested on its own (tests/integration/test_tier_settings_e2e.py)."""
    for file in DEFAULT_CONFIG_DIR.glob("*.json"):
        shutil.copy(file, directory / file.name)
    path = directory / "failover-config.json"
    data = json.loads(path.read_text())
    data["tiers"] = [t for t in data["tiers"] if t["name"] != SECONDARY]
    data["budget_s"] = budget_s
    data["breaker_defaults"]["open_s"] = open_s
    for tier in data["tiers"]:
        tier["first_token_s"] = tier_timeout_s
    if rate_limits is not None:
        data["rate_limits"] = rate_limits
    if edit_failover is not None:
        edit_failover(data)
    path.write_text(json.dumps(data))
    escalation = directory / "escalation-config.json"
    data = json.loads(escalation.read_text())
    data["retry"].update(first_delay_s=0.2, max_delay_s=0.4, window_s=3.0, attempt_timeout_s=2.0)
    data["ack_timeout_s"] = ack_timeout_s
    escalation.write_text(json.dumps(data))
    return directory


@pytest.fixture
def start_gateway(
    tmp_path: Path,
    sims: SimulatedProviders,
    webhook: WebhookReceiver,
    smtp: SmtpReceiver,
    azurite_connection: str,
) -> Iterator[Callable[..., Gateway]]:
    """Start the real app on the dev host, configured for this test."""
    stack: list[Any] = []

    def start(
        *,
        tier_timeout_s: float = 0.6,
        budget_s: float = 4.0,
        open_s: float = 30.0,
        extra: dict[str, str] | None = None,
        rate_limits: dict[str, Any] | None = None,
        host_settings: dict[str, str] | None = None,
        edit_failover: Callable[[dict[str, Any]], None] | None = None,
        port: int = 0,
        ack_timeout_s: float = 2.0,
    ) -> Gateway:
        sims.clear()
        webhook.clear()
        smtp.start()
        smtp.clear()
        config_dir = write_config(
            tmp_path,
            tier_timeout_s=tier_timeout_s,
            budget_s=budget_s,
            open_s=open_s,
            rate_limits=rate_limits,
            edit_failover=edit_failover,
            ack_timeout_s=ack_timeout_s,
        )
        env = {
            "AzureWebJobsStorage": azurite_connection,
            "BREAKER_TABLE_NAME": "breakers" + uuid.uuid4().hex[:12],
            "ESCALATION_TABLE_NAME": "escalations" + uuid.uuid4().hex[:12],
            "ASKEVE_CONFIG_DIR": str(config_dir),
            "ASKEVE_STATUS_POLL_INTERVAL_MS": "5",
            "PSEUDONYM_KEY": uuid.uuid4().hex,
            # Locally, the operator routes take the dev host's admin key in a header.
            "DEVHOST_ADMIN_KEY": ADMIN_KEY,
            **app_settings(sims.urls, SIM_KEY),
            **receiver_settings(webhook, smtp),
            **(extra or {}),
        }
        clock = ManualClock(1_800_000_000.0)
        clear_queues(azurite_connection)
        runtime = configure_runtime(env, warm=False, breaker_clock=clock)
        preload_providers(runtime.providers)  # as the worker's warm-up would have
        context = running_devhost(
            "function_app:app",
            port=port,
            # The queue triggers' connection: the same Azurite, as in Azure.
            settings={
                **HOST_SETTINGS,
                "AzureWebJobsStorage": azurite_connection,
                **(host_settings or {}),
            },
        )
        host = context.__enter__()
        stack.append((context, host, runtime))
        return Gateway(host, runtime, sims, webhook, smtp, clock, env)

    yield start
    for context, host, runtime in reversed(stack):
        # SDK clients belong to the host's event loop: close them there, before it stops.
        host.call(close_providers(runtime.providers))
        if runtime.gateway.second_opinion is not None:
            host.call(runtime.gateway.second_opinion.close())
        context.__exit__(None, None, None)


# --- the app as OS processes, in either topology ------------------------------------------

TOPOLOGIES = (Topology.SINGLE, Topology.FLEX)
# Flex hosts wait this long at every Durable hop: the Durable Task Scheduler's figure, the
# default backend's, that the README cites (DEVHOST_DURABLE_HOP_MS; bench.figures.HOP_MS).
FLEX_HOP_MS = "20"


@dataclass
class HostedGateway:
    """The real app served by dev host processes (``single`` or ``flex``), shared by the
    tests of a session: a test clears the simulators and receivers and closes the breakers
    it opened. Its own tables, so its rows are never another host's."""

    host: HostProcesses
    sims: SimulatedProviders
    webhook: WebhookReceiver
    smtp: SmtpReceiver
    tables: dict[str, str]
    storage: str

    @property
    def topology(self) -> Topology:
        return self.host.topology

    @property
    def url(self) -> str:
        return self.host.base_url

    def post(self, path: str, body: Any, key: str | None = FUNCTION_KEY) -> requests.Response:
        headers = {"content-type": "application/json", **({"x-functions-key": key} if key else {})}
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return requests.post(f"{self.url}{path}", data=content, headers=headers, timeout=30.0)

    def get(self, path: str, key: str | None = FUNCTION_KEY) -> requests.Response:
        headers = {"x-functions-key": key} if key else {}
        return requests.get(f"{self.url}{path}", headers=headers, timeout=30.0)

    def chat(self, text: str, conversation_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"messages": [{"role": "user", "content": text}]}
        if conversation_id:
            body["metadata"] = {"conversation_id": conversation_id}
        response = self.post("/api/chat", body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def instances(self, name: str) -> list[dict[str, Any]]:
        """Durable instances of one orchestration, from the public Durable HTTP API."""
        response = self.get("/runtime/webhooks/durabletask/instances", key=ADMIN_KEY)
        response.raise_for_status()
        return [i for i in response.json() if i.get("name") == name]

    def reset(self) -> None:
        """Healthy simulators, empty receivers, every breaker closed."""
        self.sims.clear()
        self.webhook.clear()
        self.smtp.start()
        self.smtp.clear()
        for tier in ("openai", "azure_openai", "anthropic"):
            closed = self.post(f"/api/breakers/{tier}/close", b"", key=ADMIN_KEY)
            assert closed.status_code == 200, closed.text

    def table(self, kind: str) -> Any:
        """A client for one of this host's tables (``audit``, ``breakers``, ...)."""
        from azure.data.tables import TableServiceClient  # noqa: PLC0415 - only these tests

        service = TableServiceClient.from_connection_string(self.storage)
        return service.get_table_client(self.tables[kind])


@dataclass(frozen=True)
class Services:
    """What every hosted gateway of the session shares: Azurite, simulators, receivers."""

    storage: str
    sims: SimulatedProviders
    webhook: WebhookReceiver
    smtp: SmtpReceiver


@pytest.fixture(scope="session")
def hosted_storage() -> Iterator[str]:
    """An Azurite for the hosted gateways alone. They live for the whole session, and their
    queue triggers read ``ops-alerts`` and ``records-outbox``: on the storage the other tests'
    hosts use, they would take those hosts' alerts and records (one storage account serves one
    app in Azure, so the queue names are fixed)."""
    service = azurite.start(azurite.free_port(), reuse=False)
    try:
        yield service.connection_string
    finally:
        service.stop()


@pytest.fixture(scope="session")
def services(
    hosted_storage: str,
    sims: SimulatedProviders,
    webhook: WebhookReceiver,
    smtp: SmtpReceiver,
) -> Services:
    """The session's shared services, for hosted gateways."""
    return Services(hosted_storage, sims, webhook, smtp)


def hosted_settings(config_dir: Path, services: Services, tables: dict[str, str]) -> dict[str, str]:
    """Every setting the host processes get: the environment, then the test's own."""
    names = {
        "audit": "AUDIT_TABLE_NAME",
        "breakers": "BREAKER_TABLE_NAME",
        "escalations": "ESCALATION_TABLE_NAME",
        "health": "HEALTH_TABLE_NAME",
    }
    return {
        **os.environ,
        **HOST_SETTINGS,
        "AzureWebJobsStorage": services.storage,
        "DURABLE_TASK_HUB_NAME": "tests",
        "ASKEVE_CONFIG_DIR": str(config_dir),
        "ASKEVE_STATUS_POLL_INTERVAL_MS": "5",
        "PSEUDONYM_KEY": uuid.uuid4().hex,
        **{names[kind]: table for kind, table in tables.items()},
        **app_settings(services.sims.urls, SIM_KEY),
        **receiver_settings(services.webhook, services.smtp),
    }


def start_hosted(
    topology: Topology,
    directory: Path,
    services: Services,
    *,
    escalation: dict[str, Any] | None = None,
    **extra: str,
) -> HostedGateway:
    """Start the app as dev host processes in ``topology``, with the integration config
    (``escalation``: top-level fields of escalation-config.json to replace)."""
    services.smtp.start()
    config_dir = write_config(directory, tier_timeout_s=0.6, budget_s=4.0, open_s=30.0)
    if escalation:
        path = config_dir / "escalation-config.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), **escalation}))
    # Tests share one host per topology and each trips a breaker afresh: no cooldown, so a
    # provider-failure alert follows every trip (the shipped 300 s would hold back the next).
    observability = config_dir / "observability-config.json"
    data = json.loads(observability.read_text())
    data["alerts"]["provider-failure"]["cooldown_s"] = 0
    observability.write_text(json.dumps(data))
    kinds = ("audit", "breakers", "escalations", "health")
    tables = {kind: kind + uuid.uuid4().hex[:12] for kind in kinds}
    hops = {"DEVHOST_DURABLE_HOP_MS": FLEX_HOP_MS} if topology is Topology.FLEX else {}
    env = {**hosted_settings(config_dir, services, tables), **hops, **extra}
    host = start_host(topology, env=env)
    return HostedGateway(
        host, services.sims, services.webhook, services.smtp, tables, services.storage
    )


@pytest.fixture(scope="session", params=TOPOLOGIES, ids=[t.value for t in TOPOLOGIES])
def hosted_gateway(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    services: Services,
) -> Iterator[HostedGateway]:
    """The app on dev host processes in each topology, one host per topology per session."""
    topology: Topology = request.param
    directory = tmp_path_factory.mktemp(f"hosted-{topology.value}")
    gateway = start_hosted(topology, directory, services)
    try:
        yield gateway
    finally:
        gateway.host.stop()


@pytest.fixture
def start_flex_host(tmp_path: Path, services: Services) -> Iterator[Callable[..., HostedGateway]]:
    """A private Flex host for one test (one that signals or stops its processes)."""
    started: list[HostedGateway] = []

    def start(**extra: str) -> HostedGateway:
        gateway = start_hosted(Topology.FLEX, tmp_path, services, **extra)
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        gateway.host.stop()
