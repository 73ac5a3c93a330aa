"""Circuit breakers: the transition rule, the shared store, the service and the outcome writer.

What other rooms may use is exported here; the modules behind it are this room's own.
"""

from shared.breakers.operators import list_breakers, operate_breaker
from shared.breakers.rule import BreakerState, Decision
from shared.breakers.service import Admission, BreakerService, BreakerView
from shared.breakers.store import BreakerStore, TableBreakerStore
from shared.breakers.writer import OutcomeWriter

__all__ = [
    "Admission",
    "BreakerService",
    "BreakerState",
    "BreakerStore",
    "BreakerView",
    "Decision",
    "OutcomeWriter",
    "TableBreakerStore",
    "list_breakers",
    "operate_breaker",
]
