"""``TempTable``: ESE's sort as a Python object (``tx.temp_table(columns, key=...)``).

A temporary table of the transaction's session, opened by ``JetOpenTempTable3`` with
``JET_bitTTForwardOnly | JET_bitTTIntrinsicLVsOnly`` (``| JET_bitTTUnique`` for
``unique=True``): ESE keeps it as a *sort* (``docs/temptables.md``, "Two regimes"), never a
B-tree, so long text and binary values stay in its records and big sorts spill to runs
on disk instead of being materialized.

- The key columns go first in the column list, in key order, each with
  ``JET_bitColumnTTKey`` (``| JET_bitColumnTTDescending`` for a ``-name``): ESE's key is
  the TTKey columns in column order. The other columns follow in the order given.
- ``insert`` / ``insert_many``: every value is checked and encoded first (a wrong type is
  a ``TypeError`` naming the column, nothing written; one encoder written per shape of
  row, ``pyese._rowcodec.row_encoder``), then one ``PyeseInsertValues`` call (plain values,
  a sort being filled takes the engine's bulk path), or ``PyeseInsertRows`` when a value
  is zero-length (it needs ``JET_bitSetZeroLength``).
- Iterating ends the insert phase (the first ``JetMove``: ESE sorts then); the rows come
  in key order, ties by record bytes, a page per ``PyeseRetrieveRows`` call, each row
  decoded by a function written once for the table (``pyese._rowcodec``). Later
  inserts get ESE's ``JET_errIllegalOperation`` (a sort takes no update after its first
  move). Iterating again starts from the first row.
- ``unique=True`` drops rows whose key equals an earlier row's *in ESE's sort order*
  (key, then record bytes): of two rows with the same key, the one whose record bytes
  sort first survives, whatever the order they were inserted in (``JET_bitTTUnique``,
  ESE's ``sort.cxx`` ErrSORTEndInsert: CspairSORTIUnique over the sorted buffer, or the
  final merge of the runs). Without it every row is
  kept (a forward-only sort without Unique keeps duplicate keys).

Every JET call is made while holding the transaction's session (``Transaction._bound``
for the open and the inserts, ``_held`` for the reads and the close), so a second thread
inside the same transaction gets ``SessionSharingViolationError``. The transaction
closes its temporary tables before it commits or rolls back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Protocol

import pyese.jet as jet
from pyese._errors import TransactionEndedError
from pyese._pool import PooledSession
from pyese._rowcodec import PageDecoder, RowEncoder, page_decoder, row_encoder
from pyese._schema import TEXT_TYPES, Column
from pyese._table import ColMeta, Row
from pyese.jet.structs import JET_SETCOLUMN
from pyese.jethdr import constants as C

_ZERO_LENGTH = C.JET_bitSetZeroLength
_REFUSED = ("autoincrement", "escrow", "version", "multi_valued")


class TransactionLike(Protocol):
    """What a temporary table needs of its transaction (``pyese.Transaction``)."""

    _temps: set[Any]

    @property
    def sesid(self) -> Any: ...

    @property
    def active(self) -> bool: ...

    def entered(self) -> AbstractContextManager[PooledSession]: ...

    def _reading(self) -> AbstractContextManager[PooledSession]: ...


def parse_key(key: str | Sequence[str], names: Sequence[str]) -> list[tuple[str, bool]]:
    """``[(column, descending), ...]`` of a key given as one column name or a list of them,
    each with an optional ``+`` / ``-`` sign. ``ValueError`` for an empty key, a column not
    in ``names`` or one given twice; ``TypeError`` for anything but str / list of str."""
    parts = [key] if isinstance(key, str) else key
    if (isinstance(parts, str) or not isinstance(parts, Sequence)
            or not all(isinstance(p, str) for p in parts)):
        raise TypeError(f"key is a column name or a list of column names, not {key!r}")
    if not parts:
        raise ValueError("a temporary table needs at least one key column")
    if len(parts) > C.JET_ccolKeyMost:
        raise ValueError(f"a key has at most {C.JET_ccolKeyMost} columns")
    out: list[tuple[str, bool]] = []
    for p in parts:
        p = p.strip()
        desc = p.startswith("-")
        name = p[1:] if p[:1] in "+-" else p
        if name not in names:
            raise ValueError(f"key column {name!r} is not a column of the temporary table "
                             f"(columns: {', '.join(names) or 'none'})")
        if any(n == name for n, _ in out):
            raise ValueError(f"key column {name!r} is given twice")
        out.append((name, desc))
    return out


def _columndef(name: str, spec: Any, key_grbit: int) -> tuple[Any, ColMeta]:
    """The ``JET_COLUMNDEF`` of one column and its converters (``ColMeta``, columnid
    filled in later)."""
    col = spec if isinstance(spec, Column) else Column(spec)
    for option in _REFUSED:
        if getattr(col, option):
            raise ValueError(f"column {name!r}: {option} is not available in a temporary "
                             f"table")
    if col.default is not None:
        raise ValueError(f"column {name!r}: a temporary table's columns have no default")
    cp = col.cp if col.coltyp in TEXT_TYPES else 0
    grbit = col.grbit | key_grbit
    return (jet.JET_COLUMNDEF(coltyp=int(col.coltyp), cbMax=col.max_size, cp=cp,
                              grbit=grbit),
            ColMeta(name, 0, int(col.coltyp), cp, grbit, False))


class TempTable:
    """A sort of the transaction (``tx.temp_table``); see the module docstring.

    ``insert(row)``, ``insert_many(rows)``, ``for row in t`` (key order, ``Row`` objects),
    ``close()`` (also ``with t:``; the transaction's end closes it too).
    """

    def __init__(self, tx: TransactionLike, columns: Mapping[str, Any],
                 key: str | Sequence[str], unique: bool = False) -> None:
        if not isinstance(columns, Mapping) or not columns:
            raise TypeError("columns is a non-empty mapping of column name -> type")
        names = list(columns)
        keyed = parse_key(key, names)
        key_names = [n for n, _ in keyed]
        order = key_names + [n for n in names if n not in key_names]
        descending = dict(keyed)
        defs = []
        metas: dict[str, ColMeta] = {}
        for name in order:
            kg = 0
            if name in descending:
                kg = C.JET_bitColumnTTKey | (C.JET_bitColumnTTDescending
                                             if descending[name] else 0)
            d, m = _columndef(name, columns[name], kg)
            defs.append(d)
            metas[name] = m
        self._tx = tx
        self._sesid = tx.sesid
        self._held = tx._reading()
        self._bound = tx.entered()
        self.unique = unique
        self.key = tuple(keyed)
        grbit = C.JET_bitTTForwardOnly | C.JET_bitTTIntrinsicLVsOnly
        if unique:
            grbit |= C.JET_bitTTUnique
        with self._bound:
            tableid, ids = jet.JetOpenTempTable3(self._sesid, defs, None, grbit)
            tx._temps.add(self)
        self._tableid: Any = tableid
        self._cols: dict[str, ColMeta] = {}
        for name, cid in zip(order, ids, strict=True):
            m = metas[name]
            self._cols[name] = ColMeta(name, int(cid), m.coltyp, m.cp, m.grbit, False)
        self._out = tuple(self._cols[n] for n in names)
        self._cids = [c.columnid for c in self._cols.values()]
        self._where = {name: i for i, name in enumerate(self._cols)}
        """Column name -> its place in ``self._cids`` (the table's column order)."""
        self._encoders: dict[tuple[str, ...], RowEncoder] = {}
        """Per shape of row (names in order): its encoder (``_rowcodec.row_encoder``)."""
        self._decoder: PageDecoder | None = None
        """Page of rows -> dicts of the columns in the order given (``_rowcodec``)."""

    def __repr__(self) -> str:
        state = "closed" if self._tableid is None else "open"
        keys = ", ".join(("-" if d else "") + n for n, d in self.key)
        return f"<pyese.TempTable key=({keys}) {state}>"

    @property
    def columns(self) -> list[str]:
        """The column names, in the order given."""
        return [c.name for c in self._out]

    @property
    def closed(self) -> bool:
        return self._tableid is None

    def _check_open(self) -> Any:
        if self._tableid is None:
            if not self._tx.active:
                raise TransactionEndedError("the temporary table's transaction ended")
            raise ValueError("the temporary table is closed")
        return self._tableid

    # -- writing -----------------------------------------------------------------------

    def _encode(self, row: Mapping[str, Any]) -> list[bytes | None]:
        """One value per column of the table, in ``self._cids`` order (None: not set);
        a zero-length value is ``b""``. The encoder of each shape of row (its names in
        their order) is written once (``pyese._rowcodec.row_encoder``)."""
        if type(row) is not dict and not isinstance(row, Mapping):
            raise TypeError(f"a row is a mapping of column name -> value, not "
                            f"{type(row).__name__}")
        names = tuple(row)
        enc = self._encoders.get(names)
        if enc is None:
            enc = self._encoder(names)
        return enc(row)

    def _encoder(self, names: tuple[str, ...]) -> RowEncoder:
        cols = []
        for name in names:
            col = self._cols.get(name)
            if col is None:
                raise jet.ColumnNotFoundError(
                    C.JET_errColumnNotFound,
                    f"no column {name!r} in the temporary table "
                    f"(columns: {', '.join(self.columns)})")
            cols.append((self._where[name], col.coltyp, col.cp, col.enc))
        enc = row_encoder(cols, len(self._cids))
        if len(self._encoders) < 64:  # a bound: rows of ever new shapes are not kept
            self._encoders[names] = enc
        return enc

    def _setcolumns(self, values: list[bytes | None]) -> list[JET_SETCOLUMN]:
        """``values`` as JET_SETCOLUMNs: the form a zero-length value needs
        (``JET_bitSetZeroLength``)."""
        return [JET_SETCOLUMN(columnid=cid, pvData=data,
                              grbit=_ZERO_LENGTH if data == b"" else 0)
                for cid, data in zip(self._cids, values, strict=True) if data is not None]

    def insert(self, row: Mapping[str, Any]) -> None:
        """Add one row (absent columns are NULL). ``TypeError`` naming the column for a
        value of the wrong type, ``JET_errColumnNotFound`` for an unknown name (nothing
        written either way); ``JET_errIllegalOperation`` once the rows were read."""
        self.insert_many((row,))

    def insert_many(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Add the rows: all are checked and encoded before any is inserted, so a bad
        value anywhere inserts none of them. Errors as ``insert``."""
        tableid = self._check_open()
        encoders = self._encoders
        batch = []
        for row in rows:  # _encode, in line for the common case: a dict of a known shape
            enc = encoders.get(tuple(row)) if type(row) is dict else None
            batch.append(self._encode(row) if enc is None else enc(row))
        if not batch:
            return
        with self._bound:
            if any(b"" in values for values in batch):  # a zero-length value needs its grbit
                jet.PyeseInsertRows(self._sesid, tableid,
                                    [self._setcolumns(values) for values in batch])
            else:
                jet.PyeseInsertValues(self._sesid, tableid, self._cids, batch)

    # -- reading -----------------------------------------------------------------------

    def __iter__(self) -> Iterator[Row]:
        """The rows in key order (ties by record bytes), from the first. The first
        iteration ends the insert phase."""
        tableid = self._check_open()
        with self._held:
            try:
                jet.JetMove(self._sesid, tableid, C.JET_MoveFirst)
            except jet.NoCurrentRecordError:
                return iter(())
        return self._pages(tableid)

    def _pages(self, tableid: Any) -> Iterator[Row]:
        cols = self._out
        cids = [c.columnid for c in cols]
        decode = self._decoder
        if decode is None:
            decode = self._decoder = page_decoder(
                [(c.name, c.coltyp, c.cp, False, c.dec) for c in cols], bookmark=False)
        page = 64
        while True:
            if self._tableid is not tableid:
                self._check_open()
                raise ValueError("the temporary table was closed and reopened")
            with self._held:
                try:
                    got = jet.PyeseRetrieveRows(self._sesid, tableid, cids, page)
                except jet.NoCurrentRecordError:
                    return
            yield from list(map(Row, decode(got)))
            if len(got) < page:
                return
            page = min(page * 2, 1024)

    # -- closing -----------------------------------------------------------------------

    def close(self) -> None:
        """Close the table (``JetCloseTable``: ESE frees it). Idempotent."""
        tableid = self._tableid
        if tableid is None:
            return
        if not self._tx.active:
            self._tableid = None
            return
        with self._held:
            self._tableid = None
            self._tx._temps.discard(self)
            jet.JetCloseTable(self._sesid, tableid)

    def _closed_by_transaction(self) -> None:
        """Close while the transaction ends (the caller holds the session)."""
        tableid = self._tableid
        self._tableid = None
        if tableid is not None:
            try:
                jet.JetCloseTable(self._sesid, tableid)
            except jet.JetError:
                pass

    def __enter__(self) -> TempTable:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


__all__ = ["TempTable"]
