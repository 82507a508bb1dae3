"""JET functions that describe the schema: tables, columns, indexes, objects (ESE
``info.cxx``).

Where ESE fills a fixed structure (``JET_ColInfo`` -> ``JET_COLUMNDEF``, ``JET_ColInfoBase``
-> ``JET_COLUMNBASE``, ``JET_TblInfo`` / ``JET_ObjInfo`` -> ``JET_OBJECTINFO``,
``JET_IdxInfoCreateIndex*`` -> ``JET_INDEXCREATE*``) pyese returns that structure.

Where ESE opens a temporary table and returns a ``JET_COLUMNLIST`` / ``JET_INDEXLIST`` /
``JET_OBJECTLIST`` naming its columns, pyese returns a **list of rows**, one dataclass per
row of that temporary table, in the temporary table's order:

- ``JET_ColInfoList`` (and ``JET_ColInfoListCompact``): ``list[JET_COLUMNLIST_ROW]``,
  sorted by column name (case-insensitive) as ESE's temporary table is keyed;
  ``JET_ColInfoListSortColumnid`` (or ``JET_ColInfoGrbitSortByColumnid``) sorts by
  columnid (fixed, variable, tagged).
- ``JET_IdxInfo`` / ``JET_IdxInfoList``: ``list[JET_INDEXLIST_ROW]``, **one row per key
  segment** (``iColumn`` 0..``cColumn``-1) as in ESE, indexes sorted by name.
- ``JET_ObjInfoList`` / ``JET_ObjInfoListNoStats``: ``list[JET_OBJECTLIST_ROW]``, one per
  table, sorted by name.

A row's fields are the ``JET_*LIST`` fields without their ``columnid`` prefix
(``JET_COLUMNLIST.columnidcolumnname`` -> ``JET_COLUMNLIST_ROW.columnname``), so
``len(rows)`` is ESE's ``cRecord``.

Deleted fixed and variable columns (kept in the catalog with coltyp Nil, as ESE keeps
their slot) are never shown. Statistics (``cRecord``, ``cPage``, ``cKey``, ``cEntry``) are
ESE's catalog statistics, which only ``JetComputeStats`` updates (``pyese.engine.stats``):
0 on a table it never ran on, as on a fresh ESE table; the ``...NoStats`` levels give 0.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.instance.database import database_of
from pyese.engine.instance.gate import session_call
from pyese.engine.instance.session import Session
from pyese.engine.schema import ddl, spacehints, stats
from pyese.engine.schema import tables as T
from pyese.engine.schema.catalog import TableDef
from pyese.engine.schema.schema import ColumnDef
from pyese.engine.schema.sysobjects import CatalogIndex, decode_stats
from pyese.jet import _args
from pyese.jet.handles import JET_DBID, JET_SESID, JET_TABLEID
from pyese.jet.structs import (
    JET_COLUMNBASE,
    JET_COLUMNDEF,
    JET_CONDITIONALCOLUMN,
    JET_INDEXCREATE,
    JET_INDEXCREATE2,
    JET_INDEXCREATE3,
    JET_INDEXID,
    JET_OBJECTINFO,
    JET_SPACEHINTS,
    JET_TUPLELIMITS,
    JET_UNICODEINDEX,
    JET_UNICODEINDEX2,
)
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

COUNTRY_DEFAULT = 1
"""ESE's ``countryDefault`` reported in wCountry."""
LANGID_DEFAULT = 0x0409
"""The langid of the default locale (en-US) reported in langid."""
_INFOLEVEL_MASK = 0x0FFFFFFF
_CONTAINER_TABLES = "Tables"


@dataclass(kw_only=True, slots=True)
class JET_COLUMNLIST_ROW:
    """One row of ESE's ``JET_ColInfoList`` temporary table (see the module docstring)."""

    PresentationOrder: int | None = None
    columnname: str = ""
    columnid: int = 0
    coltyp: int = 0
    Country: int = COUNTRY_DEFAULT
    Langid: int = LANGID_DEFAULT
    Cp: int = 0
    Collate: int = 0
    cbMax: int = 0
    grbit: int = 0
    Default: bytes | None = None
    BaseTableName: str = ""
    BaseColumnName: str = ""
    DefinitionName: str | None = None


@dataclass(kw_only=True, slots=True)
class JET_INDEXLIST_ROW:
    """One row (one key segment) of ESE's ``JET_IdxInfoList`` temporary table."""

    indexname: str = ""
    grbitIndex: int = 0
    cKey: int = 0
    cEntry: int = 0
    cPage: int = 0
    cColumn: int = 0
    iColumn: int = 0
    columnid: int = 0
    coltyp: int = 0
    Country: int = COUNTRY_DEFAULT
    Langid: int = LANGID_DEFAULT
    Cp: int = 0
    Collate: int = 0
    grbitColumn: int = 0
    columnname: str = ""
    LCMapFlags: int = 0


@dataclass(kw_only=True, slots=True)
class JET_OBJECTLIST_ROW:
    """One row of ESE's ``JET_ObjInfoList`` temporary table."""

    containername: str = _CONTAINER_TABLES
    objectname: str = ""
    objtyp: int = C.JET_objtypTable
    dtCreate: float = 0.0
    dtUpdate: float = 0.0
    grbit: int = 0
    flags: int = 0
    cRecord: int = 0
    cPage: int = 0


# ------------------------------------------------------------------ helpers


def _level(value: object) -> int:
    return _args.integer(value, "InfoLevel") & 0xFFFFFFFF


def _opt_name(value: object, what: str) -> str:
    """ESE: NULL or "" means "none"; otherwise ErrUTILCheckName."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise_error(C.JET_errInvalidParameter, f"{what} must be a str")
    return ddl.check_name(value)


def _table_of(session: Session, dbid: object, name: object) -> tuple[Any, TableDef]:
    """ESE ErrIsamGetColumnInfo / GetIndexInfo: check dbid, then the name, then open."""
    db = database_of(session, dbid)
    if name is None:
        raise_error(C.JET_errInvalidParameter, "szTableName is NULL")
    if not isinstance(name, str):
        raise_error(C.JET_errInvalidParameter, "szTableName must be a str")
    assert isinstance(name, str)
    return db, T.table_named(session, db, name)


def _column_grbit(col: ColumnDef, updatable: bool) -> int:
    """ESE ErrINFOGetTableColumnInfo: placement bit, then the FIELD flags."""
    g = col.grbit & ~(C.JET_bitColumnFixed | C.JET_bitColumnTagged | C.JET_bitColumnUpdatable)
    if col.is_tagged:
        g |= C.JET_bitColumnTagged
    elif col.is_fixed:
        g |= C.JET_bitColumnFixed
    if updatable:
        g |= C.JET_bitColumnUpdatable
    return g


def _find_column(table: TableDef, name_or_id: object, by_colid: bool) -> ColumnDef:
    if by_colid:
        cid = name_or_id.value if hasattr(name_or_id, "value") else name_or_id
        if isinstance(cid, bool) or not isinstance(cid, int):
            raise_error(C.JET_errInvalidParameter, "JET_ColInfoByColid needs a columnid")
        assert isinstance(cid, int)
        return table.column_by_id(cid)
    name = _opt_name(name_or_id, "szColumnName")
    if not name:
        raise_error(C.JET_errColumnNotFound, "empty column name")
    return table.column(name)


def _column_def(col: ColumnDef, updatable: bool) -> JET_COLUMNDEF:
    return JET_COLUMNDEF(columnid=col.columnid, coltyp=col.coltyp, wCountry=COUNTRY_DEFAULT,
                         langid=LANGID_DEFAULT, cp=col.cp, wCollate=0, cbMax=col.cbMax,
                         grbit=_column_grbit(col, updatable))


def _column_base(table: TableDef, col: ColumnDef, updatable: bool) -> JET_COLUMNBASE:
    base_table = table.template_table if col.columnid & 0x80000000 and table.template_table \
        else table.name
    return JET_COLUMNBASE(columnid=col.columnid, coltyp=col.coltyp, wCountry=COUNTRY_DEFAULT,
                          langid=LANGID_DEFAULT, cp=col.cp, cbMax=col.cbMax,
                          grbit=_column_grbit(col, updatable), szBaseTableName=base_table,
                          szBaseColumnName=col.name)


def _column_list(table: TableDef, grbit: int, updatable: bool) -> list[JET_COLUMNLIST_ROW]:
    by_colid = bool(grbit & C.JET_ColInfoGrbitSortByColumnid)
    minimal = bool(grbit & C.JET_ColInfoGrbitMinimalInfo)
    cols = table.column_list()
    if grbit & C.JET_ColInfoGrbitNonDerivedColumnsOnly:
        cols = [c for c in cols if not c.columnid & 0x80000000]
    rows = []
    for col in cols:
        row = JET_COLUMNLIST_ROW(columnname=col.name, columnid=col.columnid)
        if by_colid:
            row.PresentationOrder = col.columnid
        if not minimal:
            row.coltyp = col.coltyp
            row.Cp = col.cp
            row.cbMax = col.cbMax
            row.grbit = _column_grbit(col, updatable)
            row.Default = col.default
            row.BaseTableName = table.name
            row.BaseColumnName = col.name
        else:
            row.Country = row.Langid = 0
        rows.append(row)
    if not by_colid:
        # ESE's temporary table is keyed on the name (text key: case-insensitive).
        rows.sort(key=lambda r: (r.columnname.upper(), r.columnid))
    return rows


def _column_info(table: TableDef, name_or_id: object, level: int, updatable: bool) -> Any:
    grbit = level & ~_INFOLEVEL_MASK
    lv = level & _INFOLEVEL_MASK
    if lv in (C.JET_ColInfo, C.JET_ColInfoByColid):
        return _column_def(_find_column(table, name_or_id, lv == C.JET_ColInfoByColid),
                           updatable)
    if lv in (C.JET_ColInfoBase, C.JET_ColInfoBaseByColid):
        col = _find_column(table, name_or_id, lv == C.JET_ColInfoBaseByColid)
        return _column_base(table, col, updatable)
    if lv == C.JET_ColInfoList:
        return _column_list(table, grbit, updatable)
    if lv == C.JET_ColInfoListSortColumnid:
        return _column_list(table, grbit | C.JET_ColInfoGrbitSortByColumnid, updatable)
    if lv == C.JET_ColInfoListCompact:
        return _column_list(table, grbit | C.JET_ColInfoGrbitCompacting, updatable)
    raise_error(C.JET_errInvalidParameter, f"column info level {level:#x}")


# ------------------------------------------------------------------ columns


def JetGetTableColumnInfo(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                          szColumnName: str | int | None,
                          InfoLevel: int = C.JET_ColInfo) -> Any:
    """A column's (or every column's) definition, through an open cursor.

    ``szColumnName`` is the column name, or for ``JET_ColInfoByColid`` /
    ``JET_ColInfoBaseByColid`` the columnid (ESE passes a pointer to it there).
    Returns ``JET_COLUMNDEF`` (``JET_ColInfo``, ``JET_ColInfoByColid``), ``JET_COLUMNBASE``
    (``JET_ColInfoBase``, ``JET_ColInfoBaseByColid``), or ``list[JET_COLUMNLIST_ROW]``
    (``JET_ColInfoList``, ``JET_ColInfoListSortColumnid``, ``JET_ColInfoListCompact``; the
    ``JET_ColInfoGrbit*`` bits may be or-ed in). The grbit reports the placement
    (``JET_bitColumnFixed`` / ``JET_bitColumnTagged`` / neither for variable) and
    ``JET_bitColumnUpdatable`` when the cursor may update.

    Errors: ``JET_errInvalidTableId``, ``JET_errInvalidName``, ``JET_errColumnNotFound``
    (also for an empty name or a deleted column), ``JET_errInvalidParameter`` (unknown level).
    """
    level = _level(InfoLevel)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if hasattr(cur, "vt"):  # temporary tables: ErrIllegalGetTableColumnInfo
            cur.vt.illegal_info(cur, "JetGetTableColumnInfo on a temporary table")
        return _column_info(T.current_table(cur), szColumnName, level, not cur.read_only)


def JetGetColumnInfo(sesid: JET_SESID | int, dbid: JET_DBID | int, szTableName: str,
                     pColumnNameOrId: str | int | None, InfoLevel: int = C.JET_ColInfo) -> Any:
    """``JetGetTableColumnInfo`` by table name (ESE opens the table, not updatable, so
    ``JET_bitColumnUpdatable`` is never set). Also ``JET_errInvalidDatabaseId``,
    ``JET_errInvalidParameter`` (no table name), ``JET_errObjectNotFound``."""
    level = _level(InfoLevel)
    with session_call(sesid) as session:
        _db, table = _table_of(session, dbid, szTableName)
        return _column_info(table, pColumnNameOrId, level, False)


# ------------------------------------------------------------------ tables


def _object_info(table: TableDef, updatable: bool, stats: bool = True) -> JET_OBJECTINFO:
    flags = 0
    if table.flags & C.JET_bitObjectTableFixedDDL:
        flags |= C.JET_bitObjectTableFixedDDL
    if table.flags & C.JET_bitObjectTableTemplate:
        flags |= C.JET_bitObjectTableTemplate
    elif table.template_table is not None:
        flags |= C.JET_bitObjectTableDerived
    grbit = C.JET_bitTableInfoBookmark | C.JET_bitTableInfoRollback
    if updatable:
        grbit |= C.JET_bitTableInfoUpdatable
    items, _keys, pages, _when = decode_stats(table.schema.table.stats if stats else None)
    return JET_OBJECTINFO(objtyp=C.JET_objtypTable, grbit=grbit, flags=flags,
                          cRecord=items, cPage=pages)


_SPACE_LEVELS = (C.JET_TblInfoSpaceOwned, C.JET_TblInfoSpaceAvailable, C.JET_TblInfoSpaceUsage,
                 C.JET_TblInfoSpaceOwnedLV, C.JET_TblInfoSpaceAvailableLV)


def JetGetTableInfo(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                    InfoLevel: int = C.JET_TblInfo) -> Any:
    """Information about the cursor's table (ESE ``ErrIsamGetTableInfo``).

    ``JET_TblInfo`` -> ``JET_OBJECTINFO`` (grbit Bookmark|Rollback, Updatable when the
    cursor may update; flags Template/Derived/FixedDDL); ``JET_TblInfoName`` /
    ``JET_TblInfoMostMany`` -> the name; ``JET_TblInfoDbid`` -> the ``JET_DBID``;
    ``JET_TblInfoTemplateTableName`` -> the template table's name or ``""``;
    ``JET_TblInfoSpaceAlloc`` -> ``(pages, density)`` as created;
    ``JET_TblInfoObjectId`` -> the table's objid; ``JET_TblInfoSpaceOwned`` /
    ``...SpaceAvailable`` (and the ``...LV`` pair for the long-value tree) -> pages, and
    ``JET_TblInfoSpaceUsage`` -> ``(owned, available)``, counted as
    ``engine.schema.stats.table_space`` does. ``JET_TblInfoOLC`` /
    ``JET_TblInfoResetOLC`` / ``JET_TblInfoDumpTable`` give ``JET_errFeatureNotAvailable``,
    ``JET_TblInfoRvt`` ``JET_errQueryNotSupported``, other levels
    ``JET_errInvalidParameter``. Also ``JET_errInvalidTableId``.
    """
    level = _level(InfoLevel)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if hasattr(cur, "vt"):  # temporary tables: ErrIsamSortGetTableInfo
            return JET_OBJECTINFO(objtyp=C.JET_objtypTable,
                                  cRecord=cur.vt.get_table_info(cur, level))
        if level in (C.JET_TblInfoOLC, C.JET_TblInfoResetOLC, C.JET_TblInfoDumpTable):
            raise_error(C.JET_errFeatureNotAvailable, f"table info level {level}")
        table = T.current_table(cur)
        if level == C.JET_TblInfo:
            return _object_info(table, not cur.read_only)
        if level in (C.JET_TblInfoName, C.JET_TblInfoMostMany):
            return table.name
        if level == C.JET_TblInfoDbid:
            return JET_DBID(cur.db.dbnum)
        if level == C.JET_TblInfoTemplateTableName:
            return table.template_table or ""
        if level == C.JET_TblInfoSpaceAlloc:
            t = table.schema.table
            return (t.pages, t.density)
        if level == C.JET_TblInfoObjectId:
            return table.objid
        if level in _SPACE_LEVELS:
            owned, avail = stats.table_space(
                session, cur, level in (C.JET_TblInfoSpaceOwnedLV, C.JET_TblInfoSpaceAvailableLV))
            if level in (C.JET_TblInfoSpaceOwned, C.JET_TblInfoSpaceOwnedLV):
                return owned
            if level in (C.JET_TblInfoSpaceAvailable, C.JET_TblInfoSpaceAvailableLV):
                return avail
            return (owned, avail)
        if level == C.JET_TblInfoRvt:
            raise_error(C.JET_errQueryNotSupported)
        raise_error(C.JET_errInvalidParameter, f"table info level {level}")


def JetGetObjectInfo(sesid: JET_SESID | int, dbid: JET_DBID | int, objtyp: int,
                     szContainerName: str | None, szObjectName: str | None,
                     InfoLevel: int = C.JET_ObjInfo) -> Any:
    """Information about a table, or the list of tables (ESE ``ErrIsamGetObjectInfo``).

    ``JET_ObjInfo`` / ``JET_ObjInfoNoStats`` -> ``JET_OBJECTINFO`` of ``szObjectName``;
    ``JET_ObjInfoList`` / ``JET_ObjInfoListNoStats`` -> ``list[JET_OBJECTLIST_ROW]`` of
    every table (``objtyp`` ``JET_objtypNil`` or ``JET_objtypTable``), sorted by name.
    The only container is ``"Tables"`` (or None / ``""``): another gives
    ``JET_errObjectNotFound``. Errors: ``JET_errInvalidDatabaseId``,
    ``JET_errInvalidName``, ``JET_errObjectNotFound``, ``JET_errInvalidParameter`` (other
    levels, or an object type other than Nil/Table for a list).
    """
    level = _level(InfoLevel)
    otyp = _args.integer(objtyp, "objtyp")
    with session_call(sesid) as session:
        db = database_of(session, dbid)
        container = _opt_name(szContainerName, "szContainerName")
        if container and container.upper() != _CONTAINER_TABLES.upper():
            raise_error(C.JET_errObjectNotFound, f"container {container!r}")
        obj_name = _opt_name(szObjectName, "szObjectName")
        catalog = T.tables_of(session, db)
        if level in (C.JET_ObjInfo, C.JET_ObjInfoNoStats):
            if not obj_name:
                raise_error(C.JET_errObjectNotFound, "no object name")
            table = catalog.table(obj_name)
            return _object_info(table, not db.read_only, level == C.JET_ObjInfo)
        if level in (C.JET_ObjInfoList, C.JET_ObjInfoListNoStats):
            if otyp not in (C.JET_objtypNil, C.JET_objtypTable):
                raise_error(C.JET_errInvalidParameter, f"objtyp {otyp}")
            rows = []
            for table in catalog:
                info = _object_info(table, not db.read_only, level == C.JET_ObjInfoList)
                rows.append(JET_OBJECTLIST_ROW(objectname=table.name, grbit=info.grbit,
                                               flags=info.flags, cRecord=info.cRecord,
                                               cPage=info.cPage))
            rows.sort(key=lambda r: r.objectname.upper())
            return rows
        raise_error(C.JET_errInvalidParameter, f"object info level {level}")


# ------------------------------------------------------------------ indexes


def _index_rows(table: TableDef, cix: CatalogIndex) -> list[JET_INDEXLIST_ROW]:
    ix = cix.index
    rows = []
    n = len(ix.segments)
    raw = table.schema.table.stats if cix.objid == table.objid else cix.stats
    entries, keys, pages, _when = decode_stats(raw)
    for i, seg in enumerate(ix.segments):
        rows.append(JET_INDEXLIST_ROW(
            indexname=ix.name, grbitIndex=_index_grbit(cix), cColumn=n, iColumn=i,
            cKey=keys, cEntry=entries, cPage=pages,
            columnid=seg.column.columnid, coltyp=seg.column.coltyp, Cp=seg.column.cp,
            grbitColumn=C.JET_bitKeyDescending if seg.descending else C.JET_bitKeyAscending,
            columnname=seg.column.name, LCMapFlags=ix.lcmap_flags,
            Langid=ix.lcid & 0xFFFF))
    return rows


def _index_grbit(cix: CatalogIndex) -> int:
    """ESE reports a primary index as Primary|Unique (its FIDB flags: a primary index is
    unique)."""
    grbit = cix.index.grbit
    if grbit & C.JET_bitIndexPrimary:
        grbit |= C.JET_bitIndexUnique
    return grbit


def _index_key_string(cix: CatalogIndex) -> str:
    return "".join(("-" if s.descending else "+") + s.column.name + "\0"
                   for s in cix.index.segments) + "\0"


def _index_create(cix: CatalogIndex, version: int) -> Any:
    ix = cix.index
    conds = [JET_CONDITIONALCOLUMN(
        szColumnName=c.column.name,
        grbit=C.JET_bitIndexColumnMustBeNull if c.must_be_null
        else C.JET_bitIndexColumnMustBeNonNull) for c in ix.conditions]
    grbit = ix.grbit
    tuples = None
    if ix.tuple_limits is not None:
        tuples = JET_TUPLELIMITS(chLengthMin=ix.tuple_limits[0],
                                 chLengthMax=ix.tuple_limits[1],
                                 chToIndexMax=ix.tuple_limits[2],
                                 cchIncrement=ix.tuple_limits[3],
                                 ichStart=ix.tuple_limits[4])
        grbit |= C.JET_bitIndexTupleLimits
    if ix.cbKeyMost != C.JET_cbKeyMostMin:
        grbit |= C.JET_bitIndexKeyMost
    common: dict[str, Any] = dict(
        szIndexName=ix.name, szKey=_index_key_string(cix), ulDensity=cix.density,
        cbVarSegMac=ix.cbVarSegMac, ptuplelimits=tuples, rgconditionalcolumn=conds,
        cbKeyMost=ix.cbKeyMost)
    grbit |= C.JET_bitIndexUnicode
    if version >= 2:
        # the index's space hints as the catalog keeps them (cat.cxx, unmarshalled)
        sh = spacehints.unmarshal(cix.space_hints, spacehints.INDEX, cix.density)
        common["pSpacehints"] = JET_SPACEHINTS(
            ulInitialDensity=sh.ulInitialDensity, cbInitial=sh.cbInitial, grbit=sh.grbit,
            ulMaintDensity=sh.ulMaintDensity, ulGrowth=sh.ulGrowth,
            cbMinExtent=sh.cbMinExtent, cbMaxExtent=sh.cbMaxExtent)
    if version == 3:
        uni2 = JET_UNICODEINDEX2(szLocaleName=cix.locale_name or "en-US",
                                 dwMapFlags=ix.lcmap_flags)
        return JET_INDEXCREATE3(grbit=grbit, pidxunicode=uni2, **common)
    uni = JET_UNICODEINDEX(lcid=ix.lcid, dwMapFlags=ix.lcmap_flags)
    cls = JET_INDEXCREATE2 if version == 2 else JET_INDEXCREATE
    return cls(grbit=grbit, pidxunicode=uni, **common)


def _index_info(session: Session, db: Any, table: TableDef, index_name: object,
                level: int) -> Any:
    name = _opt_name(index_name, "szIndexName")
    if level in (C.JET_IdxInfo, C.JET_IdxInfoList):
        chosen = [table.index(name)] if name else sorted(
            table.indexes, key=lambda c: c.index.name.upper())
        rows: list[JET_INDEXLIST_ROW] = []
        for cix in chosen:
            rows.extend(_index_rows(table, cix))
        return rows
    if level == C.JET_IdxInfoCount:
        return len(table.indexes)
    if level in (C.JET_IdxInfoOLC, C.JET_IdxInfoResetOLC):
        raise_error(C.JET_errFeatureNotAvailable, f"index info level {level}")
    if level == C.JET_IdxInfoSysTabCursor:
        raise_error(C.JET_errInvalidParameter, f"index info level {level}")
    # The levels below describe one index; ESE's NULL name means the primary index.
    if name:
        cix = table.index(name)
    else:
        prim = table.primary_index
        if prim is None:
            raise_error(C.JET_errIndexNotFound, "no primary index")
        assert prim is not None
        cix = prim
    if level == C.JET_IdxInfoSpaceAlloc:
        return cix.density
    if level == C.JET_IdxInfoLCID:
        return cix.index.lcid
    if level == C.JET_IdxInfoVarSegMac:
        return cix.index.cbVarSegMac or cix.index.cbKeyMost
    if level == C.JET_IdxInfoKeyMost:
        return cix.index.cbKeyMost
    if level == C.JET_IdxInfoIndexId:
        return JET_INDEXID(rgbIndexId=struct.pack("<II", table.objid, cix.objid))
    if level == C.JET_IdxInfoCreateIndex:
        return _index_create(cix, 1)
    if level == C.JET_IdxInfoCreateIndex2:
        return _index_create(cix, 2)
    if level == C.JET_IdxInfoCreateIndex3:
        return _index_create(cix, 3)
    if level == C.JET_IdxInfoLocaleName:
        return cix.locale_name or "en-US"
    raise_error(C.JET_errInvalidParameter, f"index info level {level}")


def JetGetTableIndexInfo(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                         szIndexName: str | None, InfoLevel: int = C.JET_IdxInfo) -> Any:
    """Information about the cursor's table's indexes (ESE ``ErrIsamGetTableIndexInfo``).

    ``JET_IdxInfo`` / ``JET_IdxInfoList`` -> ``list[JET_INDEXLIST_ROW]``, one row per key
    segment, of ``szIndexName`` or (None / ``""``) of every index sorted by name;
    ``JET_IdxInfoCount`` -> the number of indexes; for one index (None = the primary):
    ``JET_IdxInfoSpaceAlloc`` (density), ``JET_IdxInfoLCID``, ``JET_IdxInfoVarSegMac``,
    ``JET_IdxInfoKeyMost``, ``JET_IdxInfoIndexId`` (``JET_INDEXID``: the
    table's and the index's objids, little-endian), ``JET_IdxInfoCreateIndex`` / ``2`` / ``3``
    (``JET_INDEXCREATE`` / ``2`` / ``3`` that would recreate the index),
    ``JET_IdxInfoLocaleName``. Errors: ``JET_errInvalidTableId``, ``JET_errInvalidName``,
    ``JET_errIndexNotFound``, ``JET_errFeatureNotAvailable`` (OLC levels),
    ``JET_errInvalidParameter`` (other levels).
    """
    level = _level(InfoLevel)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if hasattr(cur, "vt"):  # temporary tables: ErrIllegalGetTableIndexInfo
            cur.vt.illegal_info(cur, "JetGetTableIndexInfo on a temporary table")
        return _index_info(session, cur.db, T.current_table(cur), szIndexName, level)


def JetGetIndexInfo(sesid: JET_SESID | int, dbid: JET_DBID | int, szTableName: str,
                    szIndexName: str | None, InfoLevel: int = C.JET_IdxInfo) -> Any:
    """``JetGetTableIndexInfo`` by table name; also ``JET_errInvalidDatabaseId``,
    ``JET_errInvalidParameter`` (no table name) and ``JET_errObjectNotFound``."""
    level = _level(InfoLevel)
    with session_call(sesid) as session:
        db, table = _table_of(session, dbid, szTableName)
        return _index_info(session, db, table, szIndexName, level)


__all__ = [
    "JET_COLUMNLIST_ROW",
    "JET_INDEXLIST_ROW",
    "JET_OBJECTLIST_ROW",
    "JetGetColumnInfo",
    "JetGetIndexInfo",
    "JetGetObjectInfo",
    "JetGetTableColumnInfo",
    "JetGetTableIndexInfo",
    "JetGetTableInfo",
]
