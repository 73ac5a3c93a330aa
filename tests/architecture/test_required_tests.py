"""``--fail-on-skip`` (make test): a required test that skips fails the run, and says why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPING = '''
import pytest


def test_needs_a_tool():
    """Skips, as a test whose tool is missing would."""
    pytest.skip("the tool is not installed")


def test_runs():
    """Passes."""
'''


def _pytest(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_skipping.py").write_text(SKIPPING, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir",
         str(tmp_path), "-c", str(tmp_path / "pytest.ini"), "-p", "tests.support.required",
         *options, str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_a_skip_fails_the_run_with_fail_on_skip(tmp_path: Path) -> None:
    """With --fail-on-skip, one skipped test makes the exit status a failure and is listed."""
    done = _pytest(tmp_path, "--fail-on-skip")
    assert done.returncode == 1, done.stdout
    assert "required tests that skipped: the run fails" in done.stdout
    assert "test_needs_a_tool: Skipped: the tool is not installed" in done.stdout


def test_without_the_option_a_skip_is_only_reported(tmp_path: Path) -> None:
    """Without the option, pytest's own behaviour stands: a skip does not fail the run."""
    done = _pytest(tmp_path, "-rs")
    assert done.returncode == 0, done.stdout
    assert "the tool is not installed" in done.stdout
