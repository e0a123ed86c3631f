from __future__ import annotations

from datetime import date

import pytest

from syncer.markdown.inline import strip_markdown
from syncer.model import Status, TicketRef, owner_handle
from syncer.parse.values import (
    is_empty_value,
    is_placeholder,
    jira_keys,
    parse_date,
    parse_status,
    parse_ticket,
    read_ticket,
    repair_mojibake,
)


@pytest.mark.parametrize(
    "text, status",
    [
        ("Done", Status.DONE),
        ("✅ Complete", Status.DONE),
        ("**Completed**", Status.DONE),
        ("Fixed", Status.DONE),
        ("In Progress", Status.IN_PROGRESS),
        ("in-progress", Status.IN_PROGRESS),
        ("WIP", Status.IN_PROGRESS),
        ("🟡 In Progress", Status.IN_PROGRESS),
        ("⏳", Status.IN_PROGRESS),
        ("Not Started", Status.OPEN),
        ("📅 Planned", Status.OPEN),
        ("⚪", Status.OPEN),
        ("TODO", Status.OPEN),
        ("To Do", Status.OPEN),
        ("Won't Do", Status.WONT_DO),
        ("Won’t fix", Status.WONT_DO),
        ("Cancelled", Status.WONT_DO),
        ("❌", Status.WONT_DO),
        ("[x]", Status.DONE),
        ("[ ]", Status.OPEN),
        ("n/a DONE", Status.DONE),
        # UTF-8 emoji read as cp1252 (mojibake) as seen in scraped templates
        ("âœ…", Status.DONE),
        ("ðŸŸ¡", Status.IN_PROGRESS),
        ("âšª", Status.OPEN),
    ],
)
def test_parse_status(text: str, status: Status):
    found = parse_status(text)
    assert found is not None and found.status is status


def test_not_started_is_not_started():
    # The longest phrase wins: "not started" must not be read as "started".
    assert parse_status("Not started yet").status is Status.OPEN  # type: ignore[union-attr]
    assert parse_status("not planned").status is Status.WONT_DO  # type: ignore[union-attr]


def test_unknown_status_is_none():
    assert parse_status("Someday maybe") is None
    assert parse_status("") is None


def test_status_raw_is_the_word_that_said_it():
    assert parse_status("n/a DONE").raw == "DONE"  # type: ignore[union-attr]


def test_repair_mojibake_leaves_normal_text_alone():
    assert repair_mojibake("âœ… Complete") == "✅ Complete"
    assert repair_mojibake("Café déjà vu") == "Café déjà vu"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-10-10", date(2025, 10, 10)),
        ("2025/10/10", date(2025, 10, 10)),
        ("10 Oct 2025", date(2025, 10, 10)),
        ("Oct 10, 2025", date(2025, 10, 10)),
        ("October 10th 2025", date(2025, 10, 10)),
        ("7th September, 2022.", date(2022, 9, 7)),
        ("10/15/2025", date(2025, 10, 15)),
        ("15/10/2025", date(2025, 10, 15)),  # a first number above 12 can only be the day
        ("`2025-01-17`", date(2025, 1, 17)),
    ],
)
def test_parse_date_with_year(text: str, expected: date):
    found = parse_date(text)
    assert found is not None and found.value == expected and not found.year_inferred


def test_day_month_order_is_configurable():
    assert parse_date("03/04/2025", order="MDY").value == date(2025, 3, 4)  # type: ignore[union-attr]
    assert parse_date("03/04/2025", order="DMY").value == date(2025, 4, 3)  # type: ignore[union-attr]


def test_year_is_inferred_from_incident_date():
    found = parse_date("Oct 10", incident_date=date(2025, 10, 8))
    assert found is not None and found.value == date(2025, 10, 10) and found.year_inferred


def test_inferred_year_rolls_over_to_the_next_year():
    # An item due "Jan 5" for an incident on 2025-12-20 is due in 2026, not eleven months before.
    found = parse_date("Jan 5", incident_date=date(2025, 12, 20))
    assert found is not None and found.value == date(2026, 1, 5)


def test_yearless_date_without_incident_date_is_none():
    assert parse_date("Oct 10") is None


@pytest.mark.parametrize("text", ["TBD", "Q1 2026", "ASAP", "next sprint", "", "[YYYY-MM-DD]", "2025-02-30"])
def test_not_dates(text: str):
    assert parse_date(text, incident_date=date(2025, 1, 1)) is None


@pytest.mark.parametrize(
    "text, kind, key, url",
    [
        ("ENG-1234", "jira", "ENG-1234", None),
        ("[OPS-5](https://acme.atlassian.net/browse/OPS-5)", "jira", "OPS-5",
         "https://acme.atlassian.net/browse/OPS-5"),
        ("[jira](https://x.atlassian.net/browse/SAAS-12)", "jira", "SAAS-12",
         "https://x.atlassian.net/browse/SAAS-12"),
        ("#12", "github", "#12", None),
        ("acme/api#7", "github", "#7", None),
        ("https://github.com/acme/api/issues/99", "github", "#99",
         "https://github.com/acme/api/issues/99"),
        ("see https://github.com/acme/api/pull/3.", "github", "#3", "https://github.com/acme/api/pull/3"),
    ],
)
def test_parse_ticket(text: str, kind: str, key: str, url: str | None):
    ref = parse_ticket(text)
    assert ref is not None and (ref.kind, ref.key, ref.url) == (kind, key, url)


def test_owner_repo_is_kept_for_cross_repo_refs():
    assert parse_ticket("acme/api#7").repo == "acme/api"  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["n/a", "TODO", "CVE-2021-44228", "UTF-8", "SEV-1", "", "see notes"])
def test_not_tickets(text: str):
    assert parse_ticket(text) is None


def test_jira_keys_skip_lookalikes():
    assert jira_keys("CVE-2021-44228 and ABC-12, UTF-8") == ["ABC-12"]


@pytest.mark.parametrize("text", ["[Name]", "[YYYY-MM-DD]", "[Status]", "YYYY-MM-DD", "<owner>", "[High/Medium/Low]"])
def test_placeholders(text: str):
    assert is_placeholder(text)


@pytest.mark.parametrize("text", ["[x]", "[ ]", "Alice", "[OPS-1](http://x/browse/OPS-1)", "2025-01-01"])
def test_not_placeholders(text: str):
    assert not is_placeholder(text)


def test_owner_handle_and_empty_values():
    assert owner_handle("@alice (SRE)") == "alice"
    assert owner_handle("alice@example.com") is None
    assert owner_handle("Jane Doe") is None
    assert is_empty_value(" - ") and is_empty_value("N/A") and is_empty_value("TBD")
    assert not is_empty_value("Alice")


def test_strip_markdown():
    assert strip_markdown("**Fix** the [`pool`](http://x) <b>now</b>") == "Fix the pool now"
def test_bug_ids() -> None:
    assert parse_ticket("as described in b/343765967") == TicketRef("bug", "b/343765967")
    assert parse_ticket("see lib/12345 and a/b/c") is None


@pytest.mark.parametrize("text", ["CVE-2022-25878", "CWE-327", "HTTP-2 only", "HTTPS-1"])
def test_security_and_protocol_ids_are_not_jira_keys(text: str) -> None:
    assert parse_ticket(text) is None


def test_jira_key_after_a_lookalike() -> None:
    assert parse_ticket("Patch CWE-327, tracked in SEC-12") == TicketRef("jira", "SEC-12")




@pytest.mark.parametrize(("text", "expected"), [
    ("[PAY-6](https://jira.example.com/browse/PAY-6)",
     TicketRef("jira", "PAY-6", "https://jira.example.com/browse/PAY-6")),
    ("https://github.com/acme/shop/issues/4",
     TicketRef("github", "#4", "https://github.com/acme/shop/issues/4", "acme/shop")),
    ("https://h/browse/ABC-1/issues/5", TicketRef("jira", "ABC-1", "https://h/browse/ABC-1/issues/5")),
    ("[x](https://github.com/a/b/pulls/12)",
     TicketRef("github", "#12", "https://github.com/a/b/pulls/12", "a/b")),
    ("AB-1/x#12", TicketRef("jira", "AB-1")),
    ("[https://h/a/b/issues/1](https://h/a/b/issues/2)",
     TicketRef("github", "#1", "https://h/a/b/issues/1", "a/b")),
    ("acme/shop#12", TicketRef("github", "#12", None, "acme/shop")),
    ("b/100003", TicketRef("bug", "b/100003")),
])
def test_whole_cell_ticket_shapes(text: str, expected: TicketRef) -> None:
    assert read_ticket(text) == expected
