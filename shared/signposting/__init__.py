"""Signposting: the UK services table, the reply fragments, and the replies composed from them
for a person's nation, age band and language.

What other rooms may use is exported here; the modules behind it are this room's own.
"""

from __future__ import annotations

from pathlib import Path

from shared.platform.config import config_path, read_config_file
from shared.signposting.compose import Composed, Person, Signposting, compose, person_for
from shared.signposting.services import (
    AGE_BANDS,
    NATIONS,
    Service,
    ServicesTable,
    parse_services,
    stale_services,
)
from shared.signposting.texts import EMERGENCY, LANGUAGES, NO_FOLLOW_UP, ReplyBook, parse_texts

SERVICES_FILE = "uk-services.json"
TEXTS_FILE = "crisis-replies.json"


def load_signposting(config_dir: str | Path | None = None) -> Signposting:
    """Read and validate the services table, then the reply fragments against it.
    Raises ConfigError, naming the file and the field."""
    services = read_config_file(config_path(config_dir, SERVICES_FILE), parse_services)
    book = read_config_file(
        config_path(config_dir, TEXTS_FILE), lambda data: parse_texts(data, services)
    )
    return Signposting(services, book)


__all__ = [
    "AGE_BANDS",
    "EMERGENCY",
    "LANGUAGES",
    "NATIONS",
    "NO_FOLLOW_UP",
    "SERVICES_FILE",
    "TEXTS_FILE",
    "Composed",
    "Person",
    "ReplyBook",
    "Service",
    "ServicesTable",
    "Signposting",
    "compose",
    "load_signposting",
    "parse_services",
    "parse_texts",
    "person_for",
    "stale_services",
]
