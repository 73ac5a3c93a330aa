"""Shared test support: loopback services the tests start themselves."""
