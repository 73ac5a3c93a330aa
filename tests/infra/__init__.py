"""Offline checks of the Bicep templates and the deploy script (run by `make infra-check`)."""
