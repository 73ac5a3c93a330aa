"""The workbook shows the status page's views from the App Insights metrics and traces."""

from __future__ import annotations

import json
from typing import Any

from tests.infra import _bicep

WORKBOOK = _bicep.INFRA / "workbook" / "askeve-status.workbook.json"


def _queries() -> list[dict[str, Any]]:
    items = json.loads(WORKBOOK.read_text("utf-8"))["items"]
    return [item["content"] for item in items if item["type"] == 3]


def test_workbook_is_a_notebook_document() -> None:
    """The file is the JSON the portal saves, with a time-range parameter."""
    document = json.loads(WORKBOOK.read_text("utf-8"))
    assert document["version"] == "Notebook/1.0"
    parameters = [i for i in document["items"] if i["type"] == 9]
    assert parameters[0]["content"]["parameters"][0]["name"] == "TimeRange"


def test_workbook_covers_the_status_views() -> None:
    """Breakers, tiers, failovers, health checks, SLAs and escalations each have a view."""
    text = "\n".join(query["query"] for query in _queries())
    for metric in (
        "askeve.breaker.state",
        "askeve.chat.requests",
        "askeve.chat.latency",
        "askeve.failovers",
        "askeve.health.checks",
        "askeve.sla.compliance",
        "askeve.sla.violations",
        "askeve.escalations",
    ):
        assert f'"{metric}"' in text, metric
    assert '"tier.attempt"' in text


def test_every_query_follows_the_time_range() -> None:
    """Each query runs against App Insights over the chosen time range."""
    for query in _queries():
        assert query["timeContextFromParameter"] == "TimeRange", query["title"]
        assert query["resourceType"] == "microsoft.insights/components"


def test_workbook_is_deployed_against_app_insights() -> None:
    """The workbook resource loads this file and is bound to the App Insights component."""
    (workbook,) = _bicep.resources("Microsoft.Insights/workbooks")
    properties = workbook.body["properties"]
    loaded = properties["serializedData"]["function"]["parameters"]["file_path"]
    assert (workbook.path.parent / loaded).resolve() == WORKBOOK
    assert properties["sourceId"] == "appInsightsId"
