"""Bounded work on hostile input: a megabyte line of one markup character, anywhere a postmortem
can hold text, is read, checked and written back in linear time.

A fork's pull request can put any text into a postmortem that ``pmsync check`` then reads: a
pattern that fails from every position of a long run (``"[" * n`` searched for a link) takes time
quadratic in its length: minutes for one megabyte. The rewritten patterns must also match exactly
what the plain ones did: property tests compare each with the plain pattern it replaced.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import re
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import connectors
import syncer
from config.settings import Settings
from syncer.check import check_document
from syncer.errors import InputError
from syncer.markdown.document import _closing_fence_pattern
from syncer.markdown.inline import (
    _TAG_OR_SKIP,
    MD_LINK_OR_SKIP,
    PARENTHESES_OR_SKIP,
    search_kept,
    sub_kept,
)
from syncer.markdown.tables import pipe_positions
from syncer.model import _APPENDED_LINK_OR_SKIP, Status
from syncer.parse.annotations import _APPENDED_LINK_END_OR_SKIP
from syncer.parse.extract import extract
from syncer.parse.list_items import _FOOTNOTE_OR_SKIP
from syncer.parse.values import _GH_REF
from syncer.sync.edits import ItemChange, escape_cell, plan_edits, render
from syncer.sync.status_text import DocumentVocabulary

MEGABYTE = 1_000_000
# Seconds for each of parsing and write-back of one document: linear code takes under two on a
# slow shared machine (bench/hostile_bench.py); the bound leaves room for a loaded one. The
# quadratic patterns this guards against took minutes (over 20 s for "[" * 40_000 alone).
BOUND = 8.0
CHARACTERS = ["[", "<", "\\", "*", "|", "`", "(", " ", "_", "~", "!", "]", "-"]
TABLE = "| Action | Owner | Due | Status | Ticket |\n|---|---|---|---|---|\n"


def documents(run: str) -> dict[str, str]:
    """Postmortems with ``run`` (a megabyte) in one place each."""
    actions = "# Outage\n\n## Action items\n\n"
    return {
        "title cell": actions + TABLE + f"| Fix {run} now | @ann | 2025-01-01 | Open | |\n",
        "status cell": actions + TABLE + f"| Fix it | @ann | 2025-01-01 | Open {run} | |\n",
        "ticket cell": actions + TABLE + f"| Fix it | @ann | 2025-01-01 | Open | {run} |\n",
        "list item": actions + f"- [ ] Fix {run} now, owner: @ann, due 2025-01-01\n"
                               f"- Fix it {run}\n",
        "heading": f"# {run}\n\n## Action items {run}\n\n### {run}\n\n- [ ] Fix it @ann\n",
        "metadata label": f"# Outage\n\n**Date:** {run}\n**Owner {run}:** x\nOwner: {run}:\n\n"
                          "## Action items\n\n- [ ] Fix it @ann\n",
        "link": actions + f"- [ ] Fix [{run}](https://example.com/) @ann\n\n| Action | Owner |\n"
                          f"|---|---|\n| [a{run}](https://example.com/) | [x]({run}) |\n",
    }


CASES = [(char, place) for char in CHARACTERS for place in documents("x")]


@pytest.mark.parametrize(("char", "place"), CASES, ids=[f"{c!r}-{p}" for c, p in CASES])
def test_a_megabyte_line_is_parsed_checked_and_written_back_in_bounded_time(
    tmp_path: Path, char: str, place: str
) -> None:
    path = tmp_path / "pm.md"
    path.write_text(documents(char * MEGABYTE)[place], encoding="utf-8")

    started = time.perf_counter()
    extraction = extract([path], Settings())
    for parsed in extraction.documents:
        check_document(parsed, date(2025, 4, 15))
    parsing = time.perf_counter() - started

    started = time.perf_counter()
    for parsed in extraction.documents:
        done = DocumentVocabulary(parsed.items).text(Status.DONE)
        link = "[OPS-1](https://example.atlassian.net/browse/OPS-1)"
        changes = [ItemChange(item, ticket=link, status=done) for item in parsed.items]
        # A row with a million cells is refused with a clear error: also in bounded time.
        with contextlib.suppress(InputError):
            render(parsed.doc, plan_edits(parsed.doc, changes))
    writing = time.perf_counter() - started

    assert extraction.documents and not extraction.errors
    assert parsing < BOUND, f"parsing took {parsing:.1f} s"
    assert writing < BOUND, f"write-back took {writing:.1f} s"


# The plain patterns the linear ones replaced: the oracles for what they must match.
PLAIN = {
    "link": (re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)"), MD_LINK_OR_SKIP, r"\1"),
    "tag": (re.compile(r"<[^>]+>"), _TAG_OR_SKIP, ""),
    "parentheses": (re.compile(r"\([^)]*\)"), PARENTHESES_OR_SKIP, " "),
    "footnote": (re.compile(r"\^?\[\[?[^\]]*\]?\]\([^)]*\)\^?"), _FOOTNOTE_OR_SKIP, ""),
    "appended link": (re.compile(r"\s*\(\[[^\]]*\]\([^)\s]*\)\)$"), _APPENDED_LINK_OR_SKIP, ""),
}
MARKUP = st.lists(st.sampled_from(["[", "]", "(", ")", "<", ">", "!", "^", " ", "\n", "a", '"',
                                   "](", "([", "[a](b)", ' "t"', "))"]), max_size=20).map("".join)


@pytest.mark.parametrize("name", PLAIN)
@settings(max_examples=3000, deadline=None)
@given(text=MARKUP)
def test_linear_patterns_replace_exactly_what_the_plain_ones_did(name: str, text: str) -> None:
    plain, linear, replacement = PLAIN[name]
    assert sub_kept(linear, replacement, text) == plain.sub(replacement, text)


@settings(max_examples=3000, deadline=None)
@given(text=MARKUP)
def test_linear_trailing_link_search_finds_what_the_plain_one_did(text: str) -> None:
    plain = re.compile(r"\s*\(\[[^\]\n]*\]\([^)\s]*\)\)\s*$").search(text)
    linear = search_kept(_APPENDED_LINK_END_OR_SKIP, text)
    assert (linear and linear.span()) == (plain and plain.span())


@settings(max_examples=3000, deadline=None)
@given(text=st.text(st.sampled_from(list("a-./&#1 _")), max_size=30))
def test_bounded_issue_reference_finds_what_the_unbounded_one_did(text: str) -> None:
    unbounded = re.compile(r"(?<![\w/&])(?:([\w.-]+/[\w.-]+))?#(\d{1,7})\b").search(text)
    bounded = _GH_REF.search(text)
    assert (bounded and (bounded.span(), bounded.groups())) == (
        unbounded and (unbounded.span(), unbounded.groups()))


def plain_pipe_positions(text: str) -> list[int]:
    """The character-by-character reading pipe_positions must agree with."""
    positions, i = [], 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == "`":
            run = len(text) - i - len(text[i:].lstrip("`"))
            close = text.find("`" * run, i + run)
            while close != -1 and text[close + run : close + run + 1] == "`":
                close = text.find("`" * run, close + run + 1)
            i = close + run if close != -1 else i + run
        else:
            if text[i] == "|":
                positions.append(i)
            i += 1
    return positions


@settings(max_examples=3000, deadline=None)
@given(text=st.lists(st.sampled_from(["|", "`", "\\", "a", "``", "\n"]), max_size=24).map("".join))
def test_pipe_positions_and_escaping_agree_with_a_plain_reading(text: str) -> None:
    positions = plain_pipe_positions(text)
    assert pipe_positions(text) == positions
    flat = text.replace("\n", " ")
    expected = "".join("\\" + ch if i in positions else ch for i, ch in enumerate(flat))
    assert escape_cell(text) == expected


def _patterns() -> dict[str, re.Pattern[str]]:
    found = {"document._closing_fence_pattern": _closing_fence_pattern("````")}
    for package in (syncer, connectors):
        for module in pkgutil.iter_modules(package.__path__):
            if module.name in ("__main__", "demo", "sandbox"):
                continue
            loaded = importlib.import_module(f"{package.__name__}.{module.name}")
            found.update({f"{loaded.__name__}.{name}": value for name, value in vars(loaded).items()
                          if isinstance(value, re.Pattern)})
    return found


def _operators(parsed: object) -> set[object]:
    """Every operator of a parsed pattern, nested ones included."""
    from re import _parser  # type: ignore[attr-defined]

    found: set[object] = set()
    if isinstance(parsed, _parser.SubPattern):
        for op, value in parsed.data:
            found |= {op, *_operators(value)}
    elif isinstance(parsed, (tuple, list)):
        for part in parsed:
            found |= _operators(part)
    return found


@pytest.mark.skipif(not hasattr(re, "_parser"), reason="reads the pattern parser of Python 3.11+")
def test_patterns_use_no_syntax_python_3_10_lacks() -> None:
    # requires-python is 3.10: possessive quantifiers and atomic groups (3.11) fail to compile
    # there, at import.
    from re import _constants, _parser  # type: ignore[attr-defined]

    newer = {_constants.POSSESSIVE_REPEAT, _constants.ATOMIC_GROUP}
    offending = [name for name, pattern in _patterns().items()
                 if _operators(_parser.parse(pattern.pattern, pattern.flags)) & newer]
    assert offending == []
