"""GitHub-flavoured Markdown tables located with exact line and cell spans.

A cell's span covers everything between its two pipes (padding included); its *content* span is
that minus the surrounding white space. Escaped pipes (``\\|``) and pipes inside inline code stay
inside their cell, so a cell can always be rewritten without touching its neighbours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, pairwise, repeat

from syncer.markdown.document import Document, Line

_DELIMITER_CELL = re.compile(r":?-+:?")  # matched against a trimmed cell text
# A pipe, a run of escapes (a backslash and the character it escapes), a code span between
# single backticks (the common kind, skipped in one step) or a run of backticks.
_PIPE_ESCAPE_OR_CODE = re.compile(r"\||(?:\\[\s\S])+|(?P<span>`[^`]+`(?!`))|`+")
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
    """

    lines: Sequence[Line]
    index: int
    texts: tuple[str, ...]

    @property
    def line(self) -> Line:
        """The row's line."""
        return self.lines[self.index]

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
    """A header row, its delimiter row, and the body rows that follow."""

    header: Row
    delimiter: Row
    rows: tuple[Row, ...]

    @property
    def first_line(self) -> int:
        """Line number of the header."""
        return self.header.index + 1

    @property
    def last_line(self) -> int:
        """Line number of the last row (the delimiter for a header-only table)."""
        return (self.rows[-1] if self.rows else self.delimiter).index + 1

    @property
    def all_rows(self) -> tuple[Row, ...]:
        """Header, delimiter and body rows, in document order."""
        return (self.header, self.delimiter, *self.rows)


def table_lines(tables: Iterable[Table]) -> frozenset[int]:
    """The numbers of the lines the tables are made of: a table's rows are consecutive lines,
    from its header to its last row."""
    return frozenset(chain.from_iterable(range(t.first_line, t.last_line + 1) for t in tables))


def split_row(line: Line) -> Row | None:
    """Split a line into cells, or return None when it has no unescaped pipe outside code."""
    texts = cell_texts(line.text)
    return None if texts is None else Row((line,), 0, texts)


def cell_texts(text: str) -> tuple[str, ...] | None:
    """The trimmed text of each cell of a table line; None when it has no cell-separating pipe.

    Most lines hold neither a backtick nor a backslash, and then every pipe separates cells: one
    split of the text between the outer pipes, trimmed in C. (A single pipe that is the line's
    only character opens a cell and closes none, as in :func:`_bounds`.)
    """
    if "`" in text or "\\" in text:
        return _code_aware_texts(text)
    if "|" not in text:
        return None
    stripped = text.strip()
    start = 1 if stripped[0] == "|" else 0
    stop = -1 if stripped[-1] == "|" and len(stripped) > 1 else len(stripped)
    return tuple(map(str.strip, stripped[start:stop].split("|")))


def _code_aware_texts(text: str) -> tuple[str, ...] | None:
    found = _bounds(text)
    if found is None:
        return None
    bounds = found[0]
    inner = text[bounds[0] + 1 : bounds[-1]]
    if inner.count("|") == len(bounds) - 2:
        # Every pipe between the outer ones separates cells, so no cell holds an escaped pipe
        # either: the plain split is exact.
        return tuple(map(str.strip, inner.split("|")))
    return tuple(_cell_text(text[left + 1 : right]) for left, right in pairwise(bounds))


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
    if "`" not in text and "\\" not in text:
        if "|" not in text:
            return []
        positions = []
        at = text.find("|")
        while at != -1:
            positions.append(at)
            at = text.find("|", at + 1)
        return positions
    # Only backslashes, backticks and pipes matter: jump from one to the next.
    positions = []
    i = 0
    search = _PIPE_ESCAPE_OR_CODE.search
    unclosed: set[int] = set()  # lengths of the backtick runs that nothing further on closes
    while (found := search(text, i)) is not None:
        i = found.start()
        char = text[i]
        if char == "\\":
            i = found.end()
            continue
        if char == "`":
            if found.group("span") is not None:
                i = found.end()
                continue
            run = found.end() - i
            close = -1 if run in unclosed else text.find("`" * run, i + run)
            while close != -1 and text[close + run : close + run + 1] == "`":
                close = text.find("`" * run, close + run + 1)
            if close != -1:
                i = close + run
                continue
            unclosed.add(run)  # a line of lone backticks would search it to its end each time
            i += run
            continue
        positions.append(i)
        i += 1
    return positions


def _is_delimiter(texts: tuple[str, ...]) -> bool:
    return all(map(_DELIMITER_CELL.fullmatch, texts))


def find_tables(doc: Document) -> list[Table]:
    """Every table in the document, skipping hidden lines (code, comments, front matter)."""
    tables: list[Table] = []
    texts = doc.texts
    hidden = doc.hidden
    lines = doc.lines
    resume = 0  # index of the first line after the last table found
    for below in doc.indexes_starting(_MAY_BE_DELIMITER):
        index = below - 1  # the header's
        if index < resume or "|" not in texts[index] or not _DELIMITER_LINE.match(texts[below]):
            continue
        header = _visible_texts(texts[index], index + 1 in hidden)
        delimiter = _visible_texts(texts[index + 1], index + 2 in hidden) if header else None
        if not (header and delimiter and _is_delimiter(delimiter)):
            continue
        if len(header) != len(delimiter) or _is_delimiter(header):
            continue
        end = _body_end(doc, index + 2)
        body = map(_row_texts, texts[index + 2 : end])
        rows = tuple(map(Row, repeat(lines), range(index + 2, end), body))
        tables.append(Table(Row(lines, index, header), Row(lines, index + 1, delimiter), rows))
        resume = end
    return tables


def _body_end(doc: Document, start: int) -> int:
    """The index just past the last body row of a table whose body starts at line index ``start``.

    The body goes on while lines are table rows: shown, not quoted, with a pipe that separates
    cells (see :func:`_visible_texts`).
    """
    texts, hidden = doc.texts, doc.hidden
    end = start
    while end < len(texts) and _visible_texts(texts[end], end + 1 in hidden) is not None:
        end += 1
    return end


def _row_texts(text: str) -> tuple[str, ...]:
    texts = cell_texts(text)
    assert texts is not None, "a table row has a pipe that separates cells"
    return texts


def _visible_texts(text: str, hidden: bool) -> tuple[str, ...] | None:
    """The cell texts of a line that can be a table row: shown, not quoted, with a pipe."""
    if hidden or "|" not in text or text.lstrip()[:1] == ">":
        return None
    return cell_texts(text)

