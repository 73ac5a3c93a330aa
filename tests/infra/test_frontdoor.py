"""Front Door Premium: priority routing of /api/* with a readiness probe, region pinning for
acknowledgements, and the WAF in front of it (which never throttles the bot's backend)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra import _bicep

ROUTING = _bicep.INFRA / "modules" / "frontdoor-routing.bicep"


def _one(resource_type: str) -> dict[str, Any]:
    (resource,) = _bicep.resources(resource_type)
    return resource.body


def _named(resource_type: str, name: str) -> dict[str, Any]:
    (resource,) = [r for r in _bicep.resources(resource_type) if r.name == name]
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
    origin = _named("Microsoft.Cdn/profiles/originGroups/origins", "regionOrigins")
    assert origin["properties"]["priority"]["operator"]["operands"] == {
        "operand_1": "origin",
        "operand_2": "priority",
    }


def test_health_probe_calls_the_readiness_route_over_https() -> None:
    """Front Door probes /api/health/ready (503 while storage or Durable is down) over HTTPS,
    for the failover group and for each region's pinned group."""
    for group in _bicep.resources("Microsoft.Cdn/profiles/originGroups"):
        probe = group.body["properties"]["healthProbeSettings"]
        assert probe["probePath"] == "healthProbePath", group.name
        assert probe["probeProtocol"] == "Https", group.name
    assert _bicep.module("frontDoorRouting").params["healthProbePath"] == "healthProbePath"
    assert _bicep.variable(_bicep.MAIN, "healthProbePath") == "/api/health/ready"


def test_only_api_and_sign_in_paths_are_routed() -> None:
    """The route matches /api/* and App Service authentication's /.auth/* (operators' sign-in
    and its callback) alone: /admin/* and /runtime/webhooks/* are not reachable."""
    route = _one("Microsoft.Cdn/profiles/afdEndpoints/routes")["properties"]
    assert route["patternsToMatch"] == ["/api/*", "/.auth/*"]


def test_sign_in_redirects_return_to_the_front_door_host() -> None:
    """App Service authentication builds its redirects from Front Door's forwarded host, so the
    browser is sent to /.auth/* on the Front Door host, which the route above serves."""
    (auth,) = [
        r for r in _bicep.resources("Microsoft.Web/sites/config") if r.name == "authentication"
    ]
    settings = auth.body["properties"]
    assert settings["httpSettings"]["forwardProxy"]["convention"] == "Standard"
    assert settings["globalValidation"]["unauthenticatedClientAction"] == "RedirectToLoginPage"


def test_route_is_https_only_end_to_end() -> None:
    """Clients reach Front Door over HTTPS only, and Front Door calls the apps over HTTPS."""
    route = _one("Microsoft.Cdn/profiles/afdEndpoints/routes")["properties"]
    assert route["supportedProtocols"] == ["Https"]
    assert route["forwardingProtocol"] == "HttpsOnly"
    for origin in _bicep.resources("Microsoft.Cdn/profiles/originGroups/origins"):
        assert origin.body["properties"]["enforceCertificateNameCheck"] is True


def test_the_region_header_pins_a_request_to_that_region() -> None:
    """A rule per region sends requests with x-askeve-region to that region's origin only, and
    the route applies the rule set."""
    rule = _named("Microsoft.Cdn/profiles/ruleSets/rules", "pinRule")["properties"]
    (condition,) = rule["conditions"]
    assert condition["name"] == "RequestHeader"
    assert condition["parameters"]["selector"] == "x-askeve-region"
    assert condition["parameters"]["operator"] == "Equal"
    (action,) = rule["actions"]
    assert action["name"] == "RouteConfigurationOverride"
    override = action["parameters"]["originGroupOverride"]
    assert override["forwardingProtocol"] == "HttpsOnly"
    route = _one("Microsoft.Cdn/profiles/afdEndpoints/routes")["properties"]
    ids = [rule_set["id"]["operator"]["operands"] for rule_set in route["ruleSets"]]
    assert {"operand_1": "pinRules", "operand_2": "id"} in ids


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
def test_waf_allows_the_bot_backend_before_any_other_rule() -> None:
    """The bot's backend (by socket address, which a client cannot forge) is allowed before
    the rate-limit and chunked-body rules, so crisis messages are never throttled at the edge
    (only a body over 2 MB, which the app would refuse anyway, is blocked before it)."""
    allow = _custom_rule("AllowBotBackend")
    assert allow["action"] == "Allow"
    (condition,) = allow["matchConditions"]
    assert (condition["matchVariable"], condition["operator"], condition["matchValue"]) == (
        "SocketAddr",
        "IPMatch",
        "botBackendAddresses",
    )
    assert condition["negateCondition"] is False
    others = [
        _custom_rule("RateLimitPerClient"),
        _custom_rule("BlockChunkedApiBody"),
        _custom_rule("BlockKeyInChatUrl"),
    ]
    assert all(allow["priority"] < rule["priority"] for rule in others)
    assert _bicep.module("frontDoorRouting").params["botBackendAddresses"] == "botBackendAddresses"


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
