"""The dev and prod parameter files fit main.bicep and keep everything in the UK."""

from __future__ import annotations

import pytest

from tests.infra import _bicep

ENVIRONMENTS = ["dev", "prod"]
DECLARED = _bicep.params(_bicep.MAIN)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_parameter_is_declared(environment: str) -> None:
    """A parameter file names only parameters main.bicep declares."""
    undeclared = set(_bicep.parameter_file(environment)) - set(DECLARED)
    assert not undeclared, sorted(undeclared)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_required_parameter_is_given(environment: str) -> None:
    """Parameters without a default are all supplied."""
    required = {name for name, param in DECLARED.items() if "default" not in param}
    missing = required - set(_bicep.parameter_file(environment))
    assert not missing, sorted(missing)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_values_respect_allowed_lists(environment: str) -> None:
    """Each value (or each item of an array) is one the template allows."""
    for name, entry in _bicep.parameter_file(environment).items():
        allowed = _bicep.allowed(DECLARED[name])
        if allowed is None:
            continue
        values = entry["value"] if isinstance(entry["value"], list) else [entry["value"]]
        assert set(values) <= set(allowed), f"{name}={entry['value']}"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_environment_name_matches_the_file(environment: str) -> None:
    """dev.parameters.json deploys dev, and prod.parameters.json deploys prod."""
    assert _bicep.parameter_file(environment)["environmentName"]["value"] == environment


def test_prod_runs_in_both_uk_regions_with_uk_south_first() -> None:
    """Production is multi-region, UK South primary and UK West secondary."""
    assert _bicep.parameter_file("prod")["regions"]["value"] == ["uksouth", "ukwest"]


def test_prod_keeps_instances_ready() -> None:
    """Production keeps an HTTP and a Durable instance warm for the chat path, and one for
    each queue trigger, so operations alerts and spilled records meet no cold start."""
    prod = _bicep.parameter_file("prod")
    assert prod["alwaysReadyHttpInstances"]["value"] >= 1
    assert prod["alwaysReadyDurableInstances"]["value"] >= 1
    assert prod["alwaysReadyQueueInstances"]["value"] >= 1


def test_openai_stays_on_regional_processing_in_prod() -> None:
    """Standard deployments process in the account's UK region; global SKUs may not."""
    prod = _bicep.parameter_file("prod")
    sku = prod.get("openAiSkuName", {}).get("value", DECLARED["openAiSkuName"]["default"])
    assert sku == "Standard"
    assert prod["openAiLocations"]["value"][0] == "ukwest"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_parameter_files_hold_no_secrets(environment: str) -> None:
    """Secure parameters (the webhook) come from the environment at deploy time, not files."""
    secure = {
        name
        for name, param in DECLARED.items()
        if "secure" in [d["type"] for d in param["decorators"]]
    }
    assert secure
    assert not secure & set(_bicep.parameter_file(environment))
