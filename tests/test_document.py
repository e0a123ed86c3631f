from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncer.errors import InputError
from syncer.markdown.document import Lines, parse_document, read_document


def doc_of(text: str | bytes, name: str = "pm.md"):
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return parse_document(Path(name), raw)


def test_lines_keep_each_ending():
    lines = Lines("a\r\nb\nc")
    assert [(line.text, line.ending) for line in lines] == [("a", "\r\n"), ("b", "\n"), ("c", "")]
    assert lines[1].start == 3 and lines[2].start == 5


def test_lines_split_only_on_newline():
    # \x0b, \x0c and U+2028 are line breaks for str.splitlines but not for Markdown line numbers.
    lines = Lines("a\x0bb\u2028c\nd\n")
    assert [line.text for line in lines] == ["a\x0bb\u2028c", "d"]


def test_utf8_bom_is_remembered_and_restored():
    doc = doc_of(b"\xef\xbb\xbf# T\r\n")
    assert doc.bom and doc.text == "# T\r\n"
    assert doc.encode(doc.text) == doc.raw and doc.roundtrips


def test_cp1252_fallback_warns_with_line():
    doc = doc_of("ok\ncafé “quoted”\n".encode("cp1252"))
    assert doc.encoding == "cp1252"
    assert doc.text.splitlines()[1] == "café “quoted”"
    assert doc.warnings and ":2:" in doc.warnings[0]
    assert doc.roundtrips


def test_binary_file_is_refused_with_line():
    with pytest.raises(InputError, match=r"pm.md:2: binary file"):
        doc_of(b"text\nbin\x00ary")


def test_oversized_file_names_the_setting():
    with pytest.raises(InputError, match="max_document_mb"):
        parse_document(Path("big.md"), b"x" * 101, max_bytes=100)


@pytest.mark.parametrize("raw", [
    "# Incident\n| Action | Owner |\n".encode("utf-16"),  # with its byte order mark
    "# Incident\n".encode("utf-16-le"), "# Incident\n".encode("utf-16-be"),  # without
    "# Incident\n".encode("utf-32"),
])
def test_utf16_and_utf32_are_named_not_called_binary(raw: bytes):
    with pytest.raises(InputError, match=r"^pm.md: UTF-16 or UTF-32 text is not supported: "
                                         r"save it as UTF-8$"):
        doc_of(raw)


def test_size_limit_is_stated_in_the_unit_of_the_setting():
    limit = 5 * 2**20  # max_document_mb = 5
    with pytest.raises(InputError) as raised:
        parse_document(Path("big.md"), b"x" * (limit + 2**19), max_bytes=limit)
    assert str(raised.value) == ("big.md: file is 5,767,168 bytes (5.5 MB), more than the 5 MB "
                                 "limit for a postmortem (setting max_document_mb)")


def test_missing_file_and_directory(tmp_path: Path):
    with pytest.raises(InputError, match="no such file"):
        read_document(tmp_path / "nope.md")
    with pytest.raises(InputError, match="is a directory"):
        read_document(tmp_path)


def test_file_read_whole_when_its_size_is_unknown_beforehand():
    # A /proc file reports size 0: one read of "size + 1" bytes is not the end, reading goes on.
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("needs /proc")
    doc = read_document(status)
    assert doc.texts[0].startswith("Name:") and len(doc.texts) > 5


def test_file_read_exactly(tmp_path: Path):
    for raw in (b"", b"# T\r\n", "é\n".encode() * 50_000):
        path = tmp_path / "pm.md"
        path.write_bytes(raw)
        assert read_document(path).raw == raw


def test_hidden_lines_fences_comments_front_matter_indented_code():
    text = "---\ntitle: x\n---\n# Head\n```\n| a | b |\n```\n<!--\n| c | d |\n-->\n\n    | e | f |\n\n- item\n\n    - nested\n~~~~\nx\n~~~~~\nvisible"
    doc = doc_of(text)
    assert {1, 2, 3, 5, 6, 7, 8, 9, 10, 12, 17, 18, 19} <= doc.hidden
    assert not {4, 11, 14, 16, 20} & doc.hidden


@pytest.mark.parametrize("text, hidden", [
    ("    code\ntext\n", {1}),               # indented code on the very first line
    (" \tcode\n", {1}),                      # a tab within the first columns reaches four
    ("text\n\n  \tcode\n", {3}),
    ("text\n\n   not code\n", set()),        # three spaces are not enough
    ("# Title\n\n- item\n\ntext\n", set()),  # nothing that could open code or a comment
    ("    code\n  x\n    more\n", {1}),       # a slightly indented line ends indented code
    ("    code\n\n \n    more\n", {1, 4}),  # blank lines do not
    ("- item\n  wrapped\n\n    nested\n", set()),  # the list goes on past its wrapped line
    ("- item\n\nend\n\n    code\n", {5}),  # an unindented line ends the list
])
def test_indented_code_found_without_fences_or_comments(text, hidden):
    # Documents without fences or comments take a shortcut past the line-by-line pass.
    assert set(doc_of(text).hidden) == hidden



def test_unclosed_fence_hides_only_its_opener():
    doc = doc_of("# T\n```sql\nSELECT 1\n| a | b |\n|---|---|\n")
    assert doc.hidden == {2}


def _split_lines_reference(text: str) -> list[tuple[int, int, str, str]]:
    """The plain reading of the rule, kept to check the fast Lines against."""
    lines = []
    offset = 0
    for number, chunk in enumerate(text.split("\n"), start=1):
        if offset + len(chunk) >= len(text):
            if chunk or not lines:
                lines.append((number, offset, chunk, ""))
            break
        ending = "\r\n" if chunk.endswith("\r") else "\n"
        lines.append((number, offset, chunk[:-1] if ending == "\r\n" else chunk, ending))
        offset += len(chunk) + 1
    return lines


@given(st.text(alphabet=st.sampled_from(["a", " ", "|", "\n", "\r", "é", "#"]), max_size=60))
def test_lines_match_the_reference_and_rebuild_the_text(text: str):
    lines = Lines(text)
    assert [(ln.number, ln.start, ln.text, ln.ending) for ln in lines] == _split_lines_reference(text)
    assert "".join(ln.text + ln.ending for ln in lines) == text
    assert all(text[ln.start : ln.end] == ln.text for ln in lines)


def test_indexes_starting_finds_lines_after_crlf_and_without_final_newline():
    doc = parse_document(Path("x.md"), b"# a\r\nplain\r\n- b\n\n- c")
    import re

    found = [index + 1 for index in doc.indexes_starting(re.compile(r"\n[-#]"))]
    assert found == [1, 3, 5]


@given(st.text(alphabet="a#-\r\n", max_size=40), st.sampled_from([r"\n[-#]", r"\n", r"(?m)\n-*$"]))
def test_indexes_starting_counts_the_newlines_before_each_match(text: str, pattern: str):
    import re

    doc = parse_document(Path("x.md"), text.encode())
    shifted = "\n" + text
    wanted = [shifted.count("\n", 1, found.start() + 1) for found in re.finditer(pattern, shifted)]
    assert list(doc.indexes_starting(re.compile(pattern))) == wanted


_LINE_TEXT = st.text(alphabet=" \t\r|#*_-:aAfF[]`\\x1.\u00a0\x0c", max_size=70) | st.sampled_from([
    "Date: x", " Sev: y", "1 Incident ID: z", "\u00a0\u00a0Date: x", "- **Owner:** a", "  + __Sev__: b",
    "**Title**", "\u3000**Bold**", "Été", "    code", " \t```", "\u00a0~~~", "<!-- c", "## Head",
])


@given(st.lists(_LINE_TEXT, max_size=12))
def test_pre_filters_never_miss_a_line_the_exact_check_accepts(texts):
    """Each whole-text pre-filter finds every line its pass's own per-line check accepts."""
    from syncer.markdown.outline import _MAY_BE_HEADING, heading_of
    from syncer.markdown.tables import _DELIMITER_LINE, _MAY_BE_DELIMITER
    from syncer.parse.annotations import _LINK_DEFINITION, _MAY_BE_LINK_DEFINITION
    from syncer.parse.metadata import _BOLD_LABEL, _MAY_BE_LABEL, _plain_labels

    doc = parse_document(Path("x.md"), "\n".join(texts).encode())
    checks = [
        (_MAY_BE_HEADING, lambda i, line: heading_of(line, doc.lines[i - 1] if i else None)),
        (_MAY_BE_LABEL, lambda i, line: _BOLD_LABEL.match(line.text) or _plain_labels(line.text)),
        (_MAY_BE_DELIMITER, lambda i, line: _DELIMITER_LINE.match(line.text)),
        (_MAY_BE_LINK_DEFINITION, lambda i, line: _LINK_DEFINITION.match(line.text)),
    ]
    for pattern, accepts in checks:
        found = {index + 1 for index in doc.indexes_starting(pattern)}
        wanted = {line.number for i, line in enumerate(doc.lines) if accepts(i, line)}
        assert wanted <= found, pattern.pattern


