"""ESE's system parameter table: every ``JET_param*`` with its type, scope, range and
default, as ESE's ``sysparamtable.g.cxx`` (generated from ``sysparam.xml``) defines them.

One row per parameter: ``(name, how, kind, flags, minimum, maximum, default)``.

- ``how``: ``"normal"`` (kept and returned), ``"ignored"`` (accepted and kept, the engine
  never reads it: ESE's IGNORED_PARAM), ``"readonly"`` (ESE's READONLY_PARAM: reading
  gives the engine's value, setting fails), ``"computed"`` (ESE's CUSTOM_PARAM with
  ``CJetParam::IllegalSet``: the value comes from the engine, setting fails), ``"custom"``
  (kept, with a value check of its own).
- ``kind``: ``folder`` / ``path`` / ``string`` (szParam), ``integer``, ``boolean``,
  ``grbit``, ``blocksize``, ``pointer`` (a callable or an int), ``user`` (a structure).
- ``flags``: ``A`` advanced, ``G`` global (one value per process), ``g`` may not be
  written once any instance runs (global init), ``i`` may not be written after the
  instance's JetInit.
- ``maximum`` None means "no bound" (ESE's -1, the largest JET_API_PTR).

Defaults ESE takes from build constants are given their ESE value where ESE's source or
public documentation states it (``JET_paramMaxCoalesceReadSize`` and its three siblings from
``cbReadSizeMax`` / ``cbWriteSizeMax``, ``JET_paramCheckpointTooDeep``,
``JET_paramVerPageSize``, ...); the module docstring of ``pyese.engine.instance.params``
lists the few that are still 0 because their row was not found.
"""

from __future__ import annotations

from pyese.jethdr import constants as C

UNBOUNDED = None
INT_MAX = 0x7FFFFFFF
_NAME_MOST = C.JET_cbNameMost
_CB_READ_SIZE_MAX = 512 * 1024
"""ESE's ``cbReadSizeMax``: the largest read the engine issues."""
_CB_WRITE_SIZE_MAX = 512 * 1024
"""ESE's ``cbWriteSizeMax``: the largest write the engine issues."""

# (name, how, kind, flags, minimum, maximum, default)
ROWS: tuple[tuple[str, str, str, str, int, int | None, int | str | None], ...] = (
    ("JET_paramSystemPath", "normal", "folder", "i", 0, 246, ".\\"),
    ("JET_paramTempPath", "normal", "path", "i", 0, 247, "tmp.edb"),
    ("JET_paramLogFilePath", "normal", "folder", "i", 0, 246, ".\\"),
    ("JET_paramBaseName", "normal", "string", "i", 3, 3, "edb"),
    ("JET_paramEventSource", "normal", "string", "i", 0, 259, ""),
    ("JET_paramMaxSessions", "normal", "integer", "Ai", 0, 30000, 16),
    ("JET_paramMaxOpenTables", "normal", "integer", "Ai", 0, INT_MAX, 300),
    ("JET_paramPreferredMaxOpenTables", "ignored", "integer", "Ai", 0, INT_MAX, 0),
    ("JET_paramMaxCursors", "normal", "integer", "Ai", 0, INT_MAX, 1024),
    ("JET_paramMaxVerPages", "normal", "integer", "Ai", 1, INT_MAX, 64),
    ("JET_paramMaxTemporaryTables", "normal", "integer", "Ai", 0, INT_MAX, 20),
    ("JET_paramLogFileSize", "normal", "integer", "i", 64, 32768, 5120),
    ("JET_paramLogBuffers", "normal", "integer", "Ai", 1, INT_MAX, 126),
    ("JET_paramWaitLogFlush", "ignored", "integer", "A", 0, INT_MAX, 0),
    ("JET_paramLogCheckpointPeriod", "ignored", "integer", "Ai", 0, INT_MAX, 1024),
    ("JET_paramLogWaitingUserMax", "ignored", "integer", "Ai", 0, INT_MAX, 3),
    ("JET_paramCommitDefault", "custom", "grbit", "", 0, 0xFFFFFFFF, 0),
    ("JET_paramCircularLog", "normal", "boolean", "i", 0, UNBOUNDED, 0),
    ("JET_paramDbExtensionSize", "normal", "integer", "A", 1, INT_MAX, 256),
    ("JET_paramPageTempDBMin", "normal", "integer", "Ai", 0, INT_MAX, 0),
    ("JET_paramPageFragment", "normal", "integer", "Ai", 0, INT_MAX, 8),
    ("JET_paramPageReadAheadMax", "ignored", "integer", "A", 0, UNBOUNDED, -1),
    ("JET_paramBatchIOBufferMax", "ignored", "integer", "AG", 0, UNBOUNDED, 256),
    ("JET_paramCacheSizeMax", "custom", "integer", "AG", 1, UNBOUNDED, 2000000000),
    ("JET_paramCheckpointDepthMax", "custom", "integer", "", 0, UNBOUNDED, 20971520),
    ("JET_paramLRUKCorrInterval", "normal", "integer", "AGgi", 0, UNBOUNDED, 128000),
    ("JET_paramLRUKHistoryMax", "normal", "integer", "AGgi", 0, UNBOUNDED, 100000),
    ("JET_paramLRUKPolicy", "normal", "integer", "AGgi", 1, 2, 2),
    ("JET_paramLRUKTimeout", "normal", "integer", "AGgi", 1, UNBOUNDED, 100),
    ("JET_paramLRUKTrxCorrInterval", "ignored", "integer", "AGgi", 0, UNBOUNDED, 0),
    ("JET_paramOutstandingIOMax", "normal", "integer", "AGgi", 0, 65536, 1024),
    ("JET_paramStartFlushThreshold", "normal", "integer", "AG", 0, UNBOUNDED, 20000000),
    ("JET_paramStopFlushThreshold", "normal", "integer", "AG", 0, UNBOUNDED, 40000000),
    ("JET_paramTableClassName", "ignored", "string", "G", 0, _NAME_MOST, ""),
    ("JET_paramRecovery", "normal", "string", "i", 0, 259, "on"),
    ("JET_paramEnableOnlineDefrag", "normal", "grbit", "", 0, C.JET_OnlineDefragAll,
     C.JET_OnlineDefragAll),
    ("JET_paramAssertAction", "normal", "grbit", "G", 0, 64, C.JET_AssertFailFast),
    ("JET_paramPrintFunction", "readonly", "pointer", "", 0, 0, 0),
    ("JET_paramTransactionLevel", "computed", "integer", "", 0, 0, 0),
    ("JET_paramRFS2IOsPermitted", "normal", "integer", "G", 0, 0xFFFFFFFE, 0),
    ("JET_paramRFS2AllocsPermitted", "normal", "integer", "G", 0, 0xFFFFFFFE, 0),
    ("JET_paramCacheSize", "custom", "integer", "AG", 0, UNBOUNDED, 0),
    ("JET_paramCacheRequests", "readonly", "integer", "AG", 0, 0, 0),
    ("JET_paramCacheHits", "readonly", "integer", "AG", 0, 0, 0),
    ("JET_paramCheckFormatWhenOpenFail", "ignored", "boolean", "i", 0, UNBOUNDED, 1),
    ("JET_paramEnableIndexChecking", "normal", "integer", "", 0, 2, 1),
    ("JET_paramEnableTempTableVersioning", "normal", "boolean", "i", 0, UNBOUNDED, 1),
    ("JET_paramIgnoreLogVersion", "ignored", "boolean", "i", 0, 0, 0),
    ("JET_paramDeleteOldLogs", "ignored", "boolean", "i", 0, UNBOUNDED, 0),
    ("JET_paramEventSourceKey", "normal", "string", "i", 0, 259, ""),
    ("JET_paramNoInformationEvent", "normal", "boolean", "i", 0, UNBOUNDED, 0),
    ("JET_paramEventLoggingLevel", "normal", "integer", "i", 0, C.JET_EventLoggingLevelMax,
     C.JET_EventLoggingLevelMax),
    ("JET_paramDeleteOutOfRangeLogs", "normal", "boolean", "i", 0, UNBOUNDED, 0),
    ("JET_paramAccessDeniedRetryPeriod", "normal", "integer", "G", 0, UNBOUNDED, 10000),
    ("JET_paramEnableIndexCleanup", "normal", "boolean", "", 0, UNBOUNDED, 1),
    ("JET_paramFlight_SmoothIoTestPermillage", "normal", "integer", "Ai", 0, 1000, 0),
    ("JET_paramFlight_SynchronousLVCleanup", "normal", "boolean", "A", 0, UNBOUNDED, 0),
    ("JET_paramFlight_RBSRevertIOUrgentLevel", "normal", "integer", "A", 0, 127, 8),
    ("JET_paramFlight_EnableXpress10Compression", "normal", "boolean", "A", 0, UNBOUNDED, 0),
    ("JET_paramCacheSizeMin", "custom", "integer", "AG", 1, UNBOUNDED, 1),
    ("JET_paramLogFileFailoverPath", "ignored", "folder", "i", 0, 0, ""),
    ("JET_paramEnableImprovedSeekShortcut", "ignored", "boolean", "i", 0, UNBOUNDED, 0),
    ("JET_paramPreferredVerPages", "normal", "integer", "A", 1, INT_MAX, 58),
    ("JET_paramDatabasePageSize", "custom", "blocksize", "Ggi", 2048, 32768, 8192),
    ("JET_paramDisableCallbacks", "normal", "boolean", "i", 0, UNBOUNDED, 0),
    ("JET_paramBackupChunkSize", "ignored", "integer", "Ai", 1, INT_MAX, 16),
    ("JET_paramBackupOutstandingReads", "ignored", "integer", "Ai", 1, INT_MAX, 8),
    ("JET_paramLogFileCreateAsynch", "normal", "boolean", "Ai", 0, UNBOUNDED, 1),
    ("JET_paramErrorToString", "computed", "user", "G", 0, 0, 0),
    ("JET_paramZeroDatabaseDuringBackup", "normal", "boolean", "i", 0, UNBOUNDED, 0),
    ("JET_paramUnicodeIndexDefault", "custom", "user", "i", 0, UNBOUNDED, 0),
    ("JET_paramRuntimeCallback", "normal", "pointer", "i", 0, UNBOUNDED, None),
    ("JET_paramEnableSortedRetrieveColumns", "ignored", "boolean", "i", 0, UNBOUNDED, 0),
    ("JET_paramCleanupMismatchedLogFiles", "normal", "boolean", "i", 0, UNBOUNDED, 0),
    ("JET_paramRecordUpgradeDirtyLevel", "normal", "grbit", "AG", 0, 3, 1),
    ("JET_paramRecoveryCurrentLogfile", "computed", "integer", "", 0, 0, 0),
    ("JET_paramGlobalMinVerPages", "normal", "integer", "AGgi", 1, INT_MAX, 64),
    ("JET_paramOSSnapshotTimeout", "normal", "integer", "G", 0, INT_MAX, 70000),
    ("JET_paramFlight_ConcurrentMetedOps", "normal", "integer", "i", 0, 1024, 2),
    ("JET_paramFlight_LowMetedOpsThreshold", "normal", "integer", "i", 0, 1024, 40),
    ("JET_paramFlight_MetedOpStarvedThreshold", "normal", "integer", "i", 50, INT_MAX, 3000),
    ("JET_paramFlight_EnableShrinkArchiving", "normal", "boolean", "A", 0, 1, 1),
    ("JET_paramFlight_EnableBackupDuringRecovery", "normal", "boolean", "A", 0, UNBOUNDED, 0),
    ("JET_paramFlight_RBSRollIntervalSec", "normal", "integer", "A", 0, 604800, 43200),
    ("JET_paramFlight_RBSMaxRequiredRange", "normal", "integer", "A", 0, 10000, 1000),
    ("JET_paramFlight_RBSLowDiskSpaceThresholdGb", "normal", "integer", "A", 0, INT_MAX, 100),
    ("JET_paramFlight_RBSMaxSpaceWhenLowDiskSpaceGb", "normal", "integer", "A", 0, 1000, 150),
    ("JET_paramFlight_RBSMaxTimeSpanSec", "normal", "integer", "A", 0, INT_MAX, 604800),
    ("JET_paramFlight_RBSCleanupIntervalMinSec", "normal", "integer", "A", 0, INT_MAX, 3600),
    ("JET_paramExceptionAction", "normal", "integer", "G", 0, UNBOUNDED,
     C.JET_ExceptionFailFast),
    ("JET_paramEventLogCache", "normal", "integer", "Ggi", 0, INT_MAX, 0),
    ("JET_paramCreatePathIfNotExist", "normal", "boolean", "", 0, UNBOUNDED, 0),
    ("JET_paramPageHintCacheSize", "normal", "integer", "AGgi", 0, INT_MAX, 262144),
    ("JET_paramOneDatabasePerSession", "normal", "boolean", "i", 0, UNBOUNDED, 0),
    ("JET_paramMaxDatabasesPerInstance", "ignored", "integer", "Ggi", 7, 7, 7),
    ("JET_paramMaxInstances", "normal", "integer", "Ggi", 1, 10240, 16),
    ("JET_paramVersionStoreTaskQueueMax", "normal", "integer", "A", 1, 127, 4),
    ("JET_paramIdleFlushTime", "ignored", "integer", "AG", 0, UNBOUNDED, 0),
    ("JET_paramDisablePerfmon", "normal", "boolean", "Ggi", 0, UNBOUNDED, 0),
    ("JET_paramAbortRetryFailCallback", "ignored", "pointer", "Ggi", 0, UNBOUNDED, None),
    ("JET_paramVAReserve", "ignored", "integer", "AG", 0, UNBOUNDED, 0),
    ("JET_paramIndexTuplesLengthMin", "normal", "integer", "i", 2, 255, 3),
    ("JET_paramIndexTuplesLengthMax", "normal", "integer", "i", 2, 255, 10),
    ("JET_paramIndexTuplesToIndexMax", "normal", "integer", "i", 1, 32767, 32767),
    ("JET_paramAlternateDatabaseRecoveryPath", "normal", "folder", "i", 0, 246, ""),
    ("JET_paramDBAPageAvailMin", "ignored", "integer", "AG", 0, UNBOUNDED, 1280),
    ("JET_paramDBAPageAvailThreshold", "ignored", "integer", "G", 0, UNBOUNDED, 0),
    ("JET_paramDBAK1", "ignored", "integer", "G", 0, UNBOUNDED, 0),
    ("JET_paramDBAK2", "ignored", "integer", "G", 0, UNBOUNDED, 0),
    ("JET_paramMaxRandomIOSize", "ignored", "integer", "AG", 0, UNBOUNDED, 1024 * 1024),
    ("JET_paramCachedClosedTables", "custom", "integer", "A", 0, INT_MAX, 64),
    ("JET_paramEnableFileCache", "normal", "boolean", "AGgi", 0, UNBOUNDED, 0),
    ("JET_paramEnableViewCache", "normal", "boolean", "AGgi", 0, UNBOUNDED, 0),
    ("JET_paramVerPageSize", "normal", "blocksize", "AGgi", 1024, 65536, 8192),
    ("JET_paramConfiguration", "custom", "integer", "i", 0, C.JET_configMask,
     C.JET_configDefault),
    ("JET_paramEnableAdvanced", "normal", "boolean", "", 0, UNBOUNDED, 1),
    ("JET_paramMaxColtyp", "readonly", "integer", "", 0, 0, C.JET_coltypMax),
    ("JET_paramIndexTupleIncrement", "normal", "integer", "i", 0, 32767, 1),
    ("JET_paramIndexTupleStart", "normal", "integer", "", 0, 32767, 0),
    ("JET_paramKeyMost", "computed", "integer", "", 0, 0, 0),
    ("JET_paramCheckpointIOMax", "normal", "integer", "AG", 1, 1024, 1),
    ("JET_paramLegacyFileNames", "normal", "grbit", "i", 0, 255, 1),
    *((f"JET_paramTableClass{n}Name", "normal", "string", "Ggi", 1, _NAME_MOST,
       f"TableClass{n}") for n in range(1, 32)),
    ("JET_paramIOPriority", "normal", "integer", "A", 0, 0xFFFFFFFF, 0),
    ("JET_paramWaypointLatency", "normal", "integer", "i", 0, 1023, 0),
    ("JET_paramCheckpointTooDeep", "normal", "integer", "i", 4, 65536, 65536),
    ("JET_paramDisableBlockVerification", "normal", "boolean", "Ggi", 0, UNBOUNDED, 0),
    ("JET_paramEnablePersistedCallbacks", "normal", "boolean", "i", 0, UNBOUNDED, 0),
    ("JET_paramAggressiveLogRollover", "normal", "boolean", "i", 0, UNBOUNDED, 0),
    ("JET_paramPeriodicLogRolloverLLR", "normal", "integer", "i", 0, 7 * 24 * 60 * 60, 0),
    ("JET_paramUsePageDependencies", "ignored", "boolean", "Ggi", 0, UNBOUNDED, 0),
    ("JET_paramDefragmentSequentialBTrees", "normal", "boolean", "", 0, UNBOUNDED, 1),
    ("JET_paramDefragmentSequentialBTreesDensityCheckFrequency", "normal", "integer", "i", 0,
     UNBOUNDED, 10),
    ("JET_paramIOThrottlingTimeQuanta", "normal", "integer", "Ggi", 1, 10000, 100),
    ("JET_paramLVChunkSizeMost", "computed", "integer", "", 0, 0, 0),
    # ESE: jetapi.cxx's copy of these rows (NORMAL_PARAM ... cbReadSizeMax / cbWriteSizeMax)
    # and the engine's I/O size constants "cbReadSizeMax = 512 * 1024", "cbWriteSizeMax =
    # 512 * 1024" ("Maximum I/O sizes to be issued by the engine"); the same in every build.
    ("JET_paramMaxCoalesceReadSize", "normal", "integer", "AGgi", 0, 10 * 1024 * 1024,
     _CB_READ_SIZE_MAX),
    ("JET_paramMaxCoalesceWriteSize", "normal", "integer", "AGgi", 0, 10 * 1024 * 1024,
     _CB_WRITE_SIZE_MAX),
    ("JET_paramMaxCoalesceReadGapSize", "normal", "integer", "AGgi", 0, 10 * 1024 * 1024,
     _CB_READ_SIZE_MAX),
    ("JET_paramMaxCoalesceWriteGapSize", "normal", "integer", "AGgi", 0, 10 * 1024 * 1024,
     _CB_WRITE_SIZE_MAX),
    ("JET_paramEnableHaPublish", "normal", "integer", "Ai", 0, 2, 0),
    ("JET_paramEnableDBScanInRecovery", "normal", "integer", "A", 0, 2, 0),
    ("JET_paramDbScanThrottle", "normal", "integer", "A", 0, 1000 * 60, 20),
    ("JET_paramDbScanIntervalMinSec", "normal", "integer", "Ai", 0, 60 * 60 * 24 * 21,
     60 * 60 * 24),
    ("JET_paramDbScanIntervalMaxSec", "normal", "integer", "Ai", 1, 60 * 60 * 24 * 365 * 50,
     60 * 60 * 24 * 7),
    ("JET_paramEmitLogDataCallback", "normal", "pointer", "Ai", 0, UNBOUNDED, None),
    ("JET_paramEmitLogDataCallbackCtx", "normal", "pointer", "Ai", 0, UNBOUNDED, None),
    ("JET_paramEnableExternalAutoHealing", "normal", "boolean", "Ai", 0, 1, 0),
    ("JET_paramPatchRequestTimeout", "normal", "integer", "A", 0, INT_MAX, 300),
    ("JET_paramCachePriority", "custom", "integer", "A", 0, 1000, 100),
    ("JET_paramMaxTransactionSize", "normal", "integer", "A", 1, 100, 100),
    ("JET_paramPrereadIOMax", "normal", "integer", "A", 0, 256, 8),
    ("JET_paramEnableDBScanSerialization", "normal", "boolean", "Ai", 0, 1, 0),
    ("JET_paramHungIOThreshold", "normal", "integer", "AGgi", 11 * 1000, 30 * 60 * 1000,
     30 * 1000),
    ("JET_paramHungIOActions", "normal", "integer", "AGgi", 0, 0x1F, C.JET_bitHungIOEvent),
    ("JET_paramMinDataForXpress", "normal", "integer", "AGgi", 0, INT_MAX, 1024),
    ("JET_paramEnableShrinkDatabase", "custom", "grbit", "i", 0, 0xFFFF, 0),
    ("JET_paramProcessFriendlyName", "normal", "string", "Ggi", 0, _NAME_MOST, ""),
    ("JET_paramDurableCommitCallback", "normal", "pointer", "Ai", 0, UNBOUNDED, None),
    ("JET_paramEnableSqm", "ignored", "integer", "i", C.JET_sqmDisable, C.JET_sqmFromCEIP,
     C.JET_sqmEnable),
    ("JET_paramConfigStoreSpec", "custom", "string", "i", 0, 259, ""),
    ("JET_paramStageFlighting", "normal", "integer", "A", 0, 0xFFFFFFFF, 0),
    ("JET_paramZeroDatabaseUnusedSpace", "normal", "boolean", "A", 0, 1, 0),
    ("JET_paramDisableVerifications", "normal", "boolean", "A", 0, 1, 0),
    ("JET_paramPersistedLostFlushDetection", "normal", "integer", "Ai", 0, 7, 0),
    ("JET_paramEngineFormatVersion", "custom", "integer", "", 0, 0xFFFFFFFF,
     C.JET_efvUseEngineDefault),
    ("JET_paramReplayThrottlingLevel", "normal", "integer", "A", C.JET_ReplayThrottlingNone,
     C.JET_ReplayThrottlingSleep, C.JET_ReplayThrottlingNone),
    ("JET_paramBlockCacheConfiguration", "normal", "pointer", "Ai", 0, UNBOUNDED, None),
    ("JET_paramRecordSizeMost", "computed", "integer", "G", 0, 0, 0),
    ("JET_paramUseFlushForWriteDurability", "normal", "boolean", "Ai", 0, 1, 1),
    ("JET_paramEnableRBS", "normal", "boolean", "A", 0, 1, 0),
    ("JET_paramRBSFilePath", "normal", "folder", "i", 0, 246, ".\\"),
)
"""ESE's sysparamtable.g.cxx, one row per parameter, in id order."""

ILLEGAL_IDS = frozenset({68, 75, 80, 83, 88, 114, 115, 116, 117, 118, 119, 185})
"""Ids ESE's table marks ILLEGAL_PARAM (retired): JET_errInvalidParameter."""

LV_CHUNK_SIZE = {2048: 1966, 4096: 4014, 8192: 8110, 16384: 4050, 32768: 8150}
"""JET_paramLVChunkSizeMost by page size (Microsoft's reference, Informational
Parameters)."""

KEY_MOST = {2048: C.JET_cbKeyMost2KBytePage, 4096: C.JET_cbKeyMost4KBytePage,
            8192: C.JET_cbKeyMost8KBytePage, 16384: C.JET_cbKeyMost16KBytePage,
            32768: C.JET_cbKeyMost32KBytePage}
"""JET_paramKeyMost by page size (ESE CbKEYMostForPageSize)."""

__all__ = ["ILLEGAL_IDS", "KEY_MOST", "LV_CHUNK_SIZE", "ROWS", "UNBOUNDED"]
