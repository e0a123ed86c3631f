from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from syncer.markdown.document import Line, parse_document
from syncer.markdown.tables import find_tables, pipe_positions, split_row


def tables_of(text: str):
    return find_tables(parse_document(Path("t.md"), text.encode()))


def test_escaped_pipe_and_inline_code_stay_in_cell():
    (table,) = tables_of("| A | B |\n|---|---|\n| x \\| y | `a | b` |\n")
    assert table.rows[0].texts == ("x | y", "`a | b`")


def test_double_backtick_code_span():
    (table,) = tables_of("| A | B |\n|---|---|\n| ``a ` | b`` | c |\n")
    assert table.rows[0].texts == ("``a ` | b``", "c")


def test_rows_without_edge_pipes():
    (table,) = tables_of("A | B\n--- | ---\nx | y\n")
    assert table.header.texts == ("A", "B")
    assert table.rows[0].texts == ("x", "y")
    assert table.rows[0].closing_pipe is None


def test_cell_spans_point_at_the_text():
    (table,) = tables_of("| Action   | Owner |\n|:--|--:|\n|  Fix it  | @a |   \n")
    row = table.rows[0]
    line = row.line.text
    assert [line[c.content_start:c.content_end] for c in row.cells] == ["Fix it", "@a"]
    assert [line[c.start:c.end] for c in row.cells] == ["  Fix it  ", " @a "]
    assert line[row.closing_pipe] == "|"


def test_header_and_delimiter_must_agree():
    assert tables_of("| A | B |\n|---|\n| x | y |\n") == []


def test_table_ends_at_blank_line_or_line_without_pipe():
    (table,) = tables_of("| A | B |\n|---|---|\n| 1 | 2 |\n\n| 3 | 4 |\n")
    assert len(table.rows) == 1
    (table,) = tables_of("| A | B |\n|---|---|\n| 1 | 2 |\nplain text\n")
    assert table.last_line == 3


def test_tables_in_code_and_quotes_are_ignored():
    text = "```\n| A | B |\n|---|---|\n```\n> | A | B |\n> |---|---|\n"
    assert tables_of(text) == []


def test_header_only_table():
    (table,) = tables_of("| A | B |\n|---|---|\n")
    assert table.rows == () and table.last_line == 2


def test_split_row_returns_none_without_pipes():

    assert split_row(Line(1, 0, "no pipes here", "\n")) is None
    assert split_row(Line(1, 0, "`a|b` only code", "\n")) is None


@given(st.text(alphabet=st.sampled_from(["a", " ", "|", "\\", "`", "x", "\t"]), max_size=40))
def test_cells_span_exactly_the_text_between_pipes(text: str):
    row = split_row(Line(1, 0, text, "\n"))
    if row is None:
        return
    for cell in row.cells:
        assert text[cell.start : cell.end] == cell.raw
        assert cell.start <= cell.content_start <= cell.content_end <= cell.end
        assert text[cell.content_start : cell.content_end] == cell.raw.strip()
    if "`" not in text and "\\" not in text:  # the fast path: every pipe separates cells
        assert pipe_positions(text) == [i for i, c in enumerate(text) if c == "|"]


def _pipe_positions_reference(text: str) -> list[int]:
    """Character by character: skip escapes and code spans, keep the other pipes."""
    positions = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "`":
            run = len(text) - i - len(text[i:].lstrip("`"))
            close = text.find("`" * run, i + run)
            while close != -1 and text[close + run : close + run + 1] == "`":
                close = text.find("`" * run, close + run + 1)
            if close != -1:
                i = close + run
                continue
            i += run
            continue
        if char == "|":
            positions.append(i)
        i += 1
    return positions


_ROW_TEXT = st.text(alphabet=st.sampled_from(["a", " ", "|", "\\", "`", "x", "\t", "\u00a0", "-"]),
                    max_size=40)


@given(_ROW_TEXT)
def test_pipe_positions_match_the_reference(text: str):
    assert pipe_positions(text) == _pipe_positions_reference(text)


@given(_ROW_TEXT)
def test_row_texts_are_the_trimmed_cells_between_the_bounds(text: str):
    """Row.texts (split once, the fast way) agree with the cells cut out at Row.bounds."""
    row = split_row(Line(1, 0, text, "\n"))
    if not _pipe_positions_reference(text):
        assert row is None
        return
    assert row is not None
    assert row.texts == tuple(cell.text for cell in row.cells)
    assert row.width == len(row.bounds) - 1
    if row.closing_pipe is not None:
        assert text[row.closing_pipe] == "|" and text[row.closing_pipe + 1 :].strip() == ""


_TABLE_LINES = st.sampled_from([
    "| A | B |", "|---|---|", "| x | y |", "|x|y|", "x | y", "| a | b | c |", "|  | `a|b` |",
    "| `c` | d |", "| e \\| f | g |", "\t| h |  i |\t", "> | q | r |", "|", "| - |", "```", "",
    "plain", "    | indented | code |", "|:--|--:|", " |  a  |  b  | ", "| ` | x | ` |",
    "| x |  |  |", "| z |", "|  | y |", "| \\` | ` |", "<!-- | c | -->", "-->",
])
_TABLE_HEADS = st.sampled_from([
    ("| A | B |", "|---|---|"), ("A | B", "--- | ---"), ("| A | B | C |", "|:--|:-:|--:|"),
])
# Documents of tables (a header and a delimiter, then lines likely to be rows) and other lines.
_DOCUMENT_LINES = st.lists(
    st.one_of(
        st.tuples(_TABLE_HEADS, st.lists(_TABLE_LINES, max_size=6)).map(lambda t: [*t[0], *t[1]]),
        _TABLE_LINES.map(lambda line: [line]),
    ),
    max_size=5,
).map(lambda blocks: [line for block in blocks for line in block])


@settings(max_examples=300)
@given(_DOCUMENT_LINES, st.booleans())
def test_table_rows_are_the_lines_they_were_split_from(lines: list[str], crlf: bool):
    """Every row find_tables returns is the document line at its index, in one unbroken run."""
    text = ("\r\n" if crlf else "\n").join(lines)
    doc = parse_document(Path("t.md"), text.encode())
    for table in find_tables(doc):
        assert table.last_line == table.first_line + sum(row.span for row in table.all_rows) - 1
        for row in table.all_rows:
            assert row.line.text == doc.texts[row.index]


def test_rows_with_different_numbers_of_cells_keep_their_own_cells():
    doc = parse_document(Path("t.md"), b"| A | B | C |\n|:--|:-:|--:|\n| x |  |  |\n| z |\n")
    (table,) = find_tables(doc)
    assert [row.texts for row in table.rows] == [("x", "", ""), ("z",)]
