"""The reply fragments file is validated once, when loaded: a broken file fails loudly,
naming the fragment, before any reply could be wrong."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from shared.platform.config import DEFAULT_CONFIG_DIR, ConfigError
from shared.signposting import TEXTS_FILE, load_signposting, parse_texts


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEFAULT_CONFIG_DIR / TEXTS_FILE).read_text("utf-8"))
    return data


@pytest.mark.safety("H02")
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["texts"]["samaritans"].pop("cy"), r"texts\.samaritans\.cy: required"),
        (
            lambda d: d["texts"]["samaritans"]["en"].update(text="Call {number}."),
            "number is not a field",
        ),
        (
            lambda d: d["texts"]["domestic_abuse.wales"]["cy"].pop("short"),
            "needs a short form",
        ),
        (
            lambda d: d["replies"]["safeguarding"]["self"]["lines"].append("nowhere"),
            "no text 'nowhere'",
        ),
        (lambda d: d["follow_up"].pop("none"), r"follow_up\.none"),
        (
            lambda d: d["texts"]["samaritans"].update(when="sometimes"),
            r"texts\.samaritans\.when",
        ),
    ],
)
def test_a_broken_fragment_file_names_what_is_wrong(
    edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    """A missing language, an unknown placeholder, a missing short form, a dangling
    reference, no 'none' follow-up, or an unknown condition each fail loading."""
    data = copy.deepcopy(shipped())
    edit(data)
    with pytest.raises(ConfigError, match=message):
        parse_texts(data, load_signposting().services)
