"""The gateway's core: failover policy, providers, config and safety. No Azure Functions imports."""
