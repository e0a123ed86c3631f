"""The tracker registry is the one place pmsync learns about trackers: a third tracker registered
there (a fake, here) is a CLI choice, a name settings and routes accept, a tracker doctor checks
and push routes items to, and is named by the "no tracker is configured" message, without a
change to any other module."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from config.settings import Settings
from connectors import registry
from connectors.base import (
    Comment,
    CreateOutcome,
    Draft,
    Failed,
    Finding,
    Marker,
    Notice,
    TicketFields,
    TicketLink,
    TicketState,
    Tracker,
)
from connectors.registry import NoTrackerConfigured, TrackerSpec
from syncer.cli.main import main
from syncer.model import Status, TicketRef

URL_VARIABLE = "FAKE_TRACKER_URL"


class FakeTracker:
    """A tracker with no tickets, configured by one environment variable."""

    name: ClassVar[str] = "fake"
    token_variable: ClassVar[str] = "FAKE_TRACKER_TOKEN"
    statuses: ClassVar[frozenset[Status]] = frozenset({Status.OPEN, Status.DONE})

    @classmethod
    def from_settings(cls, settings: Settings) -> FakeTracker:
        return cls()

    def describe(self) -> str:
        return f"Fake tracker at {os.environ.get(URL_VARIABLE)}"

    def owns(self, ref: TicketRef) -> TicketLink | None:
        return None

    def desired(self, draft: Draft) -> tuple[TicketFields, tuple[Notice, ...]]:
        return TicketFields(draft.title), ()

    def find(self, markers: Sequence[Marker]) -> dict[Marker, TicketState]:
        return {}

    def find_all(self, markers: Sequence[Marker]) -> dict[Marker, list[TicketState]]:
        return {}

    def close_duplicate(self, state: TicketState, kept: TicketState) -> TicketState:
        raise NotImplementedError

    def create(self, drafts: Sequence[Draft],
               on_outcome: Callable[[int, CreateOutcome], None] | None = None,
               ) -> list[CreateOutcome]:
        raise NotImplementedError

    def tickets_of(self, document_ids: Sequence[str]) -> dict[str, list[TicketState]]:
        return {d: [] for d in document_ids}

    def update(self, state: TicketState, draft: Draft, fields: Sequence[Any]) -> TicketState:
        raise NotImplementedError

    def read(self, links: Sequence[TicketLink]) -> dict[str, TicketState | Failed]:
        return {}

    def set_status(self, state: TicketState, status: Status) -> TicketState:
        raise NotImplementedError

    def comments(self, link: TicketLink) -> list[Comment]:
        return []

    def comment(self, link: TicketLink, text: str, *, tag: str,
                mention: str | None = None) -> Comment:
        raise NotImplementedError

    def doctor(self) -> list[Finding]:
        return [Finding("connection", True, "the fake answers")]

    def close(self) -> None:
        pass


FAKE = TrackerSpec("fake", "Fake", f"{__name__}:FakeTracker",
                   lambda settings: bool(os.environ.get(URL_VARIABLE)), URL_VARIABLE,
                   (URL_VARIABLE, "FAKE_TRACKER_TOKEN"))

DOC = """# Outage

## Action items

| Action | Owner | Due |
|---|---|---|
| Add a canary | @maria | 2025-05-01 |
"""


@pytest.fixture
def fake_registered(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The fake registered; no other tracker configured; an empty config file in tmp_path."""
    for name in [n for n in os.environ if n.startswith(("PMSYNC_", "GITHUB_", "FAKE_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setitem(registry.TRACKERS, "fake", FAKE)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pmsync.toml").write_text("")
    yield tmp_path


def test_the_fake_satisfies_the_tracker_protocol() -> None:
    assert isinstance(FakeTracker(), Tracker)


def test_a_registered_tracker_is_a_cli_choice(fake_registered: Path, capsys) -> None:
    for command in ("push", "doctor"):
        assert main([command, "--help"]) == 0
        assert "[jira|github|fake]" in capsys.readouterr().out
    assert main(["doctor", "--tracker", "fake", "--format", "json"]) == 0
    [report] = json.loads(capsys.readouterr().out)["trackers"]
    assert report["tracker"] == "fake" and report["findings"][0]["detail"] == "the fake answers"


def test_doctor_checks_a_registered_tracker_its_spec_calls_configured(
    fake_registered: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv(URL_VARIABLE, "https://fake.example")
    assert main(["doctor", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [t["tracker"] for t in report["trackers"]] == ["fake"]
    assert report["trackers"][0]["description"] == "Fake tracker at https://fake.example"


@pytest.mark.parametrize("args", [["doctor"], ["push", "pm.md"], ["report", "--refresh", "pm.md"]])
def test_the_one_no_tracker_message_names_every_registered_tracker(
    fake_registered: Path, capsys, args: list[str]
) -> None:
    (fake_registered / "pm.md").write_text(DOC)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"pmsync: error: {NoTrackerConfigured()}" in err
    assert "for Fake set FAKE_TRACKER_URL and FAKE_TRACKER_TOKEN" in err
    assert "for Jira set PMSYNC_JIRA__URL" in err


def test_settings_and_route_rules_accept_a_registered_tracker(
    fake_registered: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("PMSYNC_TRACKER", "fake")
    (fake_registered / "pmsync.toml").write_text('[[routes]]\ntracker = "fake"\npath = "*"\n')
    assert main(["config", "--format", "json"]) == 0
    settings = json.loads(capsys.readouterr().out)["settings"]
    assert settings["tracker"] == "fake" and settings["routes"][0]["tracker"] == "fake"
    monkeypatch.setenv("PMSYNC_TRACKER", "trello")
    assert main(["config"]) == 2
    assert "Input should be 'jira', 'github' or 'fake'" in capsys.readouterr().err


def test_push_routes_items_to_a_registered_tracker(
    fake_registered: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv(URL_VARIABLE, "https://fake.example")
    (fake_registered / "pm.md").write_text(DOC)
    assert main(["push", "--dry-run", "--format", "json", "pm.md"]) == 0
    [document] = json.loads(capsys.readouterr().out)["documents"]
    [item] = document["items"]
    assert item["action"] == "create"  # the fake is the one configured tracker: the default
    monkeypatch.delenv(URL_VARIABLE)
    (fake_registered / "pm.md").write_text(DOC.replace("| Due |", "| Due | Tracker |")
                                           .replace("|---|---|---|", "|---|---|---|---|")
                                           .replace("2025-05-01 |", "2025-05-01 | fake |"))
    monkeypatch.setenv("PMSYNC_JIRA__URL", "https://jira.example")
    assert main(["push", "--dry-run", "--format", "json", "pm.md"]) == 2
    assert "fake is not configured: set FAKE_TRACKER_URL" in capsys.readouterr().err
