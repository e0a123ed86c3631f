from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncer.errors import InputError, WriteConflictError
from syncer.markdown.document import parse_document, read_document
from syncer.markdown.tables import find_tables
from syncer.model import ActionItem
from syncer.parse.table_items import parse_items
from syncer.sync.edits import (
    ItemChange,
    TextEdit,
    add_column,
    apply_edits,
    escape_cell,
    plan_edits,
    render,
    set_cell,
    ticket_cell_value,
    write_atomic,
)
from tests.conftest import DATA

GOLDEN = sorted((DATA / "writeback").glob("*.before.md"))


def golden_changes(items: tuple[ActionItem, ...]) -> list[ItemChange]:
    """The changes every golden file gets: a ticket link per unlinked item, Done on the first."""
    return [
        ItemChange(item, ticket=None if item.ticket else f"[OPS-{n}](https://jira.example/browse/OPS-{n})",
                   status="Done" if n == 1 else None)
        for n, item in enumerate(items, start=1)
    ]


@pytest.mark.parametrize("before", GOLDEN, ids=lambda p: p.name.split(".")[0])
def test_golden_write_back(before: Path):
    doc = read_document(before)
    parsed = parse_items(doc)
    assert parsed.items, "golden input must have items"
    result = render(doc, plan_edits(doc, golden_changes(parsed.items)))
    assert result == before.with_name(before.name.replace(".before.", ".after.")).read_bytes()


@pytest.mark.parametrize("before", GOLDEN, ids=lambda p: p.name.split(".")[0])
def test_golden_result_reads_back_with_the_new_tickets(before: Path, tmp_path: Path):
    after = tmp_path / "after.md"
    after.write_bytes(before.with_name(before.name.replace(".before.", ".after.")).read_bytes())
    items = parse_items(read_document(after)).items
    assert all(item.ticket is not None for item in items)
    assert items[0].status is not None and items[0].status.value == "done"


def test_golden_lines_outside_tables_are_untouched():
    for before in GOLDEN:
        old = before.read_bytes().split(b"\n")
        new = before.with_name(before.name.replace(".before.", ".after.")).read_bytes().split(b"\n")
        assert len(old) == len(new)
        changed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
        assert all(b"|" in old[i] for i in changed), before.name
        # every line keeps its own ending
        assert all(a.endswith(b"\r") == b.endswith(b"\r") for a, b in zip(old, new))


def test_set_cell_keeps_width_when_value_fits():
    (table,) = find_tables(parse_document(Path("t.md"), b"| A        | B |\n|---|---|\n| x        | y |\n"))
    edit = set_cell(table.rows[0], 0, "Done")
    assert apply_edits(table.rows[0].line.text, [TextEdit(edit.start - table.rows[0].line.start, edit.end - table.rows[0].line.start, edit.text)]) == "| Done     | y |"


def test_set_cell_grows_when_value_is_longer():
    (table,) = find_tables(parse_document(Path("t.md"), b"|A|B|\n|-|-|\n|x|y|\n"))
    edit = set_cell(table.rows[0], 1, "longer")
    assert edit.text == "longer"


def test_set_cell_on_missing_cell_is_refused():
    (table,) = find_tables(parse_document(Path("t.md"), b"| A | B | C |\n|---|---|---|\n| x |\n"))
    with pytest.raises(InputError, match="fewer than the header"):
        set_cell(table.rows[0], 2, "v")


def test_add_column_pads_short_rows_and_refuses_long_rows():
    doc = parse_document(Path("t.md"), b"| A | B |\n|---|---|\n| x |\n")
    (table,) = find_tables(doc)
    new = apply_edits(doc.text, add_column(table, "Ticket", {3: "T-1"}))
    assert new.splitlines()[2] == "| x |  | T-1 |"
    doc = parse_document(Path("t.md"), b"| A | B |\n|---|---|\n| x | y | z |\n")
    with pytest.raises(InputError, match="more than the header"):
        add_column(find_tables(doc)[0], "Ticket", {})


def test_ticket_cell_keeps_what_people_wrote():
    assert ticket_cell_value("", "[A-1](u)") == "[A-1](u)"
    assert ticket_cell_value("-", "[A-1](u)") == "[A-1](u)"
    assert ticket_cell_value("[Ticket]", "[A-1](u)") == "[A-1](u)"
    assert ticket_cell_value("n/a DONE", "[A-1](u)") == "n/a DONE [A-1](u)"


def test_escape_cell():
    assert escape_cell("a | b") == "a \\| b"
    assert escape_cell("a \\| b `c|d`") == "a \\| b `c|d`"
    assert escape_cell("two\nlines") == "two lines"


def test_overlapping_edits_are_rejected():
    with pytest.raises(ValueError, match="overlapping"):
        apply_edits("abcdef", [TextEdit(0, 3, "x"), TextEdit(2, 4, "y")])


def test_write_atomic_keeps_permissions_and_refuses_changed_file(tmp_path: Path):
    path = tmp_path / "pm.md"
    path.write_bytes(b"| Action | Owner |\n|---|---|\n| a | b |\n")
    path.chmod(0o640)
    doc = read_document(path)
    assert write_atomic(doc, doc.raw) is False
    assert write_atomic(doc, doc.raw + b"x\n") is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_bytes().endswith(b"x\n")
    with pytest.raises(WriteConflictError, match="changed on disk"):
        write_atomic(doc, doc.raw + b"y\n")
    assert [p.name for p in tmp_path.iterdir()] == ["pm.md"]


def test_document_that_does_not_roundtrip_is_never_rewritten(tmp_path: Path):
    # cp1252 cannot encode every character that decodes into; simulate by a doc whose text
    # was altered so its bytes no longer match (roundtrips is False).
    doc = parse_document(tmp_path / "x.md", b"| Action | Owner |\n|---|---|\n| a | b |\n")
    broken = doc.__class__(**{**doc.__dict__, "raw": doc.raw + b"\xff"})
    with pytest.raises(InputError, match="byte-for-byte"):
        render(broken, [TextEdit(0, 0, "x")])


# --- properties -----------------------------------------------------------------------------

text_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
endings = st.sampled_from(["\n", "\r\n"])
cells = st.text(alphabet=st.sampled_from(list("abc xyzé€😀`\\|-:*[]()#@")), max_size=12)


@st.composite
def markdown_docs(draw: st.DrawFn) -> bytes:
    """Random Markdown: free lines and tables with random padding, endings, BOM, non-ASCII."""
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            parts.append(draw(st.text(alphabet=text_chars, max_size=40)).replace("\n", " ") + draw(endings))
            continue
        width = draw(st.integers(1, 4))
        pad = draw(st.sampled_from(["", " ", "  "]))
        header = ["Action", "Owner", "Status", "Ticket"][:width]
        rows = [header, ["---"] * width] + [
            [draw(cells).strip("|") or "v" for _ in range(width)] for _ in range(draw(st.integers(0, 3)))
        ]
        for row in rows:
            parts.append("|" + "|".join(f"{pad}{c}{pad}" for c in row) + "|" + draw(st.sampled_from(["", "  "])) + draw(endings))
    text = "".join(parts)
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode("utf-8")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_docs())
def test_no_op_edits_return_identical_bytes(raw: bytes):
    doc = parse_document(Path("p.md"), raw)
    edits = []
    for table in find_tables(doc):
        for row in table.all_rows:
            for cell in row.cells:
                start = row.line.start + cell.content_start
                end = row.line.start + cell.content_end
                edits.append(TextEdit(start, end, doc.text[start:end]))
    assert render(doc, edits) == raw


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_docs())
def test_setting_a_cell_to_its_own_text_is_a_no_op(raw: bytes):
    doc = parse_document(Path("p.md"), raw)
    # A lone "\r" is a line ending to CommonMark but not to pmsync's line reader, so a cell can
    # hold one; set_cell flattens it like any line break (a value must stay on its one line).
    edits = [set_cell(row, i, cell.raw.strip()) for t in find_tables(doc) for row in t.rows
             for i, cell in enumerate(row.cells) if "\r" not in cell.raw]
    assert render(doc, edits) == raw


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_render_without_edits_is_identity_for_any_bytes(raw: bytes):
    try:
        doc = parse_document(Path("p.md"), raw)
    except InputError:
        return  # binary or undecodable input is refused before anything could be written
    assert render(doc, []) == raw


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_docs(), st.text(alphabet=st.sampled_from(list("OPS-123 [](:/.)|é")), min_size=1, max_size=30))
def test_ticket_edits_touch_only_their_cells(raw: bytes, value: str):
    doc = parse_document(Path("p.md"), raw)
    parsed = parse_items(doc)
    changes = [ItemChange(item, ticket=value) for item in parsed.items]
    try:
        edits = plan_edits(doc, changes)
    except InputError as exc:
        # A ragged row (two tables without a blank line between them) is refused, nothing written.
        assert ("more than the header" in str(exc) or "fewer than the header" in str(exc)) and exc.line
        return
    new = render(doc, edits).decode("utf-8-sig")
    old_lines = doc.text.split("\n")
    new_lines = new.split("\n")
    assert len(old_lines) == len(new_lines)
    table_lines = {r.line.number for i in parsed.items for r in i.anchor.table.all_rows}  # type: ignore[union-attr]
    for number, (a, b) in enumerate(zip(old_lines, new_lines), start=1):
        if number not in table_lines:
            assert a == b
        assert a.endswith("\r") == b.endswith("\r")
    if parsed.items:
        again = parse_items(parse_document(Path("p.md"), new.encode()))
        assert [i.title for i in again.items] == [i.title for i in parsed.items]


def test_relink_replaces_the_old_link_in_the_items_own_lines_only():
    old, new = "[OPS-9](https://j/browse/OPS-9)", "[OPS-2](https://j/browse/OPS-2)"
    text = (f"## Action items\n\n| Action | Ticket |\n|---|---|\n| a | {old} |\n| b | {old} |\n\n"
            f"- [ ] Rotate the webhook signing secret ({old})\n")
    doc = parse_document(Path("pm.md"), text.encode())
    from syncer.parse.list_items import parse_list_items
    from syncer.parse.table_items import ParseOptions

    items = parse_list_items(parse_items(doc), ParseOptions()).items
    assert [i.title[:6] for i in items] == ["a", "b", "Rotate"]
    changes = [ItemChange(item, relink=((old, new),)) for item in (items[0], items[2])]
    assert render(doc, plan_edits(doc, changes)).decode() == (
        f"## Action items\n\n| Action | Ticket |\n|---|---|\n| a | {new} |\n| b | {old} |\n\n"
        f"- [ ] Rotate the webhook signing secret ({new})\n")
