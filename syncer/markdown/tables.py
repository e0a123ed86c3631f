"""GitHub-flavoured Markdown tables located with exact line and cell spans.

A cell's span covers everything between its two pipes (padding included); its *content* span is
that minus the surrounding white space. Escaped pipes (``\\|``) and pipes inside inline code stay
inside their cell, so a cell can always be rewritten without touching its neighbours.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, pairwise

from syncer.markdown.document import Document, Line

_DELIMITER_CELL = re.compile(r":?-+:?")  # matched against a trimmed cell text
# A run of escapes (a backslash and the character it escapes), a code span between single
# backticks (the common kind, taken in one step) or a run of backticks.
_ESCAPE_OR_CODE = re.compile(r"(?:\\[\s\S])+|(?P<span>`[^`]+`(?!`))|`+")
_DELIMITER_LINE = re.compile(r"^[\s|:-]*-[\s|:-]*$")
# A line that could be a delimiter row: a dash, and besides it only characters that are neither
# word characters nor line breaks (a superset of the white space, pipes, colons and dashes a
# delimiter row is made of, which keeps the classes simple and the scan fast). Far rarer than
# lines with a pipe (every table row has one), so tables are looked for from their delimiter.
_MAY_BE_DELIMITER = re.compile(r"\n[^\w\n-]*-[^\w\n]*(?![^\n])")


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell: ``start``/``end`` span the raw cell between pipes, offsets within the line."""

    start: int
    end: int
    content_start: int
    content_end: int
    raw: str

    @property
    def text(self) -> str:
        """The cell's content, trimmed, with escaped pipes unescaped."""
        return _cell_text(self.raw)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Row:
    """A table line split into cells: ``texts`` holds the trimmed text of each cell.

    The texts are all that parsing reads, so they are split once, when the table is found. The
    row keeps where its line is (``lines``, its document's lines, and ``index`` into them)
    rather than the :class:`Line` itself: a Line is built when :attr:`line` is read, and only
    the rows pmsync edits are ever read that way. The
    exact spans write-back needs (:attr:`bounds`, :attr:`closing_pipe`, :attr:`cells`) are worked
    out from the line when asked for too.

    Rows compare and hash by their line and texts, as if the line were stored.

    A hard-wrapped row (one whose text an exported document carried on over the next lines)
    takes ``span`` lines and its texts are those of the joined lines; :attr:`bounds`,
    :attr:`cells` and :attr:`cell` are then those of its first line, and write-back finds a
    cell's line with :meth:`locate`.
    """

    lines: Sequence[Line]
    index: int
    texts: tuple[str, ...]
    span: int = 1  # how many lines the row takes: more than one when it is hard-wrapped

    @property
    def line(self) -> Line:
        """The row's (first) line."""
        return self.lines[self.index]

    @property
    def last(self) -> Line:
        """The row's last line: its first one unless the row is hard-wrapped."""
        return self.lines[self.index + self.span - 1]

    @property
    def pieces(self) -> tuple[Row, ...]:
        """The row line by line: itself for a one-line row; for a hard-wrapped one, a row for
        each of its lines, whose first cell goes on with the last cell of the line before
        unless the line opens with a pipe."""
        if self.span == 1:
            return (self,)
        return tuple(
            Row(self.lines, index, _piece_texts(self.lines[index].text))
            for index in range(self.index, self.index + self.span)
        )

    def locate(self, index: int) -> tuple[Row, int] | None:
        """Cell ``index`` as a cell of one of :attr:`pieces`: that piece and the cell's index in
        it; None when a line break cuts the cell (or the row has no such cell)."""
        if self.span == 1:
            return (self, index) if index < self.width else None
        pieces = self.pieces
        opens = [number == 0 or _opens_cell(p.line.text) for number, p in enumerate(pieces)]
        opens.append(True)  # the row's last cell ends with its last line
        first = 0  # the row's index of the piece's first cell
        for number, piece in enumerate(pieces):
            last = first + piece.width - 1
            if index <= last:
                at = index - first
                whole = (at > 0 or opens[number]) and (at < piece.width - 1 or opens[number + 1])
                return (piece, at) if whole else None
            # The piece's last cell goes on in the next piece's first, unless a pipe opens it.
            first = last + opens[number + 1]
        return None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return NotImplemented
        return self.texts == other.texts and self.line == other.line

    def __hash__(self) -> int:
        return hash((self.line, self.texts))

    def __repr__(self) -> str:
        return f"Row(line={self.line!r}, texts={self.texts!r})"

    @property
    def width(self) -> int:
        """How many cells the row has."""
        return len(self.texts)

    @property
    def bounds(self) -> tuple[int, ...]:
        """The offsets of the pipes around the cells: cell ``i`` lies between ``bounds[i]`` and
        ``bounds[i + 1]``; a missing outer pipe is stood in for by the offset just outside the
        row's text."""
        return self._bounds()[0]

    @property
    def closing_pipe(self) -> int | None:
        """The offset of the trailing ``|``, or None when the row has none."""
        return self._bounds()[1]

    def _bounds(self) -> tuple[tuple[int, ...], int | None]:
        found = _bounds(self.line.text)
        assert found is not None, "a row's line has a pipe"
        return found

    @property
    def cells(self) -> tuple[Cell, ...]:
        """Every cell with its exact spans (what write-back edits)."""
        text = self.line.text
        bounds = self.bounds
        return tuple(_cell(text, left, right) for left, right in pairwise(bounds))

    def cell(self, index: int) -> Cell | None:
        """Cell ``index`` alone (a row may hold a million cells), or None past the last one."""
        bounds = self.bounds
        if index + 1 >= len(bounds):
            return None
        return _cell(self.line.text, bounds[index], bounds[index + 1])


def _opens_cell(text: str) -> bool:
    """Whether a line of a hard-wrapped row opens with a pipe: a new cell, not the one before
    going on."""
    return text.lstrip()[:1] == "|"


def _cell(text: str, left: int, right: int) -> Cell:
    """The cell between the pipes at ``left`` and ``right``."""
    start = left + 1
    raw = text[start:right]
    content_start = right - len(raw.lstrip())
    content_end = start + len(raw.rstrip())
    if content_end < content_start:  # an all-blank cell: an empty content span at its end
        content_end = content_start
    return Cell(start, right, content_start, content_end, raw)


def _cell_text(raw: str) -> str:
    raw = raw.strip()
    return raw.replace("\\|", "|") if "\\" in raw else raw


@dataclass(frozen=True, slots=True)
class Table:
    """A header row, its delimiter row, and the body rows that follow.

    Exported documents may put the header after the delimiter row, under an empty row or under
    nothing at all: ``blank`` is that empty row, if any, and ``header`` the row after the
    delimiter (see :attr:`header_below`).
    """

    header: Row
    delimiter: Row
    rows: tuple[Row, ...]
    blank: Row | None = None
    #: the table was reflowed into a paragraph (see _reflowed_table): its rows start and end
    #: within lines, so it is read but never written into
    reflowed: bool = False

    @property
    def header_below(self) -> bool:
        """Whether the header comes after the delimiter row."""
        return self.header.index > self.delimiter.index

    @property
    def first_line(self) -> int:
        """Line number of the table's first line (the header's, unless it comes below)."""
        return self.all_rows[0].index + 1

    @property
    def last_line(self) -> int:
        """Line number of the last line of the last row (the header-only table's header or
        delimiter, whichever comes last)."""
        last = self.rows[-1] if self.rows else max(self.header, self.delimiter, key=_index)
        return last.index + last.span

    @property
    def all_rows(self) -> tuple[Row, ...]:
        """Header, delimiter and body rows (and the blank row), in document order."""
        if not self.header_below:
            return (self.header, self.delimiter, *self.rows)
        above = (self.blank,) if self.blank is not None else ()
        return (*above, self.delimiter, self.header, *self.rows)


def _index(row: Row) -> int:
    return row.index


def table_lines(tables: Iterable[Table]) -> frozenset[int]:
    """The numbers of the lines the tables are made of: a table's rows are consecutive lines,
    from its header to its last row."""
    return frozenset(chain.from_iterable(range(t.first_line, t.last_line + 1) for t in tables))


def split_row(line: Line) -> Row | None:
    """Split a line into cells, or return None when it has no unescaped pipe outside code."""
    texts = cell_texts(line.text)
    return None if texts is None else Row((line,), 0, texts)


def cell_texts(text: str) -> tuple[str, ...] | None:
    """The trimmed text of each cell of a table line (:attr:`Cell.text` of each of a row's
    :attr:`Row.cells`); None when it has no cell-separating pipe."""
    found = _bounds(text)
    if found is None:
        return None
    return tuple(_cell_text(text[left + 1 : right]) for left, right in pairwise(found[0]))


def _bounds(text: str) -> tuple[tuple[int, ...], int | None] | None:
    """A row's cell bounds and closing pipe (see :class:`Row`); None without a separating pipe."""
    pipes = pipe_positions(text)
    if not pipes:
        return None
    stripped_start = len(text) - len(text.lstrip())
    stripped_end = len(text.rstrip())
    leading = pipes[0] == stripped_start
    closing = pipes[-1] == stripped_end - 1 and (len(pipes) > 1 or not leading)
    bounds = list(pipes)
    if not leading:
        bounds.insert(0, stripped_start - 1)
    if not closing:
        bounds.append(stripped_end)
    return tuple(bounds), pipes[-1] if closing else None


def pipe_positions(text: str) -> list[int]:
    """Offsets of the pipes that separate cells: not escaped, not inside a code span."""
    pipes = [end - 1 for end in accumulate(len(part) + 1 for part in text.split("|")[:-1])]
    covered = _escapes_and_code(text) if pipes else []
    if not covered:
        return pipes
    kept: list[int] = []
    spans = iter(covered)
    start, end = next(spans)
    for pipe in pipes:
        while pipe >= end:
            start, end = next(spans, (len(text), len(text) + 1))
        if pipe < start:
            kept.append(pipe)
    return kept


def _escapes_and_code(text: str) -> list[tuple[int, int]]:
    """The spans of a line, in order, where a pipe separates no cells: runs of escapes (a
    backslash and the character it escapes) and code spans."""
    spans = []
    i = 0
    search = _ESCAPE_OR_CODE.search
    unclosed: set[int] = set()  # lengths of the backtick runs that nothing further on closes
    while (found := search(text, i)) is not None:
        i = found.start()
        if text[i] == "\\" or found.group("span") is not None:
            spans.append((i, found.end()))
            i = found.end()
            continue
        run = found.end() - i
        close = -1 if run in unclosed else text.find("`" * run, i + run)
        while close != -1 and text[close + run : close + run + 1] == "`":
            close = text.find("`" * run, close + run + 1)
        if close != -1:
            spans.append((i, close + run))
            i = close + run
            continue
        unclosed.add(run)  # a line of lone backticks would search it to its end each time
        i += run
    return spans


def _is_delimiter(texts: tuple[str, ...]) -> bool:
    return all(map(_DELIMITER_CELL.fullmatch, texts))


def find_tables(doc: Document) -> list[Table]:
    """Every table in the document, skipping hidden lines (code, comments, front matter)."""
    tables: list[Table] = []
    texts = doc.texts
    resume = 0  # index of the first line after the last table found
    for below in doc.indexes_starting(_MAY_BE_DELIMITER):
        if below - 1 < resume or not _DELIMITER_LINE.match(texts[below]):
            continue
        table = _table_at(doc, below)
        if table is not None:
            tables.append(table)
            resume = table.last_line
    reflowed = _reflowed_tables(doc, table_lines(tables))
    return sorted([*tables, *reflowed], key=_first_line) if reflowed else tables


def _first_line(table: Table) -> int:
    return table.first_line


# A line that holds a header row and its delimiter row run together, as a reflowed table's first
# line does ("| Action | Owner | |---|---|"): a pipe, then a delimiter cell between pipes.
_MAY_BE_REFLOWED = re.compile(r"\n[ \t]*\|(?=[^\n]*\|[ \t]*:?-{3,}:?[ \t]*\|)")


def _reflowed_tables(doc: Document, taken: frozenset[int]) -> list[Table]:
    """Tables that an exporter reflowed into paragraphs (see :func:`_reflowed_table`)."""
    found: list[Table] = []
    for index in doc.indexes_starting(_MAY_BE_REFLOWED):
        if index + 1 not in taken and index + 1 not in doc.hidden:
            table = _reflowed_table(doc, index)
            if table is not None:
                found.append(table)
    return found


def _reflowed_table(doc: Document, index: int) -> Table | None:
    """The table reflowed into the paragraph that starts at line index ``index``, or None.

    Its first line holds the header cells, an empty cell and as many delimiter cells; the rows
    follow, run together and wrapped anywhere: each ``width`` cells, then an empty cell where one
    row's closing pipe meets the next one's opening pipe, up to the paragraph's end, which closes
    the last row. It is read when the cells add up exactly so, never otherwise.
    """
    texts, lines = doc.texts, doc.lines
    first = cell_texts(texts[index]) or ()
    width = (len(first) - 1) // 2 if len(first) % 2 else 0
    if width < 2 or first[width] or not _is_delimiter(first[width + 1:]):
        return None
    header, delimiter = first[:width], first[width + 1:]
    if _is_delimiter(header):
        return None
    end = index + 1
    while end < len(texts) and texts[end].strip() and end + 1 not in doc.hidden and (
        texts[end].lstrip()[:1] not in ("#", ">")
    ):
        end += 1
    rows = _reflowed_rows(doc, index + 1, end, width)
    if not rows:
        return None
    return Table(Row(lines, index, header), Row(lines, index, delimiter), rows, reflowed=True)


def _reflowed_rows(doc: Document, start: int, end: int, width: int) -> tuple[Row, ...]:
    """The rows of a reflowed table's body, lines ``start`` to ``end`` (indexes), or () when
    its cells do not add up to whole rows with an empty cell between each two."""
    parts = [doc.texts[i].strip() for i in range(start, end)]
    joined = " ".join(parts)
    if not joined.startswith("|") or not _closes(joined):
        return ()
    pipes = pipe_positions(joined)
    cells = [joined[a + 1:b].strip() for a, b in pairwise(pipes)]
    if (len(cells) + 1) % (width + 1) or any(cells[width::width + 1]):
        return ()
    line_of = _line_index(parts, start)
    rows = []
    for first in range(0, len(cells), width + 1):
        opening, closing = line_of(pipes[first]), line_of(pipes[first + width])
        texts = tuple(c.replace("\\|", "|") for c in cells[first:first + width])
        rows.append(Row(doc.lines, opening, texts, closing - opening + 1))
    return tuple(rows)


def _line_index(parts: Sequence[str], start: int) -> Callable[[int], int]:
    """Which line (index) an offset of the parts joined with single spaces falls on."""
    ends = list(accumulate(len(part) + 1 for part in parts))
    return lambda offset: start + bisect_right(ends, offset)


def _table_at(doc: Document, below: int) -> Table | None:
    """The table whose delimiter row is line index ``below``, or None when there is none.

    Its header is the row above, as Markdown has it; or, as exported documents write it, the
    row after the delimiter when there is no row above or only an empty one.
    """
    texts, hidden, lines = doc.texts, doc.hidden, doc.lines
    delimiter = _visible_texts(texts[below], below + 1 in hidden)
    if not (delimiter and _is_delimiter(delimiter)):
        return None
    above = _visible_texts(texts[below - 1], below in hidden)
    after = _visible_texts(texts[below + 1], below + 2 in hidden) if below + 1 < len(texts) else None
    fits = [t is not None and len(t) == len(delimiter) and not _is_delimiter(t) for t in (above, after)]
    blank = above is not None and fits[0] and not any(above)
    if (above is None or blank) and fits[1] and after is not None and any(after):
        header = Row(lines, below + 1, after)
        rows = _body(doc, below + 2, header)
        kept = Row(lines, below - 1, above) if blank and above is not None else None
        return Table(header, Row(lines, below, delimiter), rows, kept)
    if above is None or not fits[0]:
        return None
    header = Row(lines, below - 1, above)
    return Table(header, Row(lines, below, delimiter), _body(doc, below + 1, header))


# The most lines a hard-wrapped row is read over: beyond it, the row is not taken for one.
_MOST_WRAPPED_LINES = 12


def _body(doc: Document, start: int, header: Row) -> tuple[Row, ...]:
    """The body rows of a table whose body starts at line index ``start``.

    The body goes on while lines are table rows: shown, not quoted, with a pipe that separates
    cells (see :func:`_visible_texts`). A row that the next lines continue (see
    :func:`_wrapped`) is one row over those lines.
    """
    texts, hidden, lines = doc.texts, doc.hidden, doc.lines
    edged = _has_edge_pipes(texts[header.index])
    rows: list[Row] = []
    index = start
    while index < len(texts):
        cells = _visible_texts(texts[index], index + 1 in hidden)
        if cells is None:
            break
        wrapped = _wrapped(doc, index, header.width) if edged and len(cells) <= header.width else None
        span, cells = wrapped or (1, cells)
        rows.append(Row(lines, index, cells, span))
        index += span
    return tuple(rows)


def _has_edge_pipes(text: str) -> bool:
    stripped = text.strip()
    return len(stripped) > 1 and stripped[0] == "|" and stripped[-1] == "|"


def _wrapped(doc: Document, index: int, width: int) -> tuple[int, tuple[str, ...]] | None:
    """A row that an exported document hard-wrapped: how many lines it takes and its cells, or
    None when line index ``index`` is no such row.

    It is one when the intent is unambiguous: the line opens with a pipe and has none at its end
    (in a table whose rows have both); the next line opens with none, so it can only go on with
    the row's text (later lines may open with one: the wrap fell before a pipe); the first line
    that ends with a pipe ends the row; and the joined lines make exactly as many cells as the
    header. A blank, hidden, quoted or heading line in between, or another count, means no.
    """
    texts, hidden = doc.texts, doc.hidden
    text = texts[index]
    if text.lstrip()[:1] != "|" or _closes(text):
        return None
    parts = [text.strip()]
    for number in range(index + 1, min(index + _MOST_WRAPPED_LINES, len(texts))):
        line = texts[number].strip()
        if not line or number + 1 in hidden or line[0] in ">#" or (line[0] == "|" and len(parts) == 1):
            return None
        parts.append(line)
        if _closes(line):
            joined = cell_texts(" ".join(parts))
            return (number - index + 1, joined) if joined and len(joined) == width else None
    return None


def _closes(text: str) -> bool:
    """Whether a line ends with a pipe that closes a row (not escaped, not in code)."""
    stripped = text.strip()
    if stripped[-1:] != "|":
        return False
    if "`" not in stripped and "\\" not in stripped:
        return len(stripped) > 1  # a lone pipe opens a cell and closes none
    found = _bounds(text)
    return found is not None and found[1] is not None


def _piece_texts(text: str) -> tuple[str, ...]:
    """The cell texts of one line of a hard-wrapped row: a line with no pipe is one cell."""
    return cell_texts(text) or (_cell_text(text),)


def _visible_texts(text: str, hidden: bool) -> tuple[str, ...] | None:
    """The cell texts of a line that can be a table row: shown, not quoted, with a pipe."""
    if hidden or "|" not in text or text.lstrip()[:1] == ">":
        return None
    return cell_texts(text)

