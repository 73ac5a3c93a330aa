"""Held-out sets: recall and quiet rate stay above floors, and the known misses stay honest.

Each round was written before it was scored, and scored before any change made because of it.
Figures are right category / messages; "quiet" counts ordinary messages that did not fire.
"Original" is the detector as committed before this work, on the same sets.

======  =========  ===========  =============  ========  =======
round   when       self_harm    medical        safeg.    quiet
======  =========  ===========  =============  ========  =======
A       original   58/72        41/43          28/32     106/111
A       final      72/72        43/43          32/32     111/111
B       original   14/35        9/17           10/13     53/57
B       first run  14/35        10/17          10/13     54/57
B       final      33/35        17/17          13/13     57/57
C       original   12/30        12/15          7/12      58/63
C       first run  12/30        13/15          7/12      58/63
C       final      24/30        15/15          12/12     63/63
D       original   8/20         5/5            5/5       58/60
D       first run  9/20         5/5            5/5       58/60
D       final      20/20        5/5            5/5       60/60
E       first run  39/65        -              -         82/87
E       final      54/65        -              -         83/87
F       first run  16/42        -              -         44/52
F       final      33/42        -              -         45/52
F       after G    34/42        -              -         46/52
G       first run  25/57        11/17          11/17     65/76
G       final      51/57        11/17          11/17     75/76
H       first run  12/42        -              -         41/44
E       broad net  55/65        -              -         87/87
F       broad net  35/42        -              -         46/52
G       broad net  53/57        11/17          11/17     75/76
H       broad net  18/42        -              -         41/44
I       original   23/57        -              -         84/86
I       first run  30/57        -              -         84/86
C       means      25/30        15/15          12/12     63/63
E       means      56/65        -              -         87/87
H       means      24/42        -              -         41/44
I       means      34/57        -              -         84/86
J       original   10/52        -              -         83/86
J       first run  21/52        -              -         83/86
G       taxonomy   53/57        11/17          13/17     75/76
======  =========  ===========  =============  ========  =======

Round G was written before the pattern file was reopened, and its first run (25/57, 44%) matched
the earlier pattern: about half of fresh indirect self-harm is missed. G's fixes are mechanisms
(concepts ``veiled_act``, ``resolution``, ``reunion`` + ``bereavement``, ``affairs`` +
``finality``, ``means_ready``; new ``ending_state`` forms; guards for tiredness idioms, questions
about suicide risk, grief or panic breathlessness, a parent writing about a child, goodbye
parties). Round H was then written without rereading those changes: its first run was 12/42
(29%), worse than any earlier round, so the G mechanisms carried over almost nothing to new
phrasing. H has not been fixed; its floor is its first run. Read the final figures of every round
as upper bounds, and the first runs (29-60%) as the honest estimate for unseen indirect
self-harm. G's medical and safeguarding misses were not worked on in this round.

The broad net (rule ``broad_net_distress_and_escape``: first-person distress and an ending,
absence or escape anywhere in one message, with its own guards) was tuned on rounds A-H only.
On A-H together it added 10 right self-harm answers (300/363 to 310/363: E +1, F +1, G +2,
H +6) and no false alarm (quiet 540/550 before and after, and every ``crisis_cases``
negative still quiet); medical and safeguarding answers did not change. "Original" for round I
is the pattern file as committed before the broad net; "first run" is the final file. Round I
was written before the rule was designed and scored once, after it was final: 23/57 (40%)
without it and 30/57 (53%) with it, quiet 84/86 both ways (both false alarms fire phrase
families, not the broad net). So the broad net added 7 true detections and no false alarm on
unseen messages, and about half of fresh indirect self-harm is still missed.

The means-and-readiness rule (``means_and_readiness``: a means or place - medicines, a ligature,
a blade, a height, a railway, a car exhaust, water - and readiness - a quantity, saving or
hiding, being alone or unwatched, a time, research, going back to the place - anywhere in one
message, with its own guards and a whole-message mute for ordinary medicine and travel talk)
was tuned on rounds A-I only. On A-I together it added 12 right self-harm answers (340/420 to
352/420: C +1, E +1, H +6, I +4) and no false alarm (quiet 624/636 before and after, and all
292 ``crisis_cases`` negatives still quiet); medical and safeguarding answers did not change.
Rows "means" are A-I with it; rounds not listed did not change. "Original" for round J is the
pattern file as committed before the rule; "first run" is the final file. Round J was written
before the rule was designed and scored once, after it was final: 10/52 (19%) without it and
21/52 (40%) with it, quiet 83/86 both ways (the rule added one false alarm, a reminder to take
tablets tonight, and a new trip guard removed one, tablets saved for a holiday). J's first run
before the rule is the lowest of any round: messages that only name a means, a place or a plan
were nearly all missed, and with the rule still more than half are.
A typing error found after J's run ("how many / how much" never matched as readiness) was
removed rather than fixed, since fixing it gained nothing on A-I; the figures above are the
shipped detector's.

Rounds E and F are indirect self-harm and hard negatives only. E was scored before the
compositional concept layer existed; the layer was then built, and F was written without
reopening the pattern file. F's first run (16/42, one new false alarm from the layer) shows
the first lexicons did not generalise to F's phrasing either: F's final figure comes from
widening the concept classes (not from copying sentences), and is again an upper bound.
Every false alarm still listed in E and F also fires a phrase family.

The first runs of B, C and D barely beat the original detector: fixes made for one round
carried over little to the next round's fresh indirect self-harm messages. Expect recall on
new indirect self-harm phrasing to be well below the final figures here.

The floors sit a little under the final figures, so that a reviewer's edit can trade a case
for a better general rule; anything lost shows up as a failing floor, not a silent change.
Floors are ratchets on tuned figures, so they are not evidence of recall on unseen wording.
That evidence is ``FIRST_RUN``: each round's first-run figures (round A's "original", since A
predates the practice), recorded as fixed facts beside the floors and checked against the table
above. The estimate of recall on unseen wording for the shipped detector is round J's first run
(``UNSEEN_ESTIMATE``): J was written before the detector's last rule and scored once, after it.

The red-flag taxonomy (``classes`` in the pattern file: classes from named clinical sources,
each covered by new or existing families; Welsh and Spanish phrases; a 37.5 C fever guard and a
fiction/media guard) was written from the sources, not from these rounds, and then scored on
all of A-J once: the only change was round G's safeguarding, 11/17 to 13/17 (row "taxonomy";
two indirect child disclosures, moved off G's known misses), with every other recall figure and
every quiet figure unchanged. No round is a fresh test of the taxonomy: its medical and
safeguarding classes have almost no held-out messages here (rounds E, F and H-J are self-harm
only), so its recall on unseen wording is unmeasured until a new round is written.

Known misses and known false alarms are kept in step both ways: an unlisted miss or false alarm
fails, and so does a listed one that no longer misses (or now stays quiet) until it is moved off
its list. Twelve listed misses of rounds C, E, H and I fired after the broad net and the
means-and-readiness rule, and were moved off.
"""

from __future__ import annotations

from types import ModuleType

import pytest

from shared.safety.crisis import CrisisDetector, load_detector
from tests.safety import (
    heldout_round_a,
    heldout_round_b,
    heldout_round_c,
    heldout_round_d,
    heldout_round_e,
    heldout_round_f,
    heldout_round_g,
    heldout_round_h,
    heldout_round_i,
    heldout_round_j,
)

CATEGORIES = ("self_harm", "medical_emergency", "safeguarding")
ROUNDS: dict[str, ModuleType] = {
    "a": heldout_round_a,
    "b": heldout_round_b,
    "c": heldout_round_c,
    "d": heldout_round_d,
    "e": heldout_round_e,
    "f": heldout_round_f,
    "g": heldout_round_g,
    "h": heldout_round_h,
    "i": heldout_round_i,
    "j": heldout_round_j,
}
# Lowest acceptable share of each category answered with the right category, per round.
RECALL_FLOORS: dict[str, dict[str, float]] = {
    "a": {"self_harm": 0.95, "medical_emergency": 0.95, "safeguarding": 0.95},
    "b": {"self_harm": 0.9, "medical_emergency": 0.9, "safeguarding": 0.9},
    "c": {"self_harm": 0.8, "medical_emergency": 0.9, "safeguarding": 0.9},
    "d": {"self_harm": 0.9, "medical_emergency": 0.8, "safeguarding": 0.8},
    "e": {"self_harm": 0.85},
    "f": {"self_harm": 0.75},
    "g": {"self_harm": 0.85, "medical_emergency": 0.6, "safeguarding": 0.6},
    "h": {"self_harm": 0.55},
    "i": {"self_harm": 0.55},
    "j": {"self_harm": 0.4},
}
QUIET_FLOORS: dict[str, float] = {
    "a": 0.97,
    "b": 0.97,
    "c": 0.97,
    "d": 0.97,
    "e": 0.95,
    "f": 0.85,
    "g": 0.95,
    "h": 0.9,
    "i": 0.95,
    "j": 0.95,
}
# Each round's first run, as (right, messages): the detector as it stood when the round was
# written, scored once before any change made because of it. Fixed facts: never edited to follow
# tuning. "quiet" counts ordinary messages that did not fire.
FIRST_RUN: dict[str, dict[str, tuple[int, int]]] = {
    "a": {"self_harm": (58, 72), "medical_emergency": (41, 43), "safeguarding": (28, 32),
          "quiet": (106, 111)},
    "b": {"self_harm": (14, 35), "medical_emergency": (10, 17), "safeguarding": (10, 13),
          "quiet": (54, 57)},
    "c": {"self_harm": (12, 30), "medical_emergency": (13, 15), "safeguarding": (7, 12),
          "quiet": (58, 63)},
    "d": {"self_harm": (9, 20), "medical_emergency": (5, 5), "safeguarding": (5, 5),
          "quiet": (58, 60)},
    "e": {"self_harm": (39, 65), "quiet": (82, 87)},
    "f": {"self_harm": (16, 42), "quiet": (44, 52)},
    "g": {"self_harm": (25, 57), "medical_emergency": (11, 17), "safeguarding": (11, 17),
          "quiet": (65, 76)},
    "h": {"self_harm": (12, 42), "quiet": (41, 44)},
    "i": {"self_harm": (30, 57), "quiet": (84, 86)},
    "j": {"self_harm": (21, 52), "quiet": (83, 86)},
}  # fmt: skip
# The safety case's estimate of recall on unseen indirect self-harm wording.
UNSEEN_ESTIMATE = ("j", "self_harm")
RECALL_CASES = [
    (name, c) for name in sorted(ROUNDS) for c in CATEGORIES if c in RECALL_FLOORS[name]
]


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector()


def crisis_cases(data: ModuleType, category: str) -> tuple[str, ...]:
    cases: tuple[str, ...] = getattr(data, category.upper())
    return cases


def answered_as(detector: CrisisDetector, text: str) -> str | None:
    match = detector.detect([text])
    return match.category if match else None


@pytest.mark.safety("H01")
@pytest.mark.parametrize(("name", "category"), RECALL_CASES)
def test_recall_stays_above_its_floor(detector: CrisisDetector, name: str, category: str) -> None:
    """Each round's crisis messages get the right reply at least as often as its floor."""
    cases = crisis_cases(ROUNDS[name], category)
    right = sum(answered_as(detector, text) == category for text in cases)
    assert right / len(cases) >= RECALL_FLOORS[name][category], f"{right}/{len(cases)}"


@pytest.mark.safety("H12")
@pytest.mark.parametrize("name", sorted(ROUNDS))
def test_ordinary_messages_stay_quiet(detector: CrisisDetector, name: str) -> None:
    """Idioms, cancer facts, health questions and negations rarely fire."""
    cases = ROUNDS[name].NOT_CRISIS
    quiet = sum(detector.detect([text]) is None for text in cases)
    assert quiet / len(cases) >= QUIET_FLOORS[name], f"{quiet}/{len(cases)}"


@pytest.mark.safety("H01")
@pytest.mark.parametrize("name", sorted(ROUNDS))
def test_known_misses_are_crisis_messages_of_the_set(name: str) -> None:
    """A listed miss is one of the set's own crisis messages, so the list cannot drift."""
    data = ROUNDS[name]
    crisis = {text for category in CATEGORIES for text in crisis_cases(data, category)}
    assert set(data.KNOWN_MISSES) <= crisis
    assert set(data.KNOWN_FALSE_ALARMS) <= set(data.NOT_CRISIS)


@pytest.mark.safety("H01")
@pytest.mark.parametrize("name", sorted(ROUNDS))
def test_every_unlisted_crisis_message_fires(detector: CrisisDetector, name: str) -> None:
    """Messages not listed as known misses fire, in some category: a new miss gets noticed."""
    data = ROUNDS[name]
    missed = [
        text
        for category in CATEGORIES
        for text in crisis_cases(data, category)
        if text not in data.KNOWN_MISSES and detector.detect([text]) is None
    ]
    assert missed == []


@pytest.mark.safety("H01")
@pytest.mark.parametrize("name", sorted(ROUNDS))
def test_the_word_index_loses_nothing_on_held_out_messages(
    detector: CrisisDetector, name: str
) -> None:
    """Trying only indexed patterns finds the same families as trying every pattern."""
    data = ROUNDS[name]
    texts = [t for c in CATEGORIES for t in crisis_cases(data, c)] + list(data.NOT_CRISIS)
    for text in texts:
        assert detector.families_in(text) == detector.families_in(text, exhaustive=True), text


def test_sets_are_big_enough_and_do_not_overlap() -> None:
    """Each round has at least the messages its header promises, and no message is in two."""
    a = heldout_round_a
    sizes = (len(a.SELF_HARM), len(a.MEDICAL_EMERGENCY), len(a.SAFEGUARDING), len(a.NOT_CRISIS))
    assert all(size >= least for size, least in zip(sizes, (60, 40, 30, 100), strict=True))
    for data in (heldout_round_b, heldout_round_c):
        assert sum(len(crisis_cases(data, c)) for c in CATEGORIES) >= 40
        assert len(data.NOT_CRISIS) >= 40
    assert len(heldout_round_e.SELF_HARM) >= 60
    assert len(heldout_round_e.NOT_CRISIS) >= 80
    assert len(heldout_round_f.SELF_HARM) >= 40
    assert len(heldout_round_f.NOT_CRISIS) >= 50
    g = heldout_round_g
    sizes = (len(g.SELF_HARM), len(g.MEDICAL_EMERGENCY), len(g.SAFEGUARDING), len(g.NOT_CRISIS))
    assert all(size >= least for size, least in zip(sizes, (50, 15, 15, 70), strict=True))
    assert len(heldout_round_h.SELF_HARM) >= 40
    assert len(heldout_round_h.NOT_CRISIS) >= 40
    assert len(heldout_round_i.SELF_HARM) >= 50
    assert len(heldout_round_i.NOT_CRISIS) >= 80
    assert len(heldout_round_j.SELF_HARM) >= 50
    assert len(heldout_round_j.NOT_CRISIS) >= 80
    seen: set[str] = set()
    for data in ROUNDS.values():
        texts = [t for c in CATEGORIES for t in crisis_cases(data, c)] + list(data.NOT_CRISIS)
        assert not seen & set(texts)
        seen |= set(texts)


def _table_rows() -> dict[str, dict[str, tuple[int, int]]]:
    """The first-run rows of the module docstring's table (round A: its "original" row)."""
    rows: dict[str, dict[str, tuple[int, int]]] = {}
    columns = (*CATEGORIES, "quiet")
    for line in (__doc__ or "").splitlines():
        cells = line.split()
        if len(cells) < 6 or cells[0] not in {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J"}:
            continue
        when, figures = " ".join(cells[1:-4]), cells[-4:]
        if when != ("original" if cells[0] == "A" else "first run"):
            continue
        rows[cells[0].lower()] = {
            column: (int(f.split("/")[0]), int(f.split("/")[1]))
            for column, f in zip(columns, figures, strict=True)
            if f != "-"
        }
    return rows


@pytest.mark.safety("H01")
def test_first_run_figures_are_the_recorded_history() -> None:
    """FIRST_RUN is exactly the first-run rows of the table above: a fixed fact, not a ratchet."""
    assert _table_rows() == FIRST_RUN


@pytest.mark.safety("H01")
@pytest.mark.parametrize("name", sorted(ROUNDS))
def test_first_run_figures_stand_beside_every_floor(name: str) -> None:
    """Every floored figure has its first run, counted over the round's messages as they are."""
    data = ROUNDS[name]
    facts = FIRST_RUN[name]
    assert set(facts) == {*RECALL_FLOORS[name], "quiet"}
    sizes = {c: len(crisis_cases(data, c)) for c in RECALL_FLOORS[name]}
    sizes["quiet"] = len(data.NOT_CRISIS)
    assert {k: total for k, (_, total) in facts.items()} == sizes


@pytest.mark.safety("H01")
@pytest.mark.parametrize("name", sorted(ROUNDS))
def test_every_listed_miss_still_misses(detector: CrisisDetector, name: str) -> None:
    """A listed miss that now fires fails until it is moved off the list."""
    fires = [text for text in ROUNDS[name].KNOWN_MISSES if detector.detect([text]) is not None]
    assert fires == []


@pytest.mark.safety("H12")
@pytest.mark.parametrize("name", sorted(ROUNDS))
def test_false_alarms_are_listed_both_ways(detector: CrisisDetector, name: str) -> None:
    """Every ordinary message that fires is listed, and every listed false alarm still fires."""
    data = ROUNDS[name]
    firing = {text for text in data.NOT_CRISIS if detector.detect([text]) is not None}
    assert firing == set(data.KNOWN_FALSE_ALARMS)
