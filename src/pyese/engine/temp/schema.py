"""A temporary table's definition: its columns, record layout and the one key.

ESE builds a temporary table's schema in memory, never in a catalog (``sortapi.cxx``
ErrSORTTableOpen): column ids are handed out in column order, a column is *tagged* if it
asks for ``JET_bitColumnTagged`` or is a long value, *fixed* if its type has a fixed size
or it asks for ``JET_bitColumnFixed``, else *variable*; the key is the columns marked
``JET_bitColumnTTKey`` in column order (``JET_bitColumnTTDescending`` makes a segment
descending), at most ``JET_ccolumnKeyMost`` of them (later key columns are ignored, as ESE
ignores them). The key index is primary and unique; nulls sort low unless
``JET_bitTTSortNullsHigh``; ``JET_bitTTDotNetGuid`` orders GUID columns as .NET does.

Checks, in ESE's order: ``JET_errInvalidParameter`` for a bad ``cbKeyMost`` /
``cbVarSegMac``; ``JET_errTooManyColumns`` when a column class runs out of ids;
``JET_errInvalidCodePage`` for a text column whose code page is not 0, 1252 or 1200;
``JET_errInvalidColumnType`` for an unknown type; then the locale checks of a Unicode key
(``JET_errInvalidLCMapStringFlags``); ``JET_errRecordTooBig`` when the fixed columns do
not fit a record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyese.engine.records import keys_text
from pyese.engine.records.record import RecordLayout, max_record_size
from pyese.engine.schema.catalog import TableDef
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
    IndexDef,
    IndexSegment,
)
from pyese.engine.schema.sysobjects import CatalogIndex, CatalogTable, TableSchema
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

TT_GRBITS = (C.JET_bitTTIndexed | C.JET_bitTTUnique | C.JET_bitTTUpdatable
             | C.JET_bitTTScrollable | C.JET_bitTTSortNullsHigh
             | C.JET_bitTTForceMaterialization | C.JET_bitTTForwardOnly
             | C.JET_bitTTIntrinsicLVsOnly | C.JET_bitTTDotNetGuid)
"""Every JET_bitTT* bit (ErrorOnDuplicateInsertion is ForceMaterialization's value)."""

_KNOWN_COLTYPS = frozenset(range(C.JET_coltypBit, C.JET_coltypUnsignedLongLong + 1)) | {
    C.JET_coltypGUID, C.JET_coltypUnsignedShort, C.JET_coltypUnsignedLong,
    C.JET_coltypLongLong}
_FIXED_TYPES = frozenset(FIXED_SIZES)
TEMP_TABLE_NAME = "TEMP"


@dataclass(frozen=True)
class ColumnRequest:
    """One JET_COLUMNDEF of a temporary table request."""

    coltyp: int
    cbMax: int = 0
    grbit: int = 0
    cp: int = 0


@dataclass
class TempSchema:
    """What ErrSORTTableOpen builds: columns, layout, the key index (or None)."""

    table: TableDef
    columnids: list[int]
    key: CatalogIndex | None
    has_long_values: bool
    grbit: int
    record_most: int
    key_columns: list[ColumnDef] = field(default_factory=list)

    @property
    def layout(self) -> RecordLayout:
        return self.table.layout

    @property
    def index(self) -> IndexDef | None:
        return self.key.index if self.key is not None else None


def _column_size(coltyp: int, cb_max: int) -> int:
    """ESE UlCATColumnSize: a fixed type's size, else cbMax (0: the type's maximum)."""
    if coltyp in FIXED_SIZES:
        return FIXED_SIZES[coltyp]
    if coltyp in LONG_TYPES:
        return cb_max
    return cb_max if 0 < cb_max <= C.JET_cbColumnMost else C.JET_cbColumnMost


def build_schema(columns: list[ColumnRequest], grbit: int, page_size: int, *,
                 cb_key_most: int = 0, cb_var_seg_mac: int = 0, lcid: int = 0,
                 map_flags: int | None = None) -> TempSchema:
    """The temporary table's schema (ESE sortapi.cxx ErrSORTTableOpen); errors in ESE's
    order (see the module docstring)."""
    key_most_page = C.JET_cbKeyMost8KBytePage if page_size >= 8192 else (
        C.JET_cbKeyMost4KBytePage if page_size == 4096 else C.JET_cbKeyMost2KBytePage)
    if cb_key_most != 0 and cb_key_most < C.JET_cbKeyMostMin or cb_key_most > key_most_page:
        raise_error(C.JET_errInvalidParameter, f"cbKeyMost {cb_key_most}")
    if (cb_key_most != 0 and cb_var_seg_mac > cb_key_most
            or cb_key_most == 0 and cb_var_seg_mac > C.JET_cbKeyMostMin):
        raise_error(C.JET_errInvalidParameter, f"cbVarSegMac {cb_var_seg_mac}")
    fixed, var, tagged = FIXED_FIRST - 1, VAR_FIRST - 1, TAGGED_FIRST - 1
    columnids: list[int] = []
    for req in columns:
        if req.grbit & C.JET_bitColumnTagged or req.coltyp in LONG_TYPES:
            tagged += 1
            if tagged > TAGGED_LAST:
                raise_error(C.JET_errTooManyColumns)
            columnids.append(tagged)
        elif req.coltyp in _FIXED_TYPES or req.grbit & C.JET_bitColumnFixed:
            fixed += 1
            if fixed > FIXED_LAST:
                raise_error(C.JET_errTooManyColumns)
            columnids.append(fixed)
        else:
            var += 1
            if var > VAR_LAST:
                raise_error(C.JET_errTooManyColumns)
            columnids.append(var)
    cols: dict[int, ColumnDef] = {}
    segments: list[IndexSegment] = []
    has_lv = False
    for req, cid in zip(columns, columnids, strict=True):
        cp = 0
        if req.coltyp in TEXT_TYPES:
            if req.cp == 1200:
                cp = 1200
            elif req.cp in (0, 1252):
                cp = 1252
            else:
                raise_error(C.JET_errInvalidCodePage, f"code page {req.cp}")
        if req.coltyp not in _KNOWN_COLTYPS:
            raise_error(C.JET_errInvalidColumnType, f"coltyp {req.coltyp}")
        has_lv |= req.coltyp in LONG_TYPES
        grbit_col = req.grbit & ~(C.JET_bitColumnTTKey | C.JET_bitColumnTTDescending)
        if cid >= TAGGED_FIRST:
            grbit_col |= C.JET_bitColumnTagged
        col = ColumnDef(columnid=cid, name=f"column{len(cols) + 1}", coltyp=req.coltyp,
                        cbMax=_column_size(req.coltyp, req.cbMax), grbit=grbit_col, cp=cp)
        cols[cid] = col
        if req.grbit & C.JET_bitColumnTTKey and len(segments) < C.JET_ccolKeyMost:
            segments.append(IndexSegment(col, bool(req.grbit & C.JET_bitColumnTTDescending)))
    key: CatalogIndex | None = None
    key_most = cb_key_most or C.JET_cbKeyMostMin
    if segments:
        ix_grbit = C.JET_bitIndexPrimary | C.JET_bitIndexUnique
        if grbit & C.JET_bitTTSortNullsHigh:
            ix_grbit |= C.JET_bitIndexSortNullsHigh
        if grbit & C.JET_bitTTDotNetGuid:
            ix_grbit |= C.JET_bitIndexDotNetGuid
        flags = keys_text.check_lcmap_flags(
            map_flags if map_flags is not None else 0x00030401)
        index = IndexDef(name="", segments=tuple(segments), grbit=ix_grbit,
                         cbKeyMost=key_most, cbVarSegMac=cb_var_seg_mac or key_most,
                         lcid=lcid or 0x0409, lcmap_flags=flags)
        key = CatalogIndex(objid_table=1, objid=1, pgno_fdp=0, index=index, fidb=0)
    table = TableDef(
        name=TEMP_TABLE_NAME, objid=1, pgno_fdp=0, columns=cols,
        indexes=[key] if key is not None else [], lv_objid=None, lv_pgno_fdp=None,
        template_table=None, flags=C.JET_bitObjectTableFixedDDL, page_size=page_size,
        schema=TableSchema(table=CatalogTable(1, 0, TEMP_TABLE_NAME,
                                              C.JET_bitObjectTableFixedDDL, 0, 0, None)))
    record_most = max_record_size(page_size, key_most if key is not None else 4)
    layout = table.layout
    if layout.fixed_offsets[layout.fid_fixed_last + 1] > record_most:
        raise_error(C.JET_errRecordTooBig, "the fixed columns do not fit a record")
    return TempSchema(table=table, columnids=columnids, key=key, has_long_values=has_lv,
                      grbit=grbit, record_most=record_most,
                      key_columns=[s.column for s in segments])
