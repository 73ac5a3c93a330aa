"""Loopback simulations of the OpenAI, Azure OpenAI and Anthropic APIs, with fault injection.

For tests and local runs only; never deployed. The real SDKs drive them through their base URLs::

    with SimulatedProviders() as sims:
        sims.set_fault("anthropic", Fault(FaultKind.STATUS, status=529, count=1))
        ...  # OPENAI_BASE_URL=sims.openai_base_url, AZURE_OPENAI_ENDPOINT=sims.azure_endpoint,
        ...  # ANTHROPIC_BASE_URL=sims.anthropic_base_url
        assert sims.count("anthropic") == 1

Or as a process: ``python -m simulators`` (see ``simulators/__main__.py``), controlled over HTTP
with ``POST /_sim/fault``, ``DELETE /_sim/fault/{provider}``, ``POST /_sim/reset`` and
``GET /_sim/stats`` on its control port, and ``POST /_sim/pacing`` to set how fast answers
are written (``SimulatedProviders(pacing=...)``; see ``simulators/pacing.py``).
"""

from simulators.faults import PROVIDERS, Fault, FaultKind, ProviderName
from simulators.harness import SimulatedProviders
from simulators.pacing import REALISTIC, Pacing
from simulators.state import RecordedRequest

__all__ = [
    "PROVIDERS",
    "REALISTIC",
    "Fault",
    "FaultKind",
    "Pacing",
    "ProviderName",
    "RecordedRequest",
    "SimulatedProviders",
]
