"""Durable orchestrations and their activities.

Importing the package installs the Durable SDK fast path (see ``orchestrators.sdk_fastpath``),
so every orchestrator, and the app that registers them, replays with it.
"""

from orchestrators import sdk_fastpath

sdk_fastpath.install()
