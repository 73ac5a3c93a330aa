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
    assert config.failover.budget_s == 24.0
    assert [t.first_token_s for t in config.failover.tiers] == [2.8, 2.8, 2.8, 4.0]
    assert "nhsinform.scot" in config.safety.link_allowlist


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
            lambda d: d["tiers"][0].update(first_token_s="3"),
            "tiers[0].first_token_s",
        ),
        ("failover-config.json", lambda d: d["tiers"][0].update(stall_s=0), "tiers[0].stall_s"),
        ("failover-config.json", lambda d: d["tiers"][3].update(total_s=-1), "tiers[3].total_s"),
        (
            "failover-config.json",
            lambda d: d["tiers"][1].update(first_token_s=5.0, total_s=4.0),
            "tiers[1].total_s",
        ),
        (
            "failover-config.json",
            lambda d: d["tiers"][0].update(timeout_s=3.0),
            "tiers[0].timeout_s",
        ),
        ("failover-config.json", lambda d: d.update(timer_margin_s="1"), "timer_margin_s"),
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
            lambda d: d.update(link_allowlist="nhs.uk"),
            "link_allowlist",
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


@pytest.mark.safety("H04")
def test_the_shipped_budget_fits_one_failover_and_a_whole_answer() -> None:
    """A dead tier (its first-token time) then any later tier's whole answer (its total time)
    fit in the budget, so a single failover never ends in emergency text by itself."""
    failover = load_config().failover
    usable = failover.budget_s - failover.finish_reserve_s
    tiers = failover.tiers
    for index, dead in enumerate(tiers):
        for answering in tiers[index + 1 :]:
            assert dead.first_token_s + answering.total_s <= usable, (dead.name, answering.name)


def test_a_dead_tier_is_left_within_the_failover_sla() -> None:
    """Every tier with another LLM tier after it gives up on a provider that sends nothing in
    time to report within the failover switch SLA (3 s), with 0.2 s to report and move on."""
    config = load_config()
    for tier in config.failover.tiers[:-1]:
        assert tier.first_token_s + 0.2 <= config.safety.sla.failover_switch_s, tier.name


@pytest.mark.safety("H04")
def test_the_shipped_stream_times_give_a_slow_answer_room() -> None:
    """Every tier's total is well past the old 3 s and its stall time is under its first-token
    time: a slow, working stream is never cut, and a stalled one is noticed sooner than a
    dead one."""
    for tier in load_config().failover.tiers:
        assert tier.total_s >= 15.0
        assert tier.stall_s < tier.first_token_s <= tier.total_s


def test_old_timeout_s_is_read_as_first_token_s(tmp_path: Path) -> None:
    """A config written before streaming (one timeout_s per tier) still loads: timeout_s is the
    first-token time, and the stall and total times take their defaults."""

    def old_style(data: dict[str, Any]) -> None:
        for tier in data["tiers"]:
            for key in ("first_token_s", "stall_s", "total_s"):
                tier.pop(key)
            tier["timeout_s"] = 2.5

    tier = load_config(edited(tmp_path, "failover-config.json", old_style)).failover.tiers[0]
    assert (tier.first_token_s, tier.stall_s, tier.total_s) == (2.5, 2.0, 15.0)


def test_a_long_old_timeout_s_raises_the_default_total(tmp_path: Path) -> None:
    """An old timeout_s above the default total is the total too, never an invalid file."""

    def old_style(data: dict[str, Any]) -> None:
        tier = data["tiers"][0]
        for key in ("first_token_s", "stall_s", "total_s"):
            tier.pop(key)
        tier["timeout_s"] = 30.0

    tier = load_config(edited(tmp_path, "failover-config.json", old_style)).failover.tiers[0]
    assert (tier.first_token_s, tier.total_s) == (30.0, 30.0)


def test_stream_times_and_margins_are_read(tmp_path: Path) -> None:
    """The three stream times and both margins come from the file."""

    def custom(data: dict[str, Any]) -> None:
        data["tiers"][1].update(first_token_s=1.5, stall_s=0.75, total_s=9.0)
        data.update(timer_margin_s=2.0, sdk_timeout_margin_s=0.25)

    failover = load_config(edited(tmp_path, "failover-config.json", custom)).failover
    tier = failover.tiers[1]
    assert (tier.first_token_s, tier.stall_s, tier.total_s) == (1.5, 0.75, 9.0)
    assert (failover.timer_margin_s, failover.sdk_timeout_margin_s) == (2.0, 0.25)
