from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from syncer.document import parse_document
from syncer.outline import PSEUDO_LEVEL, Heading, build_outline, heading_of


def doc_of(text: str):
    return parse_document(Path("pm.md"), text.encode("utf-8"))


def test_the_three_kinds_of_heading() -> None:
    doc = doc_of(
        "## Action items ##\n"
        "\n"
        "**Follow-ups:**\n"
        "\n"
        "Lessons Learned\n"
        "prose that goes on.\n"
    )
    assert build_outline(doc).headings == (
        Heading(1, 2, "Action items", "atx"),
        Heading(3, PSEUDO_LEVEL, "Follow-ups", "bold"),
        Heading(5, PSEUDO_LEVEL, "Lessons Learned", "plain"),
    )


def test_lines_that_only_look_like_headings() -> None:
    doc = doc_of(
        "**Date:** 2024-01-15\n"          # a bold label with a value
        "- Item\n"                        # a list item
        "> Quote\n"                       # a quote
        "lower case start\n"              # not a title
        "Ends with a full stop.\n"        # a sentence
        "One two three four five six seven eight nine\n"  # too many words
        "    Indented\n"                  # indented
        "See [docs](http://x)\n"          # a link
        "#hashtag\n"                      # no space after the "#"
        "The first line,\n"
        "Continued Here\n"                # continues a paragraph
    )
    assert build_outline(doc).headings == ()


def test_hidden_lines_and_skipped_lines_are_never_headings() -> None:
    doc = doc_of("```\n# Not\n```\n| T |\n# Yes\nTitle\n")
    assert [h.line for h in build_outline(doc, skip=frozenset({6})).headings] == [5]


def test_non_ascii_capitals_start_a_plain_heading() -> None:
    doc = doc_of("Été\n\nélan\n")
    assert [h.text for h in build_outline(doc).headings] == ["Été"]


# The rules as first written, kept to check the faster heading_of and build_outline against.
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_WHOLLY_BOLD = re.compile(r"^\s*(?:\*\*|__)(.+?)(?:\*\*|__)\s*:?\s*$")
_LIST_OR_QUOTE = re.compile(r"^\s*(?:[-*+>|]|\d{1,9}[.)])(?:\s|$)")


def _clean(text: str) -> str:
    return re.sub(r"[*_`]", "", text).strip().rstrip(":").strip()


def _reference_heading(number: int, text: str, previous: str | None) -> Heading | None:
    atx = _ATX.match(text) if "#" in text[:4] else None
    if atx:
        return Heading(number, len(atx.group(1)), _clean(atx.group(2) or ""), "atx")
    bold = _WHOLLY_BOLD.match(text) if text.lstrip()[:2] in ("**", "__") else None
    if bold and "**" not in bold.group(1) and len(bold.group(1)) <= 80:
        return Heading(number, PSEUDO_LEVEL, _clean(bold.group(1)), "bold")
    stripped = text.strip()
    if not stripped or len(stripped) > 60 or text[:1] in (" ", "\t"):
        return None
    if _LIST_OR_QUOTE.match(text) or len(stripped.split()) > 8:
        return None
    if stripped[-1] in ".,;:!?)|" or not stripped[0].isupper():
        return None
    if any(mark in stripped for mark in ("](", "**", "<", "`", "http")):
        return None
    if previous is None or not previous.strip() or previous.rstrip()[-1:] not in ",-":
        return Heading(number, PSEUDO_LEVEL, _clean(text), "plain")
    return None


_SAMPLES = [
    "## Head ##", "**Bold:**", "__B__ :", "Title Case", "Été", " Indented", "Action Items",
    "http x", "A" * 61, "# #", "#\tx", "####### x", " ## x #", "# x ##", "#x", "## a # b", "# é",
]
_LINE = st.text(alphabet=" \t\r#*_-:,.>|1aAÉé[]()<`\u00a0\x0c", max_size=24) | st.sampled_from(_SAMPLES)


@given(st.lists(_LINE, max_size=10), st.sampled_from(["\n", "\r\n"]))
def test_outline_matches_the_rules_read_line_by_line(texts: list[str], ending: str) -> None:
    doc = doc_of(ending.join(texts))
    wanted = []
    for index, text in enumerate(doc.texts):
        previous = doc.texts[index - 1] if index else None
        heading = _reference_heading(index + 1, text, previous)
        assert heading_of(doc.lines[index], doc.lines[index - 1] if index else None) == heading
        if heading is not None and index + 1 not in doc.hidden:
            wanted.append(heading)
    assert build_outline(doc).headings == tuple(wanted)
