"""Cursors on temporary tables, and which JET functions each may serve (ESE's VTFNDEFs).

ESE routes every JET call on a table handle through the handle's function table
(``pvtfndef``); a temporary table's cursor changes table as the table changes regime
(``sortapi.cxx``):

=========================  ===================================================================
``vtfndefTTSortIns``       a sort being filled: JetPrepareUpdate (insert), JetSetColumn(s),
                           JetUpdate, JetMakeKey, JetRetrieveKey, JetCloseTable; JetMove /
                           JetSeek end the insert phase (ErrTTSortInsMove / ErrTTSortInsSeek)
``vtfndefTTSortRet``       a sorted sort: JetMove, JetSeek / JetSetIndexRange (scrollable or
                           indexed only), JetGet/GotoBookmark, JetRetrieveColumn(s),
                           JetEnumerateColumns, JetGetRecordSize, JetGetTableInfo,
                           JetDupCursor, JetMakeKey, JetRetrieveKey, JetCloseTable
``vtfndefTTBase``          a materialized table: the ordinary cursor functions, except
                           JetIndexRecordCount, JetGetRecordPosition, JetGotoPosition,
                           JetSetCurrentIndex, JetGetCurrentIndex, the column and index
                           information and DDL
=========================  ===================================================================

Everything else gives ``JET_errIllegalOperation`` (jetapi.cxx ErrIllegal*). pyese's JET
functions reach a temporary cursor as they reach any cursor (``engine.cursor.CURSORS``,
``cursor_for``); the write functions and the few that read cursor internals ask the cursor
for its ``vt`` (:mod:`pyese.engine.temp.ops`), the rest call methods both kinds of cursor
have. :class:`SortCursor` serves the first two tables; :class:`MaterializedCursor` is an
``engine.cursor.Cursor`` (the ordinary navigation, seeks, ranges and bookmarks) over the
temporary database, with ESE's TTBase exceptions.
"""

from __future__ import annotations

import struct
from typing import Any

from pyese.engine.cursors import cursor as _cursors
from pyese.engine.cursors.cursor import AFTER, BEFORE, DEFERRED, ON, Cursor, IndexRange
from pyese.engine.cursors.tablescan import RecordView
from pyese.engine.instance.session import Session
from pyese.engine.records.keys import KeyBuilder
from pyese.engine.records.longvalue import LongValueReader
from pyese.engine.temp import ops
from pyese.engine.temp.table import TempTable
from pyese.engine.temp.vt import BASE, SORT_INS, SORT_RET, illegal
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error

_SEEK_ALL = (C.JET_bitSeekEQ | C.JET_bitSeekLT | C.JET_bitSeekLE | C.JET_bitSeekGE
             | C.JET_bitSeekGT)
_SEEK_BITS = (C.JET_bitSeekEQ, C.JET_bitSeekLT, C.JET_bitSeekLE, C.JET_bitSeekGE,
              C.JET_bitSeekGT)
_LONG = struct.Struct("<i")

_AFTER_SPILL = 1 << 62
"""``i`` of a spilled sort's cursor after its last record (its records are not counted)."""
_FOUND, _LESS, _GREATER = 0, 1, 2
"""ErrSORTSeek's outcomes: JET_errSuccess, wrnNDFoundLess, wrnNDFoundGreater."""


def _scrollable(tt: TempTable) -> bool:
    return bool(tt.grbit & (C.JET_bitTTScrollable | C.JET_bitTTIndexed))


class SortCursor:
    """A cursor of a temporary table in its sort regime (TTSortIns / TTSortRet)."""

    on_secondary = False
    read_only = False
    multi_itag = 1
    db: Any = None

    def __init__(self, session: Session, tt: TempTable, vt: str = SORT_INS) -> None:
        self.session = session
        self.tt = tt
        self.vtname = vt
        self.vt = ops
        self.tableid = 0
        self.closed = False
        self.grbit = 0
        self.key_builder = KeyBuilder()
        self.range: IndexRange | None = None
        self.update: Any = None
        self.i = -1
        """ESE ispairCurr: -1 before the first record, len(records) after the last."""
        self.spill: Any = None
        self.spill_rec: tuple[bytes, bytes] | None = None
        self.sequential = 0
        self.ls: int | None = None
        """What ``hints`` and ``callbacks`` keep per cursor, as on ``Currency``."""

    # -- what the JET layer reads -----------------------------------------------------------

    @property
    def table(self) -> Any:
        return self.tt.schema.table

    @property
    def index(self) -> Any:
        return self.tt.schema.key

    @property
    def fcb(self) -> Any:
        return None

    def view(self) -> Any:
        return None

    def _count(self) -> int:
        """Records of the in-memory sort (after its end of insert, the records kept)."""
        sort = self.tt.sort
        return len(sort) if sort is not None else 0

    def _current(self) -> tuple[bytes, bytes] | None:
        if self.spill is not None:
            return self.spill_rec
        sort = self.tt.sort
        if sort is not None and 0 <= self.i < len(sort):
            return sort.pair_at(self.i)
        return None

    @property
    def state(self) -> str:
        if self._current() is not None:
            return ON
        return BEFORE if self.i < 0 else AFTER

    @property
    def node_key(self) -> bytes | None:
        rec = self._current()
        return rec[0] if rec is not None else None

    @property
    def bookmark(self) -> bytes | None:
        return self.node_key

    def entry_key(self, node_key: bytes) -> bytes:
        return node_key

    def resolve_deferred(self) -> None:
        """A sort has no deferred position (ESE's sort FUCB is before-first or on a
        record); reading one while it is being filled is illegal."""
        if self.vtname == SORT_INS:
            illegal("reading a sort before its first move")

    def require_entry(self, present: bool = False) -> None:
        if self.vtname == SORT_INS:
            illegal("JetRetrieveKey needs a sorted temporary table")
        if self._current() is None:
            raise_error(C.JET_errNoCurrentRecord)

    def read_page(self, columnids: list[int], max_rows: int, stay: bool
                  ) -> list[tuple[bytes | None, ...]] | None:
        """``PyeseRetrieveRows`` forward on an in-memory sort being read, without an index
        range, for single-valued columns and no bookmarks (the caller checks those): up to
        ``max_rows`` rows from the current record, decoded by the bulk paths' decoder
        (``rowcodec``), the cursor then where the ``JetMove(JET_MoveNext)`` loop leaves it
        (on the next record, after the last one past the end, or with ``stay`` on the last
        row read). None when the sort is spilled, ranged or not on a record: the general
        path answers."""
        sort = self.tt.sort
        if (self.vtname == SORT_INS or self.spill is not None or self.range is not None
                or sort is None):
            return None
        n = len(sort)
        i = self.i
        if not 0 <= i < n:
            return None
        end = min(i + max_rows, n)
        cids = tuple(columnids)
        layout = self.table.layout
        decode = self.tt.codec(cids)[1]

        def values(data: bytes) -> tuple[bytes | None, ...]:
            if decode is not None:
                got = decode(data)
                if got is not None:
                    return got
            return tuple(layout.retrieve(data, c) for c in cids)

        k = sort.klen
        recs = sort.records[i:end]
        rows: list[tuple[bytes | None, ...]]
        if k is None:  # (key, data) pairs
            rows = [values(rec[1]) for rec in recs]
        else:  # key then data in one string
            shifted = self.tt.decoder(cids, k)
            if shifted is None:
                rows = [values(rec[k:]) for rec in recs]
            else:
                rows = []
                for rec in recs:
                    got = shifted(rec)
                    rows.append(got if got is not None else values(rec[k:]))
        self.i = end - 1 if stay else end  # at n: after the last record, as _next leaves it
        return rows

    def record_view(self) -> RecordView:
        """The current record (JetRetrieveColumn): illegal while inserting."""
        if self.vtname == SORT_INS:
            illegal("JetRetrieveColumn before the first move of a sort")
        rec = self._current()
        if rec is None:
            raise_error(C.JET_errNoCurrentRecord)
        assert rec is not None
        return RecordView(self.table.layout, rec[1], None, rec[0])

    # -- handles ----------------------------------------------------------------------------

    def register(self) -> int:
        with _cursors._lock:
            self.tableid = next(_cursors._ids)
            _cursors.CURSORS[self.tableid] = self  # type: ignore[assignment]
        self._attach()
        return self.tableid

    def _attach(self) -> None:
        self.tt.cursors.add(self)
        closers = self.session.level_closers
        if closers:
            closers[-1].append(self.close)
        self.session.end_closers.append(self.close)

    def close(self) -> None:
        """JetCloseTable (ErrIsamSortClose): the last cursor frees the sort."""
        if self.closed:
            return
        self.closed = True
        self.update = None
        with _cursors._lock:
            if _cursors.CURSORS.get(self.tableid) is self:
                _cursors.CURSORS.pop(self.tableid, None)
        self.tt.cursor_closed(self)

    # -- the end of the insert phase (ErrTTEndInsert) ----------------------------------------

    def _end_insert(self) -> tuple[Any, bool]:
        """ErrTTEndInsert: cancel a prepared update, end the sort's insert phase, then
        materialize (Updatable, or Scrollable/Indexed that overflowed memory) or become a
        TTSortRet cursor on the first record. Returns (the cursor now serving this
        tableid, moved to first); JET_errNoCurrentRecord when the sort is empty."""
        self.update = None
        tt = self.tt
        sort = tt.sort
        assert sort is not None
        overflow = sort.end_insert()
        g = tt.grbit
        if g & C.JET_bitTTUpdatable or (_scrollable(tt) and overflow):
            return materialize_cursor(self), False
        self.vtname = SORT_RET
        if overflow:
            self.spill = sort.spilled_cursor()
        self._first()
        return self, True

    # -- moves (ErrTTSortInsMove, ErrIsamSortMove) --------------------------------------------

    def move(self, crow: int, grbit: int = 0) -> None:
        if self.vtname == SORT_INS:
            target, moved_first = self._end_insert()
            if target is not self:
                target.move(crow, grbit)
                return
            if self._current() is None:
                raise_error(C.JET_errNoCurrentRecord)
            if moved_first:
                if 0 < crow < C.JET_MoveLast:
                    crow -= 1
                if crow in (C.JET_MoveFirst, 0):
                    return
        self._sort_move(crow)

    def _sort_move(self, crow: int) -> None:
        if crow == C.JET_MoveFirst:  # 0x80000000: negative as ESE's LONG
            self._first()
            return
        if crow > 0:
            if crow == C.JET_MoveLast:
                self._last()
                return
            for _ in range(crow):
                self._next()
            return
        if crow < 0:
            if not _scrollable(self.tt):
                illegal("MovePrevious needs JET_bitTTScrollable or JET_bitTTIndexed")
            for _ in range(-crow):
                self._prev()
            return
        if self._current() is None:
            raise_error(C.JET_errNoCurrentRecord)

    def _first(self) -> None:
        """ErrSORTFirst: removes the index range; JET_errNoCurrentRecord when empty."""
        self.range = None
        if self.spill is not None:
            self.spill_rec = self.spill.first()
            self.i = 0 if self.spill_rec is not None else -1
            if self.spill_rec is None:
                raise_error(C.JET_errNoCurrentRecord)
            return
        if not self._count():
            self.i = -1
            raise_error(C.JET_errNoCurrentRecord)
        self.i = 0

    def _last(self) -> None:
        """ErrSORTLast."""
        self.range = None
        if self.spill is not None:
            rec = self.spill_rec
            nxt = self.spill.next() if rec is not None else None
            while nxt is not None:
                rec, nxt = nxt, self.spill.next()
            if rec is None:
                raise_error(C.JET_errNoCurrentRecord)
            self.spill_rec = rec
            return
        n = self._count()
        if n == 0:
            self.i = n
            raise_error(C.JET_errNoCurrentRecord)
        self.i = n - 1

    def _next(self) -> None:
        """ErrSORTNext, with the upper index range check."""
        if self.spill is not None:
            if self.spill_rec is None and self.i >= 0:
                raise_error(C.JET_errNoCurrentRecord)
            self.spill_rec = self.spill.next() if self.i >= 0 else self.spill.first()
            self.i = max(self.i, 0)
            if self.spill_rec is None:
                self.i = _AFTER_SPILL  # after the last record of a spilled sort
                raise_error(C.JET_errNoCurrentRecord)
            self._check_upper()
            return
        n = self._count()
        if self.i + 1 >= n:
            self.i = n
            raise_error(C.JET_errNoCurrentRecord)
        self.i += 1
        self._check_upper()

    def _prev(self) -> None:
        """ErrSORTPrev (in memory only: scrollable sorts that overflow are materialized)."""
        if self.i <= 0:
            self.i = -1
            raise_error(C.JET_errNoCurrentRecord)
        self.i = min(self.i, self._count()) - 1
        self._check_upper()

    def _check_upper(self) -> None:
        rng = self.range
        if rng is not None and rng.upper:
            self._check_range()

    def _check_range(self) -> None:
        """ErrSORTCheckIndexRange: off the range the cursor goes after the last record
        (upper range) or before the first, JET_errNoCurrentRecord."""
        rng = self.range
        rec = self._current()
        if rng is None:
            return
        if rec is None or not rng.admits(rec[0]):
            if rng.upper:
                self.i = self._count()
                self.spill_rec = None
            else:
                self.i = -1
            raise_error(C.JET_errNoCurrentRecord)

    # -- seeks (ErrTTSortInsSeek, ErrIsamSortSeek) ------------------------------------------

    def seek(self, grbit: int) -> int:
        relation = grbit & _SEEK_ALL
        if relation == 0:
            raise_error(C.JET_errInvalidParameter, "JetSeek needs a seek grbit")
        if self.vtname == SORT_INS:
            sort = self.tt.sort
            assert sort is not None
            self.update = None
            try:
                target, _moved = self._end_insert()
            except JetError as exc:
                if exc.err == C.JET_errNoCurrentRecord:
                    raise_error(C.JET_errRecordNotFound)
                raise
            if target is not self:
                return int(target.seek(grbit))
        if not _scrollable(self.tt):
            illegal("JetSeek needs JET_bitTTScrollable or JET_bitTTIndexed")
        if not self.key_builder.is_prepared:
            raise_error(C.JET_errKeyNotMade)
        if relation not in _SEEK_BITS:
            raise_error(C.JET_errInvalidGrbit, f"more than one seek relation in {grbit:#x}")
        outcome = self._sort_seek(self.key_builder.key)
        self.key_builder.reset()
        if relation == C.JET_bitSeekLT:
            if outcome in (_FOUND, _GREATER):
                self._prev_or_not_found()
        elif relation == C.JET_bitSeekLE:
            if outcome == _GREATER:
                self._prev_or_not_found()
        elif relation == C.JET_bitSeekEQ:
            if outcome != _FOUND:
                raise_error(C.JET_errRecordNotFound)
        elif relation == C.JET_bitSeekGE:
            if outcome == _LESS:
                raise_error(C.JET_errRecordNotFound)
        elif outcome == _FOUND:
            try:
                self._next()
            except JetError as exc:
                if exc.err == C.JET_errNoCurrentRecord:
                    raise_error(C.JET_errRecordNotFound)
                raise
        elif outcome == _LESS:
            raise_error(C.JET_errRecordNotFound)
        return 0

    def _prev_or_not_found(self) -> None:
        try:
            self._sort_move(-1)
        except JetError as exc:
            if exc.err == C.JET_errNoCurrentRecord:
                raise_error(C.JET_errRecordNotFound)
            raise

    def _sort_seek(self, key: bytes) -> int:
        """ErrSORTSeek: the first record >= key (IspairSORTISeekByKey, a binary search
        with whole-key comparison). All records < key: on the last one, wrnNDFoundLess.
        JET_errRecordNotFound on an empty sort (the key is then kept)."""
        sort = self.tt.sort
        n = len(sort) if sort is not None else 0
        if sort is None or not n:
            raise_error(C.JET_errRecordNotFound)
        key_at = sort.key_at
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) // 2
            if key_at(mid) < key:
                lo = mid + 1
            else:
                hi = mid
        if lo == n:
            self.i = n - 1
            return _LESS
        self.i = lo
        return _FOUND if key_at(lo) == key else _GREATER

    # -- index ranges (ErrIsamSortSetIndexRange) ---------------------------------------------

    def set_index_range(self, grbit: int) -> None:
        if self.vtname == SORT_INS:
            illegal("JetSetIndexRange before the first move of a sort")
        if grbit & C.JET_bitRangeRemove:
            if self.range is None:
                raise_error(C.JET_errInvalidOperation, "no index range to remove")
            self.range = None
            return
        if not _scrollable(self.tt):
            illegal("JetSetIndexRange needs JET_bitTTScrollable or JET_bitTTIndexed")
        if not self.key_builder.is_prepared:
            raise_error(C.JET_errKeyNotMade)
        self.range = IndexRange(self.key_builder.key, bool(grbit & C.JET_bitRangeInclusive),
                                bool(grbit & C.JET_bitRangeUpperLimit))
        try:
            self._check_range()
        finally:
            self.key_builder.reset()
            if grbit & C.JET_bitRangeInstantDuration:
                self.range = None

    # -- bookmarks (ErrIsamSortGetBookmark / GotoBookmark) -----------------------------------

    def current_bookmark(self) -> bytes:
        """A sort's bookmark is the record's position (a LONG)."""
        if self.vtname == SORT_INS:
            illegal("JetGetBookmark before the first move of a sort")
        if self._current() is None:
            raise_error(C.JET_errNoCurrentRecord)
        return _LONG.pack(self.i)

    def goto_bookmark(self, bookmark: bytes, itag: int = 1) -> None:
        if self.vtname == SORT_INS:
            illegal("JetGotoBookmark before the first move of a sort")
        if len(bookmark) != _LONG.size or self.spill is not None:
            raise_error(C.JET_errInvalidBookmark)
        i = _LONG.unpack(bookmark)[0]
        if not 0 <= i < self._count():
            raise_error(C.JET_errInvalidBookmark)
        self.i = i

    def dup(self, grbit: int) -> int:
        """ErrTTSortRetDupCursor: a cursor on the same sort, on its first record."""
        new = SortCursor(self.session, self.tt, SORT_RET)
        if self.spill is not None and self.tt.sort is not None:
            new.spill = self.tt.sort.spilled_cursor()
        tableid = new.register()
        try:
            new._first()
        except JetError as exc:
            if exc.err != C.JET_errNoCurrentRecord:
                raise
        return tableid

    # -- everything else the sort's tables do not have ---------------------------------------

    def set_current_index(self, name: Any, grbit: int = 0, itag: int = 1) -> None:
        illegal("JetSetCurrentIndex on a temporary table")

    def goto_index_bookmark(self, key: bytes, bookmark: bytes, grbit: int) -> None:
        illegal("JetGotoSecondaryIndexBookmark on a temporary table")

    def index_record_count(self, limit: int) -> int:
        illegal("JetIndexRecordCount on a temporary table")
        return 0

    def record_position(self) -> tuple[int, int]:
        illegal("JetGetRecordPosition on a temporary table")
        return 0, 0

    def goto_position(self, lt: int, total: int) -> None:
        illegal("JetGotoPosition on a temporary table")

    def refresh_table(self) -> None:
        return None


class MaterializedCursor(Cursor):
    """A cursor on a materialized temporary table (ESE vtfndefTTBase): an ordinary
    ``engine.cursor.Cursor`` over the temporary database."""

    vtname = BASE

    def __init__(self, session: Session, tt: TempTable) -> None:
        assert tt.db is not None
        super().__init__(session, tt.db, tt.table, C.JET_bitTableDenyRead)
        self.tt = tt
        self.vt = ops
        self.park(BEFORE)  # ESE: DIRBeforeFirst after ErrIsamSortMaterialize

    def register(self) -> int:
        tableid = super().register()
        self.tt.cursors.add(self)
        return tableid

    def adopt(self, old: SortCursor) -> None:
        """Take over the handle of the sort cursor this table was materialized from, and
        its place in the session: closed with the level it was opened at (ESE keeps the
        FUCB, only its function table changes)."""
        with _cursors._lock:
            self.tableid = old.tableid
            _cursors.CURSORS[old.tableid] = self
        with self.fcb.lock:
            self.fcb.cursors.add(self)
        self.tt.cursors.add(self)
        session = self.session
        for closers in [*session.level_closers, session.end_closers]:
            for i, closer in enumerate(closers):
                if closer == old.close:
                    closers[i] = self.close
        session.rollback_listeners.append(self._after_rollback)
        session.commit_listeners.append(self._after_commit)

    def close(self) -> None:
        if self.closed:
            return
        super().close()
        self.tt.cursor_closed(self)

    def record_view(self) -> RecordView:
        view = super().record_view()
        view.lv = LongValueReader(self.view(), self.tt.lv_objid)
        return view

    def set_current_index(self, name: Any, grbit: int = 0, itag: int = 1) -> None:
        illegal("JetSetCurrentIndex on a temporary table")

    def goto_index_bookmark(self, key: bytes, bookmark: bytes, grbit: int) -> None:
        illegal("JetGotoSecondaryIndexBookmark on a temporary table")

    def index_record_count(self, limit: int) -> int:
        illegal("JetIndexRecordCount on a temporary table (vtfndefTTBase)")
        return 0

    def record_position(self) -> tuple[int, int]:
        illegal("JetGetRecordPosition on a temporary table (vtfndefTTBase)")
        return 0, 0

    def goto_position(self, lt: int, total: int) -> None:
        illegal("JetGotoPosition on a temporary table (vtfndefTTBase)")

    def refresh_table(self) -> None:
        self.table = self.tt.table

    def dup(self, grbit: int) -> int:
        """ErrTTBaseDupCursor: a cursor on the same table, deferred to its first record."""
        new = MaterializedCursor(self.session, self.tt)
        new.state = DEFERRED
        return new.register()


def materialize_cursor(cur: SortCursor) -> MaterializedCursor:
    """ErrIsamSortMaterialize on ``cur``'s table; the new cursor takes ``cur``'s handle."""
    tt = cur.tt
    tt.materialize()
    new = MaterializedCursor(cur.session, tt)
    tt.cursors.discard(cur)
    cur.closed = True
    new.adopt(cur)
    return new
