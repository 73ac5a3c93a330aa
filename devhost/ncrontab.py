"""NCRONTAB schedules, as the Functions timer trigger reads them.

Six fields, ``second minute hour day month day-of-week``, each a comma list of ``*``,
``n``, ``a-b``, ``*/s``, ``a-b/s`` or ``a/s``. Months and days of the week may be named
(``Jan``, ``Mon``); Sunday is 0. As in NCrontab (and unlike Vixie cron) a time must match
both the day-of-month and the day-of-week fields. Times are UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_DAY_NAMES = {
    name: number for number, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))
}
# A schedule that matches nothing (say, 30 February) would otherwise loop for ever.
_SEARCH_HORIZON = timedelta(days=366 * 5)


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: Mapping[str, int]


_FIELDS = (
    _Field("second", 0, 59, {}),
    _Field("minute", 0, 59, {}),
    _Field("hour", 0, 23, {}),
    _Field("day", 1, 31, {}),
    _Field("month", 1, 12, _MONTH_NAMES),
    _Field("day-of-week", 0, 6, _DAY_NAMES),
)


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """A parsed NCRONTAB expression: the allowed values of each field."""

    expression: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]

    def next_after(self, moment: datetime) -> datetime:
        """The first whole second strictly after ``moment`` that the schedule matches."""
        if moment.tzinfo is None:
            raise ValueError("next_after needs a timezone-aware datetime")
        start = moment.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
        candidate = start
        while candidate - start < _SEARCH_HORIZON:
            if candidate.month not in self.months:
                candidate = _first_of_next_month(candidate)
            elif not self._day_matches(candidate):
                candidate = _midnight(candidate) + timedelta(days=1)
            elif candidate.hour not in self.hours:
                candidate = candidate.replace(minute=0, second=0) + timedelta(hours=1)
            elif candidate.minute not in self.minutes:
                candidate = candidate.replace(second=0) + timedelta(minutes=1)
            elif candidate.second not in self.seconds:
                candidate += timedelta(seconds=1)
            else:
                return candidate
        raise ValueError(f"schedule {self.expression!r} has no occurrence within five years")

    def _day_matches(self, moment: datetime) -> bool:
        sunday_based = (moment.weekday() + 1) % 7
        return moment.day in self.days and sunday_based in self.days_of_week


def parse(expression: str) -> CronSchedule:
    """Parse a six-field NCRONTAB expression; raise ``ValueError`` naming the bad field."""
    parts = expression.split()
    if len(parts) != len(_FIELDS):
        raise ValueError(
            f"schedule {expression!r} must have 6 fields "
            f"(second minute hour day month day-of-week), got {len(parts)}"
        )
    values = [_parse_field(part, spec) for part, spec in zip(parts, _FIELDS, strict=True)]
    return CronSchedule(expression, *values)


def _parse_field(text: str, spec: _Field) -> frozenset[int]:
    allowed: set[int] = set()
    for item in text.split(","):
        allowed.update(_parse_item(item, spec))
    return frozenset(allowed)


def _parse_item(item: str, spec: _Field) -> range:
    range_part, slash, step_part = item.partition("/")
    step = _parse_step(step_part, item, spec) if slash else 1
    if range_part == "*":
        low, high = spec.low, spec.high
    elif "-" in range_part:
        first, _, last = range_part.partition("-")
        low, high = _parse_value(first, spec), _parse_value(last, spec)
        if low > high:
            raise ValueError(f"{spec.name} range {item!r} runs backwards")
    else:
        low = _parse_value(range_part, spec)
        # "a/s" means every s-th value from a to the end of the field, as in NCrontab.
        high = spec.high if slash else low
    return range(low, high + 1, step)


def _parse_step(text: str, item: str, spec: _Field) -> int:
    if not text.isdigit() or int(text) == 0:
        raise ValueError(f"{spec.name} step in {item!r} must be a positive whole number")
    return int(text)


def _parse_value(text: str, spec: _Field) -> int:
    lowered = text.lower()
    if lowered in spec.names:
        return spec.names[lowered]
    if not text.isdigit():
        raise ValueError(f"{spec.name} value {text!r} is not a number")
    value = int(text)
    if not spec.low <= value <= spec.high:
        raise ValueError(f"{spec.name} value {value} is outside {spec.low}-{spec.high}")
    return value


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0)


def _first_of_next_month(moment: datetime) -> datetime:
    first = _midnight(moment).replace(day=1)
    if first.month == 12:
        return first.replace(year=first.year + 1, month=1)
    return first.replace(month=first.month + 1)
