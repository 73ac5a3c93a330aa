"""Orchestrations end to end: the real DurableOrchestrationClient against the dev host."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from devhost.background import RunningDevHost
from tests.devhost.conftest import FUNCTION_KEY, SYSTEM_KEY
from tests.devhost.http_client import Reply, call, poll

pytestmark = pytest.mark.integration

KEY = {"x-functions-key": FUNCTION_KEY}


def _run(host: RunningDevHost, orchestrator: str, orchestration_input: Any) -> tuple[Reply, float]:
    started = time.monotonic()
    reply = call(
        "POST",
        f"{host.base_url}/api/run/{orchestrator}",
        headers=KEY,
        json_body=orchestration_input,
    )
    return reply, time.monotonic() - started


def _webhooks(host: RunningDevHost, path: str) -> str:
    separator = "&" if "?" in path else "?"
    return f"{host.base_url}/runtime/webhooks/durabletask/{path}{separator}code={SYSTEM_KEY}"


def _is_finished(reply: Reply) -> bool:
    return reply.status == 200


def test_an_activity_that_beats_the_timer_completes_promptly(toy_host: RunningDevHost) -> None:
    """The timer (5 s) is cancelled, so the instance completes as soon as the activity does."""
    reply, elapsed = _run(toy_host, "race", {"delay_s": 0.01, "timeout_s": 5})
    assert reply.status == 200
    assert reply.json() == {"winner": "activity", "value": {"delay_s": 0.01, "timeout_s": 5}}
    assert elapsed < 2.5


def test_a_sub_second_timer_beats_a_slow_activity(toy_host: RunningDevHost) -> None:
    """The durable timer fires first and the orchestrator returns without the result."""
    reply, elapsed = _run(toy_host, "race", {"delay_s": 5, "timeout_s": 0.2})
    assert reply.json() == {"winner": "timer"}
    assert 0.2 <= elapsed < 2.5


def test_a_failed_activity_raises_in_the_orchestrator(toy_host: RunningDevHost) -> None:
    """The activity's exception reaches the orchestrator when it re-yields the task."""
    reply, _ = _run(toy_host, "race", {"delay_s": 0, "timeout_s": 5, "fail": True})
    assert reply.json() == {
        "winner": "activity",
        "error": "ValueError: activity failed on purpose ",
    }


def test_a_synchronous_activity_runs_in_the_thread_pool(toy_host: RunningDevHost) -> None:
    """A plain def activity works and its result comes back."""
    reply, _ = _run(toy_host, "doubler", 21)
    assert (reply.status, reply.json()) == (200, 42)


def test_an_external_event_resumes_the_orchestrator(toy_host: RunningDevHost) -> None:
    """An event raised through the management URL is the awaited value."""
    started = call("POST", f"{toy_host.base_url}/api/start/approval", headers=KEY)
    assert started.status == 202
    urls = started.json()
    send = urls["sendEventPostUri"].replace("{eventName}", "approval")
    assert call("POST", send, json_body={"ok": True}).status == 202
    done = poll(urls["statusQueryGetUri"], _is_finished).json()
    assert (done["runtimeStatus"], done["output"]) == ("Completed", {"decision": {"ok": True}})
    assert done["customStatus"] == "decided"


def test_status_shows_running_and_custom_status(toy_host: RunningDevHost) -> None:
    """A waiting instance answers 202 with runtimeStatus Running and its custom status."""
    urls = call("POST", f"{toy_host.base_url}/api/start/approval", headers=KEY).json()
    status = poll(urls["statusQueryGetUri"], lambda r: r.json()["customStatus"] == "waiting")
    assert (status.status, status.json()["runtimeStatus"]) == (202, "Running")


def test_status_of_an_unknown_instance_is_404(toy_host: RunningDevHost) -> None:
    """Nothing by that id."""
    assert call("GET", _webhooks(toy_host, "instances/no-such-instance")).status == 404


def test_history_is_shown_on_request(toy_host: RunningDevHost) -> None:
    """showHistory=true lists the events, starting with the first episode."""
    reply, _ = _run(toy_host, "doubler", 1)
    assert reply.status == 200
    instances = call("GET", _webhooks(toy_host, "instances/?runtimeStatus=Completed")).json()
    instance_id = next(i["instanceId"] for i in instances if i["name"] == "doubler")
    status = call("GET", _webhooks(toy_host, f"instances/{instance_id}?showHistory=true")).json()
    assert [e["EventType"] for e in status["historyEvents"]][:2] == [12, 0]


def test_starting_a_live_instance_id_again_is_refused(toy_host: RunningDevHost) -> None:
    """As in Azure, a running instance cannot be replaced; the error says why."""
    instance_id = f"fixed-{uuid.uuid4().hex}"
    url = _webhooks(toy_host, f"orchestrators/sleeper/{instance_id}")
    assert call("POST", url).status == 202
    second = call("POST", url)
    assert second.status == 500
    assert "already exists" in second.json()["ExceptionMessage"]
    call("POST", _webhooks(toy_host, f"instances/{instance_id}/terminate?reason=test"))


def test_an_unknown_orchestrator_is_a_400(toy_host: RunningDevHost) -> None:
    """The SDK reads ExceptionMessage from the 400."""
    reply = call("POST", _webhooks(toy_host, "orchestrators/no_such_orchestrator"))
    assert reply.status == 400
    assert "doesn't exist" in reply.json()["ExceptionMessage"]


def test_terminate_then_terminate_again(toy_host: RunningDevHost) -> None:
    """Terminate is 202 for a live instance and 410 once it has finished."""
    instance_id = call("POST", _webhooks(toy_host, "orchestrators/sleeper")).json()["id"]
    terminate = _webhooks(toy_host, f"instances/{instance_id}/terminate?reason=enough")
    assert call("POST", terminate).status == 202
    status = call("GET", _webhooks(toy_host, f"instances/{instance_id}")).json()
    assert (status["runtimeStatus"], status["output"]) == ("Terminated", "enough")
    assert call("POST", terminate).status == 410


def test_purge_forgets_a_finished_instance(toy_host: RunningDevHost) -> None:
    """DELETE on a finished instance removes it; a second DELETE finds nothing."""
    instance_id = call("POST", _webhooks(toy_host, "orchestrators/sleeper")).json()["id"]
    call("POST", _webhooks(toy_host, f"instances/{instance_id}/terminate?reason=x"))
    purge = _webhooks(toy_host, f"instances/{instance_id}")
    reply = call("DELETE", purge)
    assert (reply.status, reply.json()) == (200, {"instancesDeleted": 1})
    assert call("DELETE", purge).status == 404


def test_raising_an_event_on_a_finished_instance_is_410(toy_host: RunningDevHost) -> None:
    """Events for finished instances are gone."""
    instance_id = call("POST", _webhooks(toy_host, "orchestrators/sleeper")).json()["id"]
    call("POST", _webhooks(toy_host, f"instances/{instance_id}/terminate?reason=x"))
    raise_url = _webhooks(toy_host, f"instances/{instance_id}/raiseEvent/approval")
    assert call("POST", raise_url, json_body=1).status == 410


def test_an_orchestrator_exception_fails_the_instance(toy_host: RunningDevHost) -> None:
    """runtimeStatus Failed with the error as output; the SDK's wait answers 500."""
    reply, _ = _run(toy_host, "broken", 0)
    assert reply.status == 500
    status = reply.json()
    assert status["runtimeStatus"] == "Failed"
    assert status["output"] == "Orchestrator function 'broken' failed: broken on purpose"


def test_sub_orchestrations_return_results_and_failures(toy_host: RunningDevHost) -> None:
    """A child's output comes back; a failed child raises in the parent."""
    reply, _ = _run(toy_host, "parent", 4)
    assert reply.json() == {
        "doubled": 8,
        "child_error": "Orchestrator function 'broken' failed: broken on purpose",
    }


def test_a_running_instance_is_not_purged(toy_host: RunningDevHost) -> None:
    """As the extension's backends do: purge only finished instances (404), terminate first."""
    instance_id = call("POST", _webhooks(toy_host, "orchestrators/sleeper")).json()["id"]
    purge = _webhooks(toy_host, f"instances/{instance_id}")
    assert call("DELETE", purge).status == 404
    assert call("GET", _webhooks(toy_host, f"instances/{instance_id}")).status == 202
    call("POST", _webhooks(toy_host, f"instances/{instance_id}/terminate?reason=x"))
    assert call("DELETE", purge).status == 200
    assert call("GET", _webhooks(toy_host, f"instances/{instance_id}")).status == 404


def test_a_purged_instance_with_a_large_input_is_gone_entirely(toy_host: RunningDevHost) -> None:
    """A 960 kB input (a large message in Azure Storage, just under the scheduler's 1 MB)
    leaves nothing behind once purged."""
    marker = uuid.uuid4().hex
    start = _webhooks(toy_host, "orchestrators/sleeper")
    instance_id = call("POST", start, json_body={"text": marker * 30_000}).json()["id"]
    call("POST", _webhooks(toy_host, f"instances/{instance_id}/terminate?reason=x"))
    assert call("DELETE", _webhooks(toy_host, f"instances/{instance_id}")).status == 200
    listed = call("GET", _webhooks(toy_host, "instances?showInput=true"))
    assert marker not in json.dumps(listed.json())


def test_status_reads_are_tallied_by_whether_they_carried_the_input(
    toy_host: RunningDevHost,
) -> None:
    """The dev host counts status reads with and without the input, for the privacy tests."""
    instance_id = call("POST", _webhooks(toy_host, "orchestrators/sleeper"), json_body=1).json()[
        "id"
    ]
    tally = _webhooks(toy_host, "_devhost/status-reads")
    before = call("GET", tally).json()
    call("GET", _webhooks(toy_host, f"instances/{instance_id}?showInput=false"))
    call("GET", _webhooks(toy_host, f"instances/{instance_id}"))
    after = call("GET", tally).json()
    assert (after["total"] - before["total"], after["withInput"] - before["withInput"]) == (2, 1)
    call("POST", _webhooks(toy_host, f"instances/{instance_id}/terminate?reason=x"))


def _terminated(host: RunningDevHost, prefix: str, count: int) -> set[str]:
    """``count`` finished (terminated) instances whose ids start with ``prefix``."""
    ids = set()
    for i in range(count):
        instance_id = f"{prefix}{i}"
        call("POST", _webhooks(host, f"orchestrators/sleeper/{instance_id}"))
        call("POST", _webhooks(host, f"instances/{instance_id}/terminate?reason=x"))
        ids.add(instance_id)
    return ids


def test_the_list_pages_with_top_and_a_continuation_token(toy_host: RunningDevHost) -> None:
    """As the extension does, a list asked for ``top`` at a time comes in pages, each but the
    last with a continuation token that the next request sends back as a header."""
    prefix = f"paged-{uuid.uuid4().hex[:8]}-"
    expected = _terminated(toy_host, prefix, 5)
    url = _webhooks(toy_host, f"instances/?instanceIdPrefix={prefix}&top=2")
    sizes, seen, token = [], set(), None
    for _ in range(10):
        reply = call("GET", url, headers={"x-ms-continuation-token": token} if token else None)
        assert reply.status == 200
        page = reply.json()
        sizes.append(len(page))
        seen |= {item["instanceId"] for item in page}
        token = reply.headers.get("x-ms-continuation-token")
        if not token:
            break
    assert sizes == [2, 2, 1]
    assert seen == expected


def test_a_list_without_top_is_one_page(toy_host: RunningDevHost) -> None:
    """Without ``top`` every match comes at once, with no continuation token."""
    prefix = f"whole-{uuid.uuid4().hex[:8]}-"
    _terminated(toy_host, prefix, 3)
    reply = call("GET", _webhooks(toy_host, f"instances/?instanceIdPrefix={prefix}"))
    assert len(reply.json()) == 3
    assert reply.headers.get("x-ms-continuation-token") is None


def test_a_malformed_continuation_token_is_a_400(toy_host: RunningDevHost) -> None:
    """A token the host did not issue is refused, as a bad argument."""
    reply = call(
        "GET",
        _webhooks(toy_host, "instances/?top=2"),
        headers={"x-ms-continuation-token": "not-a-token"},
    )
    assert reply.status == 400
