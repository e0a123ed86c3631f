"""Which files a command works on: files as given, directories searched for ``*.md``."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from syncer.errors import InputError

_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache"}


def discover(paths: Iterable[Path]) -> list[Path]:
    """Markdown files named by ``paths``, in a stable order, each once.

    A file is taken whatever its name; a directory contributes the ``*.md`` files below it:
    in a git working tree those git does not ignore (``.gitignore`` decides: ``build/``,
    ``node_modules/``…), elsewhere all but those in vendored folders. A missing path, or a directory without Markdown, is an
    :class:`InputError`.
    """
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            markdown = _markdown_git_keeps(path)
            if markdown is None:
                markdown = _markdown_below(path)
            if not markdown:
                raise InputError(path, "directory contains no Markdown (*.md) files")
            found.update(dict.fromkeys(markdown))
        elif path.exists():
            found[path] = None
        else:
            raise InputError(path, "no such file or directory")
    return list(found)


def _markdown_below(root: Path) -> list[Path]:
    """The ``*.md`` files below ``root``, sorted as paths sort (part by part).

    What ``sorted(root.rglob("*.md"))`` filtered by ``is_file()`` gives, without the skipped
    folders, and five times cheaper: one ``os.scandir`` per folder, whose entries already know
    whether they are files, instead of a ``stat`` and a few ``Path`` operations per file. Like
    ``rglob``, it does not descend into symbolic links to folders, and passes over folders it
    may not read.
    """
    found: list[tuple[str, ...]] = []
    pending: list[tuple[str, ...]] = [()]
    while pending:
        parts = pending.pop()
        try:
            with os.scandir(os.path.join(root, *parts)) as entries:
                for entry in entries:
                    name = entry.name
                    if entry.is_dir() and not entry.is_symlink():
                        if name not in _SKIP_DIRS:
                            pending.append((*parts, name))
                    elif name.endswith(".md") and entry.is_file():
                        found.append((*parts, name))
        except PermissionError:
            continue
    found.sort()  # the order of Path comparison: part by part
    return [root.joinpath(*parts) for parts in found]


def _markdown_git_keeps(root: Path) -> list[Path] | None:
    """The ``*.md`` files below ``root`` that git tracks or would add (not ignored), sorted as
    paths sort; None when ``root`` is in no git working tree (or git is missing)."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others",
             "--exclude-standard", "--", "*.md"],
            capture_output=True, check=False, env={**os.environ, "LC_ALL": "C"},
        )
    except OSError:
        return None
    if listed.returncode != 0:
        return None
    found = sorted({tuple(name.split("/")) for name in os.fsdecode(listed.stdout).split("\0")
                    if name and not _SKIP_DIRS.intersection(name.split("/")[:-1])})
    paths = [root.joinpath(*parts) for parts in found]
    return [p for p in paths if p.is_file()]  # tracked files deleted since are listed too
