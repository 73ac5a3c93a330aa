"""The UK services table: every row names its sources and a fresh check date, replies use only
checked rows, and the README shows the table as the config has it."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from scripts.signposting_docs import README, services_table_markdown
from shared.platform.config import DEFAULT_CONFIG_DIR, ConfigError
from shared.signposting import (
    SERVICES_FILE,
    load_signposting,
    parse_services,
    parse_texts,
    stale_services,
)

# The date the shipped table was last checked against its sources; the freshness test below
# uses the real date, so it starts failing 12 months after this unless the table is re-checked.
TODAY = date(2026, 12, 8)


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEFAULT_CONFIG_DIR / SERVICES_FILE).read_text("utf-8"))
    return data


def with_checked(day: str) -> dict[str, Any]:
    data = copy.deepcopy(shipped())
    data["services"][0]["checked"] = day
    return data


@pytest.mark.safety("H02")
def test_every_row_was_checked_within_the_last_12_months() -> None:
    """No row of the shipped table is older than 12 months today. This one reads the real
    date on purpose: it is the gate that fails once the table has not been re-checked for a
    year (the rule itself is tested with an injected date below)."""
    table = parse_services(shipped())
    assert stale_services(table, datetime.now(UTC).date()) == []


@pytest.mark.safety("H02")
def test_a_13_month_old_check_is_stale() -> None:
    """A row checked 13 months before 'today' is reported, naming the row."""
    table = parse_services(with_checked("2025-11-08"))
    assert stale_services(table, TODAY) == ["emergency_999: checked 2025-11-08"]


@pytest.mark.safety("H02")
def test_a_check_exactly_12_months_old_is_still_fresh() -> None:
    """The limit is 12 calendar months: a check on the same day a year ago passes."""
    table = parse_services(with_checked("2025-12-08"))
    assert stale_services(table, TODAY) == []


@pytest.mark.safety("H02")
def test_every_row_names_a_public_source_and_a_check_date() -> None:
    """Each verified row lists at least one web page it was checked against, and its date."""
    table = parse_services(shipped())
    for service in table.services.values():
        assert isinstance(service.checked, date), service.id
        if service.verification == "verified":
            assert service.sources, service.id
            assert all(s.startswith(("https://", "http://")) for s in service.sources)


@pytest.mark.safety("H02")
def test_a_verified_row_without_sources_is_refused() -> None:
    """A row cannot claim to be verified without naming where."""
    data = copy.deepcopy(shipped())
    data["services"][0]["sources"] = []
    with pytest.raises(ConfigError, match=r"services\[0\]\.sources"):
        parse_services(data)


@pytest.mark.safety("H02")
def test_a_reply_cannot_name_a_service_that_was_not_verified() -> None:
    """A fragment whose service row is 'not_verified' fails loading: no unchecked number
    reaches a person."""
    data = copy.deepcopy(shipped())
    row = next(r for r in data["services"] if r["id"] == "samaritans")
    row["verification"] = "not_verified"
    table = parse_services(data)
    texts = json.loads((DEFAULT_CONFIG_DIR / "crisis-replies.json").read_text("utf-8"))
    with pytest.raises(ConfigError, match=r"'samaritans'.*not_verified"):
        parse_texts(texts, table)


@pytest.mark.safety("H02")
def test_a_number_is_written_once_in_the_table() -> None:
    """No reply fragment spells out a phone number; each takes it from its service's row."""
    texts = json.loads((DEFAULT_CONFIG_DIR / "crisis-replies.json").read_text("utf-8"))
    numbers = {r["phone"] for r in shipped()["services"] if r.get("phone")} - {"999", "111"}
    for fid, fragment in texts["texts"].items():
        for lang in ("en", "cy"):
            for form in (fragment[lang]["text"], fragment[lang].get("short") or ""):
                assert not any(n in form for n in numbers), (fid, lang)


@pytest.mark.safety("H02")
def test_the_readme_shows_the_services_table_as_configured() -> None:
    """The README's crisis section holds the table generated from the config, unchanged."""
    table = load_signposting().services
    assert services_table_markdown(table) in Path(README).read_text("utf-8")
