"""Loading and validating the config files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from shared.platform.config import (
    DEFAULT_CONFIG_DIR,
    ConfigError,
    load_config,
    with_tier_regions,
)


def test_the_shipped_config_loads() -> None:
    """The repo's config is valid and lists the four LLM tiers in failover order: both UK
    Azure OpenAI accounts sit between OpenAI and Anthropic."""
    config = load_config()
    assert [t.name for t in config.failover.tiers] == [
        "openai",
        "azure_openai",
        "azure_openai_secondary",
        "anthropic",
    ]
    assert config.failover.tier("azure_openai").region == "ukwest"
    assert config.failover.tier("azure_openai_secondary").region == "uksouth"
    assert config.failover.emergency_tier == 5
    assert config.failover.budget_s == 8.0
    assert all(t.timeout_s == 3.0 for t in config.failover.tiers)
    assert set(config.safety.crisis_responses) == {"self_harm", "medical_emergency", "safeguarding"}


def test_a_tier_region_setting_wins_over_the_file() -> None:
    """Each deployed region calls its own account first, so the app settings say where each
    Azure OpenAI tier is; unset, the file's region stands."""
    failover = load_config().failover
    settings = {"AZURE_OPENAI_REGION": "UKSouth", "AZURE_OPENAI_SECONDARY_REGION": ""}
    resolved = with_tier_regions(failover, lambda name: settings.get(name, ""))
    assert [t.region for t in resolved.tiers] == ["us", "uksouth", "uksouth", "us"]


def edited(tmp_path: Path, name: str, edit: Any) -> Path:
    for file in DEFAULT_CONFIG_DIR.glob("*.json"):
        shutil.copy(file, tmp_path / file.name)
    path = tmp_path / name
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    return tmp_path


@pytest.mark.parametrize(
    ("name", "edit", "field"),
    [
        ("failover-config.json", lambda d: d["tiers"][1].update(kind="gemini"), "tiers[1].kind"),
        (
            "failover-config.json",
            lambda d: d["tiers"][0].update(timeout_s="3"),
            "tiers[0].timeout_s",
        ),
        ("failover-config.json", lambda d: d["tiers"][2].pop("model"), "tiers[2].model"),
        ("failover-config.json", lambda d: d.update(tiers=[]), "tiers"),
        ("failover-config.json", lambda d: d["tiers"][1].update(name="openai"), "tiers[1].name"),
        (
            "failover-config.json",
            lambda d: d["breaker_defaults"].update(ratio_threshold=2),
            "breaker_defaults.ratio_threshold",
        ),
        ("safety-config.json", lambda d: d.update(system_prompt=""), "system_prompt"),
        (
            "safety-config.json",
            lambda d: d["crisis_responses"].pop("safeguarding"),
            "crisis_responses.safeguarding",
        ),
        (
            "safety-config.json",
            lambda d: d["prohibited_patterns"].append("(unclosed"),
            "prohibited_patterns",
        ),
    ],
)
def test_invalid_config_names_the_field(tmp_path: Path, name: str, edit: Any, field: str) -> None:
    """An invalid value fails loudly, naming the file and the field."""
    directory = edited(tmp_path, name, edit)
    with pytest.raises(ConfigError) as caught:
        load_config(directory)
    assert name in str(caught.value)
    assert field in str(caught.value)


def test_per_tier_breaker_overrides_inherit_defaults(tmp_path: Path) -> None:
    """A tier's breaker block overrides only the numbers it names."""
    directory = edited(
        tmp_path,
        "failover-config.json",
        lambda d: d["tiers"][0].update(breaker={"failure_threshold": 5}),
    )
    config = load_config(directory)
    assert config.failover.tiers[0].breaker.failure_threshold == 5
    assert config.failover.tiers[0].breaker.open_s == 30.0
    assert config.failover.tiers[1].breaker.failure_threshold == 3


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    """A missing file is reported by name."""
    with pytest.raises(ConfigError, match=r"failover-config\.json"):
        load_config(tmp_path)
