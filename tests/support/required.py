"""Every test in the suite is required: with ``--fail-on-skip`` (``make test`` passes it), a
skipped test fails the run and is listed with its reason. A skip is a missing tool or service
the gate should have installed; reported only as an ``s`` it would read as a pass."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fail-on-skip",
        action="store_true",
        default=False,
        help="fail the run when any test skips (every test is required)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--fail-on-skip"):
        config.pluginmanager.register(RequiredTests(), "askeve-required-tests")


class RequiredTests:
    """Collects skips; fails the session and lists them at the end."""

    def __init__(self) -> None:
        self.skips: list[tuple[str, str]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and not hasattr(report, "wasxfail"):
            longrepr = report.longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
            self.skips.append((report.nodeid, reason))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.skips and exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.skips:
            return
        terminalreporter.section("required tests that skipped: the run fails", red=True)
        for nodeid, reason in self.skips:
            terminalreporter.line(f"{nodeid}: {reason}")
