"""Calling user functions the way the Python worker does.

Coroutine functions run on the host's event loop; plain functions run in the host's thread
pool, with the caller's context variables, so a slow synchronous function never blocks the
loop. A parameter named ``context`` receives an ``azure.functions.Context``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from typing import Any

import azure.functions as func

from devhost.index import CONTEXT_PARAMETER, FunctionInfo


class _TraceContext:
    """No distributed trace: the dev host has no upstream trace to continue."""

    def __init__(self) -> None:
        self._attributes: dict[str, str] = {}

    @property
    def trace_state(self) -> str:
        return ""

    @property
    def trace_parent(self) -> str:
        return ""

    @property
    def attributes(self) -> dict[str, str]:
        return self._attributes


class _RetryContext:
    """First attempt: the dev host does not retry triggers."""

    @property
    def retry_count(self) -> int:
        return 0

    @property
    def max_retry_count(self) -> int:
        return 0

    @property
    def exception(self) -> None:
        return None


class InvocationContext(func.Context):
    """The per-invocation context the worker passes to a ``context`` parameter."""

    _thread_local = threading.local

    def __init__(self, function_name: str, invocation_id: str) -> None:
        self._function_name = function_name
        self._invocation_id = invocation_id

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> type[threading.local]:
        return self._thread_local

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return ""

    @property
    def trace_context(self) -> Any:
        return _TraceContext()

    @property
    def retry_context(self) -> Any:
        return _RetryContext()


def arguments(info: FunctionInfo, trigger_value: Any, client_binding: str | None) -> dict[str, Any]:
    """Keyword arguments for one invocation: the trigger, client bindings and context."""
    kwargs: dict[str, Any] = {info.trigger_arg: trigger_value}
    for name in info.client_args:
        if client_binding is None:
            raise RuntimeError(f"function {info.name} needs a durable client binding")
        kwargs[name] = client_binding
    if info.wants_context:
        kwargs[CONTEXT_PARAMETER] = InvocationContext(info.name, str(uuid.uuid4()))
    return kwargs


async def call(handler: Callable[..., Any], kwargs: Mapping[str, Any], executor: Executor) -> Any:
    """Run ``handler(**kwargs)`` on the loop (coroutine functions) or in ``executor``."""
    if inspect.iscoroutinefunction(handler):
        return await handler(**kwargs)
    loop = asyncio.get_running_loop()
    bound = functools.partial(contextvars.copy_context().run, handler, **kwargs)
    result = await loop.run_in_executor(executor, bound)
    if inspect.isawaitable(result):
        # A callable object with an async __call__ is not a coroutine function.
        return await result
    return result
