"""The instance table's JET calls: run modes, create, init, term, stop service, parameters.

ESE picks the process's run mode from the first call (``jetapi.cxx`` ~2885; see
``instance.py``): ``JetInit(NULL)`` makes the one implicit instance (one-instance mode),
``JetCreateInstance`` / ``JetEnableMultiInstance`` switch to multi-instance mode, and each
mode refuses the other's calls (``JET_errRunningInOneInstanceMode``,
``JET_errRunningInMultiInstanceMode``). These functions take the arguments the JET layer
has already checked and do the rest under ``SYSTEM.lock``; the instance's own work
(``Instance.initialize``, ``terminate``, ``stop_service_instance``, parameters) is done by
the :class:`Instance`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from pyese.engine.instance.instance import (
    INSTANCE_NIL,
    MODE_MULTI,
    MODE_NONE,
    MODE_ONE,
    SYSTEM,
    Instance,
)
from pyese.engine.instance.params import computed_value, definition
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.lgpos import LGPOS, SECTOR
from pyese.storage.log.recovery import RecoveryOptions, RestoreMapEntry, read_map_signature

MAX_RSTMAP = 2 * 7
"""ESE ``ErrBuildRstmapForSoftRecovery`` (rstmap.cxx): at most ``dbidMax * 2`` entries."""

_options_lock = threading.Lock()
_recovery_options: dict[int, RecoveryOptions] = {}


def create_instance(name: str | None, display: str | None) -> Instance:
    """JetCreateInstance2: a new instance, not yet initialised; the process enters
    multi-instance mode. ``JET_errRunningInOneInstanceMode`` after ``JetInit(NULL)``,
    ``JET_errTooManyInstances``, ``JET_errInstanceNameInUse`` (``System.new_instance``)."""
    with SYSTEM.lock:
        if SYSTEM.mode == MODE_ONE:
            raise_error(C.JET_errRunningInOneInstanceMode)  # ESE: jetapi.cxx ~21926
        SYSTEM.mode = MODE_MULTI
        try:
            inst = SYSTEM.new_instance(name, display)
        except BaseException:
            if not SYSTEM.instances:
                SYSTEM.mode = MODE_NONE
            raise
    return inst


def enable_multi_instance(settings: list[tuple[int, int, str | None]]) -> None:
    """JetEnableMultiInstance: set the global ``(paramid, lParam, szParam)`` settings and
    enter multi-instance mode; ``JET_errRunningInOneInstanceMode`` in one-instance mode."""
    with SYSTEM.lock:
        if SYSTEM.mode == MODE_ONE:
            raise_error(C.JET_errRunningInOneInstanceMode)
        for paramid, lparam, sz in settings:
            SYSTEM.set_global_param(paramid, lparam, sz)
        SYSTEM.mode = MODE_MULTI


def init_instance(handle: object, grbit: int,
                  rstmap: list[tuple[str | None, str | None]] | None = None,
                  stop: tuple[int, int, int] | None = None,
                  status: Callable[[int, int, int], None] | None = None,
                  control: Callable[[int, int, tuple[object, ...],
                                     tuple[int, bool, int, str] | None], int] | None = None,
                  ) -> None:
    """JetInit3: initialise the instance ``handle`` names, or with a nil handle make and
    initialise the implicit instance of one-instance mode
    (``JET_errRunningInMultiInstanceMode``, ``JET_errAlreadyInitialized``); then
    ``Instance.initialize``.

    ``rstmap`` (``(source, dest)`` pairs), ``stop`` (``(lGeneration, isec, ib)``) and
    ``status`` come from a ``JET_RSTINFO`` (ESE jetapi.cxx ErrInitComplete). The restore
    map is built first (rstmap.cxx ``ErrBuildRstmapForSoftRecovery``: more than 14 entries
    ``JET_errInvalidParameter``, an entry without a destination
    ``JET_errDatabaseInvalidName``), then recovery runs with them and the recovery grbits
    (``storage.log.recovery``). ``control(snt, errDefault, headers, log)`` answers ESE's
    ``JET_snpRecoveryControl`` notifications; it is used only with
    ``JET_bitExternalRecoveryControl`` (tm.cxx ``ErrRecoveryControlDefaultCallback``).
    A failure frees the instance, as any failed JetInit does."""
    inst = _instance_for_init(handle)
    if inst.initialized:
        inst.initialize(grbit)  # JET_errAlreadyInitialized, the instance keeps running
    try:
        record_stop = None
        if stop is not None and (stop[1], stop[2]) != (0, 0):
            # log.cxx FLGRecoveryLgposStopLogRecord: isec == ib == 0 stops no record
            record_stop = LGPOS(stop[0], stop[1] * SECTOR + stop[2])
        options = recovery_options(grbit, rstmap, record_stop, status, control)
        options.stop_generation = stop[0] if stop is not None else None
        _check_settings(inst, grbit)
        _check_stop(inst, stop)
    except BaseException:
        inst.system.free_instance(inst)
        raise
    with _options_lock:
        _recovery_options[inst.id] = options
    try:
        inst.initialize(grbit)
    finally:
        with _options_lock:
            _recovery_options.pop(inst.id, None)


def _check_settings(inst: Instance, grbit: int) -> None:
    """ESE tm.cxx ErrIsamInit's settings checks: JET_paramCleanupMismatchedLogFiles needs
    circular logging, and cannot go with JET_bitKeepDbAttachedAtEndOfRecovery
    (``JET_errInvalidSettings``)."""
    if inst.params.get(C.JET_paramCleanupMismatchedLogFiles):
        if not inst.params.get(C.JET_paramCircularLog):
            raise_error(C.JET_errInvalidSettings,
                        "JET_paramCleanupMismatchedLogFiles needs JET_paramCircularLog")
        if grbit & C.JET_bitKeepDbAttachedAtEndOfRecovery:
            raise_error(C.JET_errInvalidSettings, "JET_paramCleanupMismatchedLogFiles with "
                        "JET_bitKeepDbAttachedAtEndOfRecovery")


def _check_stop(inst: Instance, stop: tuple[int, int, int] | None) -> None:
    """ESE logredo.cxx ``ErrLGSoftStart``: a stop position (``FLGRecoveryLgposStop``) with
    generation 0, or with ``JET_paramDeleteOldLogs`` or ``JET_paramDeleteOutOfRangeLogs``
    set ("it would be hard to honor" them), is ``JET_errInvalidParameter``."""
    if stop is None:
        return
    if stop[0] == 0:
        raise_error(C.JET_errInvalidParameter, "lgposStop with lGeneration 0")
    if inst.params.get(C.JET_paramDeleteOldLogs) or \
            inst.params.get(C.JET_paramDeleteOutOfRangeLogs):
        raise_error(C.JET_errInvalidParameter, "lgposStop with JET_paramDeleteOldLogs or "
                    "JET_paramDeleteOutOfRangeLogs")


def recovery_options(grbit: int, rstmap: list[tuple[str | None, str | None]] | None,
                     stop: LGPOS | None,
                     status: Callable[[int, int, int], None] | None,
                     control: Callable[[int, int, tuple[object, ...],
                                        tuple[int, bool, int, str] | None], int] | None = None,
                     ) -> RecoveryOptions:
    """The ``RecoveryOptions`` of a JetInit3: its map (each destination's signature read
    now, as ESE ``ErrRstmapSoftCheckDBFiles`` does) and the recovery grbits.

    ``JET_bitExternalRecoveryControl`` hands ``control`` the recovery-control questions
    (tm.cxx ``ErrRecoveryControlDefaultCallback`` calls the user's callback for
    ``JET_snpRecoveryControl`` only with that bit); without it, or without a callback,
    ESE's default answers stand. ``JET_bitReplayIgnoreLogRecordsBeforeMinRequiredLog``
    needs no option: pyese's redo never replays into a database a record at or before
    the last position applied to it (``header.applied_lgpos``), which is at or past the
    generation ESE's ``lGenMinRequired`` names, so every record the bit tells ESE to skip
    (logredo.cxx ``FLGRICheckRedoConditionForAttachedDb``) is skipped already."""
    entries: list[RestoreMapEntry] = []
    if rstmap:
        if len(rstmap) > MAX_RSTMAP:
            raise_error(C.JET_errInvalidParameter, f"{len(rstmap)} JET_RSTMAP entries")
        for source, dest in rstmap:
            if not dest:
                raise_error(C.JET_errDatabaseInvalidName, "JET_RSTMAP without szNewDatabaseName")
            full = os.path.abspath(dest)
            entry = RestoreMapEntry(os.path.abspath(source) if source else full, full)
            try:
                read_map_signature(entry)
            except JetError:
                raise
            except OSError as exc:
                raise JetError.from_code(C.JET_errDatabaseCorrupted, f"{dest}: {exc}") from exc
            entries.append(entry)
    return RecoveryOptions(
        rstmap=entries,
        replay_missing_map_entry=bool(grbit & C.JET_bitReplayMissingMapEntryDB),
        stop=stop,
        without_undo=bool(grbit & C.JET_bitRecoveryWithoutUndo),
        ignore_lost_logs=bool(grbit & C.JET_bitReplayIgnoreLostLogs),
        log_stream_must_exist=bool(grbit & C.JET_bitLogStreamMustExist),
        status=status,
        control=control if grbit & C.JET_bitExternalRecoveryControl else None,
        truncate_logs=bool(grbit & C.JET_bitTruncateLogsAfterRecovery),
        infer_checkpoint=bool(grbit & C.JET_bitReplayInferCheckpointFromRstmapDbs))


def pending_recovery_options(instance_id: int) -> RecoveryOptions | None:
    """What the JetInit under way for instance ``instance_id`` asks of recovery."""
    with _options_lock:
        return _recovery_options.get(instance_id)


def _instance_for_init(handle: object) -> Instance:
    if handle is None or handle == INSTANCE_NIL or handle == 0:
        with SYSTEM.lock:
            if SYSTEM.mode == MODE_MULTI:
                raise_error(C.JET_errRunningInMultiInstanceMode)  # ESE: jetapi.cxx ~21389
            if SYSTEM.mode == MODE_ONE and SYSTEM.instances:
                raise_error(C.JET_errAlreadyInitialized)  # ESE: jetapi.cxx ~21395
            SYSTEM.mode = MODE_ONE
            try:
                return SYSTEM.new_instance(None, None)
            except BaseException:
                SYSTEM.mode = MODE_NONE
                raise
    return SYSTEM.find_instance(handle)


def term_instance(handle: object, grbit: int) -> None:
    """JetTerm2: ``JET_errNotInitialized`` for a handle that names no instance (ESE
    jetapi.cxx ErrTermComplete), else ``Instance.terminate``."""
    try:
        inst = SYSTEM.find_instance(handle)
    except Exception:
        raise_error(C.JET_errNotInitialized)
    inst.terminate(grbit)


def stop_service() -> None:
    """JetStopService: stop the one-instance-mode instance
    (``JET_errRunningInMultiInstanceMode`` in multi-instance mode)."""
    with SYSTEM.lock:
        if SYSTEM.mode == MODE_MULTI:
            raise_error(C.JET_errRunningInMultiInstanceMode)
    SYSTEM.find_instance(None).stop_service_instance(C.JET_bitStopServiceAll)


def stop_service_instance(handle: object, grbit: int) -> None:
    """JetStopServiceInstance2 on the instance ``handle`` names."""
    SYSTEM.find_instance(handle).stop_service_instance(grbit)


def instance_info() -> list[tuple[int, str | None, list[str]]]:
    """JetGetInstanceInfo: (id, name, attached database paths) of each running instance."""
    with SYSTEM.lock:
        instances = [i for i in SYSTEM.instances.values() if i.initialized]
    result = []
    for inst in instances:
        files: list[str] = []
        services = inst.services
        if services is not None:
            attached = services.parts.get("attached_paths")
            if callable(attached):
                files = list(attached())
        result.append((inst.id, inst.name, files))
    return result


def _param_target(handle: object, sesid: object) -> Instance | None:
    """Whose parameters a call means: the instance ``handle`` names, else the session's
    instance, else in one-instance mode the implicit instance; None: the global defaults."""
    if handle is not None and handle != 0 and handle != INSTANCE_NIL:
        return SYSTEM.find_instance(handle)
    if sesid is not None and sesid != 0:
        return SYSTEM.find_session(sesid).instance
    with SYSTEM.lock:
        if SYSTEM.mode == MODE_ONE and SYSTEM.instances:
            return next(iter(SYSTEM.instances.values()))
    return None


def set_system_parameter(handle: object, sesid: object, paramid: int, lparam: object,
                         szparam: str | None) -> None:
    """JetSetSystemParameter: on an instance (``Instance.set_param``) or the global
    defaults (``System.set_global_param``)."""
    inst = _param_target(handle, sesid)
    if inst is None:
        SYSTEM.set_global_param(paramid, lparam, szparam)
        return
    inst.set_param(paramid, lparam, szparam)


def get_system_parameter(handle: object, sesid: object, paramid: int) -> object:
    """JetGetSystemParameter: the value; ``JET_errInvalidParameter`` for an id ESE does not
    define. ``JET_paramTransactionLevel`` is the level of ``sesid`` (0 without one);
    computed parameters (``JET_paramKeyMost``, ``JET_paramLVChunkSizeMost``, ...) come
    from the page size (``params.computed_value``)."""
    d = definition(paramid)
    inst = _param_target(handle, sesid)
    if paramid == C.JET_paramTransactionLevel:
        return SYSTEM.find_session(sesid).level if sesid not in (None, 0) else 0
    page_size = inst.params.page_size if inst is not None else SYSTEM.params.page_size
    computed = computed_value(d, page_size)
    if computed is not None:
        return computed
    return inst.get_param(paramid) if inst is not None else SYSTEM.params.get(paramid)
