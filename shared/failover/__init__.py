"""The chat path: request parsing, the failover plan, the gateway, responses and rate limits."""
