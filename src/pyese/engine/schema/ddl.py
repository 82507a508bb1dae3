"""Data definition: tables, columns and indexes written to the catalog (ESE ``fcreate.cxx``,
``fdelete.cxx``, ``cat.cxx``).

Every DDL call writes MSysObjects rows (``sysobjects``) through the version store, inside
the caller's transaction or, at level 0, inside one internal transaction of its own
(ESE's DDL runs in a transaction too), so a DDL call is atomic and a rolled back
transaction leaves no trace of the tables, columns and indexes it made.

Checks, in ESE's order where ESE has one:

- names (``check_name``, ESE ``ErrUTILCheckName``): 1-64 characters, no leading space,
  no control character, ``!``, ``.``, ``[`` or ``]``; trailing spaces are dropped;
  otherwise ``JET_errInvalidName``;
- columns (``column_def``, ESE ``ErrFILEIValidateAddColumn`` / ``ErrFILEGetNextColumnid``):
  see that function;
- indexes (``index_def``, ESE ``ErrFILEICheckIndex`` / ``ErrFILEIGenerateIDB``): the key
  string, the columns, the flags; building over existing rows raises
  ``JET_errKeyDuplicate`` on a unique index with duplicate keys.

Object ids come from ``DatabaseCatalog.new_objid``. A table gets its long-value tree when
it is created (ESE makes it on first use; the catalog row is the same).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from pyese.engine.cursors.tablescan import TableReader
from pyese.engine.instance.logservice import storage_of
from pyese.engine.instance.session import Session
from pyese.engine.records.indexentries import index_entries
from pyese.engine.records.keys import make_key
from pyese.engine.records.record import max_record_size
from pyese.engine.schema.callback_names import resolve_persisted
from pyese.engine.schema.catalog import TableDef
from pyese.engine.schema.fcb import DatabaseCatalog, catalog_of
from pyese.engine.schema.schema import (
    FIXED_FIRST,
    FIXED_LAST,
    FIXED_SIZES,
    LONG_TYPES,
    TAGGED_FIRST,
    TAGGED_LAST,
    TEXT_TYPES,
    VAR_FIRST,
    VAR_LAST,
    ColumnDef,
    ConditionalColumn,
    IndexDef,
    IndexSegment,
)
from pyese.engine.schema.spacehints import INDEX as SPACE_HINTS_INDEX
from pyese.engine.schema.spacehints import SpaceHints
from pyese.engine.schema.spacehints import check as check_space_hints
from pyese.engine.schema.spacehints import marshal as marshal_space_hints
from pyese.engine.schema.sysobjects import (
    MSO_INDEXES,
    TEMPLATE_COLUMN_BIT,
    CatalogColumn,
    CatalogIndex,
    CatalogLongValue,
    CatalogTable,
    ffield_from_column,
    fidbDerivedIndex,
    fidbTemplateIndex,
    fIDXDotNetGuid,
    fIDXExtendedColumns,
    idbflag_from_grbit,
    objidFDPMSO,
    sysobjColumn,
    sysobjIndex,
    sysobjLongValue,
    sysobjTable,
)
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error

_INVALID_NAME_CHARS = frozenset("!.[]")

COLUMN_GRBITS = (
    C.JET_bitColumnFixed | C.JET_bitColumnTagged | C.JET_bitColumnNotNULL
    | C.JET_bitColumnVersion | C.JET_bitColumnAutoincrement | C.JET_bitColumnUpdatable
    | C.JET_bitColumnMultiValued | C.JET_bitColumnEscrowUpdate | C.JET_bitColumnUnversioned
    | C.JET_bitColumnMaybeNull | C.JET_bitColumnFinalize | C.JET_bitColumnUserDefinedDefault
    | C.JET_bitColumnDeleteOnZero | C.JET_bitColumnVariable | C.JET_bitColumnCompressed
)

INDEX_GRBITS = (
    C.JET_bitIndexUnique | C.JET_bitIndexPrimary | C.JET_bitIndexDisallowNull
    | C.JET_bitIndexIgnoreNull | C.JET_bitIndexIgnoreAnyNull | C.JET_bitIndexIgnoreFirstNull
    | C.JET_bitIndexLazyFlush | C.JET_bitIndexEmpty | C.JET_bitIndexUnversioned
    | C.JET_bitIndexSortNullsHigh | C.JET_bitIndexUnicode | C.JET_bitIndexTuples
    | C.JET_bitIndexTupleLimits | C.JET_bitIndexCrossProduct | C.JET_bitIndexKeyMost
    | C.JET_bitIndexDisallowTruncation | C.JET_bitIndexNestedTable | C.JET_bitIndexDotNetGuid
)

DEFAULT_LCID = 0x0409
DEFAULT_LCMAP_FLAGS = 0x00030401
"""NORM_IGNORECASE | NORM_IGNOREKANATYPE | NORM_IGNOREWIDTH | LCMAP_SORTKEY (ESE's default)."""
TUPLE_DEFAULTS = (3, 10, 0x7FFF, 1, 0)
"""chLengthMin, chLengthMax, chToIndexMax, cchIncrement, ichStart (ESE ``idb.hxx``)."""


def check_name(name: object) -> str:
    """ESE's ErrUTILCheckName: the name with trailing spaces dropped, or JET_errInvalidName."""
    if not isinstance(name, str):
        raise_error(C.JET_errInvalidParameter, "a name must be a str")
    assert isinstance(name, str)
    if not name or name[0] == " " or len(name) > C.JET_cbNameMost:
        raise_error(C.JET_errInvalidName, repr(name))
    for ch in name:
        if ord(ch) < 0x20 or ch in _INVALID_NAME_CHARS:
            raise_error(C.JET_errInvalidName, repr(name))
        if ord(ch) > 0xFF:
            # the catalog keeps names in one byte per character; ESE converts a wide name
            # to its code page and fails with JET_errUnicodeTranslationFail when a
            # character has no mapping (os/string.cxx: ERROR_NO_UNICODE_TRANSLATION)
            raise_error(C.JET_errUnicodeTranslationFail, repr(name))
    return name.rstrip(" ")


# ------------------------------------------------------------------ transactions


@contextmanager
def ddl_transaction(session: Session) -> Iterator[None]:
    """Run DDL in the caller's transaction, or at level 0 in an internal one (committed on
    success, rolled back on any error)."""
    if session.level > 0:
        yield
        return
    session.begin_transaction()
    try:
        yield
    except BaseException:
        if session.level > 0:
            session.rollback(C.JET_bitRollbackAll)
        raise
    session.commit_transaction()


def _vs(session: Session) -> Any:
    vs = storage_of(session.instance).vs
    if vs is None:
        raise_error(C.JET_errNotInitialized)
    return vs


def mso_key(objid_table: int, sysobj: int, id_: int) -> bytes:
    """The MSysObjects primary key (ObjidTable, Type, Id) as ESE normalizes it."""
    if sysobj == sysobjColumn:
        id_ &= ~TEMPLATE_COLUMN_BIT  # the template bit is not persisted
    values = [struct.pack("<i", objid_table), struct.pack("<h", sysobj),
              struct.pack("<i", id_ if id_ < 0x80000000 else id_ - 0x100000000)]
    return make_key(MSO_INDEXES[0], values)[0]


def _put_row(session: Session, db: Any, objid_table: int, sysobj: int, id_: int,
             record: bytes) -> None:
    _vs(session).put(session, db, objidFDPMSO, mso_key(objid_table, sysobj, id_), record)


def _delete_row(session: Session, db: Any, objid_table: int, sysobj: int, id_: int) -> None:
    _vs(session).delete(session, db, objidFDPMSO, mso_key(objid_table, sysobj, id_))


def _check_writable(db: Any) -> None:
    if db.read_only:
        raise_error(C.JET_errPermissionDenied, "database attached read-only")


# ------------------------------------------------------------------ columns


@dataclass(frozen=True)
class ColumnRequest:
    """What a caller asks for (JET_COLUMNDEF / JET_COLUMNCREATE fields)."""

    name: str
    coltyp: int
    cbMax: int = 0
    grbit: int = 0
    cp: int = 0
    default: bytes | None = None
    udd: tuple[str, bytes | None] | None = None
    """A JET_USERDEFINEDDEFAULT given as the default: (szCallback, pbUserData)."""


def column_def(req: ColumnRequest, existing: dict[int, ColumnDef], exclusive: bool = True
               ) -> tuple[ColumnDef, int]:
    """Validate a new column against ``existing`` and give it its id; (column, warning).

    ``exclusive``: the table is held with DenyRead (needed for autoincrement and escrow
    columns). ESE's order (fcreate.cxx ErrFILEIValidateAddColumn, then ErrFILEIAddColumns /
    ErrFILEGetNextColumnid):

    1. JET_errInvalidParameter: cbMax beyond JET_cbLVColumnMost;
    2. JET_errInvalidName;
    3. JET_errInvalidColumnType: Nil, SLV or unknown;
    4. JET_errInvalidCodePage: a text column with cp other than 0, 1252, 1200 (0 -> 1252);
    5. JET_errColumnCannotBeCompressed (not a long value); JET_errColumnCannotBeEncrypted
       (encryption is not supported: always);
    6. JET_errInvalidGrbit: Fixed with Tagged or a long-value type;
       JET_errMultiValuedColumnMustBeTagged: MultiValued on a fixed/variable column;
    7. escrow: JET_errInvalidGrbit (not Long/LongLong), JET_errCannotBeTagged,
       JET_errInvalidGrbit (with Version / Autoincrement, no default, Finalize with
       DeleteOnZero), JET_errExclusiveTableLockRequired; Finalize / DeleteOnZero without
       escrow: JET_errInvalidGrbit;
    8. version / autoincrement: JET_errInvalidGrbit (autoincrement not Long, LongLong,
       UnsignedLongLong or Currency; version not Long; both), JET_errCannotBeTagged,
       JET_errExclusiveTableLockRequired (autoincrement);
    9. JET_bitColumnUserDefinedDefault: JET_errInvalidGrbit with Fixed, NotNULL, Version,
       Autoincrement, Updatable, EscrowUpdate, Finalize, DeleteOnZero or MaybeNull, or on a
       column neither tagged nor a long value; JET_errInvalidParameter when the default is
       not a JET_USERDEFINEDDEFAULT;
    10. JET_errDefaultValueTooBig (default longer than cbMax, or than
        JET_cbLVDefaultValueMost for a long value); JET_errInvalidBufferSize for a fixed
        type's default of the wrong size (pyese: ESE would store a malformed default);
    11. JET_errColumnRedundant (a second version or autoincrement column),
        JET_errColumnDuplicate (case-insensitive), JET_errTooManyColumns.

    The warning is JET_wrnColumnMaxTruncated when cbMax was cut to 255 for Text or Binary.
    """
    coltyp, grbit, cb_max, cp = req.coltyp, req.grbit, req.cbMax, req.cp
    if cb_max < 0 or cb_max > C.JET_cbLVColumnMost:
        raise_error(C.JET_errInvalidParameter, f"cbMax {cb_max}")
    name = check_name(req.name)
    if coltyp <= 0 or coltyp >= C.JET_coltypMax or coltyp == C.JET_coltypSLV:
        raise_error(C.JET_errInvalidColumnType, f"coltyp {coltyp}")
    if coltyp in TEXT_TYPES:
        if cp == 0:
            cp = 1252
        elif cp not in (1252, 1200):
            raise_error(C.JET_errInvalidCodePage, f"cp {cp}")
    else:
        cp = 0
    if grbit & ~(COLUMN_GRBITS | C.JET_bitColumnEncrypted):
        raise_error(C.JET_errInvalidGrbit, f"column grbit {grbit:#x}")
    is_long = coltyp in LONG_TYPES
    if grbit & C.JET_bitColumnCompressed and not is_long:
        raise_error(C.JET_errColumnCannotBeCompressed, name)
    if grbit & C.JET_bitColumnEncrypted:
        raise_error(C.JET_errColumnCannotBeEncrypted, "encrypted columns are not supported")
    tagged = bool(grbit & C.JET_bitColumnTagged) or is_long
    if tagged:
        if grbit & C.JET_bitColumnFixed:
            raise_error(C.JET_errInvalidGrbit, "a fixed column cannot be tagged or long")
    elif grbit & C.JET_bitColumnMultiValued:
        raise_error(C.JET_errMultiValuedColumnMustBeTagged, name)
    if grbit & C.JET_bitColumnFixed and grbit & C.JET_bitColumnVariable:
        raise_error(C.JET_errInvalidGrbit, "fixed and variable")
    if grbit & C.JET_bitColumnEscrowUpdate:
        if coltyp not in (C.JET_coltypLong, C.JET_coltypLongLong):
            raise_error(C.JET_errInvalidGrbit, "an escrow column is Long or LongLong")
        if grbit & C.JET_bitColumnTagged:
            raise_error(C.JET_errCannotBeTagged, name)
        if grbit & (C.JET_bitColumnVersion | C.JET_bitColumnAutoincrement):
            raise_error(C.JET_errInvalidGrbit, "escrow with version or autoincrement")
        if not req.default:
            raise_error(C.JET_errInvalidGrbit, "an escrow column needs a default value")
        if not exclusive:
            raise_error(C.JET_errExclusiveTableLockRequired, name)
        if grbit & C.JET_bitColumnFinalize and grbit & C.JET_bitColumnDeleteOnZero:
            raise_error(C.JET_errInvalidGrbit, "Finalize with DeleteOnZero")
    elif grbit & (C.JET_bitColumnFinalize | C.JET_bitColumnDeleteOnZero):
        raise_error(C.JET_errInvalidGrbit, "Finalize / DeleteOnZero need EscrowUpdate")
    elif grbit & (C.JET_bitColumnVersion | C.JET_bitColumnAutoincrement):
        if grbit & C.JET_bitColumnAutoincrement:
            if coltyp not in (C.JET_coltypLong, C.JET_coltypLongLong,
                              C.JET_coltypUnsignedLongLong, C.JET_coltypCurrency):
                raise_error(C.JET_errInvalidGrbit, "autoincrement needs a Long or Currency type")
        elif coltyp != C.JET_coltypLong:
            raise_error(C.JET_errInvalidGrbit, "a version column is Long")
        if grbit & C.JET_bitColumnTagged:
            raise_error(C.JET_errCannotBeTagged, name)
        if grbit & C.JET_bitColumnVersion and grbit & C.JET_bitColumnAutoincrement:
            raise_error(C.JET_errInvalidGrbit, "version with autoincrement")
        if grbit & C.JET_bitColumnAutoincrement and not exclusive:
            raise_error(C.JET_errExclusiveTableLockRequired, name)
    if grbit & C.JET_bitColumnUserDefinedDefault:
        # fcreate.cxx ErrFILEIValidateAddColumn, in its order
        for bit in (C.JET_bitColumnFixed, C.JET_bitColumnNotNULL, C.JET_bitColumnVersion,
                    C.JET_bitColumnAutoincrement, C.JET_bitColumnUpdatable,
                    C.JET_bitColumnEscrowUpdate, C.JET_bitColumnFinalize,
                    C.JET_bitColumnDeleteOnZero, C.JET_bitColumnMaybeNull):
            if grbit & bit:
                raise_error(C.JET_errInvalidGrbit, f"a user-defined default with {bit:#x}")
        if not grbit & C.JET_bitColumnTagged and not is_long:
            raise_error(C.JET_errInvalidGrbit, "a user-defined default needs a tagged column")
        if req.udd is None:
            raise_error(C.JET_errInvalidParameter, "pvDefault must be a JET_USERDEFINEDDEFAULT")
    elif req.udd is not None:
        raise_error(C.JET_errInvalidParameter, "a JET_USERDEFINEDDEFAULT needs "
                    "JET_bitColumnUserDefinedDefault")
    for col in existing.values():
        if col.coltyp == C.JET_coltypNil:
            continue
        if (grbit & C.JET_bitColumnVersion and col.grbit & C.JET_bitColumnVersion) or (
                grbit & C.JET_bitColumnAutoincrement
                and col.grbit & C.JET_bitColumnAutoincrement):
            raise_error(C.JET_errColumnRedundant, name)
    warning = 0
    if coltyp in FIXED_SIZES:
        cb_max = FIXED_SIZES[coltyp]
    elif not is_long:
        if cb_max == 0:
            cb_max = C.JET_cbColumnMost
        elif cb_max > C.JET_cbColumnMost:
            cb_max = C.JET_cbColumnMost
            warning = C.JET_wrnColumnMaxTruncated
    default = req.default if req.default else None
    if default is not None:
        if is_long:
            if (cb_max and len(default) > cb_max) or len(default) > C.JET_cbLVDefaultValueMost:
                raise_error(C.JET_errDefaultValueTooBig, name)
        elif len(default) > cb_max:
            raise_error(C.JET_errDefaultValueTooBig, name)
        elif coltyp in FIXED_SIZES and len(default) != cb_max:
            raise_error(C.JET_errInvalidBufferSize, "a fixed default has the column's size")
    folded = name.upper()
    for col in existing.values():
        if col.coltyp != C.JET_coltypNil and col.name.upper() == folded:
            raise_error(C.JET_errColumnDuplicate, name)
    if tagged:
        lo, hi = TAGGED_FIRST, TAGGED_LAST
    elif grbit & C.JET_bitColumnFixed or coltyp in FIXED_SIZES:
        lo, hi = FIXED_FIRST, FIXED_LAST
    else:
        lo, hi = VAR_FIRST, VAR_LAST
    used = [cid & 0xFFFF for cid in existing if lo <= (cid & 0xFFFF) <= hi]
    fid = max(used) + 1 if used else lo
    if fid > hi:
        raise_error(C.JET_errTooManyColumns, name)
    out_grbit = grbit & ~(C.JET_bitColumnFixed | C.JET_bitColumnTagged | C.JET_bitColumnVariable
                          | C.JET_bitColumnUnversioned)
    if tagged:
        out_grbit |= C.JET_bitColumnTagged
    elif lo == FIXED_FIRST:
        out_grbit |= C.JET_bitColumnFixed
    if req.udd is not None:
        return ColumnDef(fid, name, coltyp, cb_max, out_grbit, cp, None, req.udd[0],
                         req.udd[1]), warning
    return ColumnDef(fid, name, coltyp, cb_max, out_grbit, cp, default), warning


def _fixed_fits(columns: dict[int, ColumnDef], page_size: int) -> bool:
    total = 4 + sum(c.fixed_size for c in columns.values() if c.is_fixed)
    total += (sum(1 for c in columns.values() if c.is_fixed) + 7) // 8
    return total <= max_record_size(page_size)


def _column_row(table_objid: int, col: ColumnDef, page_size: int) -> bytes:
    return CatalogColumn(table_objid, col, ffield_from_column(col)).to_record(page_size)


# ------------------------------------------------------------------ indexes


@dataclass(frozen=True)
class IndexRequest:
    """What a caller asks for (JET_INDEXCREATE* fields, resolved)."""

    name: str
    key: str
    grbit: int = 0
    density: int = 0
    lcid: int = 0
    map_flags: int = 0
    locale_name: str | None = None
    cbVarSegMac: int = 0
    cbKeyMost: int = 0
    tuple_limits: tuple[int, int, int, int, int] | None = None
    conditions: tuple[tuple[str, int], ...] = ()
    space_hints: SpaceHints | None = None
    """JET_INDEXCREATE2/3 pSpacehints (checked by ``spacehints.check``)."""


def parse_key(key: object) -> list[tuple[str, bool]]:
    """ESE's key string ``"+a\\0-b\\0\\0"`` as (column name, descending) pairs.

    JET_errInvalidParameter for an empty string; JET_errIndexInvalidDef when the first
    column lacks its ``+``/``-``, the double NUL is missing, something follows it, or
    there are no columns or more than JET_ccolKeyMost (fcreate.cxx ErrFILEIGenerateIDB).
    """
    if not isinstance(key, str):
        raise_error(C.JET_errInvalidParameter, "szKey must be a str")
    assert isinstance(key, str)
    if not key:
        raise_error(C.JET_errInvalidParameter, "cbKey is 0")
    if not key.endswith("\0\0"):
        raise_error(C.JET_errIndexInvalidDef, "the key must end with two NULs")
    parts = key[:-1].split("\0")
    # key[:-1] ends with "\0", so the last part is "" and marks the end.
    parts = parts[:-1]
    if not parts or any(p == "" for p in parts):
        raise_error(C.JET_errIndexInvalidDef, "empty key column")
    if parts[0][0] not in "+-":
        raise_error(C.JET_errIndexInvalidDef, "the key must start with + or -")
    if len(parts) > C.JET_ccolKeyMost:
        raise_error(C.JET_errIndexInvalidDef, f"{len(parts)} key columns")
    out: list[tuple[str, bool]] = []
    for p in parts:
        desc = p[0] == "-"
        name = p[1:] if p[0] in "+-" else p
        out.append((name, desc))
    return out


def _cb_key_most_max(page_size: int) -> int:
    return {4096: C.JET_cbKeyMost4KBytePage, 8192: C.JET_cbKeyMost8KBytePage}.get(
        page_size, C.JET_cbKeyMost32KBytePage)


def index_def(req: IndexRequest, table: TableDef, page_size: int
              ) -> tuple[IndexDef, int, int]:
    """Validate an index request against ``table``; (IndexDef, IDBFLAG, IDXFLAG).

    Errors: JET_errInvalidName, JET_errInvalidGrbit (unknown or contradictory bits,
    Ignore* on a primary index, CrossProduct with NestedTable, IndexEmpty without
    IgnoreAnyNull), JET_errInvalidParameter / JET_errIndexInvalidDef (key string, cbKeyMost,
    tuple limits, conditional columns), JET_errColumnNotFound, JET_errCannotIndex (escrow
    column), JET_errIndexInvalidDef (multi-valued or conditional on primary),
    JET_errIndexTuplesSecondaryIndexOnly / NonUniqueOnly / VarSegMacNotAllowed /
    TextBinaryColumnsOnly, JET_errIndexDuplicate, JET_errIndexHasPrimary.
    """
    name = check_name(req.name)
    grbit = req.grbit
    if grbit & ~INDEX_GRBITS:
        raise_error(C.JET_errInvalidGrbit, f"index grbit {grbit:#x}")
    primary = bool(grbit & C.JET_bitIndexPrimary)
    if primary and grbit & (C.JET_bitIndexIgnoreNull | C.JET_bitIndexIgnoreAnyNull
                            | C.JET_bitIndexIgnoreFirstNull):
        raise_error(C.JET_errInvalidGrbit, "a primary index indexes every record")
    if grbit & C.JET_bitIndexCrossProduct and grbit & C.JET_bitIndexNestedTable:
        raise_error(C.JET_errInvalidGrbit, "CrossProduct and NestedTable")
    if grbit & C.JET_bitIndexEmpty and not grbit & C.JET_bitIndexIgnoreAnyNull:
        raise_error(C.JET_errInvalidGrbit, "IndexEmpty needs IgnoreAnyNull")
    keycols = parse_key(req.key)
    cb_key_most = req.cbKeyMost or C.JET_cbKeyMostMin
    if cb_key_most < C.JET_cbKeyMostMin or cb_key_most > _cb_key_most_max(page_size):
        raise_error(C.JET_errIndexInvalidDef, f"cbKeyMost {cb_key_most}")
    if req.cbVarSegMac < 0 or req.cbVarSegMac > cb_key_most:
        raise_error(C.JET_errIndexInvalidDef, f"cbVarSegMac {req.cbVarSegMac}")
    segments: list[IndexSegment] = []
    multivalued = False
    unicode_text = False
    for col_name, desc in keycols:
        col = table.column(col_name)
        if col.grbit & C.JET_bitColumnEscrowUpdate:
            raise_error(C.JET_errCannotIndex, col.name)
        if col.grbit & C.JET_bitColumnMultiValued:
            multivalued = True
            if primary:
                raise_error(C.JET_errIndexInvalidDef, "a primary index cannot be multi-valued")
        if col.is_unicode:
            unicode_text = True
        segments.append(IndexSegment(col, desc))
    if len({s.column.columnid for s in segments}) != len(segments):
        raise_error(C.JET_errIndexInvalidDef, "a column appears twice in the key")
    tuple_limits = None
    if grbit & C.JET_bitIndexTuples:
        if primary:
            raise_error(C.JET_errIndexTuplesSecondaryIndexOnly, name)
        if grbit & C.JET_bitIndexUnique:
            raise_error(C.JET_errIndexTuplesNonUniqueOnly, name)
        if req.cbVarSegMac:
            raise_error(C.JET_errIndexTuplesVarSegMacNotAllowed, name)
        first = segments[0].column
        if first.coltyp not in (C.JET_coltypText, C.JET_coltypLongText, C.JET_coltypBinary,
                                C.JET_coltypLongBinary):
            raise_error(C.JET_errIndexTuplesTextBinaryColumnsOnly, first.name)
        tl = req.tuple_limits or TUPLE_DEFAULTS
        ch_min, ch_max, to_index, incr, start = tl
        ch_min = ch_min or TUPLE_DEFAULTS[0]
        ch_max = ch_max or TUPLE_DEFAULTS[1]
        to_index = to_index or TUPLE_DEFAULTS[2]
        incr = incr or TUPLE_DEFAULTS[3]
        if ch_max < ch_min:
            raise_error(C.JET_errIndexTuplesInvalidLimits, name)
        tuple_limits = (ch_min, ch_max, to_index, incr, start)
    conditions: list[ConditionalColumn] = []
    if len(req.conditions) > C.JET_ccolKeyMost:
        raise_error(C.JET_errIndexInvalidDef, "too many conditional columns")
    for cond_name, cond_grbit in req.conditions:
        if primary:
            raise_error(C.JET_errIndexInvalidDef, "a primary index cannot be conditional")
        if cond_grbit not in (C.JET_bitIndexColumnMustBeNull, C.JET_bitIndexColumnMustBeNonNull):
            raise_error(C.JET_errInvalidGrbit, f"conditional column grbit {cond_grbit:#x}")
        col = table.column(cond_name)
        conditions.append(ConditionalColumn(col, cond_grbit == C.JET_bitIndexColumnMustBeNull))
    folded = name.upper()
    for existing_ix in table.indexes:
        if existing_ix.index.name.upper() == folded:
            raise_error(C.JET_errIndexDuplicate, name)
    if primary and table.primary_index is not None:
        raise_error(C.JET_errIndexHasPrimary, name)
    lcid = req.lcid or DEFAULT_LCID
    map_flags = req.map_flags or DEFAULT_LCMAP_FLAGS
    ix = IndexDef(
        name, tuple(segments), grbit & ~(C.JET_bitIndexTupleLimits | C.JET_bitIndexKeyMost
                                        | C.JET_bitIndexLazyFlush | C.JET_bitIndexUnversioned),
        cb_key_most, req.cbVarSegMac, lcid, map_flags, tuple(conditions), tuple_limits)
    fidb = idbflag_from_grbit(ix.grbit, multivalued=multivalued, unicode=unicode_text)
    fidx = fIDXExtendedColumns | (fIDXDotNetGuid if grbit & C.JET_bitIndexDotNetGuid else 0)
    return ix, fidb, fidx


# ------------------------------------------------------------------ tables


def create_table(session: Session, db: Any, name: str, pages: int = 0, density: int = 0,
                 flags: int = 0, template: TableDef | None = None,
                 space_hints: bytes | None = None, lv_hints: bytes | None = None) -> int:
    """JetCreateTable: a table row and its long-value tree row; returns the table objid.

    ``template``: the table is derived from that template table (``szTemplateTableName``):
    its row names the template and carries ``JET_bitObjectTableDerived``, and it inherits
    the template's indexes as ESE's ErrFILEIInheritIndexes does (fcreate.cxx): one index
    row per template index, the primary one on the table's own tree, each secondary one
    with a tree of its own, flagged derived instead of template. Its columns are the
    template's (``catalog.Catalog.load`` merges them in, template bit in their columnids).

    JET_errInvalidName, JET_errDensityInvalid (density not 0 or 20..100),
    JET_errTableDuplicate (a table of that name is visible to the session),
    JET_errPermissionDenied (read-only database).
    """
    name = check_name(name)
    if density and not 20 <= density <= 100:
        raise_error(C.JET_errDensityInvalid, f"density {density}")
    _check_writable(db)
    dc = catalog_of(db)
    if template is not None:
        flags |= C.JET_bitObjectTableDerived
    with ddl_transaction(session):
        if name.upper() in (n.upper() for n in dc.catalog(session).names()):
            raise_error(C.JET_errTableDuplicate, name)
        objid = dc.new_objid()
        lv_objid = dc.new_objid()
        row = CatalogTable(objid, objid, name, flags, max(pages, 1), density or 80,
                           template.name if template is not None else None,
                           space_hints=space_hints, lv_hints=lv_hints)
        _put_row(session, db, objid, sysobjTable, objid, row.to_record(dc.page_size))
        lv = CatalogLongValue(objid, lv_objid, lv_objid)
        _put_row(session, db, objid, sysobjLongValue, lv_objid, lv.to_record(dc.page_size))
        if template is not None:
            for tix in template.indexes:
                ix_objid = objid if tix.index.is_primary else dc.new_objid()
                fidb = (tix.fidb & ~fidbTemplateIndex) | fidbDerivedIndex
                cix = CatalogIndex(objid, ix_objid, ix_objid, tix.index, fidb, tix.fidx,
                                   tix.density, tix.locale_name)
                _put_row(session, db, objid, sysobjIndex, ix_objid,
                         cix.to_record(dc.page_size))
    return objid


def is_template(table: TableDef) -> bool:
    """A template table (``JET_bitTableCreateTemplateTable``)?"""
    return bool(table.flags & C.JET_bitObjectTableTemplate)


def inherited_column(table: TableDef, col: ColumnDef) -> bool:
    """Is ``col`` a column ``table`` inherits from its template?"""
    return table.derived and bool(col.columnid & TEMPLATE_COLUMN_BIT)


def add_column(session: Session, db: Any, table: TableDef, req: ColumnRequest,
               exclusive: bool = True) -> tuple[ColumnDef, int]:
    """JetAddColumn: validate (``column_def``), then write the column row; (column, warning).

    A NotNULL column is accepted on a table that has records, as ESE does (fcreate.cxx
    ErrIsamAddColumn scans no records): existing records read NULL (or the default).
    JET_errRecordTooBig when the fixed columns would no longer fit in a record,
    JET_errPermissionDenied on a read-only database.
    """
    _check_writable(db)
    dc = catalog_of(db)
    col, warning = column_def(req, table.columns, exclusive)
    if col.callback is not None and session.instance.get_param(
            C.JET_paramEnablePersistedCallbacks):
        # fcreate.cxx ErrFILEIAddColumns: resolved now only when persisted callbacks are on
        resolve_persisted(col.callback)
    if is_template(table):
        # a template table's columnids carry the template bit (fcreate.cxx
        # ErrFILEGetNextColumnid: ColumnidOfFid( fid, fTemplateTable ))
        col = replace(col, columnid=col.columnid | TEMPLATE_COLUMN_BIT)
    if col.is_fixed:
        cols = dict(table.columns)
        cols[col.columnid] = col
        if not _fixed_fits(cols, dc.page_size):
            raise_error(C.JET_errRecordTooBig, "the fixed columns would not fit in a record")
    with ddl_transaction(session):
        _put_row(session, db, table.objid, sysobjColumn, col.columnid,
                 _column_row(table.objid, col, dc.page_size))
    return col, warning


def _unicode_default(session: Session) -> tuple[int, int]:
    instance = getattr(session, "instance", None)
    params = getattr(instance, "params", None)
    value = params.get(C.JET_paramUnicodeIndexDefault) if params is not None else None
    if isinstance(value, tuple) and len(value) == 2:
        return int(value[0]), int(value[1])
    return DEFAULT_LCID, DEFAULT_LCMAP_FLAGS


KeyValues = Callable[[IndexDef, Any], Callable[[int], Sequence[bytes]]]
"""(index, RecordView) -> the ``values_of`` the record's keys in the index are made from."""


def create_index(session: Session, db: Any, table: TableDef, req: IndexRequest,
                 key_values: KeyValues | None = None) -> CatalogIndex:
    """JetCreateIndex: validate (``index_def``), write the index row and build the index
    from the table's records (the session's view).

    A primary index needs an empty table (JET_errTableNotEmpty); a unique index over
    duplicate keys gives JET_errKeyDuplicate and nothing is created. ``key_values``
    gives the values each record's keys are made from (``callbacks.RecordKeys``: a
    user-defined default column's callback, given a cursor on the record); without it,
    the values the record stores. An error of that callback fails the call.
    """
    _check_writable(db)
    dc = catalog_of(db)
    if not req.lcid or not req.map_flags:
        # no Unicode definition: the instance's JET_paramUnicodeIndexDefault (ESE:
        # pinst->m_wszLocaleNameDefault / m_dwLCMapFlagsDefault)
        lcid, flags = _unicode_default(session)
        req = replace(req, lcid=req.lcid or lcid, map_flags=req.map_flags or flags)
    ix, fidb, fidx = index_def(req, table, dc.page_size)
    if is_template(table):
        fidb |= fidbTemplateIndex  # the template's own indexes (IDB FTemplateIndex)
    hints_raw = None
    density = req.density or 80
    if req.space_hints is not None:
        # fcreate.cxx: an index's pSpacehints are checked (corrected) and its density is
        # theirs; the catalog keeps the extended part (cat.cxx ErrCATAddTableIndex)
        hints = check_space_hints(req.space_hints, dc.page_size)
        density = hints.ulInitialDensity
        hints_raw = marshal_space_hints(hints, SPACE_HINTS_INDEX)
    vs = _vs(session)
    with ddl_transaction(session):
        view = dc.view(session)
        if ix.is_primary:
            if view.cursor(table.objid).first() is not None:
                raise_error(C.JET_errTableNotEmpty, table.name)
            objid = table.objid
        else:
            objid = dc.new_objid()
        cix = CatalogIndex(table.objid, objid, objid, ix, fidb, fidx,
                           density, req.locale_name, space_hints=hints_raw)
        _put_row(session, db, table.objid, sysobjIndex, objid, cix.to_record(dc.page_size))
        if ix.is_primary and vs.any_present(db, table.objid):
            # Another session's uncommitted insert (or one committed after this transaction
            # began) counts: ESE looks for any node. Checked after the row is written so
            # that a concurrent insert sees the row (update.check_primary_index) or this
            # check sees the insert.
            _delete_row(session, db, table.objid, sysobjIndex, objid)
            raise_error(C.JET_errTableNotEmpty, table.name)
        if not ix.is_primary:
            reader = TableReader(view, table)
            seen: set[bytes] = set()
            for rec in reader.records():
                values = rec.values if key_values is None else key_values(ix, rec)
                for entry in index_entries(ix, values):
                    node_key, node_data = index_node(ix, entry.key, rec.bookmark)
                    if ix.is_unique:
                        if node_key in seen:
                            raise_error(C.JET_errKeyDuplicate,
                                        f"index {ix.name!r} over existing records")
                        seen.add(node_key)
                    vs.put(session, db, objid, node_key, node_data)
    return cix


def index_node(ix: IndexDef, key: bytes, bookmark: bytes) -> tuple[bytes, bytes]:
    """The (node key, node data) of a secondary index entry in a pyese database.

    Data is the primary bookmark. A unique index's node key is the index key; a
    non-unique index orders equal keys by bookmark (ESE compares key, then data), so its
    node key is the index key with each 00 byte escaped as 00 01, then 00 00, then the
    bookmark: bytewise order of node keys is then (key, bookmark) order.
    """
    if ix.is_unique:
        return key, bookmark
    return key.replace(b"\x00", b"\x00\x01") + b"\x00\x00" + bookmark, bookmark


def node_index_key(ix: IndexDef, node_key: bytes) -> bytes:
    """The index key of a node key made by :func:`index_node`."""
    if ix.is_unique:
        return node_key
    end = node_key.find(b"\x00\x00")
    if end < 0:
        end = len(node_key)
    return node_key[:end].replace(b"\x00\x01", b"\x00")


def seek_node_key(ix: IndexDef, key: bytes) -> bytes:
    """The node key to seek to for index key ``key`` (the first entry >= key)."""
    if ix.is_unique:
        return key
    return key.replace(b"\x00", b"\x00\x01")


def delete_index(session: Session, db: Any, table: TableDef, name: str) -> None:
    """JetDeleteIndex: JET_errIndexNotFound; JET_errIndexMustStay for the primary index
    (ESE: a clustered index cannot be deleted once it exists)."""
    name = check_name(name)
    _check_writable(db)
    cix = table.index(name)
    if cix.fidb & fidbDerivedIndex:
        # fcreate.cxx ErrIsamDeleteIndex: an index of the template table
        raise_error(C.JET_errFixedInheritedDDL, name)
    if cix.index.is_primary:
        raise_error(C.JET_errIndexMustStay, name)
    vs = _vs(session)
    with ddl_transaction(session):
        _delete_row(session, db, table.objid, sysobjIndex, cix.objid)
        vs.drop_tree_at_commit(session, db, cix.objid)


def delete_column(session: Session, db: Any, table: TableDef, name: str,
                  ignore_template_columns: bool = False) -> None:
    """JetDeleteColumn: JET_errFixedInheritedDDL for a column a derived table inherits
    (with JET_bitDeleteColumnIgnoreTemplateColumns the template's columns are not
    looked at: JET_errColumnNotFound, fcreate.cxx ErrIsamDeleteColumn);
    JET_errColumnNotFound; JET_errColumnInUse when an index uses it.

    A fixed or variable column keeps its slot (its row stays with coltyp Nil, as ESE keeps
    deleted columns' offsets); a tagged column's row goes.
    """
    name = check_name(name)
    _check_writable(db)
    col = table.column(name)
    if inherited_column(table, col):
        if not ignore_template_columns:
            raise_error(C.JET_errFixedInheritedDDL, name)
        raise_error(C.JET_errColumnNotFound, name)
    for ix in table.indexes:
        used = [s.column.columnid for s in ix.index.segments]
        used += [c.column.columnid for c in ix.index.conditions]
        if col.columnid in used:
            raise_error(C.JET_errColumnInUse, f"{name} is in index {ix.index.name}")
    dc = catalog_of(db)
    with ddl_transaction(session):
        if col.is_tagged:
            _delete_row(session, db, table.objid, sysobjColumn, col.columnid)
        else:
            dead = replace(col, coltyp=C.JET_coltypNil, name=f"~deleted{col.columnid}",
                           cbMax=col.fixed_size if col.is_fixed else col.cbMax, grbit=0,
                           default=None, callback=None, user_data=None)
            dead_row = CatalogColumn(table.objid, dead, 0).to_record(dc.page_size)
            _put_row(session, db, table.objid, sysobjColumn, col.columnid, dead_row)


def rename_column(session: Session, db: Any, table: TableDef, name: str, new_name: str) -> None:
    """JetRenameColumn: JET_errColumnNotFound, JET_errInvalidName, JET_errColumnDuplicate."""
    name = check_name(name)
    new_name = check_name(new_name)
    _check_writable(db)
    col = table.column(name)
    if inherited_column(table, col):
        # the catalog rows of a derived table hold only its own columns
        raise_error(C.JET_errColumnNotFound, name)
    if new_name.upper() != col.name.upper():
        for other in table.column_list():
            if other.name.upper() == new_name.upper():
                raise_error(C.JET_errColumnDuplicate, new_name)
    dc = catalog_of(db)
    with ddl_transaction(session):
        _put_row(session, db, table.objid, sysobjColumn, col.columnid,
                 _column_row(table.objid, replace(col, name=new_name), dc.page_size))


def set_column_default(session: Session, db: Any, table: TableDef, name: str,
                       default: bytes | None) -> None:
    """JetSetColumnDefaultValue: JET_errColumnNotFound, JET_errDefaultValueTooBig,
    JET_errInvalidBufferSize (wrong size for a fixed column), JET_errInvalidParameter (no
    default for an escrow column)."""
    name = check_name(name)
    _check_writable(db)
    col = table.column(name)
    if inherited_column(table, col):
        raise_error(C.JET_errColumnNotFound, name)  # not one of the derived table's rows
    default = bytes(default) if default else None
    if default is None and col.grbit & C.JET_bitColumnEscrowUpdate:
        raise_error(C.JET_errInvalidParameter, "an escrow column needs a default value")
    if default is not None:
        if col.is_long_value:
            if len(default) > C.JET_cbLVDefaultValueMost:
                raise_error(C.JET_errDefaultValueTooBig, name)
        elif len(default) > col.cbMax:
            raise_error(C.JET_errDefaultValueTooBig, name)
        elif col.coltyp in FIXED_SIZES and len(default) != col.cbMax:
            raise_error(C.JET_errInvalidBufferSize, "a fixed default has the column's size")
    dc = catalog_of(db)
    with ddl_transaction(session):
        _put_row(session, db, table.objid, sysobjColumn, col.columnid,
                 _column_row(table.objid, replace(col, default=default), dc.page_size))


def delete_table(session: Session, db: Any, table: TableDef) -> None:
    """JetDeleteTable: every catalog row of the table goes, its trees with the commit."""
    _check_writable(db)
    vs = _vs(session)
    with ddl_transaction(session):
        _delete_row(session, db, table.objid, sysobjTable, table.objid)
        for col in table.schema.columns.values():
            _delete_row(session, db, table.objid, sysobjColumn, col.columnid)
        for cix in table.indexes:
            _delete_row(session, db, table.objid, sysobjIndex, cix.objid)
            if cix.objid != table.objid:
                vs.drop_tree_at_commit(session, db, cix.objid)
        if table.lv_objid is not None:
            _delete_row(session, db, table.objid, sysobjLongValue, table.lv_objid)
            vs.drop_tree_at_commit(session, db, table.lv_objid)
        vs.drop_tree_at_commit(session, db, table.objid)


def rename_table(session: Session, db: Any, table: TableDef, new_name: str) -> None:
    """JetRenameTable: JET_errInvalidName, JET_errTableDuplicate."""
    new_name = check_name(new_name)
    _check_writable(db)
    dc = catalog_of(db)
    with ddl_transaction(session):
        names = dc.catalog(session).names()
        if new_name.upper() != table.name.upper() and new_name.upper() in (
                n.upper() for n in names):
            raise_error(C.JET_errTableDuplicate, new_name)
        t = table.schema.table
        row = replace(t, name=new_name)
        _put_row(session, db, table.objid, sysobjTable, table.objid, row.to_record(dc.page_size))


def rows_in(dc: DatabaseCatalog, session: Session, table: TableDef) -> int:
    """Number of records of ``table`` in the session's view."""
    n = 0
    for _ in dc.view(session).iterate(table.objid):
        n += 1
    return n


__all__ = [
    "ColumnRequest",
    "IndexRequest",
    "JetError",
    "add_column",
    "check_name",
    "column_def",
    "create_index",
    "create_table",
    "ddl_transaction",
    "delete_column",
    "delete_index",
    "delete_table",
    "index_def",
    "index_node",
    "mso_key",
    "node_index_key",
    "parse_key",
    "rename_column",
    "rename_table",
    "rows_in",
    "seek_node_key",
    "set_column_default",
]
