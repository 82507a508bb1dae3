"""Online defragmentation: JetDefragment, JetDefragment2, JetDefragment3 (ESE ``old.cxx``).

**What ESE does.** ``ErrIsamDefragment`` checks the session, the dbid and that the
transaction may write (``ErrPIBCheckUpdatable``), then takes one of three roads:

- ``JET_bitDefragmentBTreeBatch``: resume the B-tree defragmentation tasks (OLD2) saved in
  the database; ``pcPasses``, ``pcSeconds``, ``callback`` and ``szTableName`` must all be
  null (``JET_errInvalidParameter``) and no other bit but ``JET_bitDefragmentBatchStart``
  may come with it (``JET_errInvalidGrbit``);
- ``JET_bitDefragmentBTree``: register ``szTableName`` (required: ``JET_errInvalidName``)
  and its trees for one background defragmentation; no other bit
  (``JET_errInvalidGrbit``), no callback (``JET_errInvalidParameter``); the pass counters
  read back 0;
- otherwise ``ErrOLDDefragment``, the database-wide online defragmentation (OLD) with its
  start / stop state per database (``OLDDB_STATUS``):

  * ``JET_paramEnableOnlineDefrag`` 0 makes the call a no-op (success); its obsolete bit 1
    means "all"; ``JET_bitDefragmentAvailSpaceTreesOnly`` runs only if the level has
    ``JET_OnlineDefragDatabases`` or ``JET_OnlineDefragSpaceTrees``;
  * a database attached read-only -> ``JET_errDatabaseFileReadOnly``;
  * after removing ``AvailSpaceTreesOnly`` and ``NoPartialMerges`` the grbit must be exactly
    ``JET_bitDefragmentBatchStart`` or ``JET_bitDefragmentBatchStop``, else
    ``JET_errInvalidGrbit`` (0 too);
  * start while running -> ``JET_wrnDefragAlreadyRunning``; otherwise the pass limit
    (``*pcPasses``, 0 = no limit) and time limit (``*pcSeconds``, 0 = none) are recorded,
    the callback kept, and a thread started;
  * stop while not running -> ``JET_wrnDefragNotRunning`` (success when the level is
    neither Databases nor SpaceTrees); otherwise the thread is told to stop and joined, and
    ``*pcPasses`` / ``*pcSeconds`` get the passes done and the seconds since the start;
  * a thread that ends by itself (its pass or time limit reached) calls the callback with
    ``JET_cbtypOnlineDefragCompleted`` (``OLDDefragDb``: tableid nil, no arguments) and
    resets the state, so a later stop gets ``JET_wrnDefragNotRunning``.

**What a pass does in pyese.** pyese's trees live in one LMDB database. Deletes free whole
pages to LMDB's free list but leave the pages they thin out under-filled (LMDB merges a
page only below a quarter full). A pass walks every tree of the database in key order in
small steps (``STEP`` records, one LMDB write transaction each, ``DatabaseFile.repack``):
the records are taken out and put back in order, which merges the thin pages and writes
the records densely; the pages that frees go to LMDB's free list and show up in
``JetGetDatabaseInfo(JET_DbInfoSpaceAvailable)`` for later inserts to reuse, as ESE's OLD
frees pages by merging them. Content never changes, so the log and the version store are
not involved: a step holds the file's write lock as an apply does and readers keep their
snapshots. ``JET_bitDefragmentAvailSpaceTreesOnly`` has no trees of its own to visit in
pyese (LMDB keeps the free list, not per-tree space trees): such a pass visits nothing.
``JET_bitDefragmentBTree`` runs one pass over that table's trees (records, secondary
indexes, long values) on a thread of its own; the OLD2 tasks are not saved in the database
(ESE keeps them in ``MSysDefrag2``), so ``JET_bitDefragmentBTreeBatch`` has nothing to
resume.

Between passes the thread waits ``PASS_INTERVAL`` seconds (ESE's OLD also sleeps between
passes), or until told to stop.

Locks: ``_lock`` guards every ``OldDbStatus`` (ESE's ``m_critOLD``); the threads run the
steps outside it. Detach and term stop the database's thread first (``stop_for_detach``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyese.engine.instance.database import Database, database_of, databases_of
from pyese.engine.instance.session import Session
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.database import longkeys as LK

STEP = 256
"""Records moved per write transaction (keeps the file's write lock short)."""
PASS_INTERVAL = 0.05
"""Seconds the thread waits between two passes."""


@dataclass
class OldDbStatus:
    """One database's online-defragmentation state (ESE's OLDDB_STATUS)."""

    running: bool = False
    term_requested: bool = False
    avail_ext_only: bool = False
    no_partial_merges: bool = False
    passes: int = 0
    passes_max: int = 0
    csec_start: float = 0.0
    csec_max: float = 0.0
    callback: Callable[..., Any] | None = None
    context: Any = None
    thread: threading.Thread | None = None
    signal: threading.Event = field(default_factory=threading.Event)
    records_moved: int = 0
    pages_freed: int = 0
    """Tree pages the passes gave back to LMDB's free list (ESE's PagesFreed)."""

    def reset(self) -> None:
        self.running = self.term_requested = False
        self.avail_ext_only = self.no_partial_merges = False
        self.passes = self.passes_max = 0
        self.csec_start = self.csec_max = 0.0
        self.callback = self.context = None
        self.thread = None
        self.signal = threading.Event()


_lock = threading.Lock()
_STATUS: dict[int, OldDbStatus] = {}
"""id(Database) -> its status; an entry lives while the database is attached."""
_BTREE_TASKS: dict[int, list[threading.Thread]] = {}
TABLEID_NIL = 0xFFFFFFFFFFFFFFFF
"""jethdr.w JET_tableidNil, ~(JET_TABLEID)0."""


def _status(db: Database) -> OldDbStatus:
    st = _STATUS.get(id(db))
    if st is None:
        st = _STATUS[id(db)] = OldDbStatus()
    return st


def status_of(db: Database) -> OldDbStatus:
    """The database's OLD state (for tests and JetGetDatabaseInfo-like reporting)."""
    with _lock:
        return _status(db)


def _level(session: Session) -> int:
    raw = session.instance.get_param(C.JET_paramEnableOnlineDefrag)
    level = int(raw or 0)
    return C.JET_OnlineDefragAll if level & C.JET_OnlineDefragAllOBSOLETE else level


def _check_session(session: Session) -> None:
    if session.level > 0 and session.read_only:
        raise_error(C.JET_errTransReadOnly)  # old.cxx ErrIsamDefragment: ErrPIBCheckUpdatable


# -- the passes ------------------------------------------------------------------------


def _repack_range(db: Database, start: bytes, stop: bytes | None,
                  keep_going: Callable[[], bool]) -> tuple[int, int]:
    """Repack the LMDB records in [start, stop) step by step; (records moved, pages freed)."""
    file = db.file
    before = file.tree_pages()
    moved = 0
    key: bytes | None = start
    while key is not None and keep_going():
        key, n = file.repack(key, stop, STEP)
        moved += n
    return moved, max(0, before - file.tree_pages())


def _pass_database(db: Database, st: OldDbStatus) -> None:
    if st.avail_ext_only:
        return  # no per-tree space trees in pyese: nothing to visit (module docstring)
    moved, freed = _repack_range(db, LK.objid_prefix(0), None, lambda: not st.term_requested)
    st.records_moved += moved
    st.pages_freed += freed


def _fire_completed(st: OldDbStatus, db: Database, sesid: int) -> None:
    fn = st.callback
    if fn is None:
        return
    from pyese.engine.cursors import callbacks as _callbacks

    try:
        # old.cxx OLDDefragDb: (sesid, dbid, JET_tableidNil, OnlineDefragCompleted, 0...)
        hs, hd, ht = _callbacks.handles(sesid, db.dbnum, TABLEID_NIL)
        fn(hs, hd, ht, C.JET_cbtypOnlineDefragCompleted, None, None, st.context, 0)
    except Exception:  # noqa: BLE001 - ESE ignores the callback's result: (VOID)callback(...)
        pass


def _run(db: Database, st: OldDbStatus, sesid: int) -> None:
    """The OLD thread of one database (ESE OLDDefragDb and its pass loop)."""
    try:
        while not st.term_requested:
            _pass_database(db, st)
            if st.term_requested:
                break
            st.passes += 1
            if st.passes_max and st.passes >= st.passes_max:
                break
            if st.csec_max and time.monotonic() >= st.csec_max:
                break
            if st.signal.wait(PASS_INTERVAL):
                break
    except JetError:
        pass  # ESE reports the error as an event and ends the thread
    if not st.term_requested:
        _fire_completed(st, db, sesid)
    with _lock:
        if not st.term_requested:
            st.reset()


# -- JetDefragment ---------------------------------------------------------------------


@dataclass(frozen=True)
class DefragResult:
    """What a JetDefragment call gives back: the in/out counters and the warning."""

    passes: int | None
    seconds: int | None
    wrn: int = 0


def defragment(session: Session, dbid: object, table_name: str | None,
               passes: int | None, seconds: int | None,
               callback: Callable[..., Any] | None, grbit: int,
               context: Any = None) -> DefragResult:
    """ESE ErrIsamDefragment (see the module docstring for the checks, in ESE's order).
    Errors: JET_errInvalidDatabaseId, JET_errTransReadOnly, JET_errInvalidParameter,
    JET_errInvalidGrbit, JET_errInvalidName, JET_errObjectNotFound,
    JET_errDatabaseFileReadOnly. Warnings: JET_wrnDefragAlreadyRunning,
    JET_wrnDefragNotRunning."""
    db = database_of(session, dbid)  # ErrPIBCheckIfmp
    return _defragment(session, db, table_name, passes, seconds, callback, grbit, context)


def defragment_by_name(session: Session, name: str, table_name: str | None,
                       passes: int | None, seconds: int | None,
                       callback: Callable[..., Any] | None, grbit: int,
                       context: Any = None) -> DefragResult:
    """JetDefragment3: as ``defragment`` on the database the instance has attached under
    ``name`` (the session need not have opened it); JET_errDatabaseNotFound if none."""
    db = databases_of(session.instance).find_attached(name)
    if db is None:
        raise_error(C.JET_errDatabaseNotFound, name)
    return _defragment(session, db, table_name, passes, seconds, callback, grbit, context)


def _defragment(session: Session, db: Database, table_name: str | None,
                passes: int | None, seconds: int | None,
                callback: Callable[..., Any] | None, grbit: int,
                context: Any) -> DefragResult:
    _check_session(session)
    if grbit & C.JET_bitDefragmentBTreeBatch:
        sub = grbit & ~C.JET_bitDefragmentBTreeBatch
        if passes is not None or seconds is not None:
            raise_error(C.JET_errInvalidParameter, "BTreeBatch takes no pcPasses / pcSeconds")
        if sub != C.JET_bitDefragmentBatchStart:
            raise_error(C.JET_errInvalidGrbit)
        if callback is not None or table_name is not None:
            raise_error(C.JET_errInvalidParameter, "BTreeBatch takes no callback / table")
        return DefragResult(passes, seconds)  # no OLD2 task is saved: nothing to resume
    if grbit & C.JET_bitDefragmentBTree:
        passes = 0 if passes is not None else None
        seconds = 0 if seconds is not None else None
        if grbit & ~C.JET_bitDefragmentBTree:
            raise_error(C.JET_errInvalidGrbit)
        if callback is not None:
            raise_error(C.JET_errInvalidParameter, "JET_bitDefragmentBTree takes no callback")
        if table_name is None:
            raise_error(C.JET_errInvalidName, "JET_bitDefragmentBTree needs a table name")
        _register_btree(session, db, table_name)
        return DefragResult(passes, seconds)
    return _old_defragment(session, db, passes, seconds, callback, grbit, context)


def _old_defragment(session: Session, db: Database, passes: int | None,
                    seconds: int | None, callback: Callable[..., Any] | None, grbit: int,
                    context: Any) -> DefragResult:
    """ESE ErrOLDDefragment."""
    stopping = bool(grbit & C.JET_bitDefragmentBatchStop)
    out_passes = 0 if passes is not None and stopping else passes
    out_seconds = 0 if seconds is not None and stopping else seconds
    level = _level(session)
    if grbit & C.JET_bitDefragmentAvailSpaceTreesOnly:
        avail_only = bool(level & (C.JET_OnlineDefragDatabases | C.JET_OnlineDefragSpaceTrees))
    else:
        avail_only = bool(level & C.JET_OnlineDefragSpaceTrees
                          and not level & C.JET_OnlineDefragDatabases)
    no_partial = bool(grbit & C.JET_bitDefragmentNoPartialMerges)
    grbit &= ~(C.JET_bitDefragmentAvailSpaceTreesOnly | C.JET_bitDefragmentNoPartialMerges)
    if level == 0:
        return DefragResult(out_passes, out_seconds)
    if db.read_only or db.genuine:
        raise_error(C.JET_errDatabaseFileReadOnly, db.path)
    join: threading.Thread | None = None
    with _lock:
        st = _status(db)
        if grbit == C.JET_bitDefragmentBatchStart:
            if st.running:
                return DefragResult(out_passes, out_seconds, C.JET_wrnDefragAlreadyRunning)
            if not level & C.JET_OnlineDefragDatabases and not avail_only:
                return DefragResult(out_passes, out_seconds)
            st.reset()
            st.avail_ext_only = avail_only
            st.no_partial_merges = no_partial
            if passes is not None:
                st.passes_max = passes
            st.csec_start = time.monotonic()
            if seconds is not None and seconds > 0:
                st.csec_max = st.csec_start + seconds
            st.callback = callback
            st.context = context
            st.running = True
            st.thread = threading.Thread(target=_run, args=(db, st, session.id),
                                         name=f"pyese-old-{db.dbnum}", daemon=True)
            st.thread.start()
            return DefragResult(out_passes, out_seconds)
        if grbit != C.JET_bitDefragmentBatchStop:
            raise_error(C.JET_errInvalidGrbit)
        if not st.running or st.term_requested:
            wrn = C.JET_wrnDefragNotRunning if level & (
                C.JET_OnlineDefragDatabases | C.JET_OnlineDefragSpaceTrees) else 0
            return DefragResult(out_passes, out_seconds, wrn)
        st.term_requested = True
        st.signal.set()
        join = st.thread
    if join is not None:
        join.join()
    with _lock:
        if passes is not None:
            out_passes = st.passes
        if seconds is not None:
            out_seconds = int(time.monotonic() - st.csec_start)
        st.reset()
    return DefragResult(out_passes, out_seconds)


def _register_btree(session: Session, db: Database, table_name: str) -> None:
    """JET_bitDefragmentBTree: one background pass over the table's trees (ESE
    ErrOLDRegisterObjectForOLD2): JET_errDatabaseFileReadOnly, JET_errObjectNotFound."""
    if db.read_only or db.genuine:
        raise_error(C.JET_errDatabaseFileReadOnly, db.path)
    from pyese.engine.schema.fcb import catalog_of

    table = catalog_of(db).table(session, table_name)  # JET_errObjectNotFound
    objids = sorted({table.objid, *(ix.objid for ix in table.indexes),
                     *((table.lv_objid,) if table.lv_objid else ())})

    def task() -> None:
        try:
            for objid in objids:
                _repack_range(db, LK.objid_prefix(objid), LK.objid_prefix(objid + 1),
                              lambda: id(db) in _STATUS)
        except JetError:
            pass

    t = threading.Thread(target=task, name=f"pyese-old2-{db.dbnum}", daemon=True)
    with _lock:
        _status(db)
        _BTREE_TASKS.setdefault(id(db), []).append(t)
    t.start()


def stop_for_detach(db: Database) -> None:
    """Stop the database's OLD thread and B-tree tasks and forget its state (detach and
    term: ESE stops OLD before a database is detached)."""
    with _lock:
        st = _STATUS.pop(id(db), None)
        tasks = _BTREE_TASKS.pop(id(db), [])
        if st is not None:
            st.term_requested = True
            st.signal.set()
    threads = ([st.thread] if st is not None and st.thread is not None else []) + tasks
    for t in threads:
        if t is not threading.current_thread():
            t.join()


def wait_btree_tasks(db: Database) -> None:
    """Wait for the database's JET_bitDefragmentBTree tasks (tests)."""
    with _lock:
        tasks = list(_BTREE_TASKS.get(id(db), []))
    for t in tasks:
        t.join()


__all__ = ["DefragResult", "OldDbStatus", "defragment", "defragment_by_name", "status_of",
           "stop_for_detach", "wait_btree_tasks"]


def _install() -> None:
    from pyese.engine.instance import database as _database

    if stop_for_detach not in _database.BEFORE_DETACH:
        _database.BEFORE_DETACH.append(stop_for_detach)


_install()
