"""The edge's security rules (a review found the bot's Allow skipping the size rule, chunked
bodies passing it, keys accepted in chat URLs, no HSTS, and no private endpoints option)."""

from __future__ import annotations

from typing import Any

from tests.infra import _bicep


def _rules() -> dict[str, dict[str, Any]]:
    (waf,) = _bicep.resources("Microsoft.Network/FrontDoorWebApplicationFirewallPolicies")
    return {r["name"]: r for r in waf.body["properties"]["customRules"]["rules"]}


def test_the_size_rules_come_before_the_bots_allow() -> None:
    """An Allow ends evaluation, so the 2 MB and 4 KB acknowledgement rules come first."""
    rules = _rules()
    allow = rules["AllowBotBackend"]["priority"]
    for name in ("BlockBodyOver2MB", "BlockAckBodyOver4KB"):
        assert rules[name]["priority"] < allow, name
        assert rules[name]["action"] == "Block"


def test_acknowledgement_bodies_over_4_kb_are_blocked() -> None:
    """``/api/ack`` with a Content-Length over 4096 is blocked at the edge."""
    conditions = _rules()["BlockAckBodyOver4KB"]["matchConditions"]
    assert conditions[0]["matchValue"] == ["/api/ack"]
    assert (conditions[1]["selector"], conditions[1]["operator"]) == (
        "Content-Length",
        "GreaterThan",
    )
    routing = _bicep.parse(_bicep.INFRA / "modules" / "frontdoor-routing.bicep")
    assert routing["parameters"]["maxAckBodyBytes"]["default"] == 4096


def test_chunked_api_bodies_are_blocked() -> None:
    """A body sent in chunks (no Content-Length) to ``/api/*`` is blocked."""
    conditions = _rules()["BlockChunkedApiBody"]["matchConditions"]
    assert conditions[0]["matchValue"] == ["/api/"]
    assert (conditions[1]["selector"], conditions[1]["matchValue"]) == (
        "Transfer-Encoding",
        ["chunked"],
    )


def test_a_key_in_a_chat_url_is_blocked() -> None:
    """``code=`` in the query string of the chat routes is blocked, after the bot's Allow (a
    misconfigured bot must never have its crisis messages blocked)."""
    rules = _rules()
    assert rules["BlockKeyInChatUrl"]["priority"] > rules["AllowBotBackend"]["priority"]
    assert rules["BlockKeyInChatUrl"]["action"] == "Block"
    conditions = rules["BlockKeyInChatUrl"]["matchConditions"]
    assert conditions[0]["matchValue"] == ["/api/chat", "/api/v1/chat/"]
    assert conditions[1]["matchVariable"] == "QueryString"
    assert conditions[1]["matchValue"] == ["(^|&)code="]


def test_front_door_sends_hsts_on_every_response() -> None:
    """A rule with no condition overwrites Strict-Transport-Security, listed first on the
    route so the region-pinning rules cannot stop it."""
    (rule,) = [
        r for r in _bicep.resources("Microsoft.Cdn/profiles/ruleSets/rules") if r.name == "hstsRule"
    ]
    assert rule.body["properties"]["conditions"] == []
    (action,) = rule.body["properties"]["actions"]
    assert action["parameters"]["headerName"] == "Strict-Transport-Security"
    assert action["parameters"]["value"] == "max-age=31536000; includeSubDomains"
    (route,) = _bicep.resources("Microsoft.Cdn/profiles/afdEndpoints/routes")
    first = route.body["properties"]["ruleSets"][0]["id"]
    assert first["operator"]["operands"]["operand_1"] == "securityHeaders"


def test_private_networking_is_on_in_production() -> None:
    """The parameter defaults to on for prod, and the prod parameter file says so."""
    main = _bicep.parse(_bicep.MAIN)
    assert "privateNetworking" in main["parameters"]
    assert _bicep.parameter_file("prod")["privateNetworking"]["value"] is True
    assert "privateNetworking" not in _bicep.parameter_file("dev")


def test_private_networking_closes_the_public_endpoints() -> None:
    """Key Vault, storage and Azure OpenAI take privateOnly, and their public access follows it."""
    for module in ("keyvault", "storage", "openai"):
        text = (_bicep.INFRA / "modules" / f"{module}.bicep").read_text(encoding="utf-8")
        assert "publicNetworkAccess: privateOnly ? 'Disabled' : 'Enabled'" in text, module
        assert "defaultAction: privateOnly ? 'Deny' : 'Allow'" in text, module
    app = (_bicep.INFRA / "modules" / "functionapp.bicep").read_text(encoding="utf-8")
    assert "virtualNetworkSubnetId: empty(subnetId) ? null : subnetId" in app


def test_each_private_endpoint_resource_is_declared() -> None:
    """The network module declares the network, endpoints and DNS zone groups; main peers the
    regions and puts Key Vault and Azure OpenAI in the first region's network."""
    types = {r.type for r in _bicep.resources()}
    assert {
        "Microsoft.Network/virtualNetworks",
        "Microsoft.Network/privateEndpoints",
        "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
        "Microsoft.Network/privateDnsZones",
        "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
    } <= types
