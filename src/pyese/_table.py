"""``Table`` and ``Row``: records of one table, read and written inside a transaction.

Every method is a handful of JET calls on the transaction's cached cursor, made while
it holds the transaction's session (``Transaction.entered()``: no JET call of its own;
whatever thread calls it, one at a time):

- ``insert``: one ``PyeseInsertRows`` (pyese's batch of ``JetPrepareUpdate`` /
  ``JetSetColumns`` / ``JetUpdate``, ``pyese.jet.batchwrite``) with the row's values and
  its bookmark back, when ESE fills in nothing the returned row must show; else
  ``JetPrepareUpdate(JET_prepInsert)``, one ``JetSetColumns``, one
  ``JetRetrieveColumns(JET_bitRetrieveCopy)`` for what ESE fills in itself
  (autoincrement, escrow, defaults), ``JetUpdate`` (and a read after it for a version
  column, which ESE sets in ``JetUpdate``);
- ``get``: ``JetMakeKey`` per key column, ``JetSeek(JET_bitSeekEQ)``, one
  ``PyeseRetrieveRows`` (pyese's batch read, ``pyese.jet.batch``) for the values and the
  bookmark;
- ``range`` / ``find``: a duplicate cursor (``JetDupCursor``) of its own, so other calls
  between two rows do not move it; ``JetSeek(GE/LT)`` or ``JetMove(First/Last)``,
  ``JetSetIndexRange`` for the far end. ``range`` then reads a page of rows per
  ``PyeseRetrieveValues`` call (pyese's typed batch read: 16 rows, growing to 256, one
  hold of the session each), the values typed by the engine's one-pass record decoder with
  the columns' own converters (``pyese._codec.LAYER_VALUES``); ``find`` reads per row
  ``JetMove`` plus one retrieval, in batches of the same sizes.

Per column, the value converters are built once (``ColMeta.enc`` / ``dec``); per set of
column names written, the ``JET_SETCOLUMN`` items (``_Plan``); per projection read, the
``JET_RETRIEVECOLUMN`` items (``_ReadPlan``). These are reused, filled only while the
session is held.

Values are checked before anything is written (``pyese._codec``): a wrong type is a
``TypeError`` naming the column; an unknown column names the ones that exist; a failed
``JetUpdate`` cancels the prepared update, so nothing is half-written.
"""

from __future__ import annotations

import struct
from collections.abc import (
    Callable,
    ItemsView,
    Iterator,
    KeysView,
    Mapping,
    Sequence,
    ValuesView,
)
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyese.jet as jet
from pyese._codec import LAYER_VALUES, Decoder, Encoder, decoder, encoder, returns_input
from pyese._errors import TransactionEndedError
from pyese._pool import PooledSession
from pyese._rowcodec import (
    RowDecoder,
    RowEncoder,
    row_decoder,
    row_encoder,
)
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
    """Hold the transaction's session with its context set (for writes)."""

    def _reading(self) -> AbstractContextManager[PooledSession]: ...
    """Hold the transaction's session, no context (for reads)."""


class DatabaseLike(Protocol):
    """What a table shows of its database (``pyese.Database``)."""

    filename: str
    read_only: bool

_NULL = C.JET_wrnColumnNull
_ZERO_LENGTH = C.JET_bitSetZeroLength
_FILLED_BY_ESE = (C.JET_bitColumnAutoincrement | C.JET_bitColumnVersion
                  | C.JET_bitColumnEscrowUpdate)
_GET_BITS = jet.Pyese_bitRowsStay | jet.Pyese_bitRowsBookmark
_PAGE_MAX = 256
"""``range``'s largest page (rows per ``PyeseRetrieveValues`` call)."""
_SMALL_DICT = 5
"""A dict holds this many keys before it first grows (CPython: 8 slots, 2/3 usable)."""
_ESCROW_FORMATS = {C.JET_coltypLong: struct.Struct("<i"),
                   C.JET_coltypLongLong: struct.Struct("<q")}


@dataclass(frozen=True, slots=True, eq=False)
class ColMeta:
    """What the layer needs of one column (from the catalog), with its value converters
    built once (``pyese._codec.encoder`` / ``decoder``). Compared and hashed by identity
    (one per column of a loaded ``TableMeta``), so it is a cheap dict key."""

    name: str
    columnid: int
    coltyp: int
    cp: int
    grbit: int
    has_default: bool
    enc: Encoder = field(init=False, compare=False, repr=False)
    """Python value -> stored bytes (None: NULL); ``TypeError`` names the column."""
    dec: Decoder = field(init=False, compare=False, repr=False)
    """Stored bytes -> Python value."""
    same: type | None = field(init=False, compare=False, repr=False)
    """The Python type whose values read back unchanged (``_codec.returns_input``)."""
    multi: bool = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "enc", encoder(self.name, self.coltyp, self.cp))
        object.__setattr__(self, "dec", decoder(self.coltyp, self.cp))
        object.__setattr__(self, "same", returns_input(self.coltyp, self.cp))
        object.__setattr__(self, "multi", bool(self.grbit & C.JET_bitColumnMultiValued))

    def stored(self, value: Any) -> tuple[bytes | None, Any]:
        """``(bytes, the value as it reads back)`` for a value of this column."""
        data = self.enc(value)
        if type(value) is self.same or data is None:
            return data, value
        return data, self.dec(data)


@dataclass(frozen=True, slots=True, eq=False)
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
    _decoders: dict[tuple[ColMeta, ...], RowDecoder] = field(default_factory=dict)
    _encoders: dict[tuple[ColMeta, ...], RowEncoder] = field(default_factory=dict)
    all: tuple[ColMeta, ...] = field(init=False)
    """Every column, in catalog (columnid) order."""
    all_ids: list[int] = field(init=False)
    """Their columnids (what ``get`` asks ``PyeseRetrieveRows`` for)."""
    decode_all: RowDecoder | None = field(default=None, init=False)
    """``row_decoder(all)``, once built."""

    def __post_init__(self) -> None:
        self.all = tuple(self.columns.values())
        self.all_ids = [c.columnid for c in self.all]

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
        if names is None:
            return self.all
        key = names if type(names) is tuple else tuple(names)
        got = self._projections.get(key)
        if got is None:
            if isinstance(names, str):
                raise TypeError("columns= is a list of column names, not a str")
            got = tuple(self.column(n) for n in key)
            self._projections[key] = got  # a benign race: the same value either way
        return got

    def values_encoder(self, cols: tuple[ColMeta, ...]) -> RowEncoder:
        """Row with exactly the columns ``cols`` in that order -> their stored bytes in
        that order (``pyese._rowcodec.row_encoder``); built once per shape of row."""
        got = self._encoders.get(cols)
        if got is None:
            got = row_encoder([(i, c.coltyp, c.cp, c.enc) for i, c in enumerate(cols)],
                              len(cols))
            if len(self._encoders) < 64:  # rows of ever new shapes are not all kept
                self._encoders[cols] = got  # a benign race: the same function either way
        return got

    def row_decoder(self, cols: tuple[ColMeta, ...]) -> RowDecoder:
        """``PyeseRetrieveRows`` row (bookmark first) -> column name -> Python value, for
        the projection ``cols`` (``pyese._rowcodec``); built once per projection."""
        got = self._decoders.get(cols)
        if got is None:
            got = row_decoder([(c.name, c.coltyp, c.cp, c.multi, c.dec) for c in cols])
            self._decoders[cols] = got  # a benign race: the same function either way
        return got


class Row(Mapping[str, Any]):
    """A record as read: a read-only mapping of column name -> Python value.

    A NULL column is None, a multi-valued column a list (empty when it has no value);
    an absent name is ``KeyError``. ``bookmark`` is the record's bookmark bytes.
    """

    __slots__ = ("_values", "_bookmark", "_table", "_key")

    def __init__(self, values: dict[str, Any], bookmark: bytes | None = None,
                 table: Table | None = None, key: tuple[Any, ...] | None = None) -> None:
        self._values = values
        self._bookmark = bookmark
        self._table = table
        """The table to ask for the bookmark (by primary key) when ``bookmark`` is None."""
        self._key = key
        """The primary key, when its columns are not all in ``values``."""

    @property
    def bookmark(self) -> bytes:
        """The record's bookmark (``JetGetBookmark``), for ``JetGotoBookmark``.

        ``insert`` and ``update`` return it with the row, and ``get`` and ``range``
        read it with the row. A row read by ``find`` from a table with a primary index
        fetches it on first use
        (one seek on the primary key: reading it for every row would cost a JET call per
        row), so use it while the row's transaction is open:
        ``pyese.TransactionEndedError`` after."""
        if self._bookmark is None and self._table is not None:
            table = self._table
            key = self._key
            if key is None:
                key = tuple(self._values[n] for n in table._pk_names)
            self._bookmark = table._bookmark_of(key)
            self._table = self._key = None
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

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def keys(self) -> KeysView[str]:
        return self._values.keys()

    def values(self) -> ValuesView[Any]:
        return self._values.values()

    def items(self) -> ItemsView[str, Any]:
        return self._values.items()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Row):
            return self._values == other._values
        return Mapping.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Row({self._values!r})"


Key = Any
"""A key: one value, or a tuple of values for a multi-column key (or its prefix)."""


class _Plan:
    """How to write one set of column names (cached per table and name tuple): the
    columns, reusable ``JET_SETCOLUMN`` items, and what ESE fills in at insert."""

    __slots__ = ("cols", "sets", "fill", "after", "absent", "simple", "in_order", "batch",
                 "cids", "values")

    def __init__(self, meta: TableMeta, names: tuple[str, ...]) -> None:
        self.cols = tuple(meta.column(n) for n in names)
        self.simple = not any(c.multi for c in self.cols)
        self.sets = [JET_SETCOLUMN(columnid=c.columnid, itagSequence=1) for c in self.cols]
        given = set(names)
        self.fill = tuple(c.name for c in meta.filled
                          if c.name not in given and not c.grbit & C.JET_bitColumnVersion)
        self.after = tuple(c.name for c in meta.filled if c.grbit & C.JET_bitColumnVersion)
        self.absent = tuple((c.name, c.multi) for c in meta.all if c.name not in given)
        """Columns the row does not give: (name, multi-valued)."""
        self.in_order = (names == tuple(c.name for c in meta.all) and self.simple
                         and not self.fill and not self.after)
        """The row gives every column in catalog order: what it stores is the Row."""
        self.batch = self.simple and not self.fill and not self.after
        """``insert`` goes through ``PyeseInsertRows`` (one engine call): nothing to read
        back from the copy buffer or after the update."""
        self.cids = [c.columnid for c in self.cols]
        self.values = self.simple and not any(c.has_default for c in self.cols)
        """Rows of this shape may go through ``PyeseInsertValues``, where None means "not
        set": the same as setting NULL only when no given column has a default."""


class _ReadPlan:
    """Reusable ``JET_RETRIEVECOLUMN`` items for one projection (single-valued columns);
    ``multi``: the columns, read by ``JetEnumerateColumns`` instead, when one is
    multi-valued."""

    __slots__ = ("rcs", "pairs", "multi")

    def __init__(self, cols: tuple[ColMeta, ...], copy: bool) -> None:
        self.multi = cols if any(c.multi for c in cols) else None
        g = C.JET_bitRetrieveCopy if copy else 0
        self.rcs = [JET_RETRIEVECOLUMN(columnid=c.columnid, itagSequence=1, grbit=g)
                    for c in cols]
        self.pairs = tuple(zip(self.rcs, [c.name for c in cols], [c.dec for c in cols],
                               strict=True))


class Table:
    """One table in a transaction (``tx.table(name)``); see the module docstring.

    Every method holds the transaction's session for its JET calls: reads with
    ``with self._held as ps:``, writes with ``with self._bound as ps:`` (which also sets
    the session context: ESE's update path opens a transaction level of its own, checked
    against the context). A second thread inside the same transaction meanwhile gets
    ``SessionSharingViolationError``.
    """

    def __init__(self, tx: TransactionLike, db: DatabaseLike, meta: TableMeta,
                 tableid: Any) -> None:
        self._tx = tx
        self._held = tx._reading()
        """``with self._held:`` for reads (no JET call of its own)."""
        self._bound = tx.entered()
        """``with self._bound:`` for writes (the session context set around them)."""
        self.database = db
        self.meta = meta
        self.name = meta.name
        self._tableid = tableid
        self._sesid = tx.sesid
        self._ranges: set[Any] = set()
        self._reads: dict[tuple[tuple[ColMeta, ...], bool], _ReadPlan] = {}
        self._read_all: _ReadPlan | None = None
        self._plans: dict[tuple[str, ...], _Plan] = {}
        pk = meta.primary
        self._pk_names: tuple[str, ...] = tuple(c.name for c in pk.columns) if pk else ()

    def __repr__(self) -> str:
        return f"<pyese.Table {self.name!r}>"

    @property
    def columns(self) -> list[str]:
        """The table's column names."""
        return list(self.meta.columns)

    # -- encoding ----------------------------------------------------------------------

    def _plan(self, row: Mapping[str, Any]) -> _Plan:
        if type(row) is not dict and not isinstance(row, Mapping):
            raise TypeError(f"a row is a mapping of column name -> value, not "
                            f"{type(row).__name__}")
        names = tuple(row)
        plan = self._plans.get(names)
        if plan is None:
            plan = self._plans[names] = _Plan(self.meta, names)
        return plan

    def _setcolumns(self, row: Mapping[str, Any], replace: bool, stored: bool = True
                    ) -> tuple[list[JET_SETCOLUMN], dict[str, Any], list[ColMeta], _Plan]:
        """Checked JET_SETCOLUMNs for ``row`` (the plan's reused items, to be passed to
        JET while the session is held), the values as stored (unless ``stored`` is
        False), and the multi-valued columns to clear beyond the new values (on
        replace)."""
        plan = self._plan(row)
        out: dict[str, Any] = {}
        if plan.simple:
            sets = plan.sets
            if len(row) != len(sets):
                raise RuntimeError("the row changed size while it was read")
            if stored:  # the value as it reads back: the one given when the type keeps it
                for sc, col, value in zip(sets, plan.cols, row.values()):
                    sc.pvData = data = col.enc(value)
                    sc.grbit = _ZERO_LENGTH if data == b"" else 0
                    out[col.name] = (value if type(value) is col.same or data is None
                                     else col.dec(data))
            else:
                for sc, col, value in zip(sets, plan.cols, row.values()):
                    sc.pvData = data = col.enc(value)
                    sc.grbit = _ZERO_LENGTH if data == b"" else 0
            return sets, out, [], plan
        sets = []
        multi: list[ColMeta] = []
        for col, value in zip(plan.cols, row.values(), strict=True):
            name = col.name
            if col.multi:
                items = [] if value is None else value
                if isinstance(items, str | bytes) or not isinstance(items, Sequence | set):
                    raise TypeError(f"column {name!r} is multi-valued: give a list of values"
                                    f", not {type(value).__name__}")
                vals = []
                for i, item in enumerate(items, 1):
                    data, back = col.stored(item)
                    if data is None:
                        raise TypeError(f"column {name!r}: a multi-valued column's values "
                                        f"cannot be None")
                    sets.append(JET_SETCOLUMN(columnid=col.columnid, pvData=data,
                                              itagSequence=i if replace else 0,
                                              grbit=0 if data else _ZERO_LENGTH))
                    vals.append(back)
                out[name] = vals
                if replace:
                    multi.append(col)
                continue
            data, out[name] = col.stored(value)
            sets.append(JET_SETCOLUMN(columnid=col.columnid, pvData=data, itagSequence=1,
                                      grbit=_ZERO_LENGTH if data == b"" else 0))
        return sets, out, multi, plan

    def _encode_key(self, im: IndexMeta, key: Key) -> list[bytes | None]:
        if type(key) is not tuple:
            if len(im.columns) == 0:
                raise ValueError(f"index {im.name!r} has no key columns")
            return [im.columns[0].enc(key)]
        if len(key) > len(im.columns):
            raise ValueError(f"index {im.name!r} has {len(im.columns)} key column(s) "
                             f"({', '.join(c.name for c in im.columns)}); got {len(key)}"
                             f" values")
        return [c.enc(v) for c, v in zip(im.columns, key)]

    def _make_key(self, tableid: Any, parts: list[bytes | None], last_grbit: int = 0
                  ) -> None:
        sesid = self._sesid
        n = len(parts)
        if n == 1:
            data = parts[0]
            jet.JetMakeKey(sesid, tableid, data, C.JET_bitNewKey | last_grbit | (
                C.JET_bitKeyDataZeroLength if data == b"" else 0))
            return
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
        if names is None and not copy:
            plan = self._read_all
            if plan is None:
                plan = self._read_all = self._read_plan(self.meta.all, False)
        else:
            cols = self.meta.projection(names)
            plan = self._reads.get((cols, copy))
            if plan is None:
                plan = self._reads[(cols, copy)] = self._read_plan(cols, copy)
        if plan.multi is not None:
            return self._read_multi(tableid, plan.multi, copy)
        # itagSequence stays 1: only the RetrieveFromIndex grbits make it an output
        jet.JetRetrieveColumns(self._sesid, tableid, plan.rcs)
        return {name: dec(rc.pvData) for rc, name, dec in plan.pairs}

    @staticmethod
    def _read_plan(cols: tuple[ColMeta, ...], copy: bool) -> _ReadPlan:
        return _ReadPlan(cols, copy)

    def _read_multi(self, tableid: Any, cols: tuple[ColMeta, ...], copy: bool
                    ) -> dict[str, Any]:
        enum = jet.JetEnumerateColumns(self._sesid, tableid, None,
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
            vals = [c.dec(r) for r in raw]
            out[c.name] = vals if c.multi else vals[0]
        return out

    def _row(self, values: dict[str, Any], tableid: Any,
             hidden: tuple[str, ...] = ()) -> Row:
        """A Row whose bookmark is fetched on use when the primary key is in ``values``
        (``hidden``: primary key columns read only for that, dropped from the row)."""
        if self._pk_names:
            if not hidden:
                return Row(values, None, self)
            key = tuple(values[n] for n in self._pk_names)
            for name in hidden:
                del values[name]
            return Row(values, None, self, key)
        return Row(values, jet.JetGetBookmark(self._sesid, tableid))

    def _bookmark_of(self, key: tuple[Any, ...]) -> bytes:
        """The bookmark of the record with primary key ``key`` (see ``Row.bookmark``)."""
        im = self.meta.index(None)
        with self._held:
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
        meta = self.meta
        decode = meta.decode_all
        if decode is None:
            decode = meta.decode_all = meta.row_decoder(meta.all)
        with self._held:
            if not self._seek_eq(tableid, im, key):
                return None
            raw = jet.PyeseRetrieveRows(self._sesid, tableid, meta.all_ids, 1, _GET_BITS)[0]
        return Row(decode(raw), raw[0])

    def __contains__(self, key: Key) -> bool:
        im = self.meta.index(None)
        with self._held:
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
                    hi: list[bytes | None] | None, reverse: bool,
                    hi_inclusive: bool = False) -> Any:
        """A duplicate cursor on the first row of the range (None: no row)."""
        sesid = self._sesid
        with self._held:
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
            return None
        return cur

    def _pages(self, cur: Any, reverse: bool, cols: tuple[ColMeta, ...]) -> Iterator[Row]:
        """The rows of an open range, a page per ``PyeseRetrieveValues`` call (16 rows,
        growing to 256) and per hold of the transaction's session: the values come typed
        by ``pyese._codec.LAYER_VALUES`` (the columns' own converters), each record
        decoded in one pass by the engine."""
        sesid = self._sesid
        cids = [c.columnid for c in cols]
        names = tuple(c.name for c in cols)
        # a wide row's dict is a copy of one already sized for its names, then filled:
        # dict(zip(...)) would grow it (rehash) several times on the way
        template = dict.fromkeys(names) if len(names) > _SMALL_DICT else None
        grbit = jet.Pyese_bitRowsBookmark | (jet.Pyese_bitRowsBackward if reverse else 0)
        page = 16
        try:
            while True:
                with self._held:
                    try:
                        got = jet.PyeseRetrieveValues(sesid, cur, cids, page, LAYER_VALUES,
                                                      grbit)
                    except jet.NoCurrentRecordError:
                        return
                # a Row made as it is asked for (its memory reused); each row is its
                # values then its bookmark: zip stops at the names' end, before it
                if template is None:
                    for row in got:
                        yield Row(dict(zip(names, row)), row[-1])
                else:
                    for row in got:
                        values = template.copy()
                        values.update(zip(names, row))
                        yield Row(values, row[-1])
                if len(got) < page:
                    return
                page = min(page * 2, _PAGE_MAX)
        finally:
            self._close_range(cur)

    def __iter__(self) -> Iterator[Row]:
        return self.range()

    def _scan(self, im: IndexMeta | None, lo: list[bytes | None] | None,
              hi: list[bytes | None] | None, hi_inclusive: bool, reverse: bool,
              columns: Sequence[str] | None) -> Iterator[Row]:
        cur = self._open_range(im, lo, hi, reverse, hi_inclusive)
        if cur is None:
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
        sesid = self._sesid
        step = C.JET_MovePrevious if reverse else C.JET_MoveNext
        hidden: tuple[str, ...] = ()
        if columns is not None and self._pk_names:
            hidden = tuple(n for n in self._pk_names if n not in columns)
            columns = (*columns, *hidden)
        read_one = self._row_reader(columns, hidden)
        batch_size = 16
        more = True
        try:
            while more:
                batch = []
                with self._held:
                    for _ in range(batch_size):
                        batch.append(read_one(cur))
                        try:
                            jet.JetMove(sesid, cur, step)
                        except jet.NoCurrentRecordError:
                            more = False
                            break
                batch_size = min(batch_size * 2, 256)
                yield from batch
        finally:
            self._close_range(cur)

    def _row_reader(self, columns: Sequence[str] | None, hidden: tuple[str, ...]
                    ) -> Callable[[Any], Row]:
        """``cursor -> Row`` of its current record, the read plan looked up once (for
        the rows of one range)."""
        cols = self.meta.projection(columns)
        plan = self._reads.get((cols, False))
        if plan is None:
            plan = self._reads[(cols, False)] = self._read_plan(cols, False)
        if plan.multi is not None or not self._pk_names:
            return lambda cur: self._row(self._read(cur, columns), cur, hidden)
        sesid = self._sesid
        rcs = plan.rcs
        pairs = plan.pairs
        retrieve = jet.JetRetrieveColumns
        if not hidden:
            def read(cur: Any) -> Row:
                retrieve(sesid, cur, rcs)
                return Row({name: dec(rc.pvData) for rc, name, dec in pairs}, None, self)
            return read
        pk = self._pk_names

        def read_hidden(cur: Any) -> Row:
            retrieve(sesid, cur, rcs)
            values = {name: dec(rc.pvData) for rc, name, dec in pairs}
            key = tuple(values[n] for n in pk)
            for name in hidden:
                del values[name]
            return Row(values, None, self, key)
        return read_hidden

    def _close_range(self, cur: Any) -> None:
        if cur in self._ranges and self._tx.active:
            self._ranges.discard(cur)
            try:
                with self._held:
                    jet.JetCloseTable(self._sesid, cur)
            except (jet.JetError, TransactionEndedError):
                pass

    def _close_ranges(self) -> None:
        """Close open range cursors (the caller holds the session)."""
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
        with self._held as ps:
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
        tableid = self._tableid
        sesid = self._sesid
        with self._bound:  # the plan's JET_SETCOLUMN items are filled while held
            sets, stored, _, plan = self._setcolumns(row, False)
            if plan.batch:  # one engine call for prepare + set + update (atomic)
                bookmark = jet.PyeseInsertRows(sesid, tableid, (sets,))[0]
                if plan.in_order:
                    return Row(stored, bookmark)
                return self._as_stored(stored, plan, bookmark)
            jet.JetPrepareUpdate(sesid, tableid, C.JET_prepInsert)
            try:
                if sets:
                    jet.JetSetColumns(sesid, tableid, sets)
                if plan.fill:
                    stored.update(self._read(tableid, plan.fill, copy=True))
                bookmark = jet.JetUpdate(sesid, tableid)
            except BaseException:
                self._cancel(tableid)
                raise
            if plan.after:  # ESE sets a version column in JetUpdate itself
                jet.JetGotoBookmark(sesid, tableid, bookmark)
                stored.update(self._read(tableid, plan.after))
        if plan.in_order:
            return Row(stored, bookmark)
        return self._as_stored(stored, plan, bookmark)

    def _as_stored(self, stored: dict[str, Any], plan: _Plan, bookmark: bytes) -> Row:
        """The inserted row: every column in catalog order, the absent ones NULL."""
        for name, multi in plan.absent:
            if name not in stored:
                stored[name] = [] if multi else None
        return Row({c.name: stored[c.name] for c in self.meta.all}, bookmark)

    def _insert_many_no_result(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert ``rows`` (bulk loads, ``insert_many``) through the engine's batch paths:
        every row is checked and encoded first (a ``TypeError`` writes nothing), then one
        engine call per run of rows of the same shape. ``jet.PyeseInsertValues`` (plain
        values, no structure per column) takes the rows it can express: single-valued
        columns without a default (its None is "not set"), no zero-length value; the
        others go through ``jet.PyeseInsertRows`` with JET_SETCOLUMN items of their own.
        The caller's transaction makes the whole all or nothing."""
        runs: list[tuple[_Plan | None, list[Any]]] = []
        plan: _Plan | None = None
        values: list[Any] = []
        meta = self.meta
        for row in rows:  # everything encoded (and checked) before anything is written
            p = self._plan(row)
            if p.values:
                encoded = meta.values_encoder(p.cols)(row)
                if b"" not in encoded:  # a zero-length value needs its grbit
                    if p is not plan:
                        plan, values = p, []
                        runs.append((p, values))
                    values.append(encoded)
                    continue
            if plan is not None or not runs:
                plan = None
                values = []
                runs.append((None, values))
            values.append([JET_SETCOLUMN(columnid=sc.columnid, pvData=sc.pvData,
                                         grbit=sc.grbit, itagSequence=sc.itagSequence)
                           for sc in self._setcolumns(row, False, stored=False)[0]])
        with self._bound:
            for shape, batch in runs:
                if shape is None:
                    jet.PyeseInsertRows(self._sesid, self._tableid, batch)
                else:
                    jet.PyeseInsertValues(self._sesid, self._tableid, shape.cids, batch)

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
        tableid = self._tableid
        sesid = self._sesid
        with self._bound:
            sets, _, multi, _plan = self._setcolumns(changes, True, stored=False)
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
        with self._bound:
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
        with self._bound:
            if not self._seek_eq(tableid, im, key):
                raise KeyError(key)
            old = jet.JetEscrowUpdate(self._sesid, tableid, col.columnid, data)
        return int(fmt.unpack(old)[0])
