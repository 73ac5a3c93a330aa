"""Escalations to nurses and operations: the model, the service, its store, channels and alerts."""
