"""Annotations read from the free text of list items: each kind, and the look-alikes that are not."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from syncer.markdown.document import parse_document
from syncer.model import Status
from syncer.parse.annotations import (
    heading_status,
    heading_ticket,
    inline_due,
    inline_owner,
    inline_status,
    inline_ticket,
    link_definitions,
    resolve_reference_links,
    starts_with_label,
    strip_lead,
    trailing_status,
)
from syncer.parse.values import StatusVocabulary

VOCABULARY = StatusVocabulary.default()


@pytest.mark.parametrize(
    ("text", "title", "status", "priority", "labelled"),
    [
        ("✅ Rotate the keys", "Rotate the keys", Status.DONE, None, False),
        ("🟡 Move secrets to vault", "Move secrets to vault", Status.IN_PROGRESS, None, False),
        ("P1 Add a canary stage", "Add a canary stage", None, "P1", False),
        ("**P0**: Fix the pool", "Fix the pool", None, "P0", False),
        ("[P2] Tune alerts", "Tune alerts", None, "P2", False),
        ("Action point: create a mailing list", "create a mailing list", None, None, True),
        ("**Action item:** Start incidents earlier", "Start incidents earlier", None, None, True),
        ("**Action item**: Start incidents earlier", "Start incidents earlier", None, None, True),
        ("✅ P1 Action item: Add tests", "Add tests", Status.DONE, "P1", True),
        ("**Read path**: split the pools", "**Read path**: split the pools", None, None, False),
        ("P1", "P1", None, None, False),  # a lone token is the title, not a priority
        ("PR 12 review", "PR 12 review", None, None, False),
    ],
)
def test_strip_lead_removes_leading_marks_only(
    text: str, title: str, status: Status | None, priority: str | None, labelled: bool
) -> None:
    lead = strip_lead(text, VOCABULARY)
    assert lead.title == title
    assert (lead.status.status if lead.status else None) == status
    assert lead.priority == priority
    assert lead.labelled is labelled


@pytest.mark.parametrize(
    ("text", "status", "raw"),
    [
        ("Turn actions back on. **(Done as of 2021-06-30)**", Status.DONE, "Done as of 2021-06-30"),
        ("Exclude plugins. OWNER: amirh@ (DONE).", Status.DONE, "DONE"),
        ("Add logs (in progress - see the PR)", Status.IN_PROGRESS, "in progress - see the PR"),
        ("Patch the vault [FIXED](https://example.com/commit/1)", Status.DONE, "FIXED"),
        ("Purge all logs; Completed as of 2021-10-29.", Status.DONE, "Completed as of 2021-10-29"),
        ("More e2e tests TODO", Status.OPEN, "TODO"),
        ("Drop the old queue (won't do)", Status.WONT_DO, "won't do"),
        ("Migrate cron jobs. Status: blocked", Status.OPEN, "blocked"),
        ("Add the dashboard ✅", Status.DONE, "✅"),
    ],
)
def test_inline_status_reads_explicit_annotations(text: str, status: Status, raw: str) -> None:
    found = inline_status(text, VOCABULARY)
    assert found is not None
    assert (found.status, found.raw) == (status, raw)


@pytest.mark.parametrize(
    "text",
    [
        "Fixed the alert thresholds for the pool",  # a verb, not a status
        "Open a ticket with the vendor",
        "Create a new dashboard for active connections",
        "Evaluate an (open source) operator",
        "Write the runbook (started by the DBA team last year) properly",
        "Link `DONE` flags in the code",
        "See https://example.com/TODO/list",
    ],
)
def test_inline_status_ignores_status_words_in_prose(text: str) -> None:
    assert inline_status(text, VOCABULARY) is None


@pytest.mark.parametrize(
    ("text", "status", "raw"),
    [
        ("Completed", Status.DONE, "Completed"),
        ("In Progress", Status.IN_PROGRESS, "In Progress"),
        ("Open items", Status.OPEN, "Open"),
        ("Immediate Actions (Completed)", Status.DONE, "Completed"),
        (
            "Short-term Improvements (In Progress - [GitHub Issue #9](https://github.com/o/r/issues/9))",
            Status.IN_PROGRESS, "In Progress",
        ),
    ],
)
def test_heading_status(text: str, status: Status, raw: str) -> None:
    found = heading_status(text)
    assert found is not None
    assert (found.status, found.raw) == (status, raw)


@pytest.mark.parametrize(
    "text", ["Long-term Improvements (Q4 2025 - Q1 2026)", "Detection", "New monitoring",
             "Fixes", "Open questions about the rollout"],
)
def test_heading_without_status(text: str) -> None:
    assert heading_status(text) is None


def test_heading_ticket_needs_a_link() -> None:
    ticket = heading_ticket("Short-term (In Progress - [Issue #9](https://github.com/o/r/issues/9))")
    assert ticket is not None and ticket.url == "https://github.com/o/r/issues/9"
    assert heading_ticket("Fixes for #2") is None


@pytest.mark.parametrize(
    ("text", "owner"),
    [
        ("Add canary. Owner: @maria, due 2025-03-20", "@maria"),
        ("Exclude plugins. OWNER: amirh@ (DONE).", "amirh@"),
        ("Exclude plugins. OWNER: blasten@ (DONE).", "blasten@"),
        ("Page the DBA on saturation (@lee)", "@lee"),
        ("Write a runbook — @kim", "@kim"),
        ("Write a runbook - @kim.", "@kim"),
        ("Rotate keys. Owners: @a, @b", "@a, @b"),
        ("Rotate keys (owner: Jane Doe)", "Jane Doe"),
        ("Rotate keys. Owner: [Jane](https://example.com/jane)", "Jane"),
        ("Rotate keys, assigned to @ops-team", "@ops-team"),
        ("Tell jane@example.com. Owner: jane@example.com", "jane@example.com"),
    ],
)
def test_inline_owner(text: str, owner: str) -> None:
    assert inline_owner(text) == owner


@pytest.mark.parametrize(
    "text",
    [
        "Ask @bob about the pool size",
        "Upgrade to protobufjs@6.11.3 in the web repo",
        "Email oncall@example.com when it fires",
    ],
)
def test_mentions_are_not_owners(text: str) -> None:
    assert inline_owner(text) is None


@pytest.mark.parametrize(
    ("text", "value", "raw"),
    [
        ("Add alert, due 2025-10-10", date(2025, 10, 10), "2025-10-10"),
        ("Add alert (due: 2025-10-10)", date(2025, 10, 10), "2025-10-10"),
        ("Add alert by Oct 10", date(2025, 10, 10), "Oct 10"),
        ("Add alert by 3 November 2025", date(2025, 11, 3), "3 November 2025"),
        ("Add alert, deadline 11/30/2025", date(2025, 11, 30), "11/30/2025"),
    ],
)
def test_inline_due(text: str, value: date, raw: str) -> None:
    found = inline_due(text, date(2025, 9, 1), "MDY")
    assert found is not None
    parsed, found_raw = found
    assert parsed is not None and parsed.value == value
    assert found_raw == raw


def test_inline_due_without_year_or_incident_date_keeps_the_raw_text() -> None:
    assert inline_due("Add alert by Oct 10", None, "MDY") == (None, "Oct 10")


@pytest.mark.parametrize(
    "text",
    [
        "Freeze production until 2015-11-20",
        "Turn actions back on (Done as of 2021-06-30)",
        "Patch by upgrading to ansi-regex@6.0.1",
        "Split the pools by 2x",
        "Quarterly drills, target Q4 2025",
    ],
)
def test_dates_that_are_not_due_dates(text: str) -> None:
    assert inline_due(text, date(2015, 1, 1), "MDY") is None


@pytest.mark.parametrize(
    ("text", "display"),
    [
        ("Automate deploys ([#11957](https://github.com/o/r/issues/11957))",
         "https://github.com/o/r/issues/11957"),
        ("Create alerts - [jira](https://acme.atlassian.net/browse/SAAS-311)",
         "https://acme.atlassian.net/browse/SAAS-311"),
        ("Patch it (https://github.com/o/r/commit/1fc9f7e)", "https://github.com/o/r/commit/1fc9f7e"),
        ("Raise the pool size (PAY-88)", "PAY-88"),
        ("#2127", "#2127"),
        ("Add a test as described in b/343765967", "b/343765967"),
        ("Patch CVE-2022-25878 and CWE-327, see PAY-9", "PAY-9"),
    ],
)
def test_inline_ticket(text: str, display: str) -> None:
    ticket = inline_ticket(text, {})
    assert ticket is not None and ticket.display() == display


@pytest.mark.parametrize(
    "text", ["Patch CVE-2022-25878 by upgrading", "Patch CWE-327", "Serve HTTP-2 only",
             "Read the [design doc](https://example.com/design)"],
)
def test_not_tickets(text: str) -> None:
    assert inline_ticket(text, {}) is None


def test_reference_style_links_resolve_through_definitions() -> None:
    doc = parse_document(
        Path("pm.md"),
        b"- Document it ([#294][issue-294]).\n\n```\n[issue-294]: https://wrong.example\n```\n"
        b"[Issue-294]: https://github.com/o/r/issues/294\n[Spec]: https://example.com/spec\n",
    )
    definitions = link_definitions(doc)
    assert definitions == {
        "issue-294": "https://github.com/o/r/issues/294", "spec": "https://example.com/spec",
    }
    assert resolve_reference_links("see [Spec] and [#1][issue-294]", definitions) == (
        "see [Spec](https://example.com/spec) and [#1](https://github.com/o/r/issues/294)"
    )
    assert resolve_reference_links("[undefined][nope] [x]", definitions) == "[undefined][nope] [x]"
    ticket = inline_ticket("Document it ([#294][issue-294]).", definitions)
    assert ticket is not None and ticket.url == "https://github.com/o/r/issues/294"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Action point: create a list", True),
        ("**Action item:** Start earlier", True),
        ("Action items:", False),  # a label line with nothing after it names a section
        ("The action point: was unclear", False),
    ],
)
def test_starts_with_label(text: str, expected: bool) -> None:
    assert starts_with_label(text) is expected


# Pieces that make each annotation search match, in several cases and spacings, and characters
# that re.IGNORECASE matches to ASCII letters ("ı" to "i", "ſ" to "s", the Kelvin sign to "k").
_ANNOTATION_PIECES = st.sampled_from([
    " ", "\t", ":", "**", "(", ")", "[", "]", "@bob", " - ", "—", ".", "12", "2024-05-01", "Jan 3",
    "done", "DONE", "In Progress", "WON'T DO", "as\tof", "AS OF", "as", "of",
    "status", "STATUS", "Status:", "owner", "OWNER:", "Owners:", "assignee", "DRI:", "dri:",
    "assigned to", "Assigned\nTo", "owned by", "By", "by", "due", "Due:", "deadline", "DEADLINE",
    "\u0131", "\u017f", "\u212a", "jane", "Jane Doe", "✅", "done as\tof", "dr\u0131:",
    "\u017ftatus: done", "Action item:", "follow-up:", "ACT\u0130ON POINT:", "by 2024-05-01",
    "Follow-up: fix it",
])


@settings(max_examples=300)
@example("Follow-up: fix it by 2024-05-01")
@example("Action item: page DRI: jane (done as of Jan 3) \u017ftatus: done")
@given(st.lists(_ANNOTATION_PIECES, max_size=8).map("".join))
def test_cheap_tests_never_rule_out_a_search_that_matches(text: str) -> None:
    """Each cheap test before an annotation search lets through every text the search matches."""
    from syncer.parse import annotations as a

    if a._AS_OF.search(text):
        assert not text.isascii() or a._AS_OF_FOLDED.search(text.lower())
    if a._CAPITALS.search(text):
        assert a._CAPITAL_WORD.search(text)
    if a._STATUS_LABEL.search(text):
        assert a._may_hold(text, a._STATUS_WORDS)
    if a._OWNER_LABEL.search(text):
        assert a._may_hold(text, a._OWNER_WORDS)
    if a._OWNER_PAREN.search(text) or a._OWNER_DASH.search(text):
        assert "@" in text
    if a._DUE.search(text):
        assert a._DIGIT.search(text) and a._may_hold(text, a._DUE_WORDS)
    if strip_lead(text, VOCABULARY).labelled:
        assert a.may_hold_label(text)
    if any(text.endswith(mark) for mark in VOCABULARY.marks):
        assert text.endswith(VOCABULARY.marks)


def test_only_a_and_f_match_the_first_letters_of_a_label_ignoring_case() -> None:
    """What the shortcut in starts_with_label relies on: re.IGNORECASE matches no other character to
    "a" or "f" (it does match "\u0131" to "i" and "\u017f" to "s")."""
    import re

    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    assert sorted(re.findall("(?i)[af]", every)) == ["A", "F", "a", "f"]


@given(
    st.lists(st.sampled_from(["x", " ", "#12", "OPS-1", "ref", "Spec", "(", ")", "]", ":", "http://j/x"]),
             max_size=8).map("".join),
    st.dictionaries(st.sampled_from(["ref", "spec", "x", "ops-1"]), st.just("https://github.com/o/r/issues/7")),
)
def test_a_text_without_brackets_needs_no_link_definitions(text: str, definitions: dict[str, str]) -> None:
    """Every reference-style link holds a bracket, so the list reader reads a document's link
    definitions only for texts that hold one."""
    assert inline_ticket(text, definitions) == inline_ticket(text, {})


@settings(max_examples=200)
@example("`DONE` (done) https://x/TODO")
@given(st.lists(st.one_of(_ANNOTATION_PIECES, st.sampled_from(["`", "`x`", "https://e.com/DONE", "http"])),
                max_size=8).map("".join))
def test_read_title_reads_annotations_as_each_reader_alone(text: str) -> None:
    """read_title strips the title's Markdown once and reuses it where the text without code or
    URLs is the title itself: the annotation found is the one read from scratch."""
    from syncer.markdown.inline import strip_markdown
    from syncer.parse import annotations as a

    unquoted = a._without_code_or_urls(text)
    reading = a.read_title(text)
    assert reading.annotated == a._annotated_status(text, unquoted, strip_markdown(unquoted))
    assert reading.plain == strip_markdown(text)


# --- trailing status annotations (what pull writes on list items) -------------------------------


@pytest.mark.parametrize(("text", "status"), [
    ("Cap the retries (Done)", "done"),
    ("Cap the retries (✅ Done)", "done"),
    ("Cap the retries (won’t do)", "wont_do"),
    ("Cap the retries (WONTFIX)", "wont_do"),
    ("Cap the retries (🟡)", "in_progress"),
    ("Cap the retries (âœ… Done)", "done"),  # mojibake
    ("Cap the retries (Open) ([OPS-1](https://j.example.com/browse/OPS-1))", "open"),
    ("Cap the retries ([OPS-1](https://j.example.com/browse/OPS-1)) (In Progress)", "in_progress"),
    ("Cap (done as of May) the retries (Open)", "open"),
])
def test_trailing_status_annotation(text: str, status: str) -> None:
    found = trailing_status(text, StatusVocabulary.default())
    assert found is not None and found.match.status.value == status
    assert text[found.start:found.end] == found.match.raw


@pytest.mark.parametrize("text", [
    "Cap the retries (see the runbook)",
    "Cap the retries (✅ Open)",  # an emoji and a word that disagree
    "Cap the retries (Done) and more",
    "Cap the retries (Done) ([a](b)) later",
    "([" + " " * 100_000 + ")",
])
def test_no_trailing_status_annotation(text: str) -> None:
    assert trailing_status(text, StatusVocabulary.default()) is None
