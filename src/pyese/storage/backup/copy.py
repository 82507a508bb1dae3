"""Durable file copies for the destination side of a backup and for restore.

Every copy goes to ``<dest>.tmp`` first, is fsynced, then renamed over ``<dest>`` and the
directory fsynced: a copy killed at any point leaves the old file or the whole new one,
never a torn one under the final name. The fault seam (``storage.faults``) is hit before
each write (``backup.write``) and before each fsync (``backup.fsync``); an OSError becomes
``JET_errDiskFull`` (ENOSPC) or ``JET_errDiskIO`` as for any database-side file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from pyese.storage.faults import NO_FAULTS, FaultInjector, jet_error_from_os

CHUNK = 8 << 20

WRITE_BEHIND = 64 << 20
"""Bytes written to a destination between two ``fdatasync`` calls. Without them a 1 GiB
copy sits dirty in the page cache until the final fsync, and every durable commit of the
instance's writers (an fsync of the log on the same disk) then waits behind that flush:
``bench/bench_backup.py`` measured the writers at 0.26-0.38 of their rate during such a
copy and 0.49-0.65 with a ``fdatasync`` every 64 MiB, for the same copy time within the
noise (2-core machine shared by 8 jobs)."""


class WriteBehind:
    """Counts bytes written to ``fd`` and flushes them every ``WRITE_BEHIND`` bytes."""

    def __init__(self, fd: int, every: int = WRITE_BEHIND) -> None:
        self.fd = fd
        self.every = every
        self._since = 0

    def wrote(self, n: int) -> None:
        self._since += n
        if self._since >= self.every:
            os.fdatasync(self.fd)
            self._since = 0


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(dest: str, fill: Callable[[int], None], *,
                  faults: FaultInjector = NO_FAULTS) -> None:
    """Create ``dest`` by calling ``fill(fd)`` on a temporary file, then fsync and rename.
    Raises JET_errDiskFull / JET_errDiskIO; the temporary file is removed on failure."""
    tmp = dest + ".tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            fill(fd)
            faults.hit("backup.fsync")
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, dest)
        fsync_dir(os.path.dirname(os.path.abspath(dest)))
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise jet_error_from_os(exc, log=False, detail=f"writing {dest}") from exc
        raise


def copy_file(src: str, dest: str, *, faults: FaultInjector = NO_FAULTS,
              progress: Callable[[int], Any] | None = None) -> int:
    """Copy ``src`` to ``dest`` durably (kernel-side where possible); return the size."""
    size = os.path.getsize(src)

    def fill(fd: int) -> None:
        with open(src, "rb") as f:
            sfd = f.fileno()
            pos = 0
            copy_range = getattr(os, "copy_file_range", None)
            behind = WriteBehind(fd)
            while pos < size:
                faults.hit("backup.write")
                n = 0
                if copy_range is not None:
                    n = copy_range(sfd, fd, min(CHUNK, size - pos), pos, pos)
                    if n <= 0:
                        copy_range = None
                if n <= 0:
                    data = os.pread(sfd, min(CHUNK, size - pos), pos)
                    if not data:
                        break
                    view = memoryview(data)
                    off = pos
                    while view:
                        w = os.pwrite(fd, view, off)
                        view = view[w:]
                        off += w
                    n = len(data)
                pos += n
                behind.wrote(n)
                if progress is not None:
                    progress(n)

    write_durably(dest, fill, faults=faults)
    return size
