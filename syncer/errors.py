"""The one error hierarchy of pmsync.

Every expected failure is a :class:`PmsyncError`; the CLI turns it into a one-line message and an
exit code in one place (:func:`syncer.cli.main`). Anything else is a bug and shows a traceback only
with ``--debug``.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


class PmsyncError(Exception):
    """Base of every error pmsync reports to its user."""

    exit_code = EXIT_USAGE


class InputError(PmsyncError):
    """A document cannot be read or processed; names the file and, when known, the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


class ConfigError(PmsyncError):
    """The configuration is invalid or incomplete; the message names the setting to fix."""


class WriteConflictError(InputError):
    """The file changed on disk between reading and writing it; nothing was written."""


class TrackerError(PmsyncError):
    """A tracker refused or failed a request."""

    exit_code = EXIT_PROBLEMS
