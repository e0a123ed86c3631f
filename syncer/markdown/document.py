"""A Markdown document read once, with the exact bytes kept so that write-back is lossless.

The text is split on ``\\n`` only (never on the other characters :meth:`str.splitlines` knows), and
each :class:`Line` keeps its own ending, so LF and CRLF may be mixed. Lines inside fenced code
blocks, indented code blocks, front matter and HTML comments are marked *hidden*: nothing inside
them is ever read as a table, a heading or an action item.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, repeat
from operator import add
from pathlib import Path
from typing import NamedTuple, overload

from syncer.errors import InputError

BOM = b"\xef\xbb\xbf"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024

# The ASCII characters that are white space to regular expressions and str.isspace, but the
# newline, as a character class body. Pre-filters test a line's first character with a class
# holding these and every non-ASCII character (where the other white space is) instead of
# "\s": a blank line, a quarter of all lines, then fails that one test.
ASCII_BLANKS = r"\t\x0b\x0c\r\x1c-\x1f "
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])(?:\s|$)")


class Line(NamedTuple):
    """One line of a document: 1-based number, offset of its first character, text, ending."""

    number: int
    start: int
    text: str
    ending: str

    @property
    def end(self) -> int:
        """Offset just past the line's text (before its ending)."""
        return self.start + len(self.text)


class Lines(Sequence[Line]):
    """A document's lines, split on ``\\n`` only; each :class:`Line` is built when asked for.

    Parsing looks at a small share of a document's lines (headings, list items, table rows), so
    the texts and offsets are kept in flat lists, made by C-level splitting, and a ``Line`` object
    exists only for a line someone reads. ``texts[i]`` is the text of line ``i + 1``.
    ``scan_text`` is the text after one ``"\\n"``, for the pre-filters of
    :meth:`Document.indexes_starting`.
    """

    __slots__ = ("_crlf", "_unterminated", "scan_text", "starts", "texts")

    def __init__(self, text: str) -> None:
        # What the pre-filters of indexes_starting scan, made once: a document is scanned
        # by half a dozen passes, and copying an 8 KB text costs about as much as a scan.
        self.scan_text = "\n" + text
        chunks = text.split("\n")
        last = chunks.pop()  # the text after the final "\n" (empty when the text ends with one)
        # Offsets: the lengths before each chunk plus one "\n" per chunk before it.
        starts = list(map(add, accumulate(map(len, chunks), initial=0), range(len(chunks) + 1)))
        crlf: frozenset[int] = frozenset()
        if "\r" in text:
            crlf = frozenset(i for i, chunk in enumerate(chunks) if chunk[-1:] == "\r")
            for i in crlf:
                chunks[i] = chunks[i][:-1]
        # The last line has no ending when the text does not end with "\n" (or is empty).
        self._unterminated = -1  # the index of that line, if there is one
        if last or not chunks:
            self._unterminated = len(chunks)
            chunks.append(last)
        else:
            starts.pop()
        self.texts: list[str] = chunks
        self.starts: list[int] = starts
        self._crlf = crlf

    def __len__(self) -> int:
        return len(self.texts)

    def _line(self, index: int) -> Line:
        """The line at ``index``, which must be in range and not negative."""
        if index in self._crlf:
            ending = "\r\n"
        elif index == self._unterminated:
            ending = ""
        else:
            ending = "\n"
        return Line(index + 1, self.starts[index], self.texts[index], ending)

    @overload
    def __getitem__(self, index: int) -> Line: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Line, ...]: ...

    def __getitem__(self, index: int | slice) -> Line | tuple[Line, ...]:
        if isinstance(index, slice):
            return tuple(map(self._line, range(len(self.texts))[index]))
        count = len(self.texts)
        if index < 0:
            index += count
        if 0 <= index < count:
            return self._line(index)
        raise IndexError("line index out of range")

    def __iter__(self) -> Iterator[Line]:
        return map(self._line, range(len(self.texts)))


@dataclass(frozen=True)
class Document:
    """A decoded Markdown document together with what is needed to encode it back identically."""

    path: Path
    raw: bytes
    text: str
    encoding: str
    bom: bool
    lines: Lines
    hidden: frozenset[int] = field(default_factory=frozenset)
    warnings: tuple[str, ...] = ()

    @property
    def roundtrips(self) -> bool:
        """True when encoding the unchanged text gives back the exact bytes that were read."""
        return self.encode(self.text) == self.raw

    def encode(self, text: str) -> bytes:
        """Encode ``text`` the way this document was encoded (same codec, same BOM)."""
        body = text.encode(self.encoding)
        return BOM + body if self.bom else body

    @property
    def texts(self) -> list[str]:
        """Every line's text (without its ending); ``texts[n - 1]`` is line ``n``'s. Read-only."""
        return self.lines.texts

    def line(self, number: int) -> Line:
        """The line with this 1-based number."""
        return self.lines[number - 1]

    def is_hidden(self, number: int) -> bool:
        """Whether the line is inside code, front matter or an HTML comment."""
        return number in self.hidden

    def indexes_starting(self, pattern: re.Pattern[str]) -> Iterator[int]:
        """The 0-based indexes (into ``texts``) of the lines at whose start ``pattern`` matches,
        in order.

        A pre-filter run over the whole text in one regex scan, so that passes looking for rare
        lines (headings, list items, labels) spend Python time only on lines that could be one.
        ``pattern`` must begin with a newline and match no other, so that it matches each line
        at most once; it may match more lines than the caller wants, never fewer. (A leading
        newline rather than ``(?m)^``: the regex engine then jumps from newline to newline
        instead of trying the pattern at every character, several times faster.)
        """
        return _indexes_starting(self.lines, pattern)


def _indexes_starting(lines: Lines, pattern: re.Pattern[str]) -> Iterator[int]:
    """:meth:`Document.indexes_starting` on a document's lines."""
    # A match at offset p of "\n" + text starts with the newline just before the line that
    # begins at offset p of the text: p is in ``starts``, and a binary search there (in C, no
    # Python code per match) gives the line's index.
    matches = pattern.finditer(lines.scan_text)
    return map(bisect_left, repeat(lines.starts), map(_match_start, matches))


_match_start = re.Match.start


def read_document(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read ``path`` once and build a :class:`Document`; raises :class:`InputError` on bad input."""
    try:
        raw = _read_bytes(path)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    return parse_document(path, raw, max_bytes=max_bytes)


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, as ``path.read_bytes()`` gives them (and the same errors), cheaper.

    ``read_bytes`` builds a buffered file object and reads until a read returns nothing: for
    a small file the objects and the extra system call cost more than the reading. Here one
    read asks for a byte more than ``fstat`` says the file holds: getting exactly the size
    means the end was reached. Anything else (a file that grew or shrank meanwhile, one whose
    size ``fstat`` does not know, or a read cut short) goes on reading until a read returns
    nothing. A directory opens but fails to read, with ``IsADirectoryError`` as in
    ``read_bytes``.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) == size:
            return data
        chunks = [data]
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def parse_document(path: Path, raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Build a :class:`Document` from bytes already read."""
    if len(raw) > max_bytes:
        raise InputError(
            path,
            f"file is {len(raw):,} bytes ({_megabytes(len(raw))} MB), more than the "
            f"{_megabytes(max_bytes)} MB limit for a postmortem (setting max_document_mb)",
        )
    if _is_utf16_or_32(raw):
        raise InputError(path, "UTF-16 or UTF-32 text is not supported: save it as UTF-8")
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise InputError(path, "binary file (NUL byte), not Markdown", line=line)
    text, encoding, bom, warnings = _decode(path, raw)
    lines = Lines(text)
    return Document(
        path=path,
        raw=raw,
        text=text,
        encoding=encoding,
        bom=bom,
        lines=lines,
        hidden=frozenset(_hidden_lines(text, lines)),
        warnings=tuple(warnings),
    )


def _megabytes(size: int) -> str:
    """``size`` in the unit of ``max_document_mb`` (2**20 bytes): "5", "5.5", "5.01"."""
    return f"{size / 2**20:.2f}".rstrip("0").rstrip(".")


# Byte order marks of UTF-32 (checked first: UTF-32LE's begins like UTF-16LE's) and UTF-16.
_WIDE_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")


def _is_utf16_or_32(raw: bytes) -> bool:
    """Whether ``raw`` is UTF-16 or UTF-32: a byte order mark, or (without one, as some Windows
    tools save) ASCII text whose every other byte is NUL."""
    if raw.startswith(_WIDE_BOMS):
        return True
    head = raw[: min(256, len(raw) - len(raw) % 2)]
    even, odd = head[0::2], head[1::2]
    return len(head) >= 4 and ((not odd.strip(b"\x00") and b"\x00" not in even)
                               or (not even.strip(b"\x00") and b"\x00" not in odd))


def _decode(path: Path, raw: bytes) -> tuple[str, str, bool, list[str]]:
    bom = raw.startswith(BOM)
    body = raw[len(BOM) :] if bom else raw
    try:
        return body.decode("utf-8"), "utf-8", bom, []
    except UnicodeDecodeError as exc:
        bad_line = body[: exc.start].count(b"\n") + 1
    try:
        text = body.decode("cp1252")
    except UnicodeDecodeError:
        raise InputError(path, "neither UTF-8 nor cp1252 text", line=bad_line) from None
    return text, "cp1252", bom, [f"{path}:{bad_line}: not valid UTF-8, read as cp1252"]


def _hidden_lines(whole: str, lines: Lines) -> set[int]:
    """Line numbers inside front matter, fenced or indented code, or HTML comments.

    The rules, line by line after the front matter: a line opening a fence hides everything to
    its closing fence (only itself if none closes it); a line opening a comment hides everything
    to the line holding ``-->``; and a line indented by four columns or more is indented code
    when it follows a blank line or indented code and is not inside a list (see
    :class:`_IndentedCode`). A fence's lines count as a line that is not blank; a comment's
    lines do not count at all.
    """
    texts = lines.texts
    front_matter = _front_matter_lines(texts)
    hidden: set[int] = set(front_matter)
    code = _IndentedCode()
    index = len(front_matter)  # the first line not read yet
    while index < len(texts):
        text = texts[index]
        opener = _FENCE.match(text)
        if opener:
            # A fence that never closes is almost always a page scraped without its closing
            # backticks: hiding the rest of the document would hide its action items too.
            closing = _closing_fence(whole, lines, index, opener.group(1))
            end = index if closing is None else closing
            code.previous_blank = False
        elif text.lstrip().startswith("<!--"):
            end = _comment_end(whole, lines, index)
        else:
            if code.hides(text):
                hidden.add(index + 1)
            index += 1
            continue
        hidden.update(range(index + 1, end + 2))
        index = end + 1
    return hidden


@dataclass(slots=True)
class _IndentedCode:
    """Whether a line indented by four columns or more is indented code, read line by line."""

    previous_blank: bool = True
    in_list: bool = False
    in_code: bool = False

    def hides(self, text: str) -> bool:
        """Read the next line outside fences and comments: True when it is indented code.

        A non-blank line opens a list if it starts with a list marker, ends one if it is not
        indented at all, and ends indented code unless it is indented code itself.
        """
        blank = not text or text.isspace()
        code = False
        if not blank:
            indent = _indent_width(text)
            if _LIST_MARKER.match(text):
                self.in_list = True
            elif indent == 0:
                self.in_list = False
            code = indent >= 4 and not self.in_list and (self.previous_blank or self.in_code)
            self.in_code = code
        self.previous_blank = blank
        return code


@lru_cache(maxsize=64)
def _closing_fence_pattern(fence: str) -> re.Pattern[str]:
    """A line that is only white space and at least ``len(fence)`` of the fence's character."""
    return re.compile(rf"(?m)\n[^\S\n]*{re.escape(fence[0])}{{{len(fence)},}}[^\S\n]*$")


def _closing_fence(whole: str, lines: Lines, opener: int, fence: str) -> int | None:
    """Index of the line that closes the fence opened on line ``opener``, or None.

    Searched in the whole text from the end of the opener's line: the pattern's newline is the
    one that ends a line, so the match starts just before the closing line.
    """
    starts = lines.starts
    found = _closing_fence_pattern(fence).search(whole, starts[opener] + len(lines.texts[opener]))
    return None if found is None else bisect_left(starts, found.start() + 1)


def _comment_end(whole: str, lines: Lines, opener: int) -> int:
    """Index of the line that ends the comment opened on line ``opener`` (the last line if none).

    The comment ends on its first ``-->`` after the ``<!--`` (which begins the line after white
    space): on the opener itself, or on the first later line holding one.
    """
    text = lines.texts[opener]
    if "-->" in text[text.index("<!--") + 4 :]:
        return opener
    found = whole.find("-->", lines.starts[opener] + len(text))
    return len(lines.texts) - 1 if found == -1 else bisect_right(lines.starts, found) - 1


def _indent_width(text: str) -> int:
    width = 0
    for char in text:
        if char == " ":
            width += 1
        elif char == "\t":
            width += 4 - width % 4
        else:
            break
    return width


def _front_matter_lines(texts: list[str]) -> range:
    if not texts or texts[0].strip() != "---":
        return range(0)
    for index in range(1, len(texts)):
        if texts[index].strip() in ("---", "..."):
            return range(1, index + 2)
    return range(0)
