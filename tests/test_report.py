"""pmsync report: the pure core over fixed dates, the renderers, and the command's exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from config.settings import load_settings
from connectors.base import TicketFields, TicketLink, TicketState
from syncer.cli.main import main
from syncer.model import Status
from syncer.parse.extract import extract
from syncer.render.report import overdue_by_owner, report_markdown
from syncer.report import (
    TicketStates,
    age_bucket,
    build_report,
    item_key,
    severity_name,
)
from tests.conftest import DATA, ROOT

REPORT_DATA = Path("tests/data/report")  # relative, so outputs name files the same everywhere
GOLDEN = DATA / "report_golden"
AS_OF = date(2025, 4, 1)
UPDATE_GOLDEN = os.environ.get("PMSYNC_UPDATE_GOLDEN") == "1"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def _documents(path: Path = REPORT_DATA):
    extraction = extract([path], load_settings())
    assert not extraction.errors
    return extraction.documents


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- the core -------------------------------------------------------------------------------


def test_overdue_items_are_listed_most_overdue_first_with_their_age():
    report = build_report(_documents(), AS_OF)
    assert [(e.line, e.days_overdue) for e in report.overdue] == [(16, 121), (15, 31), (17, 8),
                                                                   (14, 7)]
    first = report.overdue[0]
    assert (first.title, first.owner, first.due, first.status) == (
        "Write the failover runbook", "@alice", date(2024, 12, 1), "open")
    assert (first.ticket, first.ticket_url, first.tracker) == (
        "#4", "https://github.com/acme/ops/issues/4", "github")
    assert (first.incident_id, first.document) == ("INC-101", "API outage")
    assert report.overdue[3].ticket == "OPS-1" and report.overdue[3].tracker == "jira"


def test_done_and_wont_do_items_are_never_overdue_or_incomplete():
    report = build_report(_documents(), AS_OF)
    listed = {e.title for e in (*report.overdue, *report.due_soon, *report.incomplete)}
    assert "Remove the old feature flag" not in listed  # done, due 2025-01-01
    assert "Drop the legacy API" not in listed  # won't do, due 2025-02-01
    assert "Tune the failover timeout" not in listed  # done


def test_due_soon_covers_today_to_seven_days_ahead():
    report = build_report(_documents(), AS_OF)
    assert [(e.title, e.due) for e in report.due_soon] == [
        ("Add latency dashboards", date(2025, 4, 3)),
        ("Add a replica lag alert", date(2025, 4, 5)),
        ("Document the failover", date(2025, 4, 8)),  # day 7 is in; 2025-04-09 is not
    ]
    wider = build_report(_documents(), AS_OF, due_soon_days=8)
    assert "Audit the backups" in {e.title for e in wider.due_soon}


def test_incomplete_lists_open_items_without_owner_or_due_date():
    report = build_report(_documents(), AS_OF)
    assert [(e.title, e.missing) for e in report.incomplete] == [
        ("Add latency dashboards", ("owner",)),
        ("Load test the gateway", ("due",)),
    ]


def test_metrics_count_statuses_buckets_and_completion():
    m = build_report(_documents(), AS_OF).metrics
    assert (m.documents, m.items) == (2, 12)
    assert dict(m.by_status) == {"open": 7, "in_progress": 2, "done": 2, "wont_do": 1,
                                 "unknown": 0}
    assert dict(m.overdue_buckets) == {"1-7": 1, "8-30": 1, "31-90": 1, ">90": 1}
    assert (m.overdue, m.due_soon, m.incomplete) == (4, 3, 2)
    api, db = m.by_postmortem
    assert (api.name, api.incident_id, api.items, api.done, api.wont_do, api.open) == (
        "API outage", "INC-101", 8, 1, 1, 6)
    assert api.rate == round(1 / 7, 4)  # won't do leaves the denominator
    assert (db.name, db.rate) == ("Database failover", 0.25)
    assert [(c.name, c.items, c.done) for c in m.by_severity] == [("SEV1", 8, 1), ("SEV2", 4, 1)]
    assert m.median_days_to_done is None and m.resolved_samples == 0


@pytest.mark.parametrize("days, bucket", [
    (1, "1-7"), (7, "1-7"), (8, "8-30"), (30, "8-30"), (31, "31-90"), (90, "31-90"),
    (91, ">90"), (4000, ">90"),
])
def test_age_bucket_boundaries(days: int, bucket: str):
    assert age_bucket(days) == bucket


@pytest.mark.parametrize("text, name", [
    ("SEV-1 (Critical)", "SEV1"), ("`SEV-1 (Critical)` | `SEV-2 (High)`", "SEV1"),
    ("sev2", "SEV2"), ("S3", "SEV3"), ("P0 - outage", "P0"), ("High", "High"),
    ("major incident", "Major"), (None, "unknown"), ("", "unknown"), ("Level Q", "Level Q"),
])
def test_severity_names(text: str | None, name: str):
    assert severity_name(text) == name


@pytest.mark.parametrize("group_by, groups", [
    ("owner", ["@alice", "@bob", "@carol"]),
    ("postmortem", ["INC-101: API outage"]),
    ("tracker", ["github", "(no ticket)", "jira"]),
    ("priority", ["P2 / Medium", "P1 / High"]),  # named by every word the map makes one
])
def test_group_by_names_each_entry_group(group_by: str, groups: list[str]):
    report = build_report(_documents(), AS_OF, group_by=group_by)  # type: ignore[arg-type]
    assert list(dict.fromkeys(e.group for e in report.overdue)) == groups
    assert all(e.group for e in (*report.due_soon, *report.incomplete))


def test_tracker_states_override_document_statuses_and_give_time_to_done():
    documents = _documents()
    items = {i.title: i for d in documents for i in d.items}
    runbook, limits = items["Write the failover runbook"], items["Add rate limiting to the public API"]
    link = TicketLink("github", "acme/ops#4", "https://github.com/acme/ops/issues/4")
    states = TicketStates({
        item_key(runbook): TicketState(link, TicketFields("Write the failover runbook"),
                                       Status.DONE, "closed",
                                       resolved=datetime(2025, 2, 9, 12, tzinfo=timezone.utc)),
        item_key(limits): TicketState(TicketLink("jira", "OPS-1", "https://j/browse/OPS-1"),
                                      TicketFields("Add rate limiting"), Status.IN_PROGRESS,
                                      "In Review"),
    }, notes=("OPS-9: not found",))
    report = build_report(documents, AS_OF, states=states)
    assert "Write the failover runbook" not in {e.title for e in report.overdue}
    still = next(e for e in report.overdue if e.title.startswith("Add rate limiting"))
    assert (still.status, still.status_source) == ("in_progress", "tracker")
    m = report.metrics
    assert (m.by_status["done"], m.by_status["open"]) == (3, 5)
    assert (m.median_days_to_done, m.resolved_samples) == (30.0, 1)  # 2025-01-10 → 2025-02-09
    assert report.refreshed and report.notes == ("OPS-9: not found",)


def test_seed_postmortems_at_a_fixed_date():
    report = build_report(_documents(DATA / "seeds"), date(2025, 3, 1))
    m = report.metrics
    assert (m.documents, m.items, m.overdue) == (5, 42, 17)
    assert dict(m.by_status) == {"open": 17, "in_progress": 8, "done": 11, "wont_do": 0,
                                 "unknown": 6}
    assert dict(m.overdue_buckets) == {"1-7": 0, "8-30": 3, "31-90": 3, ">90": 11}
    assert sum(m.overdue_buckets.values()) == len(report.overdue)
    assert [c.name for c in m.by_severity] == ["P0", "P1", "SEV1", "SEV3"]


def test_overdue_by_owner_folds_the_long_tail_into_others():
    report = build_report(_documents(DATA / "seeds"), date(2025, 3, 1))
    ranked = overdue_by_owner(report.overdue, top=4)
    assert ranked[:3] == [("@alice", 2), ("@bob", 2), ("Dev Team", 2)]
    assert ranked[3][0] == "others" and sum(n for _, n in ranked) == 17


# --- renderers through the command ------------------------------------------------------------


def test_json_output_has_the_documented_schema(capsys):
    code, out, _ = run(capsys, "report", "--as-of", "2025-04-01", "--format", "json",
                       str(REPORT_DATA))
    assert code == 0
    data = json.loads(out)
    assert {"as_of", "overdue", "due_soon", "incomplete", "metrics"} <= set(data)
    assert data["as_of"] == "2025-04-01" and data["refreshed"] is False
    for key in ("overdue", "due_soon", "incomplete"):
        for entry in data[key]:
            assert {"file", "line", "title", "owner", "due", "days_overdue", "status",
                    "ticket"} <= set(entry)
    first = data["overdue"][0]
    assert (first["file"], first["line"], first["days_overdue"], first["due"], first["ticket"]) \
        == ("tests/data/report/2025-01-10-api-outage.md", 16, 121, "2024-12-01", "#4")
    assert data["metrics"]["overdue_buckets"] == {"1-7": 1, "8-30": 1, "31-90": 1, ">90": 1}
    assert data["metrics"]["completion_by_severity"][0] == {
        "name": "SEV1", "items": 8, "done": 1, "wont_do": 1, "open": 6, "rate": 0.1429}


@pytest.mark.parametrize("golden, options", [
    ("report.md", ()),
    ("report-by-owner.md", ("--group-by", "owner")),
])
def test_markdown_matches_golden_file(capsys, golden: str, options: tuple[str, ...]):
    code, out, _ = run(capsys, "report", "--as-of", "2025-04-01", "--format", "markdown",
                       *options, str(REPORT_DATA))
    assert code == 0
    if UPDATE_GOLDEN:
        (GOLDEN / golden).write_text(out, encoding="utf-8")
    assert out == (GOLDEN / golden).read_text(encoding="utf-8")


def test_markdown_has_github_mermaid_charts():
    text = report_markdown(build_report(_documents(), AS_OF))
    assert "```mermaid\npie showData\n    title Action items by status\n" in text
    assert '    "open" : 7\n' in text and '"no status"' not in text  # empty slices left out
    assert "```mermaid\nxychart-beta\n" in text
    assert '    x-axis ["@alice", "@bob", "@carol"]\n    y-axis "Overdue items" 0 --> 2\n' \
           "    bar [2, 1, 1]\n" in text


def test_markdown_links_documents_with_the_base_url():
    text = report_markdown(build_report(_documents(), AS_OF),
                           document_base_url="https://git.example.com/pm/blob/main/")
    assert ("[tests/data/report/2025-01-10-api-outage.md:16](https://git.example.com/pm/blob/"
            "main/tests/data/report/2025-01-10-api-outage.md#L16)") in text


def test_markdown_escapes_pipes_in_cells(tmp_path: Path):
    doc = tmp_path / "pm.md"
    doc.write_text("| Action | Owner | Due |\n|---|---|---|\n| Use a \\| b | @x | 2025-01-01 |\n")
    text = report_markdown(build_report(_documents(doc), AS_OF))
    row = next(line for line in text.splitlines() if "Use a" in line)
    assert row.count(" | ") == 7  # eight cells, the pipe in the title escaped


def test_csv_has_one_row_per_listed_item(capsys):
    code, out, _ = run(capsys, "report", "--as-of", "2025-04-01", "--format", "csv",
                       str(REPORT_DATA))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["section"] for r in rows] == ["overdue"] * 4 + ["due_soon"] * 3 + ["incomplete"] * 2
    assert (rows[0]["title"], rows[0]["days_overdue"], rows[0]["ticket"]) == (
        "Write the failover runbook", "121", "#4")
    assert rows[-1]["missing"] == "due" and rows[-1]["days_overdue"] == ""


def test_text_output_lists_overdue_items(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, "report", "--as-of", "2025-04-01", str(REPORT_DATA))
    assert code == 0
    assert "Postmortem action items as of 2025-04-01" in out
    assert "Overdue (4)" in out and "Write the failover runbook" in out
    assert "Incomplete: no owner or no due date (2)" in out


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_empty_states_read_well(capsys, tmp_path: Path, fmt: str):
    (tmp_path / "pm.md").write_text(
        "| Action | Owner | Due | Status |\n|---|---|---|---|\n| Done thing | @a | 2025-01-01 | Done |\n")
    code, out, _ = run(capsys, "report", "--as-of", "2025-04-01", "--format", fmt, str(tmp_path))
    assert code == 0
    assert "No overdue action items 🎉" in out
    assert "Nothing falls due in the next 7 days." in out
    assert "Every open action item has an owner and a due date." in out


def test_no_items_at_all_reads_well(capsys, tmp_path: Path):
    (tmp_path / "notes.md").write_text("# Nothing here\n")
    code, out, _ = run(capsys, "report", "--as-of", "2025-04-01", "--format", "markdown",
                       str(tmp_path))
    assert code == 0
    assert "No overdue action items 🎉" in out and "No action items to chart." in out
    assert "```mermaid" not in out


def test_exit_0_with_overdue_items_unless_fail_on_overdue(capsys, tmp_path: Path):
    assert run(capsys, "report", "--as-of", "2025-04-01", str(REPORT_DATA))[0] == 0
    assert run(capsys, "report", "--as-of", "2025-04-01", "--fail-on-overdue",
               str(REPORT_DATA))[0] == 1
    # The same documents before anything fell due: nothing overdue, exit 0 even with the flag.
    assert run(capsys, "report", "--as-of", "2024-11-01", "--fail-on-overdue",
               str(REPORT_DATA))[0] == 0


def test_github_summary_appends_markdown(capsys, tmp_path: Path, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = run(capsys, "report", "--as-of", "2025-04-01", "--format", "json",
                       "--github-summary", str(REPORT_DATA))
    assert code == 0 and json.loads(out)["as_of"] == "2025-04-01"
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## Postmortem action items as of 2025-04-01")
    assert text.count("```mermaid") == 2


def test_github_summary_without_the_variable_is_a_usage_error(capsys):
    code, out, err = run(capsys, "report", "--github-summary", str(REPORT_DATA))
    assert code == 2 and out == ""
    assert "GITHUB_STEP_SUMMARY" in err and len(err.strip().splitlines()) == 1


def test_unreadable_document_exits_2_and_prints_no_report(capsys, tmp_path: Path):
    (tmp_path / "bad.md").write_bytes(b"| Action |\x00")
    code, out, err = run(capsys, "report", "--format", "json", str(tmp_path))
    assert code == 2 and out == ""
    assert "bad.md:1: binary file" in err


def test_refresh_without_a_tracker_names_the_settings(capsys, monkeypatch, tmp_path: Path):
    for name in ("PMSYNC_JIRA__URL", "PMSYNC_GITHUB__REPO", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "pmsync.toml"
    config.write_text("")
    code, _, err = run(capsys, "--config", str(config), "report", "--refresh", str(REPORT_DATA))
    assert code == 2
    assert "PMSYNC_JIRA__URL" in err and "PMSYNC_GITHUB__REPO" in err


# --- the shared corpus ------------------------------------------------------------------------


def test_dev_corpus_report_is_consistent(shared_corpus: Path, capsys):
    code, out, err = run(capsys, "report", "--as-of", "2025-06-01", "--format", "json",
                         str(shared_corpus / "dev"))
    assert code == 0, err
    data = json.loads(out)
    m = data["metrics"]
    items = sum(len(d.items) for d in _documents(shared_corpus / "dev"))
    assert m["items"] == items == sum(m["by_status"].values())
    assert m["overdue"] == len(data["overdue"]) == sum(m["overdue_buckets"].values())
    assert all(e["days_overdue"] >= 1 and e["status"] not in ("done", "wont_do")
               for e in data["overdue"])
    assert sum(c["items"] for c in m["completion_by_postmortem"]) == items
    assert sum(c["items"] for c in m["completion_by_severity"]) == items
    code, out, err = run(capsys, "report", "--as-of", "2025-06-01", "--format", "markdown",
                         "--group-by", "postmortem", str(shared_corpus / "dev"))
    assert code == 0 and "Traceback" not in err and out.startswith("## Postmortem action items")
