"""The version store (ESE's ``ver.cxx``): snapshot isolation, write conflicts, commit.

Every change a transaction makes to a tree of an attached database becomes a *version*
(ESE's RCE) in the chain of its key, here, in memory, until the change is both committed
and durable in the database file and no reader can still need its before-image. As ESE's
``ver.hxx`` lists them, the version store provides record locking (write conflicts and
JetGetLock), rollback, visibility (snapshot reads) and deferred cleanup; pyese adds the
hand-off of committed changes to the log and the files.

One class, ``VersionStore``, built in layers, each a module with one responsibility and
its invariants at its top; each layer owns the state its ``__init__`` creates and uses
only what the layers below it own::

    versions       Trx, Version, Tree; the read rule (_resolve)           (data, no state)
    store          StoreCore: trees, open transactions, the byte budget
    applies        ApplyBookkeeping: committed queue, apply epochs
    snapshots      SnapshotReads: file snapshots by epoch; get, peek_any
    conflicts      ConflictChecks: write conflicts, JetGetLock, tombstones
    reclaim        Reclaim: cleanup and reclaim of committed versions, catch_up
    commit         CommitRollback: begin, commit, rollback, end (the observer)
    versionstore   VersionStore: writes (put, delete, escrow), room, cursors
    mergedcursor   MergedCursor: a session's view of one tree (file + versions)

This module holds the writes. A write checks the session and database (read-only
transaction, read-only attach), charges the budget, checks conflicts and appends the
version in one step under the tree's lock.

Invariants.

1. *Level-0 writes* are their own transaction (ESE opens an internal one, recupd.cxx
   ~1633): an internal ``Trx`` is begun, the version added and committed at once (lazy per
   the session's commit default); a failure rolls it back, so nothing is half-written.
2. *Room.* A write over the budget waits for the applier and cleanup as long as they free
   something, at most ROOM_SECONDS (``_with_room``), before
   JET_errVersionStoreOutOfMemory; the failed attempt changed nothing and the
   transaction stays open.
3. *Escrow.* A delta (``escrow``) is a version of its own kind: it commutes with other
   transactions' deltas; it returns the value as ESE's page holds it (``_physical``); at
   the level-0 commit the deltas become one image version (``commit._fold_ops``).

Locks, outermost first: ``commit_lock`` (``commit``), the applier's lock,
``_cleanup_lock`` (``reclaim``), ``Tree.lock`` (``versions``), ``_lock`` (``store``:
registries, epochs, snapshots, bytes), ``instance.lock`` (b and commit ids). Readers take
none but to bisect a tree's keys (``mergedcursor``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pyese.engine.instance.session import TRX_MAX, Session
from pyese.engine.transactions.commit import CommitRollback
from pyese.engine.transactions.mergedcursor import MergedCursor
from pyese.engine.transactions.versions import (
    ROOM_SECONDS,
    VER_PAGE_BYTES,
    VERSION_OVERHEAD,
    Committer,
    Database,
    Tree,
    Trx,
    Version,
    _resolve,
)
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error

__all__ = ["VER_PAGE_BYTES", "Committer", "Database", "MergedCursor", "Tree", "Trx",
           "Version", "VersionStore"]


class VersionStore(CommitRollback):
    """One instance's version store; see the module docstring.

    ``committer`` logs or applies commits; ``max_bytes`` bounds the bytes of versions
    (JET_paramMaxVerPages); ``on_fatal(err)`` makes the instance unavailable.
    """

    # -- writes ---------------------------------------------------------------------------

    def put(self, session: Session, db: Database, objid: int, key: bytes, value: bytes) -> None:
        """Write ``value`` at ``key`` in tree ``objid``: a new version of the session.

        At level 0 the write commits at once as its own transaction (lazy per the session's
        commit default). Raises JET_errTransReadOnly in a read-only transaction,
        JET_errPermissionDenied on a database attached read-only, JET_errWriteConflict when
        another session has an uncommitted version or a lock on the key, or committed one
        after this transaction began, JET_errVersionStoreOutOfMemory past
        JET_paramMaxVerPages.
        """
        self._write(session, db, objid, bytes(key), bytes(value))

    def delete(self, session: Session, db: Database, objid: int, key: bytes) -> None:
        """Delete ``key`` (absent is fine: the version records "absent"); as ``put``."""
        self._write(session, db, objid, bytes(key), None)

    def insert(self, session: Session, db: Database, objid: int, key: bytes,
               value: bytes) -> bytes | None:
        """Write ``value`` at ``key`` unless the session sees a value there: returns that
        value (nothing written), or None once written. The check of a new record's
        primary key (and a unique index entry's), then ``put``, with ``put``'s errors.

        The same reads as ``get`` then ``put``, less one: inside a transaction, when no
        version of the key exists, the file read that finds the key absent is also the
        new version's before-image (``_add_version`` would read the same snapshot
        again). Were a version added meanwhile, ``_add_version`` sees the chain and
        works from it as ``put`` does.
        """
        return self.insert_ex(session, db, objid, key, value)[0]

    def insert_ex(self, session: Session, db: Database, objid: int, key: bytes,
                  value: bytes) -> tuple[bytes | None, bool]:
        """``insert``, and whether the key was absent from the transaction's file
        snapshot with no version of it (inside a transaction, no overlay): then so is
        any key only a record at ``key`` can have, a secondary index entry naming it as
        its bookmark (``put_entry_of_new``)."""
        key = bytes(key)
        value = bytes(value)
        trx = self._trx.get(session.id) if session.level else None
        tree = self._trees.get((db.dbnum, objid))
        if trx is None or (tree is not None and tree.chains.get(key)):
            seen = self.get(session, db, objid, key)
            if seen is not None:
                return seen, False
            self._write(session, db, objid, key, value)
            return None, False
        if tree is not None:
            seen = self._snapshot_value(trx, tree, key)
        else:
            seen = self._file_snapshot(trx, db).get(objid, key)
        if seen is not None:
            return seen, False
        self._write(session, db, objid, key, value, True)
        return None, trx.overlay is None

    def put_entry_of_new(self, session: Session, db: Database, objid: int, key: bytes,
                         value: bytes) -> None:
        """``put`` of a non-unique secondary index entry (its node key ends with the
        record's bookmark) of a record ``insert_ex`` has just written where the file
        snapshot held none (its second answer True). A consistent database holds no
        index entry of a record it does not hold, and each commit reaches the file
        whole or keeps its versions (so a key with no version reads as the file has it):
        with no version of the entry either, its before-image is absent without reading
        the file. Were a version of it there, ``_add_version`` works from it as ``put``
        does."""
        self._write(session, db, objid, bytes(key), bytes(value), True)

    def _write(self, session: Session, db: Database, objid: int, key: bytes,
               value: bytes | None, absent: bool = False) -> None:
        """``_write_once`` in ``_with_room`` (the attempt written out for the common case:
        it fits). ``absent``: the caller read the key as absent in the transaction's
        snapshot with no version of it (``insert``)."""
        try:
            self._write_once(session, db, objid, key, value, absent)
            return
        except JetError as exc:
            if exc.err != C.JET_errVersionStoreOutOfMemory:
                raise
        self._with_room(lambda: self._write_once(session, db, objid, key, value, absent))

    def _with_room(self, attempt: Callable[[], Any]) -> Any:
        """Run ``attempt`` (a write that changes nothing when it fails); over budget, wait
        for the applier and cleanup to free versions and try again, as long as waiting
        frees something (committed versions waiting only for the applier, or a cleanup
        under way) and for at most ROOM_SECONDS: a lagging applier throttles writers, it
        does not fail them. Raises JET_errVersionStoreOutOfMemory when nothing more can be
        freed (this transaction's versions, or versions an open snapshot needs)."""
        try:
            return attempt()
        except JetError as exc:
            if exc.err != C.JET_errVersionStoreOutOfMemory:
                raise
        deadline = time.monotonic() + ROOM_SECONDS
        while True:
            before = self.nbytes
            waited = self.catch_up(timeout=max(0.0, deadline - time.monotonic()))
            self.reclaim()
            try:
                return attempt()
            except JetError as exc:
                if exc.err != C.JET_errVersionStoreOutOfMemory:
                    raise
                if (not waited and self.nbytes >= before) or time.monotonic() >= deadline:
                    raise

    def _write_once(self, session: Session, db: Database, objid: int, key: bytes,
                    value: bytes | None, absent: bool = False) -> None:
        if session.level == 0:
            if session.call_snapshots:
                # the call's reads so far are done: a level-0 write may wait for the
                # applier, whose map resize waits for every open snapshot
                session.end_call()
            if not db.read_only:
                self._check_size(db, 0, key, value)
            self._write_level0(session, db, objid, key, value)
            return
        if session.read_only:
            raise_error(C.JET_errTransReadOnly)  # ESE: pib.hxx ~1495
        if db.read_only:
            raise_error(C.JET_errPermissionDenied, "database attached read-only")
        trx = self._trx[session.id]
        self._check_size(db, trx.nbytes, key, value)
        self._add_version(trx, session.level, self._tree(db, objid), key, value, absent)

    def _check_size(self, db: Database, pending: int, key: bytes, value: bytes | None) -> None:
        """A database with a maximum size (``engine.instance.database.Database.size_max``)
        refuses a write that would take it past it (JET_errOutOfDatabaseSpace); a delete
        is never refused."""
        if value is not None and db.size_max:
            db.check_growth(self, pending + len(key) + len(value))

    def _write_level0(self, session: Session, db: Database, objid: int, key: bytes,
                      value: bytes | None) -> None:
        if db.read_only:
            raise_error(C.JET_errPermissionDenied, "database attached read-only")
        # ESE: recupd.cxx ~1633, an update outside a transaction runs in its own.
        trx = Trx(session, self.instance.new_trx_begin0(False))
        trx.levels.append({})
        trx.locks.append([])
        self._inner[id(trx)] = trx
        try:
            self._add_version(trx, 1, self._tree(db, objid), key, value)
            lgpos = self._commit0(trx)
        except BaseException:
            self._rollback_level(trx, 1)
            self._end(trx)
            raise
        self._end(trx)
        if lgpos is not None:
            session.last_commit_lgpos = lgpos
            if not session.commit_default & C.JET_bitCommitLazyFlush:
                self._flush(lgpos)
            self._throttle()

    def _add_version(self, trx: Trx, level: int, tree: Tree, key: bytes,
                     value: bytes | None, absent: bool = False) -> None:
        """Append ``trx``'s version of ``key`` at ``level`` (or overwrite its own at that
        level) after the conflict check, under the tree's lock. ``absent``: with no
        chain, the before-image is known to be None (``insert`` read it)."""
        size = VERSION_OVERHEAD + len(key)
        with tree.lock:
            chain = tree.chains.get(key)
            self._check_conflict(tree, chain, key, trx)
            if chain and chain[-1].trx is trx and chain[-1].delta is None:
                top = chain[-1]
                if top.level == level:
                    old_after = top.after
                    self._resize(trx, top, value)
                    if trx.undo is not None:
                        trx.undo.append((tree, key, top, False, old_after))
                    return
                before = top.after
            elif chain and any(v.trx is trx and v.delta is None for v in chain):
                # own image below own deltas: the value this transaction sees
                before = _resolve(chain, trx, TRX_MAX)[1]
            else:
                # The latest committed value (own deltas excluded: other readers take
                # the first version they must not see's ``before``).
                found, before = _resolve(chain, None, TRX_MAX) if chain else (False, None)
                if not found and not (absent and not chain):
                    before = self._snapshot_value(trx, tree, key)
            size += len(before) if before is not None else 0
            size += len(value) if value is not None else 0
            self._charge(size)
            trx.nbytes += size
            tree.gen += 1
            v = Version(trx, level, before, value, size)
            if chain is None:
                tree.chains[key] = [v]
                tree.keys.add(key)
            else:
                chain.append(v)
        tk = (tree, key)
        trx.order.setdefault(tk, None)
        at_level = trx.levels[level - 1]
        if trx.undo is not None:
            trx.undo.append((tree, key, v, True, tk not in at_level))
        at_level[tk] = None

    # -- savepoints -----------------------------------------------------------------------

    def begin_savepoint(self, session: Session) -> Trx | None:
        """Open a savepoint in the session's transaction at its current level: until
        ``release_savepoint`` or ``rollback_savepoint``, each version written is noted
        (``Trx.undo``) so that exactly those writes can be undone.

        What a nested level (begin, writes, commit into the parent) leaves, at less cost:
        a JetUpdate inside a transaction (``engine.records.update``) writes at the
        session's level directly; its own image version of a key at that level is
        overwritten in place, which is what committing the nested level merges it into.
        None (use a nested level) outside a transaction, or when a savepoint is open or
        the transaction's levels disagree with the session's.
        """
        trx = self._trx.get(session.id)
        if trx is None or trx.undo is not None or len(trx.levels) != session.level:
            return None
        trx.undo = []
        return trx

    def release_savepoint(self, trx: Trx) -> None:
        """Keep the writes made since ``begin_savepoint``."""
        trx.undo = None

    def rollback_savepoint(self, trx: Trx) -> None:
        """Undo the writes made since ``begin_savepoint``, newest first, as rolling back a
        nested level would (``CommitRollback._rollback_level``): an appended version is
        removed (with its chain when it was the last), an overwritten one gets its image
        back; the tree's generation moves on either way."""
        undo = trx.undo
        trx.undo = None
        if not undo:
            return
        for tree, key, v, appended, extra in undo[::-1]:  # mypyc 2.4: not reversed()
            with tree.lock:
                if appended:  # extra: the key was new at the version's level
                    chain = tree.chains.get(key)
                    if chain:
                        if chain[-1] is v:
                            chain.pop()
                        else:
                            chain[:] = [w for w in chain if w is not v]
                        self._release(trx, v)
                        if not chain:
                            del tree.chains[key]
                            if key not in tree.overlay_refs:
                                tree.keys.discard(key)
                    if extra and len(trx.levels) >= v.level:
                        trx.levels[v.level - 1].pop((tree, key), None)
                else:  # overwritten in place; extra: its image before
                    self._resize(trx, v, extra, checked=False)
                tree.gen += 1

    def escrow(self, session: Session, db: Database, objid: int, key: bytes, delta: Any,
               *, no_rollback: bool = False) -> bytes | None:
        """JetEscrowUpdate's mechanism: add escrow ``delta`` (``apply(bytes) -> bytes``) to
        the existing value at ``key``; returns the value before it as ESE's page holds it
        (the latest committed value with every active delta, or this transaction's own
        image with its deltas).

        The delta is a version of its own kind (ESE operDelta): concurrent deltas of
        different transactions commute; a delta conflicts with another transaction's
        active image version or lock, and an image write or write lock conflicts with
        another's active delta (JET_errWriteConflict, ver.cxx FVERIWriteConflict). At the
        level-0 commit, in commit order under ``commit_lock``, the deltas become one image
        version (the latest committed value plus them): the log records an absolute value,
        so recovery replays the right sum. ``no_rollback`` (JET_bitEscrowNoRollback) commits
        the delta at once in an internal transaction of its own, so a rollback keeps it;
        when this transaction has its own image version of the key the delta joins it.
        Raises JET_errNotInTransaction at level 0, JET_errTransReadOnly,
        JET_errPermissionDenied, JET_errWriteConflict, JET_errVersionStoreOutOfMemory.
        """
        if session.level == 0:
            raise_error(C.JET_errNotInTransaction)  # ESE: recupd.cxx ~3728
        if session.read_only:
            raise_error(C.JET_errTransReadOnly)
        if db.read_only:
            raise_error(C.JET_errPermissionDenied, "database attached read-only")
        key = bytes(key)
        trx = self._trx[session.id]
        tree = self._tree(db, objid)
        if no_rollback:
            chain = tree.chains.get(key)
            if not (chain and any(v.trx is trx and v.delta is None for v in chain[:])):
                inner = Trx(session, self.instance.new_trx_begin0(False))
                inner.levels.append({})
                inner.locks.append([])
                self._inner[id(inner)] = inner
                try:
                    old = self._with_room(lambda: self._add_delta(inner, 1, tree, key, delta))
                    self._commit0(inner)
                except BaseException:
                    self._rollback_level(inner, 1)
                    self._end(inner)
                    raise
                self._end(inner)
                return old
        return self._with_room(lambda: self._add_delta(trx, session.level, tree, key, delta))

    def _add_delta(self, trx: Trx, level: int, tree: Tree, key: bytes,
                   delta: Any) -> bytes | None:
        with tree.lock:
            chain = tree.chains.get(key)
            self._check_conflict(tree, chain, key, trx, delta=True)
            old = self._physical(tree, chain, key, trx)
            if old is None:
                raise_error(C.JET_errRecordDeleted)
            base: bytes | None = None
            if not chain or all(v.delta is not None for v in chain):
                # No image version: every reader sees the file's value (invariant 4).
                base = self._snapshot_value(trx, tree, key)
            size = VERSION_OVERHEAD + len(key) + 16
            self._charge(size)
            trx.nbytes += size
            trx.has_deltas = True
            tree.gen += 1
            v = Version(trx, level, base, None, size, delta)
            if chain is None:
                tree.chains[key] = [v]
                tree.keys.add(key)
            else:
                chain.append(v)
        tk = (tree, key)
        trx.order.setdefault(tk, None)
        trx.levels[level - 1][tk] = None
        return old

    def _physical(self, tree: Tree, chain: list[Version] | None, key: bytes,
                  trx: Trx) -> bytes | None:
        """The value as ESE's page holds it: this transaction's own image with its later
        deltas, else the latest committed value with every active delta. Under tree.lock."""
        if chain:
            if any(v.trx is trx and v.delta is None for v in chain):
                return _resolve(chain, trx, TRX_MAX)[1]
            found, value = _resolve(chain, None, TRX_MAX)
        else:
            found, value = False, None
        if not found:
            value = self._snapshot_value(trx, tree, key)
        for v in chain or ():
            if v.delta is not None and value is not None:
                value = v.delta.apply(value)
        return value

    def drop_tree_at_commit(self, session: Session, db: Database, objid: int) -> None:
        """Empty tree ``objid`` in the file when this transaction commits at level 0.

        For trees whose catalog rows the transaction deletes (a deleted table or index):
        the rows' versions make the object invisible at once; the nodes go with the
        commit, and a rollback of the level keeps them. Needs a transaction.
        """
        if session.level == 0:
            raise_error(C.JET_errNotInTransaction)
        trx = self._trx[session.id]
        trx.tree_drops.append((session.level, db.dbnum, objid))

    # -- databases and cursors ------------------------------------------------------------

    def has_uncommitted(self, dbnum: int) -> bool:
        """Does any open transaction hold a version or lock in database ``dbnum``?"""
        for trx in list(self._trx.values()):
            for tree, _key in list(trx.order):
                if tree.dbnum == dbnum:
                    return True
        return False

    def forget_database(self, dbnum: int) -> None:
        """Detach: every committed change of ``dbnum`` is in its file; drop its trees."""
        self.release_parked(dbnum)
        self.cleanup()
        with self._lock:
            trees = [self._trees.pop(k) for k in [k for k in self._trees if k[0] == dbnum]]
        for tree in trees:
            # Lock order: tree.lock before _lock; a concurrent cleanup may still be
            # dropping versions of this tree (the applier's callback).
            with tree.lock:
                freed = 0
                for chain in list(tree.chains.values()):
                    for v in chain:
                        freed += v.size
                        v.size = 0
            with self._lock:
                self.nbytes -= freed

    def cursor(self, session: Session, db: Database, objid: int) -> MergedCursor:
        """A TreeCursor over the session's snapshot of tree ``objid`` (file + versions)."""
        return MergedCursor(self, session, db, objid)
