"""JET functions for tables, columns and indexes (DDL) and table cursors.

Each function enters the gate, checks its arguments, and calls ``engine.schema.tables``
(DDL around ``engine.schema.ddl``'s catalog writes, in ESE's order of checks). DDL runs in the
caller's transaction, or in an internal one at level 0, so a rolled back transaction
leaves no table, column or index behind.
"""

from __future__ import annotations

from typing import Any

from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.instance.database import database_of
from pyese.engine.instance.gate import session_call
from pyese.engine.schema import ddl
from pyese.engine.schema import tables as T
from pyese.jet import _args
from pyese.jet.handles import JET_COLUMNID, JET_DBID, JET_SESID, JET_TABLEID
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error

OPEN_TABLE_GRBITS = (
    C.JET_bitTableDenyWrite | C.JET_bitTableDenyRead | C.JET_bitTableReadOnly
    | C.JET_bitTableUpdatable | C.JET_bitTablePermitDDL | C.JET_bitTableNoCache
    | C.JET_bitTablePreread | C.JET_bitTableOpportuneRead | C.JET_bitTableSequential
    | C.JET_bitTableClassMask | C.JET_bitTableTryPurgeOnClose | C.JET_bitTableDelete
)


def _name(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise_error(C.JET_errInvalidParameter, f"{what} must be a str")
    return value  # type: ignore[return-value]


# ------------------------------------------------------------------ tables


def JetCreateTable(sesid: JET_SESID | int, dbid: JET_DBID | int, szTableName: str,
                   lPages: int = 0, lDensity: int = 0) -> JET_TABLEID:
    """Create an empty table and open it exclusively; returns the cursor.

    Errors: ``JET_errInvalidName``, ``JET_errDensityInvalid``, ``JET_errTableDuplicate``,
    ``JET_errPermissionDenied`` (read-only database), ``JET_errInvalidDatabaseId``.
    """
    _args.integer(lPages, "lPages")
    _args.integer(lDensity, "lDensity")
    name = _name(szTableName, "szTableName")
    with session_call(sesid) as session:
        cur = T.create_table(session, database_of(session, dbid), name, lPages, lDensity)
        return JET_TABLEID(cur.tableid)


def _column_request(name: object, columndef: Any, default: object) -> ddl.ColumnRequest:
    from pyese.jet.structs import JET_COLUMNCREATE, JET_COLUMNDEF, JET_USERDEFINEDDEFAULT

    _args.struct(columndef, (JET_COLUMNDEF, JET_COLUMNCREATE), "columndef")
    udd = None
    if isinstance(default, JET_USERDEFINEDDEFAULT):
        if not isinstance(default.szCallback, str) or not default.szCallback:
            raise_error(C.JET_errInvalidParameter, "JET_USERDEFINEDDEFAULT.szCallback")
        udd = (default.szCallback, _args.data(default.pbUserData, "pbUserData"))
        default = None
    default = _args.data(default, "pvDefault")
    return ddl.ColumnRequest(
        udd=udd,
        name=_name(name, "szColumnName"),
        coltyp=_args.integer(getattr(columndef, "coltyp", 0), "coltyp"),
        cbMax=_args.integer(getattr(columndef, "cbMax", 0), "cbMax"),
        grbit=_args.grbit(getattr(columndef, "grbit", 0)),
        cp=_args.integer(getattr(columndef, "cp", 0), "cp"),
        default=bytes(default) if default else None,
    )


def _conditions(items: Any) -> tuple[tuple[str, int], ...]:
    out = []
    from pyese.jet.structs import JET_CONDITIONALCOLUMN

    for cc in _args.struct_list(items or [], JET_CONDITIONALCOLUMN, "rgconditionalcolumn"):
        out.append((_name(cc.szColumnName, "szColumnName"), _args.grbit(cc.grbit)))
    return tuple(out)


def _index_request(ic: Any) -> ddl.IndexRequest:
    """An IndexRequest from any JET_INDEXCREATE*."""
    from pyese.jet.structs import JET_INDEXCREATE, JET_INDEXCREATE3

    _args.struct(ic, (JET_INDEXCREATE, JET_INDEXCREATE3), "pindexcreate")
    grbit = _args.grbit(ic.grbit)
    lcid = 0
    map_flags = 0
    locale = None
    uni = getattr(ic, "pidxunicode", None)
    if grbit & C.JET_bitIndexUnicode:
        if uni is None:
            raise_error(C.JET_errIndexInvalidDef, "JET_bitIndexUnicode without pidxunicode")
        lcid = getattr(uni, "lcid", 0)
        locale = getattr(uni, "szLocaleName", None)
        map_flags = uni.dwMapFlags
    else:
        lcid = getattr(ic, "lcid", 0)
    tl = None
    cb_var = ic.cbVarSegMac
    if grbit & C.JET_bitIndexTupleLimits:
        lim = ic.ptuplelimits
        if lim is None:
            raise_error(C.JET_errInvalidParameter, "JET_bitIndexTupleLimits without limits")
        tl = (lim.chLengthMin, lim.chLengthMax, lim.chToIndexMax, lim.cchIncrement,
              lim.ichStart)
        cb_var = 0
    cb_key_most = ic.cbKeyMost if grbit & C.JET_bitIndexKeyMost else 0
    hints = _space_hints(getattr(ic, "pSpacehints", None), "pSpacehints")
    return ddl.IndexRequest(
        space_hints=hints,
        name=_name(ic.szIndexName, "szIndexName"), key=ic.szKey, grbit=grbit,
        density=ic.ulDensity, lcid=lcid, map_flags=map_flags, locale_name=locale,
        cbVarSegMac=cb_var, cbKeyMost=cb_key_most, tuple_limits=tl,
        conditions=_conditions(ic.rgconditionalcolumn))


def _space_hints(value: object, name: str) -> Any:
    """A JET_SPACEHINTS as the engine's SpaceHints (None for None)."""
    from pyese.engine.schema.spacehints import SpaceHints
    from pyese.jet.structs import JET_SPACEHINTS

    if value is None:
        return None
    sh = _args.struct(value, JET_SPACEHINTS, name)
    return SpaceHints(sh.ulInitialDensity, sh.cbInitial, sh.grbit, sh.ulMaintDensity,
                      sh.ulGrowth, sh.cbMinExtent, sh.cbMaxExtent)


TABLE_CREATE_GRBITS = (C.JET_bitTableCreateFixedDDL | C.JET_bitTableCreateTemplateTable
                      | C.JET_bitTableCreateNoFixedVarColumnsInDerivedTables
                      | C.JET_bitTableCreateImmutableStructure)


def _create_table_column_index(sesid: Any, dbid: Any, tablecreate: Any) -> None:
    from pyese.jet.structs import (
        JET_COLUMNCREATE,
        JET_TABLECREATE,
        JET_TABLECREATE2,
        JET_TABLECREATE3,
        JET_TABLECREATE4,
    )

    tc = _args.struct(tablecreate, (JET_TABLECREATE, JET_TABLECREATE2, JET_TABLECREATE3,
                                    JET_TABLECREATE4), "tablecreate")
    grbit = _args.grbit(tc.grbit)
    _args.struct_list(tc.rgcolumncreate, JET_COLUMNCREATE, "rgcolumncreate")
    _args.struct_list(tc.rgindexcreate, _index_create_types(), "rgindexcreate")
    _args.integer(tc.ulPages, "ulPages")
    _args.integer(tc.ulDensity, "ulDensity")
    if grbit & ~TABLE_CREATE_GRBITS:
        raise_error(C.JET_errInvalidGrbit, f"table create grbit {grbit:#x}")
    template = _args.optional_str(tc.szTemplateTableName, "szTemplateTableName")
    flags = C.JET_bitObjectTableFixedDDL if grbit & (
        C.JET_bitTableCreateFixedDDL | C.JET_bitTableCreateImmutableStructure) else 0
    name = _name(tc.szTableName, "szTableName")
    with session_call(sesid) as session:
        db = database_of(session, dbid)
        tc.cCreated = 0
        tc.tableid = None
        for item in [*tc.rgcolumncreate, *tc.rgindexcreate]:
            item.err = 0
        requests = [_index_request(ic) for ic in tc.rgindexcreate]
        pages, density, table_raw, lv_raw = T.table_space_hints(
            db.page_size, [r.space_hints for r in requests],
            any(r.grbit & C.JET_bitIndexPrimary for r in requests),
            _space_hints(getattr(tc, "pSeqSpacehints", None), "pSeqSpacehints"),
            _space_hints(getattr(tc, "pLVSpacehints", None), "pLVSpacehints"),
            tc.ulPages, tc.ulDensity)
        with T.create_table_with(session, db, name, pages, density,
                                 flags, grbit, template, (table_raw, lv_raw)) as creation:
            tc.cCreated = 1
            for cc in tc.rgcolumncreate:
                try:
                    col, warning = creation.add_column(
                        _column_request(cc.szColumnName, cc, cc.pvDefault))
                except JetError as exc:
                    cc.err = exc.err
                    raise
                cc.columnid = JET_COLUMNID(col.columnid)
                cc.err = warning
                tc.cCreated += 1
            for ic, req in zip(tc.rgindexcreate, requests, strict=True):
                try:
                    creation.create_index(req)
                except JetError as exc:
                    ic.err = exc.err
                    raise
                tc.cCreated += 1
            cur = creation.open()
        tc.tableid = JET_TABLEID(cur.tableid)


def JetCreateTableColumnIndex(sesid: JET_SESID | int, dbid: JET_DBID | int,
                              tablecreate: Any) -> None:
    """Create a table with its columns and indexes in one call (``JET_TABLECREATE``).

    Fills ``tableid`` (opened exclusively, JET_bitTableDenyRead), ``cCreated`` (the table,
    then each column and index made), each ``JET_COLUMNCREATE``'s ``columnid`` and ``err``
    (0 or JET_wrnColumnMaxTruncated) and each index's ``err`` (0). On the first failure
    the failing item's ``err`` holds the code, the whole creation is undone (nothing
    stays in the catalog) and the error is raised.

    ``grbit``: ``JET_bitTableCreateFixedDDL`` / ``ImmutableStructure`` (later DDL gives
    JET_errFixedDDL unless the table is opened with DenyRead|PermitDDL);
    ``JET_bitTableCreateTemplateTable`` makes a template table (fixed DDL, its columnids
    carry the template bit 0x80000000, it cannot be deleted: JET_errCannotDeleteTemplateTable);
    ``szTemplateTableName`` derives the new table from a template: it inherits the
    template's columns and indexes (JET_errObjectNotFound, JET_errDDLNotInheritable when
    the table is not a template, JET_errCannotNestDDL with TemplateTable too).
    ``JET_bitTableCreateNoFixedVarColumnsInDerivedTables`` is JET_errInvalidGrbit, as in
    ESE; other unknown bits JET_errInvalidGrbit.
    """
    _create_table_column_index(sesid, dbid, tablecreate)


def JetCreateTableColumnIndex2(sesid: JET_SESID | int, dbid: JET_DBID | int,
                               tablecreate: Any) -> None:
    """``JetCreateTableColumnIndex`` with ``JET_TABLECREATE2`` (callbacks are refused)."""
    if getattr(tablecreate, "szCallback", None):
        raise_error(C.JET_errInvalidParameter, "table callbacks are not supported")
    _create_table_column_index(sesid, dbid, tablecreate)


def JetCreateTableColumnIndex3(sesid: JET_SESID | int, dbid: JET_DBID | int,
                               tablecreate: Any) -> None:
    """``JetCreateTableColumnIndex`` with ``JET_TABLECREATE3`` (space hints accepted)."""
    JetCreateTableColumnIndex2(sesid, dbid, tablecreate)


def JetCreateTableColumnIndex4(sesid: JET_SESID | int, dbid: JET_DBID | int,
                               tablecreate: Any) -> None:
    """``JetCreateTableColumnIndex`` with ``JET_TABLECREATE4`` (``JET_INDEXCREATE3``)."""
    JetCreateTableColumnIndex2(sesid, dbid, tablecreate)


def JetOpenTable(sesid: JET_SESID | int, dbid: JET_DBID | int, szTableName: str,
                 pvParameters: bytes | None = None, grbit: int = 0) -> JET_TABLEID:
    """Open a cursor on a table, positioned (deferred) on its first record.

    Grbits: ``JET_bitTableReadOnly`` (updates and DDL get JET_errPermissionDenied),
    ``JET_bitTableDenyRead`` (no other session may open it), ``JET_bitTableDenyWrite``
    (no other session may open it for writing), ``JET_bitTablePermitDDL`` (with DenyRead:
    DDL on a fixed-DDL table), and the performance hints (accepted). JET_errInvalidGrbit
    for unknown bits, ``JET_bitTableDelete`` / ``JET_bitTableCreate``, PermitDDL without
    DenyRead, DenyRead with ReadOnly.
    Errors: ``JET_errInvalidGrbit``, ``JET_errInvalidName``, ``JET_errObjectNotFound``,
    ``JET_errTableLocked``, ``JET_errTableInUse``, ``JET_errInvalidDatabaseId``.
    """
    g = _args.grbit(grbit)
    if g & ~OPEN_TABLE_GRBITS:
        raise_error(C.JET_errInvalidGrbit, f"{g:#x}")
    # ESE: fileopen.cxx ErrIsamOpenTable -- Delete/Create are internal; PermitDDL needs
    # DenyRead; DenyRead with ReadOnly is refused.
    if g & (C.JET_bitTableDelete | C.JET_bitTableCreate):
        raise_error(C.JET_errInvalidGrbit, "internal open grbit")
    if g & C.JET_bitTablePermitDDL:
        if not g & C.JET_bitTableDenyRead:
            raise_error(C.JET_errInvalidGrbit, "JET_bitTablePermitDDL needs JET_bitTableDenyRead")
    elif g & C.JET_bitTableDenyRead and g & C.JET_bitTableReadOnly:
        raise_error(C.JET_errInvalidGrbit, "DenyRead with ReadOnly")
    name = _name(szTableName, "szTableName")
    with session_call(sesid) as session:
        cur = T.open_table(session, database_of(session, dbid), name, g)
        return JET_TABLEID(cur.tableid)


def JetCloseTable(sesid: JET_SESID | int, tableid: JET_TABLEID | int) -> None:
    """Close a cursor; a prepared update is lost. ``JET_errInvalidTableId``."""
    with session_call(sesid, ignore_stop_service=True) as session:
        cursor_for(session, tableid).close()


def JetDupCursor(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                 grbit: int = 0) -> JET_TABLEID:
    """A new cursor on the same table, on its primary index, deferred to the first record,
    with no copy buffer and no key (ESE fileopen.cxx ErrIsamDupCursor)."""
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        vt = getattr(cur, "vt", None)
        if vt is not None:  # temporary tables (ESE ErrTTSortRetDupCursor / TTBaseDupCursor)
            return JET_TABLEID(vt.dup_cursor(cur, g))
        return JET_TABLEID(T.dup_cursor(cur, g).tableid)


def JetDeleteTable(sesid: JET_SESID | int, dbid: JET_DBID | int, szTableName: str) -> None:
    """Delete a table with its records, indexes and long values.

    ``JET_errObjectNotFound``, ``JET_errTableInUse`` when any cursor has it open,
    ``JET_errPermissionDenied`` on a read-only database.
    """
    name = _name(szTableName, "szTableName")
    with session_call(sesid) as session:
        T.delete_table(session, database_of(session, dbid), name)


def JetRenameTable(sesid: JET_SESID | int, dbid: JET_DBID | int, szName: str,
                   szNameNew: str) -> None:
    """Rename a table: ``JET_errObjectNotFound``, ``JET_errInvalidName``,
    ``JET_errTableDuplicate``."""
    name = _name(szName, "szName")
    new = _name(szNameNew, "szNameNew")
    with session_call(sesid) as session:
        T.rename_table(session, database_of(session, dbid), name, new)


# ------------------------------------------------------------------ columns


def JetAddColumn(sesid: JET_SESID | int, tableid: JET_TABLEID | int, szColumnName: str,
                 columndef: Any, pvDefault: bytes | None = None) -> JET_COLUMNID:
    """Add a column (``JET_COLUMNDEF``: coltyp, cbMax, grbit, cp); returns its id.

    See ``engine.schema.ddl.column_def`` for the checks and errors. JET_wrnColumnMaxTruncated
    (cbMax cut to 255) is not raised: read the column back to see the size.
    """
    with session_call(sesid) as session:
        cur = T.ddl_cursor(session, tableid)
        col = T.add_column(cur, _column_request(szColumnName, columndef, pvDefault))
        return JET_COLUMNID(col.columnid)


def JetDeleteColumn(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                    szColumnName: str) -> None:
    """Delete a column: ``JET_errColumnNotFound``, ``JET_errColumnInUse`` (indexed)."""
    JetDeleteColumn2(sesid, tableid, szColumnName, 0)


def JetDeleteColumn2(sesid: JET_SESID | int, tableid: JET_TABLEID | int, szColumnName: str,
                     grbit: int = 0) -> None:
    """``JetDeleteColumn``; with ``JET_bitDeleteColumnIgnoreTemplateColumns`` a derived
    table's inherited columns are not looked at (``JET_errColumnNotFound`` instead of
    ``JET_errFixedInheritedDDL``)."""
    g = _args.grbit(grbit)
    if g & ~C.JET_bitDeleteColumnIgnoreTemplateColumns:
        raise_error(C.JET_errInvalidGrbit)
    with session_call(sesid) as session:
        T.delete_column(T.ddl_cursor(session, tableid), _name(szColumnName, "szColumnName"), g)


def JetRenameColumn(sesid: JET_SESID | int, tableid: JET_TABLEID | int, szName: str,
                    szNameNew: str, grbit: int = 0) -> None:
    """Rename a column: ``JET_errInTransaction`` inside a transaction (ESE renames
    columns outside transactions only), ``JET_errColumnNotFound``, ``JET_errInvalidName``,
    ``JET_errColumnDuplicate``."""
    _args.grbit(grbit)
    with session_call(sesid) as session:
        T.rename_column(T.ddl_cursor(session, tableid), _name(szName, "szName"),
                        _name(szNameNew, "szNameNew"))


def JetSetColumnDefaultValue(sesid: JET_SESID | int, dbid: JET_DBID | int, szTableName: str,
                             szColumnName: str, pvData: bytes | None, grbit: int = 0) -> None:
    """Change a column's default value (records without a value read the new default)."""
    _args.grbit(grbit)
    with session_call(sesid) as session:
        db = database_of(session, dbid)
        T.set_column_default(session, db, _name(szTableName, "szTableName"),
                             _name(szColumnName, "szColumnName"), _args.data(pvData) or None)


# ------------------------------------------------------------------ indexes


def JetCreateIndex(sesid: JET_SESID | int, tableid: JET_TABLEID | int, szIndexName: str,
                   grbit: int, szKey: str, lDensity: int = 100) -> None:
    """Create an index from ESE's key string (``"+Name\\0-Age\\0\\0"``), built over the
    table's existing records. See ``engine.schema.ddl.index_def`` for the checks; a unique index
    over duplicate keys gives ``JET_errKeyDuplicate``; a primary index on a table with
    records ``JET_errTableNotEmpty``."""
    from pyese.jet.structs import JET_INDEXCREATE

    ic = JET_INDEXCREATE(szIndexName=szIndexName, szKey=szKey, grbit=grbit,
                         ulDensity=lDensity)
    _create_indexes(sesid, tableid, [ic])


def _index_create_types() -> tuple[type, ...]:
    from pyese.jet.structs import JET_INDEXCREATE, JET_INDEXCREATE3

    return (JET_INDEXCREATE, JET_INDEXCREATE3)


def _create_indexes(sesid: Any, tableid: Any, items: Any) -> None:
    with session_call(sesid) as session:
        with T.create_indexes(T.ddl_cursor(session, tableid)) as creation:
            for ic in items:
                try:
                    creation.create_index(_index_request(ic))
                except JetError as exc:
                    ic.err = exc.err
                    raise
                ic.err = 0


def JetCreateIndex2(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                    pindexcreate: Any) -> None:
    """Create the indexes of a list of ``JET_INDEXCREATE`` (all or none); each ``err``
    is set."""
    _create_indexes(sesid, tableid,
                    _args.struct_list(pindexcreate, _index_create_types(), "pindexcreate"))


def JetCreateIndex3(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                    pindexcreate: Any) -> None:
    """``JetCreateIndex2`` with ``JET_INDEXCREATE2`` (space hints accepted)."""
    _create_indexes(sesid, tableid,
                    _args.struct_list(pindexcreate, _index_create_types(), "pindexcreate"))


def JetCreateIndex4(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                    pindexcreate: Any) -> None:
    """``JetCreateIndex2`` with ``JET_INDEXCREATE3`` (locale names)."""
    _create_indexes(sesid, tableid,
                    _args.struct_list(pindexcreate, _index_create_types(), "pindexcreate"))


def JetDeleteIndex(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                   szIndexName: str) -> None:
    """Delete a secondary index: ``JET_errIndexNotFound``, ``JET_errIndexMustStay`` (the
    primary index)."""
    with session_call(sesid) as session:
        T.delete_index(T.ddl_cursor(session, tableid), _name(szIndexName, "szIndexName"))


__all__ = [
    "JetCreateTable",
    "JetCreateTableColumnIndex",
    "JetCreateTableColumnIndex2",
    "JetCreateTableColumnIndex3",
    "JetCreateTableColumnIndex4",
    "JetOpenTable",
    "JetCloseTable",
    "JetDupCursor",
    "JetDeleteTable",
    "JetRenameTable",
    "JetAddColumn",
    "JetDeleteColumn",
    "JetDeleteColumn2",
    "JetRenameColumn",
    "JetSetColumnDefaultValue",
    "JetCreateIndex",
    "JetCreateIndex2",
    "JetCreateIndex3",
    "JetCreateIndex4",
    "JetDeleteIndex",
]
