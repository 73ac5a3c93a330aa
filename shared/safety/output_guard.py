"""The one check every LLM answer passes before it is returned, whichever tier produced it.

Two rules, both from ``SafetyConfig``:

* **Links.** A link may only point at an allowlisted domain or one of its subdomains
  (``nhs.uk`` allows ``www.nhs.uk`` and ``111.nhs.uk``, never ``nhs.uk.evil.com``), over
  http(s). Any other link is removed: a markdown or HTML link keeps its text, while bare URLs,
  ``www.`` forms and bare domain names disappear. Hosts are compared after parsing, so
  user-info tricks (``nhs.uk@evil.com``), backslashes and non-ASCII look-alikes are refused.
  A bare word with dots counts as a domain name when its ending is a public suffix in the
  Public Suffix List (``tldextract``'s bundled snapshot, never fetched: no network at run
  time), so ``cheap-tamoxifen.pharmacy`` is a link like ``nhs.uk`` while ``report.pdf`` is not.
* **Advice.** An answer that breaks an answer-content rule (a dosing schedule, stopping
  prescribed treatment, reassurance about a red-flag symptom, an unproven cure;
  :mod:`shared.safety.answer_rules`) is rejected in the same way.
* **Language.** An answer that matches a prohibited pattern (diagnosis or prescription
  language) is rejected; the caller treats that as ``content_filtered`` and tries the next
  tier. Patterns are matched against a copy with quotes unified, markdown emphasis removed
  and whitespace collapsed, so formatting cannot hide a phrase.

:class:`GuardResult` never carries the text that matched: ``reason`` names the rule only.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from shared.platform import SafetyConfig
from shared.safety.answer_rules import unsafe_advice
from shared.safety.text import unify_quotes

if TYPE_CHECKING:
    import tldextract

_REMOVED = "\x00"  # marks where a link was removed, so the spacing around it can be tidied
_URL_CHARS = r"[^\s<>\"'`\[\]{}|\\^]"
# A candidate bare domain's last label; whether it is a real ending is the Public Suffix List's
# call (:func:`_is_domain_name`), not a list kept here.
_LAST_LABEL = r"(?:xn--[a-z0-9-]{1,59}|[a-z]{2,63})"
_LINKS = re.compile(
    r"(?P<image>!)?\[(?P<label>[^\]\n]*)\]"
    r"\(\s*<?(?P<target>(?:[^()\s>]|\([^()\s]*\))*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
    r"|<a\b[^>]*?\bhref\s*=\s*[\"']?(?P<href>[^\"'\s>]*)[\"']?[^>]*>(?P<anchor>.*?)</a\s*>"
    rf"|<(?P<auto>(?:https?|ftp|mailto|tel|javascript|data):{_URL_CHARS}+)>"
    rf"|(?P<url>\b(?:https?|ftp)://{_URL_CHARS}+|\bwww\.{_URL_CHARS}+)"
    rf"|(?P<domain>(?<![@\w.-])(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+{_LAST_LABEL}\b(?:/{_URL_CHARS}*)?)",
    re.IGNORECASE | re.DOTALL,
)
_REFERENCE = re.compile(
    r"^[ \t]{0,3}\[(?P<ref>[^\]\n]+)\]:[ \t]*<?(?P<target>\S+?)>?(?:[ \t]+.*)?$", re.M
)
_REFERENCE_USE = re.compile(r"\[(?P<label>[^\]\n]+)\]\[(?P<ref>[^\]\n]*)\]")
_TRAILING = ".,;:!?'\")"
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
_EMPHASIS = re.compile(r"[*_~`]+")
_SPACE = re.compile(r"[^\S\n]+")  # keep line breaks: list items start sentences


@dataclass(frozen=True, slots=True)
class GuardResult:
    """The guarded answer. ``text`` is empty unless ``ok``; ``reason`` never quotes the answer."""

    ok: bool
    text: str
    removed_links: int
    reason: str


def guard_answer(text: str, safety: SafetyConfig) -> GuardResult:
    """Remove links outside the allowlist, then reject diagnosis or prescription language and
    unsafe clinical advice."""
    cleaned, removed = remove_links(text, safety.link_allowlist)
    if not cleaned.strip():
        return GuardResult(ok=False, text="", removed_links=removed, reason="empty_answer")
    index = prohibited_match(cleaned, safety.prohibited_patterns)
    if index is not None:
        return GuardResult(
            ok=False, text="", removed_links=removed, reason=f"prohibited_patterns[{index}]"
        )
    rule = unsafe_advice(cleaned, safety.answer_rules)
    if rule is not None:
        return GuardResult(
            ok=False, text="", removed_links=removed, reason=f"answer_rules[{rule.id}]"
        )
    return GuardResult(ok=True, text=cleaned, removed_links=removed, reason="")


def prohibited_match(text: str, patterns: Sequence[re.Pattern[str]]) -> int | None:
    """The index of the first prohibited pattern found in ``text``, or None."""
    flat = _SPACE.sub(" ", _EMPHASIS.sub("", unify_quotes(unicodedata.normalize("NFKC", text))))
    flat = re.sub(r" ?\n[\s]*", "\n", flat)
    for index, pattern in enumerate(patterns):
        if pattern.search(flat):
            return index
    return None


def host_allowed(url: str, allowlist: Sequence[str]) -> bool:
    """Whether ``url`` is http(s) on an allowlisted domain or a subdomain of one."""
    if "\\" in url:
        return False
    if not re.match(r"[a-z][a-z0-9+.-]*:", url, re.IGNORECASE):
        url = f"https://{url}"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not host or "@" in parts.netloc:
        return False
    host = host.rstrip(".")
    if not _HOST.fullmatch(host):
        return False
    return any(host == domain or host.endswith(f".{domain}") for domain in allowlist)


def remove_links(text: str, allowlist: Sequence[str]) -> tuple[str, int]:
    """``text`` without links outside ``allowlist``, and how many were removed."""
    removed = 0
    text = text.replace(_REMOVED, "")
    dropped_refs: set[str] = set()

    def reference(match: re.Match[str]) -> str:
        nonlocal removed
        if host_allowed(match["target"], allowlist):
            return match[0]
        removed += 1
        dropped_refs.add(match["ref"].strip().lower())
        return _REMOVED

    def reference_use(match: re.Match[str]) -> str:
        ref = (match["ref"] or match["label"]).strip().lower()
        return match["label"] if ref in dropped_refs else match[0]

    def link(match: re.Match[str]) -> str:
        nonlocal removed
        if match["domain"] is not None and not _is_domain_name(match["domain"]):
            return match[0]
        target, keep, tail = _target(match)
        if host_allowed(target, allowlist):
            return match[0]
        removed += 1
        return f"{keep}{tail}" if keep else f"{_REMOVED}{tail}"

    text = _REFERENCE.sub(reference, text)
    text = _REFERENCE_USE.sub(reference_use, text)
    text = _LINKS.sub(link, text)
    return (_tidy(text) if removed else text), removed


@functools.cache
def _suffixes() -> tldextract.TLDExtract:
    """The Public Suffix List from the package's bundled snapshot: no URL to fetch, no cache
    directory, so it never touches the network or the disk. Imported on first use."""
    import tldextract  # noqa: PLC0415 - heavy; only answers with a bare domain need it

    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


def warm_up_link_check() -> None:
    """Load the Public Suffix List now (about half a second), so no answer pays for it."""
    _suffixes()("nhs.uk")


def _is_domain_name(candidate: str) -> bool:
    """Whether a bare ``name.ending[/path]`` ends in a public suffix (ICANN section)."""
    host = candidate.split("/", 1)[0].rstrip(_TRAILING).lower()
    parts = _suffixes()(host)
    return bool(parts.suffix and parts.domain)


def _target(match: re.Match[str]) -> tuple[str, str, str]:
    """The link target, the text to keep in its place, and trailing punctuation to restore."""
    if match["target"] is not None or match["label"] is not None:
        return match["target"] or "", match["label"] or "", ""
    if match["href"] is not None:
        return match["href"], re.sub(r"<[^>]+>", "", match["anchor"] or ""), ""
    if match["auto"] is not None:
        return match["auto"], "", ""
    raw = match["url"] or match["domain"]
    # Sentence punctuation after a bare URL belongs to the sentence, not to the URL.
    url = raw.rstrip(_TRAILING)
    if url.count("(") > url.count(")") and raw[len(url) :].startswith(")"):
        url += ")"
    return url, "", raw[len(url) :]


def _tidy(text: str) -> str:
    """Close the gaps left by removed links without touching the rest of the text."""
    text = re.sub(rf"\(\s*{_REMOVED}\s*\)", _REMOVED, text)
    text = re.sub(rf"(?m)^[ \t]*{_REMOVED}[ \t]*\n?", "", text)
    text = re.sub(rf"[ \t]*{_REMOVED}[ \t]*(?=[.,;:!?)]|$)", "", text, flags=re.M)
    return re.sub(rf"[ \t]*{_REMOVED}[ \t]*", " ", text)
