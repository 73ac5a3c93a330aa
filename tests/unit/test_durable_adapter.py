"""The Durable client adapter's requests: status and list reads that never ask for the input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import azure.durable_functions as df

from api.durable import list_url, rpc_base_url, status_url

BINDING = {
    "taskHubName": "hub",
    "creationUrls": {},
    "managementUrls": {},
    "baseUrl": "http://127.0.0.1:7071/runtime/webhooks/durabletask",
    "requiredQueryStringParameters": "code=x",
    "rpcBaseUrl": "http://127.0.0.1:45678/durabletask/",
    "httpBaseUrl": "",
}


def test_the_rpc_base_url_comes_from_the_sdk_client() -> None:
    """The adapter finds the same rpcBaseUrl the SDK's own calls use (pins the SDK attribute)."""
    client = df.DurableOrchestrationClient(json.dumps(BINDING))
    assert rpc_base_url(client) == "http://127.0.0.1:45678/durabletask/"


def test_a_status_read_asks_for_no_input() -> None:
    """showInput=false is sent explicitly: the extension's default is to include it."""
    url = status_url("http://h/durabletask/", "chat/1")
    assert url == "http://h/durabletask/instances/chat%2F1?showInput=false"


def test_a_list_read_asks_for_finished_instances_without_input() -> None:
    """The retention sweep lists finished instances created before the cutoff, inputs left out."""
    cutoff = datetime(2026, 12, 1, 12, 0, 0, 250000, tzinfo=UTC)
    query = parse_qs(urlsplit(list_url("http://h/durabletask/", cutoff)).query)
    assert query["showInput"] == ["false"]
    assert query["runtimeStatus"] == ["Completed,Failed,Terminated"]
    assert query["createdTimeTo"] == ["2026-12-01T12:00:00.250000Z"]
