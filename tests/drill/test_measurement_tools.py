"""The measuring tools the drill, the benchmark and the soak share, as pure functions."""

from __future__ import annotations

import math

from bench.imports import parse_importtime
from bench.loadgen import Call, body_problem, sample_from
from bench.profiling import summarize_collapsed
from bench.stats import percentile
from bench.tableproxy import classify

REPLY = {
    "object": "chat.completion",
    "choices": [{"message": {"role": "assistant", "content": "Bloating can be a symptom."}}],
    "failover": {
        "tier": 2,
        "provider": "azure_openai",
        "attempts": [
            {"provider": "openai", "outcome": "breaker_open", "ms": 0.0},
            {"provider": "azure_openai", "outcome": "ok", "ms": 120.0},
        ],
        "crisis": False,
    },
}


def test_nearest_rank_percentile() -> None:
    """p50 of 1..10 is 5 and p99 is the largest: nearest rank, never interpolated."""
    values = [float(v) for v in range(10, 0, -1)]
    assert percentile(values, 50) == 5.0
    assert percentile(values, 99) == 10.0
    assert math.isnan(percentile([], 50))


def test_a_chat_completion_with_a_failover_report_is_valid() -> None:
    """The reply shape the bot relies on passes the body check."""
    assert body_problem(REPLY) == ""


def test_a_crisis_message_answered_as_ordinary_chat_is_invalid() -> None:
    """A crisis message must come back flagged as crisis."""
    assert body_problem(REPLY, crisis=True) == "crisis message answered as ordinary chat"


def test_an_empty_answer_is_invalid() -> None:
    """Empty content is not an answer."""
    empty = {**REPLY, "choices": [{"message": {"content": " "}}]}
    assert body_problem(empty) == "empty content"


def test_a_skipped_tier_was_not_called() -> None:
    """An attempt with outcome breaker_open did not reach the provider."""
    sample = sample_from(Call("http://127.0.0.1/api/chat", {}), 0.0, 130.0, 200, REPLY)
    assert sample.ok
    assert not sample.attempted("openai")
    assert sample.attempted("azure_openai")


def test_table_requests_are_classified_by_method_and_table() -> None:
    """GET is a read, entity changes are writes, table management is apart."""
    assert classify("GET", "/devstoreaccount1/breakers()") == ("breakers", "read")
    assert classify("PUT", "/devstoreaccount1/breakers(PartitionKey='b',RowKey='o')") == (
        "breakers",
        "write",
    )
    assert classify("POST", "/devstoreaccount1/Tables") == ("Tables", "admin")


def test_collapsed_stacks_give_own_and_inclusive_shares() -> None:
    """The top frame counts as own time; our code anywhere on the stack as inclusive."""
    lines = [
        "main (x.py:1);handle (shared/failover/gateway.py:10);loads (json/decoder.py:5) 3",
        "main (x.py:1);handle (shared/failover/gateway.py:12) 1",
    ]
    profile = summarize_collapsed(lines)
    assert profile.samples == 4
    assert profile.own[0].frame == "loads (json/decoder.py)"
    assert profile.own[0].share == 0.75
    assert [e.frame for e in profile.inclusive] == ["handle (shared/failover/gateway.py)"]


def test_importtime_rows_keep_their_depth() -> None:
    """Self and cumulative microseconds become milliseconds, indentation becomes depth."""
    stderr = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       100 |        100 |     json.decoder\n"
        "import time:       200 |        300 |   json\n"
        "import time:        50 |        350 | function_app\n"
    )
    assert parse_importtime(stderr) == [
        ("json.decoder", 0.1, 0.1, 2),
        ("json", 0.2, 0.3, 1),
        ("function_app", 0.05, 0.35, 0),
    ]
