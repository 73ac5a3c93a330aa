"""Table Storage clients, from a connection string (local, Azurite) or a managed identity.

In Azure the app has no storage connection string: shared keys are disabled and
``AzureWebJobsStorage__accountName`` (or ``__tableServiceUri``) names the account, which is
reached with the app's managed identity. Locally, a connection string such as
``UseDevelopmentStorage=true`` points at Azurite. Every client gets short timeouts and no SDK
retries: callers decide about retries, so a dead account never stalls a chat request.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from shared.platform.settings import Settings

_credential: Any = None
_credential_lock = threading.Lock()


def managed_identity() -> Any:
    """The app's managed identity credential, one per process."""
    global _credential  # noqa: PLW0603 - one credential (and token cache) per process
    with _credential_lock:
        if _credential is None:
            from azure.identity import DefaultAzureCredential  # noqa: PLC0415 - heavy, lazy

            _credential = DefaultAzureCredential()
        return _credential


def table_client(settings: Settings, table_name: str, *, timeout_s: float = 1.0) -> Any:
    """A ``TableClient`` for ``table_name`` in the app's storage account."""
    from azure.data.tables import TableClient  # noqa: PLC0415 - heavy, lazy

    options: dict[str, Any] = {
        "connection_timeout": timeout_s,
        "read_timeout": timeout_s,
        "retry_total": 0,
    }
    if settings.storage_table_endpoint:
        return TableClient(
            endpoint=settings.storage_table_endpoint,
            table_name=table_name,
            credential=managed_identity(),
            **options,
        )
    return TableClient.from_connection_string(
        settings.storage_connection, table_name=table_name, **options
    )


def ensure_table(client: Any) -> None:
    """Create the table if it does not exist yet."""
    from azure.core.exceptions import ResourceExistsError  # noqa: PLC0415

    with contextlib.suppress(ResourceExistsError):
        client.create_table()
