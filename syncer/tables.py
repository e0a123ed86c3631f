"""GitHub-flavoured Markdown tables located with exact line and cell spans.

A cell's span covers everything between its two pipes (padding included); its *content* span is
that minus the surrounding white space. Escaped pipes (``\\|``) and pipes inside inline code stay
inside their cell, so a cell can always be rewritten without touching its neighbours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from syncer.document import Document, Line

_DELIMITER_CELL = re.compile(r"^\s*:?-+:?\s*$")
_DELIMITER_LINE = re.compile(r"^[\s|:-]*-[\s|:-]*$")
_HAS_PIPE = re.compile(r"\n[^\n]*\|")  # a line that could be a table's header


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


@dataclass(frozen=True, slots=True)
class Row:
    """A table line split into cells; ``closing_pipe`` is the offset of a trailing ``|`` or None.

    ``bounds`` holds the offsets of the pipes around the cells (cell ``i`` lies between
    ``bounds[i]`` and ``bounds[i + 1]``); a missing outer pipe is stood in for by the offset just
    outside the row's text. :attr:`cells` are built from it on demand: most rows are only read
    (through :meth:`text`), and building seven small objects per row was most of the parse time.
    """

    line: Line
    bounds: tuple[int, ...]
    closing_pipe: int | None

    @property
    def width(self) -> int:
        """How many cells the row has."""
        return len(self.bounds) - 1

    @property
    def cells(self) -> tuple[Cell, ...]:
        """Every cell with its exact spans (what write-back edits)."""
        text = self.line.text
        bounds = self.bounds
        cells = []
        for left, right in zip(bounds, bounds[1:]):
            start = left + 1
            raw = text[start:right]
            content_start = right - len(raw.lstrip())
            content_end = start + len(raw.rstrip())
            if content_end < content_start:  # an all-blank cell: an empty content span at its end
                content_end = content_start
            cells.append(Cell(start, right, content_start, content_end, raw))
        return tuple(cells)

    def cell_text(self, index: int) -> str:
        """The trimmed text of cell ``index`` (as :attr:`Cell.text`)."""
        return _cell_text(self.line.text[self.bounds[index] + 1 : self.bounds[index + 1]])

    @property
    def texts(self) -> tuple[str, ...]:
        """The trimmed text of every cell."""
        text = self.line.text
        bounds = self.bounds
        if "`" not in text and "\\" not in text:
            # Every pipe is then a cell boundary: one split, trimmed in C (the common case).
            return tuple(map(str.strip, text[bounds[0] + 1 : bounds[-1]].split("|")))
        return tuple(_cell_text(text[left + 1 : right]) for left, right in zip(bounds, bounds[1:]))


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
        return self.header.line.number

    @property
    def last_line(self) -> int:
        """Line number of the last row (the delimiter for a header-only table)."""
        return (self.rows[-1] if self.rows else self.delimiter).line.number

    @property
    def all_rows(self) -> tuple[Row, ...]:
        """Header, delimiter and body rows, in document order."""
        return (self.header, self.delimiter, *self.rows)


def split_row(line: Line) -> Row | None:
    """Split a line into cells, or return None when it has no unescaped pipe outside code."""
    text = line.text
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
    return Row(line, tuple(bounds), pipes[-1] if closing else None)


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


def _is_delimiter(row: Row) -> bool:
    text, bounds = row.line.text, row.bounds
    return row.width > 0 and all(
        _DELIMITER_CELL.match(text[left + 1 : right]) for left, right in zip(bounds, bounds[1:])
    )


def find_tables(doc: Document) -> list[Table]:
    """Every table in the document, skipping hidden lines (code, comments, front matter)."""
    tables: list[Table] = []
    lines = doc.lines
    resume = 0  # index of the first line after the last table found
    for header_line in doc.lines_starting(_HAS_PIPE):
        index = header_line.number - 1
        if index < resume or index + 1 >= len(lines):
            continue
        delimiter_line = lines[index + 1]
        if not _DELIMITER_LINE.match(delimiter_line.text):
            continue
        header = _visible_row(doc, header_line)
        delimiter = _visible_row(doc, delimiter_line) if header else None
        if not (header and delimiter and _is_delimiter(delimiter)):
            continue
        if header.width != delimiter.width or _is_delimiter(header):
            continue
        body: list[Row] = []
        index += 2
        while index < len(lines):
            row = _visible_row(doc, lines[index])
            if row is None or not lines[index].text.strip():
                break
            body.append(row)
            index += 1
        tables.append(Table(header, delimiter, tuple(body)))
        resume = index
    return tables


def _visible_row(doc: Document, line: Line) -> Row | None:
    if doc.is_hidden(line.number) or line.text.lstrip().startswith(">"):
        return None
    return split_row(line)
