"""Session-wide fixtures: services the tests need, started by the tests themselves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devhost import azurite

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
