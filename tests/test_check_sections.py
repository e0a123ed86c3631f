"""``pmsync check`` tells the user when a section that names action items yields none, and when a
list is passed over because the document keeps its action items in a table. Documents are made up
for these tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from syncer.check import check_document
from syncer.cli.main import main
from syncer.markdown.document import parse_document
from syncer.model import Diagnostic
from syncer.parse.list_items import parse_list_items
from syncer.parse.table_items import ParseOptions, parse_items

AS_OF = date(2025, 1, 1)


def check(text: str) -> list[Diagnostic]:
    doc = parse_document(Path("pm.md"), text.encode())
    return check_document(parse_list_items(parse_items(doc), ParseOptions()), AS_OF)


def codes(text: str, *wanted: str) -> list[tuple[int | None, str]]:
    return [(d.line, d.code) for d in check(text) if d.code in wanted]


SECTION_CODES = ("unread-section", "skipped-list", "skipped-table")


def test_action_heading_with_nothing_pmsync_reads_under_it_is_a_warning() -> None:
    text = "# Outage\n\n## Action items\n\nWe will add a canary and page earlier.\n\n## Timeline\n\n- 10:00 deploy\n"
    (found,) = [d for d in check(text) if d.code == "unread-section"]
    assert (found.line, found.severity) == (3, "warning")
    assert "Action items" in found.message


def test_empty_action_heading_is_a_warning_too() -> None:
    assert codes("## Follow-ups\n\n## Impact\n\nnone\n", *SECTION_CODES) == [(1, "unread-section")]


def test_action_section_with_items_gives_no_warning() -> None:
    text = "## Action items\n\n- Add a canary\n\n### Later\n\n- Shard the queue\n"
    assert codes(text, *SECTION_CODES) == []


def test_nested_action_heading_that_yields_nothing_is_named() -> None:
    text = (
        "## Follow-ups\n\n### Short-term actions\n\nTo be decided at the review.\n\n"
        "### Long-term actions\n\n- Shard the queue\n"
    )
    assert codes(text, *SECTION_CODES) == [(3, "unread-section")]


def test_template_rows_count_as_read() -> None:
    text = "## Action items\n\n| Action | Owner |\n|---|---|\n| [Action] | [Owner] |\n"
    assert codes(text, *SECTION_CODES) == []


def test_list_skipped_because_of_an_action_table_is_a_warning_naming_the_table() -> None:
    text = (
        "## Action items\n\n| Action | Owner |\n|---|---|\n| Add a canary | @kim |\n\n"
        "## Next steps\n\n- Shard the queue\n- Page earlier\n"
    )
    found = [d for d in check(text) if d.code in SECTION_CODES]
    assert [(d.line, d.code) for d in found] == [(9, "skipped-list")]
    assert "line 3" in found[0].message and found[0].severity == "warning"


def test_action_like_table_skipped_because_of_a_tracked_table_is_a_warning() -> None:
    text = (
        "## Action items\n\n| Action | Owner |\n|---|---|\n| Add a canary | @kim |\n\n"
        "## Improvements\n\n| Cause | Improvement |\n|---|---|\n| No tests | Add tests |\n"
    )
    assert codes(text, *SECTION_CODES) == [(9, "skipped-table")]


def test_title_heading_is_no_section() -> None:
    text = "# Follow-up review of the cache outage\n\nAll good.\n"
    assert codes(text, *SECTION_CODES) == []


def test_check_prints_the_warning_with_its_line_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pm.md").write_text("# Outage\n\n## Corrective actions\n\nSee the doc.\n")
    code = main(["check", "pm.md"])
    out = capsys.readouterr().out
    assert code == 0
    assert "pm.md:3" in out and "unread-section" in out


def test_action_table_with_only_blank_rows_is_an_empty_table_not_an_unread_section() -> None:
    text = "## Action items\n\n| Action | Owner |\n|---|---|\n|  |  |\n"
    assert codes(text, *SECTION_CODES, "empty-table") == [(3, "empty-table")]


def test_unreadable_table_under_an_action_heading_is_named_in_the_warning() -> None:
    text = "## Action items\n\n| Action | Owner | |---|---| | Add a canary | @kim |\n"
    (found,) = [d for d in check(text) if d.code == "unread-section"]
    assert found.line == 1 and "delimiter row" in found.message
