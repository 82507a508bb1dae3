"""OS snapshot backups (ESE's VSS support, ``io.cxx`` ~3310-4080): freeze the files of one
or more instances so that an outside copier (a volume snapshot, ``cp``) sees them stable.

One session per ``JET_OSSNAPID``::

    prepare --Freeze--> freeze --Thaw--> thaw (only with JET_bitContinueAfterThaw;
       |                  |                    otherwise the session ends at Thaw)
       |                  \\--timeout--> timeout --Thaw--> JET_errOSSnapshotTimeOut, ended
       \\--End/Abort (from any state; from freeze it thaws first)--> ended

Freeze stops, for every instance of the session, the log writer's flushes and the
applier's batches and checkpoint writes, after the ones under way finish
(``LogWriter.freeze``, ``Applier.freeze``): from then on no pyese write reaches a log,
database or checkpoint file. Commits do not fail: a durable commit waits for its flush,
which waits for the thaw. ``JET_paramOSSnapshotTimeout`` (ms, default 70,000) bounds a
freeze: when it passes, the instances are thawed and the session turns to *timeout*, so
that its Thaw fails with ``JET_errOSSnapshotTimeOut``.

Errors, as ESE's: a grbit outside the call's bits -> ``JET_errInvalidGrbit``; an unknown or
ended id -> ``JET_errOSSnapshotInvalidSnapId``; a call in the wrong state ->
``JET_errOSSnapshotInvalidSequence``; an instance already in a snapshot or running a
streaming backup -> ``JET_errOSSnapshotNotAllowed``; no running instance ->
``JET_errNotInitialized``.

Locks: ``_LOCK`` guards ``_SESSIONS`` and every session's fields.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from pyese.engine.instance.instance import SYSTEM, Instance
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

PREPARE, FREEZE, THAW, TIMEOUT = "prepare", "freeze", "thaw", "timeout"
PREPARE_GRBITS = (C.JET_bitIncrementalSnapshot | C.JET_bitCopySnapshot
                  | C.JET_bitContinueAfterThaw | C.JET_bitExplicitPrepare)

_LOCK = threading.RLock()
_SESSIONS: dict[int, Session] = {}
_ids = itertools.count(1)


@dataclass
class Session:
    id: int
    grbit: int
    state: str = PREPARE
    instances: list[Instance] = field(default_factory=list)
    timer: threading.Timer | None = None
    frozen_at: dict[int, tuple[int, int]] = field(default_factory=dict)
    """instance id -> (checkpoint generation, current generation) at the freeze."""
    truncated: bool = False


def _session(snap_id: int) -> Session:
    s = _SESSIONS.get(snap_id)
    if s is None:
        raise_error(C.JET_errOSSnapshotInvalidSnapId)
    return s


def _in_snapshot(inst: Instance) -> bool:
    return any(inst in s.instances for s in _SESSIONS.values())


def _check_allowed(inst: Instance) -> None:
    from pyese.engine.backup.streaming import running_backup

    with inst.lock:
        ok = inst.initialized and not inst.term_in_progress
    if not ok or _in_snapshot(inst) or running_backup(inst) is not None:
        raise_error(C.JET_errOSSnapshotNotAllowed)


def prepare(grbit: int) -> int:
    """JetOSSnapshotPrepare: a new session; without ExplicitPrepare, every running instance."""
    if grbit & ~PREPARE_GRBITS:
        raise_error(C.JET_errInvalidGrbit)
    with SYSTEM.lock:
        running = [i for i in SYSTEM.instances.values() if i.initialized]
    if not running:
        raise_error(C.JET_errNotInitialized)
    with _LOCK:
        s = Session(next(_ids), grbit)
        if not grbit & C.JET_bitExplicitPrepare:
            for inst in running:
                _check_allowed(inst)
            s.instances = running
        _SESSIONS[s.id] = s
        return s.id


def prepare_instance(snap_id: int, inst: Instance, grbit: int) -> None:
    """JetOSSnapshotPrepareInstance."""
    if grbit:
        raise_error(C.JET_errInvalidGrbit)
    with _LOCK:
        s = _session(snap_id)
        if s.state != PREPARE:
            raise_error(C.JET_errOSSnapshotInvalidSequence)
        _check_allowed(inst)
        s.instances.append(inst)


def _storage(inst: Instance) -> Any:
    services = inst.services
    return services.parts.get("storage") if services is not None else None


def _freeze_instance(inst: Instance) -> tuple[int, int]:
    st = _storage(inst)
    if st is None or st.log is None:
        return 0, 0
    st.log.freeze()
    if st.applier is not None:
        st.applier.freeze()
    ck = st.applier.checkpoint_lgpos if st.applier is not None else None
    cur = st.log.flushed_lgpos.generation
    return (ck.generation if ck is not None else cur), cur


def _thaw_instance(inst: Instance) -> None:
    st = _storage(inst)
    if st is None or st.log is None:
        return
    if st.applier is not None:
        st.applier.thaw()
    st.log.thaw()


def freeze(snap_id: int, grbit: int) -> list[Instance]:
    """JetOSSnapshotFreeze: the instances frozen."""
    if grbit:
        raise_error(C.JET_errInvalidGrbit)
    with _LOCK:
        s = _session(snap_id)
        if s.state != PREPARE:
            raise_error(C.JET_errOSSnapshotInvalidSequence)
        done: list[Instance] = []
        try:
            for inst in s.instances:
                s.frozen_at[inst.id] = _freeze_instance(inst)
                done.append(inst)
        except BaseException:
            for inst in done:
                _thaw_instance(inst)
            raise
        s.state = FREEZE
        timeout_ms = int(SYSTEM.params.get(C.JET_paramOSSnapshotTimeout))
        s.timer = threading.Timer(timeout_ms / 1000.0, _on_timeout, (s,))
        s.timer.daemon = True
        s.timer.start()
        return list(s.instances)


def _on_timeout(s: Session) -> None:
    with _LOCK:
        if s.state != FREEZE:
            return
        for inst in s.instances:
            _thaw_instance(inst)
        s.state = TIMEOUT


def _stop_timer(s: Session) -> None:
    if s.timer is not None:
        s.timer.cancel()
        s.timer = None


def thaw(snap_id: int, grbit: int) -> None:
    """JetOSSnapshotThaw."""
    if grbit:
        raise_error(C.JET_errInvalidGrbit)
    with _LOCK:
        s = _session(snap_id)
        if s.state == TIMEOUT:
            _SESSIONS.pop(snap_id, None)
            raise_error(C.JET_errOSSnapshotTimeOut)
        if s.state != FREEZE:
            raise_error(C.JET_errOSSnapshotInvalidSequence)
        _stop_timer(s)
        for inst in s.instances:
            _thaw_instance(inst)
        s.state = THAW
        if not s.grbit & C.JET_bitContinueAfterThaw:
            _end(s, abort=False)


def get_freeze_info(snap_id: int, grbit: int) -> list[Instance]:
    """JetOSSnapshotGetFreezeInfo: the instances of the session."""
    if grbit:
        raise_error(C.JET_errInvalidGrbit)
    with _LOCK:
        s = _session(snap_id)
        return list(s.instances)


def truncate_log(snap_id: int, inst: Instance | None, grbit: int) -> None:
    """JetOSSnapshotTruncateLog(Instance): after Thaw, delete the logs the checkpoint no
    longer needs (every instance of the session, or ``inst``)."""
    from pyese.engine.backup.filebackup import truncate_only

    if grbit & ~C.JET_bitAllDatabasesSnapshot:
        raise_error(C.JET_errInvalidGrbit)
    with _LOCK:
        s = _session(snap_id)
        if s.state != THAW or s.grbit & C.JET_bitCopySnapshot:
            raise_error(C.JET_errOSSnapshotInvalidSequence)
        if inst is not None and inst not in s.instances:
            raise_error(C.JET_errOSSnapshotInvalidSequence)
        for i in [inst] if inst is not None else s.instances:
            truncate_only(i)
        s.truncated = True


def end(snap_id: int, grbit: int) -> None:
    """JetOSSnapshotEnd (``JET_bitAbortSnapshot``: JetOSSnapshotAbort)."""
    if grbit & ~C.JET_bitAbortSnapshot:
        raise_error(C.JET_errInvalidGrbit)
    with _LOCK:
        s = _session(snap_id)
        _end(s, abort=bool(grbit & C.JET_bitAbortSnapshot) or s.state != THAW)


def _end(s: Session, *, abort: bool) -> None:
    _stop_timer(s)
    if s.state == FREEZE:
        for inst in s.instances:
            _thaw_instance(inst)
    if not abort:
        _record(s)
    _SESSIONS.pop(s.id, None)


def _record(s: Session) -> None:
    """A normal end after Thaw records the snapshot in the database headers
    (ESE ``io`` ~3900: the snapshot's backup info)."""
    from pyese.engine.backup.streaming import filetime_now
    from pyese.storage.backup import bkinfo as BK

    truncated = s.truncated
    incremental = bool(s.grbit & C.JET_bitIncrementalSnapshot)
    if s.grbit & C.JET_bitCopySnapshot:
        truncated = False
    for inst in s.instances:
        st = _storage(inst)
        if st is None or st.log is None:
            continue
        lo, hi = s.frozen_at.get(inst.id, (0, 0))
        if not lo:
            continue
        info = BK.BkInfo(st.log.flushed_lgpos, filetime_now(), lo, hi)
        with st.databases.lock:
            dbs = [d for d in st.databases.by_dbnum.values() if not d.read_only and not d.genuine]
        for db in dbs:
            fields = BK.read_fields(db.file)
            new = BK.record_backup(fields, info, logs_only=incremental, truncated=truncated)
            if new != fields:
                BK.write_fields(db.file, new)


def _term_check(instance: Instance, services: Any, grbit: int) -> None:
    """JetTerm of an instance in a snapshot session: the session is aborted (thawed)."""
    with _LOCK:
        for s in list(_SESSIONS.values()):
            if instance in s.instances:
                _end(s, abort=True)


def register() -> None:
    from pyese.engine.instance.instance import InstanceServices

    if _term_check not in InstanceServices.on_term_check:
        InstanceServices.on_term_check.append(_term_check)


register()
