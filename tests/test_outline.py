from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from syncer.markdown.document import parse_document
from syncer.markdown.outline import PSEUDO_LEVEL, Heading, build_outline, heading_of


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


_SAMPLES = [
    "## Head ##", "**Bold:**", "__B__ :", "Title Case", "Été", " Indented", "Action Items",
    "http x", "A" * 61, "# #", "#\tx", "####### x", " ## x #", "# x ##", "#x", "## a # b", "# é",
]
_LINE = st.text(alphabet=" \t\r#*_-:,.>|1aAÉé[]()<`\u00a0\x0c", max_size=24) | st.sampled_from(_SAMPLES)


@given(st.lists(_LINE, max_size=10), st.sampled_from(["\n", "\r\n"]))
def test_outline_holds_every_visible_line_that_is_a_heading(texts: list[str], ending: str) -> None:
    """build_outline (which looks only at the lines its pre-filter finds) misses no heading."""
    doc = doc_of(ending.join(texts))
    wanted = [
        heading
        for index, line in enumerate(doc.lines)
        if index + 1 not in doc.hidden
        and (heading := heading_of(line, doc.lines[index - 1] if index else None)) is not None
    ]
    assert build_outline(doc).headings == tuple(wanted)
