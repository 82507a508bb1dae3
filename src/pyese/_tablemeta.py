"""What the Pythonic layer knows of a table's catalog: its columns and indexes.

``TableMeta.load`` reads them once through a cursor (``JetGetTableColumnInfo`` /
``JetGetTableIndexInfo``); ``Database`` caches the result per table name and ``Table``
uses it to check names and types before any JET call. The module sits below ``_table``,
``_transaction`` and ``_instance`` and imports none of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyese.jet as jet
from pyese.jethdr import constants as C

_FILLED_BY_ESE = (C.JET_bitColumnAutoincrement | C.JET_bitColumnVersion
                  | C.JET_bitColumnEscrowUpdate)
"""Column flags for which ESE itself fills the value in at insert."""


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
