"""Apply bookkeeping: which commits the database files hold, counted in apply epochs.

A committed version may be dropped only once its change is in the database file *and*
every reader that could still look at it would find it in its own file snapshot
(``reclaim``). The second half needs an exact answer to "does this file snapshot hold
this commit?". ``ApplyBookkeeping`` gives it by numbering applies.

- A commit joins ``_committed`` (oldest first) as it is logged, from the committer's
  ``logged`` callback, in commit order, under the applier's lock (``commit``).
- Every apply (the applier's batch, or a commit applied at once without a log) is
  announced before its first file commit (``on_applying``): it takes the next epoch
  (``_announced``), and every logged commit it carries gets that epoch as
  ``applied_epoch``; ``before`` records the applied position each file it writes holds
  just before it (``_apply_before``).
- When the apply is done (``on_applied``, in ``reclaim``), ``_epoch`` catches up with
  ``_announced`` (``_record_applied``).

Invariants.

1. *Epochs are exact.* ``_epoch <= _announced <= _epoch + 1``: one apply at a time is in
   flight. A commit's ``applied_epoch`` is set once, when the apply carrying it is
   announced, before any of that apply's file commits; the apply is done once
   ``applied_epoch <= _epoch``. A commit is in ``_committed`` before any apply that
   carries it can be announced (it joins under the applier's lock, from ``logged``), so
   the announcement always finds it.
2. *Unsure applies are remembered.* A file snapshot opened while an apply was in flight may
   or may not hold it; ``_apply_before`` keeps that apply's "file position before" until
   no snapshot that began opening at or before it is still opening (``_opening``,
   ``_forget_before``), so ``snapshots`` can decide by comparing positions (issue 12).
3. ``_unapplied_bytes`` is the sum of ``logged_bytes`` over the logged commits whose apply
   is not done: what the commit throttle (``commit._throttle``) watches.

Locks. Every field here is guarded by the store's ``_lock``; ``_applied_cond`` is a
condition on it, notified after each apply (``catch_up`` and the throttle wait on it).
"""

from __future__ import annotations

import threading
from collections import deque

from pyese.engine.transactions.store import StoreCore
from pyese.engine.transactions.versions import Trx
from pyese.storage.lgpos import LGPOS


class ApplyBookkeeping(StoreCore):
    """The committed queue and the apply epochs; see the module docstring."""

    def _init_state(self) -> None:
        super()._init_state()
        self._applied_cond = threading.Condition(self._lock)
        self._committed: deque[Trx] = deque()
        self._epoch = 0
        """Applies done: the files hold every apply of epoch <= this."""
        self._announced = 0
        """Applies announced (``on_applying``): at most one more than ``_epoch``."""
        self._apply_before: dict[int, dict[int, LGPOS]] = {}
        """epoch -> {dbnum: the applied position of the file just before that apply}, for
        the applies a snapshot being opened may or may not hold."""
        self._opening: dict[int, int] = {}
        """``_epoch`` when a file snapshot being opened started -> how many are opening."""
        self._applying: list[Trx] = []
        """The commits the announced apply carries (its epoch is ``_announced``)."""
        self._unapplied_bytes = 0
        """Bytes of versions of commits logged but not yet in the files (under _lock)."""
        self._applied = LGPOS(0, 0)

    def on_applying(self, before: dict[int, LGPOS], end: LGPOS | None) -> None:
        """The applier's (or a committer's that applies at once) announcement, before the
        first file commit of an apply: it carries every logged commit not yet announced
        through ``end`` (None: all of them); ``before`` maps each database it writes to
        the applied position its file holds now. Gives those commits the new epoch."""
        with self._lock:
            self._announced += 1
            epoch = self._announced
            self._apply_before[epoch] = dict(before)
            fresh: list[Trx] = []
            for trx in reversed(self._committed):  # the unannounced are the newest
                if trx.applied_epoch is not None:
                    break
                fresh.append(trx)
            for trx in reversed(fresh):
                if end is not None and trx.lgpos is not None and trx.lgpos > end:
                    break
                trx.applied_epoch = epoch
                self._applying.append(trx)

    def _record_applied(self, lgpos: LGPOS | None) -> None:
        """The announced apply is done (first half of ``on_applied``): the epoch catches
        up, its commits leave the unapplied count. (A caller that did not announce it gets
        it announced now, without file positions.)"""
        if self._announced == self._epoch:  # only the caller's thread announces
            self.on_applying({}, lgpos)
        with self._lock:
            self._epoch = self._announced
            for trx in self._applying:
                self._unapplied_bytes -= trx.logged_bytes
            self._applying.clear()
            if lgpos is not None:
                self._applied = lgpos
            self._forget_before()

    def _forget_before(self) -> None:
        """Drop the file positions of applies no opening snapshot can be unsure of
        (under _lock)."""
        keep = min(self._epoch, min(self._opening, default=self._epoch))
        for e in [e for e in self._apply_before if e <= keep]:
            del self._apply_before[e]
