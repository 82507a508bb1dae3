"""Temporary tables and sorts (ESE ``sortapi.cxx``, ``sort.cxx``, ``fcreate.cxx``).

A temporary table is a table of one session, with one unique key, that lives outside
every user database: in memory while it can be a *sort*, otherwise in the instance's
*temporary database*. ESE picks the regime from what the caller asks for
(``ErrIsamOpenTempTable``, ``ErrTTEndInsert``):

1. Opening checks ``JET_paramMaxTemporaryTables`` (0: ``JET_errTooManySorts``) and that a
   forward-only table asks for nothing that needs a B-tree (``JET_bitTTIndexed``,
   ``Updatable``, ``Scrollable``, ``ForceMaterialization``:
   ``JET_errCannotMaterializeForwardOnlySort``), creates the temporary database if this
   is the first need, then opens a sort (a new one past the parameter is
   ``JET_errTooManySorts``) and builds the schema (:mod:`.schema`).
2. A table with no key column, with a long-value column (unless
   ``JET_bitTTIntrinsicLVsOnly``) or with ``JET_bitTTForceMaterialization`` is
   *materialized* at once -- or, forward-only, refused with
   ``JET_errCannotMaterializeForwardOnlySort``.
3. Otherwise records go into the sort (:mod:`.sort`) until the first ``JetMove`` or
   ``JetSeek``; then an ``Updatable`` table, or a ``Scrollable`` / ``Indexed`` one whose
   sort outgrew memory, is materialized; any other stays a sort, read in key order.

The regimes differ in what they allow (:mod:`.cursor`): a sort moves forward only unless
scrollable or indexed, seeks only then too (and reports exactness as ESE's sort does: a
seek that lands on a greater or lesser key is a success, never JET_wrnSeekNotEqual), and
takes no updates after its insert phase. A materialized table is an ordinary table for
moves, seeks, index ranges, bookmarks and updates.

Neither regime is logged or recovered. Sorts are never versioned; a materialized table's
changes inside a transaction are undone by its rollback (``JET_paramEnableTempTableVersioning``,
:mod:`.tempdb`). A temporary table goes away with its last cursor and with its session;
the temporary database is deleted at ``JetTerm``. Temporary tables are in no catalog.

:func:`open_temp_table` is the engine entry point the JET functions (``jet.temptable``) and
the Pythonic layer use; :func:`insert_rows` is a bulk insert for callers that already hold
column values (it bypasses the per-call JET gate, not any rule).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from pyese.engine.cursors import cursor as cursors
from pyese.engine.cursors.cursor import AFTER
from pyese.engine.instance.session import Session
from pyese.engine.records import update as U
from pyese.engine.records.record import RecordImage
from pyese.engine.temp import ops
from pyese.engine.temp.cursor import _AFTER_SPILL, MaterializedCursor, SortCursor
from pyese.engine.temp.schema import TT_GRBITS, ColumnRequest, build_schema
from pyese.engine.temp.sort import MEMORY_MOST
from pyese.engine.temp.table import TempTable
from pyese.engine.temp.tempdb import TempStore, temp_store_of
from pyese.engine.temp.vt import SORT_INS
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error

__all__ = [
    "ColumnRequest",
    "MaterializedCursor",
    "SortCursor",
    "TT_GRBITS",
    "TempStore",
    "TempTable",
    "insert_rows",
    "open_temp_table",
    "read_rows",
    "temp_store_of",
]


def open_temp_table(session: Session, columns: Sequence[ColumnRequest], grbit: int, *,
                    lcid: int = 0, map_flags: int | None = None,
                    cb_key_most: int = 0, cb_var_seg_mac: int = 0,
                    memory_most: int | None = None) -> tuple[Any, list[int]]:
    """ESE ErrIsamOpenTempTable: (the new cursor, one columnid per column request).

    Errors in ESE's order: JET_errTooManySorts (JET_paramMaxTemporaryTables is 0),
    JET_errCannotMaterializeForwardOnlySort, JET_errTempPathInUse (another live instance
    holds the temporary database), JET_errTooManySorts (too many sorts open), the schema's
    errors (:func:`.schema.build_schema`), JET_errCannotMaterializeForwardOnlySort again
    when a forward-only table would have to be materialized.
    """
    store = temp_store_of(session.instance)
    if store.max_sorts <= 0:
        raise_error(C.JET_errTooManySorts)  # ESE: sortapi.cxx ErrIsamOpenTempTable
    if grbit & C.JET_bitTTForwardOnly and grbit & (
            C.JET_bitTTIndexed | C.JET_bitTTUpdatable | C.JET_bitTTScrollable
            | C.JET_bitTTForceMaterialization):
        raise_error(C.JET_errCannotMaterializeForwardOnlySort)
    store.open_file()  # ErrPIBOpenTempDatabase
    page_size = session.instance.params.page_size
    store.acquire_scb()  # ErrSORTOpen comes before the schema's checks (ErrSORTTableOpen)
    try:
        schema = build_schema(list(columns), grbit, page_size, cb_key_most=cb_key_most,
                              cb_var_seg_mac=cb_var_seg_mac, lcid=lcid, map_flags=map_flags)
    except BaseException:
        store.release_scb()
        raise
    tt = TempTable(store, session, schema)
    tt.open_sort(memory_most if memory_most is not None else MEMORY_MOST)
    try:
        indexed = schema.key is not None
        lvs = schema.has_long_values and not grbit & C.JET_bitTTIntrinsicLVsOnly
        if not indexed or lvs or grbit & C.JET_bitTTForceMaterialization:
            if grbit & C.JET_bitTTForwardOnly:
                raise_error(C.JET_errCannotMaterializeForwardOnlySort)
            tt.materialize()
            cur: Any = MaterializedCursor(session, tt)
        else:
            cur = SortCursor(session, tt, SORT_INS)
    except BaseException:
        tt.destroy()
        raise
    tt.register()
    cur.register()
    return cur, list(schema.columnids)


_CHUNK = 65536
"""Rows the bulk insert encodes before handing them to the sort (which may then spill)."""


def insert_rows(cur: Any, rows: Iterable[Sequence[bytes | None]],
                columnids: Sequence[int]) -> int:
    """Insert rows (one value per ``columnids`` entry, ESE's binary form, None = NULL)
    into a temporary table: what JetPrepareUpdate(Insert) + JetSetColumn + JetUpdate do per
    row, without the per-call gate. Returns the rows inserted. Same errors as those calls
    (JET_errKeyDuplicate on a materialized table, JET_errNullInvalid, ...); the rows before
    the one in error stay inserted."""
    if not isinstance(cur, SortCursor | MaterializedCursor) or cur.closed:
        raise_error(C.JET_errInvalidTableId)
    if isinstance(cur, SortCursor) and cur.vtname == SORT_INS and cur.update is None:
        return _insert_into_sort(cur, rows, columnids)
    if isinstance(cur, MaterializedCursor) and cur.update is None:
        return _insert_into_tree(cur, rows, columnids)
    n = 0
    for row in rows:
        ops.prepare_update(cur, C.JET_prepInsert)
        try:
            for cid, value in zip(columnids, row, strict=True):
                if value is not None:
                    ops.set_column(cur, cid, value)
            ops.do_update(cur)
        except JetError:
            cur.update = None
            raise
        n += 1
    return n


def _insert_into_sort(cur: SortCursor, rows: Iterable[Sequence[bytes | None]],
                      columnids: Sequence[int]) -> int:
    tt = cur.tt
    sort = tt.sort
    assert sort is not None
    encode, _decode = tt.codec(tuple(columnids))
    slow = _SlowRows(cur, columnids)
    keyed = tt.schema.key is not None
    it = iter(rows)
    n = 0
    if encode is None:
        for row in it:
            data = slow.record(row)
            sort.insert(slow.key(row, data) if keyed else b"", data)
            n += 1
        return n
    while True:
        recs: list[bytes] = []
        odd = encode.joined(islice(it, _CHUNK), recs)
        sort.insert_joined(recs, encode.klen)
        n += len(recs)
        if odd is not None:
            data = slow.record(odd)
            sort.insert(slow.key(odd, data) if keyed else b"", data)
            n += 1
        elif len(recs) < _CHUNK:
            return n


def _insert_into_tree(cur: MaterializedCursor, rows: Iterable[Sequence[bytes | None]],
                      columnids: Sequence[int]) -> int:
    tt = cur.tt
    session = cur.session
    encode, _decode = tt.codec(tuple(columnids))
    slow = _SlowRows(cur, columnids)
    keyed = tt.table.primary_index is not None
    n = 0
    pairs: Iterable[tuple[Any, Any]] = (
        encode.each(rows) if encode is not None else ((None, row) for row in rows))
    for key, data in pairs:  # one row at a time: a duplicate key stops at its row
        if key is None:
            row = data
            data = slow.record(row)
            key = slow.key(row, data) if keyed else b""
            if tt.lv_objid is not None:  # long values past the inline limit leave the record
                image = RecordImage.from_bytes(tt.table.layout, data)
                if tt.store_long_values(image, set(), False):
                    data = image.to_bytes()
        tt.tree_insert(session, key if keyed else tt.key_of(data), data)
        n += 1
    return n


class _SlowRows:
    """One row the ordinary way (``RecordImage``, ``retrieve_key``): the rows the fast
    encoder does not take, with the errors and warnings of the JET calls."""

    def __init__(self, cur: Any, columnids: Sequence[int]) -> None:
        tt = cur.tt
        self.cur = cur
        self.tt = tt
        self.layout = tt.schema.table.layout
        self.cols = [tt.schema.table.column_by_id(c) for c in columnids]
        self.not_null = any(c.grbit & C.JET_bitColumnNotNULL
                            for c in self.layout.columns.values())
        self.key_pos = ([list(columnids).index(c) if c in columnids else -1
                         for c in tt._key_cids] if tt._simple_key else None)

    def record(self, row: Sequence[bytes | None]) -> bytes:
        image = RecordImage(self.layout)
        for col, value in zip(self.cols, row, strict=True):
            if value is not None:
                image.set(col.columnid, value)
        if self.not_null:
            ops._check_nulls(self.cur, _Upd(image))
        return image.to_bytes()

    def key(self, row: Sequence[bytes | None], data: bytes) -> bytes:
        if self.key_pos is not None:
            return self.tt.key_from_values([row[i] if i >= 0 else None for i in self.key_pos])
        return self.tt.sort_key_of(data)


class _Upd:
    __slots__ = ("image",)

    def __init__(self, image: RecordImage) -> None:
        self.image = image


def insert_set_rows(vt: Any, cur: Any, rows: Sequence[Sequence[U.SetItem]]) -> list[bytes]:
    """``PyeseInsertRows`` on a temporary table: one record per item of ``rows`` (each a
    list of ``(columnid, data, grbit, itagSequence, ibLongValue)`` as JetSetColumns reads
    them); returns one bookmark a row (``b""`` for a sort, which has none).

    A sort still being filled whose rows all set the same columns plainly (each column
    once, no grbit, the first value, no offset, a non-empty value) takes them through
    :func:`insert_rows`, the bulk path (a record and key encoded once per row, no update
    object); any other batch goes row by row through the table's own JetPrepareUpdate /
    JetSetColumn / JetUpdate (``update.insert_rows_with``). Either way the errors are
    those calls' and the rows before a failing one stay inserted (temporary tables are not
    transactional)."""
    if (rows and isinstance(cur, SortCursor) and not cur.closed and cur.vtname == SORT_INS
            and cur.update is None):
        cids = _plain_columns(rows)
        if cids is not None:
            n = insert_rows(cur, ([item[1] for item in row] for row in rows), cids)
            return [b""] * n
    return U.insert_rows_with(vt, cur, rows)


def _plain_columns(rows: Sequence[Sequence[U.SetItem]]) -> tuple[int, ...] | None:
    """The columnids every row of ``rows`` sets, in order, when each row sets exactly
    those columns plainly (see :func:`insert_set_rows`); else None."""
    cids = tuple(item[0] for item in rows[0])
    if not cids or len(set(cids)) != len(cids):
        return None
    for row in rows:
        if len(row) != len(cids):
            return None
        for (cid, data, grbit, itag, ib), want in zip(row, cids, strict=True):
            if cid != want or grbit or itag not in (0, 1) or ib or not data:
                return None
    return cids


def read_rows(cur: Any, columnids: Sequence[int]) -> Iterator[tuple[bytes | None, ...]]:
    """The rows of a temporary table in key order, from its first record: one value per
    ``columnids`` entry (the first value of each column, ESE's binary form, None = NULL).
    Moves ``cur`` as JetMove(JET_MoveFirst) and JetMove(JET_MoveNext) would (a sort being
    filled ends its insert phase; an updatable one is materialized); afterwards the cursor
    is after the last record. The read path of the Pythonic layer."""
    if not isinstance(cur, SortCursor | MaterializedCursor) or cur.closed:
        raise_error(C.JET_errInvalidTableId)
    tableid = cur.tableid
    try:
        cur.move(C.JET_MoveFirst)
    except JetError as exc:
        if exc.err == C.JET_errNoCurrentRecord:
            return
        raise
    cur = cursors.CURSORS.get(tableid, cur)  # materialized by the move: a new cursor
    layout = cur.table.layout
    cids = list(columnids)
    _encode, decode = cur.tt.codec(tuple(cids))

    def values(data: bytes) -> tuple[bytes | None, ...]:
        if decode is not None:
            got = decode(data)
            if got is not None:
                return got
        return tuple(layout.retrieve(data, c) for c in cids)

    if isinstance(cur, SortCursor):
        sort = cur.tt.sort
        assert sort is not None
        if cur.spill is None:
            k = sort.klen
            if k is None or k < 0:
                for i, data in enumerate(sort.iter_data()):
                    cur.i = i
                    yield values(data)
            else:  # records held as key then data: decode them in place
                shifted = cur.tt.decoder(tuple(cids), k)
                records = sort.records
                if shifted is None:
                    for i, rec in enumerate(records):
                        cur.i = i
                        yield values(rec[k:])
                else:
                    for i, got in enumerate(map(shifted, records)):
                        cur.i = i
                        yield got if got is not None else values(records[i][k:])
            cur.i = len(sort)
            return
        reader = cur.spill  # a spilled sort, read forward through its merged runs
        rec = cur.spill_rec
        while rec is not None:
            yield values(rec[1])
            rec = reader.next()
            cur.spill_rec = rec
        cur.i = _AFTER_SPILL
        return
    if isinstance(cur, MaterializedCursor):
        tt = cur.tt
        assert tt.file is not None and tt.objid is not None
        for key, data in tt.file.scan(tt.objid):
            cur.set_on(key, key)
            yield values(data)
        cur.park(AFTER)
