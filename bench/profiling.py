"""Sampling profiles of a running host with py-spy (no change to the host process).

``py-spy record --format raw`` writes collapsed stacks ("frame;frame;... count"); this module
turns them into the top entries by own time (the frame on top of the stack) and by inclusive
time (the frame anywhere in the stack), with repository and site-packages paths shortened.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench.stack import REPO

T = TypeVar("T")
# Inclusive time is shown for code we own or call directly; the event loop's own frames would
# top that list without saying anything.
_INCLUSIVE_PREFIXES = (
    "shared/",
    "orchestrators/",
    "api/",
    "devhost/",
    "azure/durable_functions/",
    "openai/",
    "anthropic/",
)
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>.*?)(?::\d+)?\)$")


@dataclass(frozen=True, slots=True)
class Entry:
    frame: str
    share: float  # of all samples, 0-1

    def to_json(self) -> dict[str, Any]:
        return {"frame": self.frame, "share": round(self.share, 4)}


@dataclass(frozen=True, slots=True)
class Profile:
    samples: int
    own: tuple[Entry, ...]
    inclusive: tuple[Entry, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "own": [e.to_json() for e in self.own],
            "inclusive": [e.to_json() for e in self.inclusive],
        }


def short_frame(frame: str) -> str:
    """``function (file)``, with the file relative to the repository or site-packages."""
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    path = match.group("file")
    for marker in ("site-packages/", "/lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        repo = str(REPO) + "/"
        path = path.removeprefix(repo)
    return f"{match.group('func')} ({path})"


def summarize_collapsed(lines: Iterable[str], top: int = 12) -> Profile:
    """Top ``top`` frames by own and inclusive share, from collapsed stack lines."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count_text = line.rstrip().rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [short_frame(f) for f in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            file = frame.rpartition(" (")[2]
            if file.startswith(_INCLUSIVE_PREFIXES) and not file.startswith("devhost/__main__"):
                inclusive[frame] += count
    if total == 0:
        return Profile(0, (), ())

    def ranked(counter: Counter[str]) -> tuple[Entry, ...]:
        return tuple(Entry(f, c / total) for f, c in counter.most_common(top))

    return Profile(total, ranked(own), ranked(inclusive))


def _py_spy() -> str:
    local = Path(sys.executable).parent / "py-spy"
    found = str(local) if local.exists() else shutil.which("py-spy")
    if not found:
        raise RuntimeError("py-spy is not installed (pip install py-spy)")
    return found


async def profile_while(
    pid: int, seconds: float, load: Awaitable[T], rate_hz: int = 200
) -> tuple[Profile, T]:
    """Sample ``pid`` for ``seconds`` while ``load`` runs; the profile and the load's result."""
    with tempfile.TemporaryDirectory(prefix="askeve-profile-") as directory:
        out = Path(directory) / "stacks.txt"
        process = await asyncio.create_subprocess_exec(
            _py_spy(),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            str(rate_hz),
            "--format",
            "raw",
            # Only samples holding the GIL: CPU spent in Python, not threads waiting for work.
            "--gil",
            "--output",
            str(out),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        result = await load
        await process.wait()
        lines = out.read_text().splitlines() if out.exists() else []
    return summarize_collapsed(lines), result


def profile_lines(profile: Profile, top: int = 8) -> list[str]:
    """Markdown bullet lines for the report."""
    if profile.samples == 0:
        return ["- (no samples: py-spy could not attach)"]
    lines = [f"- {profile.samples} samples; by own time:"]
    lines += [f"  - {e.share:6.1%}  `{e.frame}`" for e in profile.own[:top]]
    lines.append("- by inclusive time (our code, the Durable SDK and provider SDKs):")
    lines += [f"  - {e.share:6.1%}  `{e.frame}`" for e in profile.inclusive[:top]]
    return lines
