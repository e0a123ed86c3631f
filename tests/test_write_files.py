"""Files as people keep them: read-only documents, symbolic and hard links, unwritable folders,
and the per-user lock folder. Runs as root too: read-only means no write permission bit."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from connectors.base import CreateOutcome, Draft, Tracker
from connectors.sandbox import Sandbox
from syncer.cli.main import main
from syncer.errors import ConfigError, WriteConflictError
from syncer.markdown.document import read_document
from syncer.sync.edits import write_atomic
from syncer.sync.locks import document_lock, lock_folder, lock_path
from syncer.sync.push import push as sync_push
from syncer.sync.trackers import TrackerPool
from tests.connectors.conftest import sandbox_settings
from tests.test_sync import TABLE_DOC

LINKED = b"[OPS-1](https://jira.example/browse/OPS-1)"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(flavour="cloud", secondary_limit=None) as running:
        yield running


@pytest.fixture
def cli(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    sandbox.admin.reset()
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "runtime"))
    (tmp_path / "runtime").mkdir(mode=0o700)
    monkeypatch.chdir(tmp_path)
    return sandbox


def push(*args: str) -> int:
    return main(["push", "--tracker", "jira", *args])


def requests_sent(sandbox: Sandbox) -> int:
    return sum(sandbox.admin.request_counts().values())


def test_read_only_document_is_refused_before_any_tracker_call(
        cli: Sandbox, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text(TABLE_DOC, encoding="utf-8")
    doc.chmod(0o444)
    cli.admin.clear_request_log()
    assert push(str(doc)) == 2
    err = capfd.readouterr().err
    assert f"{doc}: is read-only" in err and "chmod u+w" in err
    assert len(err.strip().splitlines()) == 1
    assert requests_sent(cli) == 0 and cli.admin.jira_issues() == []
    assert doc.read_text(encoding="utf-8") == TABLE_DOC
    assert push("--dry-run", str(doc)) == 0  # a dry run writes nothing, so it may read it


def test_unwritable_folder_is_refused_before_any_ticket_is_created(
        cli: Sandbox, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    doc = folder / "pm.md"
    doc.write_text(TABLE_DOC, encoding="utf-8")
    folder.chmod(0o555)
    try:
        assert push(str(doc)) == 2
    finally:
        folder.chmod(0o755)
    err = capfd.readouterr().err
    assert f"its folder {folder} is not writable" in err and "internal error" not in err
    assert cli.admin.jira_issues() == []


def test_symlinked_document_is_written_through_to_its_target(cli: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "real" / "pm.md"
    target.parent.mkdir()
    target.write_text(TABLE_DOC, encoding="utf-8")
    link = tmp_path / "pm.md"
    link.symlink_to(target)
    assert push(str(link)) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8").count("[OPS-") == 4
    assert sorted(p.name for p in target.parent.iterdir()) == ["pm.md"]  # no temporary left


def test_hard_linked_document_stays_one_file(cli: Sandbox, tmp_path: Path) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text(TABLE_DOC, encoding="utf-8")
    other = tmp_path / "same.md"
    os.link(doc, other)
    assert push(str(doc)) == 0
    assert doc.stat().st_nlink == 2 and os.path.samefile(doc, other)
    assert other.read_text(encoding="utf-8").count("[OPS-") == 4


def test_hard_link_write_keeps_the_conflict_check(tmp_path: Path) -> None:
    doc_path = tmp_path / "pm.md"
    doc_path.write_bytes(b"| Action | Ticket |\n|---|---|\n| a |  |\n")
    os.link(doc_path, tmp_path / "same.md")
    doc = read_document(doc_path)
    (tmp_path / "same.md").write_bytes(doc.raw + b"an edit\n")
    with pytest.raises(WriteConflictError, match="changed on disk"):
        write_atomic(doc, doc.raw.replace(b"|  |", b"| " + LINKED + b" |"))
    assert doc_path.read_bytes().endswith(b"an edit\n")


def test_write_keeps_the_edit_saved_before_the_rename(tmp_path: Path) -> None:
    path = tmp_path / "pm.md"
    path.write_bytes(b"| Action | Ticket |\n|---|---|\n| a |  |\n")
    doc = read_document(path)
    path.write_bytes(doc.raw + b"an edit\n")
    with pytest.raises(WriteConflictError):
        write_atomic(doc, doc.raw.replace(b"|  |", b"| " + LINKED + b" |"))
    assert path.read_bytes() == doc.raw + b"an edit\n"
    assert [p.name for p in tmp_path.iterdir()] == ["pm.md"]


# --- the lock folder -------------------------------------------------------------------------


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "runtime"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    return folder / "pmsync-locks"


def test_lock_folder_is_private_and_lock_files_are_removed(runtime: Path, tmp_path: Path) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text("x")
    with document_lock(doc):
        assert lock_path(doc).exists()
    assert lock_folder() == runtime
    assert stat.S_IMODE(runtime.stat().st_mode) == 0o700
    assert list(runtime.iterdir()) == []


def test_lock_folder_without_runtime_dir_is_per_user(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    assert lock_folder() == tmp_path / f"pmsync-locks-{os.getuid()}"


def test_planted_symlink_lock_folder_is_refused(runtime: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    runtime.symlink_to(elsewhere)
    with pytest.raises(ConfigError, match=r"not a private folder.*TMPDIR"), \
            document_lock(tmp_path / "pm.md"):
        pass
    assert list(elsewhere.iterdir()) == []


def test_lock_folder_open_to_others_is_refused(runtime: Path, tmp_path: Path) -> None:
    runtime.mkdir(mode=0o700)
    runtime.chmod(0o777)
    with pytest.raises(ConfigError, match="not a private folder"):
        lock_folder()


@pytest.mark.skipif(os.getuid() != 0, reason="giving a folder to another user needs root")
def test_lock_folder_of_another_user_is_refused(runtime: Path) -> None:
    runtime.mkdir(mode=0o700)
    os.chown(runtime, 65534, 65534)
    with pytest.raises(ConfigError, match="not a private folder"):
        lock_folder()


def test_planted_symlink_lock_file_is_not_followed(runtime: Path, tmp_path: Path) -> None:
    doc = tmp_path / "pm.md"
    victim = tmp_path / "victim"
    lock_folder()
    lock_path(doc).symlink_to(victim)
    with pytest.raises(ConfigError, match="cannot open the lock file"), document_lock(doc):
        pass
    assert not victim.exists()


class EditingTracker:
    """The real Jira connector, with a person saving the document as the tickets come back."""

    def __init__(self, tracker: Tracker, path: Path) -> None:
        self.tracker, self.path = tracker, path

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tracker, name)

    def create(self, drafts: Sequence[Draft],
               on_outcome: Callable[[int, CreateOutcome], None] | None = None) -> list[CreateOutcome]:
        def edited(index: int, outcome: CreateOutcome) -> None:
            with open(self.path, "ab") as handle:
                handle.write(b"A line written while pmsync ran.\n")
            if on_outcome is not None:
                on_outcome(index, outcome)
        return self.tracker.create(drafts, edited)


class EditingPool(TrackerPool):
    def __init__(self, settings: Settings, path: Path) -> None:
        super().__init__(settings, "jira")
        self.path = path

    def get(self, name: str) -> Tracker:
        return EditingTracker(super().get(name), self.path)  # type: ignore[return-value]


def test_an_edit_during_the_run_is_kept_and_reported_as_a_conflict(
        cli: Sandbox, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text(TABLE_DOC, encoding="utf-8")
    settings = sandbox_settings(cli, "jira")
    result, _ = sync_push([doc], settings, pool=EditingPool(settings, doc))
    assert doc.read_text(encoding="utf-8").endswith("A line written while pmsync ran.\n" * 4)
    assert "[OPS-" not in doc.read_text(encoding="utf-8")
    assert result.failed and result.documents[0].written is False
    outcomes = [(i.outcome, i.message) for i in result.documents[0].items]
    assert len(outcomes) == 4
    for outcome, message in outcomes:
        assert outcome == "conflict" and "created; not written" in str(message), message
    # The next run finds the tickets by marker and writes their links.
    again, _ = sync_push([doc], settings)
    assert again.total("linked") == 4 and len(cli.admin.jira_issues()) == 4


REFLOWED_ROWS = (
    "## Action items\n\n"
    "| Action | Owner | |--------|-------|\n"
    "| Add an alert on the queue depth | @kim | | Shard the\n"
    "queue by tenant | @li |\n"
)


@pytest.mark.parametrize("dry_run", [False, True])
def test_items_whose_links_cannot_be_written_get_no_ticket(
        cli: Sandbox, tmp_path: Path, capfd: pytest.CaptureFixture[str], dry_run: bool) -> None:
    """A table reflowed into a paragraph is read but never written into: push refuses its
    document before any tracker call instead of creating tickets it cannot link."""
    doc = tmp_path / "pm.md"
    doc.write_text(REFLOWED_ROWS, encoding="utf-8")
    cli.admin.clear_request_log()
    assert push(*(["--dry-run"] if dry_run else []), str(doc)) == 2
    err = capfd.readouterr().err
    assert f"{doc}:4: " in err and "reflowed" in err and "no ticket was created" in err
    assert len(err.strip().splitlines()) == 1
    assert requests_sent(cli) == 0 and cli.admin.jira_issues() == []
    assert doc.read_text(encoding="utf-8") == REFLOWED_ROWS
