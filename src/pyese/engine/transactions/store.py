"""The version store's core: its registries and its byte budget.

``StoreCore`` is the bottom of the version store (``versionstore``'s docstring has the
map). It owns what every other piece reads:

- the trees with versions (``_trees``: (dbnum, objid) -> ``Tree``, created on first write);
- the open level-0 transactions (``_trx``: session id -> ``Trx``) and the internal ones in
  flight (``_inner``: an update outside a transaction, a JET_bitEscrowNoRollback delta);
- the byte budget: ``nbytes`` (versions and overlay entries held) against ``max_bytes``
  (JET_paramMaxVerPages x 32 KiB).

Invariants.

1. *Budget.* ``nbytes`` is the sum of ``Version.size`` over every chain plus the overlay
   entries; a new version or a growing image is charged before it is linked
   (``_charge``, ``_resize``) and fails with JET_errVersionStoreOutOfMemory, changing
   nothing, when it would pass ``max_bytes`` (ESE ver.cxx ~574). Growth at commit time is
   never refused (a commit cannot fail for it).
2. *Trees are never replaced*: ``_tree`` creates a tree once under ``_lock``; only
   ``forget_database`` (detach) removes them.
3. ``_trx`` and ``_inner`` change on their session's thread (begin, end), or at a dirty
   term (``close_session``); other threads copy them (``list(...)``) before walking them.

Locks. ``_lock`` guards ``_trees`` (creation), ``nbytes`` and every registry the pieces
above add (apply epochs, open snapshots, the committed queue); it is the innermost lock of
the store, taken under a ``Tree.lock`` and never held across a call that takes one.
``instance.lock`` comes after it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from pyese.engine.transactions.versions import Committer, Database, Tree, Trx, Version
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.lgpos import LGPOS

if TYPE_CHECKING:
    from pyese.engine.instance.instance import Instance


class StoreCore:
    """Registries and byte budget of one instance's version store."""

    def __init__(self, instance: Instance, committer: Committer, *, max_bytes: int,
                 on_fatal: Callable[[int], None]) -> None:
        self.instance = instance
        self.committer = committer
        self.max_bytes = max_bytes
        self.on_fatal = on_fatal
        self._lock = threading.Lock()
        self._trees: dict[tuple[int, int], Tree] = {}
        self._trx: dict[int, Trx] = {}  # session id -> open level-0 transaction
        self._inner: dict[int, Trx] = {}
        """Internal level-0 transactions in flight (an update outside a transaction, a
        JET_bitEscrowNoRollback delta): id(trx) -> trx."""
        self.nbytes = 0
        self._init_state()

    def _init_state(self) -> None:
        """Create the state the layers above own: each extends this (calling ``super()``
        first) with the fields its module's docstring lists, so the constructor stays
        this one."""

    def _tree(self, db: Database, objid: int) -> Tree:
        k = (db.dbnum, objid)
        tree = self._trees.get(k)
        if tree is None:
            with self._lock:
                tree = self._trees.get(k)
                if tree is None:
                    tree = self._trees[k] = Tree(db, objid)
        return tree

    def _charge(self, size: int) -> None:
        with self._lock:
            if self.nbytes + size > self.max_bytes:
                # ESE: ver.cxx ~574; the transaction stays open and may roll back.
                self._out_of_memory()
            self.nbytes += size

    def _out_of_memory(self) -> None:
        """Raise JET_errVersionStoreOutOfMemory saying what to do about it."""
        raise_error(C.JET_errVersionStoreOutOfMemory,
                    f"{self.nbytes} of {self.max_bytes} bytes of versions in use: commit in "
                    f"smaller transactions, or raise JET_paramMaxVerPages (now "
                    f"{self.instance.params.max_ver_pages})")

    def _release(self, trx: Trx, v: Version) -> None:
        with self._lock:
            self.nbytes -= v.size
        trx.nbytes -= v.size
        v.size = 0

    def _resize(self, trx: Trx, v: Version, value: bytes | None, *,
                checked: bool = True) -> None:
        """Overwrite a version's after-image in place (same transaction, same level).
        ``checked`` False at commit time: no limit check (a commit cannot fail for it)."""
        delta = (len(value) if value is not None else 0) - (
            len(v.after) if v.after is not None else 0)
        with self._lock:
            if checked and delta > 0 and self.nbytes + delta > self.max_bytes:
                self._out_of_memory()
            self.nbytes += delta
        trx.nbytes += delta
        v.size += delta
        v.after = value

    def _flush(self, lgpos: LGPOS | None) -> None:
        try:
            self.committer.flush(lgpos)
        except JetError as exc:
            self.on_fatal(exc.err)
            raise
