"""LMDB's errors as ESE's: the one mapping both sides of a database file use.

``dbfile`` (the writer: create, open, apply, resize) and ``dbsnapshot`` (the read side)
raise the JetError ``raise_lmdb`` gives for an ``lmdb.Error``, with the LMDB error as its
cause. This module stays out of the compiled build (docs/compiled.md: a compiled
``raise X from Y`` loses its cause).
"""

from __future__ import annotations

import errno
import os
from typing import NoReturn

import lmdb

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError

_DISK_FULL_TEXTS = tuple(os.strerror(e) for e in (errno.ENOSPC, getattr(errno, "EDQUOT",
                                                                           errno.ENOSPC)))


def raise_lmdb(exc: lmdb.Error, what: str, *, path: str | None = None,
               need: int = 0) -> NoReturn:
    """Raise the JetError for LMDB's error ``exc`` during ``what``.

    Disk full. ESE reports a full volume as JET_errDiskFull (os/error.cxx
    ErrOSErrFromWin32Err: ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL). LMDB reports it two
    ways: ENOSPC from a write that wrote nothing (py-lmdb's DiskError), or EIO when the
    write was short (mdb_page_flush turns a partial pwrite into EIO, and on a full volume
    the last write is usually partial). So an EIO from a write (``path`` given) is a full
    disk when the file system holding ``path`` has less room left than the transaction
    needed (``need`` bytes): then JET_errDiskFull, else JET_errDiskIO. LMDB's map-full
    (MDB_MAP_FULL) is another thing: the mapping, not the disk, is full; it is grown
    before we get here, and an ungrowable map is JET_errOutOfDatabaseSpace.
    """
    if isinstance(exc, lmdb.MapFullError):
        code = C.JET_errOutOfDatabaseSpace
    elif isinstance(exc, lmdb.ReadersFullError):
        code = C.JET_errOutOfSessions
    elif isinstance(exc, lmdb.CorruptedError | lmdb.PageNotFoundError | lmdb.InvalidError):
        code = C.JET_errDatabaseCorrupted
    elif isinstance(exc, lmdb.DiskError) or any(t in str(exc) for t in _DISK_FULL_TEXTS):
        code = C.JET_errDiskFull
    elif path is not None and _volume_full(path, need):
        code = C.JET_errDiskFull
    else:
        code = C.JET_errDiskIO
    raise JetError.from_code(code, f"{what}: {exc}") from exc


def _volume_full(path: str, need: int) -> bool:
    """Whether the file system holding ``path`` has fewer than ``need`` bytes free (for
    this process: root may use the blocks reserved for it)."""
    try:
        st = os.statvfs(os.path.dirname(path) or ".")
    except OSError:
        return False
    blocks = st.f_bfree if os.geteuid() == 0 else st.f_bavail
    return blocks * st.f_frsize < need
