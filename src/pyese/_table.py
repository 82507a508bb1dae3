"""``Table`` and ``Row``: records of one table, read and written inside a transaction.

Every method is a handful of JET calls on the transaction's cached cursor, made between
the transaction's ``JetSetSessionContext`` / ``JetResetSessionContext`` (so it runs on
whatever thread calls it):

- ``insert``: ``JetPrepareUpdate(JET_prepInsert)``, one ``JetSetColumns`` for all the
  values, one ``JetRetrieveColumns(JET_bitRetrieveCopy)`` for what ESE fills in itself
  (autoincrement, version, defaults; skipped when there is none), ``JetUpdate``;
- ``get``: ``JetMakeKey`` per key column, ``JetSeek(JET_bitSeekEQ)``, one
  ``PyeseRetrieveRows`` (pyese's batch read, ``pyese.jet.batch``) for the values and the
  bookmark;
- ``range`` / ``find``: a duplicate cursor (``JetDupCursor``) of its own, so other calls
  between two rows do not move it; ``JetSeek(GE/LT)`` or ``JetMove(First/Last)``,
  ``JetSetIndexRange`` for the far end. ``range`` then reads a page of rows per
  ``PyeseRetrieveRows`` call (16, growing to 256, one context switch each); ``find``
  reads per row ``JetMove`` plus one retrieval, in batches of the same sizes.

Values are checked before anything is written (``pyese._codec``): a wrong type is a
``TypeError`` naming the column; an unknown column names the ones that exist; a failed
``JetUpdate`` cancels the prepared update, so nothing is half-written.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyese.jet as jet
from pyese._codec import decode_value, encode_value
from pyese._errors import TransactionEndedError
from pyese._pool import PooledSession
from pyese.jet.structs import JET_RETRIEVECOLUMN, JET_SETCOLUMN
from pyese.jethdr import constants as C


class TransactionLike(Protocol):
    """What a table needs of its transaction (``pyese.Transaction``; the transaction
    module imports this one, not the other way round)."""

    _ps: PooledSession | None

    @property
    def sesid(self) -> Any: ...

    @property
    def active(self) -> bool: ...

    def entered(self) -> AbstractContextManager[PooledSession]: ...


class DatabaseLike(Protocol):
    """What a table shows of its database (``pyese.Database``)."""

    filename: str
    read_only: bool

_NULL = C.JET_wrnColumnNull
_ZERO_LENGTH = C.JET_bitSetZeroLength
_FILLED_BY_ESE = (C.JET_bitColumnAutoincrement | C.JET_bitColumnVersion
                  | C.JET_bitColumnEscrowUpdate)
_ESCROW_FORMATS = {C.JET_coltypLong: struct.Struct("<i"),
                   C.JET_coltypLongLong: struct.Struct("<q")}


@dataclass(frozen=True, slots=True)
class ColMeta:
    """What the layer needs of one column (from the catalog)."""

    name: str
    columnid: int
    coltyp: int
    cp: int
    grbit: int
    has_default: bool

    @property
    def multi(self) -> bool:
        return bool(self.grbit & C.JET_bitColumnMultiValued)


@dataclass(frozen=True, slots=True)
class IndexMeta:
    """One index: its name and key columns (in key order)."""

    name: str
    columns: tuple[ColMeta, ...]
    primary: bool


@dataclass
class TableMeta:
    """A table's columns and indexes, loaded once per database and table name."""

    name: str
    columns: dict[str, ColMeta]
    indexes: dict[str, IndexMeta]
    primary: IndexMeta | None
    filled: tuple[ColMeta, ...]
    """Columns ESE may fill in at insert: autoincrement, version, escrow, defaults."""
    has_multi: bool
    _projections: dict[tuple[str, ...], tuple[ColMeta, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, sesid: Any, tableid: Any, name: str) -> TableMeta:
        """Read the catalog through the cursor (``JetGetTableColumnInfo`` /
        ``JetGetTableIndexInfo``)."""
        rows = jet.JetGetTableColumnInfo(sesid, tableid, None, C.JET_ColInfoListSortColumnid)
        columns = {r.columnname: ColMeta(r.columnname, int(r.columnid), int(r.coltyp),
                                         int(r.Cp), int(r.grbit), r.Default is not None)
                   for r in rows}
        segs: dict[str, list[Any]] = {}
        for r in jet.JetGetTableIndexInfo(sesid, tableid, None, C.JET_IdxInfoList):
            segs.setdefault(r.indexname, []).append(r)
        indexes: dict[str, IndexMeta] = {}
        primary = None
        for iname, rs in segs.items():
            rs.sort(key=lambda r: r.iColumn)
            im = IndexMeta(iname, tuple(columns[r.columnname] for r in rs),
                           bool(rs[0].grbitIndex & C.JET_bitIndexPrimary))
            indexes[iname] = im
            if im.primary:
                primary = im
        filled = tuple(c for c in columns.values()
                       if c.has_default or c.grbit & _FILLED_BY_ESE)
        return cls(name, columns, indexes, primary, filled,
                   any(c.multi for c in columns.values()))

    def column(self, name: str) -> ColMeta:
        """The column ``name``; ``JET_errColumnNotFound`` naming the columns that exist."""
        col = self.columns.get(name)
        if col is None:
            raise jet.ColumnNotFoundError(
                C.JET_errColumnNotFound,
                f"no column {name!r} in table {self.name!r} "
                f"(columns: {', '.join(self.columns) or 'none'})")
        return col

    def index(self, name: str | None) -> IndexMeta:
        """The index ``name``, or the primary index for None."""
        if name is None:
            if self.primary is None:
                raise ValueError(f"table {self.name!r} has no primary index: pass index= "
                                 f"(indexes: {', '.join(self.indexes) or 'none'})")
            return self.primary
        im = self.indexes.get(name)
        if im is None:
            raise jet.IndexNotFoundError(
                C.JET_errIndexNotFound,
                f"no index {name!r} on table {self.name!r} "
                f"(indexes: {', '.join(self.indexes) or 'none'})")
        return im

    def projection(self, names: Sequence[str] | None) -> tuple[ColMeta, ...]:
        """The columns to read (all, or ``names``), checked; cached per name tuple."""
        key = tuple(self.columns) if names is None else tuple(names)
        got = self._projections.get(key)
        if got is None:
            if isinstance(names, str):
                raise TypeError("columns= is a list of column names, not a str")
            got = tuple(self.column(n) for n in key)
            self._projections[key] = got  # a benign race: the same value either way
        return got


class Row(Mapping[str, Any]):
    """A record as read: a read-only mapping of column name -> Python value.

    A NULL column is None, a multi-valued column a list (empty when it has no value);
    an absent name is ``KeyError``. ``bookmark`` is the record's bookmark bytes.
    """

    __slots__ = ("_values", "_bookmark", "_source")

    def __init__(self, values: dict[str, Any], bookmark: bytes | None,
                 source: tuple[Table, tuple[Any, ...]] | None = None) -> None:
        self._values = values
        self._bookmark = bookmark
        self._source = source

    @property
    def bookmark(self) -> bytes:
        """The record's bookmark (``JetGetBookmark``), for ``JetGotoBookmark``.

        ``insert`` and ``update`` return it with the row, and ``get`` and ``range``
        read it with the row. A row read by ``find`` from a table with a primary index
        fetches it on first use
        (one seek on the primary key: reading it for every row would cost a JET call per
        row), so use it while the row's transaction is open:
        ``pyese.TransactionEndedError`` after."""
        if self._bookmark is None and self._source is not None:
            table, key = self._source
            self._bookmark = table._bookmark_of(key)
            self._source = None
        if self._bookmark is None:
            raise LookupError("the record has no bookmark")
        return self._bookmark

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __repr__(self) -> str:
        return f"Row({self._values!r})"


Key = Any
"""A key: one value, or a tuple of values for a multi-column key (or its prefix)."""


def _decode_row(cols: tuple[ColMeta, ...], raw: tuple[Any, ...]) -> dict[str, Any]:
    """Column name -> Python value of one ``PyeseRetrieveRows`` row (bookmark first)."""
    out: dict[str, Any] = {}
    for c, v in zip(cols, raw[1:]):
        if v is None:
            out[c.name] = None
        elif c.multi:
            out[c.name] = [decode_value(c.coltyp, r, c.cp) for r in v]
        else:
            out[c.name] = decode_value(c.coltyp, v, c.cp)
    return out


class Table:
    """One table in a transaction (``tx.table(name)``); see the module docstring."""

    def __init__(self, tx: TransactionLike, db: DatabaseLike, meta: TableMeta,
                 tableid: Any) -> None:
        self._tx = tx
        self.database = db
        self.meta = meta
        self.name = meta.name
        self._tableid = tableid
        self._sesid = tx.sesid
        self._ranges: set[Any] = set()
        self._rcs: dict[tuple[ColMeta, ...], list[JET_RETRIEVECOLUMN]] = {}

    def __repr__(self) -> str:
        return f"<pyese.Table {self.name!r}>"

    @property
    def columns(self) -> list[str]:
        """The table's column names."""
        return list(self.meta.columns)

    # -- encoding ----------------------------------------------------------------------

    def _setcolumns(self, row: Mapping[str, Any], replace: bool
                    ) -> tuple[list[JET_SETCOLUMN], dict[str, Any], list[ColMeta]]:
        """Checked JET_SETCOLUMNs for ``row``, the values as stored, and the multi-valued
        columns to clear beyond the new values (on replace)."""
        if not isinstance(row, Mapping):
            raise TypeError(f"a row is a mapping of column name -> value, not "
                            f"{type(row).__name__}")
        sets: list[JET_SETCOLUMN] = []
        stored: dict[str, Any] = {}
        multi: list[ColMeta] = []
        column = self.meta.column
        for name, value in row.items():
            col = column(name)
            if col.multi:
                items = [] if value is None else value
                if isinstance(items, str | bytes) or not isinstance(items, Sequence | set):
                    raise TypeError(f"column {name!r} is multi-valued: give a list of values"
                                    f", not {type(value).__name__}")
                out = []
                for i, item in enumerate(items, 1):
                    data = encode_value(name, col.coltyp, item, col.cp)
                    if data is None:
                        raise TypeError(f"column {name!r}: a multi-valued column's values "
                                        f"cannot be None")
                    sets.append(JET_SETCOLUMN(columnid=col.columnid, pvData=data,
                                              itagSequence=i if replace else 0,
                                              grbit=0 if data else _ZERO_LENGTH))
                    out.append(decode_value(col.coltyp, data, col.cp))
                stored[name] = out
                if replace:
                    multi.append(col)
                continue
            data = encode_value(name, col.coltyp, value, col.cp)
            sets.append(JET_SETCOLUMN(columnid=col.columnid, pvData=data, itagSequence=1,
                                      grbit=_ZERO_LENGTH if data == b"" else 0))
            stored[name] = decode_value(col.coltyp, data, col.cp)
        return sets, stored, multi

    def _encode_key(self, im: IndexMeta, key: Key) -> list[bytes | None]:
        values = key if isinstance(key, tuple) else (key,)
        if len(values) > len(im.columns):
            raise ValueError(f"index {im.name!r} has {len(im.columns)} key column(s) "
                             f"({', '.join(c.name for c in im.columns)}); got {len(values)}"
                             f" values")
        return [encode_value(c.name, c.coltyp, v, c.cp) for c, v in zip(im.columns, values)]

    def _make_key(self, tableid: Any, parts: list[bytes | None], last_grbit: int = 0
                  ) -> None:
        sesid = self._sesid
        n = len(parts)
        for i, data in enumerate(parts):
            grbit = C.JET_bitNewKey if i == 0 else 0
            if i == n - 1:
                grbit |= last_grbit
            if data == b"":
                grbit |= C.JET_bitKeyDataZeroLength
            jet.JetMakeKey(sesid, tableid, data, grbit)

    # -- reading -----------------------------------------------------------------------

    def _read(self, tableid: Any, names: Sequence[str] | None, copy: bool = False
              ) -> dict[str, Any]:
        """The current record's values (or the copy buffer's, with ``copy``)."""
        cols = self.meta.projection(names)
        sesid = self._sesid
        if not any(c.multi for c in cols):
            rcs = self._rcs.get(cols)
            if rcs is None:  # reused by this table's calls (one thread at a time)
                rcs = [JET_RETRIEVECOLUMN(columnid=c.columnid, itagSequence=1) for c in cols]
                self._rcs[cols] = rcs
            g = C.JET_bitRetrieveCopy if copy else 0
            for rc in rcs:
                rc.grbit = g
                rc.itagSequence = 1
            jet.JetRetrieveColumns(sesid, tableid, rcs)
            return {c.name: (None if rc.err == _NULL else
                             decode_value(c.coltyp, rc.pvData, c.cp))
                    for c, rc in zip(cols, rcs)}
        enum = jet.JetEnumerateColumns(sesid, tableid, None,
                                       C.JET_bitEnumerateCopy if copy else 0)
        by_id = {e.columnid: e for e in enum}
        out: dict[str, Any] = {}
        for c in cols:
            e = by_id.get(c.columnid)
            if e is None or e.err == _NULL:
                out[c.name] = [] if c.multi else None
                continue
            raw = ([e.pvData] if e.err == C.JET_wrnColumnSingleValue
                   else [v.pvData for v in e.rgEnumColumnValue])
            vals = [decode_value(c.coltyp, r, c.cp) for r in raw]
            out[c.name] = vals if c.multi else vals[0]
        return out

    def _row(self, values: dict[str, Any], tableid: Any,
             hidden: tuple[str, ...] = ()) -> Row:
        """A Row whose bookmark is fetched on use when the primary key is in ``values``
        (``hidden``: primary key columns read only for that, dropped from the row)."""
        pk = self.meta.primary
        if pk is not None:
            key = tuple(values[c.name] for c in pk.columns)
            for name in hidden:
                del values[name]
            return Row(values, None, (self, key))
        return Row(values, jet.JetGetBookmark(self._sesid, tableid))

    def _bookmark_of(self, key: tuple[Any, ...]) -> bytes:
        """The bookmark of the record with primary key ``key`` (see ``Row.bookmark``)."""
        im = self.meta.index(None)
        with self._tx.entered():
            if not self._seek_eq(self._tableid, im, key):
                raise KeyError(key)
            return jet.JetGetBookmark(self._sesid, self._tableid)

    def _seek_eq(self, tableid: Any, im: IndexMeta, key: Key) -> bool:
        parts = self._encode_key(im, key)
        self._tx._ps.set_index(tableid, im.name)  # type: ignore[union-attr]
        self._make_key(tableid, parts)
        try:
            jet.JetSeek(self._sesid, tableid, C.JET_bitSeekEQ)
        except jet.RecordNotFoundError:
            return False
        return True

    def get(self, key: Key, *, index: str | None = None) -> Row | None:
        """The row whose ``index`` key (primary by default) equals ``key``, or None."""
        im = self.meta.index(index)
        tableid = self._tableid
        cols = self.meta.projection(None)
        with self._tx.entered():
            if not self._seek_eq(tableid, im, key):
                return None
            raw = jet.PyeseRetrieveRows(self._sesid, tableid, [c.columnid for c in cols], 1,
                                        jet.Pyese_bitRowsStay | jet.Pyese_bitRowsBookmark)[0]
        return Row(_decode_row(cols, raw), raw[0])

    def __contains__(self, key: Key) -> bool:
        im = self.meta.index(None)
        with self._tx.entered():
            return self._seek_eq(self._tableid, im, key)

    def find(self, key: Key, *, index: str, columns: Sequence[str] | None = None
             ) -> Iterator[Row]:
        """Every row whose ``index`` key equals ``key`` (or starts with it, for a tuple
        shorter than the key), in index order."""
        im = self.meta.index(index)
        parts = self._encode_key(im, key)
        return self._scan(im, parts, parts, True, False, columns)

    def range(self, *, index: str | None = None, start: Key = None, stop: Key = None,
              reverse: bool = False, columns: Sequence[str] | None = None
              ) -> Iterator[Row]:
        """Rows in ``index`` order (primary by default) with ``start <= key < stop``;
        ``start`` / ``stop`` are values, tuples, or prefixes of the key's columns (None:
        no bound). ``reverse`` walks from the end. ``columns`` reads only those."""
        if columns is not None:
            self.meta.projection(columns)  # check names now, not at the first row
        im = self.meta.index(index) if index is not None or self.meta.primary else None
        lo = None if start is None else self._encode_key(im, start)  # type: ignore[arg-type]
        hi = None if stop is None else self._encode_key(im, stop)  # type: ignore[arg-type]
        cols = self.meta.projection(columns)
        cur = self._open_range(im, lo, hi, reverse)
        if cur is None:
            return iter(())
        return self._pages(cur, reverse, cols)

    def _open_range(self, im: IndexMeta | None, lo: list[bytes | None] | None,
                    hi: list[bytes | None] | None, reverse: bool) -> Any:
        """A duplicate cursor on the first row of ``range`` (None: no row)."""
        sesid = self._sesid
        with self._tx.entered():
            cur = jet.JetDupCursor(sesid, self._tableid)
            self._ranges.add(cur)
            try:
                if im is not None:
                    jet.JetSetCurrentIndex(sesid, cur, im.name)
                ok = self._position(cur, lo, hi, False, reverse)
            except BaseException:
                self._ranges.discard(cur)
                jet.JetCloseTable(sesid, cur)
                raise
        if not ok:
            self._close_range(cur)
            return None
        return cur

    def _pages(self, cur: Any, reverse: bool, cols: tuple[ColMeta, ...]) -> Iterator[Row]:
        """The rows of an open range, a page per ``PyeseRetrieveRows`` call (16 rows,
        growing to 256) and per entered section of the transaction."""
        tx = self._tx
        sesid = self._sesid
        cids = [c.columnid for c in cols]
        grbit = jet.Pyese_bitRowsBookmark | (jet.Pyese_bitRowsBackward if reverse else 0)
        page = 16
        try:
            while True:
                with tx.entered():
                    try:
                        got = jet.PyeseRetrieveRows(sesid, cur, cids, page, grbit)
                    except jet.NoCurrentRecordError:
                        return
                for raw in got:
                    yield Row(_decode_row(cols, raw), raw[0])
                if len(got) < page:
                    return
                page = min(page * 2, 256)
        finally:
            self._close_range(cur)

    def __iter__(self) -> Iterator[Row]:
        return self.range()

    def _scan(self, im: IndexMeta | None, lo: list[bytes | None] | None,
              hi: list[bytes | None] | None, hi_inclusive: bool, reverse: bool,
              columns: Sequence[str] | None) -> Iterator[Row]:
        tx = self._tx
        sesid = self._sesid
        with tx.entered():
            cur = jet.JetDupCursor(sesid, self._tableid)
            self._ranges.add(cur)
            try:
                if im is not None:
                    jet.JetSetCurrentIndex(sesid, cur, im.name)
                ok = self._position(cur, lo, hi, hi_inclusive, reverse)
            except BaseException:
                self._ranges.discard(cur)
                jet.JetCloseTable(sesid, cur)
                raise
        if not ok:
            self._close_range(cur)
            return iter(())
        return self._rows(cur, reverse, columns)

    def _position(self, cur: Any, lo: list[bytes | None] | None,
                  hi: list[bytes | None] | None, hi_inclusive: bool, reverse: bool) -> bool:
        sesid = self._sesid
        try:
            if not reverse:
                if lo is None:
                    jet.JetMove(sesid, cur, C.JET_MoveFirst)
                else:
                    self._make_key(cur, lo)
                    jet.JetSeek(sesid, cur, C.JET_bitSeekGE)
                if hi is not None:
                    if hi_inclusive:
                        self._make_key(cur, hi, C.JET_bitFullColumnEndLimit)
                        jet.JetSetIndexRange(sesid, cur, C.JET_bitRangeUpperLimit
                                             | C.JET_bitRangeInclusive)
                    else:
                        self._make_key(cur, hi)
                        jet.JetSetIndexRange(sesid, cur, C.JET_bitRangeUpperLimit)
            else:
                if hi is None:
                    jet.JetMove(sesid, cur, C.JET_MoveLast)
                else:
                    self._make_key(cur, hi)
                    jet.JetSeek(sesid, cur, C.JET_bitSeekLT)
                if lo is not None:
                    self._make_key(cur, lo)
                    jet.JetSetIndexRange(sesid, cur, C.JET_bitRangeInclusive)
        except (jet.RecordNotFoundError, jet.NoCurrentRecordError):
            return False
        return True

    def _rows(self, cur: Any, reverse: bool, columns: Sequence[str] | None
              ) -> Iterator[Row]:
        tx = self._tx
        sesid = self._sesid
        step = C.JET_MovePrevious if reverse else C.JET_MoveNext
        hidden: tuple[str, ...] = ()
        pk = self.meta.primary
        if columns is not None and pk is not None:
            hidden = tuple(c.name for c in pk.columns if c.name not in columns)
            columns = [*columns, *hidden]
        batch_size = 16
        more = True
        try:
            while more:
                batch = []
                with tx.entered():
                    for _ in range(batch_size):
                        batch.append(self._row(self._read(cur, columns), cur, hidden))
                        try:
                            jet.JetMove(sesid, cur, step)
                        except jet.NoCurrentRecordError:
                            more = False
                            break
                batch_size = min(batch_size * 2, 256)
                yield from batch
        finally:
            self._close_range(cur)

    def _close_range(self, cur: Any) -> None:
        if cur in self._ranges and self._tx.active:
            self._ranges.discard(cur)
            try:
                with self._tx.entered():
                    jet.JetCloseTable(self._sesid, cur)
            except (jet.JetError, TransactionEndedError):
                pass

    def _close_ranges(self) -> None:
        """Close open range cursors (inside the transaction's entered section)."""
        for cur in list(self._ranges):
            self._ranges.discard(cur)
            try:
                jet.JetCloseTable(self._sesid, cur)
            except jet.JetError:
                pass

    def _forget_ranges(self) -> None:
        self._ranges.clear()

    def __len__(self) -> int:
        """The number of records (``JetIndexRecordCount`` on the primary index)."""
        tableid = self._tableid
        with self._tx.entered() as ps:
            ps.set_index(tableid, self.meta.primary.name if self.meta.primary else None)
            try:
                jet.JetMove(self._sesid, tableid, C.JET_MoveFirst)
            except jet.NoCurrentRecordError:
                return 0
            return int(jet.JetIndexRecordCount(self._sesid, tableid, 0))

    # -- writing -----------------------------------------------------------------------

    def insert(self, row: Mapping[str, Any]) -> Row:
        """Insert a record; returns it as stored (autoincrement, version, escrow and
        default columns filled in by ESE). ``pyese.KeyDuplicateError`` for a duplicate
        unique key; ``TypeError`` for a value of the wrong type (nothing written)."""
        sets, stored, _ = self._setcolumns(row, False)
        fill = [c.name for c in self.meta.filled
                if c.name not in stored and not c.grbit & C.JET_bitColumnVersion]
        after = [c.name for c in self.meta.filled if c.grbit & C.JET_bitColumnVersion]
        tableid = self._tableid
        sesid = self._sesid
        with self._tx.entered():
            jet.JetPrepareUpdate(sesid, tableid, C.JET_prepInsert)
            try:
                if sets:
                    jet.JetSetColumns(sesid, tableid, sets)
                if fill:
                    stored.update(self._read(tableid, fill, copy=True))
                bookmark = jet.JetUpdate(sesid, tableid)
            except BaseException:
                self._cancel(tableid)
                raise
            if after:  # ESE sets a version column in JetUpdate itself
                jet.JetGotoBookmark(sesid, tableid, bookmark)
                stored.update(self._read(tableid, after))
        for c in self.meta.columns.values():
            if c.name not in stored:
                stored[c.name] = [] if c.multi else None
        ordered = {name: stored[name] for name in self.meta.columns}
        return Row(ordered, bookmark)

    def _insert_no_result(self, row: Mapping[str, Any]) -> None:
        """``insert`` without building the stored row (for bulk loads)."""
        sets, _, _ = self._setcolumns(row, False)
        tableid = self._tableid
        sesid = self._sesid
        with self._tx.entered():
            jet.JetPrepareUpdate(sesid, tableid, C.JET_prepInsert)
            try:
                if sets:
                    jet.JetSetColumns(sesid, tableid, sets)
                jet.JetUpdate(sesid, tableid)
            except BaseException:
                self._cancel(tableid)
                raise

    def _insert_many_no_result(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert ``rows`` (bulk loads, ``insert_many``) through the engine's batch path,
        ``jet.PyeseInsertRows``: every row is checked and encoded first (a ``TypeError``
        writes nothing), then one engine call inserts them all or none."""
        batch = [self._setcolumns(row, False)[0] for row in rows]
        with self._tx.entered():
            jet.PyeseInsertRows(self._sesid, self._tableid, batch)

    def _cancel(self, tableid: Any) -> None:
        try:
            jet.JetPrepareUpdate(self._sesid, tableid, C.JET_prepCancel)
        except jet.JetError:
            pass

    def update(self, key: Key, changes: Mapping[str, Any], *, index: str | None = None
               ) -> Row:
        """Change columns of the row whose key equals ``key``; returns the row as stored.
        ``KeyError`` when there is none; ``pyese.WriteConflictError`` when another
        transaction changed it since this one began."""
        im = self.meta.index(index)
        sets, _, multi = self._setcolumns(changes, True)
        tableid = self._tableid
        sesid = self._sesid
        with self._tx.entered():
            if not self._seek_eq(tableid, im, key):
                raise KeyError(key)
            counts = {}
            for col in multi:
                rc = JET_RETRIEVECOLUMN(columnid=col.columnid, itagSequence=0)
                jet.JetRetrieveColumns(sesid, tableid, [rc])
                counts[col.columnid] = rc.itagSequence
            jet.JetPrepareUpdate(sesid, tableid, C.JET_prepReplace)
            try:
                for col in multi:  # drop the old values beyond the new ones, last first
                    new = sum(1 for s in sets if s.columnid == col.columnid)
                    for itag in range(counts[col.columnid], new, -1):
                        sets.append(JET_SETCOLUMN(columnid=col.columnid, pvData=None,
                                                  itagSequence=itag))
                if sets:
                    jet.JetSetColumns(sesid, tableid, sets)
                bookmark = jet.JetUpdate(sesid, tableid)
            except BaseException:
                self._cancel(tableid)
                raise
            return Row(self._read(tableid, None), bookmark)

    def delete(self, key: Key, *, index: str | None = None) -> None:
        """Delete the row whose key equals ``key``; ``KeyError`` when there is none."""
        im = self.meta.index(index)
        tableid = self._tableid
        with self._tx.entered():
            if not self._seek_eq(tableid, im, key):
                raise KeyError(key)
            jet.JetDelete(self._sesid, tableid)

    def escrow(self, key: Key, column: str, delta: int, *, index: str | None = None) -> int:
        """Add ``delta`` to an escrow column (``JetEscrowUpdate``: concurrent escrow
        updates do not conflict); returns the value before. ``KeyError`` for no row."""
        im = self.meta.index(index)
        col = self.meta.column(column)
        fmt = _ESCROW_FORMATS.get(col.coltyp)
        if fmt is None or not col.grbit & C.JET_bitColumnEscrowUpdate:
            raise TypeError(f"column {column!r} is not an escrow column (Column(pyese.Long, "
                            f"escrow=True, default=0))")
        if isinstance(delta, bool) or not isinstance(delta, int):
            raise TypeError(f"escrow delta for column {column!r} expects int, not "
                            f"{type(delta).__name__}")
        try:
            data = fmt.pack(delta)
        except struct.error:
            raise OverflowError(f"escrow delta {delta} does not fit column {column!r}"
                                ) from None
        tableid = self._tableid
        with self._tx.entered():
            if not self._seek_eq(tableid, im, key):
                raise KeyError(key)
            old = jet.JetEscrowUpdate(self._sesid, tableid, col.columnid, data)
        return int(fmt.unpack(old)[0])
