"""The JQL subset: parsing, precedence, name resolution and Jira's error wording."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.sandbox.jql import (
    And,
    Clause,
    JqlError,
    Not,
    Or,
    OrderBy,
    compile_query,
    parse_jql,
)

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()


@dataclass
class Issue:
    id: int
    key: str
    project_key: str = "OPS"
    labels: list[str] = field(default_factory=list)
    status_id: str = "10000"
    created: float = NOW - 3600
    updated: float = NOW - 3600


class Catalog:
    """Two projects, the sandbox's statuses, issues OPS-1..OPS-3."""

    def project_key(self, ref: str) -> str | None:
        return ref.upper() if ref.upper() in ("OPS", "SRE") else None

    def status_ids(self, ref: str) -> set[str] | None:
        names = {"to do": "10000", "in progress": "3", "done": "10001", "won't do": "10002"}
        return {names[ref.lower()]} if ref.lower() in names else None

    def category_status_ids(self, ref: str) -> set[str] | None:
        categories = {"new": {"10000"}, "indeterminate": {"3"}, "done": {"10001", "10002"}}
        return categories.get(ref.lower())

    def issue_ref(self, ref: str) -> tuple[str, int] | None:
        number = ref.upper().removeprefix("OPS-")
        return (ref.upper(), int(number)) if number in ("1", "2", "3") else None


def _matching(jql: str, issues: list[Issue]) -> list[str]:
    query = compile_query(parse_jql(jql), Catalog(), NOW)
    return [i.key for i in query.sort([i for i in issues if query.matches(i)])]


def test_and_binds_tighter_than_or() -> None:
    parsed = parse_jql("project = OPS OR labels = a AND labels = b")
    assert parsed.where == Or(
        (
            Clause("project", "=", ("OPS",)),
            And((Clause("labels", "=", ("a",)), Clause("labels", "=", ("b",)))),
        )
    )


def test_parentheses_not_and_order_by() -> None:
    parsed = parse_jql('NOT (issuekey in (OPS-1, "OPS-2")) order by updated DESC, key')
    assert parsed.where == Not(Clause("key", "in", ("OPS-1", "OPS-2")))
    assert parsed.order == (OrderBy("updated", False), OrderBy("key", True))


def test_evaluation_over_issues() -> None:
    issues = [
        Issue(1, "OPS-1", labels=["pmsync"]),
        Issue(2, "OPS-2", labels=["PMSYNC", "x"], status_id="10002"),
        Issue(3, "OPS-3", status_id="3"),
        Issue(4, "SRE-1", project_key="SRE"),
    ]
    assert _matching("labels = pmsync ORDER BY key", issues) == ["OPS-1", "OPS-2"]
    assert _matching("project = OPS AND statusCategory != done", issues) == ["OPS-3", "OPS-1"]
    assert _matching("status in ('In Progress', \"Won't Do\")", issues) == ["OPS-3", "OPS-2"]
    assert _matching("project = SRE OR key = OPS-3", issues) == ["SRE-1", "OPS-3"]
    assert _matching("project = OPS AND labels is EMPTY", issues) == ["OPS-3"]


def test_dates_compare_at_minute_precision() -> None:
    issue = Issue(
        1, "OPS-1", updated=datetime(2030, 6, 1, 11, 30, 45, tzinfo=timezone.utc).timestamp()
    )
    assert _matching('updated >= "2030-06-01 11:30"', [issue]) == ["OPS-1"]
    assert _matching('updated > "2030/06/01 11:30"', [issue]) == []
    assert _matching("updated >= -30m", [issue]) == ["OPS-1"]
    assert _matching("updated >= -29m", [issue]) == []
    with pytest.raises(JqlError, match="Valid formats include"):
        _matching('updated >= "2030-06-01 11:30:45"', [issue])


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("key in (OPS-1, OPS-9)", "An issue with key 'OPS-9' does not exist for field 'key'."),
        ("status = Shipped", "The value 'Shipped' does not exist for the field 'status'."),
        (
            "statusCategory = finished",
            "The value 'finished' does not exist for the field 'statusCategory'.",
        ),
        ("labels ~ pm", "The pmsync sandbox does not support the JQL operator '~'."),
        ("project > OPS", "The operator '>' is not supported by the 'project' field."),
        (
            "labels in pmsync",
            ("Error in the JQL Query: Expecting '(' but got 'pmsync'. (line 1, character 11)"),
        ),
        (
            "project = currentProject()",
            "The pmsync sandbox does not support the JQL function 'currentProject()'.",
        ),
        ("priority = High", "The pmsync sandbox does not support the JQL field 'priority'."),
        (
            "project = OPS ORDER BY rank",
            ("Field 'rank' does not exist or you do not have permission to view it."),
        ),
    ],
)
def test_errors_use_jira_wording(jql: str, message: str) -> None:
    with pytest.raises(JqlError) as raised:
        compile_query(parse_jql(jql), Catalog(), NOW)
    assert raised.value.messages == [message]


def test_unknown_keys_match_nothing_when_validation_is_off() -> None:
    query = compile_query(parse_jql("key in (OPS-1, OPS-9)"), Catalog(), NOW, validate=False)
    assert [query.matches(Issue(n, f"OPS-{n}")) for n in (1, 9)] == [True, False]


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1))
def test_any_quoted_label_reads_back_unchanged(label: str) -> None:
    quoted = '"' + label.replace("\\", "\\\\").replace('"', '\\"') + '"'
    assert parse_jql(f"labels = {quoted}").where == Clause("labels", "=", (label,))
