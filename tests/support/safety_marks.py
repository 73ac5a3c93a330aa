"""A pytest plugin for the hazard log's trace: after collection, writes every collected test
(``path::function``, parametrised cases folded together) and the hazards its
``@pytest.mark.safety(...)`` markers name, as JSON, to the file named by
``ASKEVE_SAFETY_MARKS_OUT``. Loaded only by ``scripts.clinical_safety.collect_suite``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

OUTPUT = "ASKEVE_SAFETY_MARKS_OUT"


def pytest_collection_finish(session: pytest.Session) -> None:
    target = os.environ.get(OUTPUT)
    if not target:
        return
    tests: dict[str, set[str]] = {}
    for item in session.items:
        hazards = tests.setdefault(item.nodeid.split("[", 1)[0], set())
        for mark in item.iter_markers("safety"):
            hazards.update(str(arg) for arg in mark.args)
    Path(target).write_text(
        json.dumps({k: sorted(v) for k, v in sorted(tests.items())}, indent=0), encoding="utf-8"
    )
