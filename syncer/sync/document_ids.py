"""The ids markers give documents, and the files they name: read from the disk (the nearest
``.git`` above a document), so the planner, which is pure, is handed ids and never looks."""

from __future__ import annotations

from pathlib import Path


def document_id(path: Path) -> str:
    """The id markers use for a document: its path from the repository root, with ``/``.

    Outside a git repository it is the absolute path, so a re-run from another directory still
    finds what an interrupted run created. The id only matters between creating a ticket and
    writing its link back (crash recovery); once an item is linked, the link in the document is
    what ties it to its ticket.
    """
    path = path.resolve()
    root = repository_root(path)
    return path.relative_to(root).as_posix() if root else path.as_posix()


def repository_root(path: Path) -> Path | None:
    """The nearest folder above ``path`` holding ``.git``, if any."""
    for parent in path.resolve().parents:
        if (parent / ".git").exists():
            return parent
    return None


def document_file(document: str, near: Path) -> Path | None:
    """The file a document id names, seen from a document ``near`` it (ids are relative to the
    repository root); None when it cannot be told (``near`` is outside any repository)."""
    if Path(document).is_absolute():
        return Path(document)
    root = repository_root(near)
    return root / document if root else None
