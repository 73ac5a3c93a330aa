"""Loading and validating config/crisis-patterns.json: errors name the field."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.platform.config import ConfigError
from shared.safety.crisis import DEFAULT_PATTERNS_PATH, parse_patterns, read_patterns


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULT_PATTERNS_PATH.read_text(encoding="utf-8"))
    return data


def first_family(data: dict[str, Any]) -> dict[str, Any]:
    family: dict[str, Any] = data["categories"]["self_harm"]["families"][0]
    return family


def set_pattern(value: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        first_family(data)["patterns"][1] = value

    return edit


EDITS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("unclosed group", set_pattern("(unclosed"), "self_harm.families[0].patterns[1]"),
    ("unknown term", set_pattern("take {NO_SUCH_TERM}"), "unknown term {NO_SUCH_TERM}"),
    ("capital letters", set_pattern("Kill myself"), "capital letters"),
    ("matches nothing at all", set_pattern("(?:kill)?"), "matches empty text"),
    (
        "bad strength",
        lambda d: first_family(d).update(strength="maybe"),
        "self_harm.families[0].strength",
    ),
    (
        "duplicate family",
        lambda d: d["categories"]["safeguarding"]["families"][0].update(name="overdose"),
        "duplicate family name 'overdose'",
    ),
    (
        "unused weak family",
        lambda d: d["categories"]["self_harm"].update(combinations=[]),
        "can never fire",
    ),
    (
        "combination of an unknown family",
        lambda d: d["categories"]["medical_emergency"]["combinations"][0].update(
            all_of=[["heavy_bleeding"], ["no_such_family"]]
        ),
        "medical_emergency.combinations[0]",
    ),
    (
        "combination across categories",
        lambda d: d["categories"]["medical_emergency"]["combinations"][0].update(
            all_of=[["heavy_bleeding"], ["overdose"]]
        ),
        "unknown family 'overdose' in category medical_emergency",
    ),
    ("missing priority", lambda d: d.update(category_priority=["self_harm"]), "category_priority"),
    ("unknown category", lambda d: d["categories"].update(anxiety={}), "unknown category"),
    ("context turns", lambda d: d["context"].update(user_turns=0), "context.user_turns"),
    ("missing negation", lambda d: d.pop("negation"), "negation: required"),
    (
        "bad word map key",
        lambda d: d["normalisation"]["word_map"].update({"two words": "x"}),
        "normalisation.word_map.two words",
    ),
    (
        "short fuzzy term",
        lambda d: d["normalisation"]["fuzzy_terms"].append("die"),
        "normalisation.fuzzy_terms",
    ),
    ("guard without a name", lambda d: d["guards"][0].pop("name"), "guards[0].name"),
    (
        "context guard of an unknown family",
        lambda d: d["context_guards"][0]["families"].append("no_such_family"),
        "unknown family 'no_such_family'",
    ),
    (
        "context guard without families",
        lambda d: d["context_guards"][0].pop("families"),
        "context_guards[0].families: required",
    ),
]


@pytest.mark.safety("H14")
@pytest.mark.parametrize(("label", "edit", "where"), EDITS, ids=[e[0] for e in EDITS])
def test_an_invalid_pattern_file_names_the_field(
    shipped: dict[str, Any], label: str, edit: Callable[[dict[str, Any]], None], where: str
) -> None:
    """Each kind of mistake a reviewer could make fails loudly and says where."""
    data = copy.deepcopy(shipped)
    edit(data)
    with pytest.raises(ConfigError) as caught:
        parse_patterns(data)
    assert where in str(caught.value), label


@pytest.mark.safety("H14")
def test_reading_a_broken_file_names_the_file(tmp_path: Path) -> None:
    """Invalid JSON is reported with the file name and line."""
    path = tmp_path / "crisis-patterns.json"
    path.write_text("{\n  not json\n}", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"crisis-patterns\.json: invalid JSON at line 2"):
        read_patterns(path)


@pytest.mark.safety("H14")
def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    """A missing pattern file fails loudly instead of silently detecting nothing."""
    with pytest.raises(ConfigError, match="file not found"):
        read_patterns(tmp_path / "nowhere.json")


def test_the_shipped_file_names_its_reviewers(shipped: dict[str, Any]) -> None:
    """The file carries a version and its clinical sign-off status."""
    assert shipped["version"]
    assert "review" in shipped["approved_by"].lower()


def test_a_reviewer_can_add_a_family_without_code(shipped: dict[str, Any]) -> None:
    """A new family in the file is compiled and fires with no code change."""
    data = copy.deepcopy(shipped)
    data["categories"]["medical_emergency"]["families"].append(
        {"name": "burns", "strength": "strong", "patterns": ["(?:badly|severely) burn(?:t|ed)"]}
    )
    patterns = parse_patterns(data)
    assert any(f.name == "burns" for f in patterns.families)
