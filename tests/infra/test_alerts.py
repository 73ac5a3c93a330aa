"""Azure Monitor alert rules carry the in-app SLA rule names and query the app's metrics."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.infra import _bicep

IN_APP_RULES = {"crisis-sla-violations", "provider-failure", "all-tiers-down", "error-rate"}
CONTRACT_METRICS = {
    "askeve.chat.requests",
    "askeve.chat.latency",
    "askeve.provider.attempts",
    "askeve.provider.latency",
    "askeve.failovers",
    "askeve.breaker.state",
    "askeve.breaker.transitions",
    "askeve.health.checks",
    "askeve.escalations",
    "askeve.sla.violations",
    "askeve.sla.compliance",
}
RULES = _bicep.resources("Microsoft.Insights/scheduledQueryRules")


def _query(rule: _bicep.Resource) -> str:
    (criterion,) = rule.body["properties"]["criteria"]["allOf"]
    query: Any = criterion["query"]
    if isinstance(query, dict):
        query = query["function"]["parameters"]["format_string"]
    assert isinstance(query, str)
    return query


@pytest.mark.safety("H11")
def test_alert_rule_names_match_the_in_app_rules() -> None:
    """Each rule is named <prefix>-<in-app rule name>, one per in-app rule."""
    suffixes = set()
    for rule in RULES:
        match = re.fullmatch(r"\$\{namePrefix\}-(.+)", rule.body["name"])
        assert match, rule.body["name"]
        suffixes.add(match.group(1))
    assert suffixes == IN_APP_RULES


def test_alert_rules_notify_the_action_group() -> None:
    """Every rule raises the one action group, and clears itself when the condition ends."""
    for rule in RULES:
        properties = rule.body["properties"]
        assert properties["actions"]["actionGroups"], rule.name
        assert properties["autoMitigate"] is True


def test_alert_queries_read_contract_metrics() -> None:
    """Each query reads a custom metric the app emits, by its exact name."""
    for rule in RULES:
        names = set(re.findall(r'"(askeve\.[a-z.]+)"', _query(rule)))
        assert names, rule.name
        assert names <= CONTRACT_METRICS, f"{rule.name} reads unknown metrics {names}"


@pytest.mark.safety("H11")
def test_crisis_and_total_outage_page_at_top_severity() -> None:
    """Crisis SLA misses and all-tiers-down are severity 0, checked every minute."""
    by_name = {rule.name: rule.body["properties"] for rule in RULES}
    for name in ("crisisSlaViolations", "allTiersDown"):
        assert by_name[name]["severity"] == 0
        assert by_name[name]["evaluationFrequency"] == "PT1M"


def test_action_group_has_email_and_webhook() -> None:
    """The action group e-mails on-call and posts to the webhook when one is configured."""
    (group,) = _bicep.resources("Microsoft.Insights/actionGroups")
    properties = group.body["properties"]
    assert properties["emailReceivers"][0]["emailAddress"] == "alertEmail"
    assert properties["webhookReceivers"] == "webhookReceivers"
    alerts = _bicep.INFRA / "modules" / "alerts.bicep"
    receivers = _bicep.variable(alerts, "webhookReceivers")["operator"]["operands"]
    assert receivers["false_value"][0]["serviceUri"] == "alertWebhookUrl"
    decorators = _bicep.params(alerts)["alertWebhookUrl"]["decorators"]
    assert "secure" in [d["type"] for d in decorators]
