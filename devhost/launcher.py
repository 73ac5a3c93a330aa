"""``make run``: Azurite, the simulated providers when no keys are set, and the dev host.

Settings come from the environment first, then ``local.settings.json``. When no provider key
is set, every tier points at the loopback simulated providers and every answer is labelled
``simulated``. When no alert channel is set, escalations go to a local inbox (a loopback
webhook and SMTP server) that prints the title of each delivery, never its content.
SIGINT or SIGTERM stops everything this process started.

``DEVHOST_TOPOLOGY=flex`` runs the app as Flex Consumption does: one dev host process per
function group (HTTP, Durable, each timer), all sharing the one Azurite; see
``devhost.topology``. The default, ``single``, serves everything from this process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from devhost import azurite
from devhost.settings import apply_local_settings
from devhost.topology import Topology

REPO_ROOT = Path(__file__).resolve().parent.parent
SIM_KEY = "simulated-key-not-a-secret"
EXAMPLE_QUESTION = "What are the symptoms of ovarian cancer?"


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devhost.launcher", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 7071))
    parser.add_argument("--azurite-port", type=int, default=azurite.DEFAULT_TABLE_PORT)
    return parser.parse_args(argv)


def _uses_dev_storage() -> bool:
    value = os.environ.get("AzureWebJobsStorage", "UseDevelopmentStorage=true")  # noqa: SIM112 - Azure's name
    return "UseDevelopmentStorage=true" in value or "devstoreaccount1" in value


def _no_provider_keys() -> bool:
    """No tier has a key or managed identity set, by the setting names each tier reads."""
    from shared.platform.config import load_config  # noqa: PLC0415 - after local settings
    from shared.platform.flags import flag  # noqa: PLC0415

    tiers = load_config(os.environ.get("ASKEVE_CONFIG_DIR") or None).failover.tiers
    for tier in tiers:
        names = tier.settings
        if names.api_key and os.environ.get(names.api_key, "").strip():
            return False
        if names.managed_identity and flag(os.environ.get(names.managed_identity)):
            return False
    return True


def _inbox_line(channel: str, where: str, title: str) -> None:
    print(f"[local inbox] {channel} {where}: {title}", flush=True)


@contextlib.contextmanager
def _services(args: argparse.Namespace) -> Iterator[list[str]]:
    """Start what the gateway needs; yield notes for the ready line; stop it all after."""
    notes: list[str] = []
    with contextlib.ExitStack() as stack:
        if _uses_dev_storage():
            storage = azurite.start(args.azurite_port)
            stack.callback(storage.stop)
            os.environ.setdefault("AzureWebJobsStorage", storage.connection_string)
            owner = "started" if storage.process else "shared"
            notes.append(
                f"Azurite tables on 127.0.0.1:{storage.port}, queues on :{storage.queue_port} "
                f"({owner})"
            )
        if _no_provider_keys():
            from simulators.harness import (  # noqa: PLC0415 - dev only
                SimulatedProviders,
                app_settings,
            )
            from simulators.pacing import REALISTIC  # noqa: PLC0415 - dev only

            # Paced like the real models, so a person trying the gateway sees a real pace.
            sims = stack.enter_context(SimulatedProviders(args.host, pacing=REALISTIC))
            os.environ.update(app_settings(sims.urls, SIM_KEY))
            notes.append(f"simulated providers (fault control: {sims.control_url}/_sim/stats)")
            # The crisis triage on against the simulators, which answer it by marker
            # (simulators/triage.py: [triage:sh], [triage:malformed], [triage:slow], ...).
            os.environ.setdefault("CRISIS_TRIAGE_ENABLED", "true")
            notes.append("crisis triage on (simulators answer it by marker, e.g. [triage:sh])")
            if not os.environ.get("CONTENT_SAFETY_ENDPOINT"):
                from simulators.content_safety import (  # noqa: PLC0415 - dev only
                    ContentSafetySimulator,
                    content_safety_settings,
                )

                # About the real service's pace for a short message.
                checker = stack.enter_context(ContentSafetySimulator(args.host, latency_ms=100.0))
                os.environ.update(content_safety_settings(checker, SIM_KEY))
                notes.append(
                    f"simulated Content Safety (control: {checker.endpoint}/_sim/content-safety)"
                )
        if not os.environ.get("TEAMS_WEBHOOK_URL") and not os.environ.get("SMTP_HOST"):
            from simulators.receivers import (  # noqa: PLC0415 - dev only
                SmtpReceiver,
                WebhookReceiver,
                receiver_settings,
            )

            webhook = stack.enter_context(WebhookReceiver(args.host, listener=_inbox_line))
            smtp = stack.enter_context(SmtpReceiver(args.host, listener=_inbox_line))
            os.environ.update(receiver_settings(webhook, smtp))
            notes.append("local inbox for escalations and alerts")
        # The app's operator routes take the dev host's admin key (in a header), so both read
        # the same one; and crisis alerts carry acknowledgement links to this host.
        # (An empty value, as in the sample settings file, counts as unset.)
        for name, value in (
            ("DEVHOST_ADMIN_KEY", secrets.token_urlsafe(32)),
            ("ACK_LINK_KEY", secrets.token_urlsafe(32)),
            ("ACK_BASE_URL", f"http://{args.host}:{args.port}"),
        ):
            if not os.environ.get(name, "").strip():
                os.environ[name] = value
        os.environ.setdefault("ASKEVE_STATUS_POLL_INTERVAL_MS", "5")
        os.environ.setdefault("HEALTH_CHECK_SCHEDULE", "0 */1 * * * *")
        os.environ.setdefault("SECRET_ROTATION_SCHEDULE", "0 30 2 * * *")
        os.environ.setdefault("AUDIT_RETENTION_SCHEDULE", "0 45 2 * * *")
        os.environ.setdefault("TASK_HUB_PURGE_SCHEDULE", "0 */5 * * * *")
        yield notes


def _ready_lines(base_url: str, function_key: str, admin_key: str, notes: list[str]) -> str:
    body = '{"messages":[{"role":"user","content":"' + EXAMPLE_QUESTION + '"}]}'
    return (
        f"Ask Eve gateway ready on {base_url} with {'; '.join(notes)}\n"
        f"  function key: {function_key}   admin key: {admin_key}"
        " (operator routes: in the x-functions-key header)\n"
        f"  try: curl -s {base_url}/api/chat -H 'x-functions-key: {function_key}'"
        f" -H 'content-type: application/json' -d '{body}'"
    )


def _process_line(label: str, line: str) -> None:
    if "devhost ready" not in line:  # each process's own ready line carries the keys
        print(f"[{label}] {line}", flush=True)


async def _serve_flex(args: argparse.Namespace, notes: list[str]) -> None:
    from devhost.processes import start_host  # noqa: PLC0415 - imports the app after settings

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    host = await asyncio.to_thread(
        start_host,
        Topology.FLEX,
        env=dict(os.environ),
        host=args.host,
        port=args.port,
        output=_process_line,
    )
    try:
        groups = ", ".join(f"{label} (pid {p.process.pid})" for label, p in host.processes.items())
        print(f"Flex topology: {groups}", flush=True)
        print(_ready_lines(host.base_url, host.function_key, host.admin_key, notes), flush=True)
        await stop.wait()
    finally:
        await asyncio.to_thread(host.stop)


async def _serve(args: argparse.Namespace, notes: list[str]) -> None:
    from devhost.host import DevHost  # noqa: PLC0415 - imports the app after settings are set

    # The app installs its SIGTERM drain when it is imported, as in the worker; it runs once
    # the host has stopped serving, while Azurite is still up.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    host = DevHost("function_app:app", args.host, args.port)
    app_handler = signal.getsignal(signal.SIGTERM)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await host.start()
    try:
        print(_ready_lines(host.base_url, host.function_key, host.admin_key, notes), flush=True)
        await stop.wait()
    finally:
        from shared.bootstrap import get_runtime  # noqa: PLC0415
        from shared.providers.registry import close_providers  # noqa: PLC0415

        runtime = get_runtime()
        await close_providers(runtime.providers)
        if runtime.gateway.second_opinion is not None:
            await runtime.gateway.second_opinion.close()
        await host.stop()
    if callable(app_handler):
        app_handler(signal.SIGTERM, None)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    os.chdir(REPO_ROOT)
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    apply_local_settings(REPO_ROOT, os.environ)
    # Until the event loop installs its handlers, SIGTERM stops start-up as Ctrl-C would.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        topology = Topology.from_settings(os.environ)
        with _services(args) as notes:
            serve = _serve_flex if topology is Topology.FLEX else _serve
            asyncio.run(serve(args, notes))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
