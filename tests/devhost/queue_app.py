"""A Functions app with one storage queue trigger, for the dev host's queue tests."""

from __future__ import annotations

import azure.functions as func

app = func.FunctionApp()

handled: list[str] = []


@app.queue_trigger(arg_name="message", queue_name="%TOY_QUEUE%", connection="TOY_STORAGE")
def toy_queue(message: func.QueueMessage) -> None:
    """Records each body; a body that starts with 'fail' raises."""
    body = message.get_body().decode()
    if body.startswith("fail"):
        raise RuntimeError("told to fail")
    handled.append(body)
