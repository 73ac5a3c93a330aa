"""Storage queues: where work leaves a process at once, to be done by a queue trigger.

Two queues carry what must not wait in one process's memory (names in
:mod:`shared.platform.ports`): operations alerts, delivered by the ``operations_alert`` queue
trigger wherever Azure runs it, and the records outbox, where audit rows and breaker outcomes go
when a stopping process cannot write them to their tables in time. Queues are at-least-once:
the consumers tolerate a message twice.

The queues live in the account the Functions host's queue triggers read
(``AzureWebJobsStorage``; in Azure its managed identity through ``__accountName`` or
``__queueServiceUri``). Messages are base64 text, the queue extension's default encoding.
Clients get short timeouts and no SDK retries, like the table clients.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Mapping
from typing import Any

from shared.platform.settings import Settings
from shared.platform.storage import managed_identity

# A queue message holds at most 64 KiB; base64 takes a third more.
MAX_MESSAGE_TEXT = 48 * 1024


class StorageQueue:
    """One storage queue, opened on first use and created if missing."""

    def __init__(self, settings: Settings, name: str, *, timeout_s: float = 2.0) -> None:
        self._settings = settings
        self._name = name
        self._timeout_s = timeout_s
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    def put(self, payload: Mapping[str, Any], *, delay_s: float = 0.0) -> None:
        """Send one JSON message, hidden for ``delay_s`` whole seconds (the visibility
        timeout); raises when storage cannot take it."""
        from azure.core.exceptions import ResourceNotFoundError  # noqa: PLC0415 - heavy, lazy

        text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
        if len(text) > MAX_MESSAGE_TEXT:
            raise ValueError(f"message of {len(text)} characters is too large for a queue")
        client = self._open()
        options = {"visibility_timeout": int(delay_s)} if delay_s > 0 else {}
        try:
            client.send_message(text, **options)
        except ResourceNotFoundError:
            self._create(client)
            client.send_message(text, **options)

    def _open(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = queue_client(self._settings, self._name, timeout_s=self._timeout_s)
            return self._client

    @staticmethod
    def _create(client: Any) -> None:
        from azure.core.exceptions import ResourceExistsError  # noqa: PLC0415 - heavy, lazy

        with contextlib.suppress(ResourceExistsError):
            client.create_queue()


def queue_client(settings: Settings, name: str, *, timeout_s: float = 2.0) -> Any:
    """A ``QueueClient`` for ``name`` in the account the queue triggers read."""
    from azure.storage.queue import (  # noqa: PLC0415 - heavy, lazy
        BinaryBase64DecodePolicy,
        QueueClient,
        TextBase64EncodePolicy,
    )

    options: dict[str, Any] = {
        "connection_timeout": timeout_s,
        "read_timeout": timeout_s,
        "retry_total": 0,
        "message_encode_policy": TextBase64EncodePolicy(),
        "message_decode_policy": BinaryBase64DecodePolicy(),
    }
    if settings.storage_queue_endpoint:
        return QueueClient(
            settings.storage_queue_endpoint, name, credential=managed_identity(), **options
        )
    return QueueClient.from_connection_string(settings.queue_connection, name, **options)
