"""HTTP triggers: parse the request, call the core in ``shared``, map the result to a response."""
