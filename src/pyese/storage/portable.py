"""What the storage layer needs from the operating system, on POSIX and on Windows.

- ``lock_exclusive(fd)``: a non-blocking exclusive lock on an open file, held until the
  file is closed: ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows (one byte at
  offset 0, which is how Windows programs lock a whole file). Where neither module exists
  (or ``fcntl`` has been removed) the lock is skipped: the file is still created with
  ``O_EXCL`` and LMDB keeps its own reader table lock, so one process is safe; two
  processes opening one database are then not refused.
- ``fsync_dir(path)``: make a directory's entries durable. POSIX opens the directory and
  fsyncs it; Windows cannot open a directory as a file and journals its metadata, so
  there is nothing to do.
- ``O_CLOEXEC`` and ``O_DIRECTORY``: the flags, or 0 where the OS has none.

Raises ``BlockingIOError`` from ``lock_exclusive`` when another opener holds the lock.
"""

from __future__ import annotations

import os
from typing import Any

O_CLOEXEC: int = getattr(os, "O_CLOEXEC", 0)
O_DIRECTORY: int = getattr(os, "O_DIRECTORY", 0)
O_BINARY: int = getattr(os, "O_BINARY", 0)


_fcntl: Any
_msvcrt: Any
try:
    import fcntl as _fcntl
except ImportError:  # Windows, or removed on purpose (tests, sandboxes)
    _fcntl = None
try:
    import msvcrt as _msvcrt
except ImportError:
    _msvcrt = None

LOCKING = "fcntl" if _fcntl is not None else "msvcrt" if _msvcrt is not None else "none"
"""Which file-locking primitive this process uses."""


def lock_exclusive(fd: int) -> None:
    """Lock the open file ``fd`` for this process alone, without waiting."""
    if _fcntl is not None:
        _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
        return
    if _msvcrt is not None:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            _msvcrt.locking(fd, _msvcrt.LK_NBLCK, 1)
        except PermissionError as exc:
            raise BlockingIOError(str(exc)) from exc


def fsync_dir(path: str) -> None:
    """Make the entries of directory ``path`` durable (a no-op where directories cannot
    be opened, as on Windows)."""
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY | O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = ["LOCKING", "O_BINARY", "O_CLOEXEC", "O_DIRECTORY", "fsync_dir", "lock_exclusive"]
