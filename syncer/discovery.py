"""Which files a command works on: files as given, directories searched for ``*.md``."""

from __future__ import annotations

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
            markdown = sorted(
                p for p in path.rglob("*.md")
                if p.is_file() and not _SKIP_DIRS.intersection(p.relative_to(path).parts[:-1])
            )
            if not markdown:
                raise InputError(path, "directory contains no Markdown (*.md) files")
            found.update(dict.fromkeys(markdown))
        elif path.exists():
            found[path] = None
        else:
            raise InputError(path, "no such file or directory")
    return list(found)
