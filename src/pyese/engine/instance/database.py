"""Attached databases (ESE's FMP) and the sessions' open database handles (rgcdbOpen).

An instance attaches database files (``JetCreateDatabase``, ``JetAttachDatabase``); a
session then opens them (``JetOpenDatabase``) and gets a ``dbid``. As in ESE the dbid names
the attachment (the same number for every session of the instance) and each session keeps
an open count per dbid; a dbid the session has not opened is ``JET_errInvalidDatabaseId``.

Checks, in ESE's order (db.cxx ErrDBCreateDatabase, ErrIsamAttachDatabase,
ErrIsamDetachDatabase, ErrDBOpenDatabase):

- create / attach / detach inside a transaction -> ``JET_errInTransaction`` (db.cxx ~1698,
  ~4080, ~5371);
- attach of a file this instance has attached -> ``JET_wrnDatabaseAttached`` (a warning);
  attached by another instance of the process -> ``JET_errDatabaseSharingViolation``
  (db.cxx FMP::ErrNewAndWriteLatch); create of an attached file -> ``JET_errDatabaseDuplicate``;
- the file's own errors come from ``storage.database.dbfile`` (``JET_errFileNotFound``,
  ``JET_errInvalidPath``, ``JET_errFileAccessDenied`` when another process holds it,
  ``JET_errDatabaseFileReadOnly``, ``JET_errDatabaseCorrupted``,
  ``JET_errInvalidDatabaseVersion``); a file not in CleanShutdown ->
  ``JET_errDatabaseDirtyShutdown`` (db.cxx ~2785: the instance's recovery could not make it
  consistent);
- open / detach of a file not attached -> ``JET_errDatabaseNotFound``; detach while a session
  has it open or a transaction has versions in it -> ``JET_errDatabaseInUse``; open while
  another session has it exclusively -> ``JET_errDatabaseLocked``; exclusive open while others
  have it open -> ``JET_errDatabaseInUse``.

Genuine ESE files (``.edb`` written by Windows) attach through the same call and are read by
the same engine, read-only (``docs/architecture/genuine.md``):

- a file whose header carries ESE's magic (``0x89ABCDEF``, primary or shadow copy) is opened
  with ``storage.edb.EdbFile`` (which only ever reads) instead of ``DatabaseFile``;
- without ``JET_bitDbReadOnly`` -> ``JET_errDatabaseFileReadOnly``: pyese cannot write the
  genuine format, so the file is to it what a read-only file is to ESE (db.cxx
  ErrDBAttachDatabase returns this code for a file it cannot open for writing);
- writes are refused as on any database attached read-only: ``JET_errPermissionDenied``
  (ESE: fcreate.cxx, ``FReadOnlyAttach()`` -> JET_errPermissionDenied; a cursor of a
  read-only attachment is not updatable, so JetPrepareUpdate gives the same). The version
  store is never used for it (``fcb.catalog_of`` gives it ``vs=None``);
- a file not in clean-shutdown state attaches with the warning ``JET_wrnDatabaseRepaired``
  and a Python :class:`DirtyShutdownWarning`: ESE would demand recovery
  (``JET_errDatabaseDirtyShutdown``), which needs the logs pyese does not have; what it
  reads is the pages as they are on disk, possibly missing the last transactions;
- strict (default): the catalog is read at attach (``engine.genuine.opener.load_catalog``, the
  verdict the CLI gives too), so a page of it failing its checksum gives
  ``JET_errReadVerifyFailure``; damage elsewhere (a truncated tail, a tree whose root lies
  beyond the end of the file) fails the table that reads it, with
  ``JET_errDatabaseCorrupted``; pages failing later give ``JET_errReadVerifyFailure`` to
  the read that touches them; a file in neither pyese's format nor ESE's gives
  ``JET_errReadVerifyFailure`` "not an ESE database";
- :data:`JET_bitDbPyeseTolerant` (a pyese attach bit, unused by ESE) skips pages that fail
  verification instead (the trees read as if those pages were absent; the file's
  ``skipped_pages`` lists them).
- :data:`JET_bitDbPyeseShowDeleted` (a pyese forensic attach bit, not ESE's) makes the
  table and index trees show nodes ESE has flag-deleted but not yet removed, as if live
  (ESE hides them; the CLI's ``dump --deleted`` marks which they are).

Locks: ``DatabaseTable.lock`` guards the tables below and the open counts; file I/O
(create, attach, detach) happens under it too: those calls are rare and must be serial.
The process-wide ``_ATTACHED`` (path -> instance id) is guarded by ``_ATTACHED_LOCK``.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pyese.engine.genuine.opener import load_catalog
from pyese.engine.genuine.snapshot import genuine_snapshot
from pyese.engine.instance.instance import SYSTEM, Instance
from pyese.engine.instance.session import Session
from pyese.engine.transactions.versionstore import VersionStore
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.backup.bkinfo import BackupFields, BkInfo, read_fields
from pyese.storage.backup.trailer import read_trailer
from pyese.storage.database.dbfile import DatabaseFile
from pyese.storage.database.dbheader import LMDB_MAGIC
from pyese.storage.edb import EdbFile
from pyese.storage.edb.header import DAE_MAGIC, PAGE_SIZES
from pyese.storage.log.applier import Applier
from pyese.storage.log.log_writer import LogWriter

_ATTACHED_LOCK = threading.Lock()
_ATTACHED: dict[str, int] = {}

JET_bitDbPyeseTolerant = 0x00100000
"""pyese attach bit for genuine ``.edb`` files: skip pages that fail verification (ESE's
attach bits end at 0x2000, ``bitDbOpenForRecovery``; this one is unused there)."""


JET_bitDbPyeseShowDeleted = 0x00200000
"""pyese forensic attach bit for genuine ``.edb`` files (not ESE's): flag-deleted nodes of
table and index trees are read as records (the catalog's never)."""


class DirtyShutdownWarning(UserWarning):
    """A genuine database not in clean-shutdown state was attached read-only as it is."""


ATTACH_GRBITS = (
    JET_bitDbPyeseTolerant | JET_bitDbPyeseShowDeleted | C.JET_bitDbReadOnly
    | C.JET_bitDbDeleteCorruptIndexes
    | C.JET_bitDbRebuildCorruptIndexes
    | C.JET_bitDbDeleteUnicodeIndexes | C.JET_bitDbUpgrade
    | C.JET_bitDbEnableBackgroundMaintenance | C.JET_bitDbPurgeCacheOnAttach
)
CREATE_GRBITS = (
    C.JET_bitDbRecoveryOff | C.JET_bitDbVersioningOff | C.JET_bitDbShadowingOff
    | C.JET_bitDbCreateStreamingFile | C.JET_bitDbOverwriteExisting
    | C.JET_bitDbEnableBackgroundMaintenance
)
OPEN_GRBITS = C.JET_bitDbReadOnly | C.JET_bitDbExclusive


def normalize(path: str) -> str:
    """The absolute path naming a database file (ESE compares full names)."""
    if not isinstance(path, str) or not path:
        raise_error(C.JET_errDatabaseInvalidPath, "database name must be a non-empty str")
    return os.path.abspath(path)


GROWTH_SLACK_PAGES = 2
"""Pages a write may need beyond its bytes (a split, the copied path of LMDB's write)."""

FREE_POOL = 32 * 4096
"""Free pages an LMDB file keeps in its free list while writes go on (measured: 12 to 17
4 KiB pages under a stream of commits); room only beyond them."""

GROWTH_WAIT = 2.0
"""Seconds a write over a database's maximum size waits for the applier before it fails."""


class Database:
    """One attached database file of an instance."""

    def __init__(self, path: str, file: DatabaseFile | EdbFile, dbnum: int, read_only: bool,
                 instance: Any = None) -> None:
        self.path = path
        self.file: Any = file
        self.genuine = isinstance(file, EdbFile)
        """A genuine ESE file: read-only, read straight from its pages (no version store)."""
        self.non_unique_trees: dict[int, bool] = {}
        """Genuine files: objid -> is the tree non-unique (``engine.genuine.snapshot``)."""
        self.dbnum = dbnum
        self.read_only = read_only
        self.instance = instance
        self.page_size: int = file.header.page_size
        self.catalog: Any = None
        """The DatabaseCatalog (``engine.schema.fcb.catalog_of``), made on first use."""
        self.exclusive_session: int | None = None
        self.opens: dict[int, int] = {}
        """session id -> open count (ESE's rgcdbOpen)."""
        self.size_max = 0
        """``cpgDatabaseSizeMax`` of JetCreateDatabase2 / JetAttachDatabase2, in pages of
        the database (0: no limit). Like ESE's FMP it belongs to the attachment."""

    def _size_after(self, need: int) -> int:
        """The file's size once ``need`` more bytes are written, or 0 when the free pages
        inside it take them all (the file does not grow). LMDB always holds some free
        pages it cannot hand out yet (copy on write, pages a reader may still see):
        ``FREE_POOL`` bytes of them count as taken, only the rest as room."""
        used, high = self.file.page_usage()
        growth = need - max(0, high - used - FREE_POOL)
        return high + growth if growth > 0 else 0

    def check_growth(self, vs: Any, nbytes: int) -> None:
        """Refuse a write of about ``nbytes`` (with the writer's uncommitted ones) that
        would take the database past ``size_max`` pages: ``JET_errOutOfDatabaseSpace``
        (ESE's "Maximum database size reached", space.cxx ``ErrSPIExtendDB``: the page
        allocation that would grow the file past ``CpgDatabaseSizeMax`` fails the update).

        pyese's file grows later, in the applier, where a failure would be fatal to the
        instance, so the check is made before the write joins the version store: the
        pages the trees use now (free pages LMDB will reuse do not count), plus the bytes
        of the write and of the writer's uncommitted ones. Within an eighth of the limit it
        first waits (at most ``GROWTH_WAIT`` seconds) for the applier to write what is
        committed, then measures. LMDB's page overhead and other sessions' commits still
        in the log can still take the file a little past the limit."""
        limit = self.size_max * self.page_size
        if not limit or self.genuine:
            return
        # a B-tree page is half full at worst, and a write transaction copies the pages
        # on its path (LMDB's copy on write): count the bytes twice, plus a few pages
        need = 2 * nbytes + GROWTH_SLACK_PAGES * self.page_size
        if self._size_after(need) <= limit - limit // 8:
            return  # far from the limit: commits still in the log cannot reach it
        catch_up = getattr(vs, "catch_up", None)
        if catch_up is not None:
            catch_up(timeout=GROWTH_WAIT)
        if self._size_after(need) > limit:
            raise_error(C.JET_errOutOfDatabaseSpace,
                        f"{self.path}: maximum size of {self.size_max} pages reached")

    def snapshot(self) -> Any:
        """A TreeSnapshot of the file as applied so far (a genuine file: as it is)."""
        if self.genuine:
            return genuine_snapshot(self)
        return self.file.snapshot()

    def __repr__(self) -> str:
        return f"<Database {self.dbnum} {self.path!r}>"


BEFORE_DETACH: list[Callable[[Database], None]] = []
"""Run before a database is detached or its file closed at term (``engine.instance.defrag``
stops its background thread there)."""


class AttachServices(Protocol):
    """What attach and detach need of the instance's storage services (``logservice``'s
    ``InstanceStorage`` is one): passed in, so this module does not import the services
    that own it. ``applier`` / ``log`` / ``vs`` are None until JetInit started them (and
    ``applier`` / ``log`` stay None with ``JET_paramRecovery`` off)."""

    instance: Instance
    applier: Applier | None
    log: LogWriter | None
    vs: VersionStore | None


class DatabaseTable:
    """The databases one instance has attached."""

    def __init__(self, storage: AttachServices) -> None:
        self.storage = storage
        self.lock = threading.RLock()
        self.by_dbnum: dict[int, Database] = {}
        self.by_path: dict[str, Database] = {}
        self._closer_sessions: set[int] = set()

    def attached_paths(self) -> list[str]:
        with self.lock:
            return [db.path for db in self.by_dbnum.values()]

    # -- create / attach ----------------------------------------------------------------

    def create(self, session: Session, filename: str, grbit: int, size_max: int = 0, *,
               page_size: int | None = None) -> Database:
        """JetCreateDatabase2: create the file, attach it, open it for ``session``.
        ``size_max``: its maximum size in pages (0: none; ``Database.check_growth``).
        ``page_size``: the file's page size (default: the instance's
        ``JET_paramDatabasePageSize``; ``JetCompact`` gives the source's)."""
        if session.level > 0:
            raise_error(C.JET_errInTransaction)  # ESE: db.cxx ~1698
        path = normalize(filename)
        with self.lock:
            if path in self.by_path:
                raise_error(C.JET_errDatabaseDuplicate, path)
            self._claim(path)
            try:
                file = DatabaseFile.create(
                    path, overwrite=bool(grbit & C.JET_bitDbOverwriteExisting),
                    page_size=page_size or self.storage.instance.params.page_size)
            except BaseException:
                self._unclaim(path)
                raise
            db = self._attach_file(path, file, read_only=False)
            db.size_max = size_max
            self._open(session, db, 0)
            return db

    def attach(self, session: Session, filename: str, grbit: int, size_max: int = 0) -> int:
        """JetAttachDatabase2: returns 0, JET_wrnDatabaseAttached, or (a genuine file not
        cleanly shut down) JET_wrnDatabaseRepaired; see the module docstring. ``size_max``:
        the attachment's maximum size in pages (0: none)."""
        if session.level > 0:
            raise_error(C.JET_errInTransaction)  # ESE: db.cxx ~4080
        path = normalize(filename)
        read_only = bool(grbit & C.JET_bitDbReadOnly)
        with self.lock:
            if path in self.by_path:
                return C.JET_wrnDatabaseAttached
            if is_genuine_file(path) or not _is_pyese_file(path):
                # one opener, one verdict: whatever is not pyese's own format is judged by
                # the genuine-file reader, as the CLI judges it (an empty or foreign file:
                # JET_errReadVerifyFailure "not an ESE database")
                return self._attach_genuine(path, grbit)
            self._claim(path)
            try:
                file = DatabaseFile.open(path, read_only=read_only)
            except BaseException:
                self._unclaim(path)
                raise
            try:
                if read_trailer(path) is not None:
                    # ESE: db.cxx ~2815, bkinfoFullCur.genLow != 0: a backup copy
                    raise_error(C.JET_errSoftRecoveryOnBackupDatabase,
                                f"{path} is a backup copy: restore it first")
                if file.header.state != C.JET_dbstateCleanShutdown:
                    raise_error(C.JET_errDatabaseDirtyShutdown,
                                f"{path} is not in a clean-shutdown state")
            except BaseException:
                file.close()
                self._unclaim(path)
                raise
            db = self._attach_file(path, file, read_only=read_only)
            db.size_max = size_max
            return 0

    def attach_recovered(self, filename: str) -> None:
        """Attach a database recovery has just made consistent, as ESE does with
        ``JET_bitKeepDbAttachedAtEndOfRecovery`` (logredo.cxx ``ErrLGRIEndAllSessions``
        keeps the FMP; its log record is ``lrtypRecoveryQuitKeepAttachments``): the
        application then opens it without JetAttachDatabase, which gives
        ``JET_wrnDatabaseAttached``. Raises what opening the file raises."""
        path = normalize(filename)
        with self.lock:
            if path in self.by_path:
                return
            self._claim(path)
            try:
                file = DatabaseFile.open(path)
            except BaseException:
                self._unclaim(path)
                raise
            self._attach_file(path, file, read_only=False)

    def _attach_genuine(self, path: str, grbit: int) -> int:
        tolerant = bool(grbit & JET_bitDbPyeseTolerant)
        self._claim(path)
        try:
            edb = EdbFile.open(path, tolerant=tolerant,
                               include_deleted=bool(grbit & JET_bitDbPyeseShowDeleted))
        except BaseException:
            self._unclaim(path)
            raise
        if not grbit & C.JET_bitDbReadOnly:
            edb.close()
            self._unclaim(path)
            raise_error(C.JET_errDatabaseFileReadOnly,
                        f"{path} is a genuine ESE database: pyese attaches it read-only only "
                        "(JET_bitDbReadOnly)")
        try:
            db = self._attach_file(path, edb, read_only=True)
        except BaseException:
            edb.close()
            raise
        try:
            _check_genuine(db)
        except BaseException:
            self.by_dbnum.pop(db.dbnum, None)
            self.by_path.pop(path, None)
            edb.close()
            self._unclaim(path)
            raise
        if not edb.header.is_clean:
            warnings.warn(
                f"{path}: the database is in {edb.header.dbstate_name} state; attached "
                "read-only as it is on disk (recovery would need its logs): recent "
                "transactions may be missing or partial",
                DirtyShutdownWarning, stacklevel=4)
            return C.JET_wrnDatabaseRepaired
        return 0

    def _claim(self, path: str) -> None:
        with _ATTACHED_LOCK:
            owner = _ATTACHED.get(path)
            if owner is not None and owner != self.storage.instance.id:
                raise_error(C.JET_errDatabaseSharingViolation, f"{path} attached elsewhere")
            _ATTACHED[path] = self.storage.instance.id

    def _unclaim(self, path: str) -> None:
        with _ATTACHED_LOCK:
            if _ATTACHED.get(path) == self.storage.instance.id:
                del _ATTACHED[path]

    def _attach_file(self, path: str, file: DatabaseFile | EdbFile, *,
                     read_only: bool) -> Database:
        dbnum = 1
        while dbnum in self.by_dbnum:
            dbnum += 1
        db = Database(path, file, dbnum, read_only, self.storage.instance)
        try:
            if not read_only and isinstance(file, DatabaseFile):  # a genuine file: never
                applier = self.storage.applier
                if applier is not None:
                    applier.attach(dbnum, path, file)
                else:
                    file.set_state(C.JET_dbstateDirtyShutdown)
        except BaseException as exc:
            file.close()
            self._unclaim(path)
            if isinstance(exc, JetError) and self.storage.log is not None:
                self.storage.instance.set_unavailable(exc.err)
            raise
        self.by_dbnum[dbnum] = db
        self.by_path[path] = db
        return db

    # -- detach -------------------------------------------------------------------------

    def detach(self, session: Session, filename: str | None, grbit: int = 0) -> None:
        """JetDetachDatabase2 (``filename`` None: every database).

        In ESE's order (db.cxx ``ErrIsamDetachDatabase``): ``JET_errInTransaction``, a
        backup under way (``JET_errBackupInProgress``, ``JET_errSurrogateBackupInProgress``
        for a surrogate one), ``JET_errDatabaseNotFound``, ``JET_errDatabaseInUse`` while a
        session has it open or a transaction has versions in it. ``grbit``
        (``JET_bitForceDetach``, ``JET_bitForceCloseAndDetach``) changes none of these:
        ESE's ``ErrIsamDetachDatabase`` only writes its flags into the detach log record
        (``ErrLGDetachDB``); it closes nothing, and a database a session holds open is
        still ``JET_errDatabaseInUse``."""
        if session.level > 0:
            raise_error(C.JET_errInTransaction)  # ESE: db.cxx ~5371
        self._check_no_backup()
        with self.lock:
            if filename is None:
                targets = list(self.by_dbnum.values())
            else:
                db = self.by_path.get(normalize(filename))
                if db is None:
                    raise_error(C.JET_errDatabaseNotFound, filename)
                targets = [db]
            for db in targets:
                vs = self.storage.vs
                if any(db.opens.values()) or (vs is not None and vs.has_uncommitted(db.dbnum)):
                    raise_error(C.JET_errDatabaseInUse, db.path)
            for db in targets:
                self._detach_one(db)

    def _check_no_backup(self) -> None:
        services = self.storage.instance.services
        ctx = services.parts.get("backup") if services is not None else None
        if ctx is not None and getattr(ctx, "running", False):
            if getattr(ctx, "surrogate", False):
                raise_error(C.JET_errSurrogateBackupInProgress)
            raise_error(C.JET_errBackupInProgress)  # ESE: db.cxx ErrIsamDetachDatabase

    def _detach_one(self, db: Database) -> None:
        for hook in BEFORE_DETACH:
            hook(db)
        storage = self.storage
        try:
            if not db.read_only:
                if storage.applier is not None:
                    lg = storage.applier.detach(db.dbnum)
                    db.file.set_state(C.JET_dbstateCleanShutdown,
                                      log_signature=bytes(storage.log.signature)
                                      if storage.log is not None else None, lgpos=lg)
                else:
                    db.file.set_state(C.JET_dbstateCleanShutdown)
        except JetError as exc:
            storage.instance.set_unavailable(exc.err)
            raise
        finally:
            if storage.vs is not None:
                storage.vs.forget_database(db.dbnum)
            self.by_dbnum.pop(db.dbnum, None)
            self.by_path.pop(db.path, None)
            db.file.close()
            self._unclaim(db.path)

    def detach_all_for_term(self) -> None:
        """Clean term: detach every database (marking it CleanShutdown)."""
        with self.lock:
            for db in list(self.by_dbnum.values()):
                db.opens.clear()
                self._detach_one(db)

    def close_all_files(self) -> None:
        """Dirty term: close every file as it is."""
        with self.lock:
            for db in list(self.by_dbnum.values()):
                for hook in BEFORE_DETACH:
                    hook(db)
                try:
                    db.file.close()
                except JetError:
                    pass
                self._unclaim(db.path)
            self.by_dbnum.clear()
            self.by_path.clear()

    # -- open / close -------------------------------------------------------------------

    def open(self, session: Session, filename: str, grbit: int) -> Database:
        """JetOpenDatabase: the attached database for ``session``, counted."""
        path = normalize(filename)
        with self.lock:
            db = self.by_path.get(path)
            if db is None:
                raise_error(C.JET_errDatabaseNotFound, filename)  # ESE: db.cxx ErrDBOpenDatabase
            self._open(session, db, grbit)
            return db

    def _open(self, session: Session, db: Database, grbit: int) -> None:
        if db.exclusive_session is not None and db.exclusive_session != session.id:
            raise_error(C.JET_errDatabaseLocked, db.path)
        if grbit & C.JET_bitDbExclusive:
            if any(n for sid, n in db.opens.items() if sid != session.id):
                raise_error(C.JET_errDatabaseInUse, db.path)
            db.exclusive_session = session.id
        db.opens[session.id] = db.opens.get(session.id, 0) + 1
        if session.id not in self._closer_sessions:
            self._closer_sessions.add(session.id)
            session.end_closers.append(lambda: self.close_all_for(session))

    def close(self, session: Session, dbid: int) -> None:
        """JetCloseDatabase: one open of ``dbid`` by ``session`` less."""
        with self.lock:
            db = self.for_session(session, dbid)
            n = db.opens[session.id] - 1
            if n:
                db.opens[session.id] = n
            else:
                del db.opens[session.id]
                if db.exclusive_session == session.id:
                    db.exclusive_session = None

    def close_all_for(self, session: Session) -> None:
        with self.lock:
            self._closer_sessions.discard(session.id)
            for db in self.by_dbnum.values():
                if db.opens.pop(session.id, 0) and db.exclusive_session == session.id:
                    db.exclusive_session = None
                elif db.exclusive_session == session.id:
                    db.exclusive_session = None

    def for_session(self, session: Session, dbid: object) -> Database:
        """The database ``dbid`` names, if ``session`` opened it; else
        JET_errInvalidDatabaseId (ESE jetapi.cxx, CheckDBID)."""
        value = dbid.value if hasattr(dbid, "value") else dbid
        if isinstance(value, bool) or not isinstance(value, int):
            raise_error(C.JET_errInvalidDatabaseId)
        db = self.by_dbnum.get(value)
        if db is None or not db.opens.get(session.id):
            raise_error(C.JET_errInvalidDatabaseId)
        return db

    def find_attached(self, path: str) -> Database | None:
        with self.lock:
            return self.by_path.get(normalize(path))

    def info(self, session: Session, dbid: object) -> DatabaseFileInfo:
        """What JetGetDatabaseInfo reports of an open database (``JET_errInvalidDatabaseId``
        if ``session`` has not opened ``dbid``)."""
        with self.lock:
            db = self.for_session(session, dbid)
            return DatabaseFileInfo(db.path, db.file.header, db.file.file_size(), db.genuine,
                                    db.read_only, len(db.opens),
                                    None if db.genuine else backup_info(db.file, db.path))


@dataclass(frozen=True)
class DatabaseFileInfo:
    """A database file's header and size, as JetGetDatabaseInfo / JetGetDatabaseFileInfo
    report them. ``header`` is a ``storage.database.dbheader.DatabaseHeader``, or for a
    genuine file (``genuine``) a ``storage.edb.header.EdbHeader``."""

    path: str
    header: Any
    size: int
    genuine: bool = False
    read_only: bool = False
    """Attached read-only (reported for an open database only)."""
    in_use: int = 0
    """Sessions that have it open (reported for an open database only)."""
    backup: BackupInfo | None = None
    """The backup fields of a pyese database file (None for a genuine one)."""


@dataclass(frozen=True)
class BackupInfo:
    """A database file's backup fields (``storage.backup.bkinfo``) and, for a backup copy,
    its ``bkinfoFullCur`` (from the trailer, ``storage.backup.trailer``)."""

    fields: BackupFields
    full_cur: BkInfo | None


def backup_info(file: DatabaseFile, path: str) -> BackupInfo:
    trailer = read_trailer(path)
    return BackupInfo(read_fields(file), trailer.full_cur if trailer is not None else None)


def file_info(name: str) -> DatabaseFileInfo:
    """JetGetDatabaseFileInfo's reading: the header of the file at ``name``, attached by some
    instance of this process or not. Never modifies the file. Errors: those of
    ``DatabaseFile.open`` read-only (``JET_errFileNotFound``, ``JET_errInvalidPath``,
    ``JET_errDatabaseCorrupted``, ``JET_errInvalidDatabaseVersion``,
    ``JET_errFileAccessDenied``)."""
    attached = find_attached_anywhere(name)
    if attached is not None:
        return DatabaseFileInfo(attached.path, attached.file.header, attached.file.file_size(),
                                attached.genuine, backup=None if attached.genuine
                                else backup_info(attached.file, attached.path))
    path = normalize(name)
    file = DatabaseFile.open(path, read_only=True)
    try:
        return DatabaseFileInfo(path, file.header, file.file_size(),
                                backup=backup_info(file, path))
    finally:
        file.close()


def is_genuine_file(path: str) -> bool:
    """Does the file at ``path`` carry a genuine ESE database header (primary or shadow)?

    Only reads; False for anything unreadable (the ordinary open then reports it).
    """
    try:
        with open(path, "rb") as f:
            head = f.read(PAGE_SIZES[-1] + 8)
    except OSError:
        return False
    magic = DAE_MAGIC.to_bytes(4, "little")
    return any(head[off + 4:off + 8] == magic for off in (0, *PAGE_SIZES))


def _is_pyese_file(path: str) -> bool:
    """Is ``path`` missing (the ordinary open reports it) or in pyese's own format (an LMDB
    file: ``storage.dbheader``)? Only reads."""
    try:
        with open(path, "rb") as f:
            head = f.read(20)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return len(head) >= 20 and int.from_bytes(head[16:20], "little") == LMDB_MAGIC


def _check_genuine(db: Database) -> None:
    """Read a genuine file's catalog at attach (``engine.genuine.opener.load_catalog``: the verdict
    the CLI gives too). Damage local to one table fails that table when it is read."""
    snap = db.snapshot()
    try:
        load_catalog(db.file, snap)
    finally:
        snap.close()


def find_attached_anywhere(path: str) -> Database | None:
    """The Database of ``path`` if any instance of this process has it attached."""
    p = normalize(path)
    with SYSTEM.lock:
        instances = list(SYSTEM.instances.values())
    for inst in instances:
        table = _databases_part(inst)
        if table is not None:
            db = table.find_attached(p)
            if db is not None:
                return db
    return None


def _databases_part(instance: Instance) -> DatabaseTable | None:
    """The instance's DatabaseTable (``parts["databases"]``, set by ``logservice`` at
    JetInit), or None when its services are not running."""
    services = instance.services
    table = services.parts.get("databases") if services is not None else None
    return table if isinstance(table, DatabaseTable) else None


def databases_of(instance: Instance) -> DatabaseTable:
    """The databases ``instance`` has attached; ``JET_errNotInitialized`` before JetInit."""
    table = _databases_part(instance)
    if table is None:
        raise_error(C.JET_errNotInitialized)
    return table


def database_of(session: Session, dbid: object) -> Database:
    """What the catalog and cursors call: the Database behind a session's dbid."""
    table = databases_of(session.instance)
    with table.lock:
        return table.for_session(session, dbid)
