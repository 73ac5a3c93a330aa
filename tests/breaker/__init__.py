"""Circuit breakers: the pure rule, both stores, the shared service, and real processes."""
