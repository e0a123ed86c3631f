"""A search index that lags behind writes, as Jira Cloud's and GitHub's do."""

from __future__ import annotations

import copy
from typing import Generic, TypeVar

K = TypeVar("K")
T = TypeVar("T")


class LaggingIndex(Generic[K, T]):
    """Keeps timed snapshots of each document; a search sees a write ``lag`` seconds after it.

    Until then a search sees the previous version of the document, or nothing at all if the
    document was created within the lag. This reproduces both symptoms of an eventually
    consistent index: new items missing from results and stale field values in results.
    """

    def __init__(self) -> None:
        self._versions: dict[K, list[tuple[float, T]]] = {}

    def record(self, key: K, document: T, at: float) -> None:
        """Remember a copy of ``document`` as written at time ``at``."""
        self._versions.setdefault(key, []).append((at, copy.deepcopy(document)))

    def visible(self, key: K, now: float, lag: float) -> T | None:
        """The version of ``key`` a search running at ``now`` sees, if any."""
        versions = self._versions.get(key)
        if not versions:
            return None
        cutoff = now - lag
        visible_at = [i for i, (written, _) in enumerate(versions) if written <= cutoff]
        if not visible_at:
            return None
        newest = visible_at[-1]
        # Versions older than the one now visible can only matter again if the lag grows;
        # keep one of them so a modest increase still has something to show.
        del versions[: max(newest - 1, 0)]
        return versions[min(newest, 1)][1]

    def keys(self) -> list[K]:
        """Every document ever recorded."""
        return list(self._versions)

    def clear(self) -> None:
        """Forget everything."""
        self._versions.clear()
