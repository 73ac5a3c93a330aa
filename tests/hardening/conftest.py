"""Hardening suite: the end-to-end fixtures, fuzzers kept inside a temporary directory, and
the fuzzing summary line."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from tests.hardening.tally import TALLY

# The end-to-end fixtures (the real app on the dev host, simulated providers, receivers).
from tests.integration.conftest import (  # noqa: F401
    Gateway,
    sims,
    smtp,
    start_gateway,
    webhook,
)

_hypothesis_home: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Keep Hypothesis's caches (example database, constants, Unicode tables) out of the repo."""
    global _hypothesis_home  # noqa: PLW0603 - one directory per pytest run
    _hypothesis_home = Path(tempfile.mkdtemp(prefix="hypothesis-"))
    set_hypothesis_home_dir(_hypothesis_home)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove Hypothesis's temporary directory."""
    if _hypothesis_home is not None:
        shutil.rmtree(_hypothesis_home, ignore_errors=True)


@pytest.fixture
def gateway(start_gateway: Callable[..., Gateway]) -> Gateway:  # noqa: F811 - the fixture
    """One gateway per test, shared by every example Hypothesis runs in it.

    The Durable SDK keeps one module-wide HTTP session, tied to the event loop of the host
    that first used it, so two hosts must not be running at once in one process.
    """
    return start_gateway()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many requests and inputs the fuzzers generated in this run."""
    line = TALLY.summary()
    if line is not None:
        terminalreporter.write_sep("-", "fuzzing")
        terminalreporter.write_line(line)
