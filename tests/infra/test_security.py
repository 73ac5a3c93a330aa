"""HTTPS only, TLS 1.2, managed identities, no keys, and nothing secret in any output."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.infra import _bicep

SITES = _bicep.resources("Microsoft.Web/sites")
STORAGE = _bicep.resources("Microsoft.Storage/storageAccounts")
VAULTS = _bicep.resources("Microsoft.KeyVault/vaults")
OPENAI = _bicep.resources("Microsoft.CognitiveServices/accounts")
OUTPUTS = [
    (path, name, output)
    for path in _bicep.bicep_files()
    for name, output in _bicep.parse(path).get("outputs", {}).items()
]
SECRET_NAME = re.compile(
    r"connectionstring|secret|password|apikey|accesskey|instrumentationkey|keys?$", re.I
)
SECRET_PROPERTIES = frozenset(
    {"ConnectionString", "InstrumentationKey", "primaryKey", "secondaryKey"}
)


def _is_secret_expression(node: Any) -> bool:
    if not isinstance(node, dict):
        return isinstance(node, str) and node in SECRET_PROPERTIES
    operator = node.get("operator")
    if isinstance(operator, dict) and operator.get("type") == "function_accessor":
        return str(operator["operands"]["func_name"]).lower().startswith("list")
    return False


def test_there_is_one_function_app_and_one_storage_account_module() -> None:
    """The checks below see the app and storage templates (each deployed once per region)."""
    assert len(SITES) == 1
    assert len(STORAGE) == 1


@pytest.mark.parametrize("site", SITES, ids=lambda r: r.name)
def test_function_app_is_https_only_with_tls_1_2(site: _bicep.Resource) -> None:
    """The app refuses plain HTTP and anything older than TLS 1.2, on the app and SCM sites."""
    properties = site.body["properties"]
    assert properties["httpsOnly"] is True
    assert properties["siteConfig"]["minTlsVersion"] == "1.2"
    assert properties["siteConfig"]["scmMinTlsVersion"] == "1.2"
    assert properties["siteConfig"]["ftpsState"] == "Disabled"


@pytest.mark.parametrize("site", SITES, ids=lambda r: r.name)
def test_function_app_has_system_assigned_identity(site: _bicep.Resource) -> None:
    """The app authenticates to storage, Key Vault and Azure OpenAI as itself."""
    assert site.body["identity"]["type"] == "SystemAssigned"


@pytest.mark.parametrize("site", SITES, ids=lambda r: r.name)
def test_function_app_runs_python_3_11_on_linux_flex(site: _bicep.Resource) -> None:
    """Python 3.11 on Linux, with always-ready instances for the HTTP and Durable groups and
    for each queue trigger's own group."""
    config = site.body["properties"]["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "3.11"}
    assert "linux" in site.body["kind"]
    groups = {group["name"] for group in config["scaleAndConcurrency"]["alwaysReady"]}
    assert groups == {
        "http",
        "durable",
        "function:operations_alert",
        "function:records_outbox",
        "function:escalation_fallback",
        "function:escalation_fallback_poison",
    }
    assert config["deployment"]["storage"]["authentication"]["type"] == "SystemAssignedIdentity"
    (plan,) = _bicep.resources("Microsoft.Web/serverfarms")
    assert plan.body["sku"] == {"name": "FC1", "tier": "FlexConsumption"}


@pytest.mark.parametrize("site", SITES, ids=lambda r: r.name)
def test_function_app_only_admits_its_front_door(site: _bicep.Resource) -> None:
    """Direct calls are denied; only the Front Door service tag with our profile id gets in."""
    config = site.body["properties"]["siteConfig"]
    assert config["ipSecurityRestrictionsDefaultAction"] == "Deny"
    (rule,) = config["ipSecurityRestrictions"]
    assert (rule["action"], rule["tag"], rule["ipAddress"]) == (
        "Allow",
        "ServiceTag",
        "AzureFrontDoor.Backend",
    )
    # pycep keeps the quotes of a quoted object key.
    headers = {key.strip("'"): value for key, value in rule["headers"].items()}
    assert headers["x-azure-fdid"] == ["frontDoorId"]


def test_basic_publishing_credentials_are_off() -> None:
    """FTP and SCM user-name/password publishing is disabled; deployments use Entra tokens."""
    policies = _bicep.resources("Microsoft.Web/sites/basicPublishingCredentialsPolicies")
    assert {p.body["name"] for p in policies} == {"ftp", "scm"}
    assert all(p.body["properties"]["allow"] is False for p in policies)


@pytest.mark.parametrize("account", STORAGE, ids=lambda r: r.name)
def test_storage_is_https_tls_1_2_private_and_keyless(account: _bicep.Resource) -> None:
    """HTTPS only, TLS 1.2, no public blob access, and shared keys disabled."""
    properties = account.body["properties"]
    assert properties["supportsHttpsTrafficOnly"] is True
    assert properties["minimumTlsVersion"] == "TLS1_2"
    assert properties["allowBlobPublicAccess"] is False
    assert properties["allowSharedKeyAccess"] is False
    assert properties["defaultToOAuthAuthentication"] is True


def test_storage_has_the_gateway_tables() -> None:
    """Each region's storage gets the breakers, health, audit and escalations tables."""
    region = _bicep.INFRA / "modules" / "region.bicep"
    assert _bicep.variable(region, "tableNames") == ["breakers", "health", "audit", "escalations"]
    assert _bicep.module("storage", region).params["tableNames"] == "tableNames"


@pytest.mark.parametrize("vault", VAULTS, ids=lambda r: r.name)
def test_key_vault_uses_rbac_soft_delete_and_purge_protection(vault: _bicep.Resource) -> None:
    """The vault is RBAC-only and deleted secrets stay recoverable."""
    properties = vault.body["properties"]
    assert properties["enableRbacAuthorization"] is True
    assert properties["enableSoftDelete"] is True
    assert properties["enablePurgeProtection"] is True


@pytest.mark.parametrize("account", OPENAI, ids=lambda r: r.name)
def test_openai_account_has_identity_and_custom_subdomain(account: _bicep.Resource) -> None:
    """A custom subdomain is what makes Entra (managed identity) calls possible."""
    assert account.body["identity"]["type"] == "SystemAssigned"
    assert account.body["properties"]["customSubDomainName"] == "name"


@pytest.mark.parametrize("output", OUTPUTS, ids=lambda o: f"{_bicep.relative(o[0])}:{o[1]}")
def test_output_exposes_no_key_or_connection_string(output: tuple[Any, str, Any]) -> None:
    """Deployment outputs are readable by anyone with read access, so none may carry a secret."""
    _, name, declared = output
    assert not SECRET_NAME.search(name), f"output name {name!r} looks secret"
    assert "secure" not in [d["type"] for d in declared["decorators"]]
    leaks = [node for node in _bicep.walk(declared["value"]) if _is_secret_expression(node)]
    assert not leaks, f"output {name!r} reads {leaks}"


def test_only_the_key_copy_reads_keys() -> None:
    """listKeys appears once: where the Azure OpenAI key is copied into Key Vault."""
    readers = [
        (resource.path.name, resource.name)
        for resource in _bicep.resources()
        for node in _bicep.walk(resource.body)
        if _is_secret_expression(node) and isinstance(node, dict)
    ]
    assert readers == [("openai.bicep", "keyCopy")]


def _authentication() -> dict[str, Any]:
    (resource,) = [
        r for r in _bicep.resources("Microsoft.Web/sites/config") if r.name == "authentication"
    ]
    properties: dict[str, Any] = resource.body["properties"]
    assert resource.body["name"] == "authsettingsV2"
    return properties


def test_operators_sign_in_with_entra_id_limited_to_their_group() -> None:
    """App Service authentication requires sign-in, with Entra ID, for the operators group."""
    auth = _authentication()
    assert auth["platform"]["enabled"] is True
    assert auth["globalValidation"]["requireAuthentication"] is True
    assert auth["globalValidation"]["unauthenticatedClientAction"] == "RedirectToLoginPage"
    entra = auth["identityProviders"]["azureActiveDirectory"]
    assert entra["enabled"] is True
    policy = entra["validation"]["defaultAuthorizationPolicy"]
    assert policy["allowedPrincipals"]["groups"] == ["operatorGroupId"]


def test_the_bot_probes_and_links_are_excluded_from_sign_in_and_operators_are_not() -> None:
    """Chat keeps its function key, probes and the acknowledgement link stay anonymous; the
    status page and operator routes are behind sign-in."""
    excluded = set(_authentication()["globalValidation"]["excludedPaths"])
    assert {"/api/chat", "/api/v1/chat/completions", "/api/health/ready", "/api/ack"} <= excluded
    # The nurse view's own forms post to these; the signed token is their credential too.
    assert {"/api/ack/case", "/api/ack/view", "/api/ack/outcome"} <= excluded
    for operator in ("/api/status", "/api/status.json", "/api/breakers", "/api/escalations"):
        assert not any(path.startswith(operator) for path in excluded), operator
