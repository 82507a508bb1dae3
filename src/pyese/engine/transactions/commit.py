"""Transaction bookkeeping: begin, commit (to a parent level or level 0), rollback, end.

The version store is the instance's transaction observer: the session calls
``on_begin``, ``on_commit`` and ``on_rollback`` as its level changes (``instance.session``).

- *Commit to a parent level* (ESE VERICommitTransactionToLevelGreaterThan0) relabels the
  level's versions and locks to level - 1, merging two image versions of one key into one.
- *Level-0 commit*: the transaction's ops (each key's newest own version; deltas folded
  into absolute values under ``commit_lock``, in commit order, so the log and recovery
  replay the right sum) go to the committer in one COMMIT record for every database;
  ``logged`` puts the transaction in the committed queue (``applies``); the commit id is
  drawn; the log is flushed outside the lock unless lazy (group commit).
- *Rollback* (ESE ErrVERRollback) undoes exactly one level's versions and locks.
- *End* (level 0, either way): locks released, file snapshots closed, overlay released,
  then cleanup.

Invariants.

1. *Atomic visibility.* The commit id is drawn and written into ``trx.commit_id`` under
   ``instance.lock``, where ``Instance.new_trx_begin0`` draws b: a reader's b is before the
   whole transaction or after it. The log record is appended under ``commit_lock`` just
   before, so log order is commit order.
2. *All or nothing.* A level-0 commit that fails rolls every level back and ends the
   transaction; a failure of the log makes the instance unavailable (``on_fatal``).
3. *Throttle.* After a level-0 commit, while the versions of commits not yet in the files
   pass a quarter of the version store, the committer waits (at most THROTTLE_SECONDS)
   for the applier to bring them under an eighth.
4. Only the session's own thread changes its ``Trx`` levels, order and locks lists.

Locks. ``commit_lock``: fold + log append + commit id (short: the fsync happens after it);
the applier's own lock is taken under it (the append), and ``_lock`` under that
(``logged``). Order: commit_lock, (applier lock,) tree.lock, _lock, instance.lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from pyese.engine.instance.session import TRX_MAX, Session
from pyese.engine.transactions.reclaim import Reclaim
from pyese.engine.transactions.versions import (
    THROTTLE_SECONDS,
    VERSION_OVERHEAD,
    Tree,
    Trx,
    Version,
    _resolve,
)
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.lgpos import LGPOS
from pyese.storage.ops import OP_DELETE, OP_DELETE_TREE, OP_PUT, Op


class CommitRollback(Reclaim):
    """Begin, commit, rollback and end of transactions; see the module docstring."""

    def _init_state(self) -> None:
        super()._init_state()
        self.commit_lock = threading.Lock()
        self.throttled = 0
        """Level-0 commits that waited for the applier (``_throttle``)."""
        self.commit_hooks: list[Callable[[Session, list[Any]], None]] = []
        """Run after a session's level-0 commit that folded escrow deltas, with
        ``Trx.folded`` (engine.transactions.escrow: JET_bitColumnDeleteOnZero). Errors are
        ignored: the commit has happened."""

    # -- transactions (TransactionObserver) -----------------------------------------------

    def on_begin(self, session: Session, level: int) -> None:
        if session.call_snapshots:
            # the call's level-0 reads are over: its snapshot must not stay open while the
            # transaction may wait for the applier (a map resize waits for every snapshot)
            session.end_call()
        trx = self._trx.get(session.id)
        if level == 1 or trx is None:
            trx = Trx(session, session.trx_begin0)
            self._trx[session.id] = trx
        while len(trx.levels) < level:
            trx.levels.append({})
            trx.locks.append([])

    def on_commit(self, session: Session, level: int, lazy: bool) -> LGPOS | None:
        trx = self._trx.get(session.id)
        if trx is None:
            return None
        if level > 1:
            self._commit_to_parent(trx, level)
            return None
        try:
            lgpos = self._commit0(trx)
        except BaseException:
            while trx.levels:
                self._rollback_level(trx, len(trx.levels))
            self._end(trx)
            raise
        if any(trx.locks):
            if trx.commit_id is None:  # locks only: nothing to log, but a commit time
                inst = self.instance
                with inst.lock:
                    inst.trx_newest += 4
                    trx.commit_id = inst.trx_newest
            self._entomb_locks(trx)
        self._end(trx)
        if lgpos is not None and not lazy:
            self._flush(lgpos)
        if lgpos is not None:
            self._throttle()
        if trx.folded:
            for hook in list(self.commit_hooks):
                try:
                    hook(session, trx.folded)
                except JetError:
                    pass
        return lgpos

    def on_rollback(self, session: Session, level: int) -> None:
        trx = self._trx.get(session.id)
        if trx is None:
            return
        self._rollback_level(trx, level)
        if level <= 1:
            self._end(trx)

    def wait_commit(self, session: Session, grbit: int) -> None:
        if grbit == C.JET_bitWaitLastLevel0Commit:
            lgpos = session.last_commit_lgpos
            if isinstance(lgpos, LGPOS):
                self._flush(lgpos)
        elif grbit == C.JET_bitWaitAllLevel0Commit:
            self._flush(None)
        elif grbit == C.JET_bitForceNewLog:
            try:
                self.committer.new_generation()
            except JetError as exc:
                self.on_fatal(exc.err)
                raise

    def _throttle(self) -> None:
        """After a level-0 commit: while the versions of commits not yet in the files
        pass a quarter of the version store, wait (at most THROTTLE_SECONDS) for the
        applier to bring them under an eighth. Lazy commits would otherwise run ahead of
        the applier, and the next transaction's file snapshot, opened before they reach
        the files, would keep all their versions for its whole life."""
        if self._unapplied_bytes <= self.max_bytes // 4:
            return
        applier = getattr(self.committer, "applier", None)
        if applier is None:
            return
        self.throttled += 1
        end = time.monotonic() + THROTTLE_SECONDS
        with self._lock:
            while (self._unapplied_bytes > self.max_bytes // 8 and applier.failed is None
                   and time.monotonic() < end):
                self._applied_cond.wait(0.1)

    # -- commit ---------------------------------------------------------------------------

    def _commit_to_parent(self, trx: Trx, level: int) -> None:
        """ESE VERICommitTransactionToLevelGreaterThan0: relabel level to level - 1."""
        keys = trx.levels.pop()
        parent = trx.levels[level - 2]
        for tk in keys:
            tree, key = tk
            with tree.lock:
                chain = tree.chains[key]
                for v in chain:
                    if v.trx is trx and v.level == level:
                        v.level = level - 1
                top = chain[-1]
                if (len(chain) >= 2 and top.trx is trx and top.delta is None
                        and top.level == level - 1 and chain[-2].trx is trx
                        and chain[-2].delta is None and chain[-2].level == level - 1):
                    below = chain.pop(-2)
                    top.before = below.before
                    self._release(trx, below)
                    top.size += len(top.before) if top.before is not None else 0
                    with self._lock:
                        self.nbytes += len(top.before) if top.before is not None else 0
            parent[tk] = None
        trx.tree_drops = [(min(lv, level - 1), d, o) for lv, d, o in trx.tree_drops]
        locks = trx.locks.pop()
        for tree, key in locks:
            with tree.lock:
                held = tree.locks.get(key)
                if held and trx in held:
                    write, _ = held[trx]
                    held[trx] = (write, level - 1)
        trx.locks[level - 2].extend(locks)

    def _commit0(self, trx: Trx) -> LGPOS | None:
        if trx.has_deltas:
            with self.commit_lock:
                lgpos = self._commit0_locked(trx, self._fold_ops(trx))
        else:
            lgpos = self._commit0_plain(trx)
        if lgpos is None and trx.commit_id is not None:
            # Applied to the files already (no log): droppable once readers allow.
            self.cleanup()
        return lgpos

    def _commit0_plain(self, trx: Trx) -> LGPOS | None:
        ops: dict[int, list[Op]] = {}
        for tree, key in trx.order:
            chain = tree.chains.get(key)
            if not chain or chain[-1].trx is not trx:
                continue  # rolled back
            v = chain[-1]
            op = Op(OP_PUT, tree.objid, key, v.after) if v.after is not None \
                else Op(OP_DELETE, tree.objid, key)
            ops.setdefault(tree.dbnum, []).append(op)
        with self.commit_lock:
            return self._commit0_locked(trx, ops)

    def _fold_ops(self, trx: Trx) -> dict[int, list[Op]]:
        """The commit's ops when it made escrow deltas (under commit_lock, so in commit
        order): each key's own deltas become part of an image version whose after-image,
        an absolute value, is what the log records."""
        ops: dict[int, list[Op]] = {}
        for tree, key in trx.order:
            self._fold_key(trx, tree, key, ops)
        return ops

    def _fold_key(self, trx: Trx, tree: Tree, key: bytes, ops: dict[int, list[Op]]) -> None:
        """``_fold_ops`` for one key: appends its op to ``ops`` (a method: the compiled
        build has no ``continue`` inside ``with``)."""
        with tree.lock:
            chain = tree.chains.get(key)
            if not chain:
                return
            mine = [v for v in chain if v.trx is trx]
            if not mine:
                return  # rolled back
            deltas = [v for v in mine if v.delta is not None]
            images = [v for v in mine if v.delta is None]
            if not deltas:
                value = images[-1].after
            elif images:
                img = images[-1]
                value = img.after
                for v in chain[chain.index(img) + 1:]:
                    if v.trx is trx and v.delta is not None:
                        value = v.delta.apply(value)
                self._resize(trx, img, value, checked=False)
                chain[:] = [v for v in chain if v.trx is not trx or v.delta is None]
                for v in deltas:
                    self._release(trx, v)
            else:
                found, latest = _resolve(chain, None, TRX_MAX)
                if not found:
                    latest = self._snapshot_value(trx, tree, key)
                value = latest
                for v in deltas:
                    value = v.delta.apply(value)
                size = VERSION_OVERHEAD + len(key) + len(latest or b"") + len(value or b"")
                with self._lock:
                    self.nbytes += size
                trx.nbytes += size
                img = Version(trx, 1, latest, value, size, escrow=True)
                chain[:] = [v for v in chain if v.trx is not trx] + [img]
                for v in deltas:
                    self._release(trx, v)
                tree.gen += 1
        if deltas:
            trx.folded.append((tree.db, tree.objid, key, value,
                               [v.delta for v in deltas]))
        op = Op(OP_PUT, tree.objid, key, value) if value is not None \
            else Op(OP_DELETE, tree.objid, key)
        ops.setdefault(tree.dbnum, []).append(op)

    def _commit0_locked(self, trx: Trx, ops: dict[int, list[Op]]) -> LGPOS | None:
        """Log the commit and draw its commit id (caller holds commit_lock)."""
        for _level, dbnum, objid in trx.tree_drops:
            ops.setdefault(dbnum, []).append(Op(OP_DELETE_TREE, objid))
        if not ops:
            return None

        def logged(lgpos: LGPOS | None) -> None:
            # In commit order, before the apply that carries it can be announced: the
            # announcement finds it here and gives it its apply epoch.
            with self._lock:
                trx.lgpos = lgpos
                trx.logged_bytes = trx.nbytes
                self._unapplied_bytes += trx.nbytes
                self._committed.append(trx)

        try:
            lgpos = self.committer.commit(trx.begin0, ops, logged)
        except JetError as exc:
            with self._lock:
                if self._committed and self._committed[-1] is trx:
                    self._committed.pop()
                    if trx.applied_epoch is None:
                        self._unapplied_bytes -= trx.logged_bytes
            self.on_fatal(exc.err)
            raise
        inst = self.instance
        with inst.lock:
            inst.trx_newest += 4
            trx.commit_id = inst.trx_newest
        return lgpos

    # -- rollback and end -----------------------------------------------------------------

    def _rollback_level(self, trx: Trx, level: int) -> None:
        """ESE ErrVERRollback: undo exactly ``level``'s versions and locks."""
        if len(trx.levels) < level:
            return
        keys = trx.levels.pop()
        trx.tree_drops = [d for d in trx.tree_drops if d[0] < level]
        for tree, key in keys:
            self._rollback_key(trx, tree, key, level)
        for tree, key in trx.locks.pop():
            with tree.lock:
                held = tree.locks.get(key)
                if held is not None and held.get(trx, (False, 0))[1] == level:
                    del held[trx]
                    if not held:
                        del tree.locks[key]

    def _rollback_key(self, trx: Trx, tree: Tree, key: bytes, level: int) -> None:
        """``_rollback_level`` for one key (a method: the compiled build has no
        ``continue`` inside ``with``)."""
        with tree.lock:
            chain = tree.chains.get(key)
            if not chain:
                return
            top = chain[-1]
            if top.trx is trx and top.level == level and top.delta is None and not (
                    trx.has_deltas and any(v.trx is trx and v.level == level
                                           for v in chain[:-1])):
                chain.pop()
                self._release(trx, top)
            else:
                gone = [v for v in chain if v.trx is trx and v.level == level]
                if not gone:
                    return
                chain[:] = [v for v in chain if v.trx is not trx or v.level != level]
                for v in gone:
                    self._release(trx, v)
            tree.gen += 1  # the writer's view changed (SnapshotReads.read_token)
            if not chain:
                del tree.chains[key]
                if key not in tree.overlay_refs:
                    tree.keys.discard(key)

    def _end(self, trx: Trx) -> None:
        """The level-0 end: release locks and file snapshots, then clean up."""
        if self._trx.get(trx.session.id) is trx:
            del self._trx[trx.session.id]
        while trx.locks:
            for tree, key in trx.locks.pop():
                with tree.lock:
                    held = tree.locks.get(key)
                    if held is not None:
                        held.pop(trx, None)
                        if not held:
                            del tree.locks[key]
        trx.levels.clear()
        for snap, _epoch in trx.snapshots.values():
            self._close_snapshot(snap)
        trx.snapshots.clear()
        self._inner.pop(id(trx), None)
        self._release_overlay(trx)
        self.cleanup()

    def close_session(self, session: Session) -> None:
        """Session end without rollback (dirty term): forget its transaction."""
        trx = self._trx.pop(session.id, None)
        if trx is not None:
            for snap, _epoch in trx.snapshots.values():
                self._close_snapshot(snap)
            trx.snapshots.clear()
            self._release_overlay(trx)
