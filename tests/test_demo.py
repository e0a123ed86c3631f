"""``pmsync demo`` runs the whole loop offline and leaves nothing behind."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from syncer.cli.main import main


def demo_folders() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("pmsync-demo-*")}


def test_demo_pushes_pulls_and_cleans_up(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("PMSYNC_JIRA__URL", "PMSYNC_TRACKER", "GITHUB_TOKEN", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    before = demo_folders()
    code = main(["demo", "--keep", str(tmp_path / "kept")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "OPS-1" in out and "#1" in out
    assert demo_folders() == before
    table = (tmp_path / "kept" / "2025-03-14-search-latency.md").read_text(encoding="utf-8")
    assert "[OPS-1](http://127.0.0.1:" in table
    assert "| Done" in table or "✅ Done" in table
    checklist = (tmp_path / "kept" / "2025-05-02-webhook-delays.md").read_text(encoding="utf-8")
    assert "- [x] Page on webhook queue age above 5 minutes" in checklist
    assert "/issues/1)" in checklist


def test_demo_refuses_to_keep_into_a_folder_with_files(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    kept = tmp_path / "kept"
    kept.mkdir()
    mine = kept / "2025-03-14-search-latency.md"
    mine.write_text("my own notes\n", encoding="utf-8")
    before = demo_folders()
    code = main(["demo", "--keep", str(kept)])
    out, err = capsys.readouterr()
    assert code == 2 and not out
    assert err == (f"pmsync: error: {kept}: --keep needs a new or empty folder, and this one "
                   "holds files; the demo overwrites nothing\n")
    assert mine.read_text(encoding="utf-8") == "my own notes\n" and demo_folders() == before
