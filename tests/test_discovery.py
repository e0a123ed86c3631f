from __future__ import annotations

import os
from pathlib import Path

import pytest

from syncer.errors import InputError
from syncer.parse.discovery import _SKIP_DIRS, discover


def _rglob_reference(root: Path) -> list[Path]:
    """The plain pathlib way, which discover must agree with."""
    return sorted(
        p for p in root.rglob("*.md")
        if p.is_file() and not _SKIP_DIRS.intersection(p.relative_to(root).parts[:-1])
    )


def test_directory_gives_its_markdown_files_in_path_order(tmp_path: Path):
    for name in ["b.md", "a-c.md", "a/b.md", "a/z/y.md", "A.md", ".hidden/x.md", "notes.txt",
                 "node_modules/pkg/readme.md", "docs/.venv/x.md", "deep/er/est/q.md", "x.md.bak"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("# x\n")
    (tmp_path / "folder.md").mkdir()  # a directory named like Markdown is not a file
    os.symlink(tmp_path / "a", tmp_path / "linked-dir")  # not followed, as rglob does not
    os.symlink(tmp_path / "b.md", tmp_path / "link.md")  # a link to a file is a file
    os.symlink(tmp_path / "missing.md", tmp_path / "broken.md")

    found = discover([tmp_path])
    assert found == _rglob_reference(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        ".hidden/x.md", "A.md", "a/b.md", "a/z/y.md", "a-c.md", "b.md", "deep/er/est/q.md",
        "link.md",
    ]


def test_files_are_taken_as_given_and_listed_once(tmp_path: Path):
    (tmp_path / "a.md").write_text("x")
    (tmp_path / "b.txt").write_text("x")
    assert discover([tmp_path / "b.txt", tmp_path, tmp_path / "a.md"]) == [
        tmp_path / "b.txt", tmp_path / "a.md",
    ]


def test_missing_path_and_directory_without_markdown_are_input_errors(tmp_path: Path):
    with pytest.raises(InputError, match="no such file"):
        discover([tmp_path / "nope.md"])
    with pytest.raises(InputError, match="no Markdown"):
        discover([tmp_path])


def test_in_a_git_repository_gitignore_decides(tmp_path: Path):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("build/\n.venv/\ndrafts/*.md\n!drafts/keep.md\n")
    for name in ["postmortems/a.md", "postmortems/2025/b.md", "build/html/a.md", ".venv/lib/x.md",
                 "drafts/skip.md", "drafts/keep.md", "node_modules/pkg/readme.md", "new.md"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("# x\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "postmortems/a.md"], check=True)
    (tmp_path / "gone.md").write_text("# x\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "gone.md"], check=True)
    (tmp_path / "gone.md").unlink()  # tracked, deleted since: not a file to read

    found = [p.relative_to(tmp_path).as_posix() for p in discover([tmp_path])]
    assert found == ["drafts/keep.md", "new.md", "postmortems/2025/b.md", "postmortems/a.md"]
    sub = [p.relative_to(tmp_path).as_posix() for p in discover([tmp_path / "postmortems"])]
    assert sub == ["postmortems/2025/b.md", "postmortems/a.md"]
