"""Currency: where a cursor is on its current index, and what transactions do to it.

A cursor (ESE's FUCB) has a *current index* (the primary index, or the table's record
order by DBK when there is none, or a secondary index) and a *currency* on it:

=================  ==========================================================================
state              meaning
=================  ==========================================================================
``DEFERRED``       JetOpenTable / JetSetCurrentIndex: "move first" deferred until used
``BEFORE``         before the first entry (a backward move ran off the start)
``AFTER``          after the last entry (a forward move ran off the end)
``ON``             on an entry: ``node_key`` in the index tree, ``bookmark`` of the record
``VIRTUAL``        after a failed SeekEQ: ``virtual_key``; reads give NoCurrentRecord
=================  ==========================================================================

Invariants.

1. *State and fields agree.* ``ON``: ``node_key`` and ``bookmark`` are set (the node of
   the current index's tree, the record's primary bookmark; equal on the primary index),
   ``virtual_key`` is None. ``VIRTUAL``: ``virtual_key`` is set, ``node_key`` only for a
   virtual position at a whole secondary-index bookmark (ESE locOnSeekBM). Every other
   state: all three None. Only ``set_on``, ``park`` and ``park_virtual`` change them.
2. *A deleted entry keeps its place.* After a delete the cursor stays ``ON`` the deleted
   entry's position: reads find no record (``JET_errRecordDeleted``) and moves continue
   from that key, as ESE's cursor keeps the bookmark of a deleted node.
3. *A deferred move-first* becomes a position only when used (``resolve_deferred``); on an
   empty index it stays deferred (ESE dir.cxx ErrDIRIIRefresh keeps locDeferMoveFirst).
4. *Level marks* (ESE levelOpen, levelPrep, levelNavigate of the table's FUCB and of the
   secondary index's FUCB) never exceed the session's level: a commit lowers them
   (``_after_commit``); a rollback of a level resets what was opened, prepared or
   navigated at it (``_after_rollback``). ``table_bookmark`` is set only in ``BEFORE`` on
   a secondary index after such a reset: the record the table's FUCB is still on.
5. Every read goes through the session's view of the database (``view()``,
   ``engine.transactions.view``): inside a transaction its snapshot plus its own changes,
   outside the latest committed state.
6. *One tree cursor per cursor.* ``_cursor()`` keeps the current index's tree cursor
   across calls (it reads the view as it is at each step); ``_tcur_at`` is the node key it
   is known to be on, set only by the caller that moved it there, so ``JetMove`` takes one
   step from it (``navigation``) and anything else forgets it.
7. *The current record is read once per currency.* ``record_view`` keeps the record it
   read (or the node a move or seek landed on, on the primary index) with the
   ``_read_token`` it was read under: the session's transaction, the table tree's version
   store entry and its generation (bumped by every new version and every rolled back
   one), or None at level 0 while the tree has pending versions (then nothing is kept,
   since a commit changes what level 0 sees without a new version). The record is reused
   while the token is equal, the bookmark the same and the layout unchanged; long values
   are always read through the view as it is.

Physical layout (pyese files): a table's records are the nodes of tree ``table.objid``
keyed by the primary key (or the 4-byte big-endian DBK); a secondary index is tree
``index.objid`` with nodes from ``ddl.index_node``. Genuine ``.edb`` files (read-only) use
ESE's own layout, where a non-unique secondary index's nodes repeat the key and hold the
bookmark as data; ``entry_key`` and ``_entry`` read both.

Locks. None: a cursor is used by its session's thread only (the session gate,
``instance.gate``, lets one call of a session in at a time).
"""

from __future__ import annotations

from typing import Any

from pyese.engine.cursors.tablescan import RecordView
from pyese.engine.instance.session import Session
from pyese.engine.records.keys import KeyBuilder
from pyese.engine.records.longvalue import LongValueReader
from pyese.engine.schema.catalog import TableDef
from pyese.engine.schema.ddl import node_index_key
from pyese.engine.schema.fcb import DatabaseCatalog, catalog_of
from pyese.engine.schema.sysobjects import CatalogIndex
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.compiling import mypyc_attr

DEFERRED, BEFORE, AFTER, ON, VIRTUAL = "deferred", "before", "after", "on", "virtual"

_STATIC: tuple[int, ...] = ()
"""``_read_token`` of a database that never changes (a genuine file, read-only)."""


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


@mypyc_attr(allow_interpreted_subclasses=True)  # as Cursor, which engine.temp subclasses
class Currency:
    """A cursor's table, current index, currency and level marks (module docstring)."""

    def __init__(self, session: Session, db: Any, table: TableDef, grbit: int) -> None:
        self.session = session
        self.db = db
        self.dc: DatabaseCatalog = catalog_of(db)
        self.table = table
        self.grbit = grbit
        self.fcb = self.dc.fcb(table.objid)
        self.index: CatalogIndex | None = table.primary_index
        self.on_secondary = False
        """A secondary index is current (``_set_index`` keeps it)."""
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
        self._tcur: Any = None
        """The tree cursor of the current index's tree (kept across calls, invariant 6)."""
        self._tcur_objid = -1
        self._tcur_at: bytes | None = None
        """The node key ``_tcur`` is known to be on (None: unknown): a move continues from
        it with one step instead of seeking back to the current entry."""
        self._view: Any = None
        """The session's view of the database (``view()``), made once: it reads the
        session's state as it is at each read."""
        self._lv: LongValueReader | None = None
        self._rec: RecordView | None = None
        """The current record as last read (invariant 7), valid while ``_rec_token`` is."""
        self._rec_token: object = None
        self._rec_wanted = False
        """``record_view`` ran since the last landing (``navigation._land`` reads the next
        record on a secondary index when it did)."""
        # What other modules keep per cursor lives here, as in ESE's FUCB, and goes with
        # the cursor (the compiled build's native classes take no weak references, so no
        # module keeps a cursor-keyed table of its own).
        self.filters: tuple[Any, ...] = ()
        """JetSetCursorFilter's conditions (``filters.Filter``; ESE FUCB pmoveFilterContext)."""
        self.sequential = 0
        """JetSetTableSequential's direction grbit, 0 when not sequential (``hints``)."""
        self.ls: int | None = None
        """JetSetLS's cursor value (ESE FUCB ls), None when unset (``callbacks``)."""
        self._columns_plans: dict[Any, Any] | None = None
        """``retrieve``'s kept JetRetrieveColumns plans."""
        self._enum_plan: Any = None
        """``retrieve``'s kept JetEnumerateColumns plan."""

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

    # -- transaction levels --------------------------------------------------------------

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
        self._rec = None
        rolled = self.session.level + 1
        if self._update is not None and self.update_level >= rolled:
            self._update = None
        if self.on_secondary and self.index_open_level >= rolled:
            self._set_index(self.table.primary_index)
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

    # -- schema refresh ------------------------------------------------------------------

    def refresh_table(self) -> None:
        """Re-read the table's definition from the catalog (after DDL through this cursor)."""
        table = self.dc.catalog(self.session).table_by_objid(self.table.objid)
        name = self.index.index.name if self.index is not None else None
        self.table = table
        if name is not None:
            try:
                self._set_index(table.index(name))
            except Exception:
                self._set_index(table.primary_index)
        else:
            self._set_index(table.primary_index)

    # -- views ---------------------------------------------------------------------------

    def view(self) -> Any:
        view = self._view
        if view is None:
            view = self._view = self.dc.view(self.session)
        return view

    def _lv_reader(self) -> LongValueReader:
        """The table's long values through ``view()`` (kept while the table's LV tree is
        the same)."""
        lv = self._lv
        objid = self.table.lv_objid
        if lv is None or lv.lv_objid != objid:
            lv = self._lv = LongValueReader(self.view(), objid)
        return lv

    def _cursor(self) -> Any:
        """The tree cursor of the current index's tree, kept for the cursor's life (a
        ``MergedCursor`` reads the session's view as it is at each step, so one serves
        every call). Its position is forgotten (``_tcur_at``): the caller that moves it
        and knows where it landed records that."""
        objid = self._tree()
        tcur = self._tcur
        if tcur is None or self._tcur_objid != objid:
            tcur = self._tcur = self.view().cursor(objid)
            self._tcur_objid = objid
        self._tcur_at = None
        return tcur

    def _read_token(self) -> object:
        """What a read of the table's tree now depends on (``SnapshotReads.read_token``);
        None: nothing cacheable."""
        vs = self.dc.vs
        if vs is None:
            # no version store: a genuine file (read-only, never changes), or the
            # temporary database (written in place: nothing cacheable)
            return _STATIC if self.db.read_only else None
        return vs.read_token(self.session, self.db, self.table.objid)

    def _prime_record(self, bookmark: bytes, data: bytes, token: object) -> None:
        """Keep ``data``, read on the primary index under ``token``, as the current
        record (invariant 7)."""
        if token is not None:
            self._rec = RecordView(self.table.layout, data, self._lv_reader(), bookmark)
            self._rec_token = token

    def _set_index(self, ix: CatalogIndex | None) -> None:
        """Make ``ix`` the current index (None: DBK order), keeping ``on_secondary``."""
        self.index = ix
        self.on_secondary = ix is not None and not ix.index.is_primary

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
        when it has gone (deleted by this session, or by a commit this view sees).
        Read once per currency while nothing it depends on changed (invariant 7)."""
        bookmark = self.bookmark
        if self.state != ON or bookmark is None:  # else current_bookmark() is bookmark
            if self.state == DEFERRED:
                self.resolve_deferred()
            bookmark = self.current_bookmark()
        self._rec_wanted = True
        vs = self.dc.vs
        if vs is None:  # _read_token()
            token: object = _STATIC if self.db.read_only else None
        else:
            token = vs.read_token(self.session, self.db, self.table.objid)
        rec = self._rec
        layout = self.table.layout
        if (rec is not None and token is not None
                and (token is self._rec_token or token == self._rec_token)
                and rec.bookmark == bookmark
                and (rec.layout is layout or getattr(rec.layout, "base", None) is layout)):
            return rec
        view = self.view()
        decoded = getattr(view, "record_view", None)
        if decoded is not None:  # a genuine file: the record decoded once (engine.genuine)
            rec = decoded(self.table, bookmark)
            if token is not None:
                self._rec = rec
                self._rec_token = token
            return rec  # type: ignore[no-any-return]
        data = view.get(self.table.objid, bookmark)
        if data is None:
            self._rec = None
            raise_error(C.JET_errRecordDeleted)
        rec = RecordView(self.table.layout, data, self._lv_reader(), bookmark)
        if token is not None:
            self._rec = rec
            self._rec_token = token
        return rec

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
            node = self._cursor().first()
            if node is not None:
                self.set_on(*self._entry(node))
                self._tcur_at = node[0]
