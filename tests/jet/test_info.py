"""Schema information: JetGetTableInfo, JetGetTableColumnInfo, JetGetColumnInfo,
JetGetTableIndexInfo, JetGetIndexInfo, JetGetObjectInfo (ESE info.cxx)."""

from __future__ import annotations

import pytest

import pyese.jet as jet

from .helpers import expect


@pytest.fixture
def s(inst):
    return jet.JetBeginSession(inst)


@pytest.fixture
def db(s):
    return jet.JetCreateDatabase(s, "t.edb")


@pytest.fixture
def t(s, db):
    t = jet.JetCreateTable(s, db, "Tbl", 3, 90)
    jet.JetAddColumn(s, t, "zeta", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetAddColumn(s, t, "Alpha", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText, cp=1200,
                                                      cbMax=40))
    jet.JetAddColumn(s, t, "mid", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypLongBinary, grbit=jet.JET_bitColumnMultiValued), b"dflt")
    jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+zeta\0\0")
    jet.JetCreateIndex(s, t, "byAlpha", jet.JET_bitIndexIgnoreNull, "-Alpha\0+zeta\0\0")
    return t


def test_column_info_levels(s, db, t):
    cd = jet.JetGetTableColumnInfo(s, t, "alpha")
    assert isinstance(cd, jet.JET_COLUMNDEF)
    assert (cd.columnid, cd.coltyp, cd.cp, cd.cbMax) == (128, jet.JET_coltypText, 1200, 40)
    # ESE: info.cxx ErrINFOGetTableColumnInfo -- placement bit and Updatable
    assert cd.grbit == jet.JET_bitColumnUpdatable
    assert jet.JetGetTableColumnInfo(s, t, "zeta").grbit == (
        jet.JET_bitColumnFixed | jet.JET_bitColumnUpdatable)
    by_id = jet.JetGetTableColumnInfo(s, t, 256, jet.JET_ColInfoByColid)
    assert by_id.coltyp == jet.JET_coltypLongBinary
    assert by_id.grbit & (jet.JET_bitColumnTagged | jet.JET_bitColumnMultiValued) == (
        jet.JET_bitColumnTagged | jet.JET_bitColumnMultiValued)
    base = jet.JetGetTableColumnInfo(s, t, "MID", jet.JET_ColInfoBase)
    assert isinstance(base, jet.JET_COLUMNBASE)
    assert (base.szBaseTableName, base.szBaseColumnName, base.columnid) == ("Tbl", "mid", 256)
    # JetGetColumnInfo opens the table not updatable (ESE: FUCBResetUpdatable)
    cd2 = jet.JetGetColumnInfo(s, db, "tbl", "Alpha")
    assert cd2.grbit == 0 and cd2.columnid == 128
    assert jet.JetGetColumnInfo(s, db, "Tbl", 1, jet.JET_ColInfoByColid).coltyp == \
        jet.JET_coltypLong


def test_column_list_orders(s, db, t):
    rows = jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoList)
    # ESE's temporary table is keyed on the name
    assert [r.columnname for r in rows] == ["Alpha", "mid", "zeta"]
    assert len(rows) == 3
    mid = rows[1]
    assert (mid.columnid, mid.coltyp, mid.Default, mid.BaseTableName) == (
        256, jet.JET_coltypLongBinary, b"dflt", "Tbl")
    by_id = jet.JetGetColumnInfo(s, db, "Tbl", None, jet.JET_ColInfoListSortColumnid)
    assert [r.columnid for r in by_id] == [1, 128, 256]
    assert [r.PresentationOrder for r in by_id] == [1, 128, 256]
    grbit_sorted = jet.JetGetColumnInfo(
        s, db, "Tbl", "", jet.JET_ColInfoList | jet.JET_ColInfoGrbitSortByColumnid)
    assert [r.columnid for r in grbit_sorted] == [1, 128, 256]


def test_column_info_errors(s, db, t):
    with expect(jet.JET_errColumnNotFound):
        jet.JetGetTableColumnInfo(s, t, "nope")
    with expect(jet.JET_errColumnNotFound):
        jet.JetGetTableColumnInfo(s, t, "")
    with expect(jet.JET_errColumnNotFound):
        jet.JetGetTableColumnInfo(s, t, 5, jet.JET_ColInfoByColid)
    with expect(jet.JET_errInvalidName):
        jet.JetGetTableColumnInfo(s, t, "a.b")
    with expect(jet.JET_errInvalidParameter):
        jet.JetGetTableColumnInfo(s, t, "zeta", 99)
    with expect(jet.JET_errObjectNotFound):
        jet.JetGetColumnInfo(s, db, "nope", "zeta")
    with expect(jet.JET_errInvalidParameter):
        jet.JetGetColumnInfo(s, db, None, "zeta")
    with expect(jet.JET_errInvalidDatabaseId):
        jet.JetGetColumnInfo(s, 999, "Tbl", "zeta")
    with expect(jet.JET_errInvalidTableId):
        jet.JetGetTableColumnInfo(s, 123456, "zeta")


def test_deleted_columns_are_hidden(s, db, t):
    jet.JetDeleteIndex(s, t, "byAlpha")
    jet.JetDeleteColumn(s, t, "Alpha")
    rows = jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoListSortColumnid)
    assert [r.columnname for r in rows] == ["zeta", "mid"]
    with expect(jet.JET_errColumnNotFound):
        jet.JetGetColumnInfo(s, db, "Tbl", 128, jet.JET_ColInfoBaseByColid)


def test_table_info(s, db, t):
    info = jet.JetGetTableInfo(s, t)
    assert isinstance(info, jet.JET_OBJECTINFO)
    assert info.objtyp == jet.JET_objtypTable
    assert info.grbit == (jet.JET_bitTableInfoBookmark | jet.JET_bitTableInfoRollback
                          | jet.JET_bitTableInfoUpdatable)
    assert jet.JetGetTableInfo(s, t, jet.JET_TblInfoName) == "Tbl"
    assert int(jet.JetGetTableInfo(s, t, jet.JET_TblInfoDbid)) == int(db)
    assert jet.JetGetTableInfo(s, t, jet.JET_TblInfoTemplateTableName) == ""
    assert jet.JetGetTableInfo(s, t, jet.JET_TblInfoSpaceAlloc) == (3, 90)
    with expect(jet.JET_errFeatureNotAvailable):
        jet.JetGetTableInfo(s, t, jet.JET_TblInfoOLC)
    with expect(jet.JET_errQueryNotSupported):
        jet.JetGetTableInfo(s, t, jet.JET_TblInfoRvt)
    with expect(jet.JET_errInvalidParameter):
        jet.JetGetTableInfo(s, t, 999)


def test_index_info(s, db, t):
    rows = jet.JetGetTableIndexInfo(s, t, None)
    # one row per segment, indexes by name
    assert [(r.indexname, r.iColumn, r.columnname) for r in rows] == [
        ("byAlpha", 0, "Alpha"), ("byAlpha", 1, "zeta"), ("pk", 0, "zeta")]
    assert rows[0].cColumn == 2 and rows[0].grbitColumn == jet.JET_bitKeyDescending
    assert rows[0].grbitIndex & jet.JET_bitIndexIgnoreNull
    assert rows[2].grbitIndex & jet.JET_bitIndexPrimary
    assert rows[1].columnid == 1 and rows[1].coltyp == jet.JET_coltypLong
    one = jet.JetGetIndexInfo(s, db, "Tbl", "BYALPHA", jet.JET_IdxInfoList)
    assert [r.columnname for r in one] == ["Alpha", "zeta"]
    assert jet.JetGetIndexInfo(s, db, "Tbl", None, jet.JET_IdxInfoCount) == 2
    assert jet.JetGetTableIndexInfo(s, t, "pk", jet.JET_IdxInfoKeyMost) == jet.JET_cbKeyMostMin
    ic = jet.JetGetTableIndexInfo(s, t, "byAlpha", jet.JET_IdxInfoCreateIndex)
    assert isinstance(ic, jet.JET_INDEXCREATE)
    assert ic.szKey == "-Alpha\0+zeta\0\0" and ic.grbit & jet.JET_bitIndexIgnoreNull
    ic3 = jet.JetGetTableIndexInfo(s, t, "byAlpha", jet.JET_IdxInfoCreateIndex3)
    assert isinstance(ic3, jet.JET_INDEXCREATE3)
    # the definition recreates an equal index
    ic.szIndexName = "copy"
    jet.JetCreateIndex2(s, t, [ic])
    copy = jet.JetGetTableIndexInfo(s, t, "copy")
    # (the returned definition names its locale: JET_bitIndexUnicode with pidxunicode)
    u = ~jet.JET_bitIndexUnicode
    assert [(r.columnname, r.grbitColumn, r.grbitIndex & u, r.Langid) for r in copy] == [
        (r.columnname, r.grbitColumn, r.grbitIndex & u, r.Langid) for r in rows[:2]]
    with expect(jet.JET_errIndexNotFound):
        jet.JetGetTableIndexInfo(s, t, "nope")
    with expect(jet.JET_errFeatureNotAvailable):
        jet.JetGetTableIndexInfo(s, t, "pk", jet.JET_IdxInfoOLC)
    with expect(jet.JET_errInvalidParameter):
        jet.JetGetTableIndexInfo(s, t, "pk", 999)


def test_object_info(s, db, t):
    jet.JetCreateTable(s, db, "another")
    rows = jet.JetGetObjectInfo(s, db, jet.JET_objtypTable, None, None, jet.JET_ObjInfoList)
    assert [r.objectname for r in rows] == ["another", "Tbl"]
    assert all(r.containername == "Tables" and r.objtyp == jet.JET_objtypTable for r in rows)
    info = jet.JetGetObjectInfo(s, db, jet.JET_objtypTable, "Tables", "tbl", jet.JET_ObjInfo)
    assert info.objtyp == jet.JET_objtypTable
    with expect(jet.JET_errObjectNotFound):
        jet.JetGetObjectInfo(s, db, jet.JET_objtypTable, "Queries", "Tbl", jet.JET_ObjInfo)
    with expect(jet.JET_errObjectNotFound):
        jet.JetGetObjectInfo(s, db, jet.JET_objtypTable, None, "nope", jet.JET_ObjInfo)
    with expect(jet.JET_errInvalidParameter):
        jet.JetGetObjectInfo(s, db, jet.JET_objtypTable, None, None, 99)


def test_info_sees_the_sessions_own_uncommitted_ddl(s, db, t):
    jet.JetBeginTransaction(s)
    jet.JetAddColumn(s, t, "fresh", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    assert jet.JetGetColumnInfo(s, db, "Tbl", "fresh").columnid == 2
    jet.JetRollback(s, 0)
    with expect(jet.JET_errColumnNotFound):
        jet.JetGetColumnInfo(s, db, "Tbl", "fresh")
