"""Task hub retention settings and the purge sweep, over a recording orchestration port."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.operations import TaskHubRetention, purge_task_hub
from shared.platform import CHAT_ORCHESTRATION, ESCALATION_ORCHESTRATION, Settings

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Recorder:
    def __init__(self) -> None:
        self.sweeps: list[tuple[str, datetime]] = []

    async def purge_finished(self, name: str, created_before: datetime) -> int:
        self.sweeps.append((name, created_before))
        return 2 if name == CHAT_ORCHESTRATION else 1

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the sweep must not call {name}")


def test_defaults_are_fifteen_minutes_and_two_hours() -> None:
    """Unset settings keep chats 15 minutes and escalations 2 hours."""
    retention = TaskHubRetention.from_settings(Settings.from_env({}))
    assert retention == TaskHubRetention(timedelta(minutes=15), timedelta(hours=2))


def test_settings_override_the_defaults() -> None:
    """Both periods come from their app settings."""
    env = {"CHAT_INSTANCE_RETENTION_MINUTES": "5", "ESCALATION_INSTANCE_RETENTION_HOURS": "2"}
    retention = TaskHubRetention.from_settings(Settings.from_env(env))
    assert retention == TaskHubRetention(timedelta(minutes=5), timedelta(hours=2))


@pytest.mark.parametrize("raw", ["0", "-1", "soon"])
def test_a_retention_that_is_not_a_positive_number_is_refused(raw: str) -> None:
    """A bad value fails loudly, naming the setting, instead of purging everything."""
    env = {"CHAT_INSTANCE_RETENTION_MINUTES": raw}
    with pytest.raises(ValueError, match="CHAT_INSTANCE_RETENTION_MINUTES"):
        TaskHubRetention.from_settings(Settings.from_env(env))


async def test_each_orchestration_is_swept_with_its_own_cutoff() -> None:
    """Chats older than the chat retention, escalations older than theirs."""
    recorder = Recorder()
    report = await purge_task_hub(recorder, TaskHubRetention(), lambda: NOW)  # type: ignore[arg-type]
    assert recorder.sweeps == [
        (CHAT_ORCHESTRATION, NOW - timedelta(minutes=15)),
        (ESCALATION_ORCHESTRATION, NOW - timedelta(hours=2)),
    ]
    assert (report.chats, report.escalations) == (2, 1)
