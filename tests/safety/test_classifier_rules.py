"""The classifier's thresholds: the shipped config, its validation and the severity rule."""

from __future__ import annotations

from typing import Any

import pytest

from shared.platform import ConfigError
from shared.safety import ClassifierConfig, crisis_flag, load_classifier_config
from shared.safety.classifier import parse_classifier


def config_with(**classifier: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "categories": [
            {"service_category": "SelfHarm", "crisis_category": "self_harm", "crisis_severity": 4}
        ]
    }
    return {"classifier": {**base, **classifier}}


def test_shipped_config_flags_self_harm_at_4_violence_and_sexual_at_6() -> None:
    """The shipped thresholds are SelfHarm 4 (self_harm), Violence 6 and Sexual 6
    (safeguarding)."""
    config = load_classifier_config()
    assert [(r.service_category, r.crisis_category, r.crisis_severity) for r in config.rules] == [
        ("SelfHarm", "self_harm", 4),
        ("Violence", "safeguarding", 6),
        ("Sexual", "safeguarding", 6),
    ]
    assert config.grace_s == pytest.approx(0.15)


def test_severity_at_the_threshold_flags() -> None:
    """A severity equal to the category's threshold is a crisis."""
    flag = crisis_flag({"SelfHarm": 4, "Violence": 0}, ClassifierConfig())
    assert flag is not None
    assert (flag.crisis_category, flag.signals) == ("self_harm", ("classifier:SelfHarm:4",))


def test_severity_below_every_threshold_does_not_flag() -> None:
    """SelfHarm 2 and Violence 4 are under the shipped thresholds."""
    assert crisis_flag({"SelfHarm": 2, "Violence": 4}, ClassifierConfig()) is None


def test_self_harm_wins_when_both_categories_flag() -> None:
    """Rules are read in config order: self-harm first."""
    flag = crisis_flag({"SelfHarm": 6, "Violence": 6}, ClassifierConfig())
    assert flag is not None
    assert flag.crisis_category == "self_harm"


def test_threshold_above_the_output_scale_is_rejected() -> None:
    """With four severity levels (0-6), a threshold of 7 can never fire: a config error."""
    data = config_with(
        categories=[
            {"service_category": "SelfHarm", "crisis_category": "self_harm", "crisis_severity": 7}
        ]
    )
    with pytest.raises(ConfigError, match="crisis_severity"):
        parse_classifier(data)


def test_unknown_service_category_is_rejected() -> None:
    """A category the service does not have is a config error naming the field."""
    data = config_with(
        categories=[
            {"service_category": "Sadness", "crisis_category": "self_harm", "crisis_severity": 4}
        ]
    )
    with pytest.raises(ConfigError, match="service_category"):
        parse_classifier(data)


def test_grace_is_read_in_milliseconds() -> None:
    """``grace_ms`` 80 is a grace of 0.08 s."""
    assert parse_classifier(config_with(grace_ms=80)).grace_s == pytest.approx(0.08)


@pytest.mark.safety("H01")
def test_sexual_at_high_severity_is_safeguarding() -> None:
    """Sexual rated 6 (where the service places sexual violence and child sexual abuse) flags
    safeguarding with the shipped config."""
    flag = crisis_flag({"SelfHarm": 0, "Violence": 0, "Sexual": 6}, load_classifier_config())
    assert flag is not None
    assert (flag.crisis_category, flag.signals) == ("safeguarding", ("classifier:Sexual:6",))


@pytest.mark.safety("H12")
def test_sexual_at_medium_severity_is_not_a_crisis() -> None:
    """Sexual rated 4 (frank talk about sex, which people after gynaecological cancer write
    about their own bodies) is not a crisis with the shipped config."""
    assert (
        crisis_flag({"SelfHarm": 0, "Violence": 0, "Sexual": 4}, load_classifier_config()) is None
    )
