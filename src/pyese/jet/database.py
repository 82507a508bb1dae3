"""JET functions for database files: create, attach, detach, open, close, information.

Each function enters the gate, checks its arguments as ESE's ``jetapi.cxx`` does, and calls
the instance's ``engine.instance.database.DatabaseTable`` (see there for the errors and their
order).
"""

from __future__ import annotations

import datetime
import os
from typing import Any

from pyese.engine.instance import space
from pyese.engine.instance.database import (
    DatabaseFileInfo,
    database_of,
    databases_of,
    file_info,
)
from pyese.engine.instance.gate import session_call
from pyese.jet import _args
from pyese.jet.handles import JET_DBID, JET_SESID
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

_EPOCH_AS_FILETIME = 116444736000000000


def _filename(value: object, name: str = "szFilename") -> str:
    if not isinstance(value, str | os.PathLike):
        raise_error(C.JET_errInvalidParameter, f"{name} must be a str")
    text = os.fspath(value)
    if not isinstance(text, str) or not text:
        raise_error(C.JET_errDatabaseInvalidPath, f"{name} is empty")
    if "\0" in text:
        # A C caller cannot pass a NUL inside a name; no file system accepts one. ESE's
        # path functions report a name the OS rejects as JET_errInvalidPath (os/error.cxx
        # ErrOSErrFromWin32Err: ERROR_INVALID_NAME -> JET_errInvalidPath).
        raise_error(C.JET_errInvalidPath, f"{name} contains a NUL character")
    try:
        os.fsencode(text)
    except UnicodeError:
        raise_error(C.JET_errInvalidPath, f"{name} cannot be encoded for the file system")
    return text


def JetCreateDatabase(sesid: JET_SESID | int, szFilename: str, szConnect: str | None = None,
                      grbit: int = 0) -> JET_DBID:
    """Create a database file, attach it to the instance and open it; returns its dbid.

    ``JET_bitDbOverwriteExisting`` replaces an existing file nobody uses. Errors:
    ``JET_errInTransaction`` inside a transaction, ``JET_errDatabaseDuplicate`` when the
    file exists (or is attached), ``JET_errInvalidPath`` for a missing directory,
    ``JET_errDatabaseSharingViolation`` when another instance has it attached,
    ``JET_errFileAccessDenied`` when another process holds it.
    """
    return JetCreateDatabase2(sesid, szFilename, 0, grbit)


def JetCreateDatabase2(sesid: JET_SESID | int, szFilename: str, cpgDatabaseSizeMax: int = 0,
                       grbit: int = 0) -> JET_DBID:
    """``JetCreateDatabase`` with a maximum size in pages (0: none). A write that would take
    the database past it fails with ``JET_errOutOfDatabaseSpace``, the transaction staying
    open (``engine.instance.database.Database.check_growth``). ``JET_errInvalidParameter``
    for a negative size."""
    g = _args.grbit(grbit)
    cpg = _args.integer(cpgDatabaseSizeMax, "cpgDatabaseSizeMax")
    if not 0 <= cpg <= 0xFFFFFFFF:
        raise_error(C.JET_errInvalidParameter, "cpgDatabaseSizeMax")
    name = _filename(szFilename)
    with session_call(sesid) as session:
        if g & C.JET_bitDbReadOnly:
            raise_error(C.JET_errInvalidGrbit, "a database cannot be created read-only")
        db = databases_of(session.instance).create(session, name, g, cpg)
        return JET_DBID(db.dbnum)


def JetAttachDatabase(sesid: JET_SESID | int, szFilename: str, grbit: int = 0) -> int:
    """Attach a database file to the instance; returns 0 or ``JET_wrnDatabaseAttached`` when
    this instance has it attached already.

    Grbits: ``JET_bitDbReadOnly`` (attach read-only; writes get ``JET_errPermissionDenied``),
    ``JET_bitDbDeleteCorruptIndexes`` and the other index bits (accepted). Errors:
    ``JET_errInTransaction``, ``JET_errFileNotFound``, ``JET_errInvalidPath``,
    ``JET_errDatabaseFileReadOnly`` (a read-only file attached for writing),
    ``JET_errDatabaseSharingViolation`` (attached by another instance),
    ``JET_errFileAccessDenied`` (held by another process), ``JET_errDatabaseDirtyShutdown``
    (a dirty file this instance's log could not recover), ``JET_errDatabaseCorrupted``
    (not a database), ``JET_errInvalidDatabaseVersion`` (another format). A genuine Windows
    ``.edb`` attaches read-only only (see ``engine.instance.database``:
    ``JET_errDatabaseFileReadOnly`` without ``JET_bitDbReadOnly``, ``JET_wrnDatabaseRepaired``
    when not cleanly shut down,
    ``engine.instance.database.JET_bitDbPyeseTolerant`` to skip damaged pages).
    """
    return JetAttachDatabase2(sesid, szFilename, 0, grbit)


def JetAttachDatabase2(sesid: JET_SESID | int, szFilename: str, cpgDatabaseSizeMax: int = 0,
                       grbit: int = 0) -> int:
    """``JetAttachDatabase`` with a maximum size in pages (0: none), enforced as
    ``JetCreateDatabase2``'s."""
    g = _args.grbit(grbit)
    cpg = _args.integer(cpgDatabaseSizeMax, "cpgDatabaseSizeMax")
    if not 0 <= cpg <= 0xFFFFFFFF:
        raise_error(C.JET_errInvalidParameter, "cpgDatabaseSizeMax")
    name = _filename(szFilename)
    with session_call(sesid) as session:
        return databases_of(session.instance).attach(session, name, g, cpg)


def JetDetachDatabase(sesid: JET_SESID | int, szFilename: str | None) -> None:
    """Detach a database (``None``: every database of the instance); it is marked clean.

    Allowed after ``JetStopServiceInstance``. Errors: ``JET_errInTransaction``,
    ``JET_errDatabaseNotFound`` (not attached), ``JET_errDatabaseInUse`` (a session has it
    open, or a transaction has uncommitted changes in it).
    """
    JetDetachDatabase2(sesid, szFilename, 0)


def JetDetachDatabase2(sesid: JET_SESID | int, szFilename: str | None, grbit: int = 0) -> None:
    """``JetDetachDatabase`` with grbits. ``JET_bitForceDetach`` and
    ``JET_bitForceCloseAndDetach`` are accepted and, as in ESE's ``ErrIsamDetachDatabase``
    (db.cxx), force nothing: a database still open gives ``JET_errDatabaseInUse``. Also
    ``JET_errBackupInProgress`` while a backup runs (see ``JetDetachDatabase``)."""
    g = _args.grbit(grbit)
    name = None if szFilename is None else _filename(szFilename)
    with session_call(sesid, ignore_stop_service=True) as session:
        databases_of(session.instance).detach(session, name, g)


def JetOpenDatabase(sesid: JET_SESID | int, szFilename: str, szConnect: str | None = None,
                    grbit: int = 0) -> JET_DBID:
    """Open an attached database for the session; returns its dbid (one more open).

    ``JET_bitDbExclusive``: no other session may open it. Errors:
    ``JET_errDatabaseNotFound`` (not attached), ``JET_errDatabaseLocked`` (another session has
    it exclusively), ``JET_errDatabaseInUse`` (exclusive asked while others have it open),
    ``JET_errInvalidGrbit`` for unknown bits.
    """
    g = _args.grbit(grbit)
    _args.optional_str(szConnect, "szConnect")
    name = _filename(szFilename)
    with session_call(sesid) as session:
        if g & ~(C.JET_bitDbReadOnly | C.JET_bitDbExclusive):
            raise_error(C.JET_errInvalidGrbit)
        db = databases_of(session.instance).open(session, name, g)
        return JET_DBID(db.dbnum)


def JetCloseDatabase(sesid: JET_SESID | int, dbid: JET_DBID | int, grbit: int = 0) -> None:
    """Close one open of ``dbid``; ``JET_errInvalidDatabaseId`` if the session has not opened
    it. Allowed after ``JetStopServiceInstance``."""
    _args.grbit(grbit)
    with session_call(sesid, ignore_stop_service=True) as session:
        databases_of(session.instance).close(session, dbid)


def JetGetDatabaseInfo(sesid: JET_SESID | int, dbid: JET_DBID | int, InfoLevel: int):
    """Information about an open database: ``JET_DbInfoFilename`` (str), ``Filesize`` /
    ``FilesizeOnDisk`` / ``SpaceOwned`` (pages), ``SpaceAvailable`` (pages LMDB holds free
    inside the file), ``PageSize``, ``Misc`` (JET_DBINFOMISC),
    ``Options`` (grbits), ``Transactions``, ``Version``, ``DBInUse``, ``Connect``,
    ``LCID``, ``Isam``, ``FileType``. Errors: ``JET_errInvalidDatabaseId``,
    ``JET_errInvalidParameter`` for another level."""
    level = _args.integer(InfoLevel, "InfoLevel") & ~C.JET_DbInfoUseCachedResult
    with session_call(sesid) as session:
        info = databases_of(session.instance).info(session, dbid)
        if level == C.JET_DbInfoSpaceAvailable:  # pages LMDB holds free in the file
            return space.available_pages(database_of(session, dbid))
        return _info(level, info)


def JetGetDatabaseFileInfo(szDatabaseName: str, InfoLevel: int):
    """Information read from a database file's header, attached or not (as
    ``JetGetDatabaseInfo``; ``Misc`` shows the state: clean, dirty, just created).

    Errors: ``JET_errFileNotFound``, ``JET_errInvalidPath``, ``JET_errDatabaseCorrupted`` /
    ``JET_errInvalidDatabaseVersion`` for files that are not pyese databases,
    ``JET_errFileAccessDenied`` when another process holds it, ``JET_errInvalidParameter``
    for an unknown level. The file is never modified.
    """
    level = _args.integer(InfoLevel, "InfoLevel") & ~C.JET_DbInfoUseCachedResult
    name = _filename(szDatabaseName, "szDatabaseName")
    return _info(level, file_info(name))


def _info(level: int, info: DatabaseFileInfo):
    path, header, size, in_use = info.path, info.header, info.size, info.in_use
    pages = max(1, size // header.page_size) if size else 0
    if level == C.JET_DbInfoFilename:
        return path
    if level == C.JET_DbInfoConnect:
        return ""
    if level in (C.JET_DbInfoCountry, C.JET_DbInfoCp):
        return 1 if level == C.JET_DbInfoCountry else 1252
    if level == C.JET_DbInfoLCID:
        return 1033
    if level == C.JET_DbInfoOptions:
        return C.JET_bitDbReadOnly if info.read_only else 0
    if level == C.JET_DbInfoTransactions:
        return 7  # levelUserMost
    if level == C.JET_DbInfoVersion:
        return 0x620
    if level == C.JET_DbInfoIsam:
        return 0
    if level in (C.JET_DbInfoFilesize, C.JET_DbInfoSpaceOwned, C.JET_DbInfoFilesizeOnDisk):
        return pages
    if level == C.JET_DbInfoSpaceAvailable:
        return 0
    if level == C.JET_DbInfoPageSize:
        return header.page_size
    if level == C.JET_DbInfoDBInUse:
        return in_use
    if level == C.JET_DbInfoFileType:
        return C.JET_filetypeDatabase
    if level == C.JET_DbInfoMisc:
        if info.genuine:
            return _misc_genuine(header)
        return _misc(header, info.backup)
    raise_error(C.JET_errInvalidParameter, f"InfoLevel {level}")


def _lgpos(lg: Any):
    from pyese.jet.structs import JET_LGPOS

    return JET_LGPOS(ib=lg.ib, isec=lg.isec, lGeneration=lg.generation)


def _logtime(filetime: int):
    from pyese.jet.structs import JET_LOGTIME

    if filetime <= 0:
        return JET_LOGTIME()
    seconds = (filetime - _EPOCH_AS_FILETIME) / 10_000_000
    t = datetime.datetime.fromtimestamp(max(seconds, 0), tz=datetime.UTC)
    ms = t.microsecond // 1000
    return JET_LOGTIME(bSeconds=t.second, bMinutes=t.minute, bHours=t.hour, bDay=t.day,
                       bMonth=t.month, bYear=t.year - 1900,
                       bFiller1=1 | ((ms & 0x7F) << 1), bFiller2=((ms >> 7) & 0x07) << 1)


def _signature(raw: bytes | None, filetime: int):
    from pyese.jet.structs import JET_LOGTIME, JET_SIGNATURE

    if raw is None:
        return JET_SIGNATURE()
    return JET_SIGNATURE(ulRandom=int.from_bytes(raw[:4], "little"),
                         logtimeCreate=_logtime(filetime) if filetime else JET_LOGTIME(),
                         szComputerName="")


def _genuine_logtime(t: object):
    from pyese.jet.structs import JET_LOGTIME

    if t is None or t.is_null:  # type: ignore[attr-defined]
        return JET_LOGTIME()
    ms = t.milliseconds  # type: ignore[attr-defined]
    return JET_LOGTIME(bSeconds=t.seconds, bMinutes=t.minutes,  # type: ignore[attr-defined]
                       bHours=t.hours, bDay=t.day, bMonth=t.month,  # type: ignore[attr-defined]
                       bYear=t.year, bFiller1=(1 if t.utc else 0) | ((ms & 0x7F) << 1),  # type: ignore[attr-defined]
                       bFiller2=((ms >> 7) & 0x07) << 1)


def _misc_genuine(header: object):
    """JET_DBINFOMISC of a genuine ESE header (storage.edb.header.EdbHeader), as ESE
    fills it from its DBFILEHDR."""
    from pyese.jet.structs import JET_DBINFOMISC, JET_LGPOS, JET_SIGNATURE

    h: object = header

    def lg(x: object) -> JET_LGPOS:
        return JET_LGPOS(ib=x.ib, isec=x.isec, lGeneration=x.generation)  # type: ignore[attr-defined]

    def sig(x: object) -> JET_SIGNATURE:
        return JET_SIGNATURE(ulRandom=x.random,  # type: ignore[attr-defined]
                             logtimeCreate=_genuine_logtime(x.create_time),  # type: ignore[attr-defined]
                             szComputerName=x.computer_name)  # type: ignore[attr-defined]

    return JET_DBINFOMISC(
        ulVersion=h.version, ulUpdate=h.update_major,  # type: ignore[attr-defined]
        signDb=sig(h.signature), dbstate=h.dbstate,  # type: ignore[attr-defined]
        lgposConsistent=lg(h.lgpos_consistent), lgposAttach=lg(h.lgpos_attach),  # type: ignore[attr-defined]
        lgposDetach=lg(h.lgpos_detach), signLog=sig(h.log_signature),  # type: ignore[attr-defined]
        cbPageSize=h.page_size,  # type: ignore[attr-defined]
    )


def _bkinfo(b: Any):
    from pyese.jet.structs import JET_BKINFO

    if b is None:
        return JET_BKINFO()
    return JET_BKINFO(lgposMark=_lgpos(b.mark), logtimeMark=_logtime(b.mark_time),
                      genLow=b.gen_low, genHigh=b.gen_high)


def _misc(header: Any, backup: Any = None):
    """JET_DBINFOMISC4 (a JET_DBINFOMISC) of a pyese header, with the backup fields
    (``engine.instance.database.BackupInfo``): ``bkinfoFullPrev/IncPrev/CopyPrev/DiffPrev``
    from the file, ``bkinfoFullCur`` from a backup copy's trailer."""
    from pyese.jet.structs import JET_DBINFOMISC4

    fields = backup.fields if backup is not None else None
    return JET_DBINFOMISC4(
        ulVersion=0x620,
        ulUpdate=header.format_version[1],
        signDb=_signature(header.signature, header.creation_time),
        dbstate=header.state,
        lgposConsistent=_lgpos(header.consistent_lgpos),
        lgposAttach=_lgpos(header.attach_lgpos),
        lgposDetach=_lgpos(header.detach_lgpos),
        signLog=_signature(header.log_signature, 0),
        cbPageSize=header.page_size,
        bkinfoFullPrev=_bkinfo(fields.full_prev if fields else None),
        bkinfoIncPrev=_bkinfo(fields.inc_prev if fields else None),
        bkinfoCopyPrev=_bkinfo(fields.copy_prev if fields else None),
        bkinfoDiffPrev=_bkinfo(fields.diff_prev if fields else None),
        bkinfoFullCur=_bkinfo(backup.full_cur if backup is not None else None),
        genMaxRequired=header.applied_lgpos.generation,
    )


__all__ = [
    "JetCreateDatabase",
    "JetCreateDatabase2",
    "JetAttachDatabase",
    "JetAttachDatabase2",
    "JetDetachDatabase",
    "JetDetachDatabase2",
    "JetOpenDatabase",
    "JetCloseDatabase",
    "JetGetDatabaseInfo",
    "JetGetDatabaseFileInfo",
]
