"""host.json: the route prefix and the task hub name (pure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devhost.hostjson import HostConfig, HostJsonError, read_host_json


def _write(directory: Path, document: object) -> None:
    (directory / "host.json").write_text(json.dumps(document), encoding="utf-8")


def test_defaults_without_a_file(tmp_path: Path) -> None:
    """No host.json: prefix 'api', hub 'TestHubName'."""
    assert read_host_json(tmp_path, {}) == HostConfig("api", "TestHubName")


def test_the_route_prefix_is_read_and_may_be_empty(tmp_path: Path) -> None:
    """routePrefix '' serves the triggers at the root, as in Azure."""
    _write(tmp_path, {"extensions": {"http": {"routePrefix": ""}}})
    assert read_host_json(tmp_path, {}).route_prefix == ""


def test_the_hub_name_resolves_setting_references(tmp_path: Path) -> None:
    """'%HUB%' in hubName takes the app setting."""
    _write(tmp_path, {"extensions": {"durableTask": {"hubName": "%HUB%"}}})
    assert read_host_json(tmp_path, {"HUB": "askevelocal"}).task_hub == "askevelocal"


def test_an_unset_hub_setting_falls_back_to_the_default(tmp_path: Path) -> None:
    """The hub only names memory here, so a missing setting does not stop the host."""
    _write(tmp_path, {"extensions": {"durableTask": {"hubName": "%HUB%"}}})
    assert read_host_json(tmp_path, {}).task_hub == "TestHubName"


def test_a_malformed_section_is_refused(tmp_path: Path) -> None:
    """'http' must be an object."""
    _write(tmp_path, {"extensions": {"http": "api"}})
    with pytest.raises(HostJsonError, match="http must be a JSON object"):
        read_host_json(tmp_path, {})


def test_the_default_version_is_read(tmp_path: Path) -> None:
    """durableTask.defaultVersion is what new instances are stamped with."""
    _write(tmp_path, {"extensions": {"durableTask": {"defaultVersion": "2"}}})
    assert read_host_json(tmp_path, {}).default_version == "2"


def test_queue_options_default_as_in_the_functions_host(tmp_path: Path) -> None:
    """No extensions.queues: 1 min polling, visible again at once, poison after 5, base64."""
    queues = read_host_json(tmp_path, {}).queues
    assert (queues.max_polling_interval_s, queues.visibility_timeout_s) == (60.0, 0.0)
    assert (queues.max_dequeue_count, queues.batch_size, queues.base64) == (5, 16, True)


def test_queue_options_read_time_spans(tmp_path: Path) -> None:
    """maxPollingInterval and visibilityTimeout are hh:mm:ss time spans."""
    _write(
        tmp_path,
        {
            "extensions": {
                "queues": {
                    "maxPollingInterval": "00:00:02",
                    "visibilityTimeout": "00:00:05",
                    "maxDequeueCount": 3,
                }
            }
        },
    )
    queues = read_host_json(tmp_path, {}).queues
    assert (queues.max_polling_interval_s, queues.visibility_timeout_s) == (2.0, 5.0)
    assert queues.max_dequeue_count == 3


def test_a_bad_queue_option_is_an_error(tmp_path: Path) -> None:
    """A maxDequeueCount below one stops the host with a message."""
    _write(tmp_path, {"extensions": {"queues": {"maxDequeueCount": 0}}})
    with pytest.raises(HostJsonError, match="maxDequeueCount"):
        read_host_json(tmp_path, {})


def test_app_settings_override_queue_options(tmp_path: Path) -> None:
    """AzureFunctionsJobHost__extensions__queues__* wins over host.json, as in Azure."""
    _write(
        tmp_path,
        {"extensions": {"queues": {"maxDequeueCount": 5, "visibilityTimeout": "00:00:05"}}},
    )
    settings = {
        "AzureFunctionsJobHost__extensions__queues__maxDequeueCount": "2",
        "AzureFunctionsJobHost__extensions__queues__visibilityTimeout": "00:00:00.5",
    }
    queues = read_host_json(tmp_path, settings).queues
    assert (queues.max_dequeue_count, queues.visibility_timeout_s) == (2, 0.5)


def test_a_bad_queue_override_is_an_error(tmp_path: Path) -> None:
    """A count that is not a whole number is refused, naming the setting."""
    with pytest.raises(HostJsonError, match="maxDequeueCount"):
        read_host_json(
            tmp_path, {"AzureFunctionsJobHost__extensions__queues__maxDequeueCount": "x"}
        )
