"""Cursors on tables (ESE's FUCB: ``fucb.hxx``; navigation in ``rec.cxx``, ``dir.cxx``).

A cursor belongs to one session and one table. It has a *current index* (the primary
index, or the table's record order by DBK when there is none, or a secondary index) and a
*currency* on that index:

=================  ==========================================================================
state              meaning
=================  ==========================================================================
``DEFERRED``       JetOpenTable / JetSetCurrentIndex: "move first" deferred until used
``BEFORE``         before the first entry (a backward move ran off the start)
``AFTER``          after the last entry (a forward move ran off the end)
``ON``             on an entry: ``node_key`` in the index tree, ``bookmark`` of the record
``VIRTUAL``        after a failed SeekEQ: ``virtual_key``; reads give NoCurrentRecord
=================  ==========================================================================

After a delete the cursor stays ``ON`` the deleted entry's position: reads find no record
(``JET_errRecordDeleted``) and moves continue from that key, as ESE's cursor keeps the
bookmark of a deleted node (digest §4).

Every read goes through the session's view of the database (``engine.transactions.view``): inside a
transaction its snapshot plus its own changes, outside the latest committed state.

Physical layout (pyese files): a table's records are the nodes of tree ``table.objid``
keyed by the primary key (or the 4-byte big-endian DBK); a secondary index is tree
``index.objid`` with nodes from ``ddl.index_node``. Genuine ``.edb`` files (read-only) use
ESE's own layout, where a non-unique secondary index's nodes repeat the key and hold the
bookmark as data; ``Cursor`` handles both through ``_IndexAccess``.

The handles (``JET_TABLEID``) live in ``CURSORS``: ``cursor_for(session, tableid)`` gives
``JET_errInvalidTableId`` for an unknown, closed or foreign handle (ESE
``ErrFUCBFromTableid``).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

from pyese.engine.cursors.tablescan import RecordView
from pyese.engine.instance.session import Session
from pyese.engine.records.indexentries import index_entries
from pyese.engine.records.keys import KeyBuilder, normalizer
from pyese.engine.records.longvalue import LongValueReader
from pyese.engine.schema.catalog import TableDef
from pyese.engine.schema.ddl import check_name, index_node, node_index_key, seek_node_key
from pyese.engine.schema.fcb import DatabaseCatalog, catalog_of
from pyese.engine.schema.sysobjects import CatalogIndex
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error

DEFERRED, BEFORE, AFTER, ON, VIRTUAL = "deferred", "before", "after", "on", "virtual"

_ids = itertools.count(0x1000)
_lock = threading.Lock()
CURSORS: dict[int, Cursor] = {}
"""tableid -> open cursor (every instance; handles are never reused)."""


class IndexRange:
    """An index range (JetSetIndexRange): the bound key, its kind."""

    __slots__ = ("key", "inclusive", "upper")

    def __init__(self, key: bytes, inclusive: bool, upper: bool) -> None:
        self.key = key
        self.inclusive = inclusive
        self.upper = upper

    def admits(self, key: bytes) -> bool:
        """Is index key ``key`` inside the range (ESE ErrFUCBCheckIndexRange)?"""
        if self.upper:
            return key < self.key or (self.inclusive and key == self.key)
        return key > self.key or (self.inclusive and key == self.key)


class Cursor:
    """One open table of one session (see the module docstring)."""

    def __init__(self, session: Session, db: Any, table: TableDef, grbit: int) -> None:
        self.session = session
        self.db = db
        self.dc: DatabaseCatalog = catalog_of(db)
        self.table = table
        self.grbit = grbit
        self.fcb = self.dc.fcb(table.objid)
        self.index: CatalogIndex | None = table.primary_index
        self.state = DEFERRED
        self.node_key: bytes | None = None
        self.bookmark: bytes | None = None
        self.virtual_key: bytes | None = None
        """VIRTUAL: the index key of the virtual position (ESE locOnSeekBM)."""
        self.key_builder = KeyBuilder()
        self.range: IndexRange | None = None
        level = session.level
        self._update: Any = None
        self._last_update: Any = None
        self.update_level = level
        """ESE levelPrep: the transaction level the prepared update was prepared at."""
        self.table_nav_level = level
        self.index_nav_level = level
        """ESE levelNavigate of the table's own FUCB and of the secondary index's FUCB: the
        level of the last navigation (open, move, seek, goto position)."""
        self.index_open_level = level
        """ESE levelOpen of the current secondary index's FUCB (set by JetSetCurrentIndex)."""
        self.table_bookmark: bytes | None = None
        """BEFORE on a secondary index after a rollback reset the index's FUCB: the record
        the table's FUCB is still on (reads and JetGetBookmark use it; moves do not)."""
        self.closed = False
        self.tableid = 0
        self.read_only = bool(grbit & C.JET_bitTableReadOnly) or bool(db.read_only)
        self.multi_itag = 1

    @property
    def update(self) -> Any:
        """The prepared update (engine.records.update.PreparedUpdate) or None."""
        return self._update

    @update.setter
    def update(self, value: Any) -> None:
        # A new prepared update takes the session's level; one put back (a failed
        # JetUpdate keeps its update prepared) keeps the level it was prepared at.
        if value is not None and value is not self._last_update:
            self.update_level = self.session.level
            self._last_update = value
        self._update = value

    # -- handles -------------------------------------------------------------------------

    def register(self) -> int:
        with _lock:
            self.tableid = next(_ids)
            CURSORS[self.tableid] = self
        with self.fcb.lock:
            self.fcb.cursors.add(self)
        closers = self.session.level_closers
        if closers:
            closers[-1].append(self.close)
        self.session.end_closers.append(self.close)
        self.session.rollback_listeners.append(self._after_rollback)
        self.session.commit_listeners.append(self._after_commit)
        return self.tableid

    def _navigated(self) -> None:
        """Mark a navigation at the session's level (ESE FUCBSetLevelNavigate in dir.cxx
        ErrDIRDown / ErrDIRNext / ErrDIRPrev / ErrDIRGotoPosition) on the FUCB that moves:
        the secondary index's when one is current, else the table's."""
        self.table_bookmark = None
        if self.on_secondary:
            self.index_nav_level = self.session.level
        else:
            self.table_nav_level = self.session.level

    def _after_commit(self) -> None:
        """A commit moves this cursor's level marks down to the new level (ESE dir.cxx
        ErrDIRCommitTransaction: levelOpen, levelPrep and levelNavigate)."""
        level = self.session.level
        self.update_level = min(self.update_level, level)
        self.table_nav_level = min(self.table_nav_level, level)
        self.index_nav_level = min(self.index_nav_level, level)
        self.index_open_level = min(self.index_open_level, level)

    def _after_rollback(self) -> None:
        """What a rolled back level does to this cursor (ESE tm.cxx ErrIsamRollback, then
        dir.cxx ErrDIRRollback), for the level just rolled back (session level + 1):

        - an update prepared at that level (or deeper) is cancelled;
        - a secondary index made current at that level is dropped: the cursor goes to
          the primary index (or DBK order), before the first record, with no key made and
          no range (ESE ErrRECSetCurrentIndex( NULL ));
        - a FUCB that navigated (moved, sought, went to a position) at that level is set
          before the first entry. On the primary index that is the cursor; on a secondary
          index only the index's FUCB is, so moves start from the first entry while reads
          still see the record the table's FUCB is on.

        A cursor positioned otherwise keeps its place, even on a record the rollback
        removed (reads then give JET_errRecordDeleted). Last, the table is re-read from
        the catalog, since the rollback may have undone DDL (an index created there).
        """
        if self.closed:
            return
        rolled = self.session.level + 1
        if self._update is not None and self.update_level >= rolled:
            self._update = None
        if self.on_secondary and self.index_open_level >= rolled:
            self.index = self.table.primary_index
            self.range = None
            self.key_builder.reset()
            self.park(BEFORE)
        elif self.on_secondary and self.index_nav_level >= rolled:
            kept = self.bookmark if self.state == ON else None
            self.park(BEFORE)
            self.table_bookmark = kept
        if self.index_nav_level >= rolled:
            self.index_nav_level = rolled - 1
        if self.table_nav_level >= rolled:
            self.table_nav_level = rolled - 1
            if self.on_secondary:
                self.table_bookmark = None
            else:
                self.park(BEFORE)
        vs = self.dc.vs
        if vs is None:
            return
        try:
            self.refresh_table()
        except JetError:
            pass

    def close(self) -> None:
        """JetCloseTable: forget the handle (a prepared update is cancelled)."""
        if self.closed:
            return
        self.closed = True
        self.update = None
        try:
            self.session.rollback_listeners.remove(self._after_rollback)
        except ValueError:
            pass
        try:
            self.session.commit_listeners.remove(self._after_commit)
        except ValueError:
            pass
        with _lock:
            CURSORS.pop(self.tableid, None)
        with self.fcb.lock:
            self.fcb.cursors.discard(self)
        for hook in CLOSE_HOOKS:
            hook(self)

    # -- schema refresh ------------------------------------------------------------------

    def refresh_table(self) -> None:
        """Re-read the table's definition from the catalog (after DDL through this cursor)."""
        table = self.dc.catalog(self.session).table_by_objid(self.table.objid)
        name = self.index.index.name if self.index is not None else None
        self.table = table
        if name is not None:
            try:
                self.index = table.index(name)
            except Exception:
                self.index = table.primary_index
        else:
            self.index = table.primary_index

    # -- views ---------------------------------------------------------------------------

    def view(self) -> Any:
        return self.dc.view(self.session)

    @property
    def on_secondary(self) -> bool:
        return self.index is not None and not self.index.index.is_primary

    def _tree(self) -> int:
        if self.on_secondary:
            return self.index.objid  # type: ignore[union-attr]
        return self.table.objid

    def entry_key(self, node_key: bytes) -> bytes:
        """The index key of a node of the current index."""
        if self.on_secondary:
            return node_index_key(self.index.index, node_key)  # type: ignore[union-attr]
        return node_key

    def _entry(self, node: tuple[bytes, bytes]) -> tuple[bytes, bytes]:
        """(node key, bookmark) of a node of the current index."""
        if self.on_secondary:
            return node[0], node[1]
        return node[0], node[0]

    # -- currency ------------------------------------------------------------------------

    def set_on(self, node_key: bytes, bookmark: bytes) -> None:
        self.table_bookmark = None
        self.state = ON
        self.node_key = node_key
        self.bookmark = bookmark
        self.virtual_key = None

    def park(self, state: str) -> None:
        self.table_bookmark = None
        self.state = state
        self.node_key = None
        self.bookmark = None
        self.virtual_key = None

    def park_virtual(self, key: bytes, node_key: bytes | None = None) -> None:
        """A virtual position at index key ``key`` (ESE locOnSeekBM): no current record;
        MoveNext goes to the first entry after the key, MovePrevious to the last before.
        With ``node_key`` (a whole secondary-index bookmark: key and primary bookmark) the
        position is that node's place instead."""
        self.park(VIRTUAL)
        self.virtual_key = key
        self.node_key = node_key

    def record_view(self) -> RecordView:
        """The current record: JET_errNoCurrentRecord off a record, JET_errRecordDeleted
        when it has gone (deleted by this session, or by a commit this view sees)."""
        self.resolve_deferred()
        bookmark = self.current_bookmark()
        view = self.view()
        data = view.get(self.table.objid, bookmark)
        if data is None:
            raise_error(C.JET_errRecordDeleted)
        return RecordView(self.table.layout, data,
                          LongValueReader(view, self.table.lv_objid), bookmark)

    def current_bookmark(self) -> bytes:
        """The primary bookmark the cursor is on, whether or not the record still exists
        (ESE dir.hxx ErrDIRGetBookmark only checks locOnCurBM): JET_errNoCurrentRecord
        off a record."""
        self.resolve_deferred()
        if self.state == ON and self.bookmark is not None:
            return self.bookmark
        if self.state == BEFORE and self.table_bookmark is not None:
            return self.table_bookmark
        raise_error(C.JET_errNoCurrentRecord)

    def require_entry(self, present: bool = False) -> None:
        """JET_errNoCurrentRecord unless the current index's FUCB is on an entry; with
        ``present`` also JET_errRecordDeleted when that entry has gone from the view (ESE
        dir.cxx ErrDIRGet on the index cursor, bt.cxx ErrBTGet): on a secondary index the
        entry goes when the record is deleted or its indexed columns change."""
        self.resolve_deferred()
        if self.state != ON or self.node_key is None:
            raise_error(C.JET_errNoCurrentRecord)
        if present and self.view().get(self._tree(), self.node_key) is None:
            raise_error(C.JET_errRecordDeleted)

    def resolve_deferred(self) -> None:
        """A deferred move-first becomes a position on the first entry. On an empty index
        the cursor stays deferred (ESE dir.cxx ErrDIRIIRefresh keeps locDeferMoveFirst), so
        a record inserted later is still found by the deferred move."""
        if self.state == DEFERRED:
            node = self.view().cursor(self._tree()).first()
            if node is not None:
                self.set_on(*self._entry(node))

    # -- ordered access in index-key terms ----------------------------------------------

    @property
    def _non_unique(self) -> bool:
        return self.on_secondary and not self.index.index.is_unique  # type: ignore[union-attr]

    def _skey(self, key: bytes) -> bytes:
        """The node key at which entries with index key >= ``key`` begin."""
        if self.on_secondary:
            return seek_node_key(self.index.index, key)  # type: ignore[union-attr]
        return key

    def _first_ge(self, cur: Any, key: bytes) -> tuple[bytes, bytes] | None:
        """The first entry whose index key is >= ``key`` (the first of equal keys)."""
        return cur.seek_ge(self._skey(key))  # type: ignore[no-any-return]

    def _first_gt(self, cur: Any, key: bytes) -> tuple[bytes, bytes] | None:
        """The first entry whose index key is > ``key``."""
        if self._non_unique:
            # every node with index key == key sorts below skey + 00 00 + (FF * more than
            # any bookmark); the next node has a greater index key (see ddl.index_node).
            return cur.seek_ge(self._skey(key) + _AFTER_BOOKMARKS)  # type: ignore[no-any-return]
        node = cur.seek_ge(key)
        if node is not None and node[0] == key:
            node = cur.next()
        return node  # type: ignore[no-any-return]

    def _last_lt(self, cur: Any, key: bytes) -> tuple[bytes, bytes] | None:
        """The last entry whose index key is < ``key``."""
        node = cur.seek_le(self._skey(key))
        if node is not None and not self._non_unique and node[0] == key:
            node = cur.prev()
        return node  # type: ignore[no-any-return]

    def _step(self, cur: Any, forward: bool, key_ne: bool) -> tuple[bytes, bytes] | None:
        """The entry a one-step move reaches from the current position (ESE dir.cxx
        ErrDIRNext / ErrDIRPrev), or None when the move leaves the index."""
        state = self.state
        if state == BEFORE:
            return cur.first() if forward else None  # type: ignore[no-any-return]
        if state == AFTER:
            return None if forward else cur.last()  # type: ignore[no-any-return]
        if state == VIRTUAL and self.node_key is None:
            key = self.virtual_key or b""
            if not forward:
                return self._last_lt(cur, key)
            # locOnSeekBM: the first node after (key, no bookmark): on a non-unique index
            # that is the first entry with an index key >= key.
            return self._first_ge(cur, key) if self._non_unique else self._first_gt(cur, key)
        assert self.node_key is not None
        start = self.node_key
        if key_ne:
            ikey = self.entry_key(start)
            return self._first_gt(cur, ikey) if forward else self._last_lt(cur, ikey)
        if forward:
            node = cur.seek_ge(start)
            if node is not None and node[0] == start:
                node = cur.next()
            return node  # type: ignore[no-any-return]
        node = cur.seek_le(start)
        if node is not None and node[0] == start:
            node = cur.prev()
        return node  # type: ignore[no-any-return]

    # -- moves (ESE rec.cxx ErrIsamMove) -------------------------------------------------

    def move(self, crow: int, grbit: int = 0) -> None:
        """JetMove: First, Last, Next, Previous or +/- n entries.

        Cancels a prepared update. JET_errNoCurrentRecord when the move leaves the index:
        a forward move (and MoveLast) then parks the cursor after the last entry, a
        backward move (and MoveFirst, which is negative as a LONG) before the first.
        First and Last remove the index range. A step that leaves the range (checked on
        forward steps against an upper range, on backward steps against a lower one, as
        ESE dir.cxx does) removes it, parks the cursor and gives JET_errNoCurrentRecord.
        crow 0 checks the current entry (JET_errNoCurrentRecord, JET_errRecordDeleted).
        JET_bitMoveKeyNE skips the entries that have the key of the one stepped from.
        """
        self.update = None
        if crow != 0:
            self._navigated()
        if crow == C.JET_MoveFirst or crow == C.JET_MoveLast:
            self.range = None
            cur = self.view().cursor(self._tree())
            first = crow == C.JET_MoveFirst
            node = cur.first() if first else cur.last()
            if node is None:
                self.park(BEFORE if first else AFTER)
                raise_error(C.JET_errNoCurrentRecord)
            self.set_on(*self._entry(node))
            return
        if crow == 0:
            # On the primary index the entry is the record: record_view checks it.
            self.require_entry(present=self.on_secondary)
            self.record_view()
            return
        forward = crow > 0
        key_ne = bool(grbit & C.JET_bitMoveKeyNE)
        cur = self.view().cursor(self._tree())
        self.resolve_deferred()
        if self.state == DEFERRED:  # still deferred: the index is empty
            self.park(AFTER if forward else BEFORE)
            raise_error(C.JET_errNoCurrentRecord)
        for _ in range(abs(crow)):
            node = self._step(cur, forward, key_ne)
            if node is None:
                self.park(AFTER if forward else BEFORE)
                raise_error(C.JET_errNoCurrentRecord)
            nk, bm = self._entry(node)
            self.set_on(nk, bm)
            rng = self.range
            if rng is not None and rng.upper == forward and not rng.admits(self.entry_key(nk)):
                self.range = None
                self.park(AFTER if rng.upper else BEFORE)
                raise_error(C.JET_errNoCurrentRecord)

    # -- seeks (ESE rec.cxx ErrIsamSeek) --------------------------------------------------

    def seek(self, grbit: int) -> int:
        """JetSeek with the key made by JetMakeKey; returns 0, JET_wrnSeekNotEqual or
        JET_wrnUniqueKey.

        Checks, in ESE's order: JET_errInvalidParameter when no EQ/LT/LE/GE/GT bit is
        given, JET_errKeyNotMade. More than one of them gives JET_errInvalidGrbit (ESE only
        asserts on that). Then a prepared update is cancelled, the index range removed,
        and the key consumed whatever the outcome. Keys compare byte-wise and whole, so a
        partial or limit key never matches EQ.

        - EQ: the first entry with the key; else JET_errRecordNotFound with the cursor on
          a virtual position at the key (MoveNext / MovePrevious go to the entries after /
          before it). With JET_bitSetIndexRange an inclusive upper range on the key is set;
          with JET_bitCheckUniqueness JET_wrnUniqueKey says no other entry has the key.
        - GE: the first entry >= key (JET_wrnSeekNotEqual if not equal); LE: the first
          entry with the key, else the last entry < key with JET_wrnSeekNotEqual.
        - GT: the first entry > key; LT: the last entry < key (no warning). On a
          non-unique index, a GT key that names every key column and is shorter than
          cbKeyMost + 1 is sought as key + FF, as ESE does.
        - No such entry: JET_errRecordNotFound, the cursor after the last entry (GE, GT)
          or before the first (LE, LT), or virtual at the key when the index is empty.
        """
        relation = grbit & _SEEK_ALL
        if relation == 0:
            raise_error(C.JET_errInvalidParameter, "JetSeek needs a seek grbit")
        if not self.key_builder.is_prepared:
            raise_error(C.JET_errKeyNotMade)
        if relation not in _SEEK_BITS:
            raise_error(C.JET_errInvalidGrbit, f"more than one seek relation in {grbit:#x}")
        key = self.key_builder.key
        columns = self.key_builder.columns
        self.key_builder.reset()
        self.update = None
        self.range = None
        self._navigated()
        cur = self.view().cursor(self._tree())
        if relation == C.JET_bitSeekGT and self._non_unique:
            kn = normalizer(self.index.index)  # type: ignore[union-attr]
            if len(key) < kn.cb_key_most + 1 and columns == len(kn.segments):
                key = key + b"\xff"
        warning = 0
        node: tuple[bytes, bytes] | None
        if relation == C.JET_bitSeekEQ:
            node = self._first_ge(cur, key)
            if node is not None and self.entry_key(node[0]) != key:
                node = None
        elif relation == C.JET_bitSeekGE:
            node = self._first_ge(cur, key)
            if node is not None and self.entry_key(node[0]) != key:
                warning = C.JET_wrnSeekNotEqual
        elif relation == C.JET_bitSeekGT:
            node = self._first_gt(cur, key)
        elif relation == C.JET_bitSeekLE:
            node = self._first_ge(cur, key)
            if node is None or self.entry_key(node[0]) != key:
                node = self._last_lt(cur, key)
                warning = C.JET_wrnSeekNotEqual
        else:
            node = self._last_lt(cur, key)
        if node is None:
            if relation == C.JET_bitSeekEQ or cur.first() is None:
                self.park_virtual(key)
            elif relation in (C.JET_bitSeekGE, C.JET_bitSeekGT):
                self.park(AFTER)
            else:
                self.park(BEFORE)
            raise_error(C.JET_errRecordNotFound)
        self.set_on(*self._entry(node))
        if relation == C.JET_bitSeekEQ:
            if grbit & C.JET_bitCheckUniqueness:
                following = cur.seek_ge(node[0])
                following = cur.next() if following is not None else None
                if following is None or self.entry_key(following[0]) != key:
                    return C.JET_wrnUniqueKey
            if grbit & C.JET_bitSetIndexRange:
                self.range = IndexRange(key, True, True)
        return warning

    # -- index ranges (ESE rec.cxx ErrIsamSetIndexRange, dir.cxx ErrDIRCheckIndexRange) ---

    def set_index_range(self, grbit: int) -> None:
        """JetSetIndexRange.

        JET_bitRangeRemove drops the range (JET_errInvalidOperation without one).
        Otherwise: JET_errNoCurrentIndex on a table without a primary index (DBK order),
        JET_errKeyNotMade; the made key becomes the bound (upper with
        JET_bitRangeUpperLimit, inclusive with JET_bitRangeInclusive) and is consumed.
        The current entry (or the virtual seek position) is checked at once: outside the
        range the range is removed, the cursor parked after the last entry (upper) or
        before the first (lower) and JET_errNoCurrentRecord raised; with no current entry
        at all JET_errNoCurrentRecord is raised and the range kept, as ESE does.
        JET_bitRangeInstantDuration removes the range after the check.
        """
        if grbit & C.JET_bitRangeRemove:
            if self.range is None:
                raise_error(C.JET_errInvalidOperation, "no index range to remove")
            self.range = None
            return
        if self.index is None:
            raise_error(C.JET_errNoCurrentIndex)
        if not self.key_builder.is_prepared:
            raise_error(C.JET_errKeyNotMade)
        rng = IndexRange(self.key_builder.key, bool(grbit & C.JET_bitRangeInclusive),
                         bool(grbit & C.JET_bitRangeUpperLimit))
        self.range = rng
        try:
            self.resolve_deferred()
            if self.state == ON:
                assert self.node_key is not None
                current = self.entry_key(self.node_key)
            elif self.state == VIRTUAL:
                current = self.virtual_key or b""
            else:
                raise_error(C.JET_errNoCurrentRecord)
            if not rng.admits(current):
                self.range = None
                self.park(AFTER if rng.upper else BEFORE)
                raise_error(C.JET_errNoCurrentRecord)
        finally:
            self.key_builder.reset()
            if grbit & C.JET_bitRangeInstantDuration:
                self.range = None

    def index_record_count(self, limit: int) -> int:
        """JetIndexRecordCount (ESE rec.cxx ErrIsamIndexRecordCount, dir.cxx
        ErrDIRIndexRecordCount): the entries from the current one (inclusive) onwards, to
        the end of the index or of an upper index range, at most ``limit`` when it is not
        0, as this session's view sees them.

        A deferred move-first on an empty index counts 0. Off an entry (before the first,
        after the last, virtual) JET_errNoCurrentRecord; on an entry that has gone
        (deleted) JET_errRecordDeleted; both keep the range. On success the position is
        kept and the range removed.
        """
        self.resolve_deferred()
        if self.state == DEFERRED:
            return 0
        self.require_entry(present=True)
        assert self.node_key is not None
        view = self.view()
        rng = self.range
        cur = view.cursor(self._tree())
        node = cur.seek_ge(self.node_key)
        n = 0
        while node is not None:
            if n and rng is not None and rng.upper and not rng.admits(self.entry_key(node[0])):
                break
            n += 1
            if n == limit:
                break
            node = cur.next()
        self.range = None
        return n

    # -- positions (ESE rec.cxx ErrIsamGetRecordPosition / ErrIsamGotoPosition) ----------

    def record_position(self) -> tuple[int, int]:
        """(entries before the current one, entries in the index): exact counts where ESE
        estimates them from the B-tree. JET_errNoCurrentRecord off an entry."""
        self.resolve_deferred()
        if self.state != ON or self.node_key is None:
            raise_error(C.JET_errNoCurrentRecord)
        cur = self.view().cursor(self._tree())
        lt = total = 0
        node = cur.first()
        while node is not None:
            if node[0] < self.node_key:  # type: ignore[operator]
                lt += 1
            total += 1
            node = cur.next()
        return lt, total

    def goto_position(self, lt: int, total: int) -> None:
        """JetGotoPosition: the entry at fraction lt/total of the index. Cancels a
        prepared update, removes the range, resets the key. JET_errInvalidParameter when
        lt > total; JET_errRecordNotFound on an empty index (parked before the first)."""
        if lt > total or lt < 0 or total < 0:
            raise_error(C.JET_errInvalidParameter, "centriesLT > centriesTotal")
        self.update = None
        self.range = None
        self.key_builder.reset()
        self._navigated()
        cur = self.view().cursor(self._tree())
        nodes = []
        node = cur.first()
        while node is not None:
            nodes.append(node)
            node = cur.next()
        if not nodes:
            self.park(BEFORE)
            raise_error(C.JET_errRecordNotFound)
        i = (lt * len(nodes)) // total if total else 0
        self.set_on(*self._entry(nodes[min(i, len(nodes) - 1)]))

    # -- index selection -----------------------------------------------------------------

    def set_current_index(self, name: str | None, grbit: int = C.JET_bitMoveFirst,
                          itag: int = 1) -> None:
        """JetSetCurrentIndex: None or "" is the primary index (or DBK order);
        JET_errIndexNotFound. MoveFirst cancels a prepared update and defers a move to the
        first entry (also when the index is already current). NoMove keeps the current
        record (JET_errNoCurrentRecord if none) and goes to its entry chosen by ``itag``
        (see goto_bookmark)."""
        if grbit & C.JET_bitNoMove:
            self.resolve_deferred()
            bm = self.bookmark if self.state == ON else None
            if bm is None:
                raise_error(C.JET_errNoCurrentRecord)
            ix = self.table.index(name) if name else self.table.primary_index
            self._switch_index(ix)
            self.range = None
            self.key_builder.reset()
            self.goto_bookmark(bm, max(1, itag))  # type: ignore[arg-type]
            return
        ix = self.table.index(name) if name else self.table.primary_index
        self.update = None
        self._switch_index(ix)
        self.range = None
        self.key_builder.reset()
        self.park(DEFERRED)

    def _switch_index(self, ix: CatalogIndex | None) -> None:
        """Make ``ix`` current. A secondary index other than the current one gets a fresh
        FUCB opened at the session's level (ESE rec.cxx ErrRECSetCurrentIndex: levelOpen
        and DIRInitOpenedCursor's levelNavigate); the same index keeps its FUCB."""
        same = (ix is not None and self.index is not None
                and ix.index.name == self.index.index.name)
        if ix is not None and not ix.index.is_primary and not same:
            self.index_open_level = self.session.level
            self.index_nav_level = self.session.level
        self.index = ix

    def goto_bookmark(self, bookmark: bytes, itag: int = 1) -> None:
        """JetGotoBookmark (ESE rec.cxx ErrRECIGotoBookmark): the record's entry in the
        current index (on a secondary index the entry made from multi-value ``itag``).
        Reaching an entry of a secondary index is a navigation of the index (a rollback
        of the level resets it); on the primary index it is not.

        JET_errInvalidBookmark (empty), then a prepared update is cancelled, the range
        removed and the key reset; JET_errRecordDeleted (no such record),
        JET_errNoCurrentRecord when the record is not in the current secondary index (the
        cursor is then before the first entry), JET_errBadItagSequence when ``itag`` is
        beyond the record's values.
        """
        bookmark = bytes(bookmark or b"")
        if not bookmark:
            raise_error(C.JET_errInvalidBookmark)
        self.update = None
        self.range = None
        self.key_builder.reset()
        view = self.view()
        data = view.get(self.table.objid, bookmark)
        if data is None:
            raise_error(C.JET_errRecordDeleted)
        if not self.on_secondary:
            self.set_on(bookmark, bookmark)
            return
        ix = self.index
        assert ix is not None
        rec = RecordView(self.table.layout, data, LongValueReader(view, self.table.lv_objid),
                         bookmark)
        entries = index_entries(ix.index, rec.values)
        chosen = None
        for e in entries:
            if itag in e.itags:
                chosen = e
                break
        if chosen is None:
            if entries and itag > 1:
                raise_error(C.JET_errBadItagSequence)
            if itag == 1 and entries:
                chosen = entries[0]
        if chosen is None:
            self.park(BEFORE)
            raise_error(C.JET_errNoCurrentRecord)
        # ESE dir.cxx ErrDIRDownKeyData marks the index's FUCB navigated at this level
        # (FUCBSetLevelNavigate); the table's FUCB went there by ErrDIRGotoJetBookmark,
        # which does not, nor does a goto on the primary index.
        self._navigated()
        self.set_on(index_node(ix.index, chosen.key, bookmark)[0], bookmark)

    def goto_index_bookmark(self, key: bytes, bookmark: bytes, grbit: int) -> None:
        """JetGotoSecondaryIndexBookmark (ESE rec.cxx ErrIsamGotoIndexBookmark).

        JET_errNoCurrentIndex on the primary index; JET_errInvalidBookmark for an empty
        secondary key, or an empty primary bookmark on a non-unique index. Cancels a
        prepared update, removes the range, resets the key. JET_errRecordDeleted when the
        entry is gone (or, on a unique index, holds another record than a given primary
        bookmark); with JET_bitBookmarkPermitVirtualCurrency the cursor is then left on a
        virtual position at the entry, so moves continue from there.
        """
        if not self.on_secondary:
            raise_error(C.JET_errNoCurrentIndex)
        ix = self.index.index  # type: ignore[union-attr]
        if not key:
            raise_error(C.JET_errInvalidBookmark)
        if not ix.is_unique and not bookmark:
            raise_error(C.JET_errInvalidBookmark)
        self.update = None
        self.range = None
        self.key_builder.reset()
        node_key = index_node(ix, key, bookmark)[0]
        found = self.view().get(self._tree(), node_key)
        if found is None:
            if grbit & C.JET_bitBookmarkPermitVirtualCurrency:
                self.park_virtual(key, node_key)
            raise_error(C.JET_errRecordDeleted)
        record_bm = found
        if ix.is_unique and bookmark and record_bm != bookmark:
            self.set_on(node_key, record_bm)
            raise_error(C.JET_errRecordDeleted)
        self.set_on(node_key, record_bm)

    # -- intersection (ESE rec.cxx ErrIsamIntersectIndexes) ------------------------------

    def bookmarks_to_end(self) -> list[bytes]:
        """The primary bookmarks of the entries from the current one to the end of the
        index or of an upper index range (ESE ErrRECIInsertBookmarksIntoSort).
        JET_errNoCurrentRecord when not on an entry."""
        self.resolve_deferred()
        if self.state != ON or self.node_key is None:
            raise_error(C.JET_errNoCurrentRecord)
        cur = self.view().cursor(self._tree())
        out: list[bytes] = []
        node = cur.seek_ge(self.node_key)
        rng = self.range
        while node is not None:
            if rng is not None and rng.upper and not rng.admits(self.entry_key(node[0])):
                break
            out.append(self._entry(node)[1])
            node = cur.next()
        return out


_SEEK_BITS = (C.JET_bitSeekEQ, C.JET_bitSeekLT, C.JET_bitSeekLE, C.JET_bitSeekGE,
              C.JET_bitSeekGT)
_SEEK_ALL = C.JET_bitSeekEQ | C.JET_bitSeekLT | C.JET_bitSeekLE | C.JET_bitSeekGE | C.JET_bitSeekGT
_AFTER_BOOKMARKS = b"\x00\x00" + b"\xff" * (C.JET_cbBookmarkMost + 2)


CLOSE_HOOKS: list[Callable[[Cursor], None]] = []
"""Run when a cursor closes (engine.cursors.callbacks frees its local storage here)."""


def cursor_for(session: Session, tableid: object) -> Cursor:
    """The open cursor ``tableid`` of ``session``; JET_errInvalidTableId otherwise."""
    value = tableid.value if hasattr(tableid, "value") else tableid
    if isinstance(value, bool) or not isinstance(value, int):
        raise_error(C.JET_errInvalidTableId)
    cur = CURSORS.get(value)  # type: ignore[arg-type]
    if cur is None or cur.session is not session or cur.closed:
        raise_error(C.JET_errInvalidTableId)
    return cur  # type: ignore[return-value]


def open_cursor(session: Session, db: Any, name: str, grbit: int) -> Cursor:
    """JetOpenTable: a cursor on the named table, deferred to its first record.

    JET_errObjectNotFound (no such table in the session's view), JET_errTableLocked (a
    cursor of another session has it DenyRead, or DenyWrite when opening for write... as
    ESE: DenyRead excludes every other cursor, DenyWrite excludes other writers),
    JET_errTableInUse (DenyRead/DenyWrite asked while another session has it open).
    """
    name = check_name(name)
    dc = catalog_of(db)
    table = dc.table(session, name)
    cur = Cursor(session, db, table, grbit)
    fcb = cur.fcb
    with fcb.lock:
        others = [c for c in fcb.cursors if c.session is not session]
        for other in others:
            if other.grbit & C.JET_bitTableDenyRead:
                raise_error(C.JET_errTableLocked, name)
            if other.grbit & C.JET_bitTableDenyWrite and not grbit & C.JET_bitTableReadOnly:
                raise_error(C.JET_errTableLocked, name)
        if others and grbit & C.JET_bitTableDenyRead:
            raise_error(C.JET_errTableInUse, name)
        if grbit & C.JET_bitTableDenyWrite and any(
                not c.grbit & C.JET_bitTableReadOnly for c in others):
            raise_error(C.JET_errTableInUse, name)
    cur.register()
    return cur
