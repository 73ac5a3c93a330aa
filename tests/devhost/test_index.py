"""Reading get_functions() into the function index (pure)."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df
import azure.functions as func
import pytest

from devhost.auth import AuthLevel
from devhost.index import FunctionIndex, build_index


def _index(app: df.DFApp, settings: dict[str, str] | None = None) -> FunctionIndex:
    return build_index(tuple(app.get_functions()), settings or {})


def _app_with_blob_trigger() -> df.DFApp:
    app = df.DFApp()

    @app.blob_trigger(arg_name="blob", path="uploads/{name}", connection="Storage")
    def on_upload(blob: func.InputStream) -> None:
        """Unsupported trigger."""

    @app.route(route="ok")
    def ok(req: func.HttpRequest) -> str:
        """Supported."""
        return "ok"

    return app


def test_an_unsupported_trigger_is_skipped_with_a_reason() -> None:
    """A blob trigger is listed as skipped; the HTTP function is still served."""
    index = _index(_app_with_blob_trigger())
    assert [s.name for s in index.skipped] == ["on_upload"]
    assert "blobTrigger" in index.skipped[0].reason
    assert [fn.info.name for fn in index.http] == ["ok"]


def test_an_unsupported_extra_binding_skips_its_function() -> None:
    """A blob input binding cannot be provided, so the function is not served."""
    app = df.DFApp()

    @app.route(route="read")
    @app.blob_input(arg_name="blob", path="c/b.txt", connection="Storage")
    def read(req: func.HttpRequest, blob: str) -> str:
        """Has a blob input."""
        return blob

    index = _index(app)
    assert "blob:blob" in index.skipped[0].reason
    assert index.http == ()


def _app_with_timer(schedule: str) -> df.DFApp:
    app = df.DFApp()

    @app.timer_trigger(schedule=schedule, arg_name="timer")
    def nightly(timer: func.TimerRequest) -> None:
        """A timer."""

    return app


def test_a_bad_schedule_stops_indexing_and_names_the_function() -> None:
    """A misconfigured function fails loudly instead of silently not running."""
    with pytest.raises(ValueError, match="function nightly: schedule"):
        _index(_app_with_timer("every night"))


def test_a_schedule_setting_reference_is_resolved() -> None:
    """'%NIGHTLY%' takes its value from the settings."""
    index = _index(_app_with_timer("%NIGHTLY%"), {"NIGHTLY": "0 0 2 * * *"})
    assert index.timers["nightly"].schedule.hours == frozenset({2})


def test_the_disabled_setting_marks_the_function() -> None:
    """AzureWebJobs.<name>.Disabled=true is read at indexing."""
    index = _index(_app_with_timer("0 0 2 * * *"), {"AzureWebJobs.nightly.Disabled": "true"})
    assert index.timers["nightly"].info.disabled


def test_http_defaults_come_from_the_binding() -> None:
    """No route means the function name; no methods means any; the app's auth level applies."""
    app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route()
    def status(req: func.HttpRequest) -> str:
        """Defaults everywhere."""
        return "up"

    (function,) = _index(app).http
    assert (function.route.template, function.methods) == ("status", None)
    assert function.auth_level is AuthLevel.ANONYMOUS


def test_durable_functions_and_client_bindings_are_indexed() -> None:
    """Orchestrators and activities by name; the client binding and context are noticed."""
    app = df.DFApp()

    @app.route(route="start")
    @app.durable_client_input(client_name="client")
    async def start(req: func.HttpRequest, client: Any, context: func.Context) -> str:
        """Takes a client and the invocation context."""
        return "started"

    @app.orchestration_trigger(context_name="context")
    def flow(context: df.DurableOrchestrationContext) -> Any:
        """An orchestrator."""
        yield context.call_activity("step", None)

    @app.activity_trigger(input_name="payload")
    def step(payload: Any) -> None:
        """An activity."""

    index = _index(app)
    (http,) = index.http
    assert (http.info.client_args, http.info.wants_context) == (("client",), True)
    assert list(index.orchestrators) == ["flow"]
    assert index.activities["step"].info.trigger_arg == "payload"
    assert index.find("FLOW") is index.orchestrators["flow"].info


def test_a_queue_trigger_is_indexed_with_its_queue_and_connection() -> None:
    """queueName (lower-cased, as storage names are) and connection come from the binding."""
    app = df.DFApp()

    @app.queue_trigger(arg_name="msg", queue_name="Work", connection="Storage")
    def on_message(msg: func.QueueMessage) -> None:
        """A queue function."""

    queue = _index(app).queues["on_message"]
    assert (queue.queue_name, queue.connection, queue.info.trigger_arg) == (
        "work",
        "Storage",
        "msg",
    )
