"""Tables: JetCreateTable, JetCreateTableColumnIndex*, JetOpenTable modes, JetCloseTable,
JetDeleteTable, JetRenameTable, JetDupCursor; the catalog is versioned like data."""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet

from .helpers import expect, run_in_thread


@pytest.fixture
def s(inst):
    return jet.JetBeginSession(inst)


@pytest.fixture
def db(s):
    return jet.JetCreateDatabase(s, "t.edb")


def col(name, coltyp, grbit=0, cbMax=0, cp=0, default=None):
    return jet.JET_COLUMNCREATE(szColumnName=name, coltyp=coltyp, grbit=grbit, cbMax=cbMax,
                                cp=cp, pvDefault=default)


def test_create_open_close_table(s, db):
    t = jet.JetCreateTable(s, db, "People")
    jet.JetCloseTable(s, t)
    t = jet.JetOpenTable(s, db, "PEOPLE")  # names compare case-insensitively
    assert jet.JetGetTableInfo(s, t, jet.JET_TblInfoName) == "People"
    jet.JetCloseTable(s, t)
    with expect(jet.JET_errInvalidTableId):
        jet.JetCloseTable(s, t)


def test_create_table_errors(s, db):
    jet.JetCreateTable(s, db, "A")
    with expect(jet.JET_errTableDuplicate):
        jet.JetCreateTable(s, db, "a")
    with expect(jet.JET_errInvalidName):
        jet.JetCreateTable(s, db, "bad.name")
    with expect(jet.JET_errDensityInvalid):
        jet.JetCreateTable(s, db, "B", 0, 10)
    with expect(jet.JET_errObjectNotFound):
        jet.JetOpenTable(s, db, "missing")


def test_rolled_back_create_table_is_gone(s, db):
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "Temp")
    jet.JetAddColumn(s, t, "a", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetCreateIndex(s, t, "ia", 0, "+a\0\0")
    jet.JetRollback(s, 0)
    with expect(jet.JET_errObjectNotFound):
        jet.JetOpenTable(s, db, "Temp")
    assert jet.JetGetObjectInfo(s, db, jet.JET_objtypTable, None, None,
                                jet.JET_ObjInfoList) == []
    # the name is free again
    jet.JetCreateTable(s, db, "Temp")


def test_uncommitted_table_is_invisible_to_other_sessions(inst, s, db):
    jet.JetBeginTransaction(s)
    jet.JetCloseTable(s, jet.JetCreateTable(s, db, "Mine"))
    s2 = jet.JetBeginSession(inst)
    db2 = jet.JetOpenDatabase(s2, "t.edb")
    err = run_in_thread(lambda: jet.JetOpenTable(s2, db2, "Mine"))
    assert isinstance(err, jet.JetError) and err.err == jet.JET_errObjectNotFound
    jet.JetCommitTransaction(s, 0)
    t2 = jet.JetOpenTable(s2, db2, "Mine")
    jet.JetCloseTable(s2, t2)


def test_create_table_column_index(inst, s, db):
    tc = jet.JET_TABLECREATE(
        szTableName="T", ulPages=4, ulDensity=90,
        rgcolumncreate=[col("id", jet.JET_coltypLong), col("name", jet.JET_coltypText, cp=1200),
                        col("wide", jet.JET_coltypBinary, cbMax=400),
                        col("tags", jet.JET_coltypLongText, jet.JET_bitColumnMultiValued)],
        rgindexcreate=[jet.JET_INDEXCREATE(szIndexName="pk", szKey="+id\0\0",
                                           grbit=jet.JET_bitIndexPrimary, ulDensity=100),
                       jet.JET_INDEXCREATE(szIndexName="byname", szKey="-name\0+id\0\0")])
    jet.JetCreateTableColumnIndex(s, db, tc)
    assert tc.cCreated == 1 + 4 + 2
    assert [int(c.columnid) for c in tc.rgcolumncreate] == [1, 128, 129, 256]
    assert [c.err for c in tc.rgcolumncreate] == [0, 0, jet.JET_wrnColumnMaxTruncated, 0]
    assert [i.err for i in tc.rgindexcreate] == [0, 0]
    t = tc.tableid
    assert jet.JetGetTableInfo(s, t, jet.JET_TblInfoSpaceAlloc) == (4, 90)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, tc.rgcolumncreate[0].columnid, struct.pack("<i", 5))
    jet.JetUpdate(s, t)
    jet.JetSetCurrentIndex(s, t, "byname")
    jet.JetMove(s, t, jet.JET_MoveFirst)
    # the cursor is exclusive (ESE opens the new table DenyRead): the same session may
    # open the table again, another may not.
    jet.JetCloseTable(s, jet.JetOpenTable(s, db, "T"))
    s2 = jet.JetBeginSession(inst)
    db2 = jet.JetOpenDatabase(s2, "t.edb")
    err = run_in_thread(lambda: jet.JetOpenTable(s2, db2, "T"))
    assert isinstance(err, jet.JetError) and err.err == jet.JET_errTableLocked


def test_create_table_column_index_failure_sets_err_and_undoes_everything(s, db):
    tc = jet.JET_TABLECREATE(
        szTableName="T",
        rgcolumncreate=[col("a", jet.JET_coltypLong), col("b", jet.JET_coltypNil),
                        col("c", jet.JET_coltypLong)])
    with expect(jet.JET_errInvalidColumnType):
        jet.JetCreateTableColumnIndex(s, db, tc)
    assert [c.err for c in tc.rgcolumncreate] == [0, jet.JET_errInvalidColumnType, 0]
    assert int(tc.rgcolumncreate[0].columnid) == 1
    assert tc.tableid is None
    with expect(jet.JET_errObjectNotFound):
        jet.JetOpenTable(s, db, "T")

    tc = jet.JET_TABLECREATE(
        szTableName="T", rgcolumncreate=[col("a", jet.JET_coltypLong)],
        rgindexcreate=[jet.JET_INDEXCREATE(szIndexName="i", szKey="+a\0\0"),
                       jet.JET_INDEXCREATE(szIndexName="I", szKey="-a\0\0")])
    with expect(jet.JET_errIndexDuplicate):
        jet.JetCreateTableColumnIndex2(s, db, tc)
    assert [i.err for i in tc.rgindexcreate] == [0, jet.JET_errIndexDuplicate]
    assert tc.cCreated == 3
    with expect(jet.JET_errObjectNotFound):
        jet.JetOpenTable(s, db, "T")


def test_create_table_column_index_grbits(s, db):
    tc = jet.JET_TABLECREATE(szTableName="T", grbit=0x100)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetCreateTableColumnIndex(s, db, tc)
    tc = jet.JET_TABLECREATE4(szTableName="F", grbit=jet.JET_bitTableCreateFixedDDL,
                              rgcolumncreate=[col("a", jet.JET_coltypLong)],
                              rgindexcreate=[jet.JET_INDEXCREATE3(szIndexName="i",
                                                                  szKey="+a\0\0")])
    jet.JetCreateTableColumnIndex4(s, db, tc)
    info = jet.JetGetTableInfo(s, tc.tableid, jet.JET_TblInfo)
    assert info.flags & jet.JET_bitObjectTableFixedDDL
    with expect(jet.JET_errFixedDDL):
        jet.JetAddColumn(s, tc.tableid, "b", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    with expect(jet.JET_errFixedDDL):
        jet.JetCreateIndex(s, tc.tableid, "j", 0, "-a\0\0")
    jet.JetCloseTable(s, tc.tableid)
    t = jet.JetOpenTable(s, db, "F", None,
                         jet.JET_bitTableDenyRead | jet.JET_bitTablePermitDDL)
    jet.JetAddColumn(s, t, "b", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))


@pytest.mark.parametrize("grbit", [
    jet.JET_bitTablePermitDDL,
    jet.JET_bitTableDenyRead | jet.JET_bitTableReadOnly,
    jet.JET_bitTableDelete | jet.JET_bitTableDenyRead,
    0x40000000,
])
def test_open_table_invalid_grbits(s, db, grbit):
    jet.JetCloseTable(s, jet.JetCreateTable(s, db, "T"))
    # ESE: fileopen.cxx ErrIsamOpenTable
    with expect(jet.JET_errInvalidGrbit):
        jet.JetOpenTable(s, db, "T", None, grbit)


def test_open_table_modes_between_sessions(inst, s, db):
    jet.JetCloseTable(s, jet.JetCreateTable(s, db, "T"))
    s2 = jet.JetBeginSession(inst)
    db2 = jet.JetOpenDatabase(s2, "t.edb")

    def other(grbit):
        r = run_in_thread(lambda: jet.JetOpenTable(s2, db2, "T", None, grbit))
        if isinstance(r, jet.JetError):
            return r.err
        jet.JetCloseTable(s2, r)
        return 0

    t = jet.JetOpenTable(s, db, "T", None, jet.JET_bitTableDenyRead)
    assert other(0) == jet.JET_errTableLocked
    assert other(jet.JET_bitTableReadOnly) == jet.JET_errTableLocked
    jet.JetCloseTable(s, t)
    t = jet.JetOpenTable(s, db, "T", None, jet.JET_bitTableDenyWrite)
    assert other(jet.JET_bitTableReadOnly) == 0
    assert other(0) == jet.JET_errTableLocked
    jet.JetCloseTable(s, t)
    t = jet.JetOpenTable(s, db, "T")
    assert other(jet.JET_bitTableDenyRead) == jet.JET_errTableInUse
    assert other(jet.JET_bitTableDenyWrite) == jet.JET_errTableInUse
    assert other(0) == 0
    jet.JetCloseTable(s, t)
    assert other(jet.JET_bitTableDenyRead) == 0


def test_read_only_cursor_refuses_updates(s, db):
    t = jet.JetCreateTable(s, db, "T")
    jet.JetAddColumn(s, t, "a", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetCloseTable(s, t)
    ro = jet.JetOpenTable(s, db, "T", None, jet.JET_bitTableReadOnly)
    with expect(jet.JET_errPermissionDenied):
        jet.JetPrepareUpdate(s, ro, jet.JET_prepInsert)
    assert not jet.JetGetTableInfo(s, ro, jet.JET_TblInfo).grbit & jet.JET_bitTableInfoUpdatable
    assert not jet.JetGetTableColumnInfo(s, ro, "a").grbit & jet.JET_bitColumnUpdatable


def test_delete_table(s, db):
    t = jet.JetCreateTable(s, db, "T")
    c = jet.JetAddColumn(s, t, "a", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    jet.JetCreateIndex(s, t, "ia", 0, "+a\0\0")
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, c, b"x" * 10000)
    jet.JetUpdate(s, t)
    with expect(jet.JET_errTableInUse):  # an open cursor (ESE: JET_errTableInUse)
        jet.JetDeleteTable(s, db, "T")
    jet.JetCloseTable(s, t)
    with expect(jet.JET_errObjectNotFound):
        jet.JetDeleteTable(s, db, "nope")
    jet.JetDeleteTable(s, db, "t")
    with expect(jet.JET_errObjectNotFound):
        jet.JetOpenTable(s, db, "T")
    t = jet.JetCreateTable(s, db, "T")  # the name is free; the new table is empty
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(s, t, jet.JET_MoveFirst)


def test_delete_table_rolled_back(s, db):
    t = jet.JetCreateTable(s, db, "T")
    c = jet.JetAddColumn(s, t, "a", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, c, b"\7\0\0\0")
    jet.JetUpdate(s, t)
    jet.JetCloseTable(s, t)
    jet.JetBeginTransaction(s)
    jet.JetDeleteTable(s, db, "T")
    jet.JetRollback(s, 0)
    t = jet.JetOpenTable(s, db, "T")
    jet.JetMove(s, t, jet.JET_MoveFirst)
    assert jet.JetRetrieveColumn(s, t, c) == b"\7\0\0\0"


def test_rename_table(s, db):
    t = jet.JetCreateTable(s, db, "Old")
    jet.JetCreateTable(s, db, "Other")
    jet.JetRenameTable(s, db, "Old", "New")
    assert jet.JetGetTableInfo(s, t, jet.JET_TblInfoName) == "New"
    with expect(jet.JET_errObjectNotFound):
        jet.JetOpenTable(s, db, "Old")
    with expect(jet.JET_errTableDuplicate):
        jet.JetRenameTable(s, db, "New", "other")
    with expect(jet.JET_errInvalidName):
        jet.JetRenameTable(s, db, "New", "a]b")
    with expect(jet.JET_errObjectNotFound):
        jet.JetRenameTable(s, db, "Gone", "X")


def test_dup_cursor(s, db):
    t = jet.JetCreateTable(s, db, "T")
    c = jet.JetAddColumn(s, t, "a", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+a\0\0")
    jet.JetCreateIndex(s, t, "desc", 0, "-a\0\0")
    for i in (1, 2, 3):
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, c, struct.pack("<i", i))
        jet.JetUpdate(s, t)
    jet.JetSetCurrentIndex(s, t, "desc")
    jet.JetMove(s, t, jet.JET_MoveFirst)
    d = jet.JetDupCursor(s, t)
    # ESE: the duplicate is on the primary index, before the first record.
    jet.JetMove(s, d, jet.JET_MoveFirst)
    assert jet.JetRetrieveColumn(s, d, c) == struct.pack("<i", 1)
    assert jet.JetRetrieveColumn(s, t, c) == struct.pack("<i", 3)
    jet.JetCloseTable(s, d)
    assert jet.JetRetrieveColumn(s, t, c) == struct.pack("<i", 3)
