"""Front Door Premium: priority routing with a liveness probe, and the WAF in front of it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra import _bicep

ROUTING = _bicep.INFRA / "modules" / "frontdoor-routing.bicep"


def _one(resource_type: str) -> dict[str, Any]:
    (resource,) = _bicep.resources(resource_type)
    return resource.body


def _custom_rule(name: str) -> dict[str, Any]:
    rules = _one("Microsoft.Network/FrontDoorWebApplicationFirewallPolicies")["properties"]
    rule: dict[str, Any] = next(r for r in rules["customRules"]["rules"] if r["name"] == name)
    return rule


def test_profile_and_waf_are_premium() -> None:
    """Premium is needed for the managed rule sets and Private Link origins."""
    assert _one("Microsoft.Cdn/profiles")["sku"]["name"] == "Premium_AzureFrontDoor"
    waf = _one("Microsoft.Network/FrontDoorWebApplicationFirewallPolicies")
    assert waf["sku"]["name"] == "Premium_AzureFrontDoor"


def test_origins_get_priority_in_region_order() -> None:
    """One origin per region, priority 1 for the first (primary), 2 for the next."""
    origins = _bicep.module("frontDoorRouting").params["origins"]
    assert origins["loop_type"]["detail"] == {
        "item_name": "region",
        "index_name": "i",
        "array_name": "regions",
    }
    priority = origins["config"]["priority"]["operator"]
    assert priority == {"type": "add", "operands": {"operand_1": "i", "operand_2": 1}}
    (origin,) = _bicep.resources("Microsoft.Cdn/profiles/originGroups/origins")
    assert origin.body["properties"]["priority"]["operator"]["operands"] == {
        "operand_1": "origin",
        "operand_2": "priority",
    }


def test_health_probe_calls_the_liveness_route_over_https() -> None:
    """Front Door probes /api/health/live over HTTPS and fails over on its own."""
    probe = _one("Microsoft.Cdn/profiles/originGroups")["properties"]["healthProbeSettings"]
    assert probe["probePath"] == "healthProbePath"
    assert probe["probeProtocol"] == "Https"
    assert _bicep.module("frontDoorRouting").params["healthProbePath"] == "healthProbePath"
    assert _bicep.variable(_bicep.MAIN, "healthProbePath") == "/api/health/live"


def test_route_is_https_only_end_to_end() -> None:
    """Clients reach Front Door over HTTPS only, and Front Door calls the apps over HTTPS."""
    route = _one("Microsoft.Cdn/profiles/afdEndpoints/routes")["properties"]
    assert route["supportedProtocols"] == ["Https"]
    assert route["forwardingProtocol"] == "HttpsOnly"
    origin = _one("Microsoft.Cdn/profiles/originGroups/origins")["properties"]
    assert origin["enforceCertificateNameCheck"] is True


def test_waf_blocks_request_bodies_over_2_mb() -> None:
    """A custom rule blocks any request whose Content-Length exceeds 2 MB."""
    rule = _custom_rule("BlockBodyOver2MB")
    assert rule["action"] == "Block"
    (condition,) = rule["matchConditions"]
    assert (condition["matchVariable"], condition["selector"], condition["operator"]) == (
        "RequestHeader",
        "Content-Length",
        "GreaterThan",
    )
    assert _bicep.module("frontDoorRouting").params["maxRequestBodyBytes"] == "maxRequestBodyBytes"
    assert _bicep.variable(_bicep.MAIN, "maxRequestBodyBytes") == 2 * 1024 * 1024


@pytest.mark.safety("H09")
def test_waf_has_a_rate_limit_rule_per_client() -> None:
    """API calls are rate limited per client address over one minute."""
    rule = _custom_rule("RateLimitPerClient")
    assert rule["ruleType"] == "RateLimitRule"
    assert rule["action"] == "Block"
    assert rule["rateLimitDurationInMinutes"] == 1
    assert rule["groupBy"] == [{"variableName": "SocketAddr"}]


def test_waf_runs_the_managed_default_rule_set() -> None:
    """Microsoft's default rule set blocks, with only the chat text itself excluded."""
    waf = _one("Microsoft.Network/FrontDoorWebApplicationFirewallPolicies")["properties"]
    sets = {s["ruleSetType"]: s for s in waf["managedRules"]["managedRuleSets"]}
    default = sets["Microsoft_DefaultRuleSet"]
    assert default["ruleSetAction"] == "Block"
    assert [e["selector"] for e in default["exclusions"]] == ["messages"]
    assert waf["policySettings"]["enabledState"] == "Enabled"
    assert waf["policySettings"]["requestBodyCheck"] == "Enabled"


def test_prod_waf_is_in_prevention_mode() -> None:
    """Production blocks; only dev may run the WAF in detection mode."""
    assert _bicep.parameter_file("prod")["wafMode"]["value"] == "Prevention"


def test_waf_is_attached_to_the_endpoint() -> None:
    """The security policy binds the WAF policy to the endpoint for every path."""
    policy = _one("Microsoft.Cdn/profiles/securityPolicies")["properties"]["parameters"]
    assert policy["type"] == "WebApplicationFirewall"
    (association,) = policy["associations"]
    assert association["patternsToMatch"] == ["/*"]
