"""JET functions for instances and system parameters.

Run modes, the instance table and every error come from ``pyese.engine.instance.lifecycle``
and ``pyese.engine.instance.instance``; these functions validate arguments and call one engine
function.
"""

from __future__ import annotations

from typing import Any

from pyese.engine.instance import lifecycle as L
from pyese.engine.instance.instance import Instance
from pyese.engine.instance.params import definition
from pyese.jet import _args
from pyese.jet.handles import JET_INSTANCE
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, error_name, raise_error


def _handle(inst: Instance) -> JET_INSTANCE:
    return JET_INSTANCE(inst.id)


def JetCreateInstance(szInstanceName: str | None = None) -> JET_INSTANCE:
    """Create an instance (not yet initialised) and put the process in multi-instance mode.

    Raises ``JET_errRunningInOneInstanceMode`` after ``JetInit(None)`` made the implicit
    instance, ``JET_errTooManyInstances`` at ``JET_paramMaxInstances``,
    ``JET_errInstanceNameInUse`` for a name already used (two unnamed instances collide too).
    """
    return JetCreateInstance2(szInstanceName, None, 0)


def JetCreateInstance2(
    szInstanceName: str | None = None, szDisplayName: str | None = None, grbit: int = 0
) -> JET_INSTANCE:
    """``JetCreateInstance`` with a display name; ``grbit`` is ignored, as in ESE."""
    name = _args.optional_str(szInstanceName, "szInstanceName")
    display = _args.optional_str(szDisplayName, "szDisplayName")
    return _handle(L.create_instance(name, display))


def JetEnableMultiInstance(psetsysparam: list | None = None) -> int:
    """Put the process in multi-instance mode and set global parameters.

    ``psetsysparam`` is a list of ``JET_SETSYSPARAM`` (or ``(paramid, lParam, sz)``
    tuples); returns how many were set. ``JET_errRunningInOneInstanceMode`` in
    one-instance mode.
    """
    if psetsysparam is None:
        items: list = []
    elif isinstance(psetsysparam, (list, tuple)):
        items = list(psetsysparam)
    else:
        raise_error(C.JET_errInvalidParameter, "psetsysparam must be a list of JET_SETSYSPARAM")
    settings = []
    for item in items:
        if isinstance(item, tuple):
            paramid, lparam, sz = (item + (0, None))[:3]
        elif hasattr(item, "paramid"):
            paramid = item.paramid
            lparam, sz = getattr(item, "lParam", 0), getattr(item, "sz", None)
        else:
            raise_error(C.JET_errInvalidParameter, "each setting is a JET_SETSYSPARAM")
        settings.append((_args.integer(paramid, "paramid"), lparam or 0, sz))
    L.enable_multi_instance(settings)
    return len(settings)


def JetInit(instance: JET_INSTANCE | int | None = None) -> None:
    """Initialise an instance: run recovery, start its services. ``JetInit2(instance, 0)``.

    ``JetInit(None)`` makes and initialises the process's single implicit instance
    (one-instance mode; ``JET_errRunningInMultiInstanceMode`` in multi-instance mode).
    ``JET_errAlreadyInitialized`` if the instance is up (it keeps running). Any other
    failure frees the instance: create a new one to retry (ESE jetapi.cxx ~21506).
    """
    JetInit3(instance, None, 0)


def JetInit2(instance: JET_INSTANCE | int | None, grbit: int = 0) -> None:
    """``JetInit`` with init grbits: ``JetInit3(instance, None, grbit |
    JET_bitReplayMissingMapEntryDB)``, as ESE's JetInit2 (jetapi.cxx)."""
    JetInit3(instance, None, _args.grbit(grbit) | C.JET_bitReplayMissingMapEntryDB)


LGPOS_MAX = (0xFFFF, 0xFFFF, 0x7FFFFFFF)
"""ESE's ``lgposMax`` as ``(ib, isec, lGeneration)``: no stop position."""


def JetInit3(instance: JET_INSTANCE | int | None, prstInfo: object = None, grbit: int = 0) -> None:
    """``JetInit2`` with a ``JET_RSTINFO``; see ``JetInit``.

    ``prstInfo`` (ESE jetapi.cxx ErrInitComplete):

    - ``rgrstmap``: ``JET_RSTMAP`` entries that replay a database the log names
      (``szDatabaseName``, or only its last path components; None: matched by the
      signature of ``szNewDatabaseName``) into ``szNewDatabaseName``. A database the map
      does not name is skipped unless ``grbit`` has ``JET_bitReplayMissingMapEntryDB``.
    - ``lgposStop``: replay ends before the first log record past it; JetInit3 then fails
      with ``JET_errRecoveredWithoutUndo`` and the databases stay as replayed (a stop
      whose ``isec`` and ``ib`` are both 0 stops no record; ``ib = isec = 0xFFFF`` stops at
      the end of generation ``lGeneration``). A checkpoint in a generation after the
      stop's ends recovery the same way before any redo; ``lGeneration`` 0, or a stop
      with ``JET_paramDeleteOldLogs`` or ``JET_paramDeleteOutOfRangeLogs`` set, is
      ``JET_errInvalidParameter`` (ESE ``ErrLGSoftStart``).
    - ``pfnStatus(sesid, snp, snt, pv)``: called with ``JET_snpRestore`` and
      ``JET_sntBegin``, ``JET_sntProgress`` (``pv`` a ``JET_SNPROG``, percent) and
      ``JET_sntComplete``; its result is ignored, an exception fails JetInit3 with
      ``JET_errCallbackFailed``.

    Recovery grbits (docs/api-rest.md): ``JET_bitReplayIgnoreMissingDB``,
    ``JET_bitReplayMissingMapEntryDB``, ``JET_bitRecoveryWithoutUndo`` (fails with
    ``JET_errRecoveredWithoutUndo``, or ``...DatabasesConsistent`` after a clean log end,
    leaving the databases replayed), ``JET_bitReplayIgnoreLostLogs``,
    ``JET_bitTruncateLogsAfterRecovery`` (deletes the archived generations recovery made
    unnecessary), ``JET_bitKeepDbAttachedAtEndOfRecovery`` (the recovered databases stay
    attached), ``JET_bitReplayInferCheckpointFromRstmapDbs`` (without a checkpoint,
    replay starts at the lowest generation the map's databases need),
    ``JET_bitReplayIgnoreLogRecordsBeforeMinRequiredLog`` (what it skips pyese never
    replays), ``JET_bitExternalRecoveryControl``: ``pfnStatus`` is also called with
    ``JET_snpRecoveryControl`` and a ``JET_RECOVERYCONTROL``, for ``JET_sntMissingLog``
    before a new log stream, ``JET_sntOpenLog`` (``JET_OpenLogForRedo``) before each
    generation redo reads, ``JET_sntAttachedDb`` / ``JET_sntDetachingDb`` as redo attaches
    and detaches databases, ``JET_sntBeginUndo`` before undo and ``JET_sntOpenLog``
    (``JET_OpenLogForDo``) before the instance starts, and its result decides (ESE
    tm.cxx ``ErrRecoveryControlDefaultCallback``;
    ``JET_errRecoveredWithoutUndo`` at BeginUndo: stop there; another error: fail with it;
    None or anything else: go on). Errors: ``JET_errInvalidParameter`` (not a
    ``JET_RSTINFO``, a map that is not a list of ``JET_RSTMAP`` or longer than 14, a
    ``pfnStatus`` that is not callable), ``JET_errDatabaseInvalidName`` (an entry without
    ``szNewDatabaseName``), then JetInit's.
    """
    g = _args.grbit(grbit)
    if prstInfo is None:
        L.init_instance(instance, g)
        return
    if type(prstInfo).__name__ != "JET_RSTINFO":
        raise_error(C.JET_errInvalidParameter, "prstInfo must be a JET_RSTINFO")
    rgrstmap = getattr(prstInfo, "rgrstmap", None) or []
    if not isinstance(rgrstmap, list | tuple):
        raise_error(C.JET_errInvalidParameter, "rgrstmap must be a list of JET_RSTMAP")
    pairs: list[tuple[str | None, str | None]] = []
    for m in rgrstmap:
        if type(m).__name__ != "JET_RSTMAP":
            raise_error(C.JET_errInvalidParameter, "each rgrstmap entry must be a JET_RSTMAP")
        pairs.append((_args.optional_str(m.szDatabaseName, "szDatabaseName"),
                      _args.optional_str(m.szNewDatabaseName, "szNewDatabaseName")))
    stop = _stop_position(getattr(prstInfo, "lgposStop", None))
    pfn = getattr(prstInfo, "pfnStatus", None)
    if pfn is not None and not callable(pfn):
        raise_error(C.JET_errInvalidParameter, "pfnStatus must be a JET_PFNSTATUS callable")
    L.init_instance(instance, g, pairs, stop, _status(pfn) if pfn is not None else None,
                    _control(pfn, instance) if pfn is not None else None)


def _stop_position(lgpos: object) -> tuple[int, int, int] | None:
    """``lgposStop`` as ``(lGeneration, isec, ib)``; None for ``lgposMin`` and ``lgposMax``
    (ESE ``ErrLGSoftStart`` makes ``lgposMin`` ``lgposMax``: no stop). A stop whose isec
    and ib are both 0 stops no record but still names its generation (log.cxx
    ``FLGRecoveryLgposStop`` / ``FLGRecoveryLgposStopLogRecord``)."""
    if lgpos is None:
        return None
    ib = _args.integer(getattr(lgpos, "ib", 0), "lgposStop.ib")
    isec = _args.integer(getattr(lgpos, "isec", 0), "lgposStop.isec")
    gen = _args.integer(getattr(lgpos, "lGeneration", 0), "lgposStop.lGeneration")
    if (ib, isec, gen) in ((0, 0, 0), LGPOS_MAX):
        return None
    if not (0 <= ib <= 0xFFFF and 0 <= isec <= 0xFFFF and 0 <= gen <= 0x7FFFFFFF):
        raise_error(C.JET_errInvalidParameter, "lgposStop out of range")
    return gen, isec, ib


def _status(pfn: Any) -> Any:
    from pyese.jet.backup import JET_SNPROG

    def status(snt: int, done: int, total: int) -> None:
        try:
            pfn(None, C.JET_snpRestore, snt, JET_SNPROG(cunitDone=done, cunitTotal=total))
        except JetError:
            raise
        except Exception as exc:
            raise JetError.from_code(C.JET_errCallbackFailed, repr(exc)) from exc

    return status


def _control(pfn: Any, instance: object) -> Any:
    """``pfnStatus`` as the recovery-control callback: ESE's JetInit3 wraps ``pfnStatus``
    as the instance's init callback (jetapi.cxx ``CAutoRSTINFOW::ErrSet``,
    ``InitCallbackWrapper``), which ``ErrRecoveryControlDefaultCallback`` calls for
    ``JET_snpRecoveryControl`` under ``JET_bitExternalRecoveryControl``. An exception, or
    a result that is not an int or None, is ``JET_errCallbackFailed``."""
    from pyese.jet.database import _misc
    from pyese.jet.structs import JET_RECOVERYCONTROL

    def control(snt: int, err_default: int, headers: tuple[Any, ...],
                log: tuple[int, bool, int, str] | None) -> int:
        misc = [_misc(h) for h in headers]
        data = JET_RECOVERYCONTROL(errDefault=err_default, instance=instance,
                                   cdbinfomisc=len(misc), rgdbinfomisc=misc)
        if log is not None:
            gen, current, action, path = log
            if snt == C.JET_sntMissingLog:
                data.lGenMissing, data.fCurrentLog, data.eNextAction = gen, current, action
                data.wszLogFile = path
            elif snt in (C.JET_sntAttachedDb, C.JET_sntDetachingDb):
                data.wszDbPath = path
            else:
                data.lGenNext, data.fCurrentLog, data.eReason, data.wszLogFile = log
        try:
            result = pfn(None, C.JET_snpRecoveryControl, snt, data)
        except JetError:
            raise
        except Exception as exc:
            raise JetError.from_code(C.JET_errCallbackFailed, repr(exc)) from exc
        if result is None:
            return C.JET_errSuccess
        if not isinstance(result, int) or isinstance(result, bool):
            raise_error(C.JET_errCallbackFailed, f"recovery control returned {result!r}")
        return result

    return control


def JetTerm(instance: JET_INSTANCE | int | None) -> None:
    """Terminate an instance: ``JetTerm2(instance, JET_bitTermAbrupt)`` (ESE jetapi.cxx ~22267)."""
    JetTerm2(instance, C.JET_bitTermAbrupt)


def JetTerm2(instance: JET_INSTANCE | int | None, grbit: int = 0) -> None:
    """Terminate an instance and free it.

    Waits for calls under way; ``JET_errTooManyActiveUsers`` if a session is inside a
    transaction (the instance keeps running); with ``JET_bitTermDirty`` terminates at once
    leaving databases for recovery and raises ``JET_errDirtyShutdown``;
    ``JET_errRestoreInProgress`` during a restore; ``JET_errNotInitialized`` for a handle
    that is no longer an instance. A created but never initialised instance is just freed.
    """
    g = _args.grbit(grbit)
    L.term_instance(instance, g)


def JetStopService() -> None:
    """Stop the service of the one-instance-mode instance (``JetStopServiceInstance``)."""
    L.stop_service()


def JetStopServiceInstance(instance: JET_INSTANCE | int | None) -> None:
    """Ask an instance to stop: later calls get ``JET_errClientRequestToStopJetService``
    except JetRollback, JetEndSession, JetCloseTable, JetCloseDatabase, JetDetachDatabase,
    JetResetSessionContext, JetGetSessionInfo, parameter calls and JetTerm."""
    JetStopServiceInstance2(instance, C.JET_bitStopServiceAll)


def JetStopServiceInstance2(instance: JET_INSTANCE | int | None, grbit: int = 0) -> None:
    """``JetStopServiceInstance`` with ESE's grbits: ``All`` (0) stops; ``BackgroundUserTasks``
    and ``QuiesceCaches`` only pause background work; ``Resume`` undoes a pause and gives
    ``JET_errClientRequestToStopJetService`` after a full stop; other bits
    ``JET_errInvalidGrbit``."""
    g = _args.grbit(grbit)
    L.stop_service_instance(instance, g)


def JetGetInstanceInfo() -> list:
    """The running instances as ``JET_INSTANCE_INFO`` structures (ESE returns an array)."""
    from pyese.jet.structs import JET_INSTANCE_INFO

    return [
        JET_INSTANCE_INFO(
            hInstanceId=JET_INSTANCE(inst_id),
            szInstanceName=name,
            szDatabaseFileName=files,
            szDatabaseDisplayName=[""] * len(files),
            szDatabaseSLVFileName_Obsolete=[""] * len(files),
        )
        for inst_id, name, files in L.instance_info()
    ]


def JetSetSystemParameter(
    instance: JET_INSTANCE | int | None,
    sesid: object,
    paramid: int,
    lParam: object = 0,
    szParam: str | None = None,
) -> None:
    """Set a system parameter of an instance (or the global defaults with ``instance=None``).

    ``JET_errInvalidParameter`` for an id ESE does not define or a value out of range;
    ``JET_paramUnicodeIndexDefault`` takes a ``JET_UNICODEINDEX`` (the default of indexes
    created without a Unicode definition; ``JET_errInvalidParameter`` for None, an invalid
    LCID or LCMapString flags ESE refuses);
    ``JET_errAlreadyInitialized`` for a parameter that init locks, once the instance is up
    (or ``JET_paramMaxInstances`` once a mode is set); ``JET_errInitInProgress`` during
    ``JetInit``; ``JET_errRestoreInProgress`` during a restore.
    """
    pid = _args.integer(paramid, "paramid")
    if pid == C.JET_paramUnicodeIndexDefault:
        # lParam points at a JET_UNICODEINDEX (NULL: JET_errInvalidParameter)
        if type(lParam).__name__ != "JET_UNICODEINDEX":
            raise_error(C.JET_errInvalidParameter,
                        "JET_paramUnicodeIndexDefault takes a JET_UNICODEINDEX")
        lcid = _args.integer(getattr(lParam, "lcid", 0), "lcid")
        flags = _args.integer(getattr(lParam, "dwMapFlags", 0), "dwMapFlags")
        L.set_system_parameter(instance, sesid, pid, (lcid, flags), szParam)
        return
    pointer = definition(pid).kind == "pointer"
    if not isinstance(lParam, int) and not (pointer and (lParam is None or callable(lParam))):
        raise_error(C.JET_errInvalidParameter, "lParam must be an int")
    L.set_system_parameter(instance, sesid, pid, lParam, szParam)


def JetGetSystemParameter(
    instance: JET_INSTANCE | int | None, sesid: object, paramid: int, lParam: int = 0
) -> tuple[Any, str | None]:
    """A parameter's value as ``(lParam, szParam)``: string parameters come back in szParam.

    ESE's default until the parameter is set (``engine.sysparam_table``). Computed and
    read-only parameters come from the engine: ``JET_paramKeyMost``,
    ``JET_paramLVChunkSizeMost`` and ``JET_paramRecordSizeMost`` for the page size,
    ``JET_paramMaxColtyp``, ``JET_paramTransactionLevel`` (the level of ``sesid``, 0
    without one) and ``JET_paramErrorToString``, which reads the error code from
    ``lParam`` (C: ``*plParam`` is in/out) and returns ``(err, "JET_errX, meaning")``.
    ``JET_paramUnicodeIndexDefault`` comes back as a ``JET_UNICODEINDEX``.
    ``JET_errInvalidParameter`` for an id ESE does not define.
    """
    pid = _args.integer(paramid, "paramid")
    if pid == C.JET_paramErrorToString:
        definition(pid)
        err = _args.integer(lParam, "lParam")
        return err, f"{error_name(err)}, {_meaning(err)}"
    value = L.get_system_parameter(instance, sesid, pid)
    if pid == C.JET_paramUnicodeIndexDefault:
        from pyese.jet.structs import JET_UNICODEINDEX
        pair: tuple[int, int] = value  # type: ignore[assignment]
        return JET_UNICODEINDEX(lcid=pair[0], dwMapFlags=pair[1]), None
    if isinstance(value, str):
        return 0, value
    if value is None or callable(value):
        return value, None
    return int(value), None  # type: ignore[call-overload]


def _meaning(err: int) -> str:
    from pyese.jethdr._errtable import ERRORS

    for code, _name, _cat, _kind, meaning in ERRORS:
        if code == err:
            return meaning
    return "Unknown Error"


__all__ = [
    "JetCreateInstance",
    "JetCreateInstance2",
    "JetEnableMultiInstance",
    "JetInit",
    "JetInit2",
    "JetInit3",
    "JetTerm",
    "JetTerm2",
    "JetStopService",
    "JetStopServiceInstance",
    "JetStopServiceInstance2",
    "JetGetInstanceInfo",
    "JetSetSystemParameter",
    "JetGetSystemParameter",
]

