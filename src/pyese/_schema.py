"""Table definitions for the Pythonic layer: column types, ``Column``, ``Index``.

A column's type is one of ESE's coltyps, spelled as ESE spells it (``pyese.Long`` is
``JET_coltypLong``), or a Python type as shorthand:

========================  =====================
Python type               coltyp
========================  =====================
``int``                   ``LongLong``
``str``                   ``LongText`` (cp 1200)
``bytes``                 ``LongBinary``
``float``                 ``IEEEDouble``
``bool``                  ``Bit``
``datetime.datetime``     ``DateTime``
``uuid.UUID``             ``GUID``
========================  =====================

An index key is ESE's own string (``"+name\\0-age\\0\\0"``), a list of segments
(``["+name", "-age"]``; a segment without a sign is ascending) or an :class:`Index`.
:func:`column_create` and :func:`index_create` turn them into the ``JET_COLUMNCREATE`` /
``JET_INDEXCREATE`` structures ``JetCreateTableColumnIndex`` takes.
"""

from __future__ import annotations

import datetime as _dt
import enum
import uuid
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any

from pyese import values as V
from pyese._codec import encode_value
from pyese.jet.structs import JET_COLUMNCREATE, JET_INDEXCREATE
from pyese.jethdr import constants as C


class Coltyp(enum.IntEnum):
    """ESE's column types (``JET_coltyp*``), usable wherever a coltyp int is."""

    Bit = C.JET_coltypBit
    UnsignedByte = C.JET_coltypUnsignedByte
    Short = C.JET_coltypShort
    Long = C.JET_coltypLong
    Currency = C.JET_coltypCurrency
    IEEESingle = C.JET_coltypIEEESingle
    IEEEDouble = C.JET_coltypIEEEDouble
    DateTime = C.JET_coltypDateTime
    Binary = C.JET_coltypBinary
    Text = C.JET_coltypText
    LongBinary = C.JET_coltypLongBinary
    LongText = C.JET_coltypLongText
    UnsignedLong = C.JET_coltypUnsignedLong
    LongLong = C.JET_coltypLongLong
    GUID = C.JET_coltypGUID
    UnsignedShort = C.JET_coltypUnsignedShort
    UnsignedLongLong = C.JET_coltypUnsignedLongLong


Bit = Coltyp.Bit
UnsignedByte = Coltyp.UnsignedByte
Short = Coltyp.Short
Long = Coltyp.Long
Currency = Coltyp.Currency
IEEESingle = Coltyp.IEEESingle
IEEEDouble = Coltyp.IEEEDouble
DateTime = Coltyp.DateTime
Binary = Coltyp.Binary
Text = Coltyp.Text
LongBinary = Coltyp.LongBinary
LongText = Coltyp.LongText
UnsignedLong = Coltyp.UnsignedLong
LongLong = Coltyp.LongLong
GUID = Coltyp.GUID
UnsignedShort = Coltyp.UnsignedShort
UnsignedLongLong = Coltyp.UnsignedLongLong

PYTHON_TYPES: dict[type, Coltyp] = {
    bool: Coltyp.Bit,
    int: Coltyp.LongLong,
    str: Coltyp.LongText,
    bytes: Coltyp.LongBinary,
    float: Coltyp.IEEEDouble,
    _dt.datetime: Coltyp.DateTime,
    uuid.UUID: Coltyp.GUID,
}

TEXT_TYPES = frozenset({Coltyp.Text, Coltyp.LongText})


def coltyp_of(type_: Any) -> Coltyp:
    """The coltyp of a column type given as a coltyp or a Python type (``TypeError`` else)."""
    if isinstance(type_, type) and type_ in PYTHON_TYPES:
        return PYTHON_TYPES[type_]
    if isinstance(type_, int) and not isinstance(type_, bool):
        try:
            return Coltyp(type_)
        except ValueError:
            pass
    known = ", ".join(t.__name__ for t in PYTHON_TYPES)
    raise TypeError(f"{type_!r} is not a column type: use a pyese coltyp (pyese.Long, "
                    f"pyese.Text, ...) or one of {known}")


@dataclass(frozen=True)
class Column:
    """A column to create: its type and ESE's column options.

    ``Column(int, autoincrement=True)``, ``Column(pyese.Text, max_size=64, cp=1252)``.
    ``type`` is a coltyp or a Python type (stored as the coltyp). ``escrow`` columns
    (``JET_bitColumnEscrowUpdate``) need a ``default``; ``version`` and ``autoincrement``
    columns are filled in by ESE at insert.
    """

    type: Any
    _: KW_ONLY
    not_null: bool = False
    autoincrement: bool = False
    multi_valued: bool = False
    default: Any = None
    escrow: bool = False
    version: bool = False
    max_size: int = 0
    fixed: bool = False
    tagged: bool = False
    cp: int = V.CP_UNICODE

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", coltyp_of(self.type))

    @property
    def coltyp(self) -> Coltyp:
        """The column's coltyp."""
        return coltyp_of(self.type)

    @property
    def grbit(self) -> int:
        """ESE's ``JET_bitColumn*`` bits for these options."""
        g = 0
        for flag, bit in ((self.fixed, C.JET_bitColumnFixed),
                          (self.tagged, C.JET_bitColumnTagged),
                          (self.not_null, C.JET_bitColumnNotNULL),
                          (self.version, C.JET_bitColumnVersion),
                          (self.autoincrement, C.JET_bitColumnAutoincrement),
                          (self.multi_valued, C.JET_bitColumnMultiValued),
                          (self.escrow, C.JET_bitColumnEscrowUpdate)):
            if flag:
                g |= bit
        return g


@dataclass(frozen=True)
class Index:
    """An index to create: its key and ESE's index options.

    ``key`` is ESE's key string (``"+name\\0-age\\0\\0"``) or a list of segments
    (``["+name", "-age"]``).
    """

    key: str | Sequence[str]
    _: KW_ONLY  # API.md section 2: Index(key, *, primary=False, unique=False, ...)
    primary: bool = False
    unique: bool = False
    ignore_null: bool = False
    ignore_any_null: bool = False
    disallow_null: bool = False
    sort_nulls_high: bool = False
    density: int = 100

    @property
    def segments(self) -> list[str]:
        """The key's segments, each with its sign (``["+name", "-age"]``)."""
        return key_segments(self.key)

    @property
    def grbit(self) -> int:
        """ESE's ``JET_bitIndex*`` bits for these options."""
        g = 0
        for flag, bit in ((self.primary, C.JET_bitIndexPrimary),
                          (self.unique, C.JET_bitIndexUnique),
                          (self.ignore_null, C.JET_bitIndexIgnoreNull),
                          (self.ignore_any_null, C.JET_bitIndexIgnoreAnyNull),
                          (self.disallow_null, C.JET_bitIndexDisallowNull),
                          (self.sort_nulls_high, C.JET_bitIndexSortNullsHigh)):
            if flag:
                g |= bit
        return g


def key_segments(key: str | Sequence[str]) -> list[str]:
    """Segments of a key given as ESE's string, one segment name, or a list."""
    if isinstance(key, str):
        parts = [p for p in key.split("\0") if p] if "\0" in key else [key]
    elif isinstance(key, Sequence) and all(isinstance(p, str) for p in key):
        parts = list(key)
    else:
        raise TypeError(f"an index key is ESE's key string or a list of column names, "
                        f"not {key!r}")
    if not parts:
        raise ValueError("an index key needs at least one column")
    out = []
    for p in parts:
        p = p.strip()
        if not p or p in "+-":
            raise ValueError(f"empty key segment in {key!r}")
        out.append(p if p[0] in "+-" else "+" + p)
    return out


def as_index(spec: str | Sequence[str] | Index) -> Index:
    """An :class:`Index` from any of the accepted spellings."""
    return spec if isinstance(spec, Index) else Index(key_segments(spec))


def column_create(name: str, col: Column | Any) -> JET_COLUMNCREATE:
    """The ``JET_COLUMNCREATE`` of one column (a bare type means ``Column(type)``)."""
    if not isinstance(col, Column):
        col = Column(col)
    typ = col.coltyp
    default = None if col.default is None else encode_value(name, typ, col.default, col.cp)
    text = typ in TEXT_TYPES
    return JET_COLUMNCREATE(szColumnName=name, coltyp=int(typ), cbMax=col.max_size,
                            grbit=col.grbit, pvDefault=default,
                            cp=(col.cp if text else 0))


def index_create(name: str, spec: str | Sequence[str] | Index) -> JET_INDEXCREATE:
    """The ``JET_INDEXCREATE`` of one index."""
    idx = as_index(spec)
    key = "".join(s + "\0" for s in idx.segments) + "\0"
    return JET_INDEXCREATE(szIndexName=name, szKey=key, grbit=idx.grbit,
                           ulDensity=idx.density)


@dataclass(frozen=True)
class ColumnInfo:
    """One column as the catalog describes it (``db.columns(table)``)."""

    name: str
    columnid: int
    type: Coltyp | int
    cp: int
    max_size: int
    grbit: int
    default: Any

    @property
    def multi_valued(self) -> bool:
        return bool(self.grbit & C.JET_bitColumnMultiValued)

    @property
    def autoincrement(self) -> bool:
        return bool(self.grbit & C.JET_bitColumnAutoincrement)

    @property
    def escrow(self) -> bool:
        return bool(self.grbit & C.JET_bitColumnEscrowUpdate)

    @property
    def version(self) -> bool:
        return bool(self.grbit & C.JET_bitColumnVersion)

    @property
    def not_null(self) -> bool:
        return bool(self.grbit & C.JET_bitColumnNotNULL)

    @property
    def fixed(self) -> bool:
        return bool(self.grbit & C.JET_bitColumnFixed)

    @property
    def tagged(self) -> bool:
        return bool(self.grbit & C.JET_bitColumnTagged)


@dataclass(frozen=True)
class IndexInfo:
    """One index as the catalog describes it (``db.indexes(table)``)."""

    name: str
    key: list[str]
    grbit: int
    entries: int

    @property
    def columns(self) -> list[str]:
        return [s[1:] for s in self.key]

    @property
    def primary(self) -> bool:
        return bool(self.grbit & C.JET_bitIndexPrimary)

    @property
    def unique(self) -> bool:
        return bool(self.grbit & (C.JET_bitIndexUnique | C.JET_bitIndexPrimary))


__all__ = [
    "GUID", "Binary", "Bit", "Coltyp", "Column", "ColumnInfo", "Currency", "DateTime",
    "IEEEDouble", "IEEESingle", "Index", "IndexInfo", "Long", "LongBinary", "LongLong",
    "LongText", "Short", "Text", "UnsignedByte", "UnsignedLong", "UnsignedLongLong",
    "UnsignedShort",
]
