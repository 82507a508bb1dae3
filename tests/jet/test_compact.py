"""JetCompact: a consistent copy into a new file, with the status callback
(ME:CompactDatabaseTests, DatabaseFileTestHelper.CompactDatabase)."""

from __future__ import annotations

import os
import struct

import pytest

import pyese.jet as jet

from .helpers import expect


def _make(s, path, n, blob=b""):
    db = jet.JetCreateDatabase(s, path)
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    k = jet.JetAddColumn(s, t, "k", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnAutoincrement))
    g = jet.JetAddColumn(s, t, "g", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    b = jet.JetAddColumn(s, t, "b", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+k\0\0")
    jet.JetCreateIndex(s, t, "byG", 0, "+g\0\0")
    jet.JetCommitTransaction(s, 0)
    for start in range(0, n, 100):
        jet.JetBeginTransaction(s)
        for i in range(start, min(n, start + 100)):
            jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
            jet.JetSetColumn(s, t, g, struct.pack("<i", i % 7), 0)
            jet.JetSetColumn(s, t, b, blob or bytes([i % 256]) * (i % 50), 0)
            jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush)
    jet.JetCloseTable(s, t)
    return db, (k, g, b)


def _rows(s, db, cols, index=None):
    t = jet.JetOpenTable(s, db, "T")
    if index:
        jet.JetSetCurrentIndex(s, t, index)
    rows = []
    try:
        jet.JetMove(s, t, jet.JET_MoveFirst, 0)
        while True:
            rows.append(tuple(jet.JetRetrieveColumn(s, t, c, 0) for c in cols))
            jet.JetMove(s, t, jet.JET_MoveNext, 0)
    except jet.JetError:
        pass
    jet.JetCloseTable(s, t)
    return rows


def test_compact_copies_everything_and_calls_the_status_callback(inst):
    s = jet.JetBeginSession(inst)
    db, cols = _make(s, "src.edb", 300)
    before = _rows(s, db, cols)
    by_g = _rows(s, db, cols, "byG")
    jet.JetCloseDatabase(s, db, 0)
    calls = []

    def status(sesid, snp, snt, pv):
        calls.append((snp, snt, pv))
        return 0

    jet.JetCompact(s, "src.edb", "dst.edb", status, None, 0)
    assert calls[0][:2] == (jet.JET_snpCompact, jet.JET_sntBegin)
    assert calls[-1][:2] == (jet.JET_snpCompact, jet.JET_sntComplete)
    progress = [pv for _snp, snt, pv in calls if snt == jet.JET_sntProgress]
    assert progress and progress[-1].cunitDone == progress[-1].cunitTotal
    jet.JetAttachDatabase(s, "dst.edb", 0)
    d2 = jet.JetOpenDatabase(s, "dst.edb")
    assert _rows(s, d2, cols) == before  # records, autoincrement values, long values
    assert _rows(s, d2, cols, "byG") == by_g  # the secondary index came along
    # the copy is an ordinary, writable database
    t = jet.JetOpenTable(s, d2, "T")
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetUpdate(s, t)
    assert len(_rows(s, d2, cols)) == 301


def test_compacted_copy_of_a_mostly_deleted_database_is_small(inst):
    s = jet.JetBeginSession(inst)
    db, cols = _make(s, "big.edb", 1000, blob=b"x" * 3000)
    t = jet.JetOpenTable(s, db, "T")
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    n = 0
    jet.JetBeginTransaction(s)
    while True:
        if n % 10:  # delete 90% of the rows
            jet.JetDelete(s, t)
        n += 1
        if n % 100 == 0:
            jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush)
            jet.JetBeginTransaction(s)
        try:
            jet.JetMove(s, t, jet.JET_MoveNext, 0)
        except jet.JetError:
            break
    jet.JetCommitTransaction(s, 0)
    jet.JetCloseTable(s, t)
    jet.JetIdle(s, jet.JET_bitIdleWaitForAsyncActivity)
    jet.JetCloseDatabase(s, db, 0)
    jet.JetCompact(s, "big.edb", "small.edb")
    original, copy = os.path.getsize("big.edb"), os.path.getsize("small.edb")
    assert copy <= 0.15 * original, (copy, original)
    jet.JetAttachDatabase(s, "small.edb", 0)
    d2 = jet.JetOpenDatabase(s, "small.edb")
    assert len(_rows(s, d2, cols[:1])) == 100


def test_status_callback_can_stop_the_compaction(inst):
    s = jet.JetBeginSession(inst)
    db, _cols = _make(s, "src.edb", 10)
    jet.JetCloseDatabase(s, db, 0)

    def stop(sesid, snp, snt, pv):
        return jet.JET_errOutOfMemory if snt == jet.JET_sntProgress else 0

    with expect(jet.JET_errOutOfMemory):
        jet.JetCompact(s, "src.edb", "dst.edb", stop)
    assert not os.path.exists("dst.edb")

    def boom(sesid, snp, snt, pv):
        raise KeyError("stop")

    with pytest.raises(jet.JetError) as info:
        jet.JetCompact(s, "src.edb", "dst.edb", boom)
    assert info.value.err == jet.JET_errCallbackFailed
    assert isinstance(info.value.__cause__, KeyError)
    assert not os.path.exists("dst.edb")


def test_compact_errors(inst):
    s = jet.JetBeginSession(inst)
    db, _cols = _make(s, "src.edb", 1)
    with expect(jet.JET_errInvalidParameter):  # ME: source null
        jet.JetCompact(s, None, "dst.edb")
    with expect(jet.JET_errInvalidParameter):  # ME: destination null
        jet.JetCompact(s, "src.edb", None)
    with expect(jet.JET_errInvalidParameter):  # ME: a JET_CONVERT
        jet.JetCompact(s, "src.edb", "dst.edb", None, object())
    with expect(jet.JET_errInvalidGrbit):
        jet.JetCompact(s, "src.edb", "dst.edb", None, None, 0x1)
    with expect(jet.JET_errDatabaseNotFound):
        jet.JetCompact(s, "nowhere.edb", "dst.edb")
    with expect(jet.JET_errDatabaseDuplicate):
        jet.JetCompact(s, "src.edb", "src.edb")
    open("taken.edb", "wb").close()
    with expect(jet.JET_errDatabaseDuplicate):
        jet.JetCompact(s, "src.edb", "taken.edb")
    jet.JetBeginTransaction(s)
    with expect(jet.JET_errInTransaction):
        jet.JetCompact(s, "src.edb", "dst.edb")
    jet.JetRollback(s, 0)
    with expect(jet.JET_errInvalidSesid):
        jet.JetCompact(12345, "src.edb", "dst.edb")
