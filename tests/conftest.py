"""Session-wide fixtures: services the tests need, started by the tests themselves."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from devhost import azurite

# A test process (and the dev hosts and children it starts) warms the app up inside the import,
# not on a thread: a warm-up thread importing the provider SDKs while pytest rewrites and
# parses modules on the main thread meets CPython 3.11's thread-unsafe AST recursion counter
# ("AST constructor recursion depth mismatch"), seen in a collection run. The background mode
# is tested in fresh interpreters that set it explicitly (tests/unit/test_cold_start.py).
os.environ.setdefault("ASKEVE_WARM_UP", "at_import")

# `--fail-on-skip` (make test): a required test that skips fails the run.
pytest_plugins = ["tests.support.required"]


@pytest.fixture(scope="session")
def azurite_connection() -> Iterator[str]:
    """A private, in-memory Azurite table service on a free loopback port."""
    service = azurite.start(azurite.free_port(), reuse=False)
    try:
        yield service.connection_string
    finally:
        service.stop()
