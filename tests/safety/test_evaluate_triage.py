"""``python -m scripts.evaluate_crisis --detector triage FILE`` runs end to end: the real SDK of
the first permitted tier (here the simulators, whose answers follow markers, so the figures
measure the markers and nothing else) scores a set; without a tier it stops with a reason."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts import evaluate_crisis
from simulators import SimulatedProviders
from simulators.harness import app_settings

pytestmark = pytest.mark.integration

SOURCE = {"s": {"title": "test fixture", "url": "https://example.org/", "checked": "2026-12-08"}}


def message(mid: str, text: str, expected: str, cls: str, wording: str) -> dict[str, str]:
    return {
        "id": mid,
        "text": text,
        "expected": expected,
        "class": cls,
        "wording": wording,
        "language": "en",
        "source": "s",
    }


@pytest.fixture
def set_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.json"
    messages = [
        message("a", "grey fog everywhere [triage:sh]", "self_harm", "self_harm.x", "indirect"),
        message("b", "what is a CA-125 test?", "none", "none.ordinary", "ordinary"),
    ]
    data = {"set": "tiny", "written": "2026-12-08", "description": "t", "sources": SOURCE}
    path.write_text(json.dumps({**data, "messages": messages}))
    return path


@pytest.fixture
def sims() -> Iterator[SimulatedProviders]:
    with SimulatedProviders() as providers:
        yield providers


def test_the_triage_detector_scores_a_set(
    sims: SimulatedProviders, set_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command scores the set with the triage: the flagged message recalled, the ordinary
    one quiet, each asked of the simulated tier."""
    for name, value in app_settings(sims.urls, "sk-simulated-test").items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    code = evaluate_crisis.main(["--detector", "triage", "--json", str(set_file)], out=out)
    assert code == 0
    assert sims.triage_count("openai") == 2
    run = json.loads(out.getvalue())
    assert run["detector"] == "triage"
    assert run["categories"]["self_harm"]["indirect_recall"]["count"] == 1


def test_without_a_configured_tier_it_stops_with_a_reason(
    set_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no provider settings, the triage run exits 2 saying why (no traceback)."""
    for name in ("OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AZURE_OPENAI_SECONDARY_ENDPOINT", raising=False)
    with pytest.raises(SystemExit) as raised:
        evaluate_crisis.main(["--detector", "triage", str(set_file)], out=io.StringIO())
    assert raised.value.code == 2
    assert "no tier the policy permits is configured" in capsys.readouterr().err
