"""Queue triggers of escalations that the Durable backend could not start.

- ``escalation_fallback`` reads ``escalation-fallback``: one delivery or reminder step per
  message (:mod:`shared.escalation.fallback`). A step that raises is retried by the host
  (``visibilityTimeout``) and, after ``maxDequeueCount`` runs, moved to the poison queue.
- ``escalation_fallback_poison`` reads ``escalation-fallback-poison``: puts a step back with
  the next backoff delay while its retry window lasts, then gives up and alerts operations.
"""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from shared.bootstrap import get_runtime
from shared.platform import FALLBACK_QUEUE

bp = df.Blueprint()
_CONNECTION = "AzureWebJobsStorage"
POISON_QUEUE = f"{FALLBACK_QUEUE}-poison"


@bp.queue_trigger(arg_name="message", queue_name=FALLBACK_QUEUE, connection=_CONNECTION)
async def escalation_fallback(message: func.QueueMessage) -> None:
    await get_runtime().escalator.fallback_courier().run(message.get_json())


@bp.queue_trigger(arg_name="message", queue_name=POISON_QUEUE, connection=_CONNECTION)
async def escalation_fallback_poison(message: func.QueueMessage) -> None:
    try:
        data = message.get_json()
    except ValueError:  # not JSON at all: still a message someone meant to deliver
        data = None
    await get_runtime().escalator.fallback_courier().poisoned(data)
