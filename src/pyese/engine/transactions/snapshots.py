"""Snapshot reads: a transaction's file snapshots, and reading a key through them.

A reader's view of a key is its chain resolved for its b (``versions.read_versions``) or, when
no version answers, the database file. Inside a transaction the file is read through one
LMDB read snapshot per database, opened on first need and kept until the level-0 end
(``_file_snapshot``); a read outside a transaction opens one for the step only.

Every file snapshot is registered (``_snaps``) with the newest apply epoch its file holds,
so that ``reclaim`` knows which committed versions it still needs and ``_resolve`` knows
when the file itself answers for versions the reader does not see.

Invariants.

1. *A snapshot's epoch is fixed.* ``_open_snapshot`` registers the snapshot before it
   opens with (epoch done, TRX_MAX) and, once open, with exactly the newest epoch its file
   holds: the applies done before it began, plus those announced meanwhile whose file
   commit it caught (its ``applied_lgpos`` is past the position the file held before that
   apply: ``applies`` invariant 2). Applies commit to a file in order, so the first one
   missing ends the run; an apply that does not write this database counts as held. So
   "is this version in this reader's file snapshot" has one answer for the life of the
   snapshot, even while the applier sits between its file commits and ``on_applied``.
2. *The overlay first.* A transaction's ``overlay`` (values ``reclaim`` pinned for it)
   answers before its file snapshot (``_snapshot_value``), and before every version but
   its own (``_pinned``).
3. A snapshot is unregistered before it is closed (``_close_snapshot``); closing errors
   are ignored (the snapshot is gone either way).
4. *A level-0 call snapshot outlives its call while nothing was applied.* As a level-0
   call returns, its snapshot is parked (``_park_snapshot``), still registered, when it
   holds every apply done; the session's next level-0 call on that database reads through
   it again (``call_snapshot``), so its tree cursors keep their place (``MergedCursor``)
   and no LMDB read transaction is opened. Correct at any age: a level-0 reader merges
   every committed version, and none its file lacks is dropped while it is registered
   (``reclaim`` invariant 1c). Kept short so it holds nothing up: every finished apply
   closes the parked snapshots before its cleanup (``_record_applied``), as do a resize
   of the file (``DatabaseFile.release_idle``, after which none is parked until the resize
   is done), a detach (``release_parked(dbnum)``) and a dirty close. A parked snapshot
   whose file was closed under it is unregistered when next taken.

Locks. ``_snaps``, ``_snap_ids`` and ``_parked`` are guarded by the store's ``_lock``, as
are the epoch fields read here (parking tests the epoch and the file's ``_resizing`` and
inserts under it, so a release that follows either sees the snapshot or is seen);
``db.snapshot()`` and ``snap.applied_lgpos`` run outside it. Reads take no tree lock
(they resolve a copy of the chain).
"""

from __future__ import annotations

import itertools
from typing import Any

from pyese.engine.instance.session import TRX_MAX, Session
from pyese.engine.transactions.applies import ApplyBookkeeping
from pyese.engine.transactions.versions import (
    Database,
    Tree,
    Trx,
    read_versions,
)
from pyese.jethdr.errors import JetError
from pyese.storage.lgpos import LGPOS


class SnapshotReads(ApplyBookkeeping):
    """File snapshots registered by apply epoch, and the reads through them."""

    def _init_state(self) -> None:
        super()._init_state()
        self._snaps: dict[int, tuple[int, int, int, int, Trx | None]] = {}
        """Open file snapshots: id -> (the newest epoch surely in the snapshot, the newest
        epoch it may hold, the reader's b, dbnum, its transaction or None for a one-step
        read). The two are equal once ``_open_snapshot`` returned (its file holds exactly
        the applies up to it); while it opens, the second is TRX_MAX."""
        self._snap_ids = itertools.count()
        self._parked: dict[tuple[int, int], Any] = {}
        """(session id, dbnum) -> the level-0 call snapshot that session's last JET call
        on that database read through, kept open and registered between its calls while
        it holds every apply done (``_park_snapshot``; invariant 4)."""

    # -- reads ----------------------------------------------------------------------------

    def get(self, session: Session, db: Database, objid: int, key: bytes) -> bytes | None:
        """The value of ``key`` in the session's snapshot (None: absent)."""
        key = bytes(key)
        trx = self._trx.get(session.id) if session.level else None
        tree = self._trees.get((db.dbnum, objid))
        if tree is not None:
            found, value = read_versions(tree, key, trx, session.trx_begin0)
            if found:
                return value
        if trx is not None:
            if tree is not None:
                return self._snapshot_value(trx, tree, key)
            return self._file_snapshot(trx, db).get(objid, key)
        if session.in_api:
            return self.call_snapshot(session, db).get(objid, key)
        snap = db.snapshot()
        try:
            return snap.get(objid, key)
        finally:
            snap.close()

    def peek_any(self, db: Database, objid: int, key: bytes) -> bool:
        """Does any version (anyone's, committed or not) or the file hold ``key``?

        For unique-index checks: a concurrent uncommitted insert counts, so the second
        inserter gets JET_errKeyDuplicate (ESE bt.cxx ~5716).
        """
        key = bytes(key)
        tree = self._trees.get((db.dbnum, objid))
        if tree is not None:
            chain = tree.chains.get(key)
            if chain:
                return any(v.after is not None or v.before is not None for v in chain[:])
        snap = db.snapshot()
        try:
            return snap.get(objid, key) is not None
        finally:
            snap.close()

    def tree_state(self, db: Database, objid: int) -> tuple[int, bool]:
        """(generation, has versions) of a tree: a cache of the tree's decoded content
        built from the file is valid while the generation is unchanged and no version
        exists."""
        tree = self._trees.get((db.dbnum, objid))
        if tree is None:
            return 0, False
        return tree.gen, bool(tree.chains)

    def all_keys(self, db: Database, objid: int) -> list[bytes]:
        """Every key with a version in tree ``objid`` (anyone's, committed or not)."""
        tree = self._trees.get((db.dbnum, objid))
        if tree is None:
            return []
        with tree.lock:
            return list(tree.keys)

    def any_present(self, db: Database, objid: int) -> bool:
        """Does any key of tree ``objid`` have a newest image version (anyone's, committed
        or not) holding a value? For JetCreateIndex of a primary index, whose check for
        records sees other sessions' uncommitted inserts too (pyese.engine.schema.ddl)."""
        tree = self._trees.get((db.dbnum, objid))
        if tree is None:
            return False
        with tree.lock:
            for chain in tree.chains.values():
                for v in reversed(chain):
                    if v.delta is None:
                        if v.after is not None:
                            return True
                        break
        return False

    def all_after_images(self, db: Database, objid: int) -> list[bytes]:
        """Every after-image held for tree ``objid`` (for counters such as autoincrement)."""
        tree = self._trees.get((db.dbnum, objid))
        if tree is None:
            return []
        with tree.lock:
            return [v.after for chain in tree.chains.values() for v in chain
                    if v.after is not None]

    # -- file snapshots -------------------------------------------------------------------

    def _file_snapshot(self, trx: Trx, db: Database) -> Any:
        entry = trx.snapshots.get(db.dbnum)
        if entry is None:
            snap, e_hi = self._open_snapshot(db, trx)
            entry = trx.snapshots[db.dbnum] = (snap, e_hi)
        return entry[0]

    def call_snapshot(self, session: Session, db: Database) -> Any:
        """The level-0 read snapshot of the JET call ``session`` is in (``in_api``):
        registered as a one-step read (``_open_snapshot`` without a transaction) on first
        need, or the one the session's last call parked (invariant 4); shared by every
        read of the call and handed to ``_park_snapshot`` by the gate as the call leaves
        (``Session.end_call``), or earlier when the call begins a transaction or writes at
        level 0. A level-0 reader merges every committed version into it, and no version
        its file lacks is dropped while it is registered (``reclaim`` invariant 1c), so
        reading through it gives the latest committed state at each read, as a snapshot
        per read would."""
        dbnum = db.dbnum
        entry = session.call_snapshots.get(dbnum)
        if entry is not None:
            return entry[1]
        snap = None
        if self._parked:
            with self._lock:
                snap = self._parked.pop((session.id, dbnum), None)
            if snap is not None and snap._closed:  # its file was closed under it
                self._close_snapshot(snap)
                snap = None
        if snap is None:
            snap = self._open_snapshot(db)[0]
            snap._vs_park = (session.id, dbnum)
        session.call_snapshots[dbnum] = (self._park_snapshot, snap)
        return snap

    def _park_snapshot(self, snap: Any) -> None:
        """The end of a level-0 call (the gate's ``end_call``) with ``snap``: keep it open
        and registered for the session's next call when it holds every apply done (a
        fresh one would show the same file), else close it (invariant 4)."""
        file = getattr(snap, "_db", None)
        if file is not None and not snap._closed:
            if file.release_idle is None:
                file.release_idle = self.release_parked
            with self._lock:
                entry = self._snaps.get(snap._vs_id)
                key = snap._vs_park
                if (entry is not None and entry[0] >= self._epoch and not file._resizing
                        and key not in self._parked
                        and not self._blocked_cleanup(snap, entry[0])):
                    self._parked[key] = snap
                    return
        self._close_snapshot(snap)

    def release_parked(self, dbnum: int | None = None) -> None:
        """Close the parked level-0 snapshots (of database ``dbnum``; None: all): an apply
        finished (they would keep its versions from being dropped), the file must resize
        (LMDB waits for every read transaction) or is detached."""
        if not self._parked:
            return
        with self._lock:
            if dbnum is None:
                snaps = list(self._parked.values())
                self._parked.clear()
            else:
                keys = [k for k in self._parked if k[1] == dbnum]
                snaps = [self._parked.pop(k) for k in keys]
        for snap in snaps:
            self._close_snapshot(snap)

    def _record_applied(self, lgpos: LGPOS | None) -> None:
        """An apply is done: the parked snapshots lack it, so they go before the cleanup
        that follows (``on_applied``) looks for readers that still need its versions."""
        super()._record_applied(lgpos)
        self.release_parked()

    def read_token(self, session: Session, db: Database, objid: int) -> object:
        """A value equal between two moments exactly when nothing ``session`` reads of tree
        ``objid`` can have changed between them, or None when that cannot be told cheaply.

        In a transaction: (its Trx, the tree, the tree's generation). Its view changes only
        by its own writes and rollbacks, each of which bumps the generation (a new version,
        ``_rollback_level``); other transactions' commits are not in its snapshot. At level
        0: the same with no Trx while the tree has nothing pending (a commit would first
        add a version); while it has, also the instance's newest transaction id, read
        under ``instance.lock`` (a commit makes its versions visible to level 0 by taking
        a commit id there, bumping it). Take it before the read it guards."""
        tree = self._trees.get((db.dbnum, objid))
        gen = 0 if tree is None else tree.gen
        if session.level:
            trx = self._trx.get(session.id)
            if trx is None:
                return None
            return (trx, tree, gen)
        if tree is None or not tree.keys:
            return (None, tree, gen)
        # Versions pending: a commit (a commit id given under instance.lock, with the
        # newest id bumped in the same step) changes what level 0 sees.
        inst = self.instance
        with inst.lock:
            newest = inst.trx_newest
        return (None, tree, gen, newest)

    def pending_versions(self, db: Database, objid: int) -> int:
        """How many keys of tree ``objid`` have a version, a lock or an overlay entry
        (anyone's, committed or not). 0: every reader's file snapshot answers for the
        whole tree, exactly (see ``MergedCursor``: its fast path)."""
        tree = self._trees.get((db.dbnum, objid))
        return 0 if tree is None else len(tree.keys)

    def _snapshot_value(self, trx: Trx, tree: Tree, key: bytes) -> bytes | None:
        """The value of ``key`` in ``trx``'s snapshot when no version answers: its overlay
        (reclaimed versions it still sees), else its file snapshot."""
        overlay = trx.overlay
        if overlay is not None:
            tk = (tree, key)
            if tk in overlay:
                return overlay[tk]
        return self._file_snapshot(trx, tree.db).get(tree.objid, key)

    def _open_snapshot(self, db: Database, trx: Trx | None = None) -> tuple[Any, int]:
        """A file snapshot registered with the newest apply epoch it holds; returns
        (snapshot, that epoch). Raises what ``db.snapshot()`` raises.

        Every apply done before the opening is in it and none announced after it; an
        apply announced in between (in flight: its file commits may come before or after
        the LMDB read transaction begins) is in it exactly when the snapshot's recorded
        applied position is past the one the file held just before that apply (applies
        commit to a file in order, so the first one missing ends the run). An apply that
        does not write this database changes nothing the snapshot shows and counts as
        held.
        """
        dbnum = db.dbnum
        with self._lock:
            e_lo = self._epoch
            sid = next(self._snap_ids)
            b = trx.begin0 if trx is not None else TRX_MAX
            self._snaps[sid] = (e_lo, TRX_MAX, b, dbnum, trx)
            self._opening[e_lo] = self._opening.get(e_lo, 0) + 1
        try:
            snap = db.snapshot()
        except BaseException:
            with self._lock:
                del self._snaps[sid]
                self._opened(e_lo)
            raise
        with self._lock:
            e_hi = self._announced
            if e_hi == e_lo:  # nothing announced meanwhile: it holds exactly e_lo
                self._snaps[sid] = (e_lo, e_lo, b, dbnum, trx)
                self._opened(e_lo)
                snap._vs_id = sid
                snap._vs_floor = e_lo
                return snap, e_lo
            uncertain = [(e, self._apply_before[e][dbnum]) for e in range(e_lo + 1, e_hi + 1)
                         if dbnum in self._apply_before.get(e, ())]
            self._opened(e_lo)
        held = e_hi
        if uncertain:
            try:
                in_file = snap.applied_lgpos
            except BaseException:
                self._close_snapshot(snap)
                with self._lock:
                    self._snaps.pop(sid, None)
                raise
            for e, before in uncertain:
                if in_file <= before:
                    held = e - 1
                    break
        with self._lock:
            self._snaps[sid] = (held, held, b, dbnum, trx)
        snap._vs_id = sid
        snap._vs_floor = e_lo
        return snap, held

    def _opened(self, e_lo: int) -> None:
        """A snapshot that began opening at epoch ``e_lo`` is registered (under _lock)."""
        n = self._opening[e_lo] - 1
        if n:
            self._opening[e_lo] = n
        else:
            del self._opening[e_lo]
        if self._apply_before:
            self._forget_before()

    def _close_snapshot(self, snap: Any) -> None:
        with self._lock:
            entry = self._snaps.pop(getattr(snap, "_vs_id", -1), None)
            # Was it what kept ``cleanup`` from dropping the oldest applied commit
            # (reclaim invariant 1c)? A reader that does not end a transaction triggers
            # no cleanup of its own, so it runs here (versions would otherwise wait for
            # the next apply, and every level-0 read would merge them meanwhile).
            # While it opened it was registered at the epoch it began at
            # (``_vs_floor``), and a cleanup that ran then stopped at it too.
            blocking = entry is not None and self._blocked_cleanup(snap, entry[0])
        try:
            snap.close()
        except JetError:
            pass
        if blocking:
            self.cleanup()

    def _blocked_cleanup(self, snap: Any, epoch: int) -> bool:
        """May the registered ``snap`` (epoch ``epoch``) have stopped a cleanup from dropping
        the oldest applied commit (reclaim invariant 1c)? Under _lock."""
        committed = self._committed
        if not committed:
            return False
        applied = committed[0].applied_epoch
        return (applied is not None and min(epoch, snap._vs_floor) < applied <= self._epoch)

    def cleanup(self) -> None:
        """Drop the committed versions no reader needs (``reclaim`` implements it)."""

    def close_all_snapshots(self) -> None:
        self.release_parked()
        for trx in list(self._trx.values()):
            for snap, _epoch in trx.snapshots.values():
                self._close_snapshot(snap)
            trx.snapshots.clear()
