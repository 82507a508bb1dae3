"""Database size and space: JetGrowDatabase, JetSetDatabaseSize, JetResizeDatabase,
JetGetDatabaseInfo(JET_DbInfoSpaceOwned / JET_DbInfoSpaceAvailable)."""

from __future__ import annotations

import os
import struct

import pyese.jet as jet

from .helpers import expect


def _db(inst):
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "sz.edb")
    return s, db


def test_grow_database_preallocates(inst):
    s, db = _db(inst)
    page = jet.JetGetDatabaseInfo(s, db, jet.JET_DbInfoPageSize)
    assert jet.JetGrowDatabase(s, db, 256) >= 256
    assert os.path.getsize("sz.edb") >= 256 * page
    assert jet.JetGetDatabaseInfo(s, db, jet.JET_DbInfoSpaceOwned) >= 256
    assert jet.JetGrowDatabase(s, db, 1) >= 256  # never shrinks
    # the database still works after the file was extended
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    c = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, c, struct.pack("<i", 5), 0)
    jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    assert jet.JetRetrieveColumn(s, t, c, 0) == struct.pack("<i", 5)


def test_set_database_size_on_a_detached_file(inst):
    s, db = _db(inst)
    jet.JetCloseDatabase(s, db, 0)
    jet.JetDetachDatabase(s, "sz.edb")
    assert jet.JetSetDatabaseSize(s, "sz.edb", 512) >= 512
    jet.JetAttachDatabase(s, "sz.edb", 0)
    db = jet.JetOpenDatabase(s, "sz.edb")
    assert jet.JetGetDatabaseInfo(s, db, jet.JET_DbInfoSpaceOwned) >= 512
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetDatabaseSize(s, "", 1)
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetDatabaseSize(s, "sz.edb", -1)


def test_resize_database(inst):
    s, db = _db(inst)
    grown = jet.JetResizeDatabase(s, db, 300, jet.JET_bitResizeDatabaseOnlyGrow)
    assert grown >= 300
    # no shrink in place: the size stays (JetCompact makes a small copy)
    assert jet.JetResizeDatabase(s, db, 10, jet.JET_bitResizeDatabaseOnlyShrink) == grown
    with expect(jet.JET_errInvalidGrbit):
        jet.JetResizeDatabase(s, db, 10, jet.JET_bitResizeDatabaseOnlyGrow
                              | jet.JET_bitResizeDatabaseOnlyShrink)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetResizeDatabase(s, db, 10, 0x10)
    with expect(jet.JET_errInvalidDatabaseId):
        jet.JetResizeDatabase(s, 999, 10, 0)
    with expect(jet.JET_errInvalidDatabaseId):
        jet.JetGrowDatabase(s, 999, 10)


def test_space_available_counts_pages_freed_by_deletes(inst):
    s, db = _db(inst)
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    c = jet.JetAddColumn(s, t, "b", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    jet.JetCommitTransaction(s, 0)
    for _ in range(4):
        jet.JetBeginTransaction(s)
        for _i in range(50):
            jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
            jet.JetSetColumn(s, t, c, b"z" * 4000, 0)
            jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush)
    jet.JetIdle(s, jet.JET_bitIdleWaitForAsyncActivity)
    before = jet.JetGetDatabaseInfo(s, db, jet.JET_DbInfoSpaceAvailable)
    jet.JetBeginTransaction(s)
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    while True:
        jet.JetDelete(s, t)
        try:
            jet.JetMove(s, t, jet.JET_MoveNext, 0)
        except jet.JetError:
            break
    jet.JetCommitTransaction(s, 0)
    jet.JetIdle(s, jet.JET_bitIdleWaitForAsyncActivity)
    after = jet.JetGetDatabaseInfo(s, db, jet.JET_DbInfoSpaceAvailable)
    owned = jet.JetGetDatabaseInfo(s, db, jet.JET_DbInfoSpaceOwned)
    assert after > before
    assert after <= owned


def test_table_space_levels(inst):
    s, db = _db(inst)
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    c = jet.JetAddColumn(s, t, "b", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    jet.JetCommitTransaction(s, 0)
    empty = jet.JetGetTableInfo(s, t, jet.JET_TblInfoSpaceOwned)
    jet.JetBeginTransaction(s)
    for _ in range(40):
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, c, b"q" * 3000, 0)
        jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    owned = jet.JetGetTableInfo(s, t, jet.JET_TblInfoSpaceOwned)
    lv = jet.JetGetTableInfo(s, t, jet.JET_TblInfoSpaceOwnedLV)
    page = jet.JetGetDatabaseInfo(s, db, jet.JET_DbInfoPageSize)
    assert owned >= empty
    assert lv * page >= 40 * 3000  # the long values live in the long-value tree
    assert jet.JetGetTableInfo(s, t, jet.JET_TblInfoSpaceAvailable) == 0
    assert jet.JetGetTableInfo(s, t, jet.JET_TblInfoSpaceUsage) == (owned, 0)
