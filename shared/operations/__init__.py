"""Provider health checks, secret rotation and Key Vault."""
