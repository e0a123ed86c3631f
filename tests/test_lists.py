"""Action items written as lists: which lists count, how items are cut, what they say, and how
write-back edits them. Example documents are written for these tests."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from syncer.check import check_document
from syncer.markdown.document import parse_document
from syncer.markdown.outline import build_outline
from syncer.model import ActionItem, ListAnchor, ParsedDocument, Status
from syncer.parse.list_items import ListEntry, parse_list_items
from syncer.parse.sections import is_action_heading
from syncer.parse.table_items import ParseOptions, parse_items
from syncer.sync.edits import ItemChange, edits_for_changes, render
from tests.conftest import SHARED

DATA = Path(__file__).parent / "data" / "lists"
CORPUS = SHARED / "corpus"


def parse(text: str) -> ParsedDocument:
    doc = parse_document(Path("pm.md"), text.encode())
    return parse_list_items(parse_items(doc), ParseOptions())


def items_of(text: str) -> list[ActionItem]:
    return list(parse(text).items)


def titles(text: str) -> list[tuple[int, str]]:
    return [(item.line, item.title) for item in items_of(text)]


def only(text: str) -> ActionItem:
    found = items_of(text)
    assert len(found) == 1, found
    return found[0]


# --- items: markers, nesting, wrapping -------------------------------------------------------


def test_bullets_of_every_marker_and_numbered_lists() -> None:
    text = (
        "## Action items\n\n- Dash item\n* Star item\n+ Plus item\n\n"
        "1. First numbered\n2) Second numbered\n"
    )
    assert titles(text) == [
        (3, "Dash item"), (4, "Star item"), (5, "Plus item"),
        (7, "First numbered"), (8, "Second numbered"),
    ]
    assert all(item.kind == "list" and item.section == "Action items" for item in items_of(text))


def test_nested_items_are_separate_items() -> None:
    text = (
        "## Action items\n\n"
        "- Fund the CI budget\n"
        "    - Turn actions back on\n"
        "    - Raise a budgeting process\n"
        "        1. Draft it\n"
        "- Document manual builds\n"
    )
    assert titles(text) == [
        (3, "Fund the CI budget"), (4, "Turn actions back on"), (5, "Raise a budgeting process"),
        (6, "Draft it"), (7, "Document manual builds"),
    ]


def test_wrapped_items_are_joined_with_single_spaces() -> None:
    text = (
        "## Action items\n\n"
        "- All gradle tests should run with the AAR workflow\n"
        "  as well - https://github.com/o/r/issues/48089.\n"
        "- Exclude plugins in a way that is resilient. OWNER:\n"
        "  blasten@ (DONE).\n"
        "- Lazy continuation lines\n"
        "are part of the item too\n"
    )
    found = items_of(text)
    assert [(i.line, i.title) for i in found] == [
        (3, ("All gradle tests should run with the AAR workflow as well - "
             "https://github.com/o/r/issues/48089.")),
        (5, "Exclude plugins in a way that is resilient. OWNER: blasten@ (DONE)."),
        (7, "Lazy continuation lines are part of the item too"),
    ]
    assert found[0].ticket is not None and found[0].ticket.url == "https://github.com/o/r/issues/48089"
    assert (found[1].owner, found[1].status) == ("blasten@", Status.DONE)
    assert [i.anchor for i in found] == [ListAnchor(3, 4), ListAnchor(5, 6), ListAnchor(7, 8)]


def test_an_item_ends_at_a_blank_line_and_keeps_only_its_first_paragraph() -> None:
    text = (
        "## Action items\n\n"
        "- Split read and write paths.\n\n"
        "  Read-only flags keep working when the writer is down.\n\n"
        "- Add circuit breakers.\n"
    )
    assert titles(text) == [(3, "Split read and write paths."), (7, "Add circuit breakers.")]


def test_detail_bullets_fill_in_the_item_above_them() -> None:
    text = (
        "**Date**: 2025-01-02\n\n## Action items\n\n### In progress\n\n"
        "- Add alerting for queue age\n"
        "  - Owner: @bob\n  - Due: Jan 20\n  - Status: blocked\n  - Ticket: OPS-7\n"
        "  - Priority: P1\n"
        "- [x] Second\n"
        "  - Investigate the consumer lag\n"
        "  - **Owner:** [Ann](https://example.com/ann)\n  - Status: open\n\n"
        "Some paragraph.\n\n"
        "  - Owner: @orphan\n"
    )
    found = items_of(text)
    assert [(i.line, i.title) for i in found] == [
        (7, "Add alerting for queue age"), (13, "Second"), (14, "Investigate the consumer lag"),
        (20, "Owner: @orphan"),  # after a paragraph the list is a new one, with no parent
    ]
    first, second, nested, _ = found
    assert (first.owner, first.due, first.due_raw) == ("@bob", date(2025, 1, 20), "Jan 20")
    assert (first.status, first.status_raw) == (Status.OPEN, "blocked")
    assert (first.ticket.display() if first.ticket else None, first.priority) == ("OPS-7", "P1")
    assert (second.owner, second.status) == ("Ann", Status.DONE)  # the checkbox wins
    assert (nested.owner, nested.status) == (None, Status.IN_PROGRESS)


def test_bare_markers_of_scraped_pages_take_the_next_line() -> None:
    text = "## Action items\n\n-\nRestart the payment service\n-\nAdd a pool alert\n"
    found = items_of(text)
    assert [(i.line, i.title) for i in found] == [
        (3, "Restart the payment service"), (5, "Add a pool alert"),
    ]
    assert found[0].anchor == ListAnchor(3, 4)


def test_empty_items_and_thematic_breaks_are_not_items() -> None:
    assert items_of("## Action items\n\n- \n* * *\n- [ ]\n---\n") == []


def test_items_are_sorted_with_table_items() -> None:
    text = (
        "## Action items\n\n- First as a bullet\n\n"
        "| Action | Owner |\n|---|---|\n| In the table | bob |\n\n- Last as a bullet\n"
    )
    assert [(i.line, i.kind) for i in items_of(text)] == [(3, "list"), (7, "table"), (9, "list")]


# --- titles and annotations ------------------------------------------------------------------


def test_title_drops_marker_checkbox_emoji_priority_and_label_but_keeps_markdown() -> None:
    text = (
        "## Action items\n\n"
        "- [ ] ✅ P1 **Action item:** Add `pool_size` alerts ([#12](https://github.com/o/r/issues/12))"
        " Owner: @ana\n"
    )
    item = only(text)
    assert item.title == "Add `pool_size` alerts ([#12](https://github.com/o/r/issues/12)) Owner: @ana"
    assert item.priority == "P1"
    assert item.owner == "@ana"
    assert item.ticket is not None and item.ticket.url == "https://github.com/o/r/issues/12"
    # The checkbox is the item's own state and wins over the emoji after it.
    assert (item.status, item.status_raw) == (Status.OPEN, "[ ]")


@pytest.mark.parametrize(
    ("line", "status", "raw"),
    [
        ("- [x] Patch the endpoint", Status.DONE, "[x]"),
        ("- [X] Patch the endpoint", Status.DONE, "[x]"),
        ("- [ ] Patch the endpoint", Status.OPEN, "[ ]"),
        ("- ✅ Patch the endpoint", Status.DONE, "✅"),
        ("- Patch the endpoint (Done)", Status.DONE, "Done"),
        ("- Patch the endpoint. **(Done as of 2021-06-30)**", Status.DONE, "Done as of 2021-06-30"),
        ("- Patch the endpoint DONE", Status.DONE, "DONE"),
        ("- TODO patch the endpoint", Status.OPEN, "TODO"),
        ("- Patch the endpoint. Status: in progress", Status.IN_PROGRESS, "in progress"),
        ("- Fixed endpoints must reject partial updates", None, None),
    ],
)
def test_status_annotations(line: str, status: Status | None, raw: str | None) -> None:
    item = only(f"## Action items\n\n{line}\n")
    assert (item.status, item.status_raw) == (status, raw)


def test_checkbox_anchor_points_at_the_mark() -> None:
    text = "## Action items\n\n  * [x] Remove bad data\n"
    item = only(text)
    assert isinstance(item.anchor, ListAnchor)
    assert item.anchor.checkbox == (5, 6)
    assert text.split("\n")[2][5] == "x"


def test_due_dates_only_when_explicit_and_year_inferred_from_the_incident() -> None:
    text = (
        "**Date**: 2025-10-01\n\n## Action items\n\n"
        "- Add statement timeouts, due 2025-10-10\n"
        "- Add pool alerts by Oct 15\n"
        "- Freeze production until 2025-11-20\n"
    )
    found = items_of(text)
    assert [(i.due, i.due_raw) for i in found] == [
        (date(2025, 10, 10), "2025-10-10"), (date(2025, 10, 15), "Oct 15"), (None, None),
    ]


def test_tickets_of_every_kind() -> None:
    text = (
        "## Follow-up improvements\n\n"
        "- #2127\n"
        "- Raise limits (PAY-88)\n"
        "- Document it ([#294][issue-294]).\n"
        "- Add a test as described in b/343765967\n"
        "- Patch CVE-2022-25878\n\n"
        "[issue-294]: https://github.com/o/r/issues/294\n"
    )
    assert [i.ticket.display() if i.ticket else None for i in items_of(text)] == [
        "#2127", "PAY-88", "https://github.com/o/r/issues/294", "b/343765967", None,
    ]


def test_placeholder_items_are_template_rows_not_items() -> None:
    parsed = parse("## Action items\n\n- [Specific, measurable action]\n- Real item\n")
    assert [i.title for i in parsed.items] == ["Real item"]
    assert parsed.template_rows == (3,)


# --- sections --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "heading",
    [
        "## Action items", "## Action Items & Followups", "### Corrective actions",
        "## Corrective and Preventative Measures", "## Preventive measures", "## Follow-ups",
        "## Follow-up improvements", "## Remediation", "## Next steps", "## Action points",
        "## Improving Recovery Procedures", "## Looking Forward", "# Action items",
        "**Action items**", "**Action Items:**", "Action items", "Action items:",
        "**Action Items**:^[165](https://example.com/#fn165)^",
    ],
)
def test_action_section_headings(heading: str) -> None:
    text = f"# Outage report\n\nSome summary.\n\n{heading}\n\n- Add an alert\n"
    assert titles(text) == [(7, "Add an alert")]


@pytest.mark.parametrize(
    "heading",
    [
        "## Timeline", "## Lessons learned", "## What went well", "## What went wrong",
        "## Where we got lucky", "## 5 Whys", "## Recovery", "## References",
        "## Actions taken during the incident", "## Follow-up timeline", "## Root cause",
        "## Supporting information", "What went well:", "## Recommendations",
        "## Follow-up on the checkout outage of May 3 and what it cost",
    ],
)
def test_other_sections_hold_no_items(heading: str) -> None:
    assert items_of(f"# Outage report\n\n{heading}\n\n- Restarted the service\n") == []


def test_a_title_heading_does_not_make_the_whole_document_an_action_section() -> None:
    text = "# Follow-up: checkout outage\n\n## Impact\n\n- 4% of orders failed\n"
    assert items_of(text) == []


def test_section_ends_at_a_heading_of_the_same_level_and_spans_sub_headings() -> None:
    text = (
        "## Action items\n\n- Top\n\n### Detection\n\n- Alert on saturation\n\n"
        "#### Process\n\n- Page earlier\n\n## Timeline\n\n- 10:00 alert fired\n"
    )
    found = items_of(text)
    assert [(i.line, i.title, i.section) for i in found] == [
        (3, "Top", "Action items"), (7, "Alert on saturation", "Detection"),
        (11, "Page earlier", "Process"),
    ]


def test_non_item_sub_headings_inside_an_action_section() -> None:
    text = (
        "## Action items\n\n- Real item\n\n### Timeline\n\n- 10:00 paged\n\n"
        "### Lessons learned\n\n- Alerts work\n\n### Fixes\n\n- Patch the client\n"
    )
    assert titles(text) == [(3, "Real item"), (15, "Patch the client")]


def test_sub_headings_pass_their_status_and_ticket_down() -> None:
    text = (
        "## Remediation\n\n"
        "### Immediate Actions (Completed)\n\n- Move timeouts to config\n\n"
        "### Short-term Improvements (In Progress - [GitHub Issue #39133]"
        "(https://github.com/o/r/issues/39133))\n\n- Split read and write pools\n"
        "- [ ] Add circuit breakers\n\n"
        "### Long-term Improvements (Q4 2025 - Q1 2026)\n\n- Quarterly drills\n\n"
        "### Completed\n\n- Bumped timeouts (PAY-1)\n"
    )
    found = items_of(text)
    assert [(i.status, i.status_raw) for i in found] == [
        (Status.DONE, "Completed"), (Status.IN_PROGRESS, "In Progress"), (Status.OPEN, "[ ]"),
        (None, None), (Status.DONE, "Completed"),
    ]
    assert [i.ticket.display() if i.ticket else None for i in found] == [
        None, "https://github.com/o/r/issues/39133", "https://github.com/o/r/issues/39133", None,
        "PAY-1",
    ]


def test_bold_sub_headings_under_a_bold_action_heading() -> None:
    text = (
        "Incident report\n\n**Action items**\n\n**Completed**\n\n- Rotated keys\n\n"
        "**In Progress**\n\n- Vault migration\n\n**What went well**\n\n- Fast page\n"
    )
    found = items_of(text)
    assert [(i.title, i.status) for i in found] == [
        ("Rotated keys", Status.DONE), ("Vault migration", Status.IN_PROGRESS),
    ]


def test_lists_are_read_only_beside_the_action_table_when_there_is_one() -> None:
    text = (
        "## Action Items\n\n"
        "| ID | Action | Owner | Status |\n|---|---|---|---|\n| 1 | Add leak detection | Ann | Open |\n\n"
        "- Also track the pool size\n\n"
        "## Preventive Measures\n\n### Technical Improvements\n\n1. Use a pooler everywhere\n\n"
        "## Postmortem best practices\n\n**Follow-up:**\n- Weekly check-ins\n"
    )
    assert [(i.line, i.kind, i.title) for i in items_of(text)] == [
        (5, "table", "Add leak detection"), (7, "list", "Also track the pool size"),
    ]


def test_a_table_outside_any_action_section_keeps_every_list_out() -> None:
    text = (
        "| Action Item | Owner |\n|---|---|\n| Add logs | core |\n\n"
        "## Next steps\n\n- Not read: the document tracks its items in the table\n"
    )
    assert [i.kind for i in items_of(text)] == ["table"]


def test_labelled_paragraphs_are_items_anywhere() -> None:
    text = (
        "## Disclosure path\n\nSome projects were not told.\n\n"
        "Action point: create an announce list\nfor dependent projects.\n"
        "- This has been done.\n\n"
        "## Remediation\n\n**Action item:** Start incidents earlier. Owner: @luca\n"
    )
    found = items_of(text)
    assert [(i.line, i.title, i.owner) for i in found] == [
        (5, "create an announce list for dependent projects.", None),
        (11, "Start incidents earlier. Owner: @luca", "@luca"),
    ]
    assert found[0].anchor == ListAnchor(5, 6)


def test_labelled_list_item_outside_an_action_section_is_found_once() -> None:
    text = "## Notes\n\n- Action item: rotate the keys\n- Not an item\n"
    assert titles(text) == [(3, "rotate the keys")]


def test_code_blocks_comments_and_quotes_hold_no_items() -> None:
    text = (
        "## Action items\n\n```\n- not an item\n```\n\n"
        "<!--\n- not an item either\n-->\n\n> - quoted, not ours\n\n- Real item\n"
    )
    assert titles(text) == [(13, "Real item")]


def test_crlf_documents_give_the_same_items() -> None:
    text = "## Action items\n\n- [ ] Add an alert\n  for the queue\n- Second (Done)\n"
    lf = items_of(text)
    crlf = items_of(text.replace("\n", "\r\n"))
    assert [(i.line, i.title, i.status, i.anchor) for i in crlf] == [
        (i.line, i.title, i.status, i.anchor) for i in lf
    ]
    assert [i.title for i in crlf] == ["Add an alert for the queue", "Second (Done)"]


@pytest.mark.parametrize(
    ("heading", "expected"),
    [("Action items", True), ("Improvements", True), ("What could be improved", False),
     ("Actionable items", False), ("Preventive measures", True), ("Prevention", False)],
)
def test_is_action_heading(heading: str, expected: bool) -> None:
    assert is_action_heading(heading) is expected


# --- write-back ------------------------------------------------------------------------------


def _ticket_changes(parsed: ParsedDocument) -> list[ItemChange]:
    """A ticket link for every item without one; each checkbox flipped."""
    changes = []
    for number, item in enumerate(parsed.items, start=1):
        anchor = item.anchor
        assert isinstance(anchor, ListAnchor)
        link = f"[OPS-{number}](https://jira.example.com/browse/OPS-{number})"
        checked = None if anchor.checkbox is None else item.status != Status.DONE
        changes.append(ItemChange(item, ticket=None if item.ticket else link, checked=checked))
    return changes


@pytest.mark.parametrize("name", ["bullets", "checkboxes", "nested", "wrapped", "crlf"])
def test_golden_write_back(name: str) -> None:
    before = (DATA / f"{name}.before.md").read_bytes()
    after = (DATA / f"{name}.after.md").read_bytes()
    doc = parse_document(Path(f"{name}.md"), before)
    parsed = parse_list_items(parse_items(doc), ParseOptions())
    assert parsed.items, "the golden document must have list items"
    assert render(doc, edits_for_changes(doc, _ticket_changes(parsed))) == after
    # Written once, nothing is left to write: every item now has a ticket, every box its state.
    again = parse_document(Path(f"{name}.md"), after)
    reparsed = parse_list_items(parse_items(again), ParseOptions())
    assert [i.line for i in reparsed.items] == [i.line for i in parsed.items]
    assert all(i.ticket is not None for i in reparsed.items)
    # An item keeps its key when pmsync appends its link, so it is still the same item.
    assert [i.key for i in reparsed.items] == [i.key for i in parsed.items]


def test_golden_crlf_file_really_has_crlf_endings() -> None:
    raw = (DATA / "crlf.before.md").read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") > 0


_WORDS = st.text(alphabet="abcdefgh ", min_size=1, max_size=12).map(str.strip).filter(bool)


@st.composite
def list_documents(draw: st.DrawFn) -> tuple[str, int]:
    """An action-item section of bullets, some nested, some wrapped, some with checkboxes."""
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    lines = ["## Action items", ""]
    count = draw(st.integers(min_value=1, max_value=6))
    for _ in range(count):
        indent = draw(st.sampled_from(["", "", "  ", "    "])) if len(lines) > 2 else ""
        box = draw(st.sampled_from(["", "[ ] ", "[x] "]))
        lines.append(f"{indent}- {box}Fix {draw(_WORDS)}{draw(st.sampled_from(['', '  ']))}")
        if draw(st.booleans()):
            lines.append(f"{indent}  and {draw(_WORDS)}")
    return ending.join(lines) + ending, count


@settings(max_examples=60, deadline=None)
@given(list_documents())
def test_write_back_changes_nothing_but_the_owned_text(case: tuple[str, int]) -> None:
    text, count = case
    doc = parse_document(Path("pm.md"), text.encode())
    parsed = parse_list_items(parse_items(doc), ParseOptions())
    assert len(parsed.items) == count
    new = render(doc, edits_for_changes(doc, _ticket_changes(parsed))).decode()
    # Undo exactly what pmsync owns (the links it appended, the marks it flipped): the rest of
    # the document must be byte-for-byte what it was, line endings and trailing spaces included.
    restored = new
    for number in range(1, count + 1):
        restored = restored.replace(f" ([OPS-{number}](https://jira.example.com/browse/OPS-{number}))", "", 1)
    flipped = {"[ ] ": "[x] ", "[x] ": "[ ] "}
    restored_lines = restored.split("\n")
    original_lines = text.split("\n")
    for index, (old, now) in enumerate(zip(original_lines, restored_lines)):
        for mark, other in flipped.items():
            if f"- {mark}" in old:
                restored_lines[index] = now.replace(f"- {other}", f"- {mark}", 1)
    assert "\n".join(restored_lines) == text


# --- the shared corpus -----------------------------------------------------------------------


def _corpus(kind: str) -> list[Path]:
    folder = CORPUS / kind
    if not folder.is_dir():
        pytest.skip(f"shared corpus not found at {folder} (it lives beside the repository)")
    return sorted(folder.glob("*.md"))


@pytest.mark.shared
def test_dev_corpus_items_match_the_gold_labels() -> None:
    matched = missed = extra = 0
    for path in _corpus("dev"):
        gold_path = path.with_name(path.name[: -len(".md")] + ".gold.json")
        if not gold_path.exists():
            continue
        gold = {label["line"]: label for label in json.loads(gold_path.read_text())}
        doc = parse_document(path, path.read_bytes())
        found = {i.line: i for i in parse_list_items(parse_items(doc), ParseOptions()).items}
        missed += len(set(gold) - set(found))
        extra += len(set(found) - set(gold))
        for line in set(gold) & set(found):
            label, item = gold[line], found[line]
            matched += 1
            where = (path.name, line)
            assert label["title"].casefold() in item.title.casefold(), where
            assert (item.status.value if item.status else None) == label["status"], where
            assert (item.ticket.display() if item.ticket else None) == label["ticket"], where
            assert item.owner == label["owner"], where
    assert matched > 100
    assert missed <= 0.05 * matched and extra <= 0.05 * matched, (missed, extra)


@pytest.mark.shared
def test_eval_corpus_documents_are_read_and_checked_without_errors() -> None:
    for path in _corpus("eval"):
        doc = parse_document(path, path.read_bytes())
        parsed = parse_list_items(parse_items(doc), ParseOptions())
        lines = [i.line for i in parsed.items]
        assert lines == sorted(set(lines)), path.name
        assert all(i.title.strip() for i in parsed.items), path.name
        check_document(parsed, date(2026, 1, 1))


@settings(max_examples=300)
@given(st.lists(st.sampled_from([
    "Action items", ":", " ", "\t", "\u00a0", "*", "**", "_", "~~", "`", "[", "]", "(", ")",
    "](x)", "<br>", "<", ">", "^", "\\|", "|", "!", '"', "a", "[Next steps:", ":](x)",
    "^[[1]](x)^", "Follow-ups:<", "[Next steps:](x)", "Remediation: ^[[2]](y)",
]), max_size=10).map("".join))
@example("[Next steps:](https://x)")
@example("Action items: <br>")
@example("Follow-ups: ^[[1]](x)^")
@example("**Action items:** \u00a0_")
@example("~~Action items:~~")
def test_label_line_pre_check_never_misses_a_line_that_ends_with_a_colon(text: str) -> None:
    """A line is read as a label line only when its plain text ends with a colon: the cheap
    test before that reading lets every such line through."""
    from syncer.markdown.inline import strip_markdown, sub_kept
    from syncer.parse.list_items import _FOOTNOTE_OR_SKIP, _MAY_END_WITH_COLON

    if strip_markdown(sub_kept(_FOOTNOTE_OR_SKIP, "", text)).strip().endswith(":"):
        assert _MAY_END_WITH_COLON.search(text)


@given(st.text(alphabet=" \t\u00a0\x0baAfFbZ-*+_=[]>|1:é", max_size=12))
def test_a_line_opening_with_a_letter_other_than_a_or_f_continues_a_paragraph(text: str) -> None:
    """The shortcut in _continues: such a line is no marker, break, definition, quote, table
    row or label."""
    from syncer.parse.annotations import starts_with_label
    from syncer.parse.list_items import _LINK_DEFINITION, _MARKER, _THEMATIC_BREAK

    first = text.lstrip()[:1]
    if first.isalpha() and first not in ("a", "A", "f", "F"):
        assert not _MARKER.match(text) and not _THEMATIC_BREAK.match(text)
        assert not _LINK_DEFINITION.match(text) and not text.lstrip().startswith((">", "|"))
        assert not starts_with_label(text)


_SCAN_PIECES = [
    "- ", "* ", "+ ", "1. ", "2) ", "  ", "    ", "\t", " ", "-", "*", "- - -", "***", "[ ] ", "[x] ",
    "Action item: ", "**Action point:** ", "Follow-up:", "follow up: x", "Next steps:",
    "Timeline:", "text", "Another", "fix it", "> ", "| a |", "[ref]: https://x", "#", "## H",
    "```", "~~~", "<!--", "-->", "_", "=", "\u00a0", ":", "a",
    "-\t", "*  ", "\u2003", "**Owner:** x", "- **b**", "Impact:**", "\u00a0**Action item:** x",
]


def _scan(texts: list[str]) -> tuple[list[tuple[int, str]], list[ListEntry]]:
    from syncer.parse.list_items import _outline_headings, scan_lines

    doc = parse_document(Path("x.md"), "\n".join(texts).encode())
    taken = frozenset(h.line for h in _outline_headings(build_outline(doc))) | doc.hidden
    labels, entries = scan_lines(doc, taken)
    return [(label.line, label.text) for label in labels], entries


def test_scan_reads_label_lines_nested_items_and_continued_paragraphs() -> None:
    labels, entries = _scan(["- a", "  continued", "Action items:", "- b", "", "  - c", "Next steps:", "x"])
    assert labels == [(3, "Action items"), (7, "Next steps")]
    assert entries == [ListEntry(1, 2, "a continued"), ListEntry(4, 4, "b"), ListEntry(6, 6, "c", parent=4)]


def test_scan_ends_paragraphs_at_labels_breaks_quotes_and_definitions() -> None:
    labels, entries = _scan(["- a", "lazy", "Action point: x", "- - -", "* b", "> q", "1. c", "[x]: y"])
    assert labels == []
    assert entries == [ListEntry(1, 2, "a lazy"), ListEntry(3, 3, "Action point: x"),
                       ListEntry(5, 5, "b"), ListEntry(7, 7, "c")]


_LINE_PIECES = [
    "-", "*", "+", "_", "=", "1.", "2)", " ", "  ", "\t", "\u00a0", "\u2003", "\x0b", "\r", ":", ")",
    "^", ">", "|", "`", "~", "**", "__", "[ ]", "[x]", "a", "A", "f", "F", "Action item:",
    "follow-up:", "Next steps:", "x", "é",
]


@settings(max_examples=500)
@given(st.lists(st.sampled_from(_LINE_PIECES), max_size=8).map("".join))
@example("- - -")
@example("* **bold**")
@example("Next steps:\u2003")
@example("\u00a0**Action item:** x")
def test_scan_shortcuts_agree_with_the_patterns_they_stand_for(text: str) -> None:
    """The cheap test in _list_marker says what the regex behind it would say, or lets the
    line through to it."""
    from syncer.parse.list_items import (
        _MARKER,
        _THEMATIC_BREAK,
    )

    marker = _MARKER.match(text)
    if marker is not None and _THEMATIC_BREAK.match(text):
        # A break that looks like a list item repeats its marker right after it.
        indent = len(marker.group("indent"))
        assert text[marker.end()] == text[indent]


def test_the_place_above_every_heading_is_the_place_of_no_headings() -> None:
    from syncer.parse.list_items import _TOP, _Place

    assert _Place.of([]) == _TOP


_PRUNE_PIECES = [
    *_SCAN_PIECES, "## Action items", "# Title", "## Timeline", "Owner: @bob", "Due: 2026-05-01",
    "  - ", "    - ", "action", "Follow", "\u00e9", "- **Work agreed**:", "- What went well:",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PRUNE_PIECES), max_size=4).map("".join), max_size=14))
@example(["- Action item: fix", "  - Owner: @bob", "- plain", "  - Owner: @al", "Next steps:", "- b"])
@example(["- a", "  - Action point: x", "    - Due: 2026-05-01", "## Action items", "- c"])
@example(["# Action items", "- a", "**Action items:**", "- b", "  - Owner: @c"])
@example(["- a", "- **Work agreed**:", "  - b", "    - Owner: @c", "- d"])
def test_entries_left_out_above_the_first_action_heading_would_have_made_nothing(
    texts: list[str],
) -> None:
    """scan_lines leaves out entries above the first heading that names action items when they
    can become no item and fill in no item: the items read from what it keeps are those read
    from every entry."""
    from syncer.parse.list_items import (
        _first_action_heading,
        _line_of,
        _outline_headings,
        _read_entries,
        scan_lines,
    )
    from syncer.parse.sections import Sections

    doc = parse_document(Path("x.md"), "\n".join(texts).encode())
    parsed = parse_items(doc)
    outline_headings = _outline_headings(parsed.outline)
    table_lines = frozenset(r.line.number for t in parsed.tables for r in t.all_rows)
    taken = frozenset(h.line for h in outline_headings) | table_lines | doc.hidden
    labels, every_entry = scan_lines(doc, taken)
    pruned_labels, kept = scan_lines(doc, taken, _first_action_heading(outline_headings))
    assert pruned_labels == labels
    assert set(kept) <= set(every_entry)
    sections = Sections.of(sorted([*outline_headings, *labels], key=_line_of))
    options = ParseOptions()
    assert _read_entries(parsed, kept, sections, options) == _read_entries(
        parsed, every_entry, sections, options
    )


# --- existing references in later paragraphs and reference-style links ---------------------


def test_ticket_in_a_later_paragraph_of_the_same_item() -> None:
    text = (
        "## Action items\n\n"
        "- Add alerts on the queue\n\n  ![graph](queue.png)\n\n"
        "  Tracked in https://github.com/o/r/issues/7\n"
        "- Second item\n\n  ```\n  see #99\n  ```\n\n  Done in OPS-5.\n"
        "- Third item\n\nA paragraph outside the list, #5.\n"
    )
    tickets = [(item.line, item.ticket.key if item.ticket else None) for item in items_of(text)]
    assert tickets == [(3, "#7"), (8, "OPS-5"), (15, None)]


def test_item_that_opens_with_a_shortcut_reference_and_a_definition_on_two_lines() -> None:
    text = (
        "## Action items\n\n- [TASK-12]: add a retry\n- [task-13]: add a limit\n"
        "- Rotate keys [task-14]\n\n"
        "[task-13]:\n    https://github.com/o/r/issues/13\n"
        "[task-14]:\n  https://jira.example.com/browse/OPS-14\n"
    )
    assert [item.ticket.key if item.ticket else None for item in items_of(text)] == [
        "TASK-12", "#13", "OPS-14",
    ]


def test_autolink_is_a_link_not_a_placeholder() -> None:
    item = only("## Action items\n\n- <https://github.com/o/r/issues/63>\n")
    assert item.ticket is not None and item.ticket.key == "#63"
