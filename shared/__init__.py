"""The gateway's core, in rooms by capability: platform, providers, breakers, failover, safety,
escalation, operations and observability, with models, events, runtime and bootstrap between
them (see the README's layout section). No Azure Functions imports."""
