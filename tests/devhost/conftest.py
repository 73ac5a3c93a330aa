"""Fixtures for the dev host tests: a toy app served on a background thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devhost.background import RunningDevHost, running_devhost

TOY_APP = "tests.devhost.toy_app:app"
FUNCTION_KEY = "test-function-key"
ADMIN_KEY = "test-admin-key"
SYSTEM_KEY = "test-system-key"
TOY_SETTINGS = {
    "DEVHOST_FUNCTION_KEY": FUNCTION_KEY,
    "DEVHOST_ADMIN_KEY": ADMIN_KEY,
    "DEVHOST_SYSTEM_KEY": SYSTEM_KEY,
    "AzureWebJobs.tick.Disabled": "true",
}

_HERE = Path(__file__).parent
# azure-functions 1.26 warns once per process when df_loads runs without an expected type,
# from a module the project-wide filters do not cover; the SDK's own replay does that.
_SDK_DECODE_NOTICE = "ignore::DeprecationWarning:azure.functions._durable_functions"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Ignore the SDK's one-time decoding notice in these tests."""
    for item in items:
        if _HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.filterwarnings(_SDK_DECODE_NOTICE))


@pytest.fixture(scope="module")
def toy_host() -> Iterator[RunningDevHost]:
    """The toy app, served with known test keys and its timer schedule disabled."""
    with running_devhost(TOY_APP, settings=TOY_SETTINGS) as host:
        yield host
