"""Conflict checks: write conflicts, JetGetLock, and the tombstones that outlive versions.

ESE detects write conflicts at once, at the write (``ver.cxx`` FVERIWriteConflict): a
transaction may not change a key another transaction has an *active* version of (ver.hxx
FActiveNotByMe: uncommitted, or committed after this transaction began) or holds a lock
on, unless the two operations commute. Kinds: image writes (``OPER_WRITE``), escrow deltas
(``OPER_DELTA``), read locks (``OPER_READ_LOCK``); only deltas with deltas and read locks
with read locks commute (an image version made from deltas at commit, ``Version.escrow``,
counts as a delta).

Versions and locks do not live forever (``reclaim`` frees chains, the level-0 end releases
locks), but a transaction that began before their commit must still conflict with them. So
what it would have met is kept as a *tombstone*: ``tree.tombstones[key]`` (the newest
commit id of a reclaimed write) and ``tree.read_tombstones[key]`` (of a committed read
lock, which conflicts with anything but a read lock).

Invariants.

1. *Never looser than ESE.* A write fails with JET_errWriteConflict when a tombstone's
   commit id, or the tree's ``horizon``, is newer than the writer's b; when a newer
   version of another transaction is active and does not commute; when another
   transaction holds a lock that does not commute. Below a committed image version the
   writer sees, every version is committed and seen too, so the walk stops there.
2. *Bounded.* Past TOMBSTONES_PER_TREE a tree's tombstones fold into one commit id
   (``horizon``): a transaction that began before it conflicts on every key of the tree
   (stricter than ESE, never looser).
3. *Forgotten only when harmless.* A tombstone goes (``_purge_tombstones``) once every
   transaction that may write began after it; read-only transactions need none.
4. Locks (``tree.locks[key] = {trx: (write, level)}``) follow the transaction's levels:
   a commit to a parent level relabels them, a rollback of their level drops them, the
   level-0 end releases them, after ``_entomb_locks`` kept the committed ones as
   tombstones for older transactions.

Locks. ``tree.lock`` guards ``tree.locks``, the tombstone tables and ``horizon``: a check
and the change it allows are one step under it. ``_tombstone_heap`` (every tombstone by
commit id) is pushed by ``_entomb`` under the key's tree lock (from ``reclaim``, under
``_cleanup_lock``, or from a level-0 commit on the committing thread) and popped by
``_purge_tombstones`` under ``_cleanup_lock``; each push and pop is one C call on the list
(atomic under the GIL), and ``ntombstones`` is a statistic only.
"""

from __future__ import annotations

import heapq
import itertools

from pyese.engine.instance.session import Session
from pyese.engine.transactions.snapshots import SnapshotReads
from pyese.engine.transactions.versions import (
    OPER_DELTA,
    OPER_READ_LOCK,
    OPER_WRITE,
    TOMBSTONES_PER_TREE,
    Database,
    Tree,
    Trx,
    Version,
)
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error


class ConflictChecks(SnapshotReads):
    """Write conflicts, locks and tombstones; see the module docstring."""

    def _init_state(self) -> None:
        super()._init_state()
        self._tombstone_heap: list[tuple[int, int, Tree, bytes | None, bool]] = []
        self._tombstone_seq = itertools.count()
        self.ntombstones = 0

    def _check_conflict(self, tree: Tree, chain: list[Version] | None, key: bytes,
                        trx: Trx, *, read_lock: bool = False, delta: bool = False) -> None:
        """ESE ver.cxx FVERIWriteConflict (~4159): JET_errWriteConflict when another
        transaction has an *active* version of the key (uncommitted, or committed after
        ``trx`` began: ver.hxx FActiveNotByMe) or a lock on it, unless the new operation
        commutes with every such one: escrow deltas with deltas, read locks with read
        locks."""
        kind = OPER_DELTA if delta else OPER_READ_LOCK if read_lock else OPER_WRITE
        b = trx.begin0
        reclaimed = tree.tombstones.get(key)
        if (reclaimed is not None and reclaimed > b) or tree.horizon > b:
            raise_error(C.JET_errWriteConflict, "committed after this transaction began")
        if kind != OPER_READ_LOCK and tree.read_tombstones.get(key, 0) > b:
            raise_error(C.JET_errWriteConflict, "read-locked by a transaction committed since")
        if chain:
            # Newest first: below a committed image version this transaction sees, every
            # version is committed and seen too (an image writer conflicts with any
            # active version, so none can be older than it).
            for v in reversed(chain):
                if v.trx is trx:
                    continue
                cid = v.trx.commit_id
                if cid is not None and cid <= b:
                    if v.delta is None and not v.escrow:
                        break
                    continue
                other = OPER_DELTA if (v.delta is not None or v.escrow) else OPER_WRITE
                if kind == OPER_WRITE or other != kind:
                    raise_error(C.JET_errWriteConflict)  # ESE: ver.cxx ~4186
        held = tree.locks.get(key)
        if held:
            for other_trx, (write, _level) in held.items():
                if other_trx is trx:
                    continue
                other = OPER_WRITE if write else OPER_READ_LOCK
                if kind == OPER_WRITE or other != kind:
                    raise_error(C.JET_errWriteConflict)  # ESE: ver.cxx ~4240

    def uncommitted_by_other(self, session: Session, db: Database, objid: int,
                             key: bytes) -> bool:
        """Has another session an uncommitted version of ``key``? (ESE ver.cxx VsVERCheck
        == vsUncommittedByOther, used by JetGetCursorInfo.)"""
        tree = self._trees.get((db.dbnum, objid))
        if tree is None:
            return False
        with tree.lock:
            chain = tree.chains.get(bytes(key)) or []
            return any(v.trx.session is not session and v.trx.commit_id is None
                       for v in chain)

    def lock(self, session: Session, db: Database, objid: int, key: bytes,
             write: bool) -> None:
        """JetGetLock's mechanism: a read or write lock on ``key`` until the level-0 end.

        Read locks of several sessions coexist; a write lock conflicts with any other
        session's lock or active version (JET_errWriteConflict, ESE ver.cxx ~4186-4271).
        Raises JET_errNotInTransaction at level 0 (rec.cxx ~49) and JET_errTransReadOnly for
        a write lock in a read-only transaction.
        """
        if session.level == 0:
            raise_error(C.JET_errNotInTransaction)
        if write and session.read_only:
            raise_error(C.JET_errTransReadOnly)
        trx = self._trx[session.id]
        tree = self._tree(db, objid)
        key = bytes(key)
        with tree.lock:
            self._check_conflict(tree, tree.chains.get(key), key, trx, read_lock=not write)
            held = tree.locks.setdefault(key, {})
            old = held.get(trx)
            held[trx] = (write or (old is not None and old[0]), session.level)
        trx.locks[session.level - 1].append((tree, key))

    def _entomb(self, tree: Tree, key: bytes, cid: int, *, read_lock: bool) -> None:
        """Remember that commit ``cid`` wrote (or read-locked) ``key`` after its versions
        or locks are gone, for transactions that began before it (under tree.lock)."""
        if cid <= tree.horizon:
            return
        table = tree.read_tombstones if read_lock else tree.tombstones
        old = table.get(key)
        if old is not None and old >= cid:
            return
        if old is None:
            self.ntombstones += 1
        table[key] = cid
        heapq.heappush(self._tombstone_heap,
                       (cid, next(self._tombstone_seq), tree, key, read_lock))
        if len(tree.tombstones) + len(tree.read_tombstones) > TOMBSTONES_PER_TREE:
            # Bounded memory: one commit id for the tree. Writers that began before it
            # conflict on any key (stricter than ESE, never looser).
            tree.horizon = max([*tree.tombstones.values(), *tree.read_tombstones.values()])
            self.ntombstones -= len(tree.tombstones) + len(tree.read_tombstones)
            tree.tombstones.clear()
            tree.read_tombstones.clear()
            heapq.heappush(self._tombstone_heap,
                           (tree.horizon, next(self._tombstone_seq), tree, None, False))

    def _entomb_locks(self, trx: Trx) -> None:
        """At the level-0 commit: the locks the transaction took on keys it did not write
        stay as conflicts for transactions that began before the commit, as ESE's
        committed write-lock and read-lock versions do (ver.cxx FVERIWriteConflict: the
        newest version is active for them; only read locks commute with read locks)."""
        cid = trx.commit_id
        if cid is None or not any(trx.locks) or (len(self._trx) <= 1 and not self._inner):
            return
        for level_locks in trx.locks:
            for tree, key in level_locks:
                self._entomb_lock(trx, tree, key, cid)

    def _entomb_lock(self, trx: Trx, tree: Tree, key: bytes, cid: int) -> None:
        """``_entomb_locks`` for one lock (a method: the compiled build has no ``continue``
        inside ``with``)."""
        with tree.lock:
            held = tree.locks.get(key)
            entry = held.get(trx) if held else None
            if entry is None:
                return
            chain = tree.chains.get(key)
            if chain and any(v.trx is trx for v in chain):
                return  # its own version conflicts already
            self._entomb(tree, key, cid, read_lock=not entry[0])

    def _purge_tombstones(self, oldest_rw: int) -> None:
        """Forget tombstones no open writer can conflict with (caller holds _cleanup_lock)."""
        heap = self._tombstone_heap
        while heap and heap[0][0] <= oldest_rw:
            cid, _seq, tree, key, read_lock = heapq.heappop(heap)
            with tree.lock:
                table = tree.read_tombstones if read_lock else tree.tombstones
                if key is None:
                    if tree.horizon == cid:
                        tree.horizon = 0
                elif table.get(key) == cid:
                    del table[key]
                    self.ntombstones -= 1
