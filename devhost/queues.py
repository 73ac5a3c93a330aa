"""Storage queue triggers: each enabled queue function polls its queue, as the Functions host does.

For each function from the index (``queueTrigger`` with ``queueName`` and ``connection``) one
poller receives up to ``batchSize`` messages at a time, hidden for the run's length, and
invokes the function once per message. A run that returns deletes the message. A run that
raises makes the message visible again after ``visibilityTimeout``; once a message has been
dequeued ``maxDequeueCount`` times (default 5) it is moved to ``<queue>-poison`` instead. An
empty queue is polled again after 100 ms, doubling up to ``maxPollingInterval``; storage
errors back off the same way. Settings are ``extensions.queues`` in ``host.json``.

The connection is the app setting the binding names, as a connection string (Azurite
locally). Several dev hosts on one Azurite compete for messages, as instances do in Azure.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from azure.functions.queue import QueueMessage

from devhost.hostjson import QueueOptions
from devhost.index import QueueFunction

logger = logging.getLogger(__name__)

RunQueue = Callable[[QueueFunction, QueueMessage], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]

MIN_POLL_S = 0.1
# How long a received message stays hidden while its function runs.
_LEASE_S = 300
_TIMEOUT_S = 5.0


def poison_queue_name(queue_name: str) -> str:
    """Where a message goes after ``maxDequeueCount`` failed runs."""
    return f"{queue_name}-poison"


def next_delay(previous: float, maximum: float) -> float:
    """The next wait on an empty queue: doubling from 100 ms, at most ``maximum``."""
    return max(MIN_POLL_S, min(previous * 2, maximum))


class QueueService:
    """Polls the queue of every enabled queue-triggered function."""

    def __init__(
        self,
        functions: Mapping[str, QueueFunction],
        options: QueueOptions,
        settings: Mapping[str, str],
        run: RunQueue,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._functions = dict(functions)
        self._options = options
        self._settings = settings
        self._run = run
        self._sleep = sleep
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        """Start one poller per enabled queue function."""
        for function in self._functions.values():
            if function.info.disabled:
                continue
            connection = self._settings.get(function.connection, "").strip()
            if not connection:
                logger.warning(
                    "queue function %s is not served: app setting %s is not set",
                    function.info.name,
                    function.connection,
                )
                continue
            task = asyncio.get_running_loop().create_task(self._poll(function, connection))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Stop polling; a run in progress is cancelled and its message reappears later."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _poll(self, function: QueueFunction, connection: str) -> None:
        queue = _client(connection, function.queue_name, base64=self._options.base64)
        poison = _client(
            connection, poison_queue_name(function.queue_name), base64=self._options.base64
        )
        delay = MIN_POLL_S
        try:
            while True:
                try:
                    messages = await asyncio.to_thread(self._receive, queue)
                except Exception as exc:  # noqa: BLE001 - storage down: back off, keep polling
                    logger.warning(
                        "queue %s not readable: %s", function.queue_name, type(exc).__name__
                    )
                    messages = []
                if not messages:
                    await self._sleep(delay)
                    delay = next_delay(delay, self._options.max_polling_interval_s)
                    continue
                delay = MIN_POLL_S
                await asyncio.gather(*(self._process(function, queue, poison, m) for m in messages))
        finally:
            await asyncio.to_thread(_close, queue, poison)

    def _receive(self, queue: Any) -> list[Any]:
        from azure.core.exceptions import ResourceNotFoundError  # noqa: PLC0415 - lazy

        try:
            pages = queue.receive_messages(
                messages_per_page=self._options.batch_size, visibility_timeout=_LEASE_S
            )
            return list(next(pages.by_page(), []))
        except ResourceNotFoundError:
            _create(queue)
            return []

    async def _process(self, function: QueueFunction, queue: Any, poison: Any, raw: Any) -> None:
        if raw.dequeue_count > self._options.max_dequeue_count:
            # Dequeued too often without an outcome (a run that killed its process).
            await asyncio.to_thread(self._to_poison, function, queue, poison, raw)
            return
        message = QueueMessage(  # type: ignore[no-untyped-call]
            id=raw.id,
            body=raw.content,
            dequeue_count=raw.dequeue_count,
            expiration_time=raw.expires_on,
            insertion_time=raw.inserted_on,
            time_next_visible=raw.next_visible_on,
            pop_receipt=raw.pop_receipt,
        )
        try:
            await self._run(function, message)
        except Exception:
            logger.exception(
                "queue function %s failed (attempt %d)", function.info.name, raw.dequeue_count
            )
            await asyncio.to_thread(self._after_failure, function, queue, poison, raw)
            return
        await asyncio.to_thread(_delete, queue, raw, function.queue_name)

    def _after_failure(self, function: QueueFunction, queue: Any, poison: Any, raw: Any) -> None:
        if raw.dequeue_count >= self._options.max_dequeue_count:
            self._to_poison(function, queue, poison, raw)
            return
        try:
            queue.update_message(raw, visibility_timeout=int(self._options.visibility_timeout_s))
        except Exception as exc:  # noqa: BLE001 - it reappears when its lease ends anyway
            logger.warning("queue message not released: %s", type(exc).__name__)

    def _to_poison(self, function: QueueFunction, queue: Any, poison: Any, raw: Any) -> None:
        from azure.core.exceptions import ResourceNotFoundError  # noqa: PLC0415 - lazy

        logger.error(
            "queue message moved to %s after %d attempts",
            poison_queue_name(function.queue_name),
            raw.dequeue_count,
        )
        try:
            poison.send_message(raw.content)
        except ResourceNotFoundError:
            _create(poison)
            poison.send_message(raw.content)
        _delete(queue, raw, function.queue_name)


def _client(connection: str, name: str, *, base64: bool) -> Any:
    from azure.storage.queue import (  # noqa: PLC0415 - lazy
        BinaryBase64DecodePolicy,
        BinaryBase64EncodePolicy,
        QueueClient,
    )

    codecs: dict[str, Any] = (
        {
            "message_encode_policy": BinaryBase64EncodePolicy(),
            "message_decode_policy": BinaryBase64DecodePolicy(),
        }
        if base64
        else {}
    )
    return QueueClient.from_connection_string(
        connection,
        name,
        connection_timeout=_TIMEOUT_S,
        read_timeout=_TIMEOUT_S,
        retry_total=0,
        **codecs,
    )


def _create(queue: Any) -> None:
    from azure.core.exceptions import ResourceExistsError  # noqa: PLC0415 - lazy

    try:
        queue.create_queue()
    except ResourceExistsError:
        return


def _delete(queue: Any, raw: Any, name: str) -> None:
    try:
        queue.delete_message(raw)
    except Exception as exc:  # noqa: BLE001 - it reappears and runs again: at-least-once
        logger.warning("queue %s message not deleted: %s", name, type(exc).__name__)


def _close(*clients: Any) -> None:
    for client in clients:
        client.close()
