"""Lossless write-back: change only the cells pmsync owns, keep every other byte.

Edits are plain text replacements on the decoded document (:class:`TextEdit`); encoding back uses
the document's own codec and BOM, and lines keep their own endings because edits never touch
them. A document whose bytes do not survive decode/encode unchanged is never rewritten.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO

from syncer.errors import InputError, WriteConflictError
from syncer.markdown.document import Document
from syncer.markdown.tables import Cell, Row, Table, pipe_positions
from syncer.model import ActionItem, ListAnchor, ParsedDocument, TableAnchor
from syncer.parse.annotations import trailing_status
from syncer.parse.extract import Extraction
from syncer.parse.values import StatusVocabulary


@dataclass(frozen=True)
class TextEdit:
    """Replace ``doc.text[start:end]`` by ``text``."""

    start: int
    end: int
    text: str


def escape_cell(value: str) -> str:
    """A value made safe for one table cell: one line, bare pipes escaped (not those already
    escaped or inside inline code, which already stay in their cell)."""
    flat = " ".join(value.split("\n")).replace("\r", " ")
    starts = [0, *pipe_positions(flat)]
    return "\\".join(flat[start:end] for start, end in pairwise([*starts, len(flat)]))


def set_cell(row: Row, index: int, value: str) -> TextEdit:
    """Replace one cell's content, keeping its padding and, where the value fits, its width.

    In a hard-wrapped row the cell is rewritten on the line that holds it; a cell that a line
    break cuts is never rewritten (the row must be joined first)."""
    located = row.locate(index)
    cell = located[0].cell(located[1]) if located is not None else None
    if located is None or cell is None:
        if index < row.width:
            raise InputError(
                "", f"row is hard-wrapped over lines {row.line.number}-{row.last.number} inside "
                f"cell {index + 1}: join the row onto one line so pmsync can write that cell",
                line=row.line.number,
            )
        raise InputError(
            "", f"row has {row.width} cells, fewer than the header: cannot set cell {index + 1}",
            line=row.line.number,
        )
    piece = located[0]
    text = _fit(cell, escape_cell(value), spaced=_spaced(piece))
    return TextEdit(piece.line.start + cell.start, piece.line.start + cell.end, text)


def _fit(cell: Cell, value: str, spaced: bool = False) -> str:
    raw = cell.raw
    if not raw:
        return value
    if not raw.strip() and not value:
        return raw
    if not raw.strip():
        # An empty cell takes the spacing of the row's other cells: "| x |" rows get "| v |".
        lead, trail = " ", " " if len(raw) > 1 or spaced else ""
    else:
        lead = raw[: len(raw) - len(raw.lstrip())]
        trail = raw[len(raw.rstrip()) :]
    room = len(raw) - len(lead) - len(value)
    if trail and room > len(trail):
        trail = " " * room
    elif trail and room < len(trail):
        trail = " " * max(1, room)
    return lead + value + trail


def add_column(table: Table, header: str, values: Mapping[int, str]) -> list[TextEdit]:
    """Append a column to every row; ``values`` maps a body row's line number to its cell."""
    width = table.header.width
    for row in table.rows:
        if row.width > width:
            raise InputError(
                "", f"row has {row.width} cells, more than the header's {width}: "
                "fix the row before pmsync adds a column", line=row.line.number,
            )
    spaced = _spaced(table.header)
    delimiter_spaced = _spaced(table.delimiter)
    aligned = len({len(r.line.text.rstrip()) for r in table.all_rows}) == 1 and len(table.rows) > 0
    texts = {line: escape_cell(v) for line, v in values.items()}
    column_width = max([len(header), 3, *(len(t) for t in texts.values())])
    edits = []
    for row in table.all_rows:
        if row is table.delimiter:
            dashes = column_width if aligned else 3
            cell = f" {'-' * dashes} " if delimiter_spaced else "-" * (dashes + 2 * aligned)
            edits.append(_append_cell(row, "", cell))
            continue
        content = header if row is table.header else texts.get(row.line.number, "")
        content = content.ljust(column_width) if aligned else content
        missing = ("  |" if spaced else "|") * (width - row.width)
        cell = f" {content} " if spaced and (content or aligned) else (" " if spaced else content)
        edits.append(_append_cell(row, missing, cell))
    return edits


def relink_edit(doc: Document, item: ActionItem,
                pairs: Sequence[tuple[str, str]]) -> TextEdit | None:
    """Replace the first of ``pairs``' old texts found in the item's own lines by its new text."""
    anchor = item.anchor
    if isinstance(anchor, TableAnchor):
        start, end = anchor.row.line.start, anchor.row.last.end
    else:
        start, end = doc.line(anchor.first_line).start, doc.line(anchor.last_line).end
    for old, new in pairs:
        at = doc.text.find(old, start, end)
        if old and at >= 0:
            return TextEdit(at, at + len(old), new)
    return None


def _spaced(row: Row) -> bool:
    """Whether the row's cells are written ``| a |`` rather than ``|a|``: whether any cell's
    text opens with a space (read from the line, without making a Cell of each)."""
    text, bounds = row.line.text, row.bounds
    return any(text[left + 1] == " " for left, right in pairwise(bounds) if left + 1 < right)


def _append_cell(row: Row, missing: str, cell: str) -> TextEdit:
    row = row.pieces[-1]  # a hard-wrapped row ends on its last line
    line = row.line
    if row.closing_pipe is not None:
        at = line.start + row.closing_pipe + 1
        return TextEdit(at, at, f"{missing}{cell}|")
    at = line.start + len(line.text.rstrip())
    return TextEdit(at, at, f" |{missing.replace('|', ' |')}{cell.rstrip() if cell.strip() else ' '}")


def append_to_line(doc: Document, number: int, suffix: str) -> TextEdit:
    """Add text at the end of a line's content (before trailing spaces and the line ending)."""
    line = doc.line(number)
    at = line.start + len(line.text.rstrip())
    return TextEdit(at, at, suffix)


def set_checkbox(doc: Document, anchor: ListAnchor, checked: bool) -> TextEdit | None:
    """Tick or clear a list item's checkbox; None when it has none or already matches."""
    if anchor.checkbox is None:
        return None
    line = doc.line(anchor.first_line)
    start, end = anchor.checkbox
    current = line.text[start:end]
    wanted = "x" if checked else " "
    if (current.strip().lower() == "x") == checked:
        return None
    return TextEdit(line.start + start, line.start + end, wanted)


def set_annotation(doc: Document, anchor: ListAnchor, words: str) -> TextEdit:
    """Set a list item's trailing status annotation (see
    :func:`syncer.parse.annotations.trailing_status`): its words replaced when it has one, else
    `` (words)`` added at the end of the item's text."""
    line = doc.line(anchor.last_line)
    found = trailing_status(line.text, StatusVocabulary.default())
    if found is None:
        return append_to_line(doc, anchor.last_line, f" ({words})")
    return TextEdit(line.start + found.start, line.start + found.end, words)


@dataclass(frozen=True)
class ItemChange:
    """What pmsync writes for one item: a ticket link and/or a status text."""

    item: ActionItem
    ticket: str | None = None  # Markdown, e.g. "[OPS-1](https://…/browse/OPS-1)"
    status: str | None = None  # in the document's own vocabulary
    checked: bool | None = None  # for checkbox list items
    annotation: str | None = None  # a list item's trailing status annotation, e.g. "Done"
    #: (old text, new text) pairs, tried in order: the first old text found in the item's lines is
    #: replaced (a link to a ticket closed as a duplicate becomes a link to the one kept)
    relink: tuple[tuple[str, str], ...] = ()


def edits_for_changes(doc: Document, changes: Sequence[ItemChange]) -> list[TextEdit]:
    """Turn item changes into text edits; adds a Ticket (or Status) column where a table lacks one."""
    edits: list[TextEdit] = []
    new_columns: dict[tuple[int, str], dict[int, str]] = {}
    tables: dict[int, Table] = {}
    for change in changes:
        anchor = change.item.anchor
        if isinstance(anchor, TableAnchor):
            _refuse_reflowed(anchor, change)
        relinked = relink_edit(doc, change.item, change.relink)
        if relinked is not None:
            edits.append(relinked)
        if isinstance(anchor, TableAnchor):
            for field_name, header, value in (("ticket", "Ticket", change.ticket),
                                              ("status", "Status", change.status)):
                if value is None:
                    continue
                if field_name in anchor.columns:
                    index = anchor.columns[field_name]
                    if field_name == "ticket":
                        value = ticket_cell_value(_cell_raw(anchor.row, index), value)
                    edits.append(set_cell(anchor.row, index, value))
                else:
                    tables[anchor.table.first_line] = anchor.table
                    key = (anchor.table.first_line, header)
                    new_columns.setdefault(key, {})[anchor.row.line.number] = value
        else:
            if change.ticket is not None:
                # The end of the item's text, not of its first line: in a hard-wrapped item the
                # first line ends mid-sentence. For a one-line item the two are the same line.
                edits.append(append_to_line(doc, anchor.last_line, f" ({change.ticket})"))
            if change.checked is not None:
                box = set_checkbox(doc, anchor, change.checked)
                if box is not None:
                    edits.append(box)
            if change.annotation is not None:
                edits.append(set_annotation(doc, anchor, change.annotation))
    for (first_line, header), values in sorted(new_columns.items(), key=lambda kv: kv[0][1] != "Status"):
        edits.extend(add_column(tables[first_line], header, values))
    return edits


def _refuse_reflowed(anchor: TableAnchor, change: ItemChange) -> None:
    """A table reflowed into a paragraph is read but never written: its rows start and end
    within lines, so no cell or column edit could keep the other rows as they are."""
    table = anchor.table
    if table.reflowed and (change.ticket is not None or change.status is not None or change.relink):
        raise InputError(
            "", f"the table at line {table.first_line} is reflowed into a paragraph (its rows "
            "run on within lines): pmsync reads it but does not write into it; put its header, "
            "its delimiter row and each row on a line of their own", line=anchor.row.line.number,
        )


def plan_edits(doc: Document, changes: Sequence[ItemChange]) -> list[TextEdit]:
    """:func:`edits_for_changes`, with any row problem reported against the document's path."""
    try:
        return edits_for_changes(doc, changes)
    except InputError as exc:
        if str(exc.path) in ("", "."):
            raise InputError(doc.path, exc.message, line=exc.line) from None
        raise


def _cell_raw(row: Row, index: int) -> str:
    located = row.locate(index)
    cell = located[0].cell(located[1]) if located is not None else None
    return cell.raw.strip() if cell is not None else ""


def ticket_cell_value(existing: str, link: str) -> str:
    """What a Ticket cell becomes: the link, or, when people wrote something there, both.

    A blank, dash or template placeholder is replaced; any other text (``n/a DONE``, a note)
    is kept and the link follows it, so nothing a person wrote is lost.
    """
    from syncer.parse.values import is_placeholder

    if not existing or existing in ("-", "--", "—", "–") or is_placeholder(existing):
        return link
    return f"{existing} {link}"


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """Apply non-overlapping edits; edits at the same offset keep their given order."""
    ordered = sorted(enumerate(edits), key=lambda pair: (pair[1].start, pair[0]))
    pieces: list[str] = []
    cursor = 0
    for _, edit in ordered:
        if edit.start < cursor:
            raise ValueError(f"overlapping edits at offset {edit.start}")
        pieces.append(text[cursor : edit.start])
        pieces.append(edit.text)
        cursor = edit.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def render(doc: Document, edits: Sequence[TextEdit]) -> bytes:
    """The document's new bytes; identical to what was read when there are no edits."""
    if not edits:
        return doc.raw
    if not doc.roundtrips:
        raise InputError(doc.path, "cannot be rewritten byte-for-byte (mixed or invalid encoding); "
                         "pmsync leaves it untouched")
    new_text = apply_edits(doc.text, edits)
    try:
        return doc.encode(new_text)
    except UnicodeEncodeError:
        raise InputError(doc.path, f"the new text cannot be written in {doc.encoding}") from None


def check_writable(path: Path) -> None:
    """Refuse (:class:`InputError`), before any tracker call, a document pmsync could not write
    back: a read-only file (no write permission bit, even for root), or, unless it is written in
    place (a hard link), a folder where the temporary file cannot be made. A symbolic link is
    judged by its target, which is what gets written."""
    target = Path(os.path.realpath(path))
    try:
        info = target.stat()
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    if not _may_write(target, info.st_mode):
        raise InputError(path, "is read-only: pmsync would write ticket links into it; make it "
                         "writable (chmod u+w) or leave it out; nothing was sent to the tracker")
    if info.st_nlink > 1:
        return  # hard links are written in place, no temporary file
    folder = target.parent
    if not _may_write(folder, folder.stat().st_mode):
        raise InputError(path, f"its folder {folder} is not writable: pmsync writes a temporary "
                         "file beside the document and renames it; make the folder writable; "
                         "nothing was sent to the tracker")


def writable_only(extraction: Extraction) -> Extraction:
    """The documents pmsync can write back; the others become errors before any tracker call."""
    documents: list[ParsedDocument] = []
    errors = list(extraction.errors)
    for parsed in extraction.documents:
        try:
            check_writable(parsed.doc.path)
        except InputError as exc:
            errors.append(exc)
            continue
        documents.append(parsed)
    return Extraction(tuple(documents), tuple(errors))


#: The link a push probes write-back with before it creates anything (never written).
_PROBE_LINK = "[PROBE-1](https://pmsync.invalid/browse/PROBE-1)"


def linkable_only(extraction: Extraction) -> Extraction:
    """The documents where every item without a ticket can take the link a push would write;
    the others become errors before any tracker call: a ticket whose link cannot be written
    back would leave the document stale and invite a second ticket for the same item."""
    documents: list[ParsedDocument] = []
    errors = list(extraction.errors)
    for parsed in extraction.documents:
        probes = [ItemChange(item, ticket=_PROBE_LINK) for item in parsed.items if not item.ticket]
        try:
            plan_edits(parsed.doc, probes)
        except InputError as exc:
            errors.append(InputError(parsed.doc.path, (
                f"{exc.message}; no ticket was created for this document, since pmsync could not "
                "write their links back"), line=exc.line))
            continue
        documents.append(parsed)
    return Extraction(tuple(documents), tuple(errors))


def _may_write(path: Path, mode: int) -> bool:
    return bool(mode & 0o222) and os.access(path, os.W_OK)


def write_atomic(doc: Document, data: bytes) -> bool:
    """Write ``data`` over the document; False when nothing changed.

    Refuses (:class:`WriteConflictError`) when the file changed since it was read, checked up to
    the moment of the rename and, for writes that reached the old file in that moment, once
    after it (their text is put back). A symbolic link is written through (it stays a link); a
    file with several hard links is written in place so the links stay one file. Otherwise a
    temporary file beside the target, with the target's permissions, is renamed over it.
    """
    if data == doc.raw:
        return False
    target = Path(os.path.realpath(doc.path))
    try:
        with open(target, "rb") as original:
            _require_unchanged(doc, original)
            if os.fstat(original.fileno()).st_nlink > 1:
                _write_in_place(doc, target, data)
            else:
                _replace(doc, target, original, data)
    except OSError as exc:
        raise InputError(doc.path, f"cannot write: {exc.strerror or exc}; nothing written") from None
    return True


def _require_unchanged(doc: Document, handle: BinaryIO) -> None:
    handle.seek(0)
    if handle.read() != doc.raw:
        raise WriteConflictError(doc.path, "changed on disk since pmsync read it; nothing "
                                 "written (pmsync will not overwrite an edit), run again")


def _write_in_place(doc: Document, target: Path, data: bytes) -> None:
    with open(target, "r+b") as handle:
        _require_unchanged(doc, handle)
        handle.seek(0)
        handle.write(data)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())


def _replace(doc: Document, target: Path, original: BinaryIO, data: bytes) -> None:
    """Put a new file in ``target``'s place if it still holds what was read.

    Where the platform swaps two files atomically (Linux), the new file is swapped in and the
    file swapped out checked afterwards: an edit saved before the swap, by rename or in place,
    is in it, and it is swapped back. Elsewhere the check comes just before the rename.
    """
    tmp = _temporary(target, data, stat.S_IMODE(os.fstat(original.fileno()).st_mode))
    keep = False
    try:
        with open(target, "rb") as current:  # what is there now, perhaps an editor's new file
            _require_unchanged(doc, current)
        if not _exchange(tmp, target):
            os.replace(tmp, target)
            return
        if tmp.read_bytes() != doc.raw:
            _exchange(tmp, target)
            keep = tmp.read_bytes() != data  # saved into pmsync's file in the blink between
            saved = f" (an edit saved meanwhile is in {tmp})" if keep else ""
            raise WriteConflictError(doc.path, "was edited while pmsync wrote it; the edit is "
                                     f"kept, pmsync's changes are not written{saved}; run again")
    finally:
        if not keep:
            tmp.unlink(missing_ok=True)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two files atomically (``renameat2`` with ``RENAME_EXCHANGE``); False where the
    system or file system cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second),
                 _RENAME_EXCHANGE) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(error, os.strerror(error), str(second))


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@functools.lru_cache(maxsize=1)
def _renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function: Callable[..., int] = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # a C library older than glibc 2.28
        return None
    return function


def _temporary(target: Path, data: bytes, mode: int) -> Path:
    """A file beside ``target`` (so the rename is atomic) holding ``data``, with ``mode``."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".pmsync-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(name, mode)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)
