"""A Markdown document read once, with the exact bytes kept so that write-back is lossless.

The text is split on ``\\n`` only (never on the other characters :meth:`str.splitlines` knows), and
each :class:`Line` keeps its own ending, so LF and CRLF may be mixed. Lines inside fenced code
blocks, indented code blocks, front matter and HTML comments are marked *hidden*: nothing inside
them is ever read as a table, a heading or an action item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from syncer.errors import InputError

BOM = b"\xef\xbb\xbf"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])(?:\s|$)")
# A line indented by four columns or more (four spaces, or a tab within the first three): only
# such a line can open indented code. _INDENTED finds one after a newline (not with "(?:^|\n)":
# the engine then jumps from newline to newline instead of trying every character, ten times
# faster); _INDENT checks the first line.
_INDENT = re.compile(r" {4}| {0,3}\t")
_INDENTED = re.compile(rf"\n(?:{_INDENT.pattern})")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a document: 1-based number, offset of its first character, text, ending."""

    number: int
    start: int
    text: str
    ending: str

    @property
    def end(self) -> int:
        """Offset just past the line's text (before its ending)."""
        return self.start + len(self.text)


@dataclass(frozen=True)
class Document:
    """A decoded Markdown document together with what is needed to encode it back identically."""

    path: Path
    raw: bytes
    text: str
    encoding: str
    bom: bool
    lines: tuple[Line, ...]
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

    def line(self, number: int) -> Line:
        """The line with this 1-based number."""
        return self.lines[number - 1]

    def is_hidden(self, number: int) -> bool:
        """Whether the line is inside code, front matter or an HTML comment."""
        return number in self.hidden

    def lines_starting(self, pattern: re.Pattern[str]) -> Iterator[Line]:
        """The lines at whose start ``pattern`` matches, in order.

        A pre-filter run over the whole text in one regex scan, so that passes looking for rare
        lines (headings, list items, labels) spend Python time only on lines that could be one.
        ``pattern`` must begin with a newline and match no other, so that it matches each line
        at most once; it may match more lines than the caller wants, never fewer. (A leading
        newline rather than ``(?m)^``: the regex engine then jumps from newline to newline
        instead of trying the pattern at every character, several times faster.)
        """
        text = self.text
        lines = self.lines
        index = 0
        counted_to = 0
        for found in pattern.finditer("\n" + text):
            at = found.start()  # where the line starts in text: the "\n" put before it shifts by one
            index += text.count("\n", counted_to, at)
            counted_to = at
            yield lines[index]


def read_document(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read ``path`` once and build a :class:`Document`; raises :class:`InputError` on bad input."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    return parse_document(path, raw, max_bytes=max_bytes)


def parse_document(path: Path, raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Build a :class:`Document` from bytes already read."""
    if len(raw) > max_bytes:
        raise InputError(
            path,
            f"file is {len(raw) / 1e6:.1f} MB, larger than the {max_bytes / 1e6:.1f} MB limit "
            "for a postmortem (setting max_document_mb)",
        )
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise InputError(path, "binary file (NUL byte), not Markdown", line=line)
    text, encoding, bom, warnings = _decode(path, raw)
    lines = split_lines(text)
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


def split_lines(text: str) -> tuple[Line, ...]:
    """Split on ``\\n`` only, keeping each line's ending (``\\r\\n``, ``\\n`` or none)."""
    chunks = text.split("\n")
    last = chunks.pop()  # the text after the final "\n" (empty when the text ends with one)
    lines: list[Line] = []
    append = lines.append
    offset = 0
    number = 0
    for number, chunk in enumerate(chunks, start=1):
        if chunk[-1:] == "\r":
            append(Line(number, offset, chunk[:-1], "\r\n"))
        else:
            append(Line(number, offset, chunk, "\n"))
        offset += len(chunk) + 1
    if last or not lines:
        append(Line(number + 1, offset, last, ""))
    return tuple(lines)


def _hidden_lines(text: str, lines: tuple[Line, ...]) -> set[int]:
    """Line numbers inside front matter, fenced or indented code, or HTML comments."""
    hidden: set[int] = set(_front_matter_lines(lines))
    if not _may_hide(text):
        return hidden
    in_comment = False
    in_list = False
    previous_blank = True
    in_indented_code = False
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        text = line.text
        if line.number in hidden:
            continue
        if in_comment:
            hidden.add(line.number)
            in_comment = "-->" not in text
            continue
        opener = _FENCE.match(text) if "```" in text or "~~~" in text else None
        if opener:
            closing = _closing_fence(lines, index, opener.group(1))
            # A fence that never closes is almost always a page scraped without its closing
            # backticks: hiding the rest of the document would hide its action items too.
            last = closing if closing is not None else index - 1
            hidden.update(range(line.number, last + 2))
            index = last + 1
            previous_blank = False
            continue
        if "<!--" in text and text.lstrip().startswith("<!--"):
            hidden.add(line.number)
            in_comment = "-->" not in text[text.index("<!--") + 4 :]
            continue
        blank = not text.strip()
        indent = _indent_width(text) if text[:1] in (" ", "\t") else 0
        if not blank:
            if _LIST_MARKER.match(text):
                in_list = True
            elif indent == 0:
                in_list = False
            if indent >= 4 and not in_list and (previous_blank or in_indented_code):
                in_indented_code = True
                hidden.add(line.number)
            else:
                in_indented_code = False
        previous_blank = blank
    return hidden


def _may_hide(text: str) -> bool:
    """Whether any line could open code or a comment: a fence, ``<!--`` or a deep indent.

    Many documents have none, and then the line-by-line pass would find nothing: these checks
    run in C over the whole text instead. (No marker spans a line break, so searching the whole
    text finds exactly the lines the pass would.)
    """
    return (
        "```" in text or "~~~" in text or "<!--" in text
        or _INDENTED.search(text) is not None or _INDENT.match(text) is not None
    )


def _closing_fence(lines: tuple[Line, ...], start: int, fence: str) -> int | None:
    """Index of the line that closes a fence opened just before ``lines[start]``."""
    for index in range(start, len(lines)):
        stripped = lines[index].text.strip()
        if stripped.startswith(fence) and set(stripped) <= {fence[0]}:
            return index
    return None


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


def _front_matter_lines(lines: tuple[Line, ...]) -> range:
    if not lines or lines[0].text.strip() != "---":
        return range(0)
    for line in lines[1:]:
        if line.text.strip() in ("---", "..."):
            return range(1, line.number + 1)
    return range(0)
