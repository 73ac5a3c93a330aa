"""The Flex topology: function groups, one OS process each, and how they reach each other."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devhost import loader
from devhost.processes import HostProcesses, start_host
from devhost.topology import (
    Placement,
    Topology,
    function_groups,
    group_of,
    groups_in_order,
    hop_delay_s,
)
from tests.devhost import toy_app
from tests.devhost.conftest import ADMIN_KEY, FUNCTION_KEY, SYSTEM_KEY, TOY_APP, TOY_SETTINGS
from tests.devhost.http_client import call

REPO_ROOT = Path(__file__).resolve().parents[2]


class _Function:
    """What the grouping reads of a registered function: its name and its bindings."""

    def __init__(self, name: str, trigger: str) -> None:
        self._name = name
        self._trigger = trigger

    def get_function_name(self) -> str:
        return self._name

    def get_function_json(self) -> str:
        bindings: list[dict[str, Any]] = [{"type": self._trigger, "name": "x"}]
        return json.dumps({"bindings": bindings})


@pytest.mark.parametrize(
    ("trigger", "group"),
    [
        ("httpTrigger", "http"),
        ("orchestrationTrigger", "durable"),
        ("activityTrigger", "durable"),
        ("entityTrigger", "durable"),
        ("timerTrigger", "function:nightly"),
    ],
)
def test_each_trigger_kind_has_its_flex_group(trigger: str, group: str) -> None:
    """HTTP together, Durable together, anything else on its own."""
    assert group_of("nightly", trigger) == group


def test_a_trigger_kind_added_later_gets_a_group_of_its_own() -> None:
    """A queue trigger needs no change to the grouping: it is function:<name>."""
    groups = function_groups([_Function("deliver_alerts", "queueTrigger")])
    assert groups == {"deliver_alerts": "function:deliver_alerts"}


def test_the_toy_app_splits_into_http_durable_and_its_timer() -> None:
    """Every function of the toy app lands in one of three groups, Durable listed first."""
    functions = loader.registered_functions(loader.load_app(TOY_APP))
    groups = function_groups(functions)
    assert groups["tick"] == "function:tick"
    assert groups["race"] == groups["slow_echo"] == "durable"
    assert groups["hello"] == groups["run_orchestration"] == "http"
    assert groups_in_order(groups.values()) == ["durable", "http", "function:tick"]


def test_the_topology_defaults_to_single() -> None:
    """No DEVHOST_TOPOLOGY: one process, as before."""
    assert Topology.from_settings({}) is Topology.SINGLE
    assert Topology.from_settings({"DEVHOST_TOPOLOGY": " Flex "}) is Topology.FLEX


def test_an_unknown_topology_is_refused() -> None:
    """A typo is an error that names the setting."""
    with pytest.raises(ValueError, match="DEVHOST_TOPOLOGY"):
        Topology.from_settings({"DEVHOST_TOPOLOGY": "flexi"})


@pytest.mark.parametrize(("raw", "seconds"), [("", 0.0), ("0", 0.0), ("250", 0.25)])
def test_the_hop_delay_is_read_in_milliseconds(raw: str, seconds: float) -> None:
    """DEVHOST_DURABLE_HOP_MS, default 0."""
    assert hop_delay_s({"DEVHOST_DURABLE_HOP_MS": raw}) == seconds


@pytest.mark.parametrize("raw", ["-1", "soon", "nan", "inf"])
def test_a_bad_hop_delay_is_refused(raw: str) -> None:
    """Negative, non-numeric and non-finite delays are errors."""
    with pytest.raises(ValueError, match="DEVHOST_DURABLE_HOP_MS"):
        hop_delay_s({"DEVHOST_DURABLE_HOP_MS": raw})


def test_a_process_without_the_engine_needs_to_know_where_it_is() -> None:
    """Serving only HTTP without the Durable process's URLs is a configuration error."""
    with pytest.raises(ValueError, match="Durable"):
        Placement(served=frozenset({"http"}))


# --- the toy app as Flex processes --------------------------------------------------------


@pytest.fixture(scope="module")
def marker_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the toy timer leaves the id of the process that ran it."""
    return tmp_path_factory.mktemp("flex-markers")


@pytest.fixture(scope="module")
def flex(marker_dir: Path) -> Iterator[HostProcesses]:
    """The toy app in the Flex topology, with the test keys."""
    env = {
        **os.environ,
        **TOY_SETTINGS,
        "DURABLE_TASK_HUB_NAME": "flextests",
        toy_app.MARKER_DIR_SETTING: str(marker_dir),
    }
    with start_host(Topology.FLEX, env=env, app_spec=TOY_APP) as host:
        yield host


@pytest.mark.integration
def test_each_group_runs_in_a_process_of_its_own(flex: HostProcesses) -> None:
    """Three groups, three distinct live processes."""
    assert set(flex.processes) == {"durable", "http", "function:tick"}
    pids = {flex.pid(group) for group in flex.processes}
    assert len(pids) == 3
    assert all(flex.alive().values())


@pytest.mark.integration
def test_every_process_takes_the_same_admin_key(flex: HostProcesses) -> None:
    """Each process, asked directly, accepts the one admin key (404: no such function)."""
    assert flex.admin_key == ADMIN_KEY
    for process in flex.processes.values():
        reply = call(
            "POST",
            f"{process.base_url}/admin/functions/no_such_function",
            headers={"x-functions-key": ADMIN_KEY},
        )
        assert reply.status == 404, process.label


@pytest.mark.integration
def test_http_triggers_answer_from_the_http_process(flex: HostProcesses) -> None:
    """The public port is the HTTP group's process."""
    reply = call("GET", f"{flex.base_url}/api/public/pid")
    assert int(reply.body) == flex.pid("http")


@pytest.mark.integration
def test_activities_run_in_the_durable_process(flex: HostProcesses) -> None:
    """A client in the HTTP process starts an orchestration the Durable process runs."""
    reply = call(
        "POST",
        f"{flex.base_url}/api/run/where",
        headers={"x-functions-key": FUNCTION_KEY},
        json_body={},
    )
    assert reply.status == 200, reply.body
    assert reply.json() == flex.pid("durable")


@pytest.mark.integration
def test_the_http_process_has_no_engine_of_its_own(flex: HostProcesses) -> None:
    """The client binding's RPC URL is the Durable process's: the HTTP process holds none."""
    http_process = flex.processes["http"]
    reply = call(
        "GET",
        f"{http_process.base_url}/runtime/webhooks/durabletask/instances?code={SYSTEM_KEY}",
    )
    durable = call(
        "GET",
        f"{flex.processes['durable'].base_url}/runtime/webhooks/durabletask/instances"
        f"?code={SYSTEM_KEY}",
    )
    assert reply.status == durable.status == 200
    assert reply.json() == durable.json(), "the public Durable API is forwarded"


@pytest.mark.integration
def test_the_forwarded_durable_api_still_needs_the_system_key(flex: HostProcesses) -> None:
    """Forwarding keeps the key check: no key, 401."""
    reply = call("GET", f"{flex.base_url}/runtime/webhooks/durabletask/instances")
    assert reply.status == 401


@pytest.mark.integration
def test_an_operator_runs_a_timer_in_its_own_process(flex: HostProcesses, marker_dir: Path) -> None:
    """POST /admin/functions/tick on the public port runs it in the function:tick process."""
    marker = marker_dir / "tick.pid"
    marker.unlink(missing_ok=True)
    reply = call(
        "POST",
        f"{flex.base_url}/admin/functions/tick",
        headers={"x-functions-key": ADMIN_KEY},
        json_body={"input": ""},
    )
    assert reply.status == 202
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert int(marker.read_text()) == flex.pid("function:tick")


@pytest.mark.integration
def test_the_admin_route_still_refuses_the_function_key(flex: HostProcesses) -> None:
    """Forwarding happens only after the admin key is checked."""
    reply = call(
        "POST",
        f"{flex.base_url}/admin/functions/tick",
        headers={"x-functions-key": FUNCTION_KEY},
    )
    assert reply.status == 401


@pytest.mark.integration
def test_sigterm_stops_only_the_process_it_is_sent_to() -> None:
    """A test can stop the Durable process alone, as Azure scales an instance in."""
    env = {**os.environ, **TOY_SETTINGS, "DURABLE_TASK_HUB_NAME": "flexsigterm"}
    with start_host(Topology.FLEX, env=env, app_spec=TOY_APP) as host:
        host.signal("durable", signal.SIGTERM)
        assert host.of("durable").process.wait(30) == 0
        assert host.alive() == {"durable": False, "http": True, "function:tick": True}
    assert not any(host.alive().values()), "leaving the block stops the rest"
