"""Circuit breakers: the transition rule, the shared store, the service and the outcome writer."""
