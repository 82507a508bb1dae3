"""The engine's in-memory schema: what a column and an index are (ESE's FIELD and IDB).

These are the definitions the catalog (``MSysObjects``) stores and that the record layout
(``record.py``) and key normalization (``keys.py``) work from. They are plain, immutable
values; the catalog owns them.

Column ids follow ESE (``daedef.hxx`` FID): fixed columns 1..127, variable 128..255,
tagged 256..0xFEE0 (``JET_ccolMost``); the id alone says where a value lives in a record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyese.jethdr import constants as C

FIXED_FIRST, FIXED_LAST = 1, 127
VAR_FIRST, VAR_LAST = 128, 255
TAGGED_FIRST, TAGGED_LAST = 256, 0xFEE0

FIXED_SIZES: dict[int, int] = {
    C.JET_coltypBit: 1,
    C.JET_coltypUnsignedByte: 1,
    C.JET_coltypShort: 2,
    C.JET_coltypLong: 4,
    C.JET_coltypCurrency: 8,
    C.JET_coltypIEEESingle: 4,
    C.JET_coltypIEEEDouble: 8,
    C.JET_coltypDateTime: 8,
    C.JET_coltypUnsignedLong: 4,
    C.JET_coltypLongLong: 8,
    C.JET_coltypGUID: 16,
    C.JET_coltypUnsignedShort: 2,
    C.JET_coltypUnsignedLongLong: 8,
}
"""Size in bytes of each fixed-length column type (ESE ``cat.cxx`` UlCATColumnSize)."""

LONG_TYPES = frozenset({C.JET_coltypLongText, C.JET_coltypLongBinary})
TEXT_TYPES = frozenset({C.JET_coltypText, C.JET_coltypLongText})
BINARY_TYPES = frozenset({C.JET_coltypBinary, C.JET_coltypLongBinary})


def is_fixed_columnid(columnid: int) -> bool:
    return FIXED_FIRST <= (columnid & 0xFFFF) <= FIXED_LAST


def is_variable_columnid(columnid: int) -> bool:
    return VAR_FIRST <= (columnid & 0xFFFF) <= VAR_LAST


def is_tagged_columnid(columnid: int) -> bool:
    return TAGGED_FIRST <= (columnid & 0xFFFF) <= TAGGED_LAST


@dataclass(frozen=True)
class ColumnDef:
    """One column of a table (ESE's FIELD). ``cbMax`` 0 means the type's maximum."""

    columnid: int
    name: str
    coltyp: int
    cbMax: int = 0
    grbit: int = 0
    cp: int = 0
    default: bytes | None = None
    callback: str | None = None
    """JET_bitColumnUserDefinedDefault: the callback's "module!function" name."""
    user_data: bytes | None = None
    """JET_bitColumnUserDefinedDefault: the pbUserData handed to the callback."""

    @property
    def is_fixed(self) -> bool:
        return is_fixed_columnid(self.columnid)

    @property
    def is_variable(self) -> bool:
        return is_variable_columnid(self.columnid)

    @property
    def is_tagged(self) -> bool:
        return is_tagged_columnid(self.columnid)

    @property
    def is_text(self) -> bool:
        return self.coltyp in TEXT_TYPES

    @property
    def is_unicode(self) -> bool:
        return self.is_text and self.cp == 1200

    @property
    def is_long_value(self) -> bool:
        return self.coltyp in LONG_TYPES

    @property
    def fixed_size(self) -> int:
        """Bytes this column takes in the fixed part of a record (fixed columns only)."""
        if self.coltyp in FIXED_SIZES:
            return FIXED_SIZES[self.coltyp]
        return self.cbMax or 255


@dataclass(frozen=True)
class IndexSegment:
    """One key column of an index: the column and its direction."""

    column: ColumnDef
    descending: bool = False


@dataclass(frozen=True)
class ConditionalColumn:
    """A condition of a conditional index (``JET_CONDITIONALCOLUMN``)."""

    column: ColumnDef
    must_be_null: bool


@dataclass(frozen=True)
class IndexDef:
    """One index of a table (ESE's IDB). ``cbKeyMost`` is the key size limit in bytes."""

    name: str
    segments: tuple[IndexSegment, ...]
    grbit: int = 0
    cbKeyMost: int = C.JET_cbKeyMost
    cbVarSegMac: int = 0
    lcid: int = 0x0409
    lcmap_flags: int = 0x00030401
    conditions: tuple[ConditionalColumn, ...] = field(default_factory=tuple)
    tuple_limits: tuple[int, int, int, int, int] | None = None
    """(chLengthMin, chLengthMax, chToIndexMax, cchIncrement, ichStart) for tuple indexes."""

    @property
    def is_primary(self) -> bool:
        return bool(self.grbit & C.JET_bitIndexPrimary)

    @property
    def is_unique(self) -> bool:
        return bool(self.grbit & (C.JET_bitIndexUnique | C.JET_bitIndexPrimary))
