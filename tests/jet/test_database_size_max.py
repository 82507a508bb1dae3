"""JetCreateDatabase2 / JetAttachDatabase2's cpgDatabaseSizeMax, and JetDetachDatabase2's
grbits.

Maximum size: JET_errOutOfDatabaseSpace, "Maximum database size reached", the error ESE's
space manager returns when the database cannot be extended (space.cxx ErrSPIExtendDB,
SPReportMaxDbSizeExceeded), so the update fails and the transaction goes on (the exact
comparison with the FMP's CpgDatabaseSizeMax was not found in the source read). pyese
checks before the write joins the version store
(engine.instance.database.Database.check_growth), since its file grows later, in the
applier.

Detach: db.cxx ErrIsamDetachDatabase checks, in order, the transaction level, a backup
under way (JET_errBackupInProgress), the attachment (JET_errDatabaseNotFound) and the open
count (JET_errDatabaseInUse); its flags only go into the detach log record (ErrLGDetachDB),
so JET_bitForceDetach / JET_bitForceCloseAndDetach close nothing.
"""

from __future__ import annotations

import os

import pyese.jet as jet

from .helpers import expect

PAGES = 64
PAGE = 8192  # JET_paramDatabasePageSize's default
LMDB_SLACK = 2 * 4096
"""What the last write may take the file past the limit: LMDB's own pages."""


def _fill(s, t, c, limit_rows: int = 10_000) -> int:
    """Insert 2000-byte rows (each its own level-0 transaction) until the database is
    full; returns how many went in."""
    n = 0
    while n < limit_rows:
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        try:
            # a long value is written when it is set, so JetSetColumn can fail too (as
            # in ESE, where the value's pages are allocated then)
            jet.JetSetColumn(s, t, c, os.urandom(2000), 0)
            jet.JetUpdate(s, t)
        except jet.JetError as exc:
            assert exc.err == jet.JET_errOutOfDatabaseSpace
            jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)
            return n
        n += 1
    raise AssertionError("the maximum size was never reached")


def _table(s, db):
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    c = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    jet.JetCommitTransaction(s, 0)
    return t, c


def test_create_database2_max_size_fails_the_update_cleanly(inst):
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase2(s, "small.edb", PAGES, 0)
    t, c = _table(s, db)
    n = _fill(s, t, c)
    assert n > 50  # well below the limit, writes go in
    jet.JetIdle(s, jet.JET_bitIdleWaitForAsyncActivity)
    assert os.path.getsize("small.edb") <= PAGES * PAGE + LMDB_SLACK
    # nothing half-written, the instance keeps going: reads, deletes, and the freed
    # space is used again
    assert jet.JetIndexRecordCount(s, t, 0) == n
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    for _ in range(n // 2):
        jet.JetDelete(s, t)
        jet.JetMove(s, t, jet.JET_MoveNext, 0)
    jet.JetIdle(s, jet.JET_bitIdleWaitForAsyncActivity)
    again = _fill(s, t, c)
    assert again >= n // 4
    jet.JetIdle(s, jet.JET_bitIdleWaitForAsyncActivity)
    assert os.path.getsize("small.edb") <= PAGES * PAGE + LMDB_SLACK
    jet.JetCloseTable(s, t)
    jet.JetEndSession(s, 0)


def test_a_transaction_over_the_limit_stays_open(inst):
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase2(s, "small.edb", PAGES, 0)
    t, c = _table(s, db)
    jet.JetBeginTransaction(s)
    rows = 0
    with expect(jet.JET_errOutOfDatabaseSpace):
        while rows < 10_000:
            jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
            jet.JetSetColumn(s, t, c, os.urandom(2000), 0)
            jet.JetUpdate(s, t)
            rows += 1
    # the failed update changed nothing; what went in before commits
    jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)
    jet.JetCommitTransaction(s, 0)
    assert jet.JetIndexRecordCount(s, t, 0) == rows
    jet.JetCloseTable(s, t)
    jet.JetEndSession(s, 0)


def test_no_maximum_means_no_limit(inst):
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase2(s, "big.edb", 0, 0)
    t, c = _table(s, db)
    jet.JetBeginTransaction(s)
    for _ in range(400):  # 800 KB, past the 64-page limit above
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, c, os.urandom(2000), 0)
        jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    jet.JetCloseTable(s, t)
    jet.JetEndSession(s, 0)


def test_attach_database2_max_size_belongs_to_the_attachment(inst):
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "a.edb")
    t, c = _table(s, db)
    jet.JetCloseTable(s, t)
    jet.JetCloseDatabase(s, db, 0)
    jet.JetDetachDatabase(s, "a.edb")
    jet.JetAttachDatabase2(s, "a.edb", PAGES, 0)
    db = jet.JetOpenDatabase(s, "a.edb")
    t = jet.JetOpenTable(s, db, "T")
    assert _fill(s, t, c) > 50
    jet.JetCloseTable(s, t)
    jet.JetCloseDatabase(s, db, 0)
    jet.JetDetachDatabase(s, "a.edb")
    # attached again without a maximum: no limit
    jet.JetAttachDatabase(s, "a.edb")
    db = jet.JetOpenDatabase(s, "a.edb")
    t = jet.JetOpenTable(s, db, "T")
    for _ in range(50):
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, c, os.urandom(2000), 0)
        jet.JetUpdate(s, t)
    jet.JetCloseTable(s, t)
    jet.JetEndSession(s, 0)


def test_negative_max_size_is_invalid(inst):
    s = jet.JetBeginSession(inst)
    with expect(jet.JET_errInvalidParameter):
        jet.JetCreateDatabase2(s, "x.edb", -1, 0)
    jet.JetEndSession(s, 0)


def test_force_detach_flags_close_nothing(inst):
    # db.cxx ErrIsamDetachDatabase: a database a session has open is in use, whatever
    # the flags; they only go into the detach log record
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "d.edb")
    for grbit in (jet.JET_bitForceDetach, jet.JET_bitForceCloseAndDetach):
        with expect(jet.JET_errDatabaseInUse):
            jet.JetDetachDatabase2(s, "d.edb", grbit)
    jet.JetCloseDatabase(s, db, 0)
    jet.JetDetachDatabase2(s, "d.edb", jet.JET_bitForceCloseAndDetach)
    with expect(jet.JET_errDatabaseNotFound):
        jet.JetDetachDatabase2(s, "d.edb", jet.JET_bitForceDetach)
    jet.JetEndSession(s, 0)


def test_detach_during_a_backup(inst):
    # db.cxx ErrIsamDetachDatabase: JET_errBackupInProgress, checked before the name
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "d.edb")
    jet.JetCloseDatabase(s, db, 0)
    jet.JetBeginExternalBackupInstance(inst, 0)
    with expect(jet.JET_errBackupInProgress):
        jet.JetDetachDatabase2(s, "d.edb", 0)
    with expect(jet.JET_errBackupInProgress):
        jet.JetDetachDatabase2(s, "nowhere.edb", 0)
    jet.JetEndExternalBackupInstance(inst)
    jet.JetDetachDatabase2(s, "d.edb", 0)
    jet.JetEndSession(s, 0)


def test_grow_database_past_the_maximum_is_refused(inst):
    # space.cxx ErrSPIGetSE (ESE98's, with SLV streaming files; the public source's copy
    # was not located), before extending the file for the database root (where
    # JetGrowDatabase's ErrSPGetExt on pgnoSystemRoot ends up): "if (
    # pfmp->CpgDatabaseSizeMax() )" and "cpgNow + cpgSEReq > pfmp->CpgDatabaseSizeMax()"
    # -> SPReportMaxDbSizeExceeded, JET_errOutOfDatabaseSpace; nothing is extended
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase2(s, "g.edb", PAGES, 0)
    before = os.path.getsize("g.edb")
    with expect(jet.JET_errOutOfDatabaseSpace):
        jet.JetGrowDatabase(s, db, PAGES + 1)
    with expect(jet.JET_errOutOfDatabaseSpace):
        jet.JetResizeDatabase(s, db, 10 * PAGES, jet.JET_bitResizeDatabaseOnlyGrow)
    assert os.path.getsize("g.edb") == before
    # up to the maximum is a grow like any other, and a size it has needs no extension
    assert jet.JetGrowDatabase(s, db, PAGES) == PAGES
    assert jet.JetGrowDatabase(s, db, 1) == PAGES
    with expect(jet.JET_errOutOfDatabaseSpace):
        jet.JetGrowDatabase(s, db, PAGES + 8)
    assert os.path.getsize("g.edb") == PAGES * PAGE
    jet.JetCloseDatabase(s, db, 0)
    jet.JetDetachDatabase(s, "g.edb")
    # the limit belongs to the attachment: without one the same grow goes through
    jet.JetAttachDatabase(s, "g.edb")
    db = jet.JetOpenDatabase(s, "g.edb")
    assert jet.JetGrowDatabase(s, db, PAGES + 8) == PAGES + 8
    jet.JetCloseDatabase(s, db, 0)
    jet.JetEndSession(s, 0)
