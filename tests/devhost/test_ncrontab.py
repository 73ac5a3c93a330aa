"""NCRONTAB parsing and next-occurrence arithmetic (pure, with fixed times)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devhost import ncrontab

# A Wednesday.
T0 = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


def test_every_five_seconds_gives_the_next_multiple_of_five() -> None:
    """'*/5 * * * * *' fires on the next second divisible by five."""
    schedule = ncrontab.parse("*/5 * * * * *")
    assert schedule.next_after(T0.replace(second=3)) == T0.replace(second=5)


def test_next_occurrence_is_strictly_after_the_given_time() -> None:
    """A time that matches the schedule itself yields the following occurrence."""
    schedule = ncrontab.parse("0 * * * * *")
    assert schedule.next_after(T0) == T0.replace(minute=1)


def test_fractional_seconds_are_dropped_before_searching() -> None:
    """The search starts at the next whole second."""
    schedule = ncrontab.parse("* * * * * *")
    assert schedule.next_after(T0.replace(microsecond=999_999)) == T0.replace(second=1)


def test_daily_time_rolls_over_to_the_next_day() -> None:
    """A daily schedule already past today fires tomorrow."""
    schedule = ncrontab.parse("30 15 9 * * *")
    assert schedule.next_after(T0) == datetime(2025, 1, 2, 9, 15, 30, tzinfo=UTC)


def test_ranges_and_lists_combine() -> None:
    """'0 0 9-10,14 * * *' allows 09:00, 10:00 and 14:00."""
    schedule = ncrontab.parse("0 0 9-10,14 * * *")
    assert schedule.hours == frozenset({9, 10, 14})
    assert schedule.next_after(T0) == T0.replace(hour=14)


def test_a_step_within_a_range_counts_from_its_start() -> None:
    """'10-30/10' is 10, 20 and 30."""
    assert ncrontab.parse("10-30/10 * * * * *").seconds == frozenset({10, 20, 30})


def test_a_step_from_a_single_value_runs_to_the_end_of_the_field() -> None:
    """'50/5' in the seconds field is 50 and 55."""
    assert ncrontab.parse("50/5 * * * * *").seconds == frozenset({50, 55})


def test_month_and_day_names_are_accepted() -> None:
    """Named months and days of the week parse to numbers (Sunday is 0)."""
    schedule = ncrontab.parse("0 0 0 * Feb,mar sun-Tue")
    assert schedule.months == frozenset({2, 3})
    assert schedule.days_of_week == frozenset({0, 1, 2})


def test_day_of_month_and_day_of_week_must_both_match() -> None:
    """As in NCrontab, '0 0 0 13 * Fri' is only a Friday the 13th."""
    schedule = ncrontab.parse("0 0 0 13 * Fri")
    assert schedule.next_after(T0) == datetime(2025, 6, 13, tzinfo=UTC)


def test_year_rolls_over() -> None:
    """A schedule for 1 January at midnight, asked on 1 January at noon, is next year."""
    schedule = ncrontab.parse("0 0 0 1 Jan *")
    assert schedule.next_after(T0) == datetime(2026, 1, 1, tzinfo=UTC)


def test_a_leap_day_schedule_finds_the_next_leap_year() -> None:
    """29 February is found up to four years ahead."""
    assert ncrontab.parse("0 0 0 29 2 *").next_after(T0) == datetime(2028, 2, 29, tzinfo=UTC)


def test_an_impossible_schedule_is_reported() -> None:
    """30 February never happens, and the search says so instead of looping."""
    with pytest.raises(ValueError, match="no occurrence"):
        ncrontab.parse("0 0 0 30 2 *").next_after(T0)


def test_five_fields_are_rejected() -> None:
    """NCRONTAB for Functions needs the seconds field."""
    with pytest.raises(ValueError, match="must have 6 fields"):
        ncrontab.parse("0 * * * *")


def test_an_out_of_range_value_names_its_field() -> None:
    """Hour 24 is refused with the field's name and range."""
    with pytest.raises(ValueError, match="hour value 24 is outside 0-23"):
        ncrontab.parse("0 0 24 * * *")


def test_a_backwards_range_is_rejected() -> None:
    """'5-1' is an error, not an empty set."""
    with pytest.raises(ValueError, match="minute range '5-1' runs backwards"):
        ncrontab.parse("0 5-1 * * * *")


def test_a_zero_step_is_rejected() -> None:
    """'*/0' would never advance."""
    with pytest.raises(ValueError, match="second step"):
        ncrontab.parse("*/0 * * * * *")


def test_a_non_number_is_rejected() -> None:
    """Garbage in a field names the field."""
    with pytest.raises(ValueError, match="day value 'x' is not a number"):
        ncrontab.parse("0 0 0 x * *")


def test_a_naive_datetime_is_refused() -> None:
    """Schedules are UTC; a naive time would be ambiguous."""
    with pytest.raises(ValueError, match="timezone-aware"):
        ncrontab.parse("* * * * * *").next_after(datetime(2025, 1, 1))  # noqa: DTZ001
