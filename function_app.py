"""The Function App: build the app, register the blueprints, and prepare the process.

The worker imports this module when it indexes the functions, before any invocation, so the
runtime is built and warmed here (``gc.freeze()`` included) and its queues drain when the
process stops: see ``shared.bootstrap.prepare_process``.
"""

import azure.durable_functions as df
import azure.functions as func

from api.acknowledge import bp as acknowledge_http
from api.breakers import bp as breaker_http
from api.chat import bp as chat_http
from api.escalations import bp as escalation_http
from api.health import bp as health_http
from api.openapi import bp as openapi_http
from api.status import bp as status_http
from orchestrators.chat import bp as chat_orchestration
from orchestrators.escalation import bp as escalation_orchestration
from orchestrators.fallback import bp as escalation_fallback
from orchestrators.outboxes import bp as outboxes
from orchestrators.retention import bp as audit_retention
from orchestrators.timers import bp as timers
from shared.bootstrap import prepare_process

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(chat_http)
app.register_functions(chat_orchestration)
app.register_functions(escalation_http)
app.register_functions(acknowledge_http)
app.register_functions(escalation_orchestration)
app.register_functions(breaker_http)
app.register_functions(health_http)
app.register_functions(timers)
app.register_functions(openapi_http)
app.register_functions(status_http)
app.register_functions(audit_retention)
app.register_functions(outboxes)
app.register_functions(escalation_fallback)

prepare_process()
