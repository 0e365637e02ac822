"""Directories in use: one OS file lock per directory, and clean-up of what killed runs left.

A run that writes into a directory (``train --output DIR``, the encoded corpus in
``$TMPDIR``) holds an exclusive ``flock`` on ``DIR/.palabra2vec.lock``. The operating system
drops the lock when the process ends, however it ends (kill -9 included), so a lock is never
stale; the file holds who took it (pid, host, command, time) for the error message.

While a process holds a directory's lock, every temporary file in it (``.NAME.*.tmp``,
written by :func:`palabra2vec.fileio.atomic_write`) belongs to a run that died: it is
removed. Work directories in ``$TMPDIR`` whose lock nobody holds are removed the same way.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import time
from pathlib import Path

from .errors import Palabra2vecError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock; directories are then not locked
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LOCK_NAME = ".palabra2vec.lock"


def _describe_self(purpose: str) -> str:
    return (f"{purpose} (pid {os.getpid()} on {socket.gethostname()}, "
            f"started {time.strftime('%Y-%m-%d %H:%M:%S')})")


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


class DirectoryLock:
    """An exclusive lock on a directory, held until :meth:`release` or the process ends.

    >>> with DirectoryLock("modelo", "palabra2vec train"):  # doctest: +SKIP
    ...     ...  # a second process now gets "modelo is in use by palabra2vec train (pid ...)"
    """

    def __init__(self, directory: str | os.PathLike[str], purpose: str = "palabra2vec") -> None:
        self.directory = Path(directory)
        self.path = self.directory / LOCK_NAME
        self.purpose = purpose
        self._fd: int | None = None

    def acquire(self) -> "DirectoryLock":
        """Take the lock (creating the directory), or raise naming the holder."""
        if fcntl is None or self._fd is not None:
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            # the lock file is made and locked under a temporary name, then renamed into place:
            # nobody ever sees an unlocked lock file
            tmp = self.directory / f".{LOCK_NAME}.{os.getpid()}.tmp"
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o666)
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, _describe_self(self.purpose).encode("utf-8"))
            try:
                os.link(tmp, self.path)  # fails if a lock file is already there
                os.unlink(tmp)
                self._fd = fd
                return self
            except FileExistsError:
                os.close(fd)
                os.unlink(tmp)
            except FileNotFoundError:  # the temporary file went (a clean-up): start again
                os.close(fd)
                continue
            try:
                fd = os.open(self.path, os.O_RDWR)
            except FileNotFoundError:
                continue  # its holder just released it: try again
            if not _try_lock(fd):
                holder = os.read(fd, 4096).decode("utf-8", "replace").strip() or "another process"
                os.close(fd)
                raise Palabra2vecError(f"{self.directory} is in use by {holder}; wait for it to end "
                                       "or choose another directory")
            # a lock file nobody holds (its holder died): take it over if it is still the one there
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.pwrite(fd, _describe_self(self.purpose).encode("utf-8"), 0)
            self._fd = fd
            return self

    def release(self) -> None:
        """Remove the lock file and drop the lock (removing first: no one locks a dead file)."""
        if self._fd is None:
            return
        try:
            os.unlink(self.path)
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> "DirectoryLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def remove_stale_temporaries(directory: str | os.PathLike[str]) -> int:
    """Delete the ``.*.tmp`` files a killed run left in ``directory``; call only while holding
    its :class:`DirectoryLock`. Returns how many were removed."""
    n = 0
    for p in Path(directory).glob(".*.tmp"):
        if p.name.startswith(f".{LOCK_NAME}."):  # another process taking the lock right now
            continue
        try:
            p.unlink()
            n += 1
        except OSError:
            pass
    if n:
        log.info("removed %d temporary files left in %s by an interrupted run", n, directory)
    return n


def remove_dead_workdirs(parent: str | os.PathLike[str], prefix: str = "palabra2vec-") -> int:
    """Delete the work directories ``parent/PREFIX*`` whose lock no living process holds
    (left by a run that was killed). Directories without a lock file are left alone."""
    if fcntl is None:
        return 0
    n = 0
    try:
        candidates = [p for p in Path(parent).glob(prefix + "*") if p.is_dir()]
    except OSError:
        return 0
    for d in candidates:
        try:
            fd = os.open(d / LOCK_NAME, os.O_RDONLY)
        except OSError:
            continue
        try:
            if _try_lock(fd):
                shutil.rmtree(d, ignore_errors=True)
                n += 1
        finally:
            os.close(fd)
    if n:
        log.info("removed %d work directories left in %s by interrupted runs", n, parent)
    return n


__all__ = ["DirectoryLock", "LOCK_NAME", "remove_stale_temporaries", "remove_dead_workdirs"]
