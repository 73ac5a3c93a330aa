"""Cold start: the import that indexes the functions stays short, the warm-up runs beside it,
and a crisis message never needs a provider SDK."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from shared.bootstrap import WARM_UP_SETTING, warm_up_mode
from shared.platform.settings import Settings
from shared.safety import crisis

REPO = Path(__file__).resolve().parents[2]


def _fresh(script: str, **env: str) -> list[str]:
    """Run ``script`` in a fresh interpreter from the repository; its printed words."""
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.split()


def test_the_warm_up_mode_defaults_to_background() -> None:
    """With no setting, the runtime is warmed on a thread of its own."""
    assert warm_up_mode(Settings.from_env({})) == "background"


def test_the_warm_up_mode_can_be_at_import() -> None:
    """``at_import`` (any case) keeps the warm-up inside the import."""
    assert warm_up_mode(Settings.from_env({WARM_UP_SETTING: " At_Import "})) == "at_import"


def test_an_unknown_warm_up_mode_is_taken_as_background() -> None:
    """A mistyped mode warms in the background rather than failing the start."""
    assert warm_up_mode(Settings.from_env({WARM_UP_SETTING: "eager"})) == "background"


def test_the_import_returns_before_the_provider_sdks_are_imported() -> None:
    """By default, importing function_app builds the runtime, freezes what is loaded and
    leaves the SDKs to the warm-up thread, which imports both and freezes them too."""
    script = (
        "import sys, gc, function_app, shared.bootstrap as b;"
        "frozen = gc.get_freeze_count();"
        "print(b._runtime is not None, b._warming is not None, frozen > 0);"
        "b._warming.join();"
        "print('openai' in sys.modules, 'anthropic' in sys.modules,"
        " gc.get_freeze_count() > frozen)"
    )
    assert _fresh(script, ASKEVE_WARM_UP="background") == ["True"] * 6


def test_the_warm_up_freezes_nothing_once_an_invocation_has_begun() -> None:
    """If a request reached the app before the warm-up thread finished, the thread leaves
    memory unfrozen, so no request's objects are frozen with the SDKs. (Frozen objects are
    still freed when their last reference goes, so the count may only fall.)"""
    script = (
        "import sys, gc, function_app, shared.bootstrap as b;"
        "b.get_runtime();"
        "frozen = gc.get_freeze_count();"
        "b._warming.join();"
        "print('openai' in sys.modules, gc.get_freeze_count() <= frozen)"
    )
    assert _fresh(script, ASKEVE_WARM_UP="background") == ["True", "True"]


def test_at_import_warms_everything_before_the_import_returns() -> None:
    """With ``ASKEVE_WARM_UP=at_import`` the SDKs are loaded and memory frozen at import."""
    script = (
        "import sys, gc, function_app, shared.bootstrap as b;"
        "print(b._warming is None, 'openai' in sys.modules, gc.get_freeze_count() > 0)"
    )
    assert _fresh(script, ASKEVE_WARM_UP="at_import") == ["True", "True", "True"]


@pytest.mark.safety("H16")
def test_a_crisis_message_is_answered_and_escalated_without_a_provider_sdk() -> None:
    """In a fresh process with no warm-up, a crisis message gets its crisis reply and starts
    its escalation, and neither openai nor anthropic has been imported."""
    script = """
import asyncio, json, sys
from tests.unit.test_gateway import Clock, FakeEngine, gateway

async def main():
    engine = FakeEngine()
    body = json.dumps({
        "messages": [{"role": "user", "content": "I want to kill myself"}],
        "metadata": {"conversation_id": "cold-start"},
    })
    reply = await gateway(Clock()).handle(body.encode(), None, engine)
    for _ in range(500):
        if engine.started:
            break
        await asyncio.sleep(0.01)
    print(reply.body["failover"]["crisis"], len(engine.started) == 1)
    print("openai" in sys.modules, "anthropic" in sys.modules)

asyncio.run(main())
"""
    assert _fresh(script) == ["True", "True", "False", "False"]


def test_concurrent_callers_share_one_compilation(tmp_path: Path) -> None:
    """Threads asking for the detector of a new pattern file while it compiles wait for that
    one compilation instead of each compiling it again."""
    patterns = tmp_path / "crisis-patterns.json"
    shutil.copy(crisis.DEFAULT_PATTERNS_PATH, patterns)
    before = crisis._cached.cache_info()
    start = threading.Barrier(4)
    found: list[object] = []

    def load() -> None:
        start.wait()
        found.append(crisis.load_detector(patterns))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = crisis._cached.cache_info()
    assert after.misses - before.misses == 1
    assert after.hits - before.hits == 3
    assert len({id(detector) for detector in found}) == 1
