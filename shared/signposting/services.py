"""The UK services table (``config/uk-services.json``): who each service is for, and its source.

One row per service: the nations and age bands it serves, its hours, its phone number, text
number or website, the public pages it was checked against and the date it was checked. The
replies (:mod:`shared.signposting.texts`) name services only through this table, so a number is
written once. A row is usable in a reply only when its ``verification`` says it was checked
(``verified``), is the deploying charity's own line (``own_service``, which the charity must
confirm) or is a service with no single number (``hospital_specific``); a ``not_verified`` row
stays in the table for reviewers and never reaches a person.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from shared.platform.config import ConfigError, ConfigReader

NATIONS = ("england", "wales", "scotland", "northern_ireland")
AGE_BANDS = ("under_18", "adult")
VERIFICATIONS = ("verified", "own_service", "hospital_specific", "not_verified")
USABLE = frozenset({"verified", "own_service", "hospital_specific"})
CONTACT_FIELDS = ("phone", "text", "url")
# A check older than this many months is stale: services change numbers and hours.
MAX_CHECK_AGE_MONTHS = 12
_ID = re.compile(r"[a-z][a-z0-9_]*")
_SOURCE = re.compile(r"https?://\S+")


@dataclass(frozen=True, slots=True)
class Service:
    """One row of the table."""

    id: str
    name: str
    nations: tuple[str, ...]
    age_bands: tuple[str, ...]
    ages: str
    hours: str
    phone: str | None
    text: str | None
    url: str | None
    verification: str
    sources: tuple[str, ...]
    checked: date
    note: str

    @property
    def everywhere(self) -> bool:
        """Whether the service serves all four nations."""
        return set(self.nations) == set(NATIONS)

    @property
    def usable(self) -> bool:
        """Whether a reply may name this service."""
        return self.verification in USABLE

    def contact(self) -> dict[str, str]:
        """The placeholders a reply fragment may use, for the fields this row has."""
        found = {name: getattr(self, name) for name in CONTACT_FIELDS}
        return {name: value for name, value in found.items() if value}


@dataclass(frozen=True, slots=True)
class ServicesTable:
    version: str
    services: Mapping[str, Service]

    def __getitem__(self, service_id: str) -> Service:
        return self.services[service_id]


def _choices(reader: ConfigReader, key: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    values = reader.strings(key)
    for value in values:
        if value not in allowed:
            raise ConfigError(f"{reader.where(key)}: {value!r} is not one of {', '.join(allowed)}")
    if len(set(values)) != len(values):
        raise ConfigError(f"{reader.where(key)}: duplicate entries")
    return values


def _optional(reader: ConfigReader, key: str) -> str | None:
    value = reader.mapping_at_root().get(key)
    if value is None:
        return None
    return reader.text(key)


def _service(reader: ConfigReader) -> Service:
    service_id = reader.text("id")
    if not _ID.fullmatch(service_id):
        raise ConfigError(f"{reader.where('id')}: ids are lower-case words joined by _")
    verification = reader.text("verification")
    if verification not in VERIFICATIONS:
        raise ConfigError(
            f"{reader.where('verification')}: must be one of {', '.join(VERIFICATIONS)}"
        )
    raw_sources = reader.mapping_at_root().get("sources")
    if not isinstance(raw_sources, list) or not all(isinstance(s, str) for s in raw_sources):
        raise ConfigError(f"{reader.where('sources')}: expected a list of addresses")
    for source in raw_sources:
        if not _SOURCE.fullmatch(source):
            raise ConfigError(f"{reader.where('sources')}: {source!r} is not a web address")
    if verification == "verified" and not raw_sources:
        raise ConfigError(f"{reader.where('sources')}: a verified row names its sources")
    try:
        checked = date.fromisoformat(reader.text("checked"))
    except ValueError as exc:
        raise ConfigError(f"{reader.where('checked')}: expected a date (YYYY-MM-DD)") from exc
    service = Service(
        id=service_id,
        name=reader.text("name"),
        nations=_choices(reader, "nations", NATIONS),
        age_bands=_choices(reader, "age_bands", AGE_BANDS),
        ages=reader.text("ages"),
        hours=reader.text("hours"),
        phone=_optional(reader, "phone"),
        text=_optional(reader, "text"),
        url=_optional(reader, "url"),
        verification=verification,
        sources=tuple(raw_sources),
        checked=checked,
        note=reader.text("note"),
    )
    if verification != "hospital_specific" and not service.contact():
        raise ConfigError(f"{reader.where('id')}: a row needs a phone, text or url")
    return service


def parse_services(data: object) -> ServicesTable:
    """Validate the services table document."""
    root = ConfigReader(data, "")
    services: dict[str, Service] = {}
    for item in root.items("services"):
        service = _service(item)
        if service.id in services:
            raise ConfigError(f"{item.where('id')}: duplicate service id {service.id!r}")
        services[service.id] = service
    return ServicesTable(version=root.text("version"), services=services)


def _months_before(day: date, months: int) -> date:
    """The same calendar day ``months`` earlier (the month's last day when it has no such day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover - every month has a 28th


def stale_services(table: ServicesTable, today: date) -> list[str]:
    """The rows whose check is more than :data:`MAX_CHECK_AGE_MONTHS` months before ``today``,
    each as ``"<id>: checked <date>"``; empty when every row is fresh."""
    oldest = _months_before(today, MAX_CHECK_AGE_MONTHS)
    return [
        f"{service.id}: checked {service.checked.isoformat()}"
        for service in table.services.values()
        if service.checked < oldest
    ]
