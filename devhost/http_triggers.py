"""HTTP triggers: route a request to its function, check its key, call it, convert the reply.

Requests and responses cross as real ``azure.functions.HttpRequest`` / ``HttpResponse``
objects, converted as the Python worker converts them. An exception in the function gives a
bare 500, as in Azure, and is logged with its traceback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from aiohttp import web
from multidict import CIMultiDict

from devhost import invocation, responses
from devhost.auth import HostKeys, presented_key
from devhost.index import HttpFunction
from devhost.routing import split_path

logger = logging.getLogger(__name__)

# aiohttp computes these from the body it sends; a stale copy from the app would corrupt it.
_HOP_HEADERS = frozenset({"content-length", "transfer-encoding"})


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """The function that serves a request, with its route parameters."""

    function: HttpFunction
    route_params: dict[str, str]


@dataclass(frozen=True, slots=True)
class WrongMethod:
    """The path is served, but not for this method."""

    allowed: frozenset[str]


def find_route(
    functions: Sequence[HttpFunction], method: str, path: str
) -> RouteMatch | WrongMethod | None:
    """Pick the function for ``method`` and ``path`` (below the route prefix).

    ``functions`` are in precedence order; disabled functions do not exist, as in Azure.
    """
    segments = split_path(path)
    allowed: set[str] = set()
    for function in functions:
        if function.info.disabled:
            continue
        params = function.route.match(segments)
        if params is None:
            continue
        if function.methods is None or method.upper() in function.methods:
            return RouteMatch(function, params)
        allowed.update(function.methods)
    return WrongMethod(frozenset(allowed)) if allowed else None


class HttpTriggers:
    """Serves the app's HTTP triggers below ``/<route prefix>/``."""

    def __init__(
        self,
        functions: Sequence[HttpFunction],
        keys: HostKeys,
        executor: Executor,
        client_binding: str,
    ) -> None:
        self._functions = tuple(functions)
        self._keys = keys
        self._executor = executor
        self._client_binding = client_binding

    async def handle(self, request: web.Request, path: str) -> web.StreamResponse:
        """Serve ``request``; ``path`` is the part below the route prefix."""
        found = find_route(self._functions, request.method, path)
        if found is None:
            return responses.not_found()
        if isinstance(found, WrongMethod):
            return responses.method_not_allowed(found.allowed)
        function = found.function
        if not self._keys.allows(
            function.auth_level, presented_key(request.headers, request.query)
        ):
            return responses.unauthorized()
        http_request = await to_http_request(request, found.route_params)
        client = self._client_binding if function.info.client_args else None
        kwargs = invocation.arguments(function.info, http_request, client)
        started = time.perf_counter()
        try:
            result = await invocation.call(function.info.handler, kwargs, self._executor)
            response = to_web_response(result)
        except Exception:
            logger.exception("function %s raised an exception", function.info.name)
            response = web.Response(status=500)
        elapsed_ms = (time.perf_counter() - started) * 1000
        # The function name, not the path: paths may carry ids.
        logger.info(
            "%s %s -> %d in %.1f ms",
            request.method,
            function.info.name,
            response.status,
            elapsed_ms,
        )
        return response


async def to_http_request(request: web.Request, route_params: dict[str, str]) -> func.HttpRequest:
    """The ``azure.functions.HttpRequest`` the worker would build for ``request``."""
    body = await request.read()
    return func.HttpRequest(
        method=request.method,
        url=str(request.url),
        headers=_joined(request.headers.keys(), request.headers.getall, ", "),
        params=_joined(request.query.keys(), request.query.getall, ","),
        route_params=route_params,
        body=body,
    )


def to_web_response(result: Any) -> web.Response:
    """Convert what the function returned, as the worker's HTTP output converter does."""
    if result is None:
        return web.Response(status=204)
    if isinstance(result, str):
        return web.Response(status=200, text=result, content_type="text/plain", charset="utf-8")
    if not isinstance(result, func.HttpResponse):
        raise TypeError(f"an HTTP function returned {type(result).__name__}, not HttpResponse")
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in result.headers.items():
        if name.lower() not in _HOP_HEADERS:
            headers.add(name, value)
    if "content-type" not in headers:
        mimetype = result.mimetype
        is_text = mimetype.startswith("text/")
        headers["Content-Type"] = f"{mimetype}; charset={result.charset}" if is_text else mimetype
    return web.Response(status=result.status_code, body=result.get_body(), headers=headers)


def _joined(names: Any, values_of: Callable[[str], list[str]], separator: str) -> dict[str, str]:
    return {name: separator.join(values_of(name)) for name in dict.fromkeys(names)}
