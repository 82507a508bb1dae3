"""The streaming ("external") backup of one instance: ESE's BACKUP_CONTEXT (``backup.cxx``).

States (ESE ``bk`` 1628-4575)::

    none --Begin(full)--> databases --GetLogInfo--> logs --End--> none
    none --Begin(incremental)----------------------> logs --End--> none
    none --BeginSurrogate--> (surrogate: nothing read here) --EndSurrogate--> none

Generation rules (ESE ``bk`` 620-895, 1876-1883):

- full Begin: ``copy_mic`` = the checkpoint's generation; incremental Begin: ``copy_mic`` =
  the oldest log on disk, and every attached database needs a previous full backup
  (``JET_errMissingFullBackup``) with no gap between its last backed-up generation and
  the oldest log (``JET_errMissingFileToBackup``);
- the first GetLogInfo rolls the log (closes the current generation if it holds records)
  and fixes ``copy_mac`` = the new current generation; the backup's logs are the archived
  generations ``[copy_mic, copy_mac - 1]``; ``<base>.log`` is never among them;
- truncation deletes ``[delete_mic, delete_mac)``: the oldest log on disk up to
  ``min(checkpoint generation now, copy_mac)`` and, for a full backup, the last full
  backup's ``genHigh`` of every attached database this backup did not copy.

A database is streamed from a pinned LMDB snapshot (``storage.backup.image``), with a
trailer giving ``bkinfoFullCur = {lgposMark, genLow = copy_mic, genHigh = 0}``.

Which errors end the backup (ESE ``bk`` 2125-3473): in the database phase OpenFile and
ReadFile errors only drop the file; in the log phase any OpenFile/ReadFile error, and any
GetLogInfo / GetTruncateLogInfo error, ends it (the next call gets ``JET_errNoBackup``).
``JetStopBackupInstance`` sets a flag that makes every call but CloseFile and End fail with
``JET_errBackupAbortByServer``; End(Normal) then records nothing (ESE downgrades it to an
abort and still returns success), as it does when GetLogInfo was never called.

Locks: ``self.lock`` guards every field below; file reads run under it too (one backup
client at a time is ESE's model as well: its calls take ``m_critBackupInProgress``).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from pyese.engine.instance.instance import Instance
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.backup import bkinfo as BK
from pyese.storage.backup.image import CHUNK, ImageStream
from pyese.storage.backup.logchain import verify_log
from pyese.storage.backup.trailer import Trailer
from pyese.storage.lgpos import LGPOS
from pyese.storage.log import log_format as F

STATE_NONE = "none"
STATE_DATABASES = "databases"
STATE_LOGS = "logs"

BEGIN_GRBITS = C.JET_bitBackupIncremental | C.JET_bitBackupSurrogate | C.JET_bitInternalCopy
_EPOCH_AS_FILETIME = 116444736000000000
_handles = itertools.count(1)


def filetime_now() -> int:
    return time.time_ns() // 100 + _EPOCH_AS_FILETIME


@dataclass
class _OpenFile:
    handle: int
    path: str
    kind: str  # "db" or "log"
    stream: ImageStream | None = None
    fd: int | None = None
    size: int = 0
    pos: int = 0
    generation: int = 0
    verified: bool = False


def storage_for_backup(instance: Instance) -> Any:
    from pyese.engine.instance.logservice import storage_of

    return storage_of(instance)


class BackupContext:
    """The streaming backup state of one instance (see the module docstring)."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.lock = threading.RLock()
        self.running = False
        self.surrogate = False
        """A surrogate backup runs (``JetBeginSurrogateBackup``): nothing is read here."""
        self.state = STATE_NONE
        self.stopped = False
        self.incremental = False
        self.copy_mic = 0
        self.copy_mac: int | None = None
        self.delete_mic = 0
        self.delete_mac = 0
        self.mark = LGPOS(0, 0)
        self.mark_time = 0
        self.files: dict[int, _OpenFile] = {}
        self.copied_dbs: dict[str, bytes] = {}
        """Paths of databases read to their end and closed -> their signature."""
        self.logs_read: set[int] = set()
        self.log_read_sum = 0
        self.truncated = False

    # -- helpers --------------------------------------------------------------------------

    @property
    def storage(self) -> Any:
        return storage_for_backup(self.instance)

    def _check_running(self) -> None:
        if not self.running or self.surrogate:  # ESE: m_fBackupInProgressLocal
            raise_error(C.JET_errNoBackup)
        if self.stopped:
            raise_error(C.JET_errBackupAbortByServer)

    def _end(self) -> None:
        """End the backup without recording anything (an abort)."""
        for f in list(self.files.values()):
            self._close_file(f)
        self.files.clear()
        self.running = False
        self.surrogate = False
        self.state = STATE_NONE
        try:
            log = self.storage.log
        except JetError:
            log = None
        if log is not None:
            log.keep_from = None

    def _close_file(self, f: _OpenFile) -> None:
        if f.stream is not None:
            f.stream.close()
            f.stream = None
        if f.fd is not None:
            os.close(f.fd)
            f.fd = None

    def _log_name(self, gen: int) -> str:
        st = self.storage
        return os.path.join(st.log_path, F.archived_log_name(st.base_name, gen))

    def _oldest_log(self) -> int:
        st = self.storage
        gens = F.list_archived(st.log_path, st.base_name)
        if gens:
            return min(gens)
        assert st.log is not None
        return st.log.appended_lgpos.generation

    def _checkpoint_gen(self) -> int:
        st = self.storage
        ck = st.applier.checkpoint_lgpos if st.applier is not None else None
        if ck is None:
            assert st.log is not None
            return st.log.start_lgpos.generation
        return ck.generation

    def _logged_databases(self) -> list[Any]:
        st = self.storage
        with st.databases.lock:
            return [db for db in st.databases.by_dbnum.values()
                    if not db.read_only and not db.genuine]

    # -- Begin ----------------------------------------------------------------------------

    def begin(self, grbit: int, gen_first: int = 0, gen_last: int = 0) -> None:
        """JetBeginExternalBackupInstance (checks in ESE's order, ``bk`` 1628-1930), and
        with ``JET_bitBackupSurrogate`` JetBeginSurrogateBackup's second half: a backup
        taken elsewhere (a replica's copy) of ``[gen_first, gen_last]``, of which this
        instance only records the end (``surrogate``)."""
        st = self.storage
        if not st.recovery_on:
            raise_error(C.JET_errLoggingDisabled)
        if st.log is not None and st.log.failed is not None:
            raise_error(C.JET_errLogWriteFail)
        if grbit & ~BEGIN_GRBITS:
            raise_error(C.JET_errInvalidGrbit)
        logs_only = bool(grbit & (C.JET_bitBackupIncremental | C.JET_bitBackupSurrogate))
        if logs_only and st.log is not None and st.log.circular:
            raise_error(C.JET_errInvalidBackup, "incremental backup with circular logging")
        if grbit & C.JET_bitInternalCopy and logs_only:
            raise_error(C.JET_errInvalidGrbit)
        surrogate = bool(grbit & C.JET_bitBackupSurrogate)
        with self.lock:
            if self.running:  # bk: which backup runs decides the error, not this grbit
                if self.surrogate:
                    raise_error(C.JET_errSurrogateBackupInProgress)
                raise_error(C.JET_errBackupInProgress)
            incremental = bool(grbit & C.JET_bitBackupIncremental)
            oldest = self._oldest_log()
            if incremental:
                self._check_incremental(oldest)
            self.stopped = False
            self.running = True
            self.surrogate = surrogate
            self.incremental = incremental
            self.copy_mac = None
            self.files = {}
            self.copied_dbs = {}
            self.logs_read = set()
            self.log_read_sum = 0
            self.truncated = False
            assert st.log is not None
            self.mark = st.log.appended_lgpos
            self.mark_time = filetime_now()
            if surrogate:
                # bk ErrBKBeginExternalBackup: the replica's range is the copy range; the
                # local calls answer JET_errNoBackup (m_fBackupInProgressLocal is false)
                self.copy_mic, self.copy_mac = gen_first, gen_last
                self.state = STATE_LOGS
                return
            if incremental:
                self.copy_mic = oldest
                self.state = STATE_LOGS
            else:
                self.copy_mic = self._checkpoint_gen()
                self.state = STATE_DATABASES
            # circular logging must not delete what this backup will copy (ESE keeps
            # them while m_fBackupInProgress)
            st.log.keep_from = self.copy_mic

    def begin_surrogate(self, gen_first: int, gen_last: int, grbit: int) -> None:
        """JetBeginSurrogateBackup (ESE ``bk`` ErrIsamBeginSurrogateBackup): the range must
        be ordered and not past this instance's current generation, else
        ``JET_errInvalidParameter``; then Begin's checks with ``JET_bitBackupSurrogate``."""
        if gen_first > gen_last:
            raise_error(C.JET_errInvalidParameter, "lgenFirst > lgenLast")
        log = self.storage.log
        if log is not None and log.appended_lgpos.generation < gen_last:
            raise_error(C.JET_errInvalidParameter, "lgenLast is past the current generation")
        self.begin(grbit | C.JET_bitBackupSurrogate, gen_first, gen_last)

    def _check_incremental(self, oldest: int) -> None:
        """ESE ``bk`` 802-895: a previous full backup of every database, no gap after it."""
        for db in self._logged_databases():
            fields = BK.read_fields(db.file)
            if fields.full_prev.gen_low == 0:
                raise_error(C.JET_errMissingFullBackup, db.path)
        for db in self._logged_databases():
            fields = BK.read_fields(db.file)
            last = max(fields.full_prev.gen_high, fields.inc_prev.gen_high)
            if oldest > last + 1:
                raise_error(C.JET_errMissingFileToBackup,
                            f"{F.archived_log_name(self.storage.base_name, last + 1)} is gone")

    # -- database phase -------------------------------------------------------------------

    def get_attach_info(self) -> list[str]:
        """JetGetAttachInfoInstance: the attached, logged databases (full paths)."""
        with self.lock:
            self._check_running()
            if self.incremental:
                raise_error(C.JET_errInvalidBackupSequence)
            return [db.path for db in self._logged_databases()]

    def open_file(self, name: str) -> tuple[int, int, int]:
        """JetOpenFileInstance: ``(handle, size low, size high)``."""
        with self.lock:
            self._check_running()
            if not name:
                raise_error(C.JET_errInvalidParameter, "empty file name")
            st = self.storage
            path = os.path.abspath(name)
            db = st.databases.find_attached(path) if st.databases else None
            if self.state == STATE_DATABASES:
                if db is None or db.read_only or db.genuine:
                    raise_error(C.JET_errDatabaseNotFound, name)
                f = self._open_database(db)
            else:
                try:
                    if db is not None:
                        raise_error(C.JET_errInvalidBackupSequence,
                                    "databases cannot be opened after JetGetLogInfo")
                    f = self._open_log(path)
                except JetError:
                    self._end()
                    raise
            self.files[f.handle] = f
            return f.handle, f.size & 0xFFFFFFFF, f.size >> 32

    def _open_database(self, db: Any) -> _OpenFile:
        st = self.storage
        log_sig = bytes(st.log.signature)
        mark = BK.BkInfo(self.mark, self.mark_time, self.copy_mic, 0)

        def make_trailer(image_size: int, applied: LGPOS) -> Trailer:
            return Trailer(page_size=db.page_size, db_signature=bytes(db.file.header.signature),
                           log_signature=log_sig, full_cur=mark, image_size=image_size,
                           applied=applied, dbnum=db.dbnum, path=db.path)

        # JET_paramZeroDatabaseDuringBackup: ESE scrubs the source's pages as the backup
        # reads them (bk ErrBKIReadPages); pyese zeroes the deleted data in the image
        # it streams (storage.backup.scrub says why and what)
        scrub = bool(self.instance.params.get(C.JET_paramZeroDatabaseDuringBackup))
        with st.databases.lock:  # no detach while the snapshot is pinned
            stream = ImageStream(db.file, make_trailer, scrub=scrub)
        return _OpenFile(next(_handles), db.path, "db", stream=stream, size=stream.size)

    def _open_log(self, path: str) -> _OpenFile:
        st = self.storage
        gen = F.parse_archived_name(st.base_name, os.path.basename(path))
        if gen is None or os.path.dirname(path) != st.log_path:
            raise_error(C.JET_errMissingFileToBackup, f"{path} is no log of this instance")
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise_error(C.JET_errMissingFileToBackup, path)
        except OSError as exc:
            raise JetError.from_code(C.JET_errDiskIO, f"{path}: {exc}") from exc
        return _OpenFile(next(_handles), path, "log", fd=fd, size=os.fstat(fd).st_size,
                         generation=gen)

    def read_file(self, handle: int, n: int = CHUNK) -> bytes:
        """JetReadFileInstance: the next bytes of an open file (b"" at its end)."""
        with self.lock:
            self._check_running()
            f = self.files.get(handle)
            if f is None:
                raise_error(C.JET_errInvalidParameter, "not an open backup file handle")
            try:
                if f.kind == "db":
                    assert f.stream is not None
                    try:
                        data = f.stream.read(n)
                    except OSError as exc:
                        raise JetError.from_code(C.JET_errDiskIO, str(exc)) from exc
                else:
                    if not f.verified:
                        verify_log(f.path)
                        f.verified = True
                    assert f.fd is not None
                    data = os.pread(f.fd, min(n, f.size - f.pos), f.pos)
                f.pos += len(data)
                return data
            except BaseException:
                if f.kind == "db":
                    self._close_file(f)
                    self.files.pop(handle, None)
                else:
                    self._end()
                raise

    def close_file(self, handle: int) -> None:
        """JetCloseFileInstance (no stop-flag check, as ESE's)."""
        with self.lock:
            if not self.running or self.surrogate:
                raise_error(C.JET_errNoBackup)
            f = self.files.pop(handle, None)
            if f is None:
                raise_error(C.JET_errInvalidParameter, "not an open backup file handle")
            done = f.pos >= f.size
            self._close_file(f)
            if done and f.kind == "db":
                db = self.storage.databases.find_attached(f.path)
                if db is not None:
                    self.copied_dbs[f.path] = bytes(db.file.header.signature)
            elif done and f.kind == "log" and self.copy_mac is not None \
                    and self.copy_mic <= f.generation < self.copy_mac:
                self.log_read_sum += f.generation
                self.logs_read.add(f.generation)

    # -- log phase ------------------------------------------------------------------------

    def get_log_info(self) -> tuple[list[str], int, int]:
        """JetGetLogInfoInstance(2): the logs to copy and ``(genLow, genHigh)``."""
        with self.lock:
            self._check_running()
            try:
                if self.files:
                    raise_error(C.JET_errInvalidBackupSequence, "a backup file is still open")
                if self.copy_mac is None:
                    self._roll()
                assert self.copy_mac is not None
                self.state = STATE_LOGS
                names = [self._log_name(g) for g in range(self.copy_mic, self.copy_mac)]
                missing = [n for n in names if not os.path.exists(n)]
                if missing:
                    raise_error(C.JET_errMissingFileToBackup, missing[0])
                return names, self.copy_mic, self.copy_mac - 1
            except JetError:
                self._end()
                raise

    def _roll(self) -> None:
        st = self.storage
        log = st.log
        assert log is not None
        log.new_generation()
        self.copy_mac = log.appended_lgpos.generation
        oldest = self._oldest_log()
        delete_mac = min(self._checkpoint_gen(), self.copy_mac)
        if not self.incremental:
            # ESE bk 649-733: every attached database this backup did not copy keeps the
            # logs after its last full backup (genHigh 0, never backed up: keeps them all)
            for db in self._logged_databases():
                if db.path in self.copied_dbs:
                    continue
                delete_mac = min(delete_mac, BK.read_fields(db.file).full_prev.gen_high)
        self.delete_mac = delete_mac
        self.delete_mic = min(delete_mac, oldest)

    def get_truncate_log_info(self) -> list[str]:
        """JetGetTruncateLogInfoInstance: the logs TruncateLog would delete."""
        with self.lock:
            self._check_running()
            try:
                if self.files:
                    raise_error(C.JET_errInvalidBackupSequence, "a backup file is still open")
                if self.copy_mac is None:
                    return []
                return [n for n in (self._log_name(g)
                                    for g in range(self.delete_mic, self.delete_mac))
                        if os.path.exists(n)]
            except JetError:
                self._end()
                raise

    def truncate_log(self) -> list[str]:
        """JetTruncateLogInstance: delete ``[delete_mic, delete_mac)``, oldest first."""
        with self.lock:
            self._check_running()
            if self.files:
                raise_error(C.JET_errInvalidBackupSequence, "a backup file is still open")
            if self.copy_mac is None:
                raise_error(C.JET_errInvalidBackupSequence, "JetGetLogInfo was not called")
            expected = sum(range(self.copy_mic, self.copy_mac))
            if self.log_read_sum < expected:
                raise_error(C.JET_errLogFileNotCopied)
            removed = delete_logs(self.storage, self.delete_mic, self.delete_mac)
            self.truncated = True
            return removed

    # -- End, Stop ------------------------------------------------------------------------

    def end(self, grbit: int) -> None:
        """JetEndExternalBackupInstance2 (grbit checked by the caller)."""
        with self.lock:
            if not self.running:
                raise_error(C.JET_errNoBackup)
            normal = bool(grbit & C.JET_bitBackupEndNormal)
            if self.stopped or self.copy_mac is None or self.surrogate:
                # ESE bk ErrBKExternalBackupCleanUp: downgraded to an abort, still success
                # (also when the running backup is a surrogate one: the kinds mismatch)
                normal = False
            try:
                if normal and not grbit & C.JET_bitBackupNoDbHeaderUpdate:
                    self._record(truncated=self.truncated
                                 or bool(grbit & C.JET_bitBackupTruncateDone))
            finally:
                self._end()

    def end_surrogate(self, grbit: int) -> None:
        """JetEndSurrogateBackup (grbit checked by the caller; ESE ``bk``
        ErrIsamEndSurrogateBackup, ErrBKExternalBackupCleanUp): a normal end records the
        replica's backup ``[copy_mic, copy_mac]`` in every attached logged database's
        header (full or copy, incremental or differential, by ``JET_bitBackupTruncateDone``:
        no log is deleted here); ending a local backup this way aborts it. Success unless
        no backup runs (``JET_errNoBackup``)."""
        with self.lock:
            if not self.running:
                raise_error(C.JET_errNoBackup)
            try:
                if self.surrogate and grbit & C.JET_bitBackupEndNormal \
                        and not grbit & C.JET_bitBackupNoDbHeaderUpdate:
                    info = BK.BkInfo(self.mark, self.mark_time, self.copy_mic,
                                     self.copy_mac or 0)
                    truncated = bool(grbit & C.JET_bitBackupTruncateDone)
                    for db in self._logged_databases():
                        fields = BK.read_fields(db.file)
                        new = BK.record_backup(fields, info, logs_only=self.incremental,
                                               truncated=truncated)
                        if new != fields:
                            BK.write_fields(db.file, new)
            finally:
                self._end()

    def _record(self, *, truncated: bool) -> None:
        assert self.copy_mac is not None
        info = BK.BkInfo(self.mark, self.mark_time, self.copy_mic, self.copy_mac - 1)
        for db in self._logged_databases():
            if self.incremental:
                pass
            elif self.copied_dbs.get(db.path) != bytes(db.file.header.signature):
                continue
            fields = BK.read_fields(db.file)
            new = BK.record_backup(fields, info, logs_only=self.incremental,
                                   truncated=truncated)
            if new != fields:
                BK.write_fields(db.file, new)

    def stop(self) -> None:
        """JetStopBackupInstance: set the stop flag (success even with no backup)."""
        with self.lock:
            self.stopped = True

    def abort_for_term(self) -> None:
        with self.lock:
            if self.running:
                self._end()


def delete_logs(storage: Any, low: int, high: int) -> list[str]:
    """Delete the archived generations ``[low, high)`` of ``storage``'s log, oldest first,
    never one the checkpoint still needs; return the paths removed."""
    from pyese.storage.backup.copy import fsync_dir

    ck = storage.applier.checkpoint_lgpos if storage.applier is not None else None
    limit = min(high, ck.generation) if ck is not None else low
    removed = []
    gens = F.list_archived(storage.log_path, storage.base_name)
    for gen in sorted(gens):
        if gen < low or gen >= limit:
            continue
        try:
            os.unlink(gens[gen])
        except FileNotFoundError:
            continue
        removed.append(gens[gen])
    if removed:
        fsync_dir(storage.log_path)
    return removed


def backup_of(instance: Instance) -> BackupContext:
    """The instance's backup context (made on first use; gone with the instance's services)."""
    services = instance.services
    if services is None:
        raise_error(C.JET_errNotInitialized)
    with instance.lock:
        ctx = services.parts.get("backup")
        if not isinstance(ctx, BackupContext):
            ctx = BackupContext(instance)
            services.parts["backup"] = ctx
        return ctx


def running_backup(instance: Instance) -> BackupContext | None:
    services = instance.services
    ctx = services.parts.get("backup") if services is not None else None
    if isinstance(ctx, BackupContext) and ctx.running:
        return ctx
    return None


def _term_check(instance: Instance, services: Any, grbit: int) -> None:
    """JetTerm2 and a running backup (ESE ``ese-core-semantics`` §1.4): Abrupt (JetTerm),
    StopBackup and Dirty abort it; Complete (or 0) is refused with
    ``JET_errBackupInProgress`` and the instance keeps running."""
    ctx = services.parts.get("backup")
    if not isinstance(ctx, BackupContext):
        return
    with ctx.lock:
        if not ctx.running:
            return
        if grbit & (C.JET_bitTermAbrupt | C.JET_bitTermStopBackup | C.JET_bitTermDirty):
            ctx.stopped = True
            ctx._end()
            return
        raise_error(C.JET_errBackupInProgress)


def register() -> None:
    from pyese.engine.instance.instance import InstanceServices

    if _term_check not in InstanceServices.on_term_check:
        InstanceServices.on_term_check.append(_term_check)


register()
