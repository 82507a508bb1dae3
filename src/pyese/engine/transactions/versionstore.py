"""The version store (ESE's ``ver.cxx``): snapshot isolation, write conflicts, commit.

Every change a transaction makes to a tree of an attached database becomes a *version*
(ESE's RCE) in the chain of its key, here, in memory, until the change is both committed
and durable in the database file and no reader can still need its before-image.

Vocabulary::

    trx      one level-0 transaction of one session (``Trx``); its versions share it, so
             marking every version of a transaction committed is one assignment
    b        the reader's snapshot: ``session.trx_begin0`` (TRX_MAX outside a transaction)
    C        a commit id: ``instance.trx_newest += 4`` at the level-0 commit; a committed
             change is visible to b iff C < b (ESE ver.cxx ~3300, pib.hxx ~1252)

A version holds ``before`` (the value visible to its writer just before this change, None
for "absent") and ``after`` (None for a delete) and the level it was made at.

Invariants.

1. *Chains.* ``tree.chains[key]`` lists the versions of a key oldest first. At most one
   transaction has uncommitted versions in a chain, and they are its tail (a second writer
   gets JET_errWriteConflict at once: the newest version is uncommitted by another, or
   committed with C > the writer's b; ESE ver.hxx FActiveNotByMe). One transaction keeps at
   most one version per level per key; committing level L merges L into L - 1.
2. *Atomic visibility.* The commit id is drawn and written into ``trx.commit_id`` under the
   instance lock, where ``Instance.new_trx_begin0`` draws b: a reader's b is either before
   the whole transaction or after it. The log record is appended under the version store's
   ``commit_lock`` just before, so log order is commit order.
3. *Reading* with snapshot b, transaction T: T's newest own version wins; else walk the
   other versions oldest first and stop at the first one b must not see (uncommitted, or
   C >= b): its ``before`` is the answer (so it does not matter whether the file snapshot
   already holds that change); if b sees them all, the newest ``after``; with no versions,
   the database file's snapshot.
4. *Dropping* a committed version (oldest first, per transaction) needs: (a) the applier
   applied its log record (``on_applied``); (b) every session's b is greater than its C;
   (c) every file snapshot still open was opened after the apply (apply epochs). Then every
   reader that could still look at the key finds the change in its file snapshot.
5. *Apply epochs are exact.* Every apply (the applier's batch, or a commit applied at once
   without a log) is announced before its first file commit (``on_applying``): it takes
   the next epoch, and every logged commit it carries gets that epoch as
   ``applied_epoch``; ``on_applied`` marks it done (``_epoch``). A commit joins the
   ``_committed`` queue as it is logged, under the applier's lock (``logged``), so no
   batch can be announced without it. Each file snapshot is registered with the newest
   epoch its file holds: the applies done before it opened, plus those announced while it
   opened whose file commit it caught (its file's ``applied_lgpos`` is past the position
   the file held before that apply). So for any version, "is it in this reader's file
   snapshot" has one answer for the life of the snapshot, even while the applier sits
   between its file commits and ``on_applied`` (issue 12: a reader used to take the
   file's newer value there, and the version's before-image later).
6. *Room.* A level-0 commit waits (bounded) while versions of commits not yet in the
   files pass a quarter of JET_paramMaxVerPages (``_throttle``); a write over the limit
   waits for the applier and cleanup as long as they free something (``_with_room``)
   before JET_errVersionStoreOutOfMemory.
7. *Level-0 writes* are their own transaction (ESE opens an internal one, recupd.cxx ~1633).

Timeline of one key (b1 < C1 < b2)::

    session 1:  begin(b1) put(k,v1) ..... commit C1 .............................
    session 2:                  begin(b2=after C1) get(k) -> v1 (C1 < b2)
    session 3:  begin(b3 < C1) ...................................... get(k) -> before of C1
    applier:                                   on_applying; C1 -> file; on_applied
    cleanup:                                   drop C1 once b3's transaction ends and
                                               every snapshot older than the apply is closed

Locks. ``commit_lock``: log append + commit id (short: the fsync happens after it); the
applier's own lock is taken under it (the append), and ``_lock`` under that (``logged``).
``tree.lock``: mutations of one tree's chains and sorted key set (conflict check + append is
one step). Readers copy a chain (atomic under the GIL) and read it without a lock; cursors
take ``tree.lock`` only to bisect the sorted key set. ``_lock``: the registry of trees,
the committed queue, open snapshots, the apply epochs and the byte counts. Order:
commit_lock, (applier lock,) tree.lock, _lock, instance.lock.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sortedcontainers import SortedList

from pyese.engine.instance.session import TRX_MAX, Session
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.lgpos import LGPOS
from pyese.storage.ops import OP_DELETE, OP_DELETE_TREE, OP_PUT, Op

if TYPE_CHECKING:
    from pyese.engine.instance.instance import Instance

VERSION_OVERHEAD = 64
"""Bytes one version costs beyond its key and images (ESE's RCE header is of this order)."""
OPER_WRITE, OPER_DELTA, OPER_READ_LOCK = 0, 1, 2
"""Operation kinds for conflicts: only deltas with deltas and read locks with read locks
commute (ESE ver.cxx FVERIWriteConflict)."""
VER_PAGE_BYTES = 32 * 1024
TOMBSTONES_PER_TREE = 4096
"""Past this many tombstones a tree keeps only their newest commit id (``Tree.horizon``)."""
"""Bytes per JET_paramMaxVerPages unit (ESE: version-store buckets of 32 KiB on 64-bit)."""
THROTTLE_SECONDS = 30.0
"""Longest a level-0 commit waits for the applier when the versions of commits not yet in
the files pass a quarter of the version store (``VersionStore._throttle``)."""
ROOM_SECONDS = 30.0
"""Longest a write over budget waits for the applier and cleanup to free versions."""


class Database(Protocol):
    """What the version store needs of an attached database (engine.database.Database)."""

    dbnum: int
    read_only: bool

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
    """An uncommitted escrow delta (``engine.escrow.EscrowDelta``: ``apply(bytes) -> bytes``)
    instead of an image; ``before`` is then the base value for readers when no image
    version precedes it in the chain. Deltas of different transactions commute."""
    escrow: bool = False
    """An image version made from escrow deltas at commit: commutes with later deltas."""


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
        self.keys: SortedList = SortedList()
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
        for d in reversed(deltas):
            value = d.apply(value)
    return value


class VersionStore:
    """One instance's version store; see the module docstring.

    ``committer`` logs or applies commits; ``max_bytes`` bounds the bytes of versions
    (JET_paramMaxVerPages); ``on_fatal(err)`` makes the instance unavailable.
    """

    def __init__(self, instance: Instance, committer: Committer, *, max_bytes: int,
                 on_fatal: Callable[[int], None]) -> None:
        self.instance = instance
        self.committer = committer
        self.max_bytes = max_bytes
        self.on_fatal = on_fatal
        self.commit_lock = threading.Lock()
        self._lock = threading.Lock()
        self._cleanup_lock = threading.Lock()
        self._applied_cond = threading.Condition(self._lock)
        self._trees: dict[tuple[int, int], Tree] = {}
        self._trx: dict[int, Trx] = {}  # session id -> open level-0 transaction
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
        self.throttled = 0
        """Level-0 commits that waited for the applier (``_throttle``)."""
        self._applied = LGPOS(0, 0)
        self._snaps: dict[int, tuple[int, int, int, int, Trx | None]] = {}
        """Open file snapshots: id -> (the newest epoch surely in the snapshot, the newest
        epoch it may hold, the reader's b, dbnum, its transaction or None for a one-step
        read). The two are equal once ``_open_snapshot`` returned (its file holds exactly
        the applies up to it); while it opens, the second is TRX_MAX."""
        self._inner: dict[int, Trx] = {}
        """Internal level-0 transactions in flight (an update outside a transaction, a
        JET_bitEscrowNoRollback delta): id(trx) -> trx."""
        self._tombstone_heap: list[tuple[int, int, Tree, bytes | None, bool]] = []
        self._tombstone_seq = itertools.count()
        self.ntombstones = 0
        self._cleanup_again = False
        self._reclaim_at = 0
        """``nbytes`` after the last reclaim pass (the next runs once it grew by a step)."""
        self._snap_ids = itertools.count()
        self.nbytes = 0
        self.commit_hooks: list[Callable[[Session, list[Any]], None]] = []
        """Run after a session's level-0 commit that folded escrow deltas, with
        ``Trx.folded`` (engine.escrow: JET_bitColumnDeleteOnZero). Errors are ignored: the
        commit has happened."""

    # -- transactions (TransactionObserver) -----------------------------------------------

    def on_begin(self, session: Session, level: int) -> None:
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

    def _write(self, session: Session, db: Database, objid: int, key: bytes,
               value: bytes | None) -> None:
        self._with_room(lambda: self._write_once(session, db, objid, key, value))

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

    def _write_once(self, session: Session, db: Database, objid: int, key: bytes,
                    value: bytes | None) -> None:
        if session.level == 0:
            self._write_level0(session, db, objid, key, value)
            return
        if session.read_only:
            raise_error(C.JET_errTransReadOnly)  # ESE: pib.hxx ~1495
        if db.read_only:
            raise_error(C.JET_errPermissionDenied, "database attached read-only")
        trx = self._trx[session.id]
        self._add_version(trx, session.level, self._tree(db, objid), key, value)

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
                     value: bytes | None) -> None:
        size = VERSION_OVERHEAD + len(key)
        with tree.lock:
            chain = tree.chains.get(key)
            self._check_conflict(tree, chain, key, trx)
            if chain and chain[-1].trx is trx and chain[-1].delta is None:
                top = chain[-1]
                if top.level == level:
                    self._resize(trx, top, value)
                    return
                before = top.after
            elif chain and any(v.trx is trx and v.delta is None for v in chain):
                # own image below own deltas: the value this transaction sees
                before = _resolve(chain, trx, TRX_MAX)[1]
            else:
                # The latest committed value (own deltas excluded: other readers take
                # the first version they must not see's ``before``).
                found, before = _resolve(chain, None, TRX_MAX) if chain else (False, None)
                if not found:
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
        trx.levels[level - 1][tk] = None

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

    # -- reads ----------------------------------------------------------------------------

    def get(self, session: Session, db: Database, objid: int, key: bytes) -> bytes | None:
        """The value of ``key`` in the session's snapshot (None: absent)."""
        key = bytes(key)
        trx = self._trx.get(session.id) if session.level else None
        tree = self._trees.get((db.dbnum, objid))
        if tree is not None:
            chain = tree.chains.get(key)
            if chain:
                found, value = _resolve(chain[:], trx, session.trx_begin0,
                                        _pinned(trx, tree, key), _e_hi(trx, db.dbnum))
                if found:
                    return value
        if trx is not None:
            if tree is not None:
                return self._snapshot_value(trx, tree, key)
            return self._file_snapshot(trx, db).get(objid, key)
        snap = db.snapshot()
        try:
            return snap.get(objid, key)
        finally:
            snap.close()

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

    def cursor(self, session: Session, db: Database, objid: int) -> MergedCursor:
        """A TreeCursor over the session's snapshot of tree ``objid`` (file + versions)."""
        return MergedCursor(self, session, db, objid)

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
            with tree.lock:
                chain = tree.chains.get(key)
                if not chain:
                    continue
                mine = [v for v in chain if v.trx is trx]
                if not mine:
                    continue  # rolled back
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
                    self._resize_unchecked(trx, img, value)
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
        return ops

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

    def _flush(self, lgpos: LGPOS | None) -> None:
        try:
            self.committer.flush(lgpos)
        except JetError as exc:
            self.on_fatal(exc.err)
            raise

    # -- rollback -------------------------------------------------------------------------

    def _rollback_level(self, trx: Trx, level: int) -> None:
        """ESE ErrVERRollback: undo exactly ``level``'s versions and locks."""
        if len(trx.levels) < level:
            return
        keys = trx.levels.pop()
        trx.tree_drops = [d for d in trx.tree_drops if d[0] < level]
        for tree, key in keys:
            with tree.lock:
                chain = tree.chains.get(key)
                if not chain:
                    continue
                top = chain[-1]
                if top.trx is trx and top.level == level and top.delta is None and not (
                        trx.has_deltas and any(v.trx is trx and v.level == level
                                               for v in chain[:-1])):
                    chain.pop()
                    self._release(trx, top)
                else:
                    gone = [v for v in chain if v.trx is trx and v.level == level]
                    if not gone:
                        continue
                    chain[:] = [v for v in chain if v.trx is not trx or v.level != level]
                    for v in gone:
                        self._release(trx, v)
                if not chain:
                    del tree.chains[key]
                    if key not in tree.overlay_refs:
                        tree.keys.discard(key)
        for tree, key in trx.locks.pop():
            with tree.lock:
                held = tree.locks.get(key)
                if held is not None and held.get(trx, (False, 0))[1] == level:
                    del held[trx]
                    if not held:
                        del tree.locks[key]

    def _release(self, trx: Trx, v: Version) -> None:
        with self._lock:
            self.nbytes -= v.size
        trx.nbytes -= v.size
        v.size = 0

    def _resize(self, trx: Trx, v: Version, value: bytes | None) -> None:
        """Overwrite a version's after-image in place (same transaction, same level)."""
        delta = (len(value) if value is not None else 0) - (
            len(v.after) if v.after is not None else 0)
        with self._lock:
            if delta > 0 and self.nbytes + delta > self.max_bytes:
                self._out_of_memory()
            self.nbytes += delta
        trx.nbytes += delta
        v.size += delta
        v.after = value

    def _resize_unchecked(self, trx: Trx, v: Version, value: bytes | None) -> None:
        """``_resize`` at commit time: no limit check (a commit cannot fail for it)."""
        delta = (len(value) if value is not None else 0) - (
            len(v.after) if v.after is not None else 0)
        with self._lock:
            self.nbytes += delta
        trx.nbytes += delta
        v.size += delta
        v.after = value

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

    # -- file snapshots -------------------------------------------------------------------

    def _file_snapshot(self, trx: Trx, db: Database) -> Any:
        entry = trx.snapshots.get(db.dbnum)
        if entry is None:
            snap, e_hi = self._open_snapshot(db, trx)
            entry = trx.snapshots[db.dbnum] = (snap, e_hi)
        return entry[0]

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
        return snap, held

    def _opened(self, e_lo: int) -> None:
        """A snapshot that began opening at epoch ``e_lo`` is registered (under _lock)."""
        n = self._opening[e_lo] - 1
        if n:
            self._opening[e_lo] = n
        else:
            del self._opening[e_lo]
        self._forget_before()

    def _forget_before(self) -> None:
        """Drop the file positions of applies no opening snapshot can be unsure of
        (under _lock)."""
        keep = min(self._epoch, min(self._opening, default=self._epoch))
        for e in [e for e in self._apply_before if e <= keep]:
            del self._apply_before[e]

    def _close_snapshot(self, snap: Any) -> None:
        with self._lock:
            self._snaps.pop(getattr(snap, "_vs_id", -1), None)
        try:
            snap.close()
        except JetError:
            pass

    # -- cleanup --------------------------------------------------------------------------

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

    def on_applied(self, lgpos: LGPOS | None) -> None:
        """The announced apply is done: every record through ``lgpos`` is in the files.
        (A caller that did not announce it gets it announced now, without file positions.)"""
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
        self.cleanup()
        with self._lock:
            self._applied_cond.notify_all()

    def cleanup(self) -> None:
        """Drop committed versions no reader can need (module docstring, invariant 4);
        past three quarters of JET_paramMaxVerPages, also ``reclaim``."""
        if not self._committed and not self._tombstone_heap:
            return
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
                with tree.lock:
                    held = tree.locks.get(key)
                    entry = held.get(trx) if held else None
                    if entry is None:
                        continue
                    chain = tree.chains.get(key)
                    if chain and any(v.trx is trx for v in chain):
                        continue  # its own version conflicts already
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
        for tree, key in trx.order:
            with tree.lock:
                chain = tree.chains.get(key)
                if not chain:
                    continue
                if chain[0].trx is trx and (len(chain) == 1 or chain[1].trx is not trx):
                    v = chain.pop(0)
                    self._release(trx, v)
                    last = v
                else:
                    mine = [v for v in chain if v.trx is trx]
                    if not mine:
                        continue
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

    # -- trees and databases ---------------------------------------------------------------

    def _tree(self, db: Database, objid: int) -> Tree:
        k = (db.dbnum, objid)
        tree = self._trees.get(k)
        if tree is None:
            with self._lock:
                tree = self._trees.get(k)
                if tree is None:
                    tree = self._trees[k] = Tree(db, objid)
        return tree

    def has_uncommitted(self, dbnum: int) -> bool:
        """Does any open transaction hold a version or lock in database ``dbnum``?"""
        for trx in list(self._trx.values()):
            for tree, _key in list(trx.order):
                if tree.dbnum == dbnum:
                    return True
        return False

    def forget_database(self, dbnum: int) -> None:
        """Detach: every committed change of ``dbnum`` is in its file; drop its trees."""
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

    def close_session(self, session: Session) -> None:
        """Session end without rollback (dirty term): forget its transaction."""
        trx = self._trx.pop(session.id, None)
        if trx is not None:
            for snap, _epoch in trx.snapshots.values():
                self._close_snapshot(snap)
            trx.snapshots.clear()
            self._release_overlay(trx)

    def close_all_snapshots(self) -> None:
        for trx in list(self._trx.values()):
            for snap, _epoch in trx.snapshots.values():
                self._close_snapshot(snap)
            trx.snapshots.clear()


# -- merged cursors -------------------------------------------------------------------------


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

    def __init__(self, vs: VersionStore, session: Session, db: Database, objid: int) -> None:
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

    def _step(self, start: bytes | None, inclusive: bool, forward: bool
              ) -> tuple[bytes, bytes] | None:
        vs = self._vs
        s = self._session
        trx = vs._trx.get(s.id) if s.level else None
        if trx is None:
            # Level 0: the latest committed state, on a snapshot registered for this step
            # only (versions applied after it opened are kept until it closes).
            self._fsnap = self._fcur = self._fnode = None
            snap = vs._open_snapshot(self._db)[0]
            try:
                fcur = snap.cursor(self._objid)
                fnode = self._file_seek(fcur, start, inclusive, forward)
                return self._merge(snap, fcur, fnode, None, TRX_MAX, start, inclusive,
                                   forward)
            finally:
                vs._close_snapshot(snap)
        snap = vs._file_snapshot(trx, self._db)
        if (self._fsnap is snap and not inclusive and start is not None
                and start == self._key and forward == self._fwd):
            fcur = self._fcur
            fnode = self._fnode
            if fnode is not None and fnode[0] == start:
                fnode = fcur.next() if forward else fcur.prev()
        else:
            fcur = snap.cursor(self._objid)
            fnode = self._file_seek(fcur, start, inclusive, forward)
        self._fsnap, self._fcur, self._fwd = snap, fcur, forward
        return self._merge(snap, fcur, fnode, trx, s.trx_begin0, start, inclusive, forward)

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
                chain = tree.chains.get(key)
                if chain:
                    found, value = _resolve(chain[:], trx, b, _pinned(trx, tree, key),
                                            _e_hi(trx, self._db.dbnum))
                else:
                    pin = _pinned(trx, tree, key)
                    if pin is not _NO_PIN:
                        found, value = True, pin
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
