"""Which files a command works on: files as given, directories searched for ``*.md``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from syncer.errors import InputError

_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache"}


def discover(paths: Iterable[Path]) -> list[Path]:
    """Markdown files named by ``paths``, in a stable order, each once.

    A file is taken whatever its name; a directory contributes the ``*.md`` files below it
    (hidden and vendored folders skipped). A missing path, or a directory without Markdown, is an
    :class:`InputError`.
    """
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
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
