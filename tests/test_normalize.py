"""Ticket references: the kinds list items use, and ids that only look like Jira keys."""

from __future__ import annotations

import pytest

from syncer.normalize import TicketRef, parse_ticket


def test_bug_ids() -> None:
    assert parse_ticket("as described in b/343765967") == TicketRef("bug", "b/343765967")
    assert parse_ticket("see lib/12345 and a/b/c") is None


@pytest.mark.parametrize("text", ["CVE-2022-25878", "CWE-327", "HTTP-2 only", "HTTPS-1"])
def test_security_and_protocol_ids_are_not_jira_keys(text: str) -> None:
    assert parse_ticket(text) is None


def test_jira_key_after_a_lookalike() -> None:
    assert parse_ticket("Patch CWE-327, tracked in SEC-12") == TicketRef("jira", "SEC-12")
