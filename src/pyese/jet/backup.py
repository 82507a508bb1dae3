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
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pyese.engine.backup import snapshot
from pyese.engine.backup import streaming as _bk
from pyese.engine.backup.filebackup import backup_instance
from pyese.engine.backup.restore import RestoreItem, RestorePaths, restore_instance, run_restore
from pyese.engine.instance import instance as _inst
from pyese.engine.instance.instance import SYSTEM, Instance
from pyese.engine.instance.logservice import resolve_path
from pyese.jet import _args
from pyese.jet.handles import JET_INSTANCE, JET_OSSNAPID, _Handle
from pyese.jet.structs import JET_INSTANCE_INFO
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


class TargetInstanceRunningWarning(UserWarning):
    """``JetExternalRestore2`` restored while its target instance runs: ESE's
    ``JET_wrnTargetInstanceRunning`` (578), which the ``-> None`` shape cannot return."""

    err = C.JET_wrnTargetInstanceRunning
"""``callable(sesid, snp, snt, pv) -> int``: pv is a JET_SNPROG or None."""


# -- instance resolution -------------------------------------------------------------------


def _one_instance() -> JET_INSTANCE:
    with SYSTEM.lock:
        if SYSTEM.mode == _inst.MODE_MULTI:
            raise_error(C.JET_errRunningInMultiInstanceMode)  # ESE: jetapi.cxx ~2971
    return JET_INSTANCE(SYSTEM.find_instance(None).id)


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
    """``JetGetAttachInfoInstance`` on the one-instance-mode instance
    (``JET_errRunningInMultiInstanceMode`` in multi-instance mode)."""
    return JetGetAttachInfoInstance(_one_instance())


def JetOpenFileInstance(instance: JET_INSTANCE | int,
                        szFileName: str) -> tuple[JET_HANDLE, int, int]:
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
    """``JetOpenFileInstance`` on the one-instance-mode instance
    (``JET_errRunningInMultiInstanceMode`` in multi-instance mode)."""
    return JetOpenFileInstance(_one_instance(), szFileName)


def JetReadFileInstance(instance: JET_INSTANCE | int, hfFile: JET_HANDLE | int) -> bytes:
    """The next chunk of an open backup file; b"" once its announced size has been read.
    A log that fails verification: ``JET_errLogReadVerifyFailure`` (the backup ends)."""
    h = _handle(hfFile)
    with _entered(instance) as inst:
        return _bk.backup_of(inst).read_file(h)


def JetReadFile(hfFile: JET_HANDLE | int) -> bytes:
    """``JetReadFileInstance`` on the one-instance-mode instance
    (``JET_errRunningInMultiInstanceMode`` in multi-instance mode)."""
    return JetReadFileInstance(_one_instance(), hfFile)


def JetCloseFileInstance(instance: JET_INSTANCE | int, hfFile: JET_HANDLE | int) -> None:
    """Close an open backup file; one read to its end counts as copied."""
    h = _handle(hfFile)
    with _entered(instance) as inst:
        _bk.backup_of(inst).close_file(h)


def JetCloseFile(hfFile: JET_HANDLE | int) -> None:
    """``JetCloseFileInstance`` on the one-instance-mode instance
    (``JET_errRunningInMultiInstanceMode`` in multi-instance mode)."""
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
    """``JetGetLogInfoInstance`` on the one-instance-mode instance
    (``JET_errRunningInMultiInstanceMode`` in multi-instance mode)."""
    return JetGetLogInfoInstance(_one_instance())


def JetGetTruncateLogInfoInstance(instance: JET_INSTANCE | int) -> list[str]:
    """The logs ``JetTruncateLogInstance`` would delete (possibly none)."""
    with _entered(instance) as inst:
        return _bk.backup_of(inst).get_truncate_log_info()


def JetTruncateLogInstance(instance: JET_INSTANCE | int) -> None:
    """Delete the logs no backup or recovery needs any more. ``JET_errInvalidBackupSequence``
    (a file open, or JetGetLogInfo not called), ``JET_errLogFileNotCopied`` (a listed log
    not read to its end and closed), ``JET_errNoBackup`` outside a streaming backup (ESE
    ``bk`` 3502; ``JetBackupInstance`` with no path is the truncate-only call)."""
    with _entered(instance) as inst:
        _bk.backup_of(inst).truncate_log()


def JetTruncateLog() -> None:
    """``JetTruncateLogInstance`` on the one-instance-mode instance
    (``JET_errRunningInMultiInstanceMode`` in multi-instance mode)."""
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


def JetBeginSurrogateBackup(instance: JET_INSTANCE | int, lgenFirst: int, lgenLast: int,
                            grbit: int = 0) -> None:
    """Begin a surrogate backup: the logs ``[lgenFirst, lgenLast]`` (and, for a full one,
    the databases) were backed up elsewhere, from a replica; this instance records it at
    ``JetEndSurrogateBackup`` (``jethdr.w``, ESE ``backup.cxx`` ErrIsamBeginSurrogateBackup).
    ``JET_errInvalidParameter`` (lgenFirst > lgenLast, or lgenLast past the current
    generation), then Begin's errors (``JET_errInvalidGrbit``, ``JET_errInvalidBackup`` with
    circular logging, ``JET_errBackupInProgress`` / ``JET_errSurrogateBackupInProgress``,
    ``JET_errMissingFullBackup`` for an incremental one). While it runs the streaming calls
    answer ``JET_errNoBackup``."""
    first = _args.integer(lgenFirst, "lgenFirst")
    last = _args.integer(lgenLast, "lgenLast")
    g = _args.grbit(grbit)
    with _entered(instance) as inst:
        _bk.backup_of(inst).begin_surrogate(first, last, g)


def JetEndSurrogateBackup(instance: JET_INSTANCE | int, grbit: int) -> None:
    """End a surrogate backup: exactly one of ``JET_bitBackupEndNormal`` /
    ``JET_bitBackupEndAbort`` (``JET_bitBackupTruncateDone``, ``JET_bitBackupNoDbHeaderUpdate``
    may be added), else ``JET_errInvalidParameter``; ``JET_errNoBackup``. A normal end
    records the backup in every attached database's header (``bkinfoFullPrev`` with
    TruncateDone, else ``bkinfoCopyPrev``; Inc/Diff for an incremental one); no log is
    deleted."""
    g = _args.grbit(grbit)
    normal, abort = bool(g & C.JET_bitBackupEndNormal), bool(g & C.JET_bitBackupEndAbort)
    if normal == abort:
        raise_error(C.JET_errInvalidParameter, "grbit must be JET_bitBackupEndNormal or Abort")
    with _entered(instance) as inst:
        _bk.backup_of(inst).end_surrogate(g)


def JetEndExternalBackupInstance(instance: JET_INSTANCE | int) -> None:
    """``JetEndExternalBackupInstance2(instance, JET_bitBackupEndNormal)`` (api 18179)."""
    JetEndExternalBackupInstance2(instance, C.JET_bitBackupEndNormal)


def JetEndExternalBackup() -> None:
    """``JetEndExternalBackupInstance`` on the one-instance-mode instance
    (``JET_errRunningInMultiInstanceMode`` in multi-instance mode)."""
    JetEndExternalBackupInstance(_one_instance())


def JetStopBackupInstance(instance: JET_INSTANCE | int) -> None:
    """Make the running backup's calls fail with ``JET_errBackupAbortByServer`` (success
    even with no backup; the next Begin clears it; ESE ``jetapi.cxx`` ~22618)."""
    inst = SYSTEM.find_instance(instance)
    if inst.services is None:
        return
    _bk.backup_of(inst).stop()


def JetStopBackup() -> None:
    """``JetStopBackupInstance`` on the one-instance-mode instance
    (``JET_errRunningInMultiInstanceMode`` in multi-instance mode)."""
    JetStopBackupInstance(_one_instance())


# -- file backup and restore ---------------------------------------------------------------


def _pfn(pfn: object, name: str = "pfnStatus") -> Callable[[int, int, int, int], Any] | None:
    """The engine's status function for a ``JET_PFNSTATUS``: it builds the ``JET_SNPROG``
    and hands back what the callback returns."""
    if pfn is None:
        return None
    if not callable(pfn):
        raise_error(C.JET_errInvalidParameter, f"{name} must be a JET_PFNSTATUS callable")

    def status(snp: int, snt: int, done: int, total: int) -> Any:
        return pfn(None, snp, snt, JET_SNPROG(cunitDone=done, cunitTotal=total))

    return status


def _path(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | os.PathLike):
        raise_error(C.JET_errInvalidParameter, f"{name} must be a str")
    return str(os.fspath(value))


def JetBackupInstance(instance: JET_INSTANCE | int, szBackupPath: str | None,
                      grbit: int = 0, pfnStatus: JET_PFNSTATUS | None = None) -> None:
    """Back up the instance's databases and logs into ``szBackupPath`` (full, or
    ``JET_bitBackupIncremental``; ``JET_bitBackupAtomic`` keeps the previous backup until
    the new one is complete); no path: only truncate the logs the checkpoint no longer
    needs. Errors: ``JET_errLoggingDisabled``, ``JET_errInvalidBackup``,
    ``JET_errBackupInProgress``, ``JET_errInvalidPath``, ``JET_errBackupDirectoryNotEmpty``,
    ``JET_errMissingFullBackup``, ``JET_errDiskFull`` ... (``engine.backup.filebackup``)."""
    g = _args.grbit(grbit)
    path = _path(szBackupPath, "szBackupPath")
    pfn = _pfn(pfnStatus)
    with _entered(instance) as inst:
        backup_instance(inst, path, g, pfn)


def JetBackup(szBackupPath: str | None, grbit: int = 0,
              pfnStatus: JET_PFNSTATUS | None = None) -> None:
    """``JetBackupInstance`` on the one-instance-mode instance."""
    JetBackupInstance(_one_instance(), szBackupPath, grbit, pfnStatus)


def _restore_instance_for(instance: object) -> tuple[Instance, bool]:
    """The instance a restore runs on; with no handle a hidden one (freed after)."""
    if instance is None or instance == 0 or instance == _inst.INSTANCE_NIL:
        with SYSTEM.lock:
            if SYSTEM.mode == _inst.MODE_ONE and SYSTEM.instances:
                raise_error(C.JET_errAlreadyInitialized)
            hidden = Instance(SYSTEM, SYSTEM.next_instance_id(), None, None,
                              SYSTEM.params.copy())
        return hidden, True
    return SYSTEM.find_instance(instance), False


def JetRestoreInstance(instance: JET_INSTANCE | int | None, sz: str,
                       szDest: str | None = None, pfn: JET_PFNSTATUS | None = None) -> None:
    """Restore the backup in ``sz`` (or its ``new``/``old``) with the instance's log and
    system paths: databases to ``szDest`` (their original paths when None), then redo of the
    backup's logs and of the newer logs in the log directory. ``JET_errAlreadyInitialized``
    for a running instance; ``JET_errRestoreInProgress`` for the instance's calls meanwhile;
    ``JET_errFileNotFound``, ``JET_errPatchFileMissing``, ``JET_errGivenLogFile*``,
    ``JET_errExistingLogFile*``, ``JET_errRestoreOfNonBackupDatabase``,
    ``JET_errDatabasePatchFileMismatch``, ``JET_errStartingRestoreLogTooHigh``,
    ``JET_errEndingRestoreLogTooLow`` (``engine.backup.restore``)."""
    src = _path(sz, "sz")
    if not src:
        raise_error(C.JET_errInvalidParameter, "sz must name the backup directory")
    dest = _path(szDest, "szDest")
    callback = _pfn(pfn, "pfn")
    inst, _hidden = _restore_instance_for(instance)
    restore_instance(inst, src, dest, callback)


def JetRestore(szSource: str, pfn: JET_PFNSTATUS | None = None) -> None:
    """``JetRestoreInstance`` with no instance (a hidden one) and original paths."""
    JetRestoreInstance(None, szSource, None, pfn)


def JetRestore2(sz: str, szDest: str | None = None, pfn: JET_PFNSTATUS | None = None) -> None:
    """``JetRestoreInstance`` with no instance (a hidden one)."""
    JetRestoreInstance(None, sz, szDest, pfn)


_restore_counter = [0]


def JetExternalRestore2(szCheckpointFilePath: str, szLogPath: str, rgrstmap: list | None,
                        szBackupLogPath: str, pLogInfo: JET_LOGINFO,
                        szTargetInstanceName: str | None = None,
                        szTargetInstanceLogPath: str | None = None,
                        szTargetInstanceCheckpointPath: str | None = None,
                        pfn: JET_PFNSTATUS | None = None) -> None:
    """Restore databases a streaming backup wrote (each at ``szNewDatabaseName`` of its
    ``JET_RSTMAP``) with the logs in ``szBackupLogPath`` over ``pLogInfo``'s range, rolling
    forward into ``szLogPath`` (or the named target instance's log path). Returns None
    (``API.md``). When the target instance runs, ESE returns the warning
    ``JET_wrnTargetInstanceRunning`` and leaves that instance's logs alone: this shape has
    no result to carry it, so it comes as a ``TargetInstanceRunningWarning`` (a Python
    warning whose ``err`` is 578). Errors (ESE ``jetapi.cxx`` ~18434-18900):
    ``JET_errInvalidParameter`` (no ``JET_LOGINFO``; a target log path without its
    checkpoint path or the reverse; a target name and a target log path),
    ``JET_errRunningInOneInstanceMode``,
    ``JET_errBadRestoreTargetInstance``, then the restore's errors."""
    if not isinstance(pLogInfo, JET_LOGINFO):
        raise_error(C.JET_errInvalidParameter, "pLogInfo must be a JET_LOGINFO")
    _external_restore(szCheckpointFilePath, szLogPath, rgrstmap, szBackupLogPath,
                             pLogInfo.ulGenLow, pLogInfo.ulGenHigh, szTargetInstanceName,
                             szTargetInstanceLogPath, szTargetInstanceCheckpointPath, pfn,
                             pLogInfo.szBaseName or None)


def JetExternalRestore(szCheckpointFilePath: str, szLogPath: str, rgrstmap: list | None,
                       szBackupLogPath: str, genLow: int, genHigh: int,
                       pfn: JET_PFNSTATUS | None = None) -> None:
    """``JetExternalRestore2`` with the range given as numbers (0: the range found) and no
    target instance. Returns None."""
    _external_restore(szCheckpointFilePath, szLogPath, rgrstmap, szBackupLogPath,
                             _args.integer(genLow, "genLow"), _args.integer(genHigh, "genHigh"),
                             None, None, None, pfn, None)


def _external_restore(chk: object, log: object, rgrstmap: list | None, backup_log: object,
                      low: int, high: int, target_name: object, target_log: object,
                      target_chk: object, pfn: object, base: str | None) -> None:
    chk_path = _path(chk, "szCheckpointFilePath")
    log_path = _path(log, "szLogPath")
    backup_path = _path(backup_log, "szBackupLogPath")
    tname = _path(target_name, "szTargetInstanceName")
    tlog = _path(target_log, "szTargetInstanceLogPath")
    tchk = _path(target_chk, "szTargetInstanceCheckpointPath")
    callback = _pfn(pfn, "pfn")
    if (tlog is None) != (tchk is None):
        raise_error(C.JET_errInvalidParameter, "target log and checkpoint paths go together")
    if tname is not None and tlog is not None:
        raise_error(C.JET_errInvalidParameter, "a target instance name or its paths, not both")
    if not backup_path or not log_path:
        raise_error(C.JET_errInvalidParameter, "szBackupLogPath and szLogPath are required")
    if low < 0 or high < 0 or (low and high and low > high):
        raise_error(C.JET_errInvalidParameter, "genLow/genHigh")
    if rgrstmap is not None and not isinstance(rgrstmap, list | tuple):
        raise_error(C.JET_errInvalidParameter, "rgrstmap must be a list of JET_RSTMAP")
    items = []
    for m in rgrstmap or []:
        old = getattr(m, "szDatabaseName", None)
        new = getattr(m, "szNewDatabaseName", None) or old
        if not isinstance(new, str) or not new:
            raise_error(C.JET_errInvalidParameter, "each JET_RSTMAP needs a database name")
        items.append(RestoreItem(os.path.abspath(new), os.path.abspath(new)))
    if not items:
        raise_error(C.JET_errInvalidParameter, "rgrstmap names no database")
    with SYSTEM.lock:
        if SYSTEM.mode == _inst.MODE_ONE:
            raise_error(C.JET_errRunningInOneInstanceMode)  # ESE: jetapi.cxx ~18480
        warning = 0
        rollforward = True
        if tname is not None:
            target = next((i for i in SYSTEM.instances.values() if i.name == tname), None)
            if target is None:
                raise_error(C.JET_errBadRestoreTargetInstance, repr(tname))
            if target.initialized:
                warning = C.JET_wrnTargetInstanceRunning
                rollforward = False
            else:
                log_path = resolve_path(target.params.log_file_path)
                chk_path = resolve_path(target.params.system_path)
        elif tlog is not None:
            log_path, chk_path = tlog, tchk
        _restore_counter[0] = (_restore_counter[0] + 1) % 10000
        name = f"Restore{_restore_counter[0]:04d}"
        hidden = Instance(SYSTEM, SYSTEM.next_instance_id(), name, None, SYSTEM.params.copy())
    base_name = base or hidden.params.base_name
    paths = RestorePaths(resolve_path(log_path), resolve_path(chk_path or log_path), base_name)
    hidden.begin_restore()
    try:
        run_restore(hidden, paths, os.path.abspath(backup_path), items, low=low or None,
                    high=high or None, pfn=callback, rollforward=rollforward)
    finally:
        hidden.end_restore()
    if warning:
        warnings.warn(TargetInstanceRunningWarning(
            f"JET_wrnTargetInstanceRunning ({warning}): instance {tname!r} is running; the "
            "databases were restored from the backup's logs only, its logs were not "
            "rolled forward"), stacklevel=3)


# -- OS snapshot ---------------------------------------------------------------------------


def _snapid(value: object) -> int:
    v = getattr(value, "value", value)
    if isinstance(v, bool) or not isinstance(v, int):
        raise_error(C.JET_errOSSnapshotInvalidSnapId)
    return v


def _infos(instances: list[Instance]) -> list:
    out = []
    for inst in instances:
        services = inst.services
        attached = services.parts.get("attached_paths") if services is not None else None
        files = list(attached()) if callable(attached) else []
        out.append(JET_INSTANCE_INFO(hInstanceId=JET_INSTANCE(inst.id),
                                     szInstanceName=inst.name, szDatabaseFileName=files,
                                     szDatabaseDisplayName=[""] * len(files),
                                     szDatabaseSLVFileName_Obsolete=[""] * len(files)))
    return out


def JetOSSnapshotPrepare(grbit: int = 0) -> JET_OSSNAPID:
    """Start an OS snapshot session (every running instance unless
    ``JET_bitExplicitPrepare``). ``JET_errInvalidGrbit``, ``JET_errNotInitialized``,
    ``JET_errOSSnapshotNotAllowed`` (an instance running a backup or in another snapshot)."""
    return JET_OSSNAPID(snapshot.prepare(_args.grbit(grbit)))


def JetOSSnapshotPrepareInstance(snapId: JET_OSSNAPID | int, instance: JET_INSTANCE | int,
                                 grbit: int = 0) -> None:
    """Add an instance to a session in its prepare state."""
    g = _args.grbit(grbit)
    sid = _snapid(snapId)
    snapshot.prepare_instance(sid, SYSTEM.find_instance(instance), g)


def JetOSSnapshotFreeze(snapId: JET_OSSNAPID | int, grbit: int = 0) -> list:
    """Freeze the session's instances: no log, database or checkpoint write until Thaw
    (commits wait). Returns a ``JET_INSTANCE_INFO`` per frozen instance."""
    g = _args.grbit(grbit)
    return _infos(snapshot.freeze(_snapid(snapId), g))


def JetOSSnapshotThaw(snapId: JET_OSSNAPID | int, grbit: int = 0) -> None:
    """Resume writes; ``JET_errOSSnapshotTimeOut`` if the freeze outlived
    ``JET_paramOSSnapshotTimeout``. Without ``JET_bitContinueAfterThaw`` the session ends."""
    g = _args.grbit(grbit)
    snapshot.thaw(_snapid(snapId), g)


def JetOSSnapshotGetFreezeInfo(snapId: JET_OSSNAPID | int, grbit: int = 0) -> list:
    """The session's instances as ``JET_INSTANCE_INFO``."""
    g = _args.grbit(grbit)
    return _infos(snapshot.get_freeze_info(_snapid(snapId), g))


def JetOSSnapshotTruncateLog(snapId: JET_OSSNAPID | int, grbit: int = 0) -> None:
    """After Thaw: delete the logs the checkpoint no longer needs, for every instance."""
    g = _args.grbit(grbit)
    snapshot.truncate_log(_snapid(snapId), None, g)


def JetOSSnapshotTruncateLogInstance(snapId: JET_OSSNAPID | int, instance: JET_INSTANCE | int,
                                     grbit: int = 0) -> None:
    """``JetOSSnapshotTruncateLog`` for one instance of the session."""
    g = _args.grbit(grbit)
    snapshot.truncate_log(_snapid(snapId), SYSTEM.find_instance(instance), g)


def JetOSSnapshotEnd(snapId: JET_OSSNAPID | int, grbit: int = 0) -> None:
    """End the session (``JET_bitAbortSnapshot``: abort; from Freeze it thaws first); a
    normal end after Thaw records the snapshot in the database headers."""
    g = _args.grbit(grbit)
    snapshot.end(_snapid(snapId), g)


def JetOSSnapshotAbort(snapId: JET_OSSNAPID | int, grbit: int = 0) -> None:
    """``JetOSSnapshotEnd(snapId, JET_bitAbortSnapshot)``; grbit must be 0."""
    g = _args.grbit(grbit)
    if g:
        raise_error(C.JET_errInvalidGrbit)
    JetOSSnapshotEnd(snapId, C.JET_bitAbortSnapshot)


__all__ = [
    "JET_HANDLE",
    "JET_LOGINFO",
    "JET_SNPROG",
    "TargetInstanceRunningWarning",
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
    "JetBeginSurrogateBackup",
    "JetEndSurrogateBackup",
    "JetStopBackup",
    "JetBackup",
    "JetBackupInstance",
    "JetRestore",
    "JetRestore2",
    "JetRestoreInstance",
    "JetExternalRestore",
    "JetExternalRestore2",
    "JetOSSnapshotPrepare",
    "JetOSSnapshotPrepareInstance",
    "JetOSSnapshotFreeze",
    "JetOSSnapshotThaw",
    "JetOSSnapshotGetFreezeInfo",
    "JetOSSnapshotTruncateLog",
    "JetOSSnapshotTruncateLogInstance",
    "JetOSSnapshotEnd",
    "JetOSSnapshotAbort",
    "JetStopBackupInstance",
]
