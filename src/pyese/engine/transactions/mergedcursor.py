"""``MergedCursor``: a session's view of one tree, the file snapshot merged with versions.

The cursor every reader of an ordinary database walks (``SessionView.cursor``). Its
position is the current key; each step finds the next candidate in the file snapshot and
in the tree's sorted version keys (``Tree.keys``) and resolves it as a point read would
(``versions.read_versions``, then the file), skipping keys whose value is absent.

Invariants.

1. *Same answer as a point read.* For every key a step returns or skips, the value is the
   one ``VersionStore.get`` gives in the same snapshot.
2. *Inside a transaction* the file snapshot is the transaction's and fixed until it ends,
   so the file cursor of the last step stays valid: a next/prev in the same direction
   continues from it (``_fnode``: the file node at or past ``_key`` in direction
   ``_fwd``, None when the file ran out) instead of seeking again.
3. *At level 0* each step reads the latest committed state: inside a JET call on the
   call's file snapshot (``SnapshotReads.call_snapshot``, one LMDB read transaction per
   call, closed by the gate), outside the gate on one registered for that step only
   (``snapshots._open_snapshot``); either way versions applied after it opened are kept
   until it closes, so merging the versions gives the latest committed state. Within one
   snapshot a step continues from the file cursor as in invariant 2, also across calls:
   a call snapshot is kept for the session's next call while no apply finished
   (``snapshots`` invariant 4), so a JetMove per call steps from where the last one left
   the file cursor; any other snapshot is a different object and the step seeks.
4. *Nothing pending, no merge.* When the tree has no key in the version store
   (``tree.keys`` empty: no version, lock or overlay entry of anyone, committed or not;
   ``SnapshotReads.pending_versions``) the reader's file snapshot holds exactly what it
   must see (a version leaves only once every registered snapshot that could need it holds
   its change, ``reclaim``), so the step is the file cursor's step, with no merge. Checked
   at each step, after the snapshot is registered: a version added later is a change the
   step may linearise after.

Locks. None of its own; a cursor belongs to one session's thread. ``tree.lock`` is taken
only to bisect ``tree.keys`` (``_ver_seek``); chains are resolved from a copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pyese.engine.instance.session import TRX_MAX, Session
from pyese.engine.transactions.snapshots import SnapshotReads
from pyese.engine.transactions.versions import Database, Tree, Trx, read_versions
from pyese.storage import threadstats
from pyese.storage.threadstats import PAGE_REFERENCED


class MergedCursor:
    """A TreeCursor over a session's view of one tree: the database file's snapshot merged
    with the version store (own uncommitted changes, committed-not-applied changes,
    before-images of changes the snapshot must not see).

    The position is the current key; each move finds the next candidate in the file and in
    the version store's sorted keys and resolves it. Inside a transaction the view is the
    transaction's; at level 0 each move reads the latest committed state.
    """

    __slots__ = ("_vs", "_session", "_db", "_objid", "_key", "_fsnap", "_fcur", "_fnode",
                 "_fwd")

    def __init__(self, vs: SnapshotReads, session: Session, db: Database,
                 objid: int) -> None:
        self._vs = vs
        self._session = session
        self._db = db
        self._objid = objid
        self._key: bytes | None = None
        # Inside a transaction the file snapshot is fixed until the transaction ends, so
        # the file cursor of the last step stays valid: a next/prev in the same direction
        # continues from it instead of seeking again. ``_fnode`` is the file node the file
        # cursor is on (the first one at or past ``_key`` in direction ``_fwd``; None when
        # the file ran out); it is only used while ``_fsnap`` is the transaction's snapshot.
        self._fsnap: Any = None
        self._fcur: Any = None
        self._fnode: tuple[bytes, bytes] | None = None
        self._fwd = True

    @property
    def key(self) -> bytes | None:
        """The key of the node the last move returned (None: unpositioned)."""
        return self._key

    def _step(self, start: bytes | None, inclusive: bool, forward: bool
              ) -> tuple[bytes, bytes] | None:
        threadstats.charge(PAGE_REFERENCED)
        vs = self._vs
        s = self._session
        trx = vs._trx.get(s.id) if s.level else None
        if trx is not None:
            snap = vs._file_snapshot(trx, self._db)
            b = s.trx_begin0
        elif s.in_api:
            # Level 0 inside a JET call: the call's snapshot (invariant 3).
            snap = vs.call_snapshot(s, self._db)
            b = TRX_MAX
        else:
            # Level 0 outside the gate: a snapshot registered for this step only.
            self._fsnap = self._fcur = self._fnode = None
            snap = vs._open_snapshot(self._db)[0]
            try:
                fcur = snap.cursor(self._objid)
                fnode = self._file_seek(fcur, start, inclusive, forward)
                return self._merge(snap, fcur, fnode, None, TRX_MAX, start, inclusive,
                                   forward)
            finally:
                vs._close_snapshot(snap)
        if self._fsnap is snap:
            fcur = self._fcur  # one file cursor per snapshot: a seek repositions it
            if (not inclusive and start is not None and start == self._key
                    and forward == self._fwd):
                fnode = self._fnode
                if fnode is not None and fnode[0] == start:
                    fnode = fcur.next() if forward else fcur.prev()
            else:
                fnode = self._file_seek(fcur, start, inclusive, forward)
        else:
            fcur = snap.cursor(self._objid)
            fnode = self._file_seek(fcur, start, inclusive, forward)
        self._fsnap, self._fcur, self._fwd = snap, fcur, forward
        tree = vs._trees.get((self._db.dbnum, self._objid))
        if tree is None or not tree.keys:
            # Invariant 4: nothing pending in the tree, the file snapshot answers.
            self._key = None if fnode is None else fnode[0]
            self._fnode = fnode
            return fnode
        return self._merge(snap, fcur, fnode, trx, b, start, inclusive, forward)

    def _merge(self, snap: Any, fcur: Any, fnode: tuple[bytes, bytes] | None,
               trx: Trx | None, b: int, start: bytes | None, inclusive: bool,
               forward: bool) -> tuple[bytes, bytes] | None:
        """The first visible node from ``start``: the file cursor (on ``fnode``) merged
        with the version store's keys of the tree. Leaves the file cursor on the node
        returned (or the first file node past it) and records it in ``_fnode``."""
        tree = self._vs._trees.get((self._db.dbnum, self._objid))
        okey = self._ver_seek(tree, start, inclusive, forward)
        while fnode is not None or okey is not None:
            if okey is None or (fnode is not None and (
                    fnode[0] <= okey if forward else fnode[0] >= okey)):
                key = fnode[0]  # type: ignore[index]
            else:
                key = okey
            in_file = fnode is not None and fnode[0] == key
            found = False
            value: bytes | None = None
            if okey == key and tree is not None:
                found, value = read_versions(tree, key, trx, b)
            if not found:
                value = fnode[1] if in_file else snap.get(self._objid, key)  # type: ignore[index]
            if value is not None:
                self._key = key
                self._fnode = fnode
                return key, value
            if in_file:
                fnode = fcur.next() if forward else fcur.prev()
            if okey == key:
                okey = self._ver_seek(tree, key, False, forward)
        self._key = None
        self._fnode = None
        return None

    @staticmethod
    def _file_seek(fcur: Any, start: bytes | None, inclusive: bool, forward: bool
                   ) -> tuple[bytes, bytes] | None:
        if start is None:
            return fcur.first() if forward else fcur.last()
        if forward:
            node = fcur.seek_ge(start)
            if node is not None and not inclusive and node[0] == start:
                node = fcur.next()
            return node
        node = fcur.seek_le(start)
        if node is not None and not inclusive and node[0] == start:
            node = fcur.prev()
        return node

    @staticmethod
    def _ver_seek(tree: Tree | None, start: bytes | None, inclusive: bool, forward: bool
                  ) -> bytes | None:
        if tree is None or not tree.keys:
            return None  # no versions: no lock needed (the file snapshot answers)
        with tree.lock:
            keys = tree.keys
            if not keys:
                return None
            if forward:
                if start is None:
                    return keys[0]
                i = keys.bisect_left(start) if inclusive else keys.bisect_right(start)
                return keys[i] if i < len(keys) else None
            if start is None:
                return keys[-1]
            i = (keys.bisect_right(start) if inclusive else keys.bisect_left(start)) - 1
            return keys[i] if i >= 0 else None

    # TreeCursor protocol

    def first(self) -> tuple[bytes, bytes] | None:
        return self._step(None, True, True)

    def last(self) -> tuple[bytes, bytes] | None:
        return self._step(None, True, False)

    def seek_ge(self, key: bytes) -> tuple[bytes, bytes] | None:
        return self._step(bytes(key), True, True)

    def seek_le(self, key: bytes) -> tuple[bytes, bytes] | None:
        return self._step(bytes(key), True, False)

    def next(self) -> tuple[bytes, bytes] | None:
        if self._key is None:
            return None
        return self._step(self._key, False, True)

    def prev(self) -> tuple[bytes, bytes] | None:
        if self._key is None:
            return None
        return self._step(self._key, False, False)

    def __iter__(self) -> Iterator[tuple[bytes, bytes]]:
        node = self.first()
        while node is not None:
            yield node
            node = self.next()
