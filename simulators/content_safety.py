"""A simulated Azure AI Content Safety text-analysis endpoint, with per-message severities and
faults (not deployed).

It speaks the service's REST wire format, the one the ``azure-ai-contentsafety`` client uses:

    POST {endpoint}/contentsafety/text:analyze?api-version=2023-10-01   (GA; 2024-09-01 too)
    Ocp-Apim-Subscription-Key: <key>      or   Authorization: Bearer <token>
    {"text": "...", "categories": ["SelfHarm", "Violence"], "outputType": "FourSeverityLevels",
     "blocklistNames": [], "haltOnBlocklistHit": false}

    200 {"blocklistsMatch": [], "categoriesAnalysis": [{"category": "SelfHarm", "severity": 4}]}

Errors use the service's shape, ``{"error": {"code", "message"}}``: 400 for a bad body or an
unknown API version, 401 without a credential, 429 (with ``Retry-After``) and 500 as faults.

Severities come from rules: the first rule whose ``contains`` text is in the message (case
folded) gives its categories' severities; every other category is 0. With four levels a
severity is rounded down to 0, 2, 4 or 6, as the service reports. Faults (``hang``, ``500``,
``429``) apply to every request until cleared, or to the next ``count`` requests. ``latency_ms``
delays every answer. Tests drive it through :class:`ContentSafetySimulator`; ``make run`` and
people through ``POST /_sim/content-safety`` (``{"rules": [...], "fault": ..., "count": N,
"latency_ms": N}``) and ``GET /_sim/content-safety`` on the same port.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from aiohttp import web

API_VERSIONS = frozenset({"2023-10-01", "2024-09-01"})
CATEGORIES = ("Hate", "SelfHarm", "Sexual", "Violence")
OUTPUT_TYPES = ("FourSeverityLevels", "EightSeverityLevels")
MAX_TEXT_CHARS = 10_000
Fault = Literal["hang", "500", "429"]
FAULTS: tuple[Fault, ...] = ("hang", "500", "429")


@dataclass(frozen=True, slots=True)
class SeverityRule:
    """Messages containing ``contains`` (case folded) get these severities."""

    contains: str
    severities: Mapping[str, int]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SeverityRule:
        contains = data.get("contains")
        severities = data.get("severities")
        if not isinstance(contains, str) or not isinstance(severities, dict):
            raise TypeError("a rule is {'contains': text, 'severities': {category: n}}")
        for category, value in severities.items():
            if category not in CATEGORIES or not isinstance(value, int) or not 0 <= value <= 7:
                raise ValueError(f"bad severity {category}={value!r}")
        return cls(contains.casefold(), dict(severities))


@dataclass
class _State:
    rules: list[SeverityRule] = field(default_factory=list)
    fault: Fault | None = None
    fault_left: int | None = None  # None: until cleared
    latency_ms: float = 0.0
    requests: int = 0
    answered: int = 0
    hanging: int = 0
    last: dict[str, Any] | None = None
    last_credential: str | None = None


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = {"error": {"code": code, "message": message}}
    return web.json_response(body, status=status, headers=headers)


def severities_for(text: str, rules: list[SeverityRule], output_type: str) -> dict[str, int]:
    """What the simulator rates ``text``: the first matching rule's severities, else zeros."""
    folded = text.casefold()
    found: Mapping[str, int] = {}
    for rule in rules:
        if rule.contains in folded:
            found = rule.severities
            break
    result = {}
    for category in CATEGORIES:
        severity = found.get(category, 0)
        if output_type == "FourSeverityLevels":
            severity = min(6, severity - severity % 2)
        result[category] = severity
    return result


class ContentSafetySimulator:
    """The simulated endpoint on its own thread and event loop (a hung check never blocks the
    code under test). ``endpoint`` is what ``CONTENT_SAFETY_ENDPOINT`` should be."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, latency_ms: float = 0.0):
        self._state = _State(latency_ms=latency_ms)
        self._lock = threading.Lock()
        self._release = asyncio.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="content-safety-simulator", daemon=True
        )
        self._thread.start()
        self._runner: web.AppRunner | None = None
        self.host = host
        self.port = self._call(self._start(host, port))

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- control ----------------------------------------------------------------------------

    def rate(self, contains: str, **severities: int) -> None:
        """Messages containing ``contains`` get ``severities`` (e.g. ``SelfHarm=4``)."""
        rule = SeverityRule.from_json({"contains": contains, "severities": severities})
        with self._lock:
            self._state.rules.append(rule)

    def set_fault(self, fault: Fault | None, count: int | None = None) -> None:
        """Apply ``fault`` to every request (or the next ``count``); None clears it and
        releases hung requests."""
        with self._lock:
            self._state.fault, self._state.fault_left = fault, count
        if fault != "hang":
            self._loop.call_soon_threadsafe(self._release_hung)

    def set_latency_ms(self, latency_ms: float) -> None:
        with self._lock:
            self._state.latency_ms = latency_ms

    def clear(self) -> None:
        """Forget rules, faults and counters (the latency stays); release hung requests."""
        with self._lock:
            self._state = _State(latency_ms=self._state.latency_ms)
        self._loop.call_soon_threadsafe(self._release_hung)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            state = self._state
            return {
                "requests": state.requests,
                "answered": state.answered,
                "hanging": state.hanging,
                "fault": state.fault,
                "latency_ms": state.latency_ms,
                "rules": len(state.rules),
            }

    @property
    def requests(self) -> int:
        with self._lock:
            return self._state.requests

    @property
    def hanging(self) -> int:
        with self._lock:
            return self._state.hanging

    def last_request(self) -> dict[str, Any] | None:
        with self._lock:
            return self._state.last

    def last_credential(self) -> str | None:
        """``key`` or ``bearer``: how the last request authenticated."""
        with self._lock:
            return self._state.last_credential

    # --- server -----------------------------------------------------------------------------

    async def _start(self, host: str, port: int) -> int:
        app = web.Application()
        app.router.add_post("/contentsafety/text:analyze", self._analyze)
        app.router.add_post("/_sim/content-safety", self._control)
        app.router.add_get("/_sim/content-safety", self._show)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None  # noqa: S101 - started above
        sockets = getattr(server, "sockets", None) or []
        return int(sockets[0].getsockname()[1])

    def _release_hung(self) -> None:
        self._release.set()
        self._release = asyncio.Event()

    def _take_fault(self) -> Fault | None:
        state = self._state
        fault = state.fault
        if fault is not None and state.fault_left is not None:
            state.fault_left -= 1
            if state.fault_left <= 0:
                state.fault, state.fault_left = None, None
        return fault

    async def _analyze(self, request: web.Request) -> web.StreamResponse:
        admitted = await _admit(request)
        if isinstance(admitted, web.Response):
            return admitted
        body, credential = admitted
        with self._lock:
            state = self._state
            state.requests += 1
            state.last, state.last_credential = body, credential
            fault = self._take_fault()
            latency_s = state.latency_ms / 1000.0
            rules = list(state.rules)
        if fault == "hang":
            await self._hang()
            return _error(500, "InternalServerError", "released after a simulated hang")
        if latency_s > 0:
            await asyncio.sleep(latency_s)
        if fault == "500":
            return _error(500, "InternalServerError", "simulated failure")
        if fault == "429":
            return _error(429, "TooManyRequests", "simulated rate limit", {"Retry-After": "1"})
        output_type = body.get("outputType", "FourSeverityLevels")
        severities = severities_for(body["text"], rules, output_type)
        wanted = body.get("categories") or list(CATEGORIES)
        with self._lock:
            self._state.answered += 1
        return web.json_response(
            {
                "blocklistsMatch": [],
                "categoriesAnalysis": [
                    {"category": c, "severity": severities[c]} for c in CATEGORIES if c in wanted
                ],
            }
        )

    async def _hang(self) -> None:
        with self._lock:
            self._state.hanging += 1
        try:
            await self._release.wait()
        finally:
            with self._lock:
                self._state.hanging -= 1

    async def _control(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            rules = [SeverityRule.from_json(r) for r in body.get("rules", [])]
            fault = body.get("fault")
            latency = body.get("latency_ms")
        except (ValueError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        if fault is not None and fault not in FAULTS:
            return web.json_response({"error": f"fault must be one of {FAULTS}"}, status=400)
        with self._lock:
            self._state.rules.extend(rules)
            if "fault" in body:
                self._state.fault, self._state.fault_left = fault, body.get("count")
            if latency is not None:
                self._state.latency_ms = float(latency)
        if fault != "hang":
            self._release_hung()
        return web.json_response(self.stats())

    async def _show(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    # --- lifecycle --------------------------------------------------------------------------

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    def stop(self) -> None:
        if self._runner is not None:
            self._loop.call_soon_threadsafe(self._release_hung)
            self._call(self._runner.cleanup())
            self._runner = None
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            self._loop.close()

    def __enter__(self) -> ContentSafetySimulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


async def _admit(request: web.Request) -> web.Response | tuple[dict[str, Any], str]:
    """The request's body and credential kind, or the error the service would answer."""
    version = request.query.get("api-version")
    if version not in API_VERSIONS:
        return _error(404, "ApiVersionUnsupported", f"unsupported api-version {version!r}")
    if request.headers.get("Ocp-Apim-Subscription-Key"):
        credential = "key"
    elif request.headers.get("Authorization", "").startswith("Bearer "):
        credential = "bearer"
    else:
        return _error(401, "401", "Access denied due to missing subscription key or token.")
    try:
        body = json.loads(await request.read())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, "InvalidRequestBody", "The request body is not valid JSON.")
    problem = _invalid(body)
    if problem is not None:
        return _error(400, "InvalidRequestBody", problem)
    return body, credential


def _invalid(body: object) -> str | None:
    """Why the analyze body is not one the service accepts, or None."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object."
    text = body.get("text")
    if not isinstance(text, str) or not text:
        return "text is required."
    if len(text) > MAX_TEXT_CHARS:
        return f"text exceeds {MAX_TEXT_CHARS} characters."
    categories = body.get("categories", [])
    if not isinstance(categories, list) or any(c not in CATEGORIES for c in categories):
        return f"categories must be a subset of {list(CATEGORIES)}."
    if body.get("outputType", "FourSeverityLevels") not in OUTPUT_TYPES:
        return f"outputType must be one of {list(OUTPUT_TYPES)}."
    return None


def content_safety_settings(simulator: ContentSafetySimulator, key: str) -> dict[str, str]:
    """App settings that turn the classifier on against ``simulator``."""
    return {"CONTENT_SAFETY_ENDPOINT": simulator.endpoint, "CONTENT_SAFETY_KEY": key}


def main(argv: list[str] | None = None) -> int:
    """``python -m simulators.content_safety [--port N] [--latency-ms MS]``: serve until
    SIGINT/SIGTERM, after printing one JSON ready line with the endpoint."""
    import argparse  # noqa: PLC0415
    import signal  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m simulators.content_safety")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with ContentSafetySimulator(args.host, args.port, latency_ms=args.latency_ms) as simulator:
        print(
            json.dumps(
                {
                    "ready": True,
                    "endpoint": simulator.endpoint,
                    "control_url": f"{simulator.endpoint}/_sim/content-safety",
                }
            ),
            flush=True,
        )
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
