"""JET functions for backup and restore: streaming ("external") backup, file backup,
restore, log truncation and OS snapshots (ESE ``jetapi.cxx``, ``backup.cxx``).

Each function passes the instance gate (``JET_errNotInitialized``,
``JET_errTermInProgress``, ``JET_errRestoreInProgress``, ``JET_errInstanceUnavailable``),
checks its arguments and calls one method of ``pyese.engine.backup``. The functions
without ``Instance`` in their name act on the one instance of one-instance mode and give
``JET_errRunningInMultiInstanceMode`` in multi-instance mode (ESE ``jetapi.cxx``
~2971-2990). See ``docs/backup.md``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pyese.engine import instance as _inst
from pyese.engine.backup import streaming as _bk
from pyese.engine.instance import SYSTEM, Instance
from pyese.jet import _args
from pyese.jet.handles import JET_INSTANCE, JET_OSSNAPID, _Handle
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error


class JET_HANDLE(_Handle):
    """A backup file handle (``JetOpenFile``)."""


@dataclass(kw_only=True, slots=True)
class JET_LOGINFO:
    """The log range of a streaming backup (``jethdr.w`` JET_LOGINFO; cbSize dropped)."""

    ulGenLow: int = 0
    ulGenHigh: int = 0
    szBaseName: str = ""


@dataclass(kw_only=True, slots=True)
class JET_SNPROG:
    """Progress of a backup or restore for a ``JET_PFNSTATUS`` callback (cbStruct dropped)."""

    cunitDone: int = 0
    cunitTotal: int = 0


JET_PFNSTATUS = Callable[[Any, int, int, Any], int]
"""``callable(sesid, snp, snt, pv) -> int``: pv is a JET_SNPROG or None."""


# -- instance resolution -------------------------------------------------------------------


def _one_instance() -> Instance:
    with SYSTEM.lock:
        if SYSTEM.mode == _inst.MODE_MULTI:
            raise_error(C.JET_errRunningInMultiInstanceMode)  # ESE: jetapi.cxx ~2971
    return SYSTEM.find_instance(None)


@contextmanager
def _entered(instance: object) -> Iterator[Instance]:
    inst = SYSTEM.find_instance(instance)
    inst.enter()
    try:
        yield inst
    finally:
        inst.leave()


def _handle(h: object) -> int:
    value = getattr(h, "value", h)
    if isinstance(value, bool) or not isinstance(value, int):
        raise_error(C.JET_errInvalidParameter, "hfFile must be a handle from JetOpenFile")
    return value


# -- streaming backup ----------------------------------------------------------------------


def JetBeginExternalBackupInstance(instance: JET_INSTANCE | int, grbit: int = 0) -> None:
    """Begin a streaming backup: full (0), ``JET_bitBackupIncremental`` (logs only) or
    ``JET_bitInternalCopy``. Errors in ESE's order: ``JET_errLoggingDisabled``,
    ``JET_errLogWriteFail``, ``JET_errInvalidGrbit``, ``JET_errInvalidBackup``
    (incremental with circular logging), ``JET_errBackupInProgress``,
    ``JET_errMissingFullBackup``, ``JET_errMissingFileToBackup``."""
    g = _args.grbit(grbit)
    with _entered(instance) as inst:
        _bk.backup_of(inst).begin(g)


def JetBeginExternalBackup(grbit: int = 0) -> None:
    """``JetBeginExternalBackupInstance`` on the one-instance-mode instance."""
    JetBeginExternalBackupInstance(_one_instance(), grbit)


def JetGetAttachInfoInstance(instance: JET_INSTANCE | int) -> list[str]:
    """The attached, logged databases to stream (full paths). ``JET_errNoBackup``,
    ``JET_errBackupAbortByServer``, ``JET_errInvalidBackupSequence`` (incremental)."""
    with _entered(instance) as inst:
        return _bk.backup_of(inst).get_attach_info()


def JetGetAttachInfo() -> list[str]:
    return JetGetAttachInfoInstance(_one_instance())


def JetOpenFileInstance(instance: JET_INSTANCE | int, szFileName: str) -> tuple[JET_HANDLE, int, int]:
    """Open a database (before JetGetLogInfo) or a log (after) for reading:
    ``(hfFile, ulFileSizeLow, ulFileSizeHigh)``. ``JET_errInvalidParameter`` (empty name),
    ``JET_errDatabaseNotFound`` (not an attached database: the backup goes on),
    ``JET_errInvalidBackupSequence`` / ``JET_errMissingFileToBackup`` in the log phase
    (the backup ends)."""
    if szFileName is not None and not isinstance(szFileName, str | os.PathLike):
        raise_error(C.JET_errInvalidParameter, "szFileName must be a str")
    name = os.fspath(szFileName) if szFileName is not None else ""
    with _entered(instance) as inst:
        h, low, high = _bk.backup_of(inst).open_file(str(name))
    return JET_HANDLE(h), low, high


def JetOpenFile(szFileName: str) -> tuple[JET_HANDLE, int, int]:
    return JetOpenFileInstance(_one_instance(), szFileName)


def JetReadFileInstance(instance: JET_INSTANCE | int, hfFile: JET_HANDLE | int) -> bytes:
    """The next chunk of an open backup file; b"" once its announced size has been read.
    A log that fails verification: ``JET_errLogReadVerifyFailure`` (the backup ends)."""
    h = _handle(hfFile)
    with _entered(instance) as inst:
        return _bk.backup_of(inst).read_file(h)


def JetReadFile(hfFile: JET_HANDLE | int) -> bytes:
    return JetReadFileInstance(_one_instance(), hfFile)


def JetCloseFileInstance(instance: JET_INSTANCE | int, hfFile: JET_HANDLE | int) -> None:
    """Close an open backup file; one read to its end counts as copied."""
    h = _handle(hfFile)
    with _entered(instance) as inst:
        _bk.backup_of(inst).close_file(h)


def JetCloseFile(hfFile: JET_HANDLE | int) -> None:
    JetCloseFileInstance(_one_instance(), hfFile)


def JetGetLogInfoInstance(instance: JET_INSTANCE | int) -> list[str]:
    """The logs of the backup (full paths). The first call rolls the log.
    ``JET_errInvalidBackupSequence`` while a file is open (the backup ends)."""
    return JetGetLogInfoInstance2(instance)[0]


def JetGetLogInfoInstance2(instance: JET_INSTANCE | int) -> tuple[list[str], JET_LOGINFO]:
    """As ``JetGetLogInfoInstance``, with the range as a ``JET_LOGINFO``."""
    with _entered(instance) as inst:
        names, low, high = _bk.backup_of(inst).get_log_info()
        base = inst.params.base_name
    return names, JET_LOGINFO(ulGenLow=low, ulGenHigh=high, szBaseName=base)


def JetGetLogInfo() -> list[str]:
    return JetGetLogInfoInstance(_one_instance())


def JetGetTruncateLogInfoInstance(instance: JET_INSTANCE | int) -> list[str]:
    """The logs ``JetTruncateLogInstance`` would delete (possibly none)."""
    with _entered(instance) as inst:
        return _bk.backup_of(inst).get_truncate_log_info()


def JetTruncateLogInstance(instance: JET_INSTANCE | int) -> None:
    """Delete the logs no backup or recovery needs any more. ``JET_errInvalidBackupSequence``
    (a file open, or JetGetLogInfo not called), ``JET_errLogFileNotCopied`` (a listed log
    not read to its end and closed). Outside a streaming backup: as ``JetBackupInstance``
    with no path (truncate what the checkpoint no longer needs)."""
    with _entered(instance) as inst:
        ctx = _bk.backup_of(inst)
        if not ctx.running:
            from pyese.engine.backup.filebackup import truncate_only

            truncate_only(inst)
            return
        ctx.truncate_log()


def JetTruncateLog() -> None:
    JetTruncateLogInstance(_one_instance())


def JetEndExternalBackupInstance2(instance: JET_INSTANCE | int, grbit: int) -> None:
    """End the streaming backup: exactly one of ``JET_bitBackupEndNormal`` /
    ``JET_bitBackupEndAbort`` (``JET_bitBackupTruncateDone``, ``JET_bitBackupNoDbHeaderUpdate``
    may be added), else ``JET_errInvalidParameter``; ``JET_errNoBackup``. A normal end
    records the backup in the database headers unless it was stopped or JetGetLogInfo was
    never called (then it is an abort that still succeeds, as ESE's)."""
    g = _args.grbit(grbit)
    kind = g & ~(C.JET_bitBackupTruncateDone | C.JET_bitBackupNoDbHeaderUpdate)
    if kind not in (C.JET_bitBackupEndNormal, C.JET_bitBackupEndAbort):
        raise_error(C.JET_errInvalidParameter, "grbit must be JET_bitBackupEndNormal or Abort")
    with _entered(instance) as inst:
        _bk.backup_of(inst).end(g)


def JetEndExternalBackupInstance(instance: JET_INSTANCE | int) -> None:
    JetEndExternalBackupInstance2(instance, C.JET_bitBackupEndNormal)


def JetEndExternalBackup() -> None:
    JetEndExternalBackupInstance(_one_instance())


def JetStopBackupInstance(instance: JET_INSTANCE | int) -> None:
    """Make the running backup's calls fail with ``JET_errBackupAbortByServer`` (success
    even with no backup; the next Begin clears it; ESE ``jetapi.cxx`` ~22618)."""
    inst = SYSTEM.find_instance(instance)
    if inst.services is None:
        return
    _bk.backup_of(inst).stop()


def JetStopBackup() -> None:
    JetStopBackupInstance(_one_instance())


__all__ = [
    "JET_HANDLE",
    "JET_LOGINFO",
    "JET_SNPROG",
    "JET_OSSNAPID",
    "JetBeginExternalBackup",
    "JetBeginExternalBackupInstance",
    "JetGetAttachInfo",
    "JetGetAttachInfoInstance",
    "JetOpenFile",
    "JetOpenFileInstance",
    "JetReadFile",
    "JetReadFileInstance",
    "JetCloseFile",
    "JetCloseFileInstance",
    "JetGetLogInfo",
    "JetGetLogInfoInstance",
    "JetGetLogInfoInstance2",
    "JetGetTruncateLogInfoInstance",
    "JetTruncateLog",
    "JetTruncateLogInstance",
    "JetEndExternalBackup",
    "JetEndExternalBackupInstance",
    "JetEndExternalBackupInstance2",
    "JetStopBackup",
    "JetStopBackupInstance",
]
