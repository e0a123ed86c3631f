"""Status words in a document's own vocabulary.

A document that writes ``✅ Done`` and ``🟡 In Progress`` gets those from ``pmsync pull``; one
that writes ``Completed`` gets that. When the document has never named a status, the new text
follows the style of the ones it has (emoji or not, letter case).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from syncer.model import ActionItem, Status, TableAnchor
from syncer.parse.annotations import annotation_status
from syncer.parse.values import StatusVocabulary, parse_status, repair_mojibake

DEFAULT_WORDS = {
    Status.OPEN: "Open",
    Status.IN_PROGRESS: "In Progress",
    Status.DONE: "Done",
    Status.WONT_DO: "Won't Do",
}
DEFAULT_EMOJI = {
    Status.OPEN: "⚪",
    Status.IN_PROGRESS: "🟡",
    Status.DONE: "✅",
    Status.WONT_DO: "❌",
}

_WORDS = re.compile(r"[^\W\d_]+")


def _pure(raw: str, status: Status, vocabulary: StatusVocabulary) -> bool:
    """Whether ``raw`` says only ``status`` (no dates, notes or links that would be copied)."""
    if len(raw) > 40 or any(ch in raw for ch in "[]()|"):
        return False
    raw = repair_mojibake(raw)  # "âœ… Done" is as pure as "✅ Done"
    match = parse_status(raw, vocabulary)
    if match is None or match.status is not status:
        return False
    rest = vocabulary.pattern.sub("", raw.replace("’", "'"))
    return not any(ch.isdigit() for ch in rest) and not _WORDS.findall(rest)


def _status_cell(item: ActionItem) -> str | None:
    """The text that states a table item's status, as written (``**DONE**``, not the status_raw
    ``DONE``): its Status cell, else the status words found in another cell."""
    anchor = item.anchor
    if not isinstance(anchor, TableAnchor):
        return None
    column = anchor.columns.get("status")
    if column is not None and column < len(anchor.row.texts) and anchor.row.texts[column]:
        return anchor.row.texts[column]
    return item.status_raw.strip() if item.status_raw else None


class DocumentVocabulary:
    """The status texts one document uses, and how to say a status in its style."""

    def __init__(self, items: Iterable[ActionItem], vocabulary: StatusVocabulary | None = None) -> None:
        self.vocabulary = vocabulary or StatusVocabulary.default()
        self.seen: dict[Status, Counter[str]] = {}
        self.samples: list[str] = []
        self.mojibake = False
        for item in items:
            raw = _status_cell(item)
            if item.status is None or not raw:
                continue
            repaired = repair_mojibake(raw)
            # Emoji that were decoded as cp1252 ("âœ…"): new ones are written the same way.
            self.mojibake = self.mojibake or repaired != raw
            self.samples.append(repaired)  # for its style: letter case, emoji or not
            if _pure(raw, item.status, self.vocabulary):
                self.seen.setdefault(item.status, Counter())[raw] += 1

    def text(self, status: Status) -> str:
        """How this document writes ``status``."""
        if status in self.seen:
            return self.seen[status].most_common(1)[0][0]
        word = DEFAULT_WORDS[status]
        if self.samples:
            letters = "".join(_WORDS.findall(" ".join(self.samples)))
            if letters and letters == letters.upper():
                word = word.upper()
            elif letters and letters == letters.lower():
                word = word.lower()
            elif all(s[:1].isupper() and s[1:] == s[1:].lower()
                     for s in (" ".join(_WORDS.findall(x)) for x in self.samples) if s):
                word = word[:1] + word[1:].lower()
            if any(_leading_emoji(s) for s in self.samples):
                emoji = DEFAULT_EMOJI[status]
                word = f"{as_mojibake(emoji) if self.mojibake else emoji} {word}"
        return word

    def annotation(self, status: Status) -> str:
        """The words of a list item's trailing status annotation, ``(Done)``: :meth:`text`
        when an annotation of it reads back as ``status``, else the plain word in its style."""
        text = self.text(status)
        found = annotation_status(text, self.vocabulary)
        if found is not None and found.status is status:
            return text
        return DEFAULT_WORDS[status]


def as_mojibake(text: str) -> str:
    """``text`` as it reads when its UTF-8 bytes are decoded as cp1252 (``✅`` → ``âœ…``),
    the inverse of :func:`syncer.parse.values.repair_mojibake`: the five bytes cp1252 leaves
    undefined become the C1 controls browsers map them to."""
    return "".join(
        bytes([byte]).decode("cp1252", errors="ignore") or chr(byte)
        for byte in text.encode("utf-8")
    )


def _leading_emoji(text: str) -> bool:
    return bool(text) and not text[0].isalnum() and ord(text[0]) > 0x2000
