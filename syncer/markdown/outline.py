"""The headings of a document, including the ones that lost their ``#`` when a page was scraped.

Three kinds count as headings: Markdown headings (level 1–6), a line that is wholly bold
(``**Action Items:**``), and a short plain line that reads like a title (``Action Items``). Bold
and plain headings have no level of their own; they get level 7 so that any Markdown heading
closes them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property

from syncer.markdown.document import ASCII_BLANKS, Document, Line

PSEUDO_LEVEL = 7

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_WHOLLY_BOLD = re.compile(r"^\s*(?:\*\*|__)(.+?)(?:\*\*|__)\s*:?\s*$")
# A line that could be a heading (see heading_of), one alternative per kind: "#" after at most
# three spaces; a line that starts and ends with "**" or "__" (a colon and spaces aside); or a
# line not indented by a space or tab, at most 60 characters once trimmed, whose first character
# is an ASCII capital or not ASCII (only those can be upper case, which a plain heading must
# start with). The lookahead, one class test on the first character, turns most other lines
# away at once: the first character of a match is white space but a newline (blank lines
# are a quarter of all), "#", "*", "_", an ASCII capital or not ASCII. A whole-text
# pre-filter: most lines are long prose, list items, table rows or "**Label:** value" lines.
_MAY_BE_HEADING = re.compile(
    r"(?m)\n(?=[" + ASCII_BLANKS + r"#*_A-Z\x80-\U0010ffff])(?: {0,3}#"
    r"|[^\S\n]*(?:\*\*|__)[^\n]*(?:\*\*|__)[^\S\n]*:?[^\S\n]*$"
    r"|(?![ \t])[^\S\n]*(?:[A-Z]|[^\x00-\x7f\s])[^\n]{0,59}[^\S\n]*$)"
)


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading: its line, level (1–6, or 7 for bold/plain headings) and text."""

    line: int
    level: int
    text: str
    kind: str  # "atx", "bold" or "plain" (syncer.parse.list_items adds "label" and "title")




_MARKS = re.compile(r"[*_`]")
_NOT_IN_TITLE = re.compile(r"\]\(|\*\*|<|`|http")  # a link, bold, HTML, code or an address


def _clean(text: str) -> str:
    return _MARKS.sub("", text).strip().rstrip(":").strip()


def heading_of(line: Line, previous: Line | None = None) -> Heading | None:
    """The heading this line is, or None; ``previous`` is the line just above it, if any."""
    return _heading(line.number, line.text, previous.text if previous is not None else None)


def _heading(number: int, text: str, previous: str | None) -> Heading | None:
    """:func:`heading_of` on a line's number and text and the text of the line above it."""
    if "#" in text[:4]:  # an ATX heading's "#" comes after at most three spaces
        atx = _ATX.match(text)
        if atx:
            return Heading(number, len(atx.group(1)), _clean(atx.group(2) or ""), "atx")
    if text.lstrip()[:2] in ("**", "__"):
        bold = _WHOLLY_BOLD.match(text)
        if bold and "**" not in bold.group(1) and len(bold.group(1)) <= 80:
            return Heading(number, PSEUDO_LEVEL, _clean(bold.group(1)), "bold")
        return None  # starts with "*" or "_", so not a plain heading either
    if _looks_like_plain_heading(text, previous):
        return Heading(number, PSEUDO_LEVEL, _clean(text), "plain")
    return None


def _looks_like_plain_heading(text: str, previous: str | None) -> bool:
    stripped = text.strip()
    # An upper-case first character also rules out list items, quotes and table rows: no
    # marker ("-", "*", "+", ">", "|" or a digit) is upper case.
    if not stripped or not stripped[0].isupper() or len(stripped) > 60 or text[:1] in (" ", "\t"):
        return False
    if stripped[-1] in ".,;:!?)|" or len(stripped.split()) > 8:
        return False
    if _NOT_IN_TITLE.search(stripped):
        return False
    # A title line stands on its own: not the continuation of a paragraph (a blank line above
    # gives "", which is not in the tuple).
    return previous is None or previous.rstrip()[-1:] not in (",", "-")


@dataclass(frozen=True)
class Outline:
    """All headings of a document, in order, for "which section is this line in" questions."""

    headings: tuple[Heading, ...]

    @cached_property
    def _lines(self) -> list[int]:
        return [h.line for h in self.headings]

    def section_of(self, line: int) -> Heading | None:
        """The nearest heading above ``line``."""
        index = bisect_right(self._lines, line - 1)
        return self.headings[index - 1] if index else None


def build_outline(doc: Document, skip: frozenset[int] = frozenset()) -> Outline:
    """The outline of a document; lines in ``skip`` (e.g. table rows) are never headings."""
    headings = []
    texts = doc.texts
    hidden = doc.hidden
    for index in doc.indexes_starting(_MAY_BE_HEADING):
        number = index + 1
        if number in hidden or number in skip:
            continue
        heading = _heading(number, texts[index], texts[index - 1] if index else None)
        if heading is not None:
            headings.append(heading)
    return Outline(tuple(headings))
