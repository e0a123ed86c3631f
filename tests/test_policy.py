"""Due dates by policy: priorities through the priority map, severities, the start date (the
incident's, else the first commit's), and the effective due date in items, check and report."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest

from config.settings import Settings, load_settings
from syncer.cli.main import main
from syncer.model import ActionItem, Due, Metadata
from syncer.parse.extract import extract
from syncer.policy import DuePolicy, PriorityClasses, effective_due, first_commit_date

POSTMORTEM = """\
# INC-7: Checkout outage

**Incident date:** 2026-01-10
**Severity:** SEV-1

## Action items

| Action | Owner | Priority | Due | Status |
|---|---|---|---|---|
| Add alerting on checkout errors | @ann | P1 | | Open |
| Fix the retry loop | @bob | high | | Open |
| Write the runbook | | P3 | | Open |
| Review dashboards | @cy | | 2026-01-20 | Open |
| Retire the old cache | | P2 | | Done |
"""
POLICY = "[policy]\ndue_days = { P1 = 30, P2 = 60, default = 90 }\n"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run from ``tmp_path`` with no pmsync or GitHub variables from the developer's shell."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("PMSYNC_", "GITHUB_")) or name == "COLUMNS":
            monkeypatch.delenv(name)


def write(tmp_path: Path, text: str = POSTMORTEM, config: str | None = POLICY) -> Path:
    if config is not None:
        (tmp_path / "pmsync.toml").write_text(config)
    doc = tmp_path / "pm.md"
    doc.write_text(text)
    return doc


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def items_of(path: Path, settings: Settings) -> tuple[list[ActionItem], DuePolicy]:
    [parsed] = extract([path], settings).documents
    return list(parsed.items), DuePolicy.from_settings(settings)


# --- the core -------------------------------------------------------------------------------


def test_priorities_are_one_when_the_priority_map_makes_them_one():
    classes = PriorityClasses.from_settings(Settings())
    assert classes.same("P1", "High") and classes.same("p1", "HIGH")
    assert classes.same("P0", "Critical") and classes.same("P0", "Highest")  # the Jira value
    assert not classes.same("P1", "P2") and not classes.same("High", "Medium")
    assert classes.label("high") == "P1 / High"
    assert classes.label("Someday") == "Someday"


def test_a_configured_map_decides_which_priorities_are_one():
    settings = Settings(tracker="jira", jira={"priority_map": {"P1": "Major", "Urgent": "Major"}})
    classes = PriorityClasses.from_settings(settings)
    assert classes.same("urgent", "P1") and not classes.same("High", "P1")


def test_policy_days_by_priority_as_written_or_mapped_and_by_severity(tmp_path):
    doc = write(tmp_path, config=POLICY + "severity_due_days = { SEV1 = 14, SEV2 = 30 }\n")
    settings = load_settings()
    [parsed] = extract([doc], settings).documents
    policy = DuePolicy.from_settings(settings)
    alerting, retry, runbook, _, cache = parsed.items
    assert policy.days(alerting, parsed.metadata) == 14  # P1's 30, the SEV1's 14: the earlier
    assert policy.days(cache, Metadata()) == 60  # P2, no severity
    assert policy.days(retry, Metadata()) == 30  # "high" is P1 by the map
    assert policy.days(runbook, Metadata()) == 90  # P3: the default
    no_default = DuePolicy({"P1": 30}, {}, policy.priorities)
    assert no_default.days(runbook, Metadata()) is None


def test_the_effective_due_date_is_the_documents_then_the_tickets_then_the_policys(tmp_path):
    items, policy = items_of(write(tmp_path), load_settings())
    alerting, dashboards = items[0], items[3]
    [parsed] = extract([tmp_path / "pm.md"], load_settings()).documents
    assert policy.due(parsed, dashboards, date(2026, 9, 9)) == Due(date(2026, 1, 20), "document")
    assert policy.due(parsed, alerting, date(2026, 9, 9)) == Due(date(2026, 9, 9), "tracker")
    assert policy.due(parsed, alerting) == Due(date(2026, 2, 9), "policy")  # 2026-01-10 + 30
    assert effective_due(alerting) is None


def _git(repo: Path, *args: str, when: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)


def test_without_an_incident_date_the_policy_counts_from_the_first_commit(tmp_path):
    undated = POSTMORTEM.replace("**Incident date:** 2026-01-10\n", "")
    doc = write(tmp_path, undated)
    items, policy = items_of(doc, load_settings())
    [parsed] = extract([doc], load_settings()).documents
    assert parsed.metadata.incident_date is None
    assert policy.due(parsed, items[0]) is None  # not in git: no start, no policy date
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "pm.md")
    _git(tmp_path, "commit", "-q", "-m", "postmortem", when="2026-03-01T12:00:00+00:00")
    doc.write_text(undated + "\n")  # a later commit does not move the start
    _git(tmp_path, "commit", "-q", "-am", "edit", when="2026-04-01T12:00:00+00:00")
    assert first_commit_date(doc) == date(2026, 3, 1)
    assert DuePolicy.from_settings(load_settings()).due(parsed, items[0]) == \
        Due(date(2026, 3, 31), "policy")


# --- items, check, report -------------------------------------------------------------------


def test_items_json_without_a_policy_is_as_before(tmp_path, capsys):
    doc = write(tmp_path, config=None)
    code, out, _ = run(capsys, "items", "--format", "json", str(doc))
    assert code == 0
    [parsed] = extract([doc], load_settings()).documents
    assert json.loads(out) == [item.to_json() for item in parsed.items]
    assert "due_source" not in out


def test_items_json_with_a_policy_gives_the_effective_due_date_and_its_source(tmp_path, capsys):
    code, out, _ = run(capsys, "items", "--format", "json", str(write(tmp_path)))
    assert code == 0
    dues = [(i["due"], i["due_source"], i["due_raw"]) for i in json.loads(out)]
    assert dues == [("2026-02-09", "policy", None), ("2026-02-09", "policy", None),
                    ("2026-04-10", "policy", None), ("2026-01-20", "document", "2026-01-20"),
                    ("2026-03-11", "policy", None)]


def test_check_uses_policy_dates_and_says_so(tmp_path, capsys):
    doc = write(tmp_path)
    code, out, _ = run(capsys, "check", "--as-of", "2026-03-01", "--format", "json", str(doc))
    problems = json.loads(out)["problems"]
    codes = [p["code"] for p in problems]
    assert "missing-due" not in codes  # the policy gives every item a date
    overdue = [p for p in problems if p["code"] == "overdue"]
    assert [(p["line"], p["due"], p["due_source"]) for p in overdue] == [
        (10, "2026-02-09", "policy"), (11, "2026-02-09", "policy"), (13, "2026-01-20", "document")]
    assert overdue[0]["message"] == "overdue by 20 days (due 2026-02-09 by policy) and not done"
    assert overdue[2]["message"] == "overdue by 40 days (due 2026-01-20) and not done"
    assert code == 1  # missing-owner on the runbook is an error


def test_check_rules_can_be_switched_one_by_one(tmp_path, capsys):
    rules = ('[check]\nmissing-owner = "warning"\nmissing-priority = "off"\n'
             'overdue = "error"\nunowned-at-due = "warning"\nsevere-without-urgent = "error"\n')
    doc = write(tmp_path, config=POLICY + rules)
    _, out, _ = run(capsys, "check", "--as-of", "2026-05-01", "--format", "json", str(doc))
    found = {(p["line"], p["code"]): p["severity"] for p in json.loads(out)["problems"]}
    assert found[(12, "missing-owner")] == "warning"
    assert found[(10, "overdue")] == "error"
    assert found[(12, "unowned-at-due")] == "warning"  # due 2026-04-10 by policy, no owner
    assert not any(code == "missing-priority" for _, code in found)
    assert (None, "severe-without-urgent") not in found  # the SEV1 has P1 items


def test_a_severe_postmortem_without_an_urgent_item_is_found(tmp_path, capsys):
    calm = POSTMORTEM.replace("| P1 |", "| P3 |").replace("| high |", "| Low |")
    doc = write(tmp_path, calm, config='[check]\nsevere-without-urgent = "error"\n')
    code, out, _ = run(capsys, "check", "--as-of", "2026-01-11", str(doc))
    assert f"{doc}: error: a SEV1 postmortem with no P0 or P1 action item" in out
    assert code == 1
    write(tmp_path, POSTMORTEM, config='[check]\nsevere-without-urgent = "error"\n')
    assert "severe-without-urgent" not in run(capsys, "check", str(doc))[1]


def test_new_rules_are_off_until_set(tmp_path, capsys):
    calm = POSTMORTEM.replace("| P1 |", "| P3 |").replace("| high |", "| Low |")
    _, out, _ = run(capsys, "check", "--as-of", "2026-12-01", str(write(tmp_path, calm)))
    assert "severe-without-urgent" not in out and "unowned-at-due" not in out


def test_done_items_can_be_exempt_from_owner_and_due_rules(tmp_path, capsys):
    doc = write(tmp_path, config=None)
    _, out, _ = run(capsys, "check", "--as-of", "2026-12-01", str(doc))
    assert f"{doc}:14: error: no owner [missing-owner]" in out  # the done item, by default
    write(tmp_path, config="[check]\nexempt-done = true\n")
    _, out, _ = run(capsys, "check", "--as-of", "2026-12-01", str(doc))
    assert f"{doc}:14:" not in out and f"{doc}:12: error: no owner" in out


def test_a_misspelt_rule_or_level_is_a_configuration_error(tmp_path, capsys):
    doc = write(tmp_path, config='[check]\nmissing-ownr = "off"\n')
    code, _, err = run(capsys, "check", str(doc))
    assert code == 2 and "'missing-ownr' in [check] (did you mean 'missing-owner'?)" in err
    write(tmp_path, config='[check]\noverdue = "loud"\n')
    code, _, err = run(capsys, "check", str(doc))
    assert code == 2 and "PMSYNC_CHECK__OVERDUE" in err and "'error', 'warning' or 'off'" in err


def test_a_rule_level_from_the_environment(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PMSYNC_CHECK__MISSING_OWNER", "off")
    monkeypatch.setenv("PMSYNC_POLICY__DUE_DAYS", '{"default": 10}')
    _, out, _ = run(capsys, "check", "--as-of", "2026-01-15", str(write(tmp_path, config=None)))
    assert "missing-owner" not in out and "missing-due" not in out


def test_every_rule_is_documented_in_help_and_readme(capsys):
    from config.settings import CheckSettings
    from tests.conftest import ROOT

    _, out, _ = run(capsys, "check", "--help")
    readme = (ROOT / "README.md").read_text()
    defaults = CheckSettings()
    for code in CheckSettings.rule_codes():
        level = defaults.level(code)
        assert re.search(rf"^ +{code} +{level} ", out, re.MULTILINE), code
        assert f"| `{code}` | {level} |" in readme, code


def test_report_counts_policy_dates_and_marks_them(tmp_path, capsys):
    doc = write(tmp_path)
    code, out, _ = run(capsys, "report", "--as-of", "2026-03-01", "--format", "json", str(doc))
    data = json.loads(out)
    assert code == 0 and data["metrics"]["overdue"] == 3
    assert [(e["line"], e["due_source"]) for e in data["overdue"]] == [
        (13, "document"), (10, "policy"), (11, "policy")]
    _, text, _ = run(capsys, "report", "--as-of", "2026-03-01", str(doc))
    assert "2026-02-09 (policy)" in text and "2026-01-20 (policy)" not in text
    assert "(policy): no due date in the document; the follow-up policy's" in text
    _, markdown, _ = run(capsys, "report", "--as-of", "2026-03-01", "--format", "markdown",
                         str(doc))
    assert "| 20 | 2026-02-09 (policy) | Add alerting on checkout errors |" in markdown
    write(tmp_path, config="")
    _, out, _ = run(capsys, "report", "--as-of", "2026-03-01", "--format", "json", str(doc))
    assert json.loads(out)["metrics"]["overdue"] == 1  # only the document's own date


def test_report_groups_priorities_the_map_makes_one(tmp_path, capsys):
    doc = write(tmp_path)
    _, out, _ = run(capsys, "report", "--as-of", "2026-03-01", "--group-by", "priority",
                    "--format", "json", str(doc))
    groups = [(e["line"], e["group"]) for e in json.loads(out)["overdue"]]
    assert groups == [(13, "(no priority)"), (10, "P1 / High"), (11, "P1 / High")]
