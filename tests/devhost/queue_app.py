"""A Functions app with one storage queue trigger, for the dev host's queue tests."""

from __future__ import annotations

import time

import azure.functions as func

app = func.FunctionApp()

handled: list[str] = []
# When each body was handled (time.time), and the dequeue count its run saw.
runs: dict[str, list[tuple[float, int]]] = {}


@app.queue_trigger(arg_name="message", queue_name="%TOY_QUEUE%", connection="TOY_STORAGE")
def toy_queue(message: func.QueueMessage) -> None:
    """Records each body; a body that starts with 'fail' raises, 'once' fails its first run."""
    body = message.get_body().decode()
    runs.setdefault(body, []).append((time.time(), int(message.dequeue_count or 0)))
    if body.startswith("fail") or (body.startswith("once") and message.dequeue_count == 1):
        raise RuntimeError("told to fail")
    handled.append(body)
