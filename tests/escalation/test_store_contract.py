"""One claim contract, run against both escalation stores: in-memory and Table Storage on
Azurite. The claim row is what stops two instances escalating the same crisis twice (H03)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import pytest

from shared.escalation.casefile import CaseFile, case_file
from shared.escalation.store import EscalationStore, MemoryEscalationStore, TableEscalationStore
from shared.platform.settings import Settings

T0 = 1_800_000_000.0
WINDOW_S = 900.0
KEY = "crisis:self_harm:ref-0123456789abcdef"

StoreFactory = Callable[[], EscalationStore]


@pytest.fixture(params=["memory", pytest.param("table", marks=pytest.mark.integration)])
def stores(request: pytest.FixtureRequest) -> Iterator[StoreFactory]:
    """A factory of stores that share one backing store, as two instances share a table."""
    if request.param == "memory":
        shared = MemoryEscalationStore()
        yield lambda: shared
        return
    settings = Settings.from_env(
        {
            "AzureWebJobsStorage": request.getfixturevalue("azurite_connection"),
            "ESCALATION_TABLE_NAME": "t" + uuid.uuid4().hex[:20],
        }
    )
    yield lambda: TableEscalationStore.for_settings(settings)


@pytest.mark.safety("H03")
def test_the_first_claim_wins(stores: StoreFactory) -> None:
    """A key never claimed before is claimed."""
    assert stores().claim(KEY, T0, WINDOW_S) is True


@pytest.mark.safety("H03", "H26")
def test_a_second_claim_within_the_window_is_refused(stores: StoreFactory) -> None:
    """Another instance claiming the same key inside the window is refused."""
    assert stores().claim(KEY, T0, WINDOW_S) is True
    assert stores().claim(KEY, T0 + WINDOW_S - 1, WINDOW_S) is False


@pytest.mark.safety("H03")
def test_a_claim_after_the_window_wins_again(stores: StoreFactory) -> None:
    """Once the window has passed, the same key is claimed afresh, and the window restarts."""
    store = stores()
    assert store.claim(KEY, T0, WINDOW_S) is True
    assert stores().claim(KEY, T0 + WINDOW_S, WINDOW_S) is True
    assert store.claim(KEY, T0 + WINDOW_S + 1, WINDOW_S) is False


def test_keys_are_independent(stores: StoreFactory) -> None:
    """A claim on one conversation and category does not block another."""
    store = stores()
    assert store.claim(KEY, T0, WINDOW_S) is True
    assert store.claim(KEY + "-other", T0, WINDOW_S) is True


def test_a_key_with_characters_tables_refuse_is_still_claimed_once(stores: StoreFactory) -> None:
    """Keys with / \\ # ? are made safe for a table key and still de-duplicate."""
    odd = "crisis:self_harm:a/b\\c#d?e"
    assert stores().claim(odd, T0, WINDOW_S) is True
    assert stores().claim(odd, T0 + 1, WINDOW_S) is False


@pytest.mark.safety("H03")
def test_racing_instances_claim_a_key_exactly_once(stores: StoreFactory) -> None:
    """Eight instances claiming one key at the same moment: exactly one wins."""
    instances = [stores() for _ in range(8)]
    start = threading.Barrier(len(instances))
    won: list[bool] = []
    lock = threading.Lock()

    def claim(store: EscalationStore) -> None:
        start.wait()
        result = store.claim(KEY, T0, WINDOW_S)
        with lock:
            won.append(result)

    threads = [threading.Thread(target=claim, args=(s,)) for s in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False] * (len(instances) - 1) + [True]


@pytest.mark.safety("H03")
def test_racing_instances_reclaim_an_expired_key_exactly_once(stores: StoreFactory) -> None:
    """After the window, instances racing to re-claim the key update it exactly once (ETag)."""
    assert stores().claim(KEY, T0, WINDOW_S) is True
    instances = [stores() for _ in range(8)]
    start = threading.Barrier(len(instances))
    won: list[bool] = []
    lock = threading.Lock()

    def claim(store: EscalationStore) -> None:
        start.wait()
        result = store.claim(KEY, T0 + WINDOW_S + 5, WINDOW_S)
        with lock:
            won.append(result)

    threads = [threading.Thread(target=claim, args=(s,)) for s in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False] * (len(instances) - 1) + [True]


def test_escalation_events_read_back_in_order(stores: StoreFactory) -> None:
    """Audited escalation events read back in the order they were written."""
    store = stores()
    store.audit("esc-1", "started", {"category": "self_harm"})
    store.audit("esc-1", "delivered", {"channel": "teams"})
    assert [row["event"] for row in store.history("esc-1")] == ["started", "delivered"]


# --- the case row behind the nurse view ----------------------------------------------------

CASE_ID = "esc-" + "5a" * 16


def a_case(*, text: bool) -> CaseFile:
    return case_file(
        escalation_id=CASE_ID,
        category="self_harm",
        signals=("overdose_taken", "plan"),
        created_at="2026-12-08T01:00:00+00:00",
        conversation_ref="ref-0123456789abcdef",
        transcript=(("user", "hello"), ("assistant", "hi"), ("user", "I took them all, café")),
        show_messages=text,
    )


@pytest.mark.safety("H03")
def test_a_saved_case_reads_back_from_another_instance(stores: StoreFactory) -> None:
    """The case (with its text, when kept) reads back whole from another instance's store."""
    stores().save_case(a_case(text=True))
    case = stores().case(CASE_ID)
    assert case is not None
    assert (case.category, case.signals, case.turns) == ("self_harm", ("overdose_taken", "plan"), 3)
    assert [t.text for t in case.messages][-1] == "I took them all, café"


def test_a_case_never_saved_is_none(stores: StoreFactory) -> None:
    """An escalation with no case row has no case."""
    assert stores().case(CASE_ID) is None


@pytest.mark.safety("H15")
def test_the_audit_history_never_includes_the_case_row(stores: StoreFactory) -> None:
    """history() is the audit trail only: the case row (which may hold text) is left out."""
    store = stores()
    store.save_case(a_case(text=True))
    store.audit(CASE_ID, "viewed", {"via": "link"})
    assert [row["event"] for row in store.history(CASE_ID)] == ["viewed"]


def test_a_claim_reads_back_as_claimed_and_no_other(stores: StoreFactory) -> None:
    """claimed() is a read: true after a claim (from any instance), false for an unclaimed key."""
    assert stores().claimed(KEY) is False
    assert stores().claim(KEY, T0, WINDOW_S) is True
    assert stores().claimed(KEY) is True
    assert stores().claimed(KEY + "-other") is False
