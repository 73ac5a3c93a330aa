"""Azure AI Content Safety, deployed: one keyless account per UK region, the app's managed
identity as Cognitive Services User on it, and the app settings that turn the classifier on."""

from __future__ import annotations

from typing import Any

from tests.infra import _bicep

MODULES = _bicep.INFRA / "modules"
REGION = MODULES / "region.bicep"
COGNITIVE_SERVICES_USER = "a97b65f3-24c7-4388-baec-2e87135dc908"


def _account() -> _bicep.Resource:
    (account,) = [
        r
        for r in _bicep.resources("Microsoft.CognitiveServices/accounts")
        if r.body.get("kind") == "ContentSafety"
    ]
    return account


def _settings() -> dict[str, Any]:
    settings: dict[str, Any] = _bicep.module("settings", REGION).params["settings"]
    return settings


def test_each_region_stack_deploys_a_content_safety_account() -> None:
    """The region stack (one per UK region) deploys the account module in its own location."""
    ref = _bicep.module("contentSafety", REGION)
    assert ref.target == MODULES / "content-safety.bicep"
    assert ref.params["location"] == "location"


def test_the_account_is_keyless_with_a_managed_identity() -> None:
    """Local (key) auth is off, the account has a system identity and a custom subdomain."""
    account = _account()
    assert account.body["properties"]["disableLocalAuth"] is True
    assert account.body["identity"]["type"] == "SystemAssigned"
    assert account.body["properties"]["customSubDomainName"] == "name"


def test_the_app_identity_is_cognitive_services_user_on_the_account() -> None:
    """The app's identity gets Cognitive Services User, scoped to the account alone."""
    path = MODULES / "access-content-safety.bicep"
    assert _bicep.variable(path, "cognitiveServicesUserRoleId") == COGNITIVE_SERVICES_USER
    (grant,) = [
        r for r in _bicep.resources("Microsoft.Authorization/roleAssignments") if r.path == path
    ]
    assert grant.body["scope"] == "account"
    access = _bicep.module("contentSafetyAccess", REGION)
    assert access.params["principalId"]["operator"]["type"] == "property_accessor"


def test_the_app_settings_turn_the_classifier_on_with_managed_identity() -> None:
    """CONTENT_SAFETY_ENDPOINT is the account's, managed identity is on, and no key is set."""
    settings = _settings()
    assert "contentSafety" in str(settings["CONTENT_SAFETY_ENDPOINT"])
    assert settings["CONTENT_SAFETY_USE_MANAGED_IDENTITY"] == "true"
    assert "CONTENT_SAFETY_KEY" not in settings


def test_the_crisis_triage_setting_is_set() -> None:
    """CRISIS_TRIAGE_ENABLED is set from a parameter (on by default)."""
    assert "CRISIS_TRIAGE_ENABLED" in _settings()
    assert _bicep.params(REGION)["crisisTriageEnabled"]["default"] is True
