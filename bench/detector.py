"""B16: what the crisis pattern detector costs per message (CPU, in this process).

Every held-out message (rounds A-J, crisis and ordinary) and every example of
``tests/safety/crisis_cases.py`` is detected once to warm up, then ``ROUNDS`` times, each
message timed on its own with ``time.perf_counter_ns``; the figure is the distribution of those
per-message times. The detector is compiled before timing (it is compiled once per process in
the app). Pure CPU: no hosts, no I/O, so it can run on its own:

    python -m bench.detector

The target is the one the red-flag taxonomy must keep: under 1 ms at p99 per message.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from bench.figures import Bench
from bench.stats import summarize
from bench.targets import Figure, at_most
from shared.safety.crisis import CrisisDetector, load_detector
from tests.safety import crisis_cases, taxonomy_cases
from tests.safety import test_heldout_sets as heldout

ROUNDS = 5
TARGET_P99_MS = 1.0


def messages() -> list[str]:
    """The held-out messages, the crisis examples and the taxonomy examples, once each."""
    texts: list[str] = []
    for data in heldout.ROUNDS.values():
        for category in heldout.CATEGORIES:
            texts += heldout.crisis_cases(data, category)
        texts += data.NOT_CRISIS
    texts += crisis_cases.SELF_HARM + crisis_cases.MEDICAL_EMERGENCY + crisis_cases.SAFEGUARDING
    texts += crisis_cases.NOT_A_CRISIS
    for fire, quiet in taxonomy_cases.CLASS_CASES.values():
        texts += [*fire, *quiet]
    texts += [text for text, *_ in taxonomy_cases.LANGUAGE_CASES]
    return list(dict.fromkeys(texts))


def per_message_ms(detector: CrisisDetector, texts: Sequence[str], rounds: int) -> list[float]:
    """Each message's detection time in milliseconds, ``rounds`` times over, after a warm-up."""
    for text in texts:
        detector.detect([text])
    times: list[float] = []
    clock = time.process_time_ns  # CPU time: other processes on a shared machine do not count
    for _ in range(rounds):
        for text in texts:
            start = clock()
            detector.detect([text])
            times.append((clock() - start) / 1e6)
    return times


def measure(rounds: int = ROUNDS) -> Figure:
    """The B16 row."""
    texts = messages()
    summary = summarize(per_message_ms(load_detector(), texts, rounds))
    return Figure(
        id="B16",
        measure="crisis pattern detector, CPU per message (one user turn), in process",
        figure=(
            f"p50 {summary.p50:.3f} ms, p99 {summary.p99:.3f} ms, max {summary.max:.2f} ms "
            f"({len(texts)} messages x {rounds})"
        ),
        target=f"p99 < {TARGET_P99_MS:g} ms",
        met=at_most(summary.p99, TARGET_P99_MS - 1e-9),
        values={"summary": summary.to_json(), "messages": len(texts), "rounds": rounds},
    )


async def detector_cost(bench: Bench) -> list[Figure]:
    """B16 as a step of ``python -m bench`` (the hosts are not used)."""
    del bench
    return [measure()]


def main() -> int:
    figure = measure()
    verdict = "met" if figure.met else "MISSED"
    sys.stdout.write(f"{figure.id}: {figure.measure}\n  {figure.figure}\n")
    sys.stdout.write(f"  target {figure.target}: {verdict}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
