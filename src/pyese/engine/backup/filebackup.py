"""``JetBackupInstance``: the engine copies the files itself, through the same streaming
calls a client would make (ESE ``backup.cxx`` ErrLGBackup, ``bk`` 926-939, 1116-1535).

Checks, in ESE's order: recovery off -> ``JET_errLoggingDisabled``; the log failed ->
``JET_errLogWriteFail``; incremental with circular logging -> ``JET_errInvalidBackup``; a
backup running -> ``JET_errBackupInProgress``; no path -> *truncate only* (the documented
"truncate the logs, if possible": the logs before the checkpoint go, nothing is copied, no
header changes; nothing with circular logging); a directory that does not exist (and
``JET_paramCreatePathIfNotExist`` off) -> ``JET_errInvalidPath``; a non-atomic full backup
into a non-empty directory, or a non-atomic incremental one into a directory holding
``new`` or ``old`` -> ``JET_errBackupDirectoryNotEmpty``; then Begin's own checks
(``JET_errMissingFullBackup`` ...).

Layout written: each database under its own name (image + trailer page), an empty
``<name>.pat`` beside it (restore finds databases by these, ``JET_errPatchFileMissing``
without), and the logs ``edbXXXXX.log`` of ``[genLow, genHigh]``.

``JET_bitBackupAtomic``: a leftover ``temp`` is removed; an existing ``new`` becomes ``old``
(the previous ``old`` removed); a full backup is written to ``temp``, renamed to ``new``,
then ``old`` is removed (``bk`` 1147-1318); an incremental one is added to ``old``. Every
crash point leaves one complete backup (in ``new`` or ``old``), which is where restore
looks when the directory itself holds no logs.

Status callback (``pfnStatus``): a full backup calls it with ``JET_snpBackup`` /
``JET_sntBegin`` before copying and ``JET_sntComplete`` after the truncation
(``cunitTotal`` 100, ``cunitDone`` 0 then 100); an incremental one calls nothing; what it
returns is ignored (``bk`` 1436-1446, 1497-1505); an exception it raises ends the backup
as an abort and comes out of the call. The backup always ends: normally on success, as an
abort on error.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import Any

from pyese.engine.backup.streaming import BackupContext, backup_of, delete_logs
from pyese.engine.instance.instance import Instance
from pyese.engine.instance.logservice import storage_of
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.backup.copy import copy_file, fsync_dir, write_durably
from pyese.storage.backup.logchain import verify_log
from pyese.storage.faults import NO_FAULTS, FaultInjector, jet_error_from_os
from pyese.storage.log import log_format as F

PATCH_EXT = ".pat"
MAX_PATH = 260


def _faults(instance: Instance) -> FaultInjector:
    services = instance.services
    f = services.parts.get("faults") if services is not None else None
    return f if isinstance(f, FaultInjector) else NO_FAULTS


def truncate_only(instance: Instance) -> list[str]:
    """Delete the logs the checkpoint no longer needs (none with circular logging).

    The applier is drained first so the checkpoint is current (it is otherwise written
    lazily, and a lagging one would keep logs nothing needs: the truncation then depended
    on the applier's timing)."""
    st = storage_of(instance)
    if st.log is None or st.log.circular or st.applier is None:
        return []
    st.applier.drain()
    ck = st.applier.checkpoint_lgpos
    if ck is None:
        return []
    gens = F.list_archived(st.log_path, st.base_name)
    if not gens:
        return []
    return delete_logs(st, min(gens), ck.generation)


StatusFn = Callable[[int, int, int, int], Any]
"""``status(snp, snt, cunitDone, cunitTotal)``: the jet layer turns it into a
``JET_PFNSTATUS`` call with a ``JET_SNPROG``."""


def _status(status: StatusFn | None, snt: int, done: int) -> None:
    if status is not None:
        status(C.JET_snpBackup, snt, done, 100)


def backup_instance(instance: Instance, path: str | None, grbit: int,
                    pfn: StatusFn | None = None,
                    progress: Callable[[str, int, int], Any] | None = None) -> None:
    """JetBackupInstance (see the module docstring). ``progress(name, done, total)`` is a
    pyese extra for the command line (bytes of the file being copied)."""
    st = storage_of(instance)
    if not st.recovery_on:
        raise_error(C.JET_errLoggingDisabled)
    if st.log is not None and st.log.failed is not None:
        raise_error(C.JET_errLogWriteFail)
    incremental = bool(grbit & C.JET_bitBackupIncremental)
    atomic = bool(grbit & C.JET_bitBackupAtomic)
    if grbit & ~(C.JET_bitBackupIncremental | C.JET_bitBackupAtomic
                 | C.JET_bitBackupFullWithAllLogs | C.JET_bitBackupSnapshot):
        raise_error(C.JET_errInvalidGrbit)
    if incremental and st.log is not None and st.log.circular:
        raise_error(C.JET_errInvalidBackup, "incremental backup with circular logging")
    ctx = backup_of(instance)
    if ctx.running:
        raise_error(C.JET_errBackupInProgress)
    if not path:
        truncate_only(instance)
        return
    root = os.path.abspath(path)
    if len(root) > MAX_PATH * 4:
        raise_error(C.JET_errInvalidPath, "backup path too long")
    if not os.path.isdir(root):
        if not instance.params.create_path_if_not_exist or os.path.exists(root):
            raise_error(C.JET_errInvalidPath, f"{root} is not a directory")
        try:
            os.makedirs(root, exist_ok=True)
        except OSError as exc:
            raise JetError.from_code(C.JET_errInvalidPath, f"{root}: {exc}") from exc
    entries = set(os.listdir(root))
    if not atomic:
        if not incremental and entries:
            raise_error(C.JET_errBackupDirectoryNotEmpty, root)
        if incremental and entries & {"new", "old"}:
            raise_error(C.JET_errBackupDirectoryNotEmpty, f"{root} holds an atomic backup")
    faults = _faults(instance)
    dest = root
    if atomic:
        dest = _atomic_prepare(root, incremental)
    ctx.begin(C.JET_bitBackupIncremental if incremental else 0)
    try:
        if not incremental:
            _status(pfn, C.JET_sntBegin, 0)
            for dbpath in ctx.get_attach_info():
                _copy_database(ctx, dbpath, dest, faults, progress)
        names, _low, _high = ctx.get_log_info()
        for name in names:
            _copy_log(ctx, name, dest, faults, progress)
        if atomic and not incremental:
            _atomic_promote(root)
        ctx.truncate_log()
        if not incremental:
            _status(pfn, C.JET_sntComplete, 100)
        ctx.end(C.JET_bitBackupEndNormal)
    except BaseException:
        if ctx.running:
            ctx.end(C.JET_bitBackupEndAbort)
        raise


def _copy_database(ctx: BackupContext, dbpath: str, dest: str, faults: FaultInjector,
                   progress: Callable[[str, int, int], Any] | None) -> None:
    name = os.path.basename(dbpath)
    handle, low, high = ctx.open_file(dbpath)
    try:
        f = ctx.files[handle]
        stream = f.stream
        assert stream is not None

        def fill(fd: int) -> None:
            def report(done: int, total: int) -> None:
                if progress is not None:
                    progress(name, done, total)

            try:
                stream.copy_to(fd, hit=faults.hit, progress=report)
            except OSError as exc:
                raise jet_error_from_os(exc, log=False, detail=f"backup of {name}") from exc

        write_durably(os.path.join(dest, name), fill, faults=faults)
        f.pos = stream.pos
    finally:
        ctx.close_file(handle)
    write_durably(os.path.join(dest, name + PATCH_EXT), lambda fd: None, faults=faults)


def _copy_log(ctx: BackupContext, name: str, dest: str, faults: FaultInjector,
              progress: Callable[[str, int, int], Any] | None) -> None:
    base = os.path.basename(name)
    handle, _low, _high = ctx.open_file(name)
    try:
        f = ctx.files[handle]
        try:
            verify_log(name)
        except JetError:
            ctx._end()
            raise
        f.verified = True
        size = copy_file(name, os.path.join(dest, base), faults=faults)
        f.pos = size
        if progress is not None:
            progress(base, size, size)
    finally:
        if ctx.running and handle in ctx.files:
            ctx.close_file(handle)


def _atomic_prepare(root: str, incremental: bool) -> str:
    temp, new, old = (os.path.join(root, n) for n in ("temp", "new", "old"))
    try:
        if os.path.isdir(temp):
            shutil.rmtree(temp)
        if incremental:
            if os.path.isdir(new):
                if os.path.isdir(old):
                    shutil.rmtree(old)
                os.rename(new, old)
                fsync_dir(root)
            if not os.path.isdir(old):
                raise_error(C.JET_errMissingFullBackup, f"no atomic full backup in {root}")
            return old
        if os.path.isdir(new):
            if os.path.isdir(old):
                shutil.rmtree(old)
            os.rename(new, old)
            fsync_dir(root)
        os.mkdir(temp)
        fsync_dir(root)
    except OSError as exc:
        raise JetError.from_code(C.JET_errMakeBackupDirectoryFail, f"{root}: {exc}") from exc
    return temp


def _atomic_promote(root: str) -> None:
    temp, new, old = (os.path.join(root, n) for n in ("temp", "new", "old"))
    try:
        os.rename(temp, new)
        fsync_dir(root)
        if os.path.isdir(old):
            shutil.rmtree(old)
            fsync_dir(root)
    except OSError as exc:
        raise jet_error_from_os(exc, log=False, detail="promoting the backup") from exc
