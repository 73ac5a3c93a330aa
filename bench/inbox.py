"""The loopback alert inbox as its own process: a Teams-style webhook and an SMTP server.

    python -m bench.inbox

Runs :mod:`simulators.receivers` away from the load generator, and serves what they received
(paths, titles and recipients only; never bodies) at ``GET /_inbox/stats``; ``POST
/_inbox/reset`` forgets it. Prints one JSON ready line with the app settings that route every
audience to it.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
from typing import Any

from aiohttp import web

from simulators.receivers import SmtpReceiver, WebhookReceiver, receiver_settings


def _card_title(body: Any) -> str:
    try:
        return str(body["attachments"][0]["content"]["body"][0]["text"])
    except (KeyError, IndexError, TypeError):
        return ""


def snapshot(webhook: WebhookReceiver, smtp: SmtpReceiver) -> dict[str, Any]:
    """What arrived, as epoch seconds, route or recipient, and title."""
    offset = time.time() - time.monotonic()
    return {
        "webhook": [
            {"at": r.at + offset, "path": r.path, "title": _card_title(r.body)}
            for r in webhook.received
        ],
        "webhook_failed": webhook.failed,
        "email": [
            {"at": at + offset, "to": str(m["To"]), "subject": str(m["Subject"])}
            for at, m in zip(smtp.received_at, smtp.messages, strict=True)
        ],
    }


async def serve() -> None:
    webhook = WebhookReceiver()
    smtp = SmtpReceiver()

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(snapshot(webhook, smtp))

    async def reset(_: web.Request) -> web.Response:
        webhook.clear()
        smtp.clear()
        return web.json_response({"reset": True})

    app = web.Application()
    app.router.add_get("/_inbox/stats", stats)
    app.router.add_post("/_inbox/reset", reset)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.create_server(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    ready = {
        "ready": True,
        "control_url": f"http://127.0.0.1:{sock.getsockname()[1]}",
        "settings": receiver_settings(webhook, smtp),
    }
    print(json.dumps(ready), flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        webhook.stop()
        smtp.stop()


def main() -> None:
    asyncio.run(serve())


if __name__ == "__main__":
    main()
