"""Telemetry, the SLA monitor, the audit trail and the status page's data."""
