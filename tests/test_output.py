"""What pmsync prints: document and tracker text shown literally (never as rich markup), each
finding once, nothing cut outside a terminal, the same stream for the same line."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.sandbox import Sandbox
from syncer.cli.main import main

MARKUP_DOC = """# Incident [bold]x[/bold]

## Action items

| Action | Owner | Due | Priority | Status | Ticket |
|---|---|---|---|---|---|
| Close the [/x] tag handling in the parser | @[red]bob | 2025-04-01 | P1 | Open | |
| Make [bold]everything[/bold] bold, a title long enough to be shortened in the plan table | @alice | 2025-04-08 | P2 | Open | |
"""


@pytest.fixture
def sandbox(cli_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    monkeypatch.setenv("PMSYNC_TRACKER", "github")
    return cli_sandbox


def run(capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capfd.readouterr()
    return code, out, err


def test_markup_in_titles_owners_and_tracker_messages_is_printed_literally(
        sandbox: Sandbox, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text(MARKUP_DOC, encoding="utf-8")
    for args in (["items", str(doc)], ["push", "--dry-run", str(doc)], ["report", str(doc)]):
        code, out, err = run(capfd, *args)
        assert code == 0, err
        assert "Close the [/x] tag handling" in out and "Make [bold]everything[/bold]" in out
    code, out, err = run(capfd, "report", str(doc))
    assert "@[red]bob" in out and "Incident [bold]x[/bold]" in out

    code, out, err = run(capfd, "--log-format", "console", "push", str(doc))
    assert code == 0, err
    assert "Close the [/x] tag handling" in out
    # The tracker's notice names the owner and the [owners] table: shown once, in the table.
    notice = "owner '@[red]bob' has no GitHub login"
    assert notice in out and (out + err).count(notice) == 1
    assert doc.read_text(encoding="utf-8").count("/pmsync-sandbox/postmortems/issues/") == 2
    code, out, err = run(capfd, "items", str(doc))
    assert code == 0 and "[/x]" in out


def test_plan_titles_are_shortened_with_an_ellipsis(sandbox: Sandbox, tmp_path: Path,
                                                    capfd: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text(MARKUP_DOC, encoding="utf-8")
    code, out, _ = run(capfd, "push", "--dry-run", str(doc))
    assert code == 0
    [row] = [line for line in out.splitlines() if "Make [bold]" in line]
    title = "Make [bold]everything[/bold] bold, a title long enough to be shortened in the plan"
    assert f"{title[:79]}…" in row


def test_output_to_a_pipe_cuts_no_path_and_no_fix(sandbox: Sandbox, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "postmortems" / "2025" / "a-folder-name-long-enough-to-pass-eighty-columns"
    folder.mkdir(parents=True)
    doc = folder / "2025-03-14-search-latency-postmortem.md"
    doc.write_text(MARKUP_DOC, encoding="utf-8")
    code, out, _ = run(capfd, "items", str(doc))
    assert code == 0 and str(doc) in out  # on one line, whole
    code, out, _ = run(capfd, "push", "--dry-run", str(doc))
    assert code == 0 and str(doc) in out

    monkeypatch.delenv("PMSYNC_GITHUB__TOKEN")
    code, out, _ = run(capfd, "doctor", "--tracker", "github")
    assert code == 1
    assert any("PMSYNC_GITHUB__TOKEN" in line and "GITHUB_TOKEN" in line
               for line in out.splitlines())
    assert "…" not in out


@pytest.mark.parametrize("document", [MARKUP_DOC, MARKUP_DOC.replace("@alice", "")])
def test_check_prints_its_summary_on_standard_output_either_way(
        tmp_path: Path, capfd: pytest.CaptureFixture[str], document: str) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text(document, encoding="utf-8")
    code, out, err = run(capfd, "check", "--as-of", "2025-01-01", str(doc))
    assert code == (1 if "@alice" not in document else 0)
    assert "document(s)" in out.splitlines()[-1] and "document(s)" not in err
