"""The Durable backend: the Durable Task Scheduler by default, the storage account as the other
choice, chosen by app settings that override host.json. Each test runs for both choices."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra import _bicep

MODULES = _bicep.INFRA / "modules"
REGION = MODULES / "region.bicep"
SCHEDULER = MODULES / "durable-scheduler.bicep"
HOST_JSON = _bicep.REPO / "host.json"
CHOICES = ("durableTaskScheduler", "azureStorage")
DTS_API = "2025-11-01"
DURABLE_TASK_DATA_CONTRIBUTOR = "0ad04412-c4d5-4796-b79c-f76d14c8d402"
OVERRIDE = "AzureFunctionsJobHost__extensions__durableTask__storageProvider__"
TERMINAL_STATES = {"Completed", "Failed", "Terminated", "Canceled"}


def uses_scheduler(backend: str) -> bool:
    """Evaluate region.bicep's ``useScheduler`` for one choice."""
    operands = _bicep.variable(REGION, "useScheduler")["operator"]["operands"]
    assert operands["operand_1"] == "durableBackend"
    return bool(backend == operands["operand_2"])


def durable_settings(backend: str) -> dict[str, Any]:
    """The app settings that select and reach the backend, for one choice."""
    chosen = _bicep.module("settings", REGION).params["durableSettings"]["operator"]["operands"]
    assert chosen["condition"] == "useScheduler"
    name = chosen["true_value"] if uses_scheduler(backend) else chosen["false_value"]
    settings: dict[str, Any] = _bicep.variable(REGION, name)
    return settings


def test_the_scheduler_is_the_default_and_storage_the_alternative() -> None:
    """main.bicep offers both choices, defaults to the scheduler, and passes it to each region."""
    for path in (_bicep.MAIN, REGION):
        param = _bicep.params(path)["durableBackend"]
        assert _bicep.allowed(param) == list(CHOICES)
        assert param["default"] == "durableTaskScheduler"
    assert _bicep.module("regionStacks").params["durableBackend"] == "durableBackend"


@pytest.mark.parametrize("backend", CHOICES)
def test_the_scheduler_is_deployed_only_when_chosen(backend: str) -> None:
    """The scheduler module's condition is the choice."""
    entry = _bicep.parse(REGION)["modules"]["durableScheduler"]
    assert entry["config"]["condition"] == "useScheduler"
    assert uses_scheduler(backend) is (backend == "durableTaskScheduler")


@pytest.mark.parametrize("backend", CHOICES)
def test_the_backend_is_selected_by_host_json_overrides(backend: str) -> None:
    """Each choice sets storageProvider.type through AzureFunctionsJobHost__ app settings,
    which override the one host.json both share."""
    settings = durable_settings(backend)
    expected = "azureManaged" if backend == "durableTaskScheduler" else "AzureStorage"
    assert settings[f"{OVERRIDE}type"] == expected
    host = json.loads(HOST_JSON.read_text())["extensions"]["durableTask"]
    assert "storageProvider" in host
    assert "type" not in host["storageProvider"], "host.json leaves the choice to app settings"


@pytest.mark.parametrize("backend", CHOICES)
def test_only_the_scheduler_choice_carries_a_scheduler_connection(backend: str) -> None:
    """The scheduler is reached with the app identity; the storage choice has no connection."""
    settings = durable_settings(backend)
    if backend == "azureStorage":
        assert set(settings) == {f"{OVERRIDE}type"}
        return
    name = settings[f"{OVERRIDE}connectionStringName"]
    assert name == "DURABLE_TASK_SCHEDULER_CONNECTION_STRING"
    value = settings[name]["operator"]["operands"]["true_value"]
    endpoint = "${durableScheduler.outputs.endpoint}"
    assert value == f"Endpoint={endpoint};Authentication=ManagedIdentity"
    assert "Key" not in value


def test_the_settings_module_applies_the_backend_settings() -> None:
    """functionapp-settings merges the backend settings into the app settings."""
    text = (MODULES / "functionapp-settings.bicep").read_text("utf-8")
    assert "union(settings, durableSettings," in text


def test_scheduler_resources_use_the_checked_api_version() -> None:
    """Scheduler, task hub and retention policy: the API version cited in infra/README.md."""
    types = {
        "Microsoft.DurableTask/schedulers",
        "Microsoft.DurableTask/schedulers/taskHubs",
        "Microsoft.DurableTask/schedulers/retentionPolicies",
    }
    declared = _bicep.parse(SCHEDULER)["resources"]
    found = {e["type"]: e["api_version"] for e in declared.values() if e["type"] in types}
    assert found == dict.fromkeys(types, DTS_API)
    readme = (_bicep.INFRA / "README.md").read_text("utf-8")
    assert all(f"{t}@{DTS_API}" in readme for t in types)


@pytest.mark.safety("H10")
def test_retention_purges_every_finished_state_as_soon_as_allowed() -> None:
    """0 days (the service's minimum) for every terminal state, so nothing finished lingers."""
    (policy,) = _bicep.resources("Microsoft.DurableTask/schedulers/retentionPolicies")
    rules = policy.body["properties"]["retentionPolicies"]
    assert rules["loop_type"]["detail"]["array_name"] == "purgedStates"
    assert rules["config"] == {"orchestrationState": "state", "retentionPeriodInDays": 0}
    assert set(_bicep.variable(SCHEDULER, "purgedStates")) == TERMINAL_STATES


def test_the_app_identity_gets_the_data_role_on_its_scheduler_only() -> None:
    """Durable Task Data Contributor (start, query, terminate, purge), scoped to the scheduler."""
    (grant,) = [
        r
        for r in _bicep.resources("Microsoft.Authorization/roleAssignments")
        if r.path == SCHEDULER
    ]
    assert grant.body["scope"] == "scheduler"
    assert _bicep.variable(SCHEDULER, "durableTaskDataContributor") == (
        DURABLE_TASK_DATA_CONTRIBUTOR
    )


def test_the_task_hub_is_the_one_the_app_names() -> None:
    """The scheduler's task hub is DURABLE_TASK_HUB_NAME, so host.json's hubName finds it."""
    params = _bicep.module("durableScheduler", REGION).params
    assert params["taskHubName"] == "taskHubName"
    settings = _bicep.module("settings", REGION).params["settings"]
    assert settings["DURABLE_TASK_HUB_NAME"] == "taskHubName"


def test_the_task_hub_retention_timer_is_configured() -> None:
    """The app's own purge runs under either backend, with the documented retentions."""
    settings = _bicep.module("settings", REGION).params["settings"]
    assert settings["TASK_HUB_PURGE_SCHEDULE"] == "0 */5 * * * *"
    assert settings["CHAT_INSTANCE_RETENTION_MINUTES"] == "15"
    assert settings["ESCALATION_INSTANCE_RETENTION_HOURS"] == "2"


def test_production_runs_the_generally_available_dedicated_scheduler() -> None:
    """The Consumption SKU is in preview: production defaults to and asks for Dedicated, a
    test environment may take Consumption."""
    assert _bicep.params(_bicep.MAIN)["durableSchedulerSku"]["default"] == "Dedicated"
    assert _bicep.parameter_file("prod")["durableSchedulerSku"]["value"] == "Dedicated"
    assert _bicep.parameter_file("dev")["durableSchedulerSku"]["value"] == "Consumption"
    assert _bicep.allowed(_bicep.params(SCHEDULER)["skuName"]) == ["Dedicated", "Consumption"]


def test_the_scheduler_sku_reaches_the_resource_with_its_capacity() -> None:
    """Dedicated carries its capacity units (1 to 3); Consumption carries none."""
    (scheduler,) = _bicep.resources("Microsoft.DurableTask/schedulers")
    sku = scheduler.body["properties"]["sku"]["operator"]["operands"]
    assert sku["condition"] == "dedicated"
    assert _bicep.variable(SCHEDULER, "dedicated")["operator"]["operands"] == {
        "operand_1": "skuName",
        "operand_2": "Dedicated",
    }
    assert sku["true_value"] == {"name": "Dedicated", "capacity": "capacityUnits"}
    assert sku["false_value"] == {"name": "Consumption"}
    module = _bicep.module("durableScheduler", REGION)
    assert module.params["skuName"] == "durableSchedulerSku"
    assert _bicep.module("regionStacks").params["durableSchedulerSku"] == "durableSchedulerSku"
