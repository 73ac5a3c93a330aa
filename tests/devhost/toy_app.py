"""A small Functions app that exercises every kind of function the dev host serves."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)

# The on-demand timer test waits on this; the function records how it was called.
tick_ran = threading.Event()
tick_requests: list[func.TimerRequest] = []
# The shutdown test checks that the host cancels activities still running.
started_activities: list[float] = []
cancelled_activities: list[float] = []

POLL_INTERVAL_MS = 5
# Run as separate processes (the Flex topology tests), the timer leaves its process id in a
# file in this directory, so the test can see which process ran it.
MARKER_DIR_SETTING = "TOY_MARKER_DIR"


@app.route(route="public/hello", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def hello(req: func.HttpRequest) -> func.HttpResponse:
    """Anonymous, synchronous."""
    return func.HttpResponse("hello", mimetype="text/plain")


@app.route(route="secret", methods=["GET"])
async def secret(req: func.HttpRequest) -> func.HttpResponse:
    """Function-level key required (the app default)."""
    return func.HttpResponse(json.dumps({"ok": True}), mimetype="application/json")


@app.route(route="admin-only", methods=["GET"], auth_level=func.AuthLevel.ADMIN)
async def admin_only(req: func.HttpRequest) -> func.HttpResponse:
    """Admin key required."""
    return func.HttpResponse("admin", status_code=200)


@app.route(route="items/{item_id}/{detail?}", methods=["GET", "POST"])
async def echo(req: func.HttpRequest) -> func.HttpResponse:
    """Echoes what the function saw of the request."""
    body = {
        "method": req.method,
        "url": req.url,
        "route_params": dict(req.route_params),
        "params": dict(req.params),
        "header": req.headers.get("x-toy-header"),
        "body": req.get_body().decode(),
    }
    return func.HttpResponse(
        json.dumps(body),
        status_code=201,
        mimetype="application/json",
        headers={"X-Toy": "yes"},
    )


@app.route(route="boom", methods=["GET"])
def boom(req: func.HttpRequest) -> func.HttpResponse:
    """Always raises."""
    raise RuntimeError("boom on purpose")


@app.route(route="run/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def run_orchestration(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Starts an orchestration and waits for it (polling every 5 ms)."""
    instance_id = await client.start_new(req.route_params["name"], client_input=req.get_json())
    return await client.wait_for_completion_or_create_check_status_response(
        req,
        instance_id,
        timeout_in_milliseconds=10_000,
        retry_interval_in_milliseconds=POLL_INTERVAL_MS,
    )


@app.route(route="start/{name}/{instance_id?}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start_orchestration(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Starts an orchestration and returns the check-status response at once."""
    body = req.get_body()
    instance_id = await client.start_new(
        req.route_params["name"],
        instance_id=req.route_params.get("instance_id"),
        client_input=json.loads(body) if body else None,
    )
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def race(context: df.DurableOrchestrationContext) -> Any:
    """Races ``slow_echo`` against a durable timer, the gateway's per-tier timeout pattern."""
    settings = context.get_input()
    work = context.call_activity("slow_echo", settings)
    deadline = context.current_utc_datetime + timedelta(seconds=settings["timeout_s"])
    timer = context.create_timer(deadline)
    winner = yield context.task_any([work, timer])
    if winner != work:
        return {"winner": "timer"}
    timer.cancel()
    try:
        value = yield work
    except Exception as exc:  # noqa: BLE001 - the SDK re-raises a failed activity as Exception
        return {"winner": "activity", "error": str(exc).splitlines()[0]}
    return {"winner": "activity", "value": value}


@app.activity_trigger(input_name="settings")
async def slow_echo(settings: dict[str, Any]) -> dict[str, Any]:
    """Waits ``delay_s``, then fails if asked to, else echoes its input."""
    started_activities.append(settings["delay_s"])
    try:
        await asyncio.sleep(settings["delay_s"])
    except asyncio.CancelledError:
        cancelled_activities.append(settings["delay_s"])
        raise
    if settings.get("fail"):
        raise ValueError("activity failed on purpose")
    return settings


@app.orchestration_trigger(context_name="context")
def doubler(context: df.DurableOrchestrationContext) -> Any:
    """Calls a synchronous activity (run in the thread pool)."""
    value = yield context.call_activity("double", context.get_input())
    return value


@app.activity_trigger(input_name="number")
def double(number: int) -> int:
    """Synchronous activity."""
    return number * 2


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext) -> Any:
    """Calls ``doubler`` and ``broken`` as sub-orchestrations."""
    doubled = yield context.call_sub_orchestrator("doubler", context.get_input())
    try:
        yield context.call_sub_orchestrator("broken", None)
    except Exception as exc:  # noqa: BLE001 - the SDK re-raises a failed child as Exception
        return {"doubled": doubled, "child_error": str(exc).splitlines()[0].strip()}
    return {"doubled": doubled}


@app.orchestration_trigger(context_name="context")
def broken(context: df.DurableOrchestrationContext) -> Any:
    """Fails after one activity."""
    yield context.call_activity("double", 1)
    raise ValueError("broken on purpose")


@app.orchestration_trigger(context_name="context")
def approval(context: df.DurableOrchestrationContext) -> Any:
    """Waits for an external event and returns its data."""
    context.set_custom_status("waiting")
    decision = yield context.wait_for_external_event("approval")
    context.set_custom_status("decided")
    return {"decision": decision}


@app.orchestration_trigger(context_name="context")
def sleeper(context: df.DurableOrchestrationContext) -> Any:
    """Waits on a long durable timer (the shutdown test cancels it)."""
    yield context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    return "woke"


@app.timer_trigger(schedule="0 0 3 * * *", arg_name="timer", run_on_startup=False)
def tick(timer: func.TimerRequest) -> None:
    """A daily timer; tests disable its schedule and run it on demand."""
    tick_requests.append(timer)
    tick_ran.set()
    marker_dir = os.environ.get(MARKER_DIR_SETTING)
    if marker_dir:
        (Path(marker_dir) / "tick.pid").write_text(str(os.getpid()))


@app.route(route="public/pid", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def http_pid(req: func.HttpRequest) -> func.HttpResponse:
    """The id of the process that serves HTTP triggers."""
    return func.HttpResponse(str(os.getpid()))


@app.orchestration_trigger(context_name="context")
def where(context: df.DurableOrchestrationContext) -> Any:
    """Reports the process ids its activity ran in."""
    value = yield context.call_activity("activity_pid", None)
    return value


@app.activity_trigger(input_name="ignored")
def activity_pid(ignored: Any) -> int:
    """The id of the process that runs activities."""
    return os.getpid()
