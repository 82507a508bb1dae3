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
``VIRTUAL``        after a failed seek: reads give JET_errNoCurrentRecord
=================  ==========================================================================

After a delete the cursor stays ``ON`` the deleted entry's position: reads find no record
(``JET_errRecordDeleted``) and moves continue from that key, as ESE's cursor keeps the
bookmark of a deleted node (digest §4).

Every read goes through the session's view of the database (``engine.view``): inside a
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
from typing import Any

from pyese.engine.catalog import TableDef
from pyese.engine.ddl import node_index_key, seek_node_key
from pyese.engine.fcb import DatabaseCatalog, catalog_of
from pyese.engine.keys import KeyBuilder
from pyese.engine.longvalue import LongValueReader
from pyese.engine.session import Session
from pyese.engine.sysobjects import CatalogIndex
from pyese.engine.tablescan import RecordView
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

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
        self.key_builder = KeyBuilder()
        self.range: IndexRange | None = None
        self.update: Any = None
        """The prepared update (engine.update.PreparedUpdate) or None."""
        self.closed = False
        self.tableid = 0
        self.read_only = bool(grbit & C.JET_bitTableReadOnly) or bool(db.read_only)
        self.multi_itag = 1

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
        return self.tableid

    def close(self) -> None:
        """JetCloseTable: forget the handle (a prepared update is cancelled)."""
        if self.closed:
            return
        self.closed = True
        self.update = None
        with _lock:
            CURSORS.pop(self.tableid, None)
        with self.fcb.lock:
            self.fcb.cursors.discard(self)

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
        self.state = ON
        self.node_key = node_key
        self.bookmark = bookmark

    def park(self, state: str) -> None:
        self.state = state
        self.node_key = None
        self.bookmark = None

    def record_view(self) -> RecordView:
        """The current record: JET_errNoCurrentRecord off a record, JET_errRecordDeleted
        when it has gone (deleted by this session, or by a commit this view sees)."""
        self.resolve_deferred()
        if self.state != ON:
            raise_error(C.JET_errNoCurrentRecord)
        view = self.view()
        data = view.get(self.table.objid, self.bookmark)
        if data is None:
            raise_error(C.JET_errRecordDeleted)
        return RecordView(self.table.layout, data,
                          LongValueReader(view, self.table.lv_objid), self.bookmark or b"")

    def resolve_deferred(self) -> None:
        """A deferred move-first becomes a real position (first entry, or after last)."""
        if self.state == DEFERRED:
            node = self.view().cursor(self._tree()).first()
            if node is None:
                self.park(AFTER)
            else:
                self.set_on(*self._entry(node))

    # -- moves (ESE rec.cxx ErrIsamMove) -------------------------------------------------

    def move(self, crow: int, grbit: int = 0) -> None:
        """JetMove: First, Last, Next, Previous or +/- n entries.

        Cancels a prepared update. JET_errNoCurrentRecord when the move leaves the index
        (forward: parked after the last entry; backward: before the first) or leaves the
        index range (which is then removed). crow 0 checks the current entry.
        """
        self.update = None
        if crow == C.JET_MoveFirst:
            self.range = None
            node = self.view().cursor(self._tree()).first()
            if node is None:
                self.park(AFTER)
                raise_error(C.JET_errNoCurrentRecord)
            self.set_on(*self._entry(node))
            return
        if crow == C.JET_MoveLast:
            self.range = None
            node = self.view().cursor(self._tree()).last()
            if node is None:
                self.park(BEFORE)
                raise_error(C.JET_errNoCurrentRecord)
            self.set_on(*self._entry(node))
            return
        if crow == 0:
            self.record_view()
            return
        forward = crow > 0
        steps = abs(crow)
        key_ne = bool(grbit & C.JET_bitMoveKeyNE)
        cur = self.view().cursor(self._tree())
        if self.state == DEFERRED:
            self.resolve_deferred()
            if self.state != ON:
                raise_error(C.JET_errNoCurrentRecord)
            if not forward:
                node = None
                self.park(BEFORE)
                raise_error(C.JET_errNoCurrentRecord)
        for _ in range(steps):
            node = self._step(cur, forward, key_ne)
            if node is None:
                self.park(AFTER if forward else BEFORE)
                raise_error(C.JET_errNoCurrentRecord)
            nk, bm = self._entry(node)
            if self.range is not None and not self.range.admits(self.entry_key(nk)):
                upper = self.range.upper
                self.range = None
                self.park(AFTER if upper else BEFORE)
                raise_error(C.JET_errNoCurrentRecord)
            self.set_on(nk, bm)

    def _step(self, cur: Any, forward: bool, key_ne: bool) -> tuple[bytes, bytes] | None:
        state = self.state
        if state in (BEFORE, VIRTUAL) and forward and self.node_key is None:
            return cur.first() if state == BEFORE else None
        if state == AFTER and not forward:
            return cur.last()
        if state in (AFTER,) and forward or state == BEFORE and not forward:
            return None
        if self.node_key is None:
            return None
        start = self.node_key
        if key_ne:
            ikey = self.entry_key(start)
            node = self._seek(cur, start, forward, inclusive=False)
            while node is not None and self.entry_key(node[0]) == ikey:
                node = cur.next() if forward else cur.prev()
            return node
        return self._seek(cur, start, forward, inclusive=False)

    @staticmethod
    def _seek(cur: Any, key: bytes, forward: bool, *, inclusive: bool
              ) -> tuple[bytes, bytes] | None:
        if forward:
            node = cur.seek_ge(key)
            if node is not None and not inclusive and node[0] == key:
                node = cur.next()
            return node  # type: ignore[no-any-return]
        node = cur.seek_le(key)
        if node is not None and not inclusive and node[0] == key:
            node = cur.prev()
        return node  # type: ignore[no-any-return]

    # -- seeks (ESE rec.cxx ErrIsamSeek) --------------------------------------------------

    def seek(self, grbit: int) -> int:
        """JetSeek with the key made by JetMakeKey; returns 0 or JET_wrnSeekNotEqual.

        JET_errInvalidGrbit without exactly one of EQ/LT/LE/GE/GT; JET_errKeyNotMade;
        JET_errRecordNotFound. The key is consumed on every path; a prepared update is
        cancelled and the index range removed.
        """
        relation = grbit & (C.JET_bitSeekEQ | C.JET_bitSeekLT | C.JET_bitSeekLE
                            | C.JET_bitSeekGE | C.JET_bitSeekGT)
        if relation not in (C.JET_bitSeekEQ, C.JET_bitSeekLT, C.JET_bitSeekLE,
                            C.JET_bitSeekGE, C.JET_bitSeekGT):
            raise_error(C.JET_errInvalidGrbit, f"seek grbit {grbit:#x}")
        if not self.key_builder.is_prepared:
            raise_error(C.JET_errKeyNotMade)
        key = self.key_builder.key
        self.key_builder.reset()
        self.update = None
        self.range = None
        cur = self.view().cursor(self._tree())
        skey = seek_node_key(self.index.index, key) if self.on_secondary else key  # type: ignore[union-attr]
        warning = 0
        node: tuple[bytes, bytes] | None
        if relation in (C.JET_bitSeekEQ, C.JET_bitSeekGE, C.JET_bitSeekGT):
            node = cur.seek_ge(skey)
            if relation == C.JET_bitSeekGT:
                while node is not None and self._cmp_prefix(node[0], key) <= 0:
                    node = cur.next()
            elif node is not None:
                ek = self.entry_key(node[0])
                if relation == C.JET_bitSeekEQ:
                    if not self._matches(ek, key):
                        node = None
                elif not self._matches(ek, key):
                    warning = C.JET_wrnSeekNotEqual
        else:
            node = self._seek_last_le(cur, key, skey)
            if relation == C.JET_bitSeekLT:
                while node is not None and self._cmp_prefix(node[0], key) >= 0:
                    node = cur.prev()
            elif node is not None and not self._matches(self.entry_key(node[0]), key):
                warning = C.JET_wrnSeekNotEqual
        if node is None:
            self.park(VIRTUAL)
            raise_error(C.JET_errRecordNotFound)
        self.set_on(*self._entry(node))  # type: ignore[arg-type]
        if relation == C.JET_bitSeekEQ and grbit & C.JET_bitSetIndexRange:
            self.range = IndexRange(key, True, True)
        return warning

    @staticmethod
    def _matches(entry_key: bytes, key: bytes) -> bool:
        return entry_key == key

    def _cmp_prefix(self, node_key: bytes, key: bytes) -> int:
        """Compare an entry's index key with ``key``: 0 when equal (for GT/LT skipping)."""
        ek = self.entry_key(node_key)
        return (ek > key) - (ek < key)

    def _seek_last_le(self, cur: Any, key: bytes, skey: bytes) -> tuple[bytes, bytes] | None:
        """The last entry whose index key is <= ``key`` (all duplicates of an equal key:
        the last of them)."""
        node = cur.seek_ge(skey)
        if node is None:
            node = cur.last()
        else:
            while node is not None and self.entry_key(node[0]) == key:
                node = cur.next()
            node = cur.prev() if node is not None else cur.last()
        while node is not None and self.entry_key(node[0]) > key:
            node = cur.prev()
        return node  # type: ignore[no-any-return]

    # -- index selection -----------------------------------------------------------------

    def set_current_index(self, name: str | None, grbit: int = C.JET_bitMoveFirst) -> None:
        """JetSetCurrentIndex: None or "" is the primary index (or DBK order);
        JET_errIndexNotFound. MoveFirst cancels a prepared update and defers a move to the
        first entry; NoMove keeps the current record (JET_errNoCurrentRecord if none)."""
        if name:
            ix = self.table.index(name)
        else:
            ix = self.table.primary_index
        if grbit & C.JET_bitNoMove:
            bm = self.bookmark if self.state == ON else None
            if bm is None:
                raise_error(C.JET_errNoCurrentRecord)
            self.index = ix
            self.range = None
            self.key_builder.reset()
            self.goto_bookmark(bm)  # type: ignore[arg-type]
            return
        self.update = None
        self.index = ix
        self.range = None
        self.key_builder.reset()
        self.park(DEFERRED)

    def goto_bookmark(self, bookmark: bytes, itag: int = 1) -> None:
        """JetGotoBookmark: the record's entry in the current index.

        JET_errInvalidBookmark (empty), JET_errRecordDeleted (no such record),
        JET_errNoCurrentRecord when the record is not in the current secondary index.
        """
        bookmark = bytes(bookmark or b"")
        if not bookmark:
            raise_error(C.JET_errInvalidBookmark)
        self.update = None
        self.range = None
        view = self.view()
        data = view.get(self.table.objid, bookmark)
        if data is None:
            raise_error(C.JET_errRecordDeleted)
        if not self.on_secondary:
            self.set_on(bookmark, bookmark)
            return
        from pyese.engine.update import entries_for

        ix = self.index
        assert ix is not None
        rec = RecordView(self.table.layout, data, LongValueReader(view, self.table.lv_objid),
                         bookmark)
        entries = entries_for(ix.index, rec)
        if not entries:
            self.park(BEFORE)
            raise_error(C.JET_errNoCurrentRecord)
        chosen = entries[0]
        for e in entries:
            if itag in e.itags:
                chosen = e
                break
        from pyese.engine.ddl import index_node

        self.set_on(index_node(ix.index, chosen.key, bookmark)[0], bookmark)


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
    from pyese.engine.ddl import check_name

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
