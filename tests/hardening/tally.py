"""Counts of what the fuzzers generated, for the end-of-run summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class FuzzTally:
    """Requests sent by the API fuzzer (by status) and inputs fed to the parser fuzzer."""

    api_statuses: Counter[int] = field(default_factory=Counter)
    parser_inputs: int = 0

    @property
    def api_requests(self) -> int:
        return sum(self.api_statuses.values())

    def summary(self) -> str | None:
        if not self.api_requests and not self.parser_inputs:
            return None
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.api_statuses.items()))
        server_errors = sum(n for s, n in self.api_statuses.items() if s >= 500)
        return (
            f"fuzzing: {self.api_requests} generated HTTP requests ({statuses or 'none'}; "
            f"{server_errors} 5xx), {self.parser_inputs} generated parser inputs"
        )


TALLY = FuzzTally()
