"""Durable orchestrations and their activities."""
