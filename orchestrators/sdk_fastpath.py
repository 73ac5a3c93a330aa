"""A version-guarded speed-up of two costs the Durable Functions SDK pays on every replay.

Why it exists. Every orchestrator episode replays the whole history through the SDK, and a
profile of our chat orchestration showed most of that replay time in two places: every history
event's ``Timestamp`` is parsed with ``dateutil.parser.parse`` (a general-purpose parser, tens
of microseconds a call), and ``TaskOrchestrationExecutor.__init__`` builds a new
``namedtuple`` class on every replay. Removing both cuts replay CPU by half to two thirds
(benchmark B9).

What it changes (module attributes of the SDK, never its files):

- ``dt_parse`` in ``azure.durable_functions.models.history.HistoryEvent`` (history events) and
  in ``...models.DurableOrchestrationStatus`` (what the durable client parses on every status
  poll): text in the shape the Durable extension writes, ``YYYY-MM-DDTHH:MM:SS[.fraction]``
  followed by ``Z``, ``+00:00``, ``-00:00`` or nothing, is read with ``datetime.fromisoformat``.
  Any other text, any other argument, and anything ``fromisoformat`` rejects (``ValueError``,
  ``TypeError``) goes to the original dateutil parser, so every text the SDK accepted is still
  accepted and every text it rejected still raises the same error.
- ``namedtuple`` in ``...models.TaskOrchestrationExecutor``: a wrapper that builds each
  ``(typename, field names)`` class once per process; the executor's only call builds the same
  constant class every time.

Why it is safe:

- It applies only to the exact SDK and dateutil versions it was verified against
  (:data:`VERIFIED`), and only if each attribute it replaces is still the original object
  (dateutil's ``parse``, ``collections.namedtuple``). It is all or nothing: if one check fails,
  nothing is changed and one INFO line says why.
- For the shapes it takes, the fast parser gives the same wall-clock fields, the same
  microseconds (digits beyond six are truncated, as dateutil does), the same instant, a zero UTC
  offset for ``Z``/``±00:00`` and no zone for zoneless text. The one difference is the tzinfo
  object: ``datetime.timezone.utc`` where dateutil attaches ``tzlocal()`` (when the process's
  zone is named UTC) or ``tzutc()``, so its ``repr`` differs and ``dst()`` is None rather than
  zero; neither the SDK nor our code reads those. What they do with these values (compare,
  subtract, add a ``timedelta``, ``strftime`` into a timer's ``fireAt``, ``isoformat``) gives
  identical results: the tests replay our orchestrations through the SDK's handler both ways
  and require byte-identical state JSON.
- dateutil attaches the *local* zone to UTC text when the local zone is named "UTC". If such a
  zone had a non-zero offset (an unusual ``TZ`` such as ``UTC-3``), dateutil's instants would
  differ from ours, so :func:`install` refuses in that case.

How to turn it off: set the app setting ``DURABLE_SDK_FASTPATH`` to ``0`` (or ``false``, ``no``,
``off``) and restart; the SDK then runs exactly as shipped. :func:`uninstall` restores the
originals in a running process (for tests and the benchmark's side-by-side comparison).
"""

from __future__ import annotations

import collections
import importlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from types import ModuleType
from typing import Any

log = logging.getLogger(__name__)

SETTING = "DURABLE_SDK_FASTPATH"
_OFF = frozenset({"0", "false", "no", "off"})

# Distribution versions whose code these patches were read against and tested with.
VERIFIED: Mapping[str, tuple[str, ...]] = {
    "azure-functions-durable": ("1.7.0",),
    "python-dateutil": ("2.9.0.post0", "4.0.0"),
}

_HISTORY_EVENT = "azure.durable_functions.models.history.HistoryEvent"
_STATUS = "azure.durable_functions.models.DurableOrchestrationStatus"
_EXECUTOR = "azure.durable_functions.models.TaskOrchestrationExecutor"

# The Durable extension's shape, in ASCII digits (``\d`` would admit other scripts' digits).
# Only zero offsets: dateutil and the standard library name other fixed offsets differently
# (``tzoffset(None, 3600)`` against ``UTC+01:00``), so those go to dateutil.
_DURABLE_SHAPE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-]00:00)?"
)

_MISSING = object()


@dataclass(frozen=True, slots=True)
class LocalZone:
    """What dateutil consults when it decides which zone to attach to UTC text."""

    names: tuple[str, ...]
    offset_s: int
    dst_offset_s: int

    @classmethod
    def current(cls) -> LocalZone:
        return cls(tuple(time.tzname), time.timezone, time.altzone)

    def keeps_utc_at_zero(self) -> bool:
        """True when dateutil's zone for UTC text is always a zero offset in this process.

        dateutil attaches ``tzlocal()`` when "UTC" is one of the local zone's names, and then
        the local offsets decide the instant.
        """
        return "UTC" not in self.names or (self.offset_s == 0 and self.dst_offset_s == 0)


@dataclass(frozen=True, slots=True)
class _Patch:
    module: ModuleType
    name: str
    original: Any
    replacement: Any


_lock = threading.Lock()
_applied: tuple[_Patch, ...] = ()


def fast_parser(original: Callable[..., datetime]) -> Callable[..., datetime]:
    """``original`` (dateutil's ``parse``) with a fast path for the Durable extension's text."""

    def parse(timestr: Any, *args: Any, **kwargs: Any) -> datetime:
        if (
            not args
            and not kwargs
            and isinstance(timestr, str)
            and _DURABLE_SHAPE.fullmatch(timestr)
        ):
            moment = _from_isoformat(timestr)
            if moment is not None:
                return moment
        result: datetime = original(timestr, *args, **kwargs)
        return result

    parse.__wrapped__ = original  # type: ignore[attr-defined]
    return parse


def _from_isoformat(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except (ValueError, TypeError):
        return None
    # The shape admits only zero offsets; anything else is left to dateutil.
    return moment if moment.tzinfo is None or moment.tzinfo is UTC else None


def shared_namedtuple(original: Callable[..., type]) -> Callable[..., type]:
    """``original`` (``collections.namedtuple``), building each plain class once."""
    built: dict[tuple[str, tuple[str, ...]], type] = {}

    def namedtuple(typename: Any, field_names: Any, **kwargs: Any) -> type:
        if kwargs or not isinstance(typename, str) or not isinstance(field_names, tuple):
            return original(typename, field_names, **kwargs)
        key = (typename, field_names)
        cls = built.get(key)
        if cls is None:
            # A race builds two equal classes and keeps one; either is correct.
            cls = built.setdefault(key, original(typename, field_names))
        return cls

    namedtuple.__wrapped__ = original  # type: ignore[attr-defined]
    return namedtuple


def install(
    env: Mapping[str, str] | None = None,
    *,
    version_of: Callable[[str], str] = metadata.version,
    zone: LocalZone | None = None,
) -> bool:
    """Apply both changes once; True if this call applied them.

    ``env`` defaults to the process environment (app settings); ``version_of`` and ``zone`` are
    seams for tests. When a guard fails, logs one INFO line and changes nothing.
    """
    global _applied  # noqa: PLW0603 - the process-wide state this module exists to manage
    with _lock:
        if _applied:
            return False
        reason = _refusal(os.environ if env is None else env, version_of, zone)
        patches: tuple[_Patch, ...] = ()
        if reason is None:
            patches, reason = _plan()
        if reason is not None:
            log.info("Durable SDK fast path not installed: %s", reason)
            return False
        for patch in patches:
            setattr(patch.module, patch.name, patch.replacement)
        _applied = patches
        log.debug("Durable SDK fast path installed")
        return True


def uninstall() -> bool:
    """Restore the SDK's originals; True if the fast path was installed."""
    global _applied  # noqa: PLW0603 - see install
    with _lock:
        if not _applied:
            return False
        for patch in _applied:
            if getattr(patch.module, patch.name, _MISSING) is patch.replacement:
                setattr(patch.module, patch.name, patch.original)
            else:
                log.warning(
                    "Durable SDK fast path: %s.%s was replaced by someone else; left as it is",
                    patch.module.__name__,
                    patch.name,
                )
        _applied = ()
        return True


def installed() -> bool:
    """Whether the fast path is in place in this process."""
    return bool(_applied)


def _refusal(
    env: Mapping[str, str], version_of: Callable[[str], str], zone: LocalZone | None
) -> str | None:
    """Why the fast path must not be applied, or None."""
    if env.get(SETTING, "").strip().lower() in _OFF:
        return f"turned off by the app setting {SETTING}"
    for distribution, verified in VERIFIED.items():
        try:
            version = version_of(distribution)
        except metadata.PackageNotFoundError:
            return f"{distribution} is not installed as a distribution"
        if version not in verified:
            return f"{distribution} {version} is not a verified version ({', '.join(verified)})"
    if not (zone or LocalZone.current()).keeps_utc_at_zero():
        return "the local time zone is named UTC but has a non-zero offset"
    return None


def _plan() -> tuple[tuple[_Patch, ...], str | None]:
    """The three replacements, or why they cannot be made safely."""
    from dateutil.parser import parse  # noqa: PLC0415 - the SDK has already imported it

    expected: tuple[tuple[str, str, Any, Callable[[Any], Any]], ...] = (
        (_HISTORY_EVENT, "dt_parse", parse, fast_parser),
        (_STATUS, "dt_parse", parse, fast_parser),
        (_EXECUTOR, "namedtuple", collections.namedtuple, shared_namedtuple),
    )
    patches = []
    for module_name, name, original, wrap in expected:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            return (), f"{module_name} cannot be imported ({type(exc).__name__})"
        if getattr(module, name, _MISSING) is not original:
            return (), f"{module_name}.{name} is not the expected original"
        patches.append(_Patch(module, name, original, wrap(original)))
    return tuple(patches), None
