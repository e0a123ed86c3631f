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

from syncer.document import Document, Line

PSEUDO_LEVEL = 7

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_WHOLLY_BOLD = re.compile(r"^\s*(?:\*\*|__)(.+?)(?:\*\*|__)\s*:?\s*$")
# A line that could be a heading (see heading_of): "#" among its first four characters, a bold
# start, or at most 60 characters once trimmed, not indented by a space or tab. A whole-text
# pre-filter: most lines are long prose, list items or table rows.
_MAY_BE_HEADING = re.compile(
    r"(?m)\n(?:[^\n]{0,3}#|[^\S\n]*+(?:\*\*|__)"
    r"|(?![ \t])[^\S\n]*+\S[^\n]{0,59}+[^\S\n]*+$)"  # possessive: no backtracking on long lines
)
_LIST_OR_QUOTE = re.compile(r"^\s*(?:[-*+>|]|\d{1,9}[.)])(?:\s|$)")


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading: its line, level (1–6, or 7 for bold/plain headings) and text."""

    line: int
    level: int
    text: str
    kind: str  # "atx", "bold" or "plain" (syncer.lists adds "label" and "title")


_MARKS = re.compile(r"[*_`]")


def _clean(text: str) -> str:
    text = _MARKS.sub("", text).strip()
    return text.rstrip(":").strip()


def heading_of(line: Line, previous: Line | None = None) -> Heading | None:
    """The heading this line is, or None."""
    text = line.text
    atx = _ATX.match(text) if "#" in text[:4] else None
    if atx:
        return Heading(line.number, len(atx.group(1)), _clean(atx.group(2) or ""), "atx")
    bold = _WHOLLY_BOLD.match(text) if text.lstrip()[:2] in ("**", "__") else None
    if bold and "**" not in bold.group(1) and len(bold.group(1)) <= 80:
        return Heading(line.number, PSEUDO_LEVEL, _clean(bold.group(1)), "bold")
    if _looks_like_plain_heading(text, previous):
        return Heading(line.number, PSEUDO_LEVEL, _clean(text), "plain")
    return None


def _looks_like_plain_heading(text: str, previous: Line | None) -> bool:
    stripped = text.strip()
    if not stripped or len(stripped) > 60 or text[:1] in (" ", "\t"):
        return False
    if _LIST_OR_QUOTE.match(text) or len(stripped.split()) > 8:
        return False
    if stripped[-1] in ".,;:!?)|" or not stripped[0].isupper():
        return False
    if any(mark in stripped for mark in ("](", "**", "<", "`", "http")):
        return False
    # A title line stands on its own: not the continuation of a paragraph.
    return previous is None or not previous.text.strip() or previous.text.rstrip()[-1:] not in ",-"


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
    lines = doc.lines
    for line in doc.lines_starting(_MAY_BE_HEADING):
        if doc.is_hidden(line.number) or line.number in skip:
            continue
        index = line.number - 1
        previous = lines[index - 1] if index else None
        heading = heading_of(line, previous)
        if heading is not None:
            headings.append(heading)
    return Outline(tuple(headings))
