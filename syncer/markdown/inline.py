"""Inline Markdown: links, emphasis, code marks and tags inside one line of text."""

from __future__ import annotations

import re
from functools import lru_cache

_CACHE_SIZE = 8192  # entries per memo of a pure function; plenty for one large run

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~|`)")

# Linear time on hostile text (a line of "[" or "<"): a pattern searched for from every position
# fails again and again over the same stretch ("[[[…" each scanned up to the first "]"), which
# takes time quadratic in its length. Each pattern below is the plain one, then a ``skip``
# alternative matching what the plain one failed on up to where it could first match again;
# :func:`sub_kept` keeps that text as it is, so the result is the plain pattern's own. For a link:
# every "[" before the first "]" fails as the first did, and so does every "[" before the last "]"
# of a target that ran into white space or the end ("[](" repeated: the same target each time).
MD_LINK_OR_SKIP = re.compile(_MD_LINK.pattern + r"|(?P<skip>!?\[[^\]]*(?:\]\((?:[^)\s]*\])?)?)")
# "<" fails only where no ">" follows at all, or right before one ("<>").
_TAG_OR_SKIP = re.compile(r"<[^>]+>|(?P<skip><[^>]*)")
# "(" fails only where no ")" follows at all.
PARENTHESES_OR_SKIP = re.compile(r"\([^)]*\)|(?P<skip>\([^)]*)")
_AUTOLINK = re.compile(r"<([A-Za-z][\w+.-]{1,31}:[^\s<>]*)>")  # "<https://…>": its URL is its text


def sub_kept(pattern: re.Pattern[str], replacement: str, text: str) -> str:
    """``pattern.sub(replacement, text)``, keeping unchanged what its ``skip`` group matches."""

    def replace(found: re.Match[str]) -> str:
        return found.group(0) if found.group("skip") is not None else found.expand(replacement)

    return pattern.sub(replace, text)


def search_kept(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """``pattern.search(text)`` for a pattern with a ``skip`` group (see :func:`sub_kept`)."""
    return next((found for found in pattern.finditer(text) if found.group("skip") is None), None)


_MARKUP = re.compile(r"[\[<*_~`\\]")  # a character without which strip_markdown only strips


def strip_markdown(text: str) -> str:
    """Plain text of a Markdown fragment: links become their text, emphasis and code marks go."""
    if _MARKUP.search(text) is None:
        return text.strip()
    return _strip_markup(text)


@lru_cache(maxsize=_CACHE_SIZE)
def _strip_markup(text: str) -> str:
    text = sub_kept(MD_LINK_OR_SKIP, r"\1", text)
    text = sub_kept(_TAG_OR_SKIP, "", _AUTOLINK.sub(r"\1", text) if "<" in text else text)
    text = _EMPHASIS.sub("", text)
    return text.replace("\\|", "|").strip()


def unwrap_emphasis(text: str) -> str:
    """``text`` trimmed, without the emphasis marks that wrap all of it: ``**DONE**`` is
    ``DONE``, ``_In progress_`` is ``In progress``; ``✅ **Done**`` stays as it is."""
    text = text.strip()
    while True:
        mark = next((m for m in ("**", "__", "*", "_") if text.startswith(m)), None)
        if mark is None or len(text) <= 2 * len(mark) or not text.endswith(mark):
            return text
        text = text[len(mark):-len(mark)].strip()


def link_text(text: str) -> str:
    """The text of a cell that is entirely one Markdown link, else the cell unchanged."""
    found = _MD_LINK.fullmatch(text.strip())
    return found.group(1) if found else text.strip()
