"""System parameters as ESE keeps them (ESE sysparamtable.g.cxx, generated from
sysparam.xml): defaults, computed and read-only parameters, strings, folders, retired ids,
and the parameters pyese honours."""

from __future__ import annotations

import os
import struct

import pytest

import pyese.jet as jet
from pyese.engine.instance.instance import SYSTEM
from pyese.engine.instance.logservice import storage_of
from pyese.engine.instance.params import HONOURED

from .helpers import expect

# ESE's defaults, straight from sysparamtable.g.cxx (the last value of each row).
ESE_DEFAULTS = [
    (jet.JET_paramMaxSessions, 16),
    (jet.JET_paramMaxOpenTables, 300),
    (jet.JET_paramMaxCursors, 1024),
    (jet.JET_paramMaxVerPages, 64),
    (jet.JET_paramPreferredVerPages, 58),
    (jet.JET_paramMaxTemporaryTables, 20),
    (jet.JET_paramLogFileSize, 5120),
    (jet.JET_paramLogBuffers, 126),
    (jet.JET_paramLogCheckpointPeriod, 1024),
    (jet.JET_paramDbExtensionSize, 256),
    (jet.JET_paramPageFragment, 8),
    (jet.JET_paramCacheSizeMax, 2000000000),
    (jet.JET_paramCacheSizeMin, 1),
    (jet.JET_paramCheckpointDepthMax, 20 * 1024 * 1024),
    (jet.JET_paramLRUKHistoryMax, 100000),
    (jet.JET_paramOutstandingIOMax, 1024),
    (jet.JET_paramEnableOnlineDefrag, jet.JET_OnlineDefragAll),
    (jet.JET_paramAssertAction, jet.JET_AssertFailFast),
    (jet.JET_paramEnableIndexChecking, 1),  # the issue: pyese said 0
    (jet.JET_paramEnableTempTableVersioning, 1),
    (jet.JET_paramEventLoggingLevel, jet.JET_EventLoggingLevelMax),
    (jet.JET_paramAccessDeniedRetryPeriod, 10000),
    (jet.JET_paramEnableIndexCleanup, 1),
    (jet.JET_paramLogFileCreateAsynch, 1),
    (jet.JET_paramGlobalMinVerPages, 64),
    (jet.JET_paramOSSnapshotTimeout, 70000),
    (jet.JET_paramExceptionAction, jet.JET_ExceptionFailFast),
    (jet.JET_paramPageHintCacheSize, 262144),
    (jet.JET_paramMaxInstances, 16),
    (jet.JET_paramVersionStoreTaskQueueMax, 4),
    (jet.JET_paramIndexTuplesLengthMin, 3),
    (jet.JET_paramIndexTuplesLengthMax, 10),
    (jet.JET_paramIndexTuplesToIndexMax, 32767),
    (jet.JET_paramCachedClosedTables, 64),
    (jet.JET_paramVerPageSize, 8192),
    (jet.JET_paramConfiguration, jet.JET_configDefault),
    (jet.JET_paramEnableAdvanced, 1),
    (jet.JET_paramIndexTupleIncrement, 1),
    (jet.JET_paramDefragmentSequentialBTrees, 1),
    (jet.JET_paramDefragmentSequentialBTreesDensityCheckFrequency, 10),
    (jet.JET_paramIOThrottlingTimeQuanta, 100),
    (jet.JET_paramDbScanThrottle, 20),
    (jet.JET_paramDbScanIntervalMinSec, 86400),
    (jet.JET_paramDbScanIntervalMaxSec, 604800),
    (jet.JET_paramPatchRequestTimeout, 300),
    (jet.JET_paramCachePriority, 100),
    (jet.JET_paramMaxTransactionSize, 100),
    (jet.JET_paramPrereadIOMax, 8),
    (jet.JET_paramHungIOThreshold, 30000),
    (jet.JET_paramHungIOActions, jet.JET_bitHungIOEvent),
    (jet.JET_paramMinDataForXpress, 1024),
    (jet.JET_paramEnableSqm, jet.JET_sqmEnable),
    (jet.JET_paramEngineFormatVersion, jet.JET_efvUseEngineDefault),
    (jet.JET_paramUseFlushForWriteDurability, 1),
    (jet.JET_paramDatabasePageSize, 8192),
    (jet.JET_paramPageReadAheadMax, 0xFFFFFFFFFFFFFFFF),  # ESE's -1 as a JET_API_PTR
]

# ESE takes these from build constants, not from numbers in the table: jetapi.cxx's copy of
# the rows reads "NORMAL_PARAM( JET_paramMaxCoalesceReadSize, ..., cbReadSizeMax )" (the
# gap sizes the same, the write ones cbWriteSizeMax), and ESE's headers define
# "cbReadSizeMax = 512 * 1024", "cbWriteSizeMax = 512 * 1024" in every build flavour.
# (Microsoft's Windows 7 reference says 262144, an older engine's value.)
BUILD_CONSTANT_DEFAULTS = [
    (jet.JET_paramMaxCoalesceReadSize, 512 * 1024),
    (jet.JET_paramMaxCoalesceWriteSize, 512 * 1024),
    (jet.JET_paramMaxCoalesceReadGapSize, 512 * 1024),
    (jet.JET_paramMaxCoalesceWriteGapSize, 512 * 1024),
]

ESE_STRING_DEFAULTS = [
    (jet.JET_paramSystemPath, ".\\"),
    (jet.JET_paramLogFilePath, ".\\"),
    (jet.JET_paramTempPath, "tmp.edb"),
    (jet.JET_paramBaseName, "edb"),
    (jet.JET_paramRecovery, "on"),
    (jet.JET_paramEventSource, ""),
    (jet.JET_paramTableClass1Name, "TableClass1"),
    (jet.JET_paramTableClass31Name, "TableClass31"),
    (jet.JET_paramRBSFilePath, ".\\"),
]


@pytest.mark.parametrize("paramid,expected", ESE_DEFAULTS)
def test_integer_parameters_read_back_ese_defaults(paramid, expected):
    inst = jet.JetCreateInstance("defaults")
    assert jet.JetGetSystemParameter(inst, None, paramid) == (expected, None)
    assert jet.JetGetSystemParameter(None, None, paramid) == (expected, None)


@pytest.mark.parametrize("paramid,expected", BUILD_CONSTANT_DEFAULTS)
def test_build_constant_defaults_read_back(paramid, expected):
    assert jet.JetGetSystemParameter(None, None, paramid) == (expected, None)
    inst = jet.JetCreateInstance("defaults")
    assert jet.JetGetSystemParameter(inst, None, paramid) == (expected, None)


@pytest.mark.parametrize("paramid,expected", ESE_STRING_DEFAULTS)
def test_string_parameters_read_back_ese_defaults(paramid, expected):
    inst = jet.JetCreateInstance("defaults")
    assert jet.JetGetSystemParameter(inst, None, paramid) == (0, expected)


@pytest.mark.parametrize("page_size,key_most,chunk", [
    (2048, 500, 1966), (4096, 1000, 4014), (8192, 2000, 8110), (16384, 2000, 4050),
    (32768, 2000, 8150)])
def test_computed_parameters_follow_the_page_size(page_size, key_most, chunk):
    # ESE: JET_paramKeyMost (GetKeyMostMost) and JET_paramLVChunkSizeMost, values from
    # Microsoft's "Informational Parameters" reference.
    jet.JetSetSystemParameter(None, None, jet.JET_paramDatabasePageSize, page_size)
    inst = jet.JetCreateInstance("computed")
    assert jet.JetGetSystemParameter(inst, None, jet.JET_paramKeyMost) == (key_most, None)
    assert jet.JetGetSystemParameter(inst, None, jet.JET_paramLVChunkSizeMost) == (chunk, None)
    most, _ = jet.JetGetSystemParameter(inst, None, jet.JET_paramRecordSizeMost)
    assert 0 < most < page_size


def test_max_coltyp_transaction_level_and_error_to_string(inst):
    assert jet.JetGetSystemParameter(inst, None, jet.JET_paramMaxColtyp) == (
        jet.JET_coltypMax, None)
    s = jet.JetBeginSession(inst)
    jet.JetBeginTransaction(s)
    jet.JetBeginTransaction(s)
    assert jet.JetGetSystemParameter(inst, s, jet.JET_paramTransactionLevel) == (2, None)
    jet.JetRollback(s, jet.JET_bitRollbackAll)
    err, text = jet.JetGetSystemParameter(inst, None, jet.JET_paramErrorToString,
                                          jet.JET_errWriteConflict)
    assert err == jet.JET_errWriteConflict
    assert text.startswith("JET_errWriteConflict, ")


@pytest.mark.parametrize("paramid", [
    jet.JET_paramKeyMost, jet.JET_paramLVChunkSizeMost, jet.JET_paramMaxColtyp,
    jet.JET_paramRecordSizeMost, jet.JET_paramTransactionLevel, jet.JET_paramCacheHits,
    jet.JET_paramCacheRequests, jet.JET_paramErrorToString, jet.JET_paramPrintFunction,
    jet.JET_paramRecoveryCurrentLogfile])
def test_read_only_parameters_refuse_to_be_set(paramid):
    # ESE: READONLY_PARAM and CUSTOM_PARAM(..., CJetParam::IllegalSet)
    inst = jet.JetCreateInstance("ro")
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetSystemParameter(inst, None, paramid, 1)


@pytest.mark.parametrize("paramid", [68, 75, 80, 83, 88, 114, 119, 185, 99999])
def test_retired_and_unknown_ids(paramid):
    inst = jet.JetCreateInstance("illegal")
    with expect(jet.JET_errInvalidParameter):
        jet.JetGetSystemParameter(inst, None, paramid)
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetSystemParameter(inst, None, paramid, 0)


@pytest.mark.parametrize("paramid,value", [
    (jet.JET_paramEventSource, "My source"),
    (jet.JET_paramEventSourceKey, "Key"),
    (jet.JET_paramProcessFriendlyName, "friendly"),
    (jet.JET_paramTableClass5Name, "Hot"),
    (jet.JET_paramRecovery, "off"),
    (jet.JET_paramBaseName, "abc")])
def test_string_parameters_keep_their_strings(paramid, value):
    # set before any instance: ProcessFriendlyName and the table class names may not be
    # written after global init (see test_global_init_lock_*)
    jet.JetSetSystemParameter(None, None, paramid, 0, value)
    inst = jet.JetCreateInstance("strings")
    assert jet.JetGetSystemParameter(inst, None, paramid) == (0, value)


def test_folder_parameters_read_back_as_full_paths(tmp_path):
    # ME:SetGetSystemParameterTests.SystemPathParameter / LogPathParameter /
    # TempPathParameter: a relative path comes back as Path.GetFullPath of it.
    inst = jet.JetCreateInstance("paths")
    jet.JetSetSystemParameter(inst, None, jet.JET_paramSystemPath, 0, "foo\\system\\")
    jet.JetSetSystemParameter(inst, None, jet.JET_paramLogFilePath, 0, "foo/log")
    jet.JetSetSystemParameter(inst, None, jet.JET_paramTempPath, 0, "foo\\temp\\")
    sep = os.sep
    assert jet.JetGetSystemParameter(inst, None, jet.JET_paramSystemPath)[1] == \
        os.path.abspath(os.path.join("foo", "system")) + sep
    assert jet.JetGetSystemParameter(inst, None, jet.JET_paramLogFilePath)[1] == \
        os.path.abspath(os.path.join("foo", "log")) + sep
    assert jet.JetGetSystemParameter(inst, None, jet.JET_paramTempPath)[1].startswith(
        os.path.abspath(os.path.join("foo", "temp")))


def test_values_out_of_ese_range_are_refused():
    with expect(jet.JET_errInvalidParameter):  # a block size is a power of two
        jet.JetSetSystemParameter(None, None, jet.JET_paramVerPageSize, 3000)
    inst = jet.JetCreateInstance("range")
    with expect(jet.JET_errInvalidParameter):  # ESE: 64..32768 KiB
        jet.JetSetSystemParameter(inst, None, jet.JET_paramLogFileSize, 16)
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetSystemParameter(inst, None, jet.JET_paramEnableIndexChecking, 3)
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetSystemParameter(inst, None, jet.JET_paramBaseName, 0, "toolong")


# -- the honoured list is true: each one changes what the engine does -----------------


def _insert_bytes(s, db, n, commits=1):
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    c = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    jet.JetCommitTransaction(s, 0)
    for _ in range(commits):
        jet.JetBeginTransaction(s)
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, c, b"x" * n, 0)
        jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s, 0)


def test_honoured_list():
    assert HONOURED == frozenset({
        jet.JET_paramSystemPath, jet.JET_paramLogFilePath, jet.JET_paramBaseName,
        jet.JET_paramMaxSessions, jet.JET_paramMaxVerPages, jet.JET_paramLogFileSize,
        jet.JET_paramCommitDefault, jet.JET_paramCircularLog, jet.JET_paramRecovery,
        jet.JET_paramDatabasePageSize, jet.JET_paramCreatePathIfNotExist,
        jet.JET_paramMaxInstances,
        # honoured by the temporary tables (tests/temptable/) and OS snapshots
        # (tests/backup/test_snapshot.py), pinned there
        jet.JET_paramTempPath, jet.JET_paramMaxTemporaryTables,
        jet.JET_paramEnableTempTableVersioning, jet.JET_paramOSSnapshotTimeout,
        # tests/backup/test_scrub.py
        jet.JET_paramZeroDatabaseDuringBackup})


def test_honoured_paths_base_name_and_log_size(tmp_path):
    logs, system = tmp_path / "logs", tmp_path / "sys"
    logs.mkdir()
    system.mkdir()
    inst = jet.JetCreateInstance("paths")
    jet.JetSetSystemParameter(inst, None, jet.JET_paramLogFilePath, 0, str(logs))
    jet.JetSetSystemParameter(inst, None, jet.JET_paramSystemPath, 0, str(system))
    jet.JetSetSystemParameter(inst, None, jet.JET_paramBaseName, 0, "abc")
    jet.JetSetSystemParameter(inst, None, jet.JET_paramLogFileSize, 64)
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, str(tmp_path / "d.edb"))
    _insert_bytes(s, db, 8000, commits=40)  # ~320 KiB of log: several 64 KiB files
    jet.JetEndSession(s, 0)
    jet.JetTerm(inst)
    names = sorted(os.listdir(logs))
    assert "abc.log" in names
    archived = [n for n in names if n.startswith("abc0") and n.endswith(".log")]
    assert len(archived) >= 3
    # a file rolls over once it reaches the size (one commit record may straddle it)
    assert all(os.path.getsize(logs / n) < 64 * 1024 + 16 * 1024 for n in archived)


def test_honoured_max_sessions_and_max_instances():
    jet.JetSetSystemParameter(None, None, jet.JET_paramMaxInstances, 1)
    inst = jet.JetCreateInstance("one")
    with expect(jet.JET_errTooManyInstances):
        jet.JetCreateInstance("two")
    jet.JetSetSystemParameter(inst, None, jet.JET_paramMaxSessions, 1)
    jet.JetInit(inst)
    jet.JetBeginSession(inst)
    with expect(jet.JET_errOutOfSessions):
        jet.JetBeginSession(inst)


def test_honoured_max_ver_pages():
    inst = jet.JetCreateInstance("ver")
    jet.JetSetSystemParameter(inst, None, jet.JET_paramMaxVerPages, 1)
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "v.edb")
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    c = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    with expect(jet.JET_errVersionStoreOutOfMemory):
        for i in range(10_000):
            jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
            jet.JetSetColumn(s, t, c, struct.pack("<i", i), 0)
            jet.JetUpdate(s, t)
    jet.JetRollback(s, jet.JET_bitRollbackAll)


def test_honoured_commit_default_circular_log_and_page_size():
    jet.JetSetSystemParameter(None, None, jet.JET_paramDatabasePageSize, 4096)
    inst = jet.JetCreateInstance("misc")
    jet.JetSetSystemParameter(inst, None, jet.JET_paramCommitDefault,
                              jet.JET_bitCommitLazyFlush)
    jet.JetSetSystemParameter(inst, None, jet.JET_paramCircularLog, 1)
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    assert jet.JetGetSessionParameter(s, jet.JET_sesparamCommitDefault) == \
        jet.JET_bitCommitLazyFlush
    assert storage_of(SYSTEM.find_instance(inst)).log.circular is True
    db = jet.JetCreateDatabase(s, "p.edb")
    assert jet.JetGetDatabaseInfo(s, db, jet.JET_DbInfoPageSize) == 4096


def test_honoured_recovery_off_writes_no_log(tmp_path):
    inst = jet.JetCreateInstance("nolog")
    jet.JetSetSystemParameter(inst, None, jet.JET_paramRecovery, 0, "off")
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "n.edb")
    _insert_bytes(s, db, 10)
    assert not [n for n in os.listdir(".") if n.endswith(".log")]


def test_honoured_create_path_if_not_exist(tmp_path):
    inst = jet.JetCreateInstance("nopath")
    jet.JetSetSystemParameter(inst, None, jet.JET_paramLogFilePath, 0, str(tmp_path / "a"))
    with expect(jet.JET_errInvalidPath):
        jet.JetInit(inst)
    inst2 = jet.JetCreateInstance("mkpath")
    jet.JetSetSystemParameter(inst2, None, jet.JET_paramLogFilePath, 0, str(tmp_path / "b"))
    jet.JetSetSystemParameter(inst2, None, jet.JET_paramCreatePathIfNotExist, 1)
    jet.JetInit(inst2)
    assert (tmp_path / "b").is_dir()


# -- ESE's write locks: jetapi.cxx CJetParam::ValidateSet ------------------------------
# "if ( m_fMayNotWriteAfterGlobalInit && RUNINSTGetMode() != runInstModeNoSet )
#  return JET_errAlreadyInitialized", then the same for m_fMayNotWriteAfterInstanceInit
# once the instance is up, both before the range check, and all after an early success
# when the value equals the current one.

GLOBAL_INIT_LOCKED = [
    (jet.JET_paramDatabasePageSize, 4096, None),
    (jet.JET_paramVerPageSize, 16384, None),
    (jet.JET_paramMaxCoalesceReadSize, 64 * 1024, None),
    (jet.JET_paramOutstandingIOMax, 16, None),
    (jet.JET_paramEnableFileCache, 1, None),
    (jet.JET_paramDisablePerfmon, 1, None),
    (jet.JET_paramGlobalMinVerPages, 8, None),
    (jet.JET_paramProcessFriendlyName, 0, "late"),
    (jet.JET_paramTableClass1Name, 0, "Hot"),
]


@pytest.mark.parametrize("paramid,lparam,szparam", GLOBAL_INIT_LOCKED)
def test_global_init_lock_refuses_once_an_instance_exists(paramid, lparam, szparam):
    before = jet.JetGetSystemParameter(None, None, paramid)
    inst = jet.JetCreateInstance("locked")  # sets the multi-instance run mode
    with expect(jet.JET_errAlreadyInitialized):
        jet.JetSetSystemParameter(None, None, paramid, lparam, szparam)
    with expect(jet.JET_errAlreadyInitialized):
        jet.JetSetSystemParameter(inst, None, paramid, lparam, szparam)
    assert jet.JetGetSystemParameter(None, None, paramid) == before
    assert jet.JetGetSystemParameter(inst, None, paramid) == before


@pytest.mark.parametrize("paramid,lparam,szparam", GLOBAL_INIT_LOCKED)
def test_global_init_lock_allows_setting_before_any_instance(paramid, lparam, szparam):
    jet.JetSetSystemParameter(None, None, paramid, lparam, szparam)
    inst = jet.JetCreateInstance("early")
    assert jet.JetGetSystemParameter(inst, None, paramid) == (lparam, szparam)


def test_global_init_lock_comes_before_the_range_check():
    # ValidateSet checks the lock first: an out-of-range page size after global init is
    # JET_errAlreadyInitialized, not JET_errInvalidParameter
    jet.JetCreateInstance("order")
    with expect(jet.JET_errAlreadyInitialized):
        jet.JetSetSystemParameter(None, None, jet.JET_paramDatabasePageSize, 3000)


def test_global_init_lock_accepts_the_current_value():
    # ValidateSet returns success before the locks when the value does not change
    inst = jet.JetCreateInstance("same")
    jet.JetSetSystemParameter(None, None, jet.JET_paramDatabasePageSize, 8192)
    jet.JetSetSystemParameter(inst, None, jet.JET_paramMaxCoalesceWriteSize, 512 * 1024)
    with expect(jet.JET_errAlreadyInitialized):  # a string never compares equal (a pointer)
        jet.JetSetSystemParameter(None, None, jet.JET_paramTableClass1Name, 0, "TableClass1")


def test_global_init_lock_ends_when_the_last_instance_goes():
    # RUNINSTGetMode() is back to runInstModeNoSet once no instance is left
    inst = jet.JetCreateInstance("gone")
    with expect(jet.JET_errAlreadyInitialized):
        jet.JetSetSystemParameter(None, None, jet.JET_paramVerPageSize, 16384)
    jet.JetInit(inst)
    jet.JetTerm(inst)
    jet.JetSetSystemParameter(None, None, jet.JET_paramVerPageSize, 16384)
    assert jet.JetGetSystemParameter(None, None, jet.JET_paramVerPageSize) == (16384, None)


def test_parameters_without_the_global_lock_stay_writable():
    # JET_paramDbExtensionSize (flags A) and JET_paramMaxSessions (A, instance init only)
    inst = jet.JetCreateInstance("free")
    jet.JetSetSystemParameter(None, None, jet.JET_paramDbExtensionSize, 512)
    jet.JetSetSystemParameter(inst, None, jet.JET_paramMaxSessions, 4)
    assert jet.JetGetSystemParameter(inst, None, jet.JET_paramMaxSessions) == (4, None)


def test_instance_init_lock_accepts_the_current_value_and_checks_before_range():
    inst = jet.JetCreateInstance("up")
    jet.JetSetSystemParameter(inst, None, jet.JET_paramMaxSessions, 4)
    jet.JetInit(inst)
    jet.JetSetSystemParameter(inst, None, jet.JET_paramMaxSessions, 4)  # unchanged: success
    with expect(jet.JET_errAlreadyInitialized):
        jet.JetSetSystemParameter(inst, None, jet.JET_paramMaxSessions, 5)
    with expect(jet.JET_errAlreadyInitialized):  # out of range, but the lock comes first
        jet.JetSetSystemParameter(inst, None, jet.JET_paramMaxSessions, 40000)
