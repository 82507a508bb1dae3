"""JET functions for statistics and information: the engine's version, per-thread
counters, instance information, cursor information, error information, record counts and
catalog statistics.

Each validates its arguments, enters the gate and calls one engine function
(``pyese.engine.schema.stats``, ``pyese.storage.threadstats``). Output buffers are return values
(the signature rule of ``API.md``): ``JetGetThreadStats()`` returns a ``JET_THREADSTATS4``,
``JetGetInstanceMiscInfo`` a ``JET_SIGNATURE`` or ``JET_CHECKPOINTINFO``, and
``JetGetErrorInfo`` a ``JET_ERRINFOBASIC``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.instance.gate import session_call
from pyese.engine.instance.instance import SYSTEM
from pyese.engine.schema import stats as engine_stats
from pyese.jet import _args
from pyese.jet.database import _signature
from pyese.jet.handles import JET_INSTANCE, JET_SESID, JET_TABLEID
from pyese.jet.structs import JET_LOGTIME, JET_SIGNATURE, JET_THREADSTATS4
from pyese.jethdr import constants as C
from pyese.jethdr._errtable import ERRORS
from pyese.jethdr.errors import CATEGORY_CLASSES, JetError, raise_error

# JET_ERRCAT (jethdr.w, an enum, so not in the generated constants): ESE's error
# categories, most general first.
JET_errcatUnknown = 0
JET_errcatError = 1
JET_errcatOperation = 2
JET_errcatFatal = 3
JET_errcatIO = 4
JET_errcatResource = 5
JET_errcatMemory = 6
JET_errcatQuota = 7
JET_errcatDisk = 8
JET_errcatData = 9
JET_errcatCorruption = 10
JET_errcatInconsistent = 11
JET_errcatFragmentation = 12
JET_errcatApi = 13
JET_errcatUsage = 14
JET_errcatState = 15
JET_errcatObsolete = 16
JET_errcatMax = 17

_ERRCAT = {
    "Unknown": JET_errcatUnknown, "Error": JET_errcatError,
    "Operation": JET_errcatOperation, "Fatal": JET_errcatFatal, "IO": JET_errcatIO,
    "Resource": JET_errcatResource, "Memory": JET_errcatMemory, "Quota": JET_errcatQuota,
    "Disk": JET_errcatDisk, "Data": JET_errcatData, "Corruption": JET_errcatCorruption,
    "Inconsistent": JET_errcatInconsistent, "Fragmentation": JET_errcatFragmentation,
    "Api": JET_errcatApi, "Usage": JET_errcatUsage, "State": JET_errcatState,
    "Obsolete": JET_errcatObsolete,
}


@dataclass(kw_only=True, slots=True)
class JET_ERRINFOBASIC:
    """What ESE knows of an error code (JetGetErrorInfo, JET_ErrorInfoSpecificErr):
    the code, its most specific category and the category chain from the root
    (``rgCategoricalHierarchy``, 8 entries, 0 past the end)."""

    errValue: int = 0
    errcatMostSpecific: int = JET_errcatUnknown
    rgCategoricalHierarchy: list[int] = field(default_factory=lambda: [0] * 8)
    lSourceLine: int = 0
    rgszSourceFile: str = ""


@dataclass(kw_only=True, slots=True)
class JET_CHECKPOINTINFO:
    """The instance's checkpoint (JetGetInstanceMiscInfo, JET_InstanceMiscInfoCheckpoint):
    the oldest log generation recovery needs and the newest one written."""

    genMin: int = 0
    genMax: int = 0
    logtimeGenMaxCreate: JET_LOGTIME = field(default_factory=JET_LOGTIME)


def JetGetVersion(sesid: JET_SESID | int) -> int:
    """The engine's version as ESE packs it: major << 28 | minor << 24 | build << 8 |
    build minor. pyese reports 10.0.10240.0 (``engine.schema.stats.ENGINE_VERSION``).

    Raises the session gate's errors (``JET_errInvalidSesid``, ...)."""
    with session_call(sesid):
        return engine_stats.ENGINE_VERSION


def JetGetThreadStats() -> JET_THREADSTATS4:
    """The calling thread's cumulative counters (``pyese.storage.threadstats``): nodes
    referenced, nodes dirtied by its commits, log records and bytes its commits appended.
    Take two readings and subtract them. No errors (ESE's only one is a short buffer)."""
    return JET_THREADSTATS4(**engine_stats.thread_stats())


def _level(value: object, name: str = "InfoLevel") -> int:
    return _args.integer(value, name)


def JetGetInstanceMiscInfo(instance: JET_INSTANCE | int | None, InfoLevel: int) -> Any:
    """Information about a running instance.

    ``JET_InstanceMiscInfoLogSignature`` -> the ``JET_SIGNATURE`` of its log (the
    ``signLog`` of its databases' headers; all zero when ``JET_paramRecovery`` is off);
    ``JET_InstanceMiscInfoCheckpoint`` -> ``JET_CHECKPOINTINFO`` (the checkpoint's
    generation and the current one). Other levels (``JET_InstanceMiscInfoRBS``: pyese has
    no revert snapshots): ``JET_errInvalidParameter``. The instance gate's errors first
    (``JET_errNotInitialized``, ``JET_errInvalidParameter`` for a bad handle, ...).
    """
    level = _level(InfoLevel)
    inst = SYSTEM.find_instance(instance)
    inst.enter()
    try:
        if level == C.JET_InstanceMiscInfoLogSignature:
            raw = engine_stats.log_signature(inst)
            return _signature(raw, 0) if raw is not None else JET_SIGNATURE()
        if level == C.JET_InstanceMiscInfoCheckpoint:
            gens = engine_stats.checkpoint_generations(inst)
            if gens is None:
                return JET_CHECKPOINTINFO()
            return JET_CHECKPOINTINFO(genMin=gens[0], genMax=gens[1])
        raise_error(C.JET_errInvalidParameter, f"InfoLevel {level}")
    finally:
        inst.leave()


def JetGetCursorInfo(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                     InfoLevel: int = 0) -> None:
    """Check that the cursor is on a record no other session is changing (ESE info.cxx
    ErrIsamGetCursorInfo, in its order): ``JET_errInvalidTableId``;
    ``JET_errInvalidParameter`` for an ``InfoLevel`` other than 0;
    ``JET_errNoCurrentRecord`` off a record; ``JET_errWriteConflict`` when another
    session has an uncommitted change of the current record."""
    level = _level(InfoLevel)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if hasattr(cur, "vt"):  # temporary tables: ESE's function tables decide
            cur.vt.check(cur, "GetCursorInfo")
        engine_stats.cursor_info(session, cur, level)


_CODE_CATEGORY = {code: category for code, _name, category, _kind, _meaning in ERRORS}


def _hierarchy(err: int) -> list[int] | None:
    """ESE's category chain of ``err``, root first (errorhierarchy.cxx), or None for a
    code ESE's error table does not have."""
    category = _CODE_CATEGORY.get(err)
    if category is None:
        return None
    if category == "Unknown":
        return [JET_errcatUnknown]
    chain = []
    for klass in reversed(CATEGORY_CLASSES[category].__mro__):
        name = getattr(klass, "category", None) if issubclass(klass, JetError) else None
        if name in _ERRCAT and _ERRCAT[name] not in chain:
            chain.append(_ERRCAT[name])
    return chain


def JetGetErrorInfo(pvContext: int, InfoLevel: int = C.JET_ErrorInfoSpecificErr,
                    grbit: int = 0) -> JET_ERRINFOBASIC:
    """What ESE knows of the error code ``pvContext`` (C: a pointer to the JET_ERR).

    ``JET_errInvalidGrbit`` for any grbit; ``JET_errInvalidParameter`` for a level other
    than ``JET_ErrorInfoSpecificErr`` and for a code ESE does not know (ESE jetapi.cxx
    ErrERRLookupErrorCategory). Warnings have categories too (ESE's errdata.txt)."""
    g = _args.grbit(grbit)
    level = _level(InfoLevel)
    err = _args.integer(pvContext, "pvContext")
    if g != 0:
        raise_error(C.JET_errInvalidGrbit)
    if level != C.JET_ErrorInfoSpecificErr:
        raise_error(C.JET_errInvalidParameter, f"InfoLevel {level}")
    cats = _hierarchy(err)
    if cats is None:
        raise_error(C.JET_errInvalidParameter, f"unknown error code {err}")
    return JET_ERRINFOBASIC(errValue=err, errcatMostSpecific=cats[-1],
                            rgCategoricalHierarchy=(cats + [0] * 8)[:8])


def JetIndexRecordCount2(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                         crecMax: int = 0) -> int:
    """``JetIndexRecordCount`` with a 64-bit limit and count (ESE rec.cxx
    ErrIsamIndexRecordCount2): entries from the current one to the end of the index or
    range, at most ``crecMax`` when not 0. ``JET_errNoCurrentRecord`` off an entry,
    ``JET_errRecordDeleted`` when the current entry has gone; ``JET_errInvalidParameter``
    for a limit outside 0..2**64-1."""
    limit = _args.integer(crecMax, "crecMax")
    if not 0 <= limit < 1 << 64:
        raise_error(C.JET_errInvalidParameter, "crecMax is an unsigned 64-bit count")
    with session_call(sesid) as session:
        return cursor_for(session, tableid).index_record_count(limit)


def JetComputeStats(sesid: JET_SESID | int, tableid: JET_TABLEID | int) -> None:
    """Count the cursor's table (records, and each secondary index's entries and distinct
    keys) and store the counts in the catalog, where ``JetGetTableInfo(JET_TblInfo)``,
    ``JetGetObjectInfo`` and ``JET_IdxInfoList`` read them (``engine.schema.stats``).

    ``JET_errInvalidTableId``; ``JET_errPermissionDenied`` on a database attached
    read-only; ``JET_errTransReadOnly`` in a read-only transaction;
    ``JET_errWriteConflict`` if another session is changing the table's catalog rows."""
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if hasattr(cur, "vt"):  # temporary tables: ErrIllegalComputeStats
            cur.vt.check(cur, "ComputeStats")
        engine_stats.compute_stats(session, cur)


def JetFreeBuffer(pbBuf: object) -> None:
    """ESE frees the memory its list functions allocated (``JetGetInstanceInfo``,
    ``JetOSSnapshotFreeze``). pyese returns Python objects, which the garbage collector
    frees, so there is nothing to release; any object (or None) is accepted."""
    return None


__all__ = [
    "JET_CHECKPOINTINFO",
    "JET_ERRINFOBASIC",
    "JetComputeStats",
    "JetFreeBuffer",
    "JetGetCursorInfo",
    "JetGetErrorInfo",
    "JetGetInstanceMiscInfo",
    "JetGetThreadStats",
    "JetGetVersion",
    "JetIndexRecordCount2",
    *[name for name in globals() if name.startswith("JET_errcat")],
]
