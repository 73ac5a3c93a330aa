"""How the dev host spreads one app over OS processes: Flex Consumption's scaling groups.

Flex Consumption scales an app per function group: every HTTP trigger together (``http``),
every Durable function together (orchestrators, activities and entities: ``durable``), and
each other function on its own (``function:<name>``: a timer, a queue trigger, ...). With
``DEVHOST_TOPOLOGY=flex`` the dev host runs one process per group, all sharing one Azurite;
``single`` (the default) runs everything in one process.

The grouping reads only each function's trigger type from ``app.get_functions()``, so a
function of a kind added later lands in a group of its own without a change here. A
:class:`Placement` tells one process which groups it serves and where the others are.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

HTTP_GROUP = "http"
DURABLE_GROUP = "durable"
FUNCTION_GROUP_PREFIX = "function:"
TOPOLOGY_SETTING = "DEVHOST_TOPOLOGY"
HOP_SETTING = "DEVHOST_DURABLE_HOP_MS"

_HTTP_TRIGGERS = frozenset({"httpTrigger"})
_DURABLE_TRIGGERS = frozenset({"orchestrationTrigger", "activityTrigger", "entityTrigger"})


class Topology(StrEnum):
    """``DEVHOST_TOPOLOGY``: one process, or one process per Flex Consumption group."""

    SINGLE = "single"
    FLEX = "flex"

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> Topology:
        """The topology a setting asks for; ``single`` when unset."""
        raw = settings.get(TOPOLOGY_SETTING, "").strip().lower() or cls.SINGLE.value
        try:
            return cls(raw)
        except ValueError:
            allowed = ", ".join(t.value for t in cls)
            raise ValueError(f"{TOPOLOGY_SETTING} must be one of {allowed}, got {raw!r}") from None


def hop_delay_s(settings: Mapping[str, str]) -> float:
    """``DEVHOST_DURABLE_HOP_MS`` in seconds (0 when unset)."""
    raw = settings.get(HOP_SETTING, "").strip()
    if not raw:
        return 0.0
    try:
        milliseconds = float(raw)
    except ValueError:
        raise ValueError(f"{HOP_SETTING} must be a number of milliseconds, got {raw!r}") from None
    if not math.isfinite(milliseconds) or milliseconds < 0:
        raise ValueError(f"{HOP_SETTING} must be zero or more, got {raw!r}")
    return milliseconds / 1000.0


PAYLOAD_SETTING = "DEVHOST_DURABLE_MAX_PAYLOAD_BYTES"
# The Durable Task Scheduler, the default backend, refuses a payload over 1 MB (infra/README.md,
# "Durable backend"); read as 1 MiB here. 0 lifts the limit, as the Azure Storage backend, which
# moves a large payload to a blob, has none that a chat reaches.
DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024


def max_payload_bytes(settings: Mapping[str, str]) -> int | None:
    """``DEVHOST_DURABLE_MAX_PAYLOAD_BYTES`` (default the scheduler's 1 MB; 0: no limit)."""
    raw = settings.get(PAYLOAD_SETTING, "").strip()
    if not raw:
        return DEFAULT_MAX_PAYLOAD_BYTES
    if not raw.isdigit():
        raise ValueError(f"{PAYLOAD_SETTING} must be a whole number of bytes, got {raw!r}")
    return int(raw) or None


def group_of(name: str, trigger_type: str) -> str:
    """The Flex Consumption scaling group of a function with this trigger type."""
    if trigger_type in _HTTP_TRIGGERS:
        return HTTP_GROUP
    if trigger_type in _DURABLE_TRIGGERS:
        return DURABLE_GROUP
    return f"{FUNCTION_GROUP_PREFIX}{name}"


def trigger_type(function: Any) -> str:
    """The trigger binding's type of one registered function (empty if it has none)."""
    bindings: list[dict[str, Any]] = json.loads(function.get_function_json())["bindings"]
    return next(
        (str(b["type"]) for b in bindings if str(b.get("type", "")).endswith("Trigger")), ""
    )


def function_groups(functions: Iterable[Any]) -> Mapping[str, str]:
    """Each registered function's name (lower case, as Azure compares them) -> its group."""
    groups = {
        str(f.get_function_name()).lower(): group_of(str(f.get_function_name()), trigger_type(f))
        for f in functions
    }
    return MappingProxyType(groups)


def groups_in_order(groups: Iterable[str]) -> list[str]:
    """The distinct groups, Durable first (others call it), then HTTP, then the rest by name."""
    rank = {DURABLE_GROUP: 0, HTTP_GROUP: 1}
    return sorted(set(groups), key=lambda g: (rank.get(g, 2), g))


@dataclass(frozen=True, slots=True)
class Placement:
    """Which groups one process serves, and where the other groups' processes listen.

    ``served`` is ``None`` for the single topology (every group). ``peers`` maps a group to
    its process's base URL; ``durable_rpc`` is the Durable process's keyless loopback RPC
    base URL, which the durable client binding of a process without the engine points at;
    ``rpc_port`` fixes the Durable process's RPC port (0: any free port); ``public_url`` is
    the app's one public address (the HTTP process's), used in the management URLs the
    Durable API hands out, as every group shares one host name in Azure.
    """

    served: frozenset[str] | None = None
    peers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    durable_rpc: str | None = None
    rpc_port: int = 0
    public_url: str | None = None

    def serves(self, group: str) -> bool:
        """Whether this process runs the functions of ``group``."""
        return self.served is None or group in self.served

    @property
    def has_engine(self) -> bool:
        """Whether the Durable engine lives in this process."""
        return self.serves(DURABLE_GROUP)

    def peer(self, group: str) -> str | None:
        """The base URL of the process that serves ``group``, when it is another one."""
        return None if self.serves(group) else self.peers.get(group)

    def __post_init__(self) -> None:
        if not self.has_engine and (self.durable_rpc is None or DURABLE_GROUP not in self.peers):
            raise ValueError("a process without the Durable engine needs its URLs (peer, RPC)")
