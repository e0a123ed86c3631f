"""Per-document locks, so two pmsync runs never interleave on the same file.

The lock files live in a folder only the user can reach: ``$XDG_RUNTIME_DIR/pmsync-locks`` when
that is set, else ``pmsync-locks-<uid>`` in the system's temporary folder. The folder is made
0700 and refused unless it is a real folder owned by the user and closed to others (another
local user could otherwise block runs, or plant a symbolic link to make pmsync create files
elsewhere); lock files are opened without following links. A lock file is keyed by the
document's absolute path and removed by its holder before release: whoever then gets the lock
on the removed file sees that the path no longer names it, and opens the path again. Documents
are locked in sorted order, so two runs over overlapping sets of files cannot deadlock.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from syncer.errors import ConfigError, InputError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, runs are not serialised
    fcntl = None  # type: ignore[assignment]

_FIX = "set TMPDIR (or XDG_RUNTIME_DIR) to a folder of your own"


def lock_folder() -> Path:
    """This user's lock folder, made 0700 on first use; refused when it is not private."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(runtime):
        folder = Path(runtime) / "pmsync-locks"
    else:
        folder = Path(tempfile.gettempdir()) / f"pmsync-locks-{os.getuid()}"
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConfigError(f"cannot make the lock folder {folder} ({exc.strerror}); {_FIX}") from None
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise ConfigError(f"the lock folder {folder} is not a private folder of this user (it is "
                          "a link, someone else's or open to others); remove it, or " + _FIX)
    return folder


def lock_path(document: Path) -> Path:
    """The lock file for a document."""
    digest = hashlib.sha256(str(document.resolve()).encode()).hexdigest()[:24]
    return lock_folder() / f"{digest}.lock"


@contextmanager
def document_lock(document: Path, timeout: float = 600.0) -> Iterator[None]:
    """Hold the document's lock; waits for another run to finish, up to ``timeout`` seconds."""
    if fcntl is None:
        yield
        return
    path = lock_path(document)
    fd = _acquire(path, document, time.monotonic() + timeout, timeout)
    try:
        yield
    finally:
        try:
            os.unlink(path)  # still held: the next holder finds its file gone and opens anew
        finally:
            os.close(fd)


def _acquire(path: Path, document: Path, deadline: float, timeout: float) -> int:
    """A descriptor of ``path`` holding its lock, once the path still names the locked file."""
    while True:
        fd = _open(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _names(path, fd):
                return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise InputError(document, f"another pmsync run has held this document for "
                                           f"{timeout:.0f} s; nothing written") from None
            time.sleep(0.05)
        os.close(fd)


def _open(path: Path) -> int:
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags, 0o600)
    except OSError as exc:
        raise ConfigError(f"cannot open the lock file {path} ({exc.strerror}); {_FIX}") from None


def _names(path: Path, fd: int) -> bool:
    """Whether ``path`` still names the open file (its holder removes it before releasing)."""
    try:
        return os.path.samestat(os.lstat(path), os.fstat(fd))
    except FileNotFoundError:
        return False


@contextmanager
def documents_locked(documents: Sequence[Path], timeout: float = 600.0) -> Iterator[None]:
    """Hold the locks of many documents at once, taken in a stable order."""
    with ExitStack() as stack:
        for document in sorted({d.resolve() for d in documents}):
            stack.enter_context(document_lock(document, timeout))
        yield
