"""Queue triggers: the two storage queues that carry work out of the process that made it.

- ``operations_alert`` reads ``ops-alerts``: one operations alert per message, raised in any
  process (a breaker trip in a ``call_provider`` activity, a health check, a rotation warning,
  an SLA rule), delivered here as a durable operations escalation.
- ``records_outbox`` reads ``records-outbox``: audit rows and breaker outcomes that a stopping
  process could not write in time, written to their tables here.

Both are at-least-once. An alert delivered twice is de-duplicated by the escalator's claim in
the ``escalations`` table; an audit row inserted twice is stored once. A message that keeps
failing is moved to ``<queue>-poison`` after ``maxDequeueCount`` attempts (``host.json``).
"""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from api.durable import DurableOrchestrations
from shared.bootstrap import get_runtime
from shared.escalation import Alert
from shared.models import Outcome
from shared.observability import apply_message
from shared.platform import ALERT_QUEUE, OUTBOX_QUEUE

bp = df.Blueprint()
_CONNECTION = "AzureWebJobsStorage"


@bp.queue_trigger(arg_name="message", queue_name=ALERT_QUEUE, connection=_CONNECTION)
@bp.durable_client_input(client_name="client")
async def operations_alert(
    message: func.QueueMessage, client: df.DurableOrchestrationClient
) -> None:
    runtime = get_runtime()
    alert = Alert.from_json(message.get_json())
    await runtime.alerts.deliver(alert, runtime.escalator.alert_sink(DurableOrchestrations(client)))


@bp.queue_trigger(arg_name="message", queue_name=OUTBOX_QUEUE, connection=_CONNECTION)
def records_outbox(message: func.QueueMessage) -> None:
    runtime = get_runtime()

    def record_outcome(
        tier: str, outcome: Outcome, retry_after_s: float | None, probe: bool
    ) -> None:
        runtime.breakers.record(tier, outcome, retry_after_s=retry_after_s, probe=probe)

    apply_message(
        message.get_json(), audit=runtime.observability.trail.store(), record_outcome=record_outcome
    )
