"""Dev hosts as OS processes, in either topology (``devhost.topology``).

``single``: one ``python -m devhost`` serving every function. ``flex``: one process per
Flex Consumption group (``durable``, ``http``, ``function:<name>``), all with the same keys
and settings (so one Azurite), each told where the others listen. Only the HTTP process
listens on the public port; it forwards the Durable HTTP API to the Durable process and an
operator's ``POST /admin/functions/{name}`` to the process that owns the function::

    with start_host(Topology.FLEX, port=7071, env=os.environ) as host:
        host.base_url, host.pid("durable")
        host.signal("durable", signal.SIGTERM)  # what an instance scaling in receives
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from devhost import azurite, loader
from devhost.auth import ADMIN_KEY_SETTING, FUNCTION_KEY_SETTING, SYSTEM_KEY_SETTING
from devhost.topology import (
    DURABLE_GROUP,
    HTTP_GROUP,
    TOPOLOGY_SETTING,
    Topology,
    function_groups,
    groups_in_order,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
SINGLE = "single"  # the label of the one process of the single topology
_READY = "devhost ready"
_START_TIMEOUT_S = 120.0  # several processes import the app at once on a busy machine
_STOP_TIMEOUT_S = 15.0
_START_ATTEMPTS = 3
_CANNOT_LISTEN = 1  # python -m devhost's exit code when its port is taken

_WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104  # nosec B104

Output = Callable[[str, str], None]  # (process label, line)


@dataclass
class HostProcess:
    """One dev host process: the groups it serves (``single`` for all) and where it listens."""

    label: str
    process: subprocess.Popen[str]
    port: int
    ready: threading.Event = field(default_factory=threading.Event)
    listening: bool = False

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:port``."""
        return f"http://127.0.0.1:{self.port}"


class HostProcesses:
    """Running dev host processes of one app; stop them with :meth:`stop` (or ``with``)."""

    def __init__(self, topology: Topology, public_host: str, keys: Mapping[str, str]) -> None:
        self.topology = topology
        self.processes: dict[str, HostProcess] = {}
        self._public_host = public_host
        self._keys = dict(keys)

    @property
    def function_key(self) -> str:
        """The function key every process accepts."""
        return self._keys[FUNCTION_KEY_SETTING]

    @property
    def admin_key(self) -> str:
        """The admin key every process accepts."""
        return self._keys[ADMIN_KEY_SETTING]

    @property
    def system_key(self) -> str:
        """The Durable API's system key every process accepts."""
        return self._keys[SYSTEM_KEY_SETTING]

    @property
    def public(self) -> HostProcess:
        """The process on the public port: the HTTP group's (or the single process)."""
        return self.processes[HTTP_GROUP if self.topology is Topology.FLEX else SINGLE]

    @property
    def base_url(self) -> str:
        """The app's public address."""
        return f"http://{_public_name(self._public_host)}:{self.public.port}"

    def of(self, group: str) -> HostProcess:
        """The process that serves ``group``."""
        return self.processes.get(group) or self.processes[SINGLE]

    def pid(self, group: str) -> int:
        """The OS process id serving ``group``."""
        return self.of(group).process.pid

    def signal(self, group: str, signum: int = signal.SIGTERM) -> None:
        """Send ``signum`` to the process serving ``group``."""
        self.of(group).process.send_signal(signum)

    def alive(self) -> dict[str, bool]:
        """Whether each process is still running."""
        return {label: p.process.poll() is None for label, p in self.processes.items()}

    def stop(self, timeout_s: float = _STOP_TIMEOUT_S) -> None:
        """SIGTERM every process (HTTP first, Durable last), wait, then kill what is left."""
        order = sorted(self.processes.values(), key=lambda p: p.label == DURABLE_GROUP)
        for host in order:
            if host.process.poll() is None:
                host.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for host in order:
            try:
                host.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                host.process.kill()
                host.process.wait(_STOP_TIMEOUT_S)

    def __enter__(self) -> HostProcesses:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@dataclass(frozen=True)
class _Launch:
    """How every process of one host is started."""

    command: tuple[str, ...]
    stderr: int | None
    output: Output | None


def plan_groups(app_spec: str) -> list[str]:
    """The app's Flex Consumption groups, Durable first (imports the app in this process)."""
    functions = loader.registered_functions(loader.load_app(app_spec))
    return groups_in_order(function_groups(functions).values())


def start_host(
    topology: Topology,
    *,
    env: Mapping[str, str],
    app_spec: str = loader.DEFAULT_APP_SPEC,
    host: str = "127.0.0.1",
    port: int = 0,
    output: Output | None = None,
    groups: list[str] | None = None,
    command: Sequence[str] | None = None,
    quiet: bool = False,
) -> HostProcesses:
    """Start the dev host as OS processes in ``topology`` and wait until each one listens.

    ``env`` is every process's environment (settings, ``PYTHONPATH``); the keys are taken
    from it or generated once, so every process has the same. ``output`` receives each line
    a process prints (default: dropped); ``quiet`` drops their logs (stderr) too. ``groups``
    overrides the groups read from the app. ``command`` replaces ``python -m devhost`` as
    what each process runs (it must take the dev host's arguments after it).
    """
    keys = {
        name: env.get(name, "") or secrets.token_urlsafe(32)
        for name in (FUNCTION_KEY_SETTING, ADMIN_KEY_SETTING, SYSTEM_KEY_SETTING)
    }
    child_env = {**env, **keys, TOPOLOGY_SETTING: topology.value, "PYTHONUNBUFFERED": "1"}
    launch = _Launch(
        tuple(command or (sys.executable, "-m", "devhost")),
        subprocess.DEVNULL if quiet else None,
        output,
    )
    app = [f"--app={app_spec}"]
    # Ports are chosen free, then bound by the children: another process may take one in
    # between (hosts started side by side do). A child that cannot listen exits with 1, and the
    # whole set starts again on fresh ports.
    for attempt in range(1, _START_ATTEMPTS + 1):
        try:
            return _start_once(
                topology,
                keys=keys,
                launch=launch,
                app=app,
                host=host,
                port=port,
                child_env=child_env,
                app_spec=app_spec,
                groups=groups,
            )
        except _CannotListenError:
            if attempt == _START_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


class _CannotListenError(RuntimeError):
    """A dev host process exited during start-up because its port was taken."""


def _start_once(
    topology: Topology,
    *,
    keys: Mapping[str, str],
    launch: _Launch,
    app: list[str],
    host: str,
    port: int,
    child_env: Mapping[str, str],
    app_spec: str,
    groups: list[str] | None,
) -> HostProcesses:
    running = HostProcesses(topology, host, keys)
    public_port = port or azurite.free_port()
    try:
        if topology is Topology.SINGLE:
            _spawn(
                running,
                label=SINGLE,
                args=app,
                host=host,
                port=public_port,
                env=child_env,
                launch=launch,
            )
        else:
            _start_flex(
                running,
                groups=groups or plan_groups(app_spec),
                app=app,
                host=host,
                public_port=public_port,
                env=child_env,
                launch=launch,
            )
        _wait_ready(running)
    except BaseException:
        running.stop()
        raise
    return running


def _start_flex(
    running: HostProcesses,
    *,
    groups: list[str],
    app: list[str],
    host: str,
    public_port: int,
    env: Mapping[str, str],
    launch: _Launch,
) -> None:
    if HTTP_GROUP not in groups:
        groups = [*groups, HTTP_GROUP]  # the public port and the admin route live there
    ports = {g: public_port if g == HTTP_GROUP else azurite.free_port() for g in groups}
    peers = {g: f"http://127.0.0.1:{p}" for g, p in ports.items()}
    public_url = f"http://{_public_name(host)}:{public_port}"
    rpc_port = azurite.free_port()
    common = [f"--peer={g}={url}" for g, url in peers.items()]
    common += [f"--durable-rpc=http://127.0.0.1:{rpc_port}", f"--public-url={public_url}"]
    if DURABLE_GROUP not in groups:
        raise ValueError("the app registers no Durable functions; use the single topology")
    for group in groups:
        args = [*app, f"--group={group}", *common]
        if group == DURABLE_GROUP:
            args.append(f"--rpc-port={rpc_port}")
        bind = host if group == HTTP_GROUP else "127.0.0.1"
        _spawn(
            running, label=group, args=args, host=bind, port=ports[group], env=env, launch=launch
        )


def _spawn(
    running: HostProcesses,
    *,
    label: str,
    args: list[str],
    host: str,
    port: int,
    env: Mapping[str, str],
    launch: _Launch,
) -> None:
    command = [*launch.command, "--host", host, "--port", str(port), *args]
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        command,
        cwd=REPO_ROOT,
        env=_with_repo_on_path(env),
        stdout=subprocess.PIPE,
        stderr=launch.stderr,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    started = HostProcess(label, process, port)
    running.processes[label] = started
    threading.Thread(
        target=_read_lines, args=(started, launch.output), name=f"devhost-{label}", daemon=True
    ).start()


def _read_lines(host: HostProcess, output: Output | None) -> None:
    stream = host.process.stdout
    assert stream is not None  # noqa: S101 - piped above
    with stream:
        for line in stream:
            if _READY in line:
                host.listening = True
                host.ready.set()
            if output is not None:
                output(host.label, line.rstrip("\n"))
    host.ready.set()  # ended: _wait_ready sees it exited


def _wait_ready(running: HostProcesses) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    for host in running.processes.values():
        if not host.ready.wait(max(0.0, deadline - time.monotonic())):
            raise TimeoutError(f"dev host process {host.label} did not start in time")
        if not host.listening:
            code = host.process.wait(_STOP_TIMEOUT_S)
            failure = _CannotListenError if code == _CANNOT_LISTEN else RuntimeError
            raise failure(f"dev host process {host.label} exited during start-up ({code})")


def _public_name(host: str) -> str:
    # A wildcard bind address is reached on loopback; nothing binds to it here.
    return "127.0.0.1" if host in _WILDCARD_HOSTS else host


def _with_repo_on_path(env: Mapping[str, str]) -> dict[str, str]:
    # The process environment's module search path, not an app setting.
    child = dict(env)
    child["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), child.get("PYTHONPATH")]))
    return child
