"""A change to a safety-critical config file names its hazards: the loader records each file's
content hash, and the gate fails until the safety case records the hash it was assessed on
(H02, H18)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scripts import clinical_safety
from shared.platform import (
    DEFAULT_CONFIG_DIR,
    SAFETY_CRITICAL_FILES,
    content_hash,
    load_config,
    loaded_safety_hashes,
)


@pytest.mark.safety("H02", "H18")
def test_each_safety_file_matches_the_hash_the_safety_case_assessed() -> None:
    """The shipped safety files, loaded by the app's loaders, have the hashes the safety case
    records; a changed file fails here, naming the hazards to review."""
    log = clinical_safety.load_log()
    assessed = clinical_safety.assessed_hashes(
        clinical_safety.SAFETY_CASE.read_text(encoding="utf-8")
    )
    drift = clinical_safety.hash_drift(assessed, clinical_safety.shipped_safety_hashes(), log)
    assert drift == []


@pytest.mark.safety("H02", "H18")
def test_the_loader_records_the_hash_of_a_safety_file(tmp_path: Path) -> None:
    """Loading a config directory records the SHA-256 of the safety file's bytes as read."""
    for name in ("failover-config.json", "safety-config.json"):
        shutil.copy2(DEFAULT_CONFIG_DIR / name, tmp_path / name)
    original = (tmp_path / "safety-config.json").read_bytes()
    changed = original.replace(b'"crisis_response_s": 2.0', b'"crisis_response_s": 2.5')
    assert changed != original
    (tmp_path / "safety-config.json").write_bytes(changed)
    load_config(tmp_path)
    recorded = loaded_safety_hashes(tmp_path)
    assert recorded["safety-config.json"] == content_hash(changed)
    assert recorded["safety-config.json"] != loaded_safety_hashes().get("safety-config.json")


def test_a_changed_file_is_reported_with_its_hazards() -> None:
    """The drift check can fail: a file whose hash moved is named with the hazards it feeds."""
    log = clinical_safety.load_log()
    drift = clinical_safety.hash_drift(
        {"safety-config.json": "0" * 64}, {"safety-config.json": "1" * 64}, log
    )
    assert len(drift) == 1
    assert drift[0].startswith("config/safety-config.json changed: review hazards H01, H02, H05")


@pytest.mark.safety("H18")
def test_every_safety_file_names_its_hazards() -> None:
    """The safety case's table, the loader's list and the hazard log name the same files."""
    log = clinical_safety.load_log()
    named = {f for h in log["hazards"] for f in h.get("config_files") or ()}
    assessed = clinical_safety.assessed_hashes(
        clinical_safety.SAFETY_CASE.read_text(encoding="utf-8")
    )
    assert named == set(SAFETY_CRITICAL_FILES) == set(assessed)
