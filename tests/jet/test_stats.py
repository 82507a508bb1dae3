"""Statistics and information: JetGetVersion, JetGetThreadStats, JetGetInstanceMiscInfo,
JetGetCursorInfo, JetGetErrorInfo, JetIndexRecordCount2, JetComputeStats, JetFreeBuffer."""

from __future__ import annotations

import struct
import threading

import pytest

import pyese.jet as jet

from .helpers import WAIT, expect


@pytest.fixture
def s(inst):
    return jet.JetBeginSession(inst)


@pytest.fixture
def db(s):
    return jet.JetCreateDatabase(s, "t.edb")


@pytest.fixture
def t(s, db):
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    k = jet.JetAddColumn(s, t, "k", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    g = jet.JetAddColumn(s, t, "g", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+k\0\0")
    jet.JetCreateIndex(s, t, "byG", 0, "+g\0\0")
    jet.JetCommitTransaction(s, 0)
    jet.JetCloseTable(s, t)  # JetCreateTable's cursor is exclusive
    t = jet.JetOpenTable(s, db, "T")
    t.cols = (k, g)  # type: ignore[attr-defined]
    return t


def _insert(s, t, k, g):
    kc, gc = t.cols
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, kc, struct.pack("<i", k), 0)
    jet.JetSetColumn(s, t, gc, struct.pack("<i", g), 0)
    jet.JetUpdate(s, t)


# -- JetGetVersion -----------------------------------------------------------------------


def test_get_version_packs_major_minor_build(s):
    # ESE jetapi.cxx JetGetVersion: major << 28 | minor << 24 | build << 8 | build minor;
    # ManagedEsent's EsentVersion decodes BuildNumber = (v & 0xFFFFFF) >> 8 and enables the
    # Windows 10 features from there (ME:EsentVersionTests.VerifyBuildNumberIsNotZero).
    v = jet.JetGetVersion(s)
    assert v >> 28 == 10
    assert (v & 0xFFFFFF) >> 8 == 10240
    assert 0 < v < 1 << 32


def test_get_version_checks_the_session(inst):
    with expect(jet.JET_errInvalidSesid):
        jet.JetGetVersion(123456)


# -- JetGetThreadStats -------------------------------------------------------------------


def test_thread_stats_count_this_threads_work(s, t):
    # ME:JetGetThreadStatsTests.JetGetThreadStats: after an insert and commit the thread's
    # cPageReferenced, cLogRecord and cbLogRecord are not 0.
    before = jet.JetGetThreadStats()
    assert isinstance(before, jet.JET_THREADSTATS)
    jet.JetBeginTransaction(s)
    _insert(s, t, 1, 10)
    jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush)
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    after = jet.JetGetThreadStats()
    assert after.cPageReferenced > before.cPageReferenced
    assert after.cLogRecord == before.cLogRecord + 1
    assert after.cbLogRecord > before.cbLogRecord
    # the record's primary node and its secondary index entry
    assert after.cPageDirtied >= before.cPageDirtied + 2


def test_thread_stats_are_per_thread(s, t):
    seen = {}

    def other():
        seen["stats"] = jet.JetGetThreadStats()

    jet.JetBeginTransaction(s)
    for i in range(5):
        _insert(s, t, i, i)
    jet.JetCommitTransaction(s, 0)
    mine = jet.JetGetThreadStats()
    th = threading.Thread(target=other)
    th.start()
    th.join(WAIT)
    assert mine.cLogRecord >= 1
    assert seen["stats"].cLogRecord == 0
    assert seen["stats"].cPageReferenced == 0


# -- JetGetInstanceMiscInfo --------------------------------------------------------------


def test_instance_misc_info_log_signature_matches_database_header(inst, s, db):
    sig = jet.JetGetInstanceMiscInfo(inst, jet.JET_InstanceMiscInfoLogSignature)
    assert isinstance(sig, jet.JET_SIGNATURE)
    misc = jet.JetGetDatabaseInfo(s, db, jet.JET_DbInfoMisc)
    assert sig.ulRandom == misc.signLog.ulRandom != 0


def test_instance_misc_info_checkpoint(inst, s):
    ck = jet.JetGetInstanceMiscInfo(inst, jet.JET_InstanceMiscInfoCheckpoint)
    assert isinstance(ck, jet.JET_CHECKPOINTINFO)
    assert 1 <= ck.genMin <= ck.genMax


def test_instance_misc_info_errors(inst):
    with expect(jet.JET_errInvalidParameter):
        jet.JetGetInstanceMiscInfo(inst, jet.JET_InstanceMiscInfoRBS)
    with expect(jet.JET_errInvalidParameter):
        jet.JetGetInstanceMiscInfo(inst, 99)
    fresh = jet.JetCreateInstance("notinit")
    with expect(jet.JET_errNotInitialized):  # jetapi.cxx APICALL_INST::FEnter
        jet.JetGetInstanceMiscInfo(fresh, jet.JET_InstanceMiscInfoLogSignature)


def test_instance_misc_info_without_logging_is_zero():
    i = jet.JetCreateInstance("nolog")
    jet.JetSetSystemParameter(i, 0, jet.JET_paramRecovery, 0, "off")
    jet.JetInit(i)
    sig = jet.JetGetInstanceMiscInfo(i, jet.JET_InstanceMiscInfoLogSignature)
    assert sig == jet.JET_SIGNATURE()
    jet.JetTerm(i)


# -- JetGetCursorInfo --------------------------------------------------------------------


def test_cursor_info_checks_in_ese_order(s, t):
    # ESE info.cxx ErrIsamGetCursorInfo: InfoLevel != 0 first, then currency.
    with expect(jet.JET_errInvalidTableId):
        jet.JetGetCursorInfo(s, 999999)
    with expect(jet.JET_errInvalidParameter):
        jet.JetGetCursorInfo(s, t, 1)
    with expect(jet.JET_errNoCurrentRecord):  # empty table, deferred move-first
        jet.JetGetCursorInfo(s, t)
    jet.JetBeginTransaction(s)
    _insert(s, t, 1, 1)
    jet.JetCommitTransaction(s, 0)
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    assert jet.JetGetCursorInfo(s, t) is None


def test_cursor_info_write_conflict_with_another_sessions_change(inst, s, db, t):
    # ME:BasicTableTests.TestJetGetCursorInfoWithWriteConflict; ESE info.cxx
    # ErrIsamGetCursorInfo (VsVERCheck == vsUncommittedByOther -> JET_errWriteConflict).
    jet.JetBeginTransaction(s)
    _insert(s, t, 1, 1)
    jet.JetCommitTransaction(s, 0)
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    s2 = jet.JetBeginSession(inst)
    d2 = jet.JetOpenDatabase(s2, "t.edb")
    t2 = jet.JetOpenTable(s2, d2, "T")
    jet.JetBeginTransaction(s2)
    jet.JetMove(s2, t2, jet.JET_MoveFirst, 0)
    jet.JetPrepareUpdate(s2, t2, jet.JET_prepReplace)
    jet.JetSetColumn(s2, t2, t.cols[1], struct.pack("<i", 7), 0)
    jet.JetUpdate(s2, t2)
    with expect(jet.JET_errWriteConflict):
        jet.JetGetCursorInfo(s, t)
    jet.JetGetCursorInfo(s2, t2)  # its own change is no conflict
    jet.JetRollback(s2, 0)
    jet.JetGetCursorInfo(s, t)


# -- JetGetErrorInfo ---------------------------------------------------------------------


def test_error_info_categories():
    info = jet.JetGetErrorInfo(jet.JET_errInvalidParameter)
    assert info.errValue == jet.JET_errInvalidParameter
    assert info.errcatMostSpecific == jet.JET_errcatUsage
    assert info.rgCategoricalHierarchy[:4] == [
        jet.JET_errcatError, jet.JET_errcatApi, jet.JET_errcatUsage, 0]
    disk = jet.JetGetErrorInfo(jet.JET_errDiskFull)
    assert disk.rgCategoricalHierarchy[:4] == [
        jet.JET_errcatError, jet.JET_errcatOperation, jet.JET_errcatResource,
        jet.JET_errcatDisk]
    assert jet.JetGetErrorInfo(jet.JET_errWriteConflict).errcatMostSpecific in (
        jet.JET_errcatState, jet.JET_errcatUsage, jet.JET_errcatApi)
    assert len(jet.JetGetErrorInfo(jet.JET_wrnNoIdleActivity).rgCategoricalHierarchy) == 8


def test_error_info_errors():
    with expect(jet.JET_errInvalidGrbit):
        jet.JetGetErrorInfo(jet.JET_errInvalidParameter, jet.JET_ErrorInfoSpecificErr, 1)
    with expect(jet.JET_errInvalidParameter):
        jet.JetGetErrorInfo(jet.JET_errInvalidParameter, 2)
    with expect(jet.JET_errInvalidParameter):  # ESE ErrERRLookupErrorCategory
        jet.JetGetErrorInfo(-987654)


# -- JetIndexRecordCount2 ----------------------------------------------------------------


def test_index_record_count2(s, t):
    jet.JetBeginTransaction(s)
    for i in range(7):
        _insert(s, t, i, i % 3)
    jet.JetCommitTransaction(s, 0)
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    assert jet.JetIndexRecordCount2(s, t, 0) == 7
    assert jet.JetIndexRecordCount2(s, t, 3) == 3
    assert jet.JetIndexRecordCount2(s, t, 1 << 40) == 7
    with expect(jet.JET_errInvalidParameter):
        jet.JetIndexRecordCount2(s, t, -1)
    jet.JetMove(s, t, jet.JET_MoveLast, 0)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(s, t, jet.JET_MoveNext, 0)
    with expect(jet.JET_errNoCurrentRecord):  # ESE dir.cxx ErrDIRIndexRecordCount
        jet.JetIndexRecordCount2(s, t, 0)


# -- JetComputeStats ---------------------------------------------------------------------


def test_compute_stats_fills_table_and_index_statistics(s, db, t):
    jet.JetBeginTransaction(s)
    for i in range(30):
        _insert(s, t, i, i % 4)
    jet.JetCommitTransaction(s, 0)
    # before: ESE's catalog statistics are only written by JetComputeStats
    assert jet.JetGetTableInfo(s, t, jet.JET_TblInfo).cRecord == 0
    jet.JetComputeStats(s, t)
    info = jet.JetGetTableInfo(s, t, jet.JET_TblInfo)
    assert info.cRecord == 30 and info.cPage >= 1
    obj = jet.JetGetObjectInfo(s, db, jet.JET_objtypTable, None, "T", jet.JET_ObjInfo)
    assert (obj.cRecord, obj.cPage) == (30, info.cPage)
    nostats = jet.JetGetObjectInfo(s, db, jet.JET_objtypTable, None, "T",
                                   jet.JET_ObjInfoNoStats)
    assert (nostats.cRecord, nostats.cPage) == (0, 0)
    rows = {r.indexname: r for r in jet.JetGetTableIndexInfo(s, t, None, jet.JET_IdxInfoList)}
    assert (rows["byG"].cEntry, rows["byG"].cKey) == (30, 4)
    assert (rows["pk"].cEntry, rows["pk"].cKey) == (30, 30)
    listed = jet.JetGetObjectInfo(s, db, jet.JET_objtypTable, None, None, jet.JET_ObjInfoList)
    assert [(r.objectname, r.cRecord) for r in listed] == [("T", 30)]


def test_compute_stats_is_durable_and_counts_what_the_session_sees(inst, s, db, t):
    jet.JetBeginTransaction(s)
    for i in range(10):
        _insert(s, t, i, 0)
    jet.JetCommitTransaction(s, 0)
    jet.JetBeginTransaction(s)
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    jet.JetDelete(s, t)
    jet.JetComputeStats(s, t)  # inside the transaction: sees its own delete
    assert jet.JetGetTableInfo(s, t, jet.JET_TblInfo).cRecord == 9
    jet.JetRollback(s, 0)  # the statistics roll back with it, as any DDL
    assert jet.JetGetTableInfo(s, t, jet.JET_TblInfo).cRecord == 0
    jet.JetComputeStats(s, t)
    jet.JetCloseTable(s, t)
    jet.JetEndSession(s, 0)
    jet.JetTerm(inst)
    i2 = jet.JetCreateInstance("again")
    jet.JetInit(i2)
    s2 = jet.JetBeginSession(i2)
    jet.JetAttachDatabase(s2, "t.edb")
    d2 = jet.JetOpenDatabase(s2, "t.edb")
    t2 = jet.JetOpenTable(s2, d2, "T")
    assert jet.JetGetTableInfo(s2, t2, jet.JET_TblInfo).cRecord == 10


def test_compute_stats_errors(s, db, t):
    with expect(jet.JET_errInvalidTableId):
        jet.JetComputeStats(s, 424242)
    jet.JetBeginTransaction2(s, jet.JET_bitTransactionReadOnly)
    with expect(jet.JET_errTransReadOnly):  # ESE pib.hxx ErrPIBCheckUpdatable
        jet.JetComputeStats(s, t)
    jet.JetRollback(s, 0)


def test_free_buffer_accepts_what_list_functions_return():
    assert jet.JetFreeBuffer(jet.JetGetInstanceInfo()) is None
    assert jet.JetFreeBuffer(None) is None
