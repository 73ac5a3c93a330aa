"""Storage queue triggers on the dev host, against Azurite's queue service."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from devhost.background import running_devhost
from devhost.queues import MIN_POLL_S, next_delay, poison_queue_name
from tests.devhost import queue_app

QUEUE_APP = "tests.devhost.queue_app:app"


def wait_for(condition: Callable[[], bool], timeout_s: float = 20.0) -> bool:
    """Poll for what the host's poller does on its own thread."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture
def queue_name() -> str:
    return "toy-" + uuid.uuid4().hex[:12]


@pytest.fixture
def served(azurite_connection: str, queue_name: str) -> Iterator[QueueClient]:
    """The queue app on a dev host, and a client of its queue."""
    settings = {"TOY_STORAGE": azurite_connection, "TOY_QUEUE": queue_name}
    client = QueueClient.from_connection_string(
        azurite_connection, queue_name, message_encode_policy=TextBase64EncodePolicy()
    )
    client.create_queue()
    with running_devhost(QUEUE_APP, settings=settings), client:
        yield client


def test_backoff_doubles_from_100_ms_up_to_the_maximum() -> None:
    """An empty queue is polled less and less often, never less than every maximum."""
    delays = [MIN_POLL_S]
    for _ in range(8):
        delays.append(next_delay(delays[-1], 2.0))
    assert delays[:5] == [0.1, 0.2, 0.4, 0.8, 1.6]
    assert delays[-1] == 2.0


def test_a_message_runs_the_function_once_and_is_deleted(served: QueueClient) -> None:
    """The body reaches the function, and the message leaves the queue."""
    body = "hello-" + uuid.uuid4().hex
    served.send_message(body)
    assert wait_for(lambda: body in queue_app.handled)
    assert wait_for(lambda: served.get_queue_properties().approximate_message_count == 0)
    assert queue_app.handled.count(body) == 1


def test_a_message_that_keeps_failing_goes_to_the_poison_queue(
    served: QueueClient, azurite_connection: str, queue_name: str
) -> None:
    """After maxDequeueCount (5) failed runs the message is moved to '<queue>-poison'."""
    body = "fail-" + uuid.uuid4().hex
    served.send_message(body)
    poison = QueueClient.from_connection_string(azurite_connection, poison_queue_name(queue_name))
    with poison:

        def poisoned() -> list[str]:
            try:
                return [m.content for m in poison.peek_messages(max_messages=5)]
            except Exception:  # noqa: BLE001 - created by the host on the first move
                return []

        assert wait_for(lambda: len(poisoned()) == 1)
    assert wait_for(lambda: served.get_queue_properties().approximate_message_count == 0)


def test_a_message_hidden_for_a_while_runs_once_it_is_visible(served: QueueClient) -> None:
    """A message sent with a visibility delay (a scheduled message) runs no earlier than that."""
    body = "later-" + uuid.uuid4().hex
    sent = time.time()
    served.send_message(body, visibility_timeout=2)
    assert wait_for(lambda: body in queue_app.handled)
    ((ran_at, _),) = queue_app.runs[body]
    assert ran_at >= sent + 2 - 0.05  # the queue service's clock may round to the second


def test_a_retried_message_sees_its_dequeue_count(served: QueueClient) -> None:
    """A run that failed is retried with the dequeue count raised, as in Azure."""
    body = "once-" + uuid.uuid4().hex
    served.send_message(body)
    assert wait_for(lambda: body in queue_app.handled)
    assert [count for _, count in queue_app.runs[body]] == [1, 2]
