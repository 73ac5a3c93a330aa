"""The process's start and end: warm before serving, drained when stopping."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

from shared.bootstrap import build_runtime

REPO = Path(__file__).resolve().parents[2]


def test_build_runtime_returns_only_after_the_warm_up_froze_memory() -> None:
    """With warm=True, gc.freeze() has run when build_runtime returns (no thread left to)."""
    before = gc.get_freeze_count()
    try:
        build_runtime({"PSEUDONYM_KEY": "k"}, warm=True)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


def test_importing_the_function_app_builds_the_runtime_and_warms_it() -> None:
    """In a fresh interpreter, importing function_app leaves the runtime built; once the
    warm-up thread it started has finished, memory is frozen."""
    script = (
        "import gc, function_app, shared.bootstrap as b;"
        "b._warming.join();"
        "print(b._runtime is not None, gc.get_freeze_count() > 0)"
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "ASKEVE_WARM_UP": "background"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.split() == ["True", "True"]


def test_a_broken_config_still_lets_the_functions_index(tmp_path: Path) -> None:
    """With no config files, importing function_app logs the error and leaves no runtime."""
    script = "import function_app, shared.bootstrap as b; print(b._runtime is None)"
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "ASKEVE_CONFIG_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.split() == ["True"]
    assert "could not be built at start-up" in result.stderr
