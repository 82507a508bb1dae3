"""Reclaim: dropping committed versions no reader needs (ESE's version-store cleanup).

ESE's cleanup walks the RCEs oldest first and removes a committed one once its commit is
older than the begin of the oldest transaction (``ver.hxx``, "Deferred cleanup"). pyese
keeps a version until its change is in the database file as well, so two passes exist:

- ``cleanup`` (after every apply and every level-0 end): drops the oldest committed
  transactions' versions, in commit order, while the drop is safe for everyone;
- ``reclaim`` (under memory pressure: past three quarters of JET_paramMaxVerPages, or a
  write that hit JET_errVersionStoreOutOfMemory): frees whole chains a long-running
  reader would otherwise keep, pinning in that reader's ``overlay`` the one value per key
  it still sees, and leaving tombstones (``conflicts``) for transactions that could still
  write it.

Invariants.

1. *Dropping* a committed transaction's versions (``_drop``, oldest transaction first)
   needs: (a) its apply is done (``applied_epoch <= _epoch``, ``applies``); (b) every
   session's b is greater than its commit id; (c) every open file snapshot holds that
   apply (its registered epoch >= ``applied_epoch``, ``snapshots``). Then every reader
   that could still look at the key finds the change in its file snapshot. Escrow deltas
   left at the head of a chain take the dropped image's after-image as their base.
2. *Reclaiming* a chain needs every version committed, applied and an image; then for
   each reader whose file snapshot does not hold exactly the versions it sees, the value
   it sees goes to its overlay first (one-step reads in flight block the key instead);
   a writer that began before the chain's newest commit gets a tombstone. The bytes of
   overlay entries are charged to the budget until the transaction ends
   (``_release_overlay``).
3. ``_committed`` is only shortened here (``cleanup`` from the front, ``reclaim`` by
   filtering), under ``_lock``.

Locks. ``_cleanup_lock`` lets one cleanup or reclaim run at a time; a cleanup that finds
it taken sets ``_cleanup_again`` so the running one goes round again, and an ending
reader's release is never missed. Under it: tree locks (one chain at a time), then
``_lock`` for the registries and byte counts; ``instance.lock`` for the session list in
``_oldest_begin0``. Never called with a tree lock held.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from pyese.engine.instance.session import TRX_MAX
from pyese.engine.transactions.conflicts import ConflictChecks
from pyese.engine.transactions.versions import Tree, Trx, _overlay_size
from pyese.storage.lgpos import LGPOS


class Reclaim(ConflictChecks):
    """Cleanup and reclaim of committed versions; see the module docstring."""

    def _init_state(self) -> None:
        super()._init_state()
        self._cleanup_lock = threading.Lock()
        self._cleanup_again = False
        self._reclaim_at = 0
        """``nbytes`` after the last reclaim pass (the next runs once it grew by a step)."""

    def on_applied(self, lgpos: LGPOS | None) -> None:
        """The announced apply is done: every record through ``lgpos`` is in the files.
        (A caller that did not announce it gets it announced now, without file positions.)
        Then drop what readers allow and wake the waiters (``catch_up``, the throttle)."""
        self._record_applied(lgpos)
        self.cleanup()
        with self._lock:
            self._applied_cond.notify_all()

    def catch_up(self, timeout: float | None = None) -> bool:
        """Wait (at most ``timeout`` seconds) until every committed transaction is in the
        database files (flushing the log), then drop the versions readers allow, after
        any cleanup under way. Returns False when nothing was waiting for the applier
        (commits without a log are applied at once). Called with no tree lock held (the
        applier's cleanup takes tree locks). Raises the applier's failure."""
        with self._lock:
            pending = [t.lgpos for t in self._committed
                       if (t.applied_epoch is None or t.applied_epoch > self._epoch)
                       and t.lgpos is not None]
        applier = getattr(self.committer, "applier", None)
        if pending and applier is not None:
            target = max(pending)
            self._flush(target)
            if not applier.wait_applied(target, timeout) and applier.failed is not None:
                raise applier.failed
            end = None if timeout is None else time.monotonic() + timeout
            with self._lock:  # until the applier's callback (and its cleanup) has run
                while self._applied < target and applier.failed is None:
                    if end is not None and time.monotonic() >= end:
                        break
                    self._applied_cond.wait(0.1)
        with self._cleanup_lock:  # a cleanup under way (the applier's) has finished
            pass
        self.cleanup()
        return bool(pending) and applier is not None

    def cleanup(self) -> None:
        """Drop committed versions no reader can need (module docstring, invariant 4);
        past three quarters of JET_paramMaxVerPages, also ``reclaim``."""
        if not self._committed and not self._tombstone_heap:
            return
        if not self._head_unapplied():
            self._cleanup_again = True
        while self._cleanup_again:
            # A call that finds another cleanup running leaves it the flag: the running
            # one goes round again, so an ending reader's release is never missed.
            if not self._cleanup_lock.acquire(blocking=False):
                return
            try:
                self._cleanup_again = False
                self._cleanup_pass()
            finally:
                self._cleanup_lock.release()
        high = self.max_bytes * 3 // 4
        if self.nbytes < high:
            self._reclaim_at = 0
        elif self.nbytes > max(high, self._reclaim_at + self.max_bytes // 8):
            self.reclaim()

    def _head_unapplied(self) -> bool:
        """Whether a cleanup pass would drop nothing because the oldest commit is not in
        the files yet (``_cleanup_pass`` drops in commit order) and no tombstone waits:
        every durable commit's case while the applier coalesces. Read without the lock: a
        racing apply runs its own cleanup after it (``on_applied``), so a stale answer
        only leaves the work to that cleanup."""
        if self._tombstone_heap:
            return False
        committed = self._committed
        if not committed:
            return True
        epoch = committed[0].applied_epoch
        return epoch is None or epoch > self._epoch

    def _cleanup_pass(self) -> None:
        oldest_b, oldest_rw = self._oldest_begin0()
        self._purge_tombstones(oldest_rw)
        while True:
            with self._lock:
                if not self._committed:
                    return
                trx = self._committed[0]
                min_snap = min((e[0] for e in self._snaps.values()), default=None)
                if (trx.applied_epoch is None or trx.applied_epoch > self._epoch
                        or trx.commit_id is None
                        or trx.commit_id >= oldest_b
                        or (min_snap is not None and min_snap < trx.applied_epoch)):
                    return
                self._committed.popleft()
            self._drop(trx)

    def _oldest_begin0(self) -> tuple[int, int]:
        """(the oldest b of any reader, the oldest b of a transaction that may write)."""
        inst = self.instance
        with inst.lock:
            sessions = list(inst.sessions.values())
        oldest = TRX_MAX
        for s in sessions:
            b = s.trx_begin0
            if b < oldest:
                oldest = b
        oldest_rw = TRX_MAX
        for trx in list(self._trx.values()) + list(self._inner.values()):
            b = trx.begin0
            if b < oldest:
                oldest = b
            if b < oldest_rw and not (trx.session.read_only and trx.session.level):
                oldest_rw = b
        return oldest, oldest_rw

    def reclaim(self) -> int:
        """Free the versions a long-running reader would otherwise keep; returns the bytes
        freed. Called under memory pressure (``cleanup``, and a write that hit
        JET_errVersionStoreOutOfMemory).

        ``cleanup`` keeps every committed version younger than the oldest open snapshot.
        Here a key's whole chain of committed, applied image versions goes when every open
        snapshot can read the key from its database file instead: the file snapshot holds
        exactly the versions the reader sees (its apply epochs against the versions'). A
        transaction whose snapshot cannot (it began while the versions it sees were not yet
        in the file) gets the value it sees in its ``overlay`` first: one value per key,
        where the chain had one version per write. A transaction that may still write and
        began before the newest commit of the chain keeps a *tombstone* (key, commit id),
        so its write still fails with JET_errWriteConflict; read-only transactions
        (JET_bitTransactionReadOnly) need none. A one-step read in flight blocks the key
        until it ends. Escrow deltas and uncommitted versions keep their chains.
        """
        freed = 0
        with self._cleanup_lock:
            with self._lock:
                committed = list(self._committed)
                snaps = list(self._snaps.values())
                applied = self._epoch
            readers = list(self._trx.values())
            _oldest, oldest_rw = self._oldest_begin0()
            finished: set[int] = set()
            for trx in committed:
                if (trx.applied_epoch is None or trx.applied_epoch > applied
                        or trx.commit_id is None):
                    break  # applies go in commit order: none later is applied either
                done = True
                for tree, key in list(trx.order):
                    got = self._reclaim_chain(tree, key, snaps, readers, oldest_rw,
                                              applied)
                    if got is None:
                        done = False
                    else:
                        freed += got
                if done:
                    finished.add(id(trx))
            if finished:
                with self._lock:
                    self._committed = deque(t for t in self._committed
                                            if id(t) not in finished)
            self._reclaim_at = self.nbytes
        return freed

    def _reclaim_chain(self, tree: Tree, key: bytes, snaps: list[tuple[int, int, int, int,
                       Trx | None]], readers: list[Trx], oldest_rw: int,
                       applied: int) -> int | None:
        """``reclaim`` for one key: bytes freed, or None when the chain must stay."""
        with tree.lock:
            chain = tree.chains.get(key)
            if not chain:
                return 0
            commits: list[int] = []
            applies: list[int] = []
            for v in chain:
                cid = v.trx.commit_id
                aep = v.trx.applied_epoch
                if (cid is None or aep is None or aep > applied or v.delta is not None
                        or v.escrow):
                    return None
                commits.append(cid)
                applies.append(aep)
            tk = (tree, key)
            pins: list[tuple[Trx, bytes | None]] = []
            for e_lo, e_hi, b, dbnum, rtrx in snaps:
                if dbnum != tree.dbnum or (rtrx is not None and rtrx.overlay is not None
                                           and tk in rtrx.overlay):
                    continue
                seen = sum(1 for c in commits if c < b)
                if seen == sum(1 for a in applies if a <= e_lo) == sum(
                        1 for a in applies if a <= e_hi):
                    continue  # its file snapshot holds exactly what it sees
                if rtrx is None:
                    return None  # a one-step read in flight
                pins.append((rtrx, chain[seen - 1].after if seen else chain[0].before))
            for rtrx in readers:
                if tree.dbnum in rtrx.snapshots or (rtrx.overlay is not None
                                                    and tk in rtrx.overlay):
                    continue
                # Its file snapshot, opened later, will hold every version of the chain.
                seen = sum(1 for c in commits if c < rtrx.begin0)
                if seen < len(chain):
                    pins.append((rtrx, chain[seen - 1].after if seen else chain[0].before))
            pinned_bytes = 0
            for rtrx, value in pins:
                if rtrx.overlay is None:
                    rtrx.overlay = {}
                if tk in rtrx.overlay:
                    continue
                rtrx.overlay[tk] = value
                tree.overlay_refs[key] = tree.overlay_refs.get(key, 0) + 1
                pinned_bytes += _overlay_size(key, value)
            if commits[-1] > oldest_rw:
                self._entomb(tree, key, commits[-1], read_lock=False)
            freed = 0
            for v in chain:
                freed += v.size
                self._release(v.trx, v)
            del tree.chains[key]
            if key not in tree.locks and key not in tree.overlay_refs:
                tree.keys.discard(key)
        with self._lock:
            self.nbytes += pinned_bytes
        return freed - pinned_bytes

    def _release_overlay(self, trx: Trx) -> None:
        """The transaction ended: forget the values reclaim pinned for it."""
        overlay = trx.overlay
        if not overlay:
            return
        trx.overlay = None
        freed = 0
        for (tree, key), value in overlay.items():
            freed += _overlay_size(key, value)
            with tree.lock:
                n = tree.overlay_refs.get(key, 0) - 1
                if n > 0:
                    tree.overlay_refs[key] = n
                else:
                    tree.overlay_refs.pop(key, None)
                    if key not in tree.chains and key not in tree.locks:
                        tree.keys.discard(key)
        with self._lock:
            self.nbytes -= freed

    def _drop(self, trx: Trx) -> None:
        """Drop the versions of ``trx``, a commit in the files that no reader needs any more
        (``_cleanup_pass``), from their chains."""
        for tree, key in trx.order:
            self._drop_key(trx, tree, key)

    def _drop_key(self, trx: Trx, tree: Tree, key: bytes) -> None:
        """``_drop`` for one key (a method: the compiled build has no ``continue`` inside
        ``with``)."""
        with tree.lock:
            chain = tree.chains.get(key)
            if not chain:
                return
            if chain[0].trx is trx and (len(chain) == 1 or chain[1].trx is not trx):
                v = chain.pop(0)
                self._release(trx, v)
                last = v
            else:
                mine = [v for v in chain if v.trx is trx]
                if not mine:
                    return
                chain[:] = [v for v in chain if v.trx is not trx]
                for v in mine:
                    self._release(trx, v)
                last = mine[-1]
            # Deltas now leading the chain read their base from the dropped image
            # (every reader's file snapshot holds it: invariant 4).
            for v in chain:
                if v.delta is None:
                    break
                v.before = last.after
            if not chain:
                del tree.chains[key]
                if key not in tree.locks and key not in tree.overlay_refs:
                    tree.keys.discard(key)
