"""Versions and the rule that reads them (ESE's RCE and ``ver.cxx`` visibility).

Every change a transaction makes to a tree of an attached database becomes a *version*
(ESE's RCE) in the chain of its key, in memory, until the change is both committed and
durable in the database file and no reader can still need its before-image. This module
holds the data (``Trx``, ``Version``, ``Tree``) and the one rule every reader applies to
a chain (``_resolve``); the store that keeps them is built on it, one responsibility per
module (``versionstore``'s docstring has the map).

Vocabulary::

    trx      one level-0 transaction of one session (``Trx``); its versions share it, so
             marking every version of a transaction committed is one assignment
    b        the reader's snapshot: ``session.trx_begin0`` (TRX_MAX outside a transaction)
    C        a commit id: ``instance.trx_newest += 4`` at the level-0 commit; a committed
             change is visible to b iff C < b (ESE ver.cxx ~3300, pib.hxx ~1252)

A version holds ``before`` (the value visible to its writer just before this change, None
for "absent") and ``after`` (None for a delete) and the level it was made at; an escrow
version holds a ``delta`` instead of an image.

Invariants kept by every piece of the store.

1. *Chains.* ``tree.chains[key]`` lists the versions of a key oldest first. At most one
   transaction has uncommitted image versions in a chain, and they are its tail (a second
   writer gets JET_errWriteConflict at once, ``conflicts``). One transaction keeps at most
   one image version per level per key; committing level L merges L into L - 1.
2. *Reading* with snapshot b, transaction T (``_resolve``): T's newest own version wins;
   else walk the other versions oldest first and stop at the first one b must not see
   (uncommitted, or C >= b): its ``before`` is the answer (so it does not matter whether
   the file snapshot already holds that change); if b sees them all, the newest
   ``after``; with no versions (found False), the database file's snapshot. Escrow deltas
   of other transactions are never visible; the reader's own deltas apply on top.
3. ``tree.keys`` holds every key that has a chain, a lock or an overlay entry, so a cursor
   can find the next key with a version by bisecting it.

Locks. ``Tree.lock`` guards one tree's ``chains``, ``keys``, ``locks``, tombstones and
``overlay_refs``: a conflict check and the append it allows are one step under it. Readers
copy a chain (``chain[:]``, atomic under the GIL) and resolve the copy without the lock.
A ``Trx`` is changed only by its own session's thread, except ``commit_id``,
``applied_epoch`` and ``overlay``, which the store sets under its locks (``commit``,
``applies``, ``reclaim``).

Timeline of one key (b1 < C1 < b2)::

    session 1:  begin(b1) put(k,v1) ..... commit C1 .............................
    session 2:                  begin(b2=after C1) get(k) -> v1 (C1 < b2)
    session 3:  begin(b3 < C1) ...................................... get(k) -> before of C1
    applier:                                   on_applying; C1 -> file; on_applied
    cleanup:                                   drop C1 once b3's transaction ends and
                                               every snapshot older than the apply is closed
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sortedcontainers import SortedList

from pyese.engine.instance.session import Session
from pyese.storage.lgpos import LGPOS
from pyese.storage.ops import Op

VERSION_OVERHEAD = 64
"""Bytes one version costs beyond its key and images (ESE's RCE header is of this order)."""
OPER_WRITE, OPER_DELTA, OPER_READ_LOCK = 0, 1, 2
"""Operation kinds for conflicts: only deltas with deltas and read locks with read locks
commute (ESE ver.cxx FVERIWriteConflict)."""
VER_PAGE_BYTES = 32 * 1024
"""Bytes per JET_paramMaxVerPages unit (ESE: version-store buckets of 32 KiB on 64-bit)."""
TOMBSTONES_PER_TREE = 4096
"""Past this many tombstones a tree keeps only their newest commit id (``Tree.horizon``)."""
THROTTLE_SECONDS = 30.0
"""Longest a level-0 commit waits for the applier when the versions of commits not yet in
the files pass a quarter of the version store (``VersionStore._throttle``)."""
ROOM_SECONDS = 30.0
"""Longest a write over budget waits for the applier and cleanup to free versions."""


class Database(Protocol):
    """What the version store needs of an attached database (engine.instance.database.Database)."""

    dbnum: int
    read_only: bool
    size_max: int
    """Its maximum size in pages, 0 for none (``check_growth`` enforces it)."""

    def check_growth(self, vs: Any, nbytes: int) -> None:
        """JET_errOutOfDatabaseSpace for a write of about ``nbytes`` past ``size_max``."""
        ...

    def snapshot(self) -> Any:
        """A read snapshot of the file; for a database the engine writes, its
        ``applied_lgpos`` is the last applied position the snapshot holds."""
        ...


class Committer(Protocol):
    """Where commits go: the log (through the applier), or straight to the files."""

    def commit(self, trxid: int, ops_by_dbnum: dict[int, list[Op]],
               logged: Callable[[LGPOS | None], None]) -> LGPOS | None:
        """Log (or apply) a commit. ``logged(lgpos)`` must run once the commit has its
        place in the commit order and before any apply of it is announced
        (``VersionStore.on_applying``)."""
        ...

    def flush(self, lgpos: LGPOS | None) -> None: ...

    def new_generation(self) -> None: ...


@dataclass(eq=False)
class Trx:
    """One level-0 transaction of one session."""

    session: Session
    begin0: int
    commit_id: int | None = None
    lgpos: LGPOS | None = None
    order: dict[tuple[Tree, bytes], None] = field(default_factory=dict)
    """Every (tree, key) written, in first-touch order (the commit's op order)."""
    levels: list[dict[tuple[Tree, bytes], None]] = field(default_factory=list)
    """Per open level: the keys that have a version at that level."""
    locks: list[list[tuple[Tree, bytes]]] = field(default_factory=list)
    """Per open level: keys locked at that level (JetGetLock)."""
    snapshots: dict[int, tuple[Any, int]] = field(default_factory=dict)
    """dbnum -> (file snapshot, the newest apply epoch it holds), kept until the
    transaction ends."""
    nbytes: int = 0
    logged_bytes: int = 0
    """``nbytes`` when the commit was logged: counted in ``VersionStore._unapplied_bytes``
    until its apply is done."""
    has_deltas: bool = False
    """Escrow deltas were made: the commit turns them into images under commit_lock."""
    applied_epoch: int | None = None
    """The epoch of the apply that carries this commit to the files, set when that apply
    is announced (``VersionStore.on_applying``), before any of its file commits; the
    apply is done once ``applied_epoch <= VersionStore._epoch``."""
    overlay: dict[tuple[Tree, bytes], bytes | None] | None = None
    """(tree, key) -> the value this transaction's snapshot holds, for keys whose committed
    versions were reclaimed while its file snapshot could not show that value (see
    ``VersionStore.reclaim``)."""
    tree_drops: list[tuple[int, int, int]] = field(default_factory=list)
    """(level, dbnum, objid): trees to empty in the file when the level-0 commit applies
    (JetDeleteTable, JetDeleteIndex)."""
    undo: list[tuple[Any, ...]] | None = None
    """While a savepoint is open (``VersionStore.begin_savepoint``): each write since,
    oldest first, as (tree, key, version, appended, extra): an appended version (extra:
    its key was new at the version's level) or one overwritten in place (extra: the image
    it held)."""
    folded: list[tuple[Any, int, bytes, bytes | None, list[Any]]] = field(
        default_factory=list)
    """(db, objid, key, committed value, the deltas) of each key whose escrow deltas the
    level-0 commit folded; handed to ``VersionStore.commit_hooks`` after the commit."""


@dataclass(eq=False, slots=True)
class Version:
    trx: Trx
    level: int
    before: bytes | None
    after: bytes | None
    size: int = 0
    """Bytes charged to the version store for this version."""
    delta: Any = None
    """An uncommitted escrow delta (``engine.transactions.escrow.EscrowDelta``:
    ``apply(bytes) -> bytes``) instead of an image; ``before`` is then the base value for
    readers when no image version precedes it in the chain. Deltas of different
    transactions commute."""
    escrow: bool = False
    """An image version made from escrow deltas at commit: commutes with later deltas."""


class VersionKeys:
    """``Tree.keys``: the keys of a tree's chains, locks and overlay entries, sorted for
    ``MergedCursor`` to bisect; changed and read in order under ``Tree.lock``.

    A key added goes to a pending set and joins the sorted list only when the keys are
    next read in order (``bisect_left``, ``bisect_right``, an index, iteration): a key
    whose versions are cleaned up before any cursor looks (the common insert) costs a set
    add and a set discard instead of two sorted-list updates. Every ordered read merges
    first, so it sees exactly the keys added and not discarded; ``len`` and truth need no
    merge (the merge adds before it clears, so an unlocked emptiness test never sees the
    keys missing). A key added again while still pending counts once.
    """

    __slots__ = ("_sorted", "_pending")

    def __init__(self) -> None:
        self._sorted: SortedList = SortedList()
        self._pending: set[bytes] = set()

    def _merge(self) -> SortedList:
        pending = self._pending
        if pending:
            self._sorted.update(pending)
            pending.clear()
        return self._sorted

    def add(self, key: bytes) -> None:
        self._pending.add(key)

    def discard(self, key: bytes) -> None:
        if key in self._pending:
            self._pending.discard(key)
        else:
            self._sorted.discard(key)

    def __len__(self) -> int:
        return len(self._sorted) + len(self._pending)

    def __bool__(self) -> bool:
        return bool(self._pending) or bool(self._sorted)

    def __getitem__(self, i: int) -> bytes:
        key: bytes = self._merge()[i]
        return key

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._merge())

    def bisect_left(self, key: bytes) -> int:
        i: int = self._merge().bisect_left(key)
        return i

    def bisect_right(self, key: bytes) -> int:
        i: int = self._merge().bisect_right(key)
        return i


class Tree:
    """The versions of one tree (dbnum, objid): chains by key, keys in order, locks."""

    __slots__ = ("dbnum", "objid", "db", "lock", "chains", "keys", "locks", "gen",
                 "tombstones", "read_tombstones", "horizon", "overlay_refs")

    def __init__(self, db: Database, objid: int) -> None:
        self.dbnum = db.dbnum
        self.objid = objid
        self.db = db
        self.lock = threading.Lock()
        self.chains: dict[bytes, list[Version]] = {}
        self.keys = VersionKeys()
        self.locks: dict[bytes, dict[Trx, tuple[bool, int]]] = {}
        """key -> {trx: (write, level)} for JetGetLock."""
        self.gen = 0
        """Bumped by every new version: readers caching a decoded tree (the catalog) compare it."""
        self.tombstones: dict[bytes, int] = {}
        """key -> commit id of the newest reclaimed committed write: what a transaction
        that began before it must still conflict with (``VersionStore.reclaim``)."""
        self.read_tombstones: dict[bytes, int] = {}
        """key -> commit id of the newest committed read lock (JetGetLock) on a key no
        newer tombstone covers: it conflicts with any operation but a read lock."""
        self.horizon = 0
        """Tombstones folded into one commit id when they grew past TOMBSTONES_PER_TREE: a
        transaction that began before it conflicts on every key of the tree."""
        self.overlay_refs: dict[bytes, int] = {}
        """key -> how many transactions hold it in their overlay (kept in ``keys``)."""


def _visible(v: Version, b: int) -> bool:
    cid = v.trx.commit_id
    return cid is not None and cid < b


_NO_PIN: Any = object()
"""``_resolve``'s ``pinned`` when the reader's overlay does not hold the key."""


def _pinned(trx: Trx | None, tree: Tree, key: bytes) -> Any:
    """The reader's overlay value of ``key`` (``VersionStore.reclaim``), else _NO_PIN."""
    if trx is None or trx.overlay is None:
        return _NO_PIN
    return trx.overlay.get((tree, key), _NO_PIN)


def _overlay_size(key: bytes, value: bytes | None) -> int:
    """Bytes one overlay entry is charged to the version store."""
    return VERSION_OVERHEAD + len(key) + len(value or b"")


def _e_hi(trx: Trx | None, dbnum: int) -> int | None:
    """The newest apply epoch ``trx``'s open file snapshot of ``dbnum`` holds."""
    if trx is None:
        return None
    entry = trx.snapshots.get(dbnum)
    return None if entry is None else entry[1]


def _resolve(chain: list[Version], trx: Trx | None, b: int, pinned: Any = _NO_PIN,
             e_hi: int | None = None) -> tuple[bool, bytes | None]:
    """(found, value) of a chain for a reader; found False: read the file snapshot.

    Image versions resolve as in invariant 3. Escrow deltas (``v.delta``) of other
    transactions are never visible (a committed delta becomes an image version); the
    reader's own deltas newer than its newest own image are applied on top. ``pinned``
    (the reader's overlay value) replaces everything but the reader's own versions.
    ``e_hi`` (the newest apply epoch the reader's open file snapshot holds): when the
    reader sees no version of the chain and the oldest is surely not in its file
    snapshot, the file answers. That is the before-image everywhere but after
    ``VersionStore.reclaim`` dropped versions the reader does not see: the chain's
    oldest before-image then holds them, the reader's file snapshot does not.
    """
    # Fast path: a chain of other transactions' image versions is in commit order, so
    # walking it newest first, the first visible version is the answer.
    i = len(chain) - 1
    while i >= 0:
        v = chain[i]
        if v.delta is not None or v.escrow or v.trx is trx:
            break  # the general walk below
        cid = v.trx.commit_id
        if cid is not None and cid < b:
            if pinned is not _NO_PIN:
                return True, pinned
            if i == len(chain) - 1:
                return True, v.after
            return True, chain[i + 1].before  # the first version it must not see
        i -= 1
    own: list[Any] | None = None
    if trx is not None:
        for v in reversed(chain):
            if v.trx is trx:
                if v.delta is None:
                    return True, _apply_deltas(v.after, own)
                if own is None:
                    own = []
                own.append(v.delta)
    if pinned is not _NO_PIN:
        return True, _apply_deltas(pinned, own)
    last: Version | None = None
    base: Version | None = None
    for v in chain:
        if v.delta is not None:
            if last is None and base is None:
                base = v
            continue
        if v.trx is trx:
            continue
        if not _visible(v, b):
            if last is None and e_hi is not None and own is None:
                applied = v.trx.applied_epoch
                if applied is None or applied > e_hi:
                    return False, None
            return True, _apply_deltas(v.before, own)
        last = v
    if last is not None:
        return True, _apply_deltas(last.after, own)
    if base is not None:
        return True, _apply_deltas(base.before, own)
    return False, None


def _apply_deltas(value: bytes | None, deltas: list[Any] | None) -> bytes | None:
    """``value`` with escrow deltas (collected newest first) applied oldest first."""
    if deltas:
        for d in deltas[::-1]:  # not reversed(): mypyc 2.4 crashes on reversed(list[Any])
            value = d.apply(value)
    return value


def read_versions(tree: Tree, key: bytes, trx: Trx | None, b: int
                  ) -> tuple[bool, bytes | None]:
    """(found, value) of ``key`` in ``tree``'s versions for a reader (``trx``, ``b``): its
    chain resolved (a copy, without the tree lock) with the reader's overlay value and the
    apply epoch of its file snapshot; with no chain, its overlay value. found False: the
    reader's file snapshot answers."""
    chain = tree.chains.get(key)
    if chain:
        return _resolve(chain[:], trx, b, _pinned(trx, tree, key), _e_hi(trx, tree.dbnum))
    pin = _pinned(trx, tree, key)
    if pin is not _NO_PIN:
        return True, pin
    return False, None
