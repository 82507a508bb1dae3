"""The catalog table ``MSysObjects`` as ESE defines it (``cat.cxx`` rgcdescMSO, ``cat.hxx``).

One catalog row per object, clustered by (ObjidTable, Type, Id):

==========  =====================================================================
Type        row
==========  =====================================================================
1 table     Id = objid, ColtypOrPgnoFDP = pgnoFDP, SpaceUsage = density,
            PagesOrLocale = initial pages, Flags = JET_bitObject*, RootFlag = 1,
            TemplateTable = template name
2 column    Id = columnid, ColtypOrPgnoFDP = coltyp, SpaceUsage = cbMax,
            Flags = FIELDFLAG (ffield*), PagesOrLocale = code page,
            RecordOffset = fixed offset, DefaultValue
3 index     Id = objid, ColtypOrPgnoFDP = pgnoFDP, SpaceUsage = density,
            Flags = IDBFLAG | IDXFLAG << 16, PagesOrLocale = LCID, LCMapFlags,
            KeyMost, VarSegMac, KeyFldIDs / ConditionalColumns (IDXSEG: u8 flags
            0x80 template / 0x40 descending / 0x20 must-be-null, u8 0, u16 fid LE),
            TupleLimits (5 x u32), LocaleName (UTF-16LE)
4 LV tree   Id = objid, ColtypOrPgnoFDP = pgnoFDP, Name = "LV"
5 callback  Name = "CB", TemplateTable = callback name
==========  =====================================================================

Decoding reads genuine Windows catalogs; encoding writes the columns ESE writes, so a
genuine ESE accepts the rows.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from pyese.engine.records.record import (
    CB_RECORD_HEADER,
    FID_VAR_NONE,
    VAR_NULL_BIT,
    VAR_OFFSET_MASK,
    RecordImage,
    RecordLayout,
    decode_tagged_entries,
)
from pyese.engine.schema.schema import (
    FIXED_FIRST,
    VAR_FIRST,
    ColumnDef,
    ConditionalColumn,
    IndexDef,
    IndexSegment,
)
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

SZ_MSO = "MSysObjects"
SZ_MSO_SHADOW = "MSysObjectsShadow"
SZ_LV_ROOT = "LV"
SZ_TABLE_CALLBACK = "CB"

# SYSOBJ (daedef.hxx)
sysobjNil = 0
sysobjTable = 1
sysobjColumn = 2
sysobjIndex = 3
sysobjLongValue = 4
sysobjCallback = 5
sysobjSLVAvail = 6
sysobjSLVOwnerMap = 7

objidSystemRoot = 1
objidFDPMSO = 2
objidFDPMSOShadow = 3
pgnoFDPMSO = 4
pgnoFDPMSOShadow = 24

# column ids (cat.hxx fidMSO_*)
fidMSO_ObjidTable = 1
fidMSO_Type = 2
fidMSO_Id = 3
fidMSO_Coltyp = fidMSO_PgnoFDP = 4
fidMSO_SpaceUsage = 5
fidMSO_Flags = 6
fidMSO_Pages = fidMSO_Localization = 7
fidMSO_RootFlag = 8
fidMSO_RecordOffset = 9
fidMSO_LCMapFlags = 10
fidMSO_KeyMost = 11
fidMSO_LVChunkMax = 12
fidMSO_PgnoFDPLastSetTime = 13
fidMSO_Name = 128
fidMSO_Stats = 129
fidMSO_TemplateTable = fidMSO_Callback = 130
fidMSO_DefaultValue = 131
fidMSO_KeyFldIDs = 132
fidMSO_VarSegMac = 133
fidMSO_ConditionalColumns = 134
fidMSO_TupleLimits = 135
fidMSO_Version = 136
fidMSO_SortID = 137
fidMSO_CallbackData = 256
fidMSO_CallbackDependencies = 257
fidMSO_SeparateLVThreshold = 258
fidMSO_SpaceHints = 259
fidMSO_SpaceLVDeferredHints = 260
fidMSO_LocaleName = 261

_NN = C.JET_bitColumnNotNULL
_TG = C.JET_bitColumnTagged


def _col(fid: int, name: str, coltyp: int, grbit: int = 0) -> ColumnDef:
    text = coltyp in (C.JET_coltypText, C.JET_coltypLongText)
    return ColumnDef(fid, name, coltyp, 0, grbit, 1252 if text else 0)


MSO_COLUMNS: tuple[ColumnDef, ...] = (
    _col(fidMSO_ObjidTable, "ObjidTable", C.JET_coltypLong, _NN),
    _col(fidMSO_Type, "Type", C.JET_coltypShort, _NN),
    _col(fidMSO_Id, "Id", C.JET_coltypLong, _NN),
    _col(fidMSO_Name, "Name", C.JET_coltypText, _NN),
    _col(fidMSO_Coltyp, "ColtypOrPgnoFDP", C.JET_coltypLong, _NN),
    _col(fidMSO_SpaceUsage, "SpaceUsage", C.JET_coltypLong, _NN),
    _col(fidMSO_Flags, "Flags", C.JET_coltypLong, _NN),
    _col(fidMSO_Pages, "PagesOrLocale", C.JET_coltypLong, _NN),
    _col(fidMSO_Stats, "Stats", C.JET_coltypBinary),
    _col(fidMSO_RootFlag, "RootFlag", C.JET_coltypBit),
    _col(fidMSO_TemplateTable, "TemplateTable", C.JET_coltypText),
    _col(fidMSO_RecordOffset, "RecordOffset", C.JET_coltypShort),
    _col(fidMSO_DefaultValue, "DefaultValue", C.JET_coltypBinary),
    _col(fidMSO_KeyFldIDs, "KeyFldIDs", C.JET_coltypBinary),
    _col(fidMSO_VarSegMac, "VarSegMac", C.JET_coltypBinary),
    _col(fidMSO_ConditionalColumns, "ConditionalColumns", C.JET_coltypBinary),
    _col(fidMSO_LCMapFlags, "LCMapFlags", C.JET_coltypLong),
    _col(fidMSO_KeyMost, "KeyMost", C.JET_coltypUnsignedShort),
    _col(fidMSO_TupleLimits, "TupleLimits", C.JET_coltypBinary),
    _col(fidMSO_Version, "Version", C.JET_coltypBinary),
    _col(fidMSO_SortID, "SortID", C.JET_coltypBinary),
    _col(fidMSO_CallbackData, "CallbackData", C.JET_coltypLongBinary, _TG),
    _col(fidMSO_CallbackDependencies, "CallbackDependencies", C.JET_coltypLongBinary, _TG),
    _col(fidMSO_SeparateLVThreshold, "SeparateLV", C.JET_coltypLongBinary, _TG),
    _col(fidMSO_SpaceHints, "SpaceHints", C.JET_coltypLongBinary, _TG),
    _col(fidMSO_SpaceLVDeferredHints, "SpaceDeferredLVHints", C.JET_coltypLongBinary, _TG),
    _col(fidMSO_LocaleName, "LocaleName", C.JET_coltypLongBinary, _TG),
    _col(fidMSO_LVChunkMax, "LVChunkMax", C.JET_coltypLong),
    _col(fidMSO_PgnoFDPLastSetTime, "PgnoFDPLastSetTime", C.JET_coltypDateTime),
)
"""rgcdescMSO, in ESE's order (the iMSO_* indexes of cat.hxx, iMSO_PgnoFDPLastSetTime = 28).

Every column ESE has added to the catalog: fixed fids 1..13 (fidMSO_FixedLast =
PgnoFDPLastSetTime, written by Windows 11 23H2 and later when the flight
``JET_paramFlight_EnablePgnoFDPLastSetTime`` is on: a FILETIME of the moment the tree's
pgnoFDP was last set; genuine catalogs describe it as JET_coltypDateTime, 8 bytes),
variable fids 128..137 (fidMSO_VarLast = SortID), tagged fids 256..261 (fidMSO_TaggedLast =
LocaleName). A row may carry columns later than these: :func:`decode_row` skips them.
"""

MSO_COLUMNS_BY_ID: dict[int, ColumnDef] = {c.columnid: c for c in MSO_COLUMNS}
MSO_COLUMNS_BY_NAME: dict[str, ColumnDef] = {c.name: c for c in MSO_COLUMNS}


def _seg(*names: str) -> tuple[IndexSegment, ...]:
    return tuple(IndexSegment(MSO_COLUMNS_BY_NAME[n]) for n in names)


MSO_INDEXES: tuple[IndexDef, ...] = (
    IndexDef(
        "Id",
        _seg("ObjidTable", "Type", "Id"),
        C.JET_bitIndexPrimary | C.JET_bitIndexDisallowNull,
    ),
    IndexDef(
        "Name",
        _seg("ObjidTable", "Type", "Name"),
        C.JET_bitIndexUnique | C.JET_bitIndexDisallowNull,
    ),
    IndexDef(
        "RootObjects",
        _seg("RootFlag", "Name"),
        C.JET_bitIndexUnique | C.JET_bitIndexIgnoreFirstNull,
    ),
)
"""rgidescMSO: primary (ObjidTable, Type, Id), Name, RootObjects."""

# FIELDFLAG (fcb.hxx / tdb.hxx)
ffieldNotNull = 0x0001
ffieldVersion = 0x0002
ffieldAutoincrement = 0x0004
ffieldMultivalued = 0x0008
ffieldDefault = 0x0010
ffieldEscrowUpdate = 0x0020
ffieldFinalize = 0x0040
ffieldUserDefinedDefault = 0x0080
ffieldTemplateColumnESE98 = 0x0100
ffieldDeleteOnZero = 0x0200
ffieldPrimaryIndexPlaceholder = 0x0800
ffieldCompressed = 0x1000
ffieldEncrypted = 0x2000

_FFIELD_TO_GRBIT = (
    (ffieldNotNull, C.JET_bitColumnNotNULL),
    (ffieldVersion, C.JET_bitColumnVersion),
    (ffieldAutoincrement, C.JET_bitColumnAutoincrement),
    (ffieldMultivalued, C.JET_bitColumnMultiValued),
    (ffieldEscrowUpdate, C.JET_bitColumnEscrowUpdate),
    (ffieldFinalize, C.JET_bitColumnFinalize),
    (ffieldUserDefinedDefault, C.JET_bitColumnUserDefinedDefault),
    (ffieldDeleteOnZero, C.JET_bitColumnDeleteOnZero),
    (ffieldCompressed, C.JET_bitColumnCompressed),
)

# IDBFLAG / IDXFLAG (idb.hxx)
fidbUnique = 0x0001
fidbAllowAllNulls = 0x0002
fidbAllowFirstNull = 0x0004
fidbAllowSomeNulls = 0x0008
fidbNoNullSeg = 0x0010
fidbPrimary = 0x0020
fidbLocaleSet = 0x0040
fidbMultivalued = 0x0080
fidbTemplateIndex = 0x0100
fidbDerivedIndex = 0x0200
fidbLocalizedText = 0x0400
fidbSortNullsHigh = 0x0800
fidbCrossProduct = 0x2000
fidbDisallowTruncation = 0x4000
fidbNestedTable = 0x8000
fIDXExtendedColumns = 0x0001
fIDXDotNetGuid = 0x0002

fIDXSEGTemplateColumn = 0x80
TEMPLATE_COLUMN_BIT = 0x80000000
"""fCOLUMNIDTemplate: the columnids of a template table's columns, and of the columns a
derived table inherits, carry it (fcreate.cxx ErrFILEGetNextColumnid)."""
fIDXSEGDescending = 0x40
fIDXSEGMustBeNull = 0x20

_MSO_LAYOUTS: dict[int, RecordLayout] = {}


def mso_layout(page_size: int = 4096) -> RecordLayout:
    """The record layout of MSysObjects for a page size (cached)."""
    layout = _MSO_LAYOUTS.get(page_size)
    if layout is None:
        layout = _MSO_LAYOUTS[page_size] = RecordLayout(MSO_COLUMNS_BY_ID, page_size)
    return layout


def grbit_from_ffield(ffield: int) -> int:
    """JET_bitColumn* grbits of a catalog FIELDFLAG (storage class comes from the id)."""
    grbit = _GRBITS_OF_FFIELD.get(ffield)
    if grbit is None:
        grbit = sum(g for f, g in _FFIELD_TO_GRBIT if ffield & f)
        if len(_GRBITS_OF_FFIELD) < 4096:  # a file has a few distinct flag sets
            _GRBITS_OF_FFIELD[ffield] = grbit
    return grbit


_GRBITS_OF_FFIELD: dict[int, int] = {}


def ffield_from_column(column: ColumnDef) -> int:
    """FIELDFLAG persisted for a column (ffieldDefault when it has a default)."""
    ffield = sum(f for f, g in _FFIELD_TO_GRBIT if column.grbit & g)
    if column.default is not None or column.callback is not None:
        # a user-defined default sets ffieldDefault too (fcreate.cxx ErrFILEIValidateAddColumn)
        ffield |= ffieldDefault
    return ffield


def idbflag_from_grbit(grbit: int, *, multivalued: bool = False, unicode: bool = False) -> int:
    """IDBFLAG for JET_bitIndex* grbits (fcreate.cxx: nulls allowed unless Ignore*)."""
    f = 0
    if grbit & (C.JET_bitIndexUnique | C.JET_bitIndexPrimary):
        f |= fidbUnique
    if grbit & C.JET_bitIndexPrimary:
        f |= fidbPrimary
    if grbit & C.JET_bitIndexDisallowNull:
        f |= fidbNoNullSeg
    else:
        if not grbit & (C.JET_bitIndexIgnoreNull | C.JET_bitIndexIgnoreAnyNull):
            f |= fidbAllowAllNulls
        if not grbit & C.JET_bitIndexIgnoreAnyNull:
            f |= fidbAllowSomeNulls
        if not grbit & C.JET_bitIndexIgnoreFirstNull:
            f |= fidbAllowFirstNull
    if grbit & C.JET_bitIndexSortNullsHigh:
        f |= fidbSortNullsHigh
    if grbit & C.JET_bitIndexUnicode:
        f |= fidbLocaleSet
    if grbit & C.JET_bitIndexCrossProduct:
        f |= fidbCrossProduct
    if grbit & C.JET_bitIndexDisallowTruncation:
        f |= fidbDisallowTruncation
    if grbit & C.JET_bitIndexNestedTable:
        f |= fidbNestedTable
    if multivalued:
        f |= fidbMultivalued
    if unicode:
        f |= fidbLocalizedText
    return f


def grbit_from_idbflag(fidb: int, fidx: int = 0) -> int:
    """JET_bitIndex* grbits recovered from a catalog's IDBFLAG and IDXFLAG."""
    g = 0
    if fidb & fidbPrimary:
        g |= C.JET_bitIndexPrimary
    elif fidb & fidbUnique:
        g |= C.JET_bitIndexUnique
    if fidb & fidbNoNullSeg:
        g |= C.JET_bitIndexDisallowNull
    else:
        if not fidb & fidbAllowSomeNulls:
            g |= C.JET_bitIndexIgnoreAnyNull
        elif not fidb & fidbAllowAllNulls:
            g |= C.JET_bitIndexIgnoreNull
        if not fidb & fidbAllowFirstNull:
            g |= C.JET_bitIndexIgnoreFirstNull
    for flag, bit in (
        (fidbSortNullsHigh, C.JET_bitIndexSortNullsHigh),
        (fidbLocaleSet, C.JET_bitIndexUnicode),
        (fidbCrossProduct, C.JET_bitIndexCrossProduct),
        (fidbDisallowTruncation, C.JET_bitIndexDisallowTruncation),
        (fidbNestedTable, C.JET_bitIndexNestedTable),
    ):
        if fidb & flag:
            g |= bit
    if fidx & fIDXDotNetGuid:
        g |= C.JET_bitIndexDotNetGuid
    return g


def encode_idxsegs(items: Iterable[tuple[int, int]]) -> bytes:
    """IDXSEGs (extended format) from (columnid, IDXSEG flags) pairs."""
    out = bytearray()
    for columnid, flags in items:
        if columnid & 0x80000000:
            flags |= fIDXSEGTemplateColumn
        out += struct.pack("<BBH", flags, 0, columnid & 0xFFFF)
    return bytes(out)


def decode_idxsegs(data: bytes | None, extended: bool = True) -> list[tuple[int, int]]:
    """(columnid, IDXSEG flags) pairs; legacy (non-extended) catalogs store signed fids.

    Raises JET_errDatabaseCorrupted on a length that is not a whole number of segments.
    """
    if not data:
        return []
    out: list[tuple[int, int]] = []
    if extended:
        if len(data) % 4:
            raise_error(C.JET_errDatabaseCorrupted, "KeyFldIDs is not a list of IDXSEGs")
        for flags, _, fid in struct.iter_unpack("<BBH", data):
            columnid = fid | (0x80000000 if flags & fIDXSEGTemplateColumn else 0)
            out.append((columnid, flags & ~fIDXSEGTemplateColumn))
        return out
    if len(data) % 2:
        raise_error(C.JET_errDatabaseCorrupted, "KeyFldIDs is not a list of fids")
    for (fid,) in struct.iter_unpack("<h", data):
        out.append((abs(fid), fIDXSEGDescending if fid < 0 else 0))
    return out


# ---------------------------------------------------------------- rows


@dataclass(frozen=True)
class CatalogRow:
    """A decoded MSysObjects row: every known column present, by name.

    ``unknown`` lists the column ids present in the row that rgcdescMSO does not define
    (a later Windows' catalog columns): their values are skipped.
    """

    objid_table: int
    sysobj: int
    id: int
    name: str
    values: dict[str, bytes | int | str]
    unknown: tuple[int, ...] = ()

    def get(self, name: str, default: bytes | int | str | None = None) -> bytes | int | str | None:
        return self.values.get(name, default)


def _unpack_fixed(col: ColumnDef, raw: bytes) -> int:
    if col.coltyp == C.JET_coltypBit:
        return 1 if raw[0] else 0
    if col.coltyp == C.JET_coltypShort:
        return struct.unpack("<h", raw)[0]
    if col.coltyp == C.JET_coltypUnsignedShort:
        return struct.unpack("<H", raw)[0]
    if len(raw) == 8:  # PgnoFDPLastSetTime: a FILETIME
        return struct.unpack("<Q", raw)[0]
    return struct.unpack("<i", raw)[0]


_FIXED_PLANS: dict[tuple[int, int], tuple[Any, list[tuple[str, int, Any]], RecordLayout]] = {}


def _bit_value(v: int) -> int:
    return 1 if v else 0


def _fixed_plan(layout: RecordLayout,
                known_fixed: int) -> tuple[Any, list[tuple[str, int, Any]]]:
    """(unpack, [(name, null bit, conversion or None)]) of the catalog's fixed columns 1 ..
    ``known_fixed``: one ``struct`` call reads them all, as :func:`_unpack_fixed` reads
    each (Bit 0/1, Short, UnsignedShort, an 8-byte FILETIME, a Long); a column of another
    size is read as bytes and given to :func:`_unpack_fixed` (which raises struct.error
    for it, as it always has). Kept per catalog layout (page size) and ``known_fixed``."""
    key = (id(layout), known_fixed)
    plan = _FIXED_PLANS.get(key)
    if plan is not None and plan[2] is layout:
        return plan[0], plan[1]
    fmt = ["<"]
    ib = 0
    cols: list[tuple[str, int, Any]] = []
    for fid in range(FIXED_FIRST, known_fixed + 1):
        col = layout.columns[fid]
        start, size = layout.fixed_offsets[fid], layout.fixed_sizes[fid]
        if start > ib:
            fmt.append(f"{start - ib}x")
        convert: Any = None
        if col.coltyp == C.JET_coltypBit and size == 1:
            code, convert = "B", _bit_value
        elif col.coltyp == C.JET_coltypShort and size == 2:
            code = "h"
        elif col.coltyp == C.JET_coltypUnsignedShort and size == 2:
            code = "H"
        elif col.coltyp not in _SMALL_TYPES and size == 8:
            code = "Q"
        elif col.coltyp not in _SMALL_TYPES and size == 4:
            code = "i"
        else:
            code = f"{size}s"
            convert = functools.partial(_unpack_fixed, col)
        fmt.append(code)
        ib = start + size
        cols.append((col.name, fid - 1, convert))
    unpack = struct.Struct("".join(fmt)).unpack_from
    _FIXED_PLANS[key] = (unpack, cols, layout)
    return unpack, cols


_SMALL_TYPES = (C.JET_coltypBit, C.JET_coltypShort, C.JET_coltypUnsignedShort)


def decode_row(data: bytes, page_size: int = 4096) -> CatalogRow:
    """Decode one MSysObjects record with ESE's fixed description (rgcdescMSO).

    Columns the description does not know (a later catalog's) are skipped and listed in
    ``CatalogRow.unknown``: unknown fixed columns can only follow the known ones (fixed
    offsets are cumulative), unknown variable columns follow SortID, unknown tagged columns
    are skipped by their TAGFLD. Raises JET_errDatabaseCorrupted if the record is malformed
    or lacks ObjidTable, Type, Id or Name.
    """
    try:
        values, unknown = _decode_mso(mso_layout(page_size), bytes(data))
    except (struct.error, IndexError, ValueError) as exc:
        raise_error(C.JET_errDatabaseCorrupted, f"malformed catalog record: {exc}")
        raise AssertionError from exc  # pragma: no cover
    for req in ("ObjidTable", "Type", "Id", "Name"):
        if req not in values:
            raise_error(C.JET_errDatabaseCorrupted, f"catalog row without {req}")
    return CatalogRow(
        int(values["ObjidTable"]),
        int(values["Type"]),
        int(values["Id"]),
        str(values["Name"]),
        values,
        tuple(unknown),
    )


def _decode_mso(
    layout: RecordLayout, data: bytes
) -> tuple[dict[str, bytes | int | str], list[int]]:
    """(values by name, unknown column ids) of a catalog record; ValueError if malformed."""
    n = len(data)
    if n < CB_RECORD_HEADER:
        raise ValueError("shorter than the record header")
    fid_fixed_last, fid_var_last, ib_end_fixed = struct.unpack_from("<BBH", data)
    if fid_var_last < FID_VAR_NONE:
        raise ValueError(f"fidVarLastInRec {fid_var_last}")
    known_fixed = min(fid_fixed_last, layout.fid_fixed_last)
    cb_bitmap = (fid_fixed_last + 7) >> 3
    ib_known_end = layout.ib_next_fixed(known_fixed) if known_fixed else CB_RECORD_HEADER
    ib_bitmap = ib_end_fixed - cb_bitmap
    if ib_end_fixed > n or ib_bitmap < ib_known_end or (
        fid_fixed_last <= layout.fid_fixed_last and ib_bitmap != ib_known_end
    ):
        raise ValueError("ibEndOfFixedData disagrees with the catalog's fixed columns")
    values: dict[str, bytes | int | str] = {}
    unknown: list[int] = []
    cols = layout.columns
    bitmap = int.from_bytes(data[ib_bitmap:ib_end_fixed], "little")
    if known_fixed:
        unpack, fixed = _fixed_plan(layout, known_fixed)
        for (name, bit, convert), v in zip(fixed, unpack(data)):
            if not bitmap >> bit & 1:
                values[name] = convert(v) if convert is not None else v
    for fid in range(known_fixed + 1, fid_fixed_last + 1):
        if not bitmap >> (fid - 1) & 1:
            unknown.append(fid)
    cvar = fid_var_last - FID_VAR_NONE
    ib_var_data = ib_end_fixed + 2 * cvar
    if ib_var_data > n:
        raise ValueError("variable offsets past the end")
    prev = 0
    offsets = struct.unpack_from(f"<{cvar}H", data, ib_end_fixed) if cvar > 0 else ()
    for i in range(cvar):
        off = offsets[i]
        end = off & VAR_OFFSET_MASK
        if end < prev or ib_var_data + end > n:
            raise ValueError("variable offsets out of order")
        if not off & VAR_NULL_BIT:
            fid = VAR_FIRST + i
            vcol = cols.get(fid)
            if vcol is None:
                unknown.append(fid)
            else:
                raw = data[ib_var_data + prev : ib_var_data + end]
                values[vcol.name] = (
                    raw.decode("latin-1") if vcol.coltyp == C.JET_coltypText else raw
                )
        prev = end
    ib_tagged = ib_var_data + prev
    if ib_tagged < n:
        for e in decode_tagged_entries(layout, data, ib_tagged, n, unknown):
            if e.null or not e.values:
                continue
            values[cols[e.fid].name] = e.values[0]
    return values, unknown


def encode_row(values: dict[str, bytes | int | str | None], page_size: int = 4096) -> bytes:
    """Build an MSysObjects record from column values by name (None / absent = NULL).

    Sets columns in rgcdescMSO order starting from an empty record, as ESE's
    ErrCATIInsert does.  Raises JET_errColumnNotFound for an unknown column name.
    """
    img = RecordImage(mso_layout(page_size))
    for col in MSO_COLUMNS:
        v = values.get(col.name)
        if v is None:
            continue
        if col.is_fixed:
            iv = int(v)  # type: ignore[arg-type]
            if col.coltyp == C.JET_coltypBit:
                raw = b"\xff" if iv else b"\x00"
            elif col.coltyp == C.JET_coltypShort:
                raw = struct.pack("<h", iv)
            elif col.coltyp == C.JET_coltypUnsignedShort:
                raw = struct.pack("<H", iv)
            elif col.fixed_size == 8:
                raw = struct.pack("<Q", iv & 0xFFFFFFFFFFFFFFFF)
            else:
                raw = struct.pack("<I", iv & 0xFFFFFFFF)
        elif isinstance(v, str):
            raw = v.encode("latin-1")
        else:
            raw = bytes(v)  # type: ignore[arg-type]
        img.set(col.columnid, raw)
    unknown = set(values) - set(MSO_COLUMNS_BY_NAME)
    if unknown:
        raise_error(C.JET_errColumnNotFound, f"not an MSysObjects column: {sorted(unknown)}")
    return img.to_bytes()


# ---------------------------------------------------------------- objects


@dataclass(frozen=True)
class CatalogTable:
    """A table row (sysobjTable)."""

    objid: int
    pgno_fdp: int
    name: str
    flags: int = 0
    pages: int = 1
    density: int = 80
    template_table: str | None = None
    lv_chunk_max: int | None = None
    stats: bytes | None = None
    """The Stats column: ESE's SR (cItems, cKeys, cPages, dtWhenRun), see ``decode_stats``."""
    space_hints: bytes | None = None
    """SpaceHints: the extended space hints (``spacehints.marshal``, table form)."""
    lv_hints: bytes | None = None
    """SpaceDeferredLVHints: the long-value tree's hints (deferred form)."""

    def to_record(self, page_size: int = 4096) -> bytes:
        return encode_row(
            {
                "ObjidTable": self.objid,
                "Type": sysobjTable,
                "Id": self.objid,
                "Name": self.name,
                "ColtypOrPgnoFDP": self.pgno_fdp,
                "SpaceUsage": self.density,
                "Flags": self.flags,
                "PagesOrLocale": self.pages,
                "RootFlag": 1,
                "TemplateTable": self.template_table,
                "LVChunkMax": self.lv_chunk_max,
                "Stats": self.stats,
                "SpaceHints": self.space_hints,
                "SpaceDeferredLVHints": self.lv_hints,
            },
            page_size,
        )


@dataclass(frozen=True)
class CatalogColumn:
    """A column row (sysobjColumn); ``ffield`` is the persisted FIELDFLAG."""

    objid_table: int
    column: ColumnDef
    ffield: int
    record_offset: int | None = None

    def to_record(self, page_size: int = 4096) -> bytes:
        col = self.column
        return encode_row(
            {
                "ObjidTable": self.objid_table,
                "Type": sysobjColumn,
                # the template bit of a template table's columnids is not persisted
                # (fcreate.cxx ErrIsamDeleteColumn: "Template flag is not persisted")
                "Id": col.columnid & ~TEMPLATE_COLUMN_BIT,
                "Name": col.name,
                "ColtypOrPgnoFDP": col.coltyp,
                "SpaceUsage": col.cbMax,
                "Flags": self.ffield,
                "PagesOrLocale": col.cp,
                "RecordOffset": self.record_offset,
                "DefaultValue": col.default,
                # a user-defined default: the callback's name in the Callback column (the
                # TemplateTable slot) and its user data (cat.cxx ErrCATAddTableColumn)
                "TemplateTable": col.callback,
                "CallbackData": col.user_data,
            },
            page_size,
        )


@dataclass(frozen=True)
class CatalogIndex:
    """An index row (sysobjIndex); ``fidb``/``fidx`` are the persisted flags."""

    objid_table: int
    objid: int
    pgno_fdp: int
    index: IndexDef
    fidb: int
    fidx: int = fIDXExtendedColumns
    density: int = 80
    locale_name: str | None = None
    sort_id: bytes | None = None  # SortID: the sort GUID of a Unicode index
    version: bytes | None = None  # Version: NLS sort version of a Unicode index
    stats: bytes | None = None  # Stats: ESE's SR, see ``decode_stats``
    space_hints: bytes | None = None  # SpaceHints: ``spacehints.marshal``, index form

    def to_record(self, page_size: int = 4096) -> bytes:
        ix = self.index
        segs = encode_idxsegs(
            (s.column.columnid, fIDXSEGDescending if s.descending else 0) for s in ix.segments
        )
        conds = encode_idxsegs(
            (c.column.columnid, fIDXSEGMustBeNull if c.must_be_null else 0) for c in ix.conditions
        )
        tuple_limits = struct.pack("<5I", *ix.tuple_limits) if ix.tuple_limits else None
        return encode_row(
            {
                "ObjidTable": self.objid_table,
                "Type": sysobjIndex,
                "Id": self.objid,
                "Name": ix.name,
                "ColtypOrPgnoFDP": self.pgno_fdp,
                "SpaceUsage": self.density,
                "Flags": self.fidb | (self.fidx << 16),
                "PagesOrLocale": ix.lcid,
                "LCMapFlags": ix.lcmap_flags,
                "KeyMost": ix.cbKeyMost if ix.cbKeyMost != C.JET_cbKeyMostMin else None,
                "KeyFldIDs": segs,
                "VarSegMac": struct.pack("<H", ix.cbVarSegMac) if ix.cbVarSegMac else None,
                "ConditionalColumns": conds or None,
                "TupleLimits": tuple_limits,
                "Version": self.version,
                "SortID": self.sort_id,
                "LocaleName": self.locale_name.encode("utf-16-le") if self.locale_name else None,
                "Stats": self.stats,
                "SpaceHints": self.space_hints,
            },
            page_size,
        )


@dataclass(frozen=True)
class CatalogLongValue:
    """The long-value tree row (sysobjLongValue) of a table."""

    objid_table: int
    objid: int
    pgno_fdp: int
    density: int = 100
    pages: int = 0
    flags: int = 0

    def to_record(self, page_size: int = 4096) -> bytes:
        return encode_row(
            {
                "ObjidTable": self.objid_table,
                "Type": sysobjLongValue,
                "Id": self.objid,
                "Name": SZ_LV_ROOT,
                "ColtypOrPgnoFDP": self.pgno_fdp,
                "SpaceUsage": self.density,
                "Flags": self.flags,
                "PagesOrLocale": self.pages,
            },
            page_size,
        )


@dataclass
class TableSchema:
    """A table with its columns, indexes and long-value tree, as read from a catalog."""

    table: CatalogTable
    columns: dict[int, ColumnDef] = field(default_factory=dict)
    indexes: list[CatalogIndex] = field(default_factory=list)
    long_value: CatalogLongValue | None = None
    column_rows: list[CatalogColumn] = field(default_factory=list)


def table_from_row(row: CatalogRow) -> CatalogTable:
    tmpl = row.get("TemplateTable")
    chunk = row.get("LVChunkMax")
    return CatalogTable(
        row.id,
        int(row.get("ColtypOrPgnoFDP", 0)),  # type: ignore[arg-type]
        row.name,
        int(row.get("Flags", 0)) & 0xFFFFFFFF,  # type: ignore[arg-type]
        int(row.get("PagesOrLocale", 0)),  # type: ignore[arg-type]
        int(row.get("SpaceUsage", 0)),  # type: ignore[arg-type]
        str(tmpl) if tmpl is not None else None,
        int(chunk) if chunk is not None else None,  # type: ignore[arg-type]
        _bytes_or_none(row.get("Stats")),
        _bytes_or_none(row.get("SpaceHints")),
        _bytes_or_none(row.get("SpaceDeferredLVHints")),
    )


def column_from_row(row: CatalogRow) -> CatalogColumn:
    """ColumnDef of a column row: coltyp, cbMax = SpaceUsage, grbit from Flags, cp."""
    get = row.values.get  # CatalogRow.get, without a call per column of the row
    ffield = int(get("Flags", 0)) & 0xFFFFFFFF  # type: ignore[arg-type]
    coltyp = int(get("ColtypOrPgnoFDP", 0))  # type: ignore[arg-type]
    columnid = row.id & 0xFFFFFFFF
    grbit = grbit_from_ffield(ffield)
    fid = columnid & 0xFFFF
    if fid >= 256:
        grbit |= C.JET_bitColumnTagged
    elif fid < 128:
        grbit |= C.JET_bitColumnFixed
    default = get("DefaultValue")
    callback = get("TemplateTable")
    ro = get("RecordOffset")
    return CatalogColumn(
        row.objid_table,
        ColumnDef(
            columnid,
            row.name,
            coltyp,
            int(get("SpaceUsage", 0)),  # type: ignore[arg-type]
            grbit,
            int(get("PagesOrLocale", 0)),  # type: ignore[arg-type]
            bytes(default) if isinstance(default, bytes) else None,  # type: ignore[arg-type]
            str(callback) if callback is not None and ffield & ffieldUserDefinedDefault
            else None,
            _bytes_or_none(get("CallbackData")),
        ),
        ffield,
        int(ro) if ro is not None else None,  # type: ignore[arg-type]
    )


def index_from_row(row: CatalogRow, columns: dict[int, ColumnDef]) -> CatalogIndex:
    """IndexDef of an index row, resolving KeyFldIDs against ``columns``.

    Raises JET_errDatabaseCorrupted if a key column is not in ``columns``.
    """
    flags = int(row.get("Flags", 0)) & 0xFFFFFFFF  # type: ignore[arg-type]
    fidb, fidx = flags & 0xFFFF, flags >> 16
    extended = bool(fidx & fIDXExtendedColumns)

    def resolve(columnid: int) -> ColumnDef:
        col = (columns.get(columnid) or columns.get(columnid & 0xFFFF)
               or columns.get((columnid & 0xFFFF) | TEMPLATE_COLUMN_BIT))
        if col is None:
            raise_error(C.JET_errDatabaseCorrupted, f"index {row.name}: no column {columnid:#x}")
        return col  # type: ignore[return-value]

    segs = tuple(
        IndexSegment(resolve(cid), bool(f & fIDXSEGDescending))
        for cid, f in decode_idxsegs(row.get("KeyFldIDs"), extended)  # type: ignore[arg-type]
    )
    conds = tuple(
        ConditionalColumn(resolve(cid), bool(f & fIDXSEGMustBeNull))
        for cid, f in decode_idxsegs(row.get("ConditionalColumns"), extended)  # type: ignore[arg-type]
    )
    tl = row.get("TupleLimits")
    tuple_limits = None
    if isinstance(tl, bytes):
        vals = list(struct.unpack_from(f"<{len(tl) // 4}I", tl)) + [1, 0]
        tuple_limits = tuple(vals[:5])
    vsm = row.get("VarSegMac")
    locale = row.get("LocaleName")
    key_most = row.get("KeyMost")
    ix = IndexDef(
        row.name,
        segs,
        grbit_from_idbflag(fidb, fidx) | (C.JET_bitIndexTuples if tuple_limits else 0),
        int(key_most) if key_most is not None else C.JET_cbKeyMostMin,  # type: ignore[arg-type]
        struct.unpack_from("<H", vsm)[0] if isinstance(vsm, bytes) and len(vsm) >= 2 else 0,
        int(row.get("PagesOrLocale", 0)),  # type: ignore[arg-type]
        int(row.get("LCMapFlags", 0)) & 0xFFFFFFFF,  # type: ignore[arg-type]
        conds,
        tuple_limits,  # type: ignore[arg-type]
    )
    return CatalogIndex(
        row.objid_table,
        row.id,
        int(row.get("ColtypOrPgnoFDP", 0)),  # type: ignore[arg-type]
        ix,
        fidb,
        fidx,
        int(row.get("SpaceUsage", 0)),  # type: ignore[arg-type]
        _locale_name(row.name, locale),
        _bytes_or_none(row.get("SortID")),
        _bytes_or_none(row.get("Version")),
        _bytes_or_none(row.get("Stats")),
        _bytes_or_none(row.get("SpaceHints")),
    )


def _locale_name(index: str, locale: object) -> str | None:
    """An index row's LocaleName (UTF-16LE text); JET_errDatabaseCorrupted when it is not
    (an odd length or an unpaired surrogate: a damaged catalog record, found by the
    genuine-file fuzzer; it was a UnicodeDecodeError out of JetAttachDatabase)."""
    if not isinstance(locale, bytes):
        return None
    try:
        return locale.decode("utf-16-le")
    except UnicodeDecodeError:
        raise_error(C.JET_errDatabaseCorrupted,
                    f"index {index}: LocaleName is not UTF-16 text ({len(locale)} bytes)")


def _bytes_or_none(v: object) -> bytes | None:
    return bytes(v) if isinstance(v, bytes) else None


_SR = struct.Struct("<IIId")


def encode_stats(items: int, keys: int, pages: int, when: float) -> bytes:
    """ESE's SR (daedef.hxx), the Stats column of a table or index row: entries (cItems),
    distinct keys (cKeys), pages (cPages) and when JetComputeStats ran (a DATESERIAL)."""
    clamp = 0xFFFFFFFF
    return _SR.pack(min(items, clamp), min(keys, clamp), min(pages, clamp), when)


def decode_stats(raw: bytes | None) -> tuple[int, int, int, float]:
    """(cItems, cKeys, cPages, dtWhenRun) of a Stats value; zeros when never computed."""
    if raw is None or len(raw) < _SR.size:
        return (0, 0, 0, 0.0)
    items, keys, pages, when = _SR.unpack_from(raw)
    return (items, keys, pages, when)


def read_catalog(
    records: Iterable[bytes], page_size: int = 4096, unknown: dict[int, int] | None = None
) -> dict[str, TableSchema]:
    """Schemas of every table from MSysObjects records in primary-key order.

    ``unknown``, when given, counts the rows carrying each catalog column id rgcdescMSO does
    not define (skipped). Raises JET_errDatabaseCorrupted if a row is malformed or precedes
    its table row.
    """
    by_objid: dict[int, TableSchema] = {}
    pending_indexes: list[CatalogRow] = []
    for data in records:
        row = decode_row(data, page_size)
        if unknown is not None:
            for fid in row.unknown:
                unknown[fid] = unknown.get(fid, 0) + 1
        if row.sysobj == sysobjTable:
            by_objid[row.objid_table] = TableSchema(table_from_row(row))
            continue
        schema = by_objid.get(row.objid_table)
        if schema is None:
            raise_error(C.JET_errDatabaseCorrupted, f"catalog row {row.name} without its table")
            continue
        if row.sysobj == sysobjColumn:
            cc = column_from_row(row)
            schema.columns[cc.column.columnid] = cc.column
            schema.column_rows.append(cc)
        elif row.sysobj == sysobjIndex:
            pending_indexes.append(row)
        elif row.sysobj == sysobjLongValue:
            schema.long_value = CatalogLongValue(
                row.objid_table,
                row.id,
                int(row.get("ColtypOrPgnoFDP", 0)),  # type: ignore[arg-type]
                int(row.get("SpaceUsage", 0)),  # type: ignore[arg-type]
                int(row.get("PagesOrLocale", 0)),  # type: ignore[arg-type]
                int(row.get("Flags", 0)) & 0xFFFFFFFF,  # type: ignore[arg-type]
            )
    by_name = {s.table.name.upper(): s for s in by_objid.values()}
    for schema in by_objid.values():
        if schema.table.flags & C.JET_bitObjectTableTemplate:
            # a template table's columns carry the template bit in their columnids
            # (fcreate.cxx ErrFILEGetNextColumnid with fTemplateTable)
            schema.columns = {cid | TEMPLATE_COLUMN_BIT: replace(
                col, columnid=col.columnid | TEMPLATE_COLUMN_BIT)
                for cid, col in schema.columns.items()}
    for row in pending_indexes:
        schema = by_objid[row.objid_table]
        columns = schema.columns
        tmpl = schema.table.template_table
        if tmpl is not None and tmpl.upper() in by_name:
            # a derived table's inherited indexes name the template's columns (IDXSEG
            # template flag): resolve them against the template table
            columns = {**columns, **{cid | TEMPLATE_COLUMN_BIT: replace(
                col, columnid=col.columnid | TEMPLATE_COLUMN_BIT)
                for cid, col in by_name[tmpl.upper()].columns.items()}}
        schema.indexes.append(index_from_row(row, columns))
    return {s.table.name: s for s in by_objid.values()}
