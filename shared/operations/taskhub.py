"""Task hub retention: purge finished orchestration instances once they are no longer needed.

A chat instance holds the whole conversation (its input, and each provider activity's input).
The chat trigger purges it as soon as it has read the answer; this sweep catches the rest (a
process recycled before its background purge, an instance that would not stop in time). An
escalation instance is kept longer, for operators, and the ``escalations`` table keeps the
record of each one after it is purged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.platform import CHAT_ORCHESTRATION, ESCALATION_ORCHESTRATION, Orchestrations, Settings

log = logging.getLogger(__name__)

DEFAULT_CHAT_RETENTION_MIN = 15.0
DEFAULT_ESCALATION_RETENTION_H = 2.0
# Instances asked for per page of the list the purge reads (the extension's ``top``).
DEFAULT_LIST_PAGE = 100


@dataclass(frozen=True, slots=True)
class TaskHubRetention:
    """How long finished instances of each orchestration are kept."""

    chat: timedelta = timedelta(minutes=DEFAULT_CHAT_RETENTION_MIN)
    escalation: timedelta = timedelta(hours=DEFAULT_ESCALATION_RETENTION_H)
    list_page: int = DEFAULT_LIST_PAGE

    @classmethod
    def from_settings(cls, settings: Settings) -> TaskHubRetention:
        """``CHAT_INSTANCE_RETENTION_MINUTES``, ``ESCALATION_INSTANCE_RETENTION_HOURS`` and
        ``TASK_HUB_LIST_PAGE_SIZE`` (instances per page of the list the purge reads)."""
        chat = _positive(settings, "CHAT_INSTANCE_RETENTION_MINUTES", DEFAULT_CHAT_RETENTION_MIN)
        hours = _positive(
            settings, "ESCALATION_INSTANCE_RETENTION_HOURS", DEFAULT_ESCALATION_RETENTION_H
        )
        page = _positive(settings, "TASK_HUB_LIST_PAGE_SIZE", DEFAULT_LIST_PAGE)
        if page != int(page):
            raise ValueError(
                f"app setting TASK_HUB_LIST_PAGE_SIZE must be a whole number, got {page}"
            )
        return cls(
            chat=timedelta(minutes=chat), escalation=timedelta(hours=hours), list_page=int(page)
        )


@dataclass(frozen=True, slots=True)
class PurgeReport:
    chats: int
    escalations: int


async def purge_task_hub(
    orchestrations: Orchestrations, retention: TaskHubRetention, now: Callable[[], datetime]
) -> PurgeReport:
    """Purge finished chat and escalation instances older than their retention."""
    moment = now()
    chats = await orchestrations.purge_finished(CHAT_ORCHESTRATION, moment - retention.chat)
    escalations = await orchestrations.purge_finished(
        ESCALATION_ORCHESTRATION, moment - retention.escalation
    )
    return PurgeReport(chats=chats, escalations=escalations)


def _positive(settings: Settings, name: str, default: float) -> float:
    raw = settings.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise ValueError(f"app setting {name} must be a positive number, got {raw!r}")
    return value
