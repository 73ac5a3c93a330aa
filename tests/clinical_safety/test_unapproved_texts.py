"""Approval is visible: every reply text carries its approval state, a draft claims no
approver, and the safety case lists every unapproved text in use as an open action (H18)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from scripts.signposting_docs import SAFETY_CASE, UNAPPROVED_PART, unapproved_markdown
from shared.platform.config import DEFAULT_CONFIG_DIR, ConfigError
from shared.signposting import LANGUAGES, TEXTS_FILE, load_signposting, parse_texts


def shipped_texts() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEFAULT_CONFIG_DIR / TEXTS_FILE).read_text("utf-8"))
    return data


def first_wording(data: dict[str, Any]) -> dict[str, Any]:
    wording: dict[str, Any] = next(iter(data["texts"].values()))["en"]
    return wording


@pytest.mark.safety("H18")
def test_every_text_carries_its_approval_in_every_language() -> None:
    """Each fragment has an English and a Welsh text, each with a state, approver and date."""
    book = load_signposting().book
    for fragment in book.fragments.values():
        assert set(fragment.wordings) == set(LANGUAGES), fragment.id
        for wording in fragment.wordings.values():
            assert wording.approval.state in ("draft", "approved")


@pytest.mark.safety("H18")
def test_no_shipped_text_pretends_to_be_approved() -> None:
    """No clinician has approved any text yet, so every shipped text is a draft, and every
    Welsh text says its translation is not yet reviewed."""
    book = load_signposting().book
    for fragment in book.fragments.values():
        for lang, wording in fragment.wordings.items():
            assert wording.approval.state == "draft", (fragment.id, lang)
            if lang == "cy":
                assert "not yet reviewed by a Welsh-speaking clinician" in wording.note


@pytest.mark.safety("H18")
def test_a_draft_that_names_an_approver_is_refused() -> None:
    """A draft with approved_by set fails loading: a text is approved or it is not."""
    data = copy.deepcopy(shipped_texts())
    first_wording(data)["approved_by"] = "Dr Someone"
    with pytest.raises(ConfigError, match="a draft has no approved_by"):
        parse_texts(data, load_signposting().services)


@pytest.mark.safety("H18")
def test_an_approval_without_approver_and_date_is_refused() -> None:
    """'approved' needs who approved it and when."""
    data = copy.deepcopy(shipped_texts())
    first_wording(data)["state"] = "approved"
    with pytest.raises(ConfigError, match="approved_by"):
        parse_texts(data, load_signposting().services)


@pytest.mark.safety("H18")
def test_an_approved_text_is_no_longer_listed_as_unapproved() -> None:
    """Approving a text with approver and date takes it off the unapproved list."""
    data = copy.deepcopy(shipped_texts())
    wording = data["texts"]["footer"]["en"]
    wording.update(state="approved", approved_by="A. Clinician", approved_on="2026-12-08")
    services = load_signposting().services
    book = parse_texts(data, services)
    drafts = [(fid, lang) for fid, lang in book.in_use("none")
              if not book.fragments[fid].wordings[lang].approval.approved]  # fmt: skip
    assert ("footer", "en") not in drafts
    assert ("footer", "cy") in drafts


@pytest.mark.safety("H18")
def test_the_safety_case_lists_every_unapproved_text_in_use() -> None:
    """The safety case's open actions are the list generated from the config, unchanged, and
    name every draft text in use."""
    signposting = load_signposting()
    listed = unapproved_markdown(signposting)
    text = SAFETY_CASE.read_text("utf-8")
    assert f"generated: {UNAPPROVED_PART}" in text
    assert listed in text
    for fid, _ in signposting.unapproved():
        assert f"`{fid}`" in listed
