"""Instances (ESE's INST) and the process-wide state they live in.

A process runs ESE in one of three modes (ESE ``jetapi.cxx`` ~2885): *no mode* until the
first call picks one; *one-instance* mode after ``JetInit(NULL)`` (legacy applications:
the handle is then ignored and the only instance is used); *multi-instance* mode after
``JetCreateInstance`` or ``JetEnableMultiInstance``. The mode returns to none when the last
instance is freed.

An instance moves through these states (``Instance.state``)::

    created --JetInit--> initialised --JetTerm--> terminating --> terminated (freed)
       |                    |   \\--JetStopServiceInstance--> stop-service requested
       |                    \\--fatal error (set_unavailable)--> unavailable
       \\--begin_restore--> restore in progress --end_restore--> created

Locks: ``SYSTEM.lock`` guards the instance table, the mode and the count of terms in
progress; each instance's ``lock`` guards its state flags and session table; the
instance's ``api_idle`` condition (on ``lock``) is signalled when the last API call of
one of its sessions leaves the gate, for ``JetTerm`` to wait on. Lock order: SYSTEM, then
instance, then session.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any, Protocol

from pyese.engine.instance.params import ParamSet, check_write_lock, coerce, definition
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error

MODE_NONE = "none"
MODE_ONE = "one-instance"
MODE_MULTI = "multi-instance"

API_FREE = "free"
API_INITIALIZING = "initializing"
API_TERMINATING = "terminating"
API_RESTORING = "restoring"

INSTANCE_NIL = 0xFFFFFFFFFFFFFFFF


class SessionEntry(Protocol):
    """What the instance and session tables need of a session (``session.Session`` is one).

    The tables hold sessions without importing their module: ``session`` builds on this one
    (a session belongs to an instance), so the dependency points one way only.
    """

    id: int
    instance: Instance
    procid: int
    in_api: int
    """Threads inside a JET call with this session (JetTerm waits for 0)."""
    level: int
    """Transaction level (a clean JetTerm refuses a session with an open transaction)."""
    trx_begin0: int
    """Snapshot of the level-0 transaction (the version store's oldest reader)."""

    def destroy(self, *, rollback: bool) -> None: ...


class System:
    """Process-wide ESE state: run mode, instance table, global parameters."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        # Guarded by self.lock:
        self.mode = MODE_NONE
        self.instances: dict[int, Instance] = {}
        self.terms_in_progress = 0
        self.params = ParamSet()
        self._ids = itertools.count(1)
        # Session handles are never reused, so a stale handle stays invalid.
        self.sessions: dict[int, SessionEntry] = {}
        self._sesids = itertools.count(0x1000)

    def next_instance_id(self) -> int:
        return next(self._ids)

    def next_sesid(self) -> int:
        return next(self._sesids)

    # -- lookup ---------------------------------------------------------------

    def find_instance(self, handle: object) -> Instance:
        """ESE's ErrFindPinst: the instance a handle names.

        In one-instance mode the handle is ignored and the only instance is used; in
        multi-instance mode a nil or unknown handle gives ``JET_errInvalidParameter``.
        With no instance at all: ``JET_errNotInitialized``.
        """
        with self.lock:
            if self.mode == MODE_ONE:
                for inst in self.instances.values():
                    return inst
                raise_error(C.JET_errNotInitialized)
            if not self.instances:
                raise_error(C.JET_errNotInitialized)
            key = _handle_value(handle)
            found = self.instances.get(key) if key is not None else None
            if found is None:
                raise_error(C.JET_errInvalidParameter, "not a live instance handle")
            return found

    def find_session(self, sesid: object) -> SessionEntry:
        """The live session a handle names; ``JET_errInvalidSesid`` otherwise.

        Callers that need the full session use ``session.find_session``.
        """
        key = _handle_value(sesid)
        if key is None or key == 0 or key == 0xFFFFFFFFFFFFFFFF:
            raise_error(C.JET_errInvalidSesid)
        session = self.sessions.get(key)
        if session is None:
            raise_error(C.JET_errInvalidSesid)
        return session

    # -- instance table -----------------------------------------------------------

    def new_instance(self, name: str | None, display_name: str | None) -> Instance:
        """ESE's ErrNewInst: add an instance to the table (caller holds the mode rules)."""
        with self.lock:
            cap = 1 if self.mode == MODE_ONE else int(self.params.get(C.JET_paramMaxInstances))
            if len(self.instances) >= cap:
                raise_error(C.JET_errTooManyInstances)
            for other in self.instances.values():
                # ESE: jetapi.cxx ErrNewInst; two unnamed instances collide as well.
                if other.name == name:
                    raise_error(C.JET_errInstanceNameInUse, repr(name))
            inst = Instance(self, self.next_instance_id(), name, display_name, self.params.copy())
            self.instances[inst.id] = inst
            return inst

    def free_instance(self, inst: Instance) -> None:
        with self.lock:
            self.instances.pop(inst.id, None)
            if not self.instances:
                self.mode = MODE_NONE

    def set_global_param(self, paramid: int, lParam: object, szParam: str | None,
                         instance_init: bool = False) -> None:
        """Set a parameter in the global set (and, for a global one, in every instance).

        ``JET_errAlreadyInitialized`` for a parameter ESE may not write after global init
        once a run mode is set (or after instance init when ``instance_init``), checked
        before the range as ESE's ``CJetParam::ValidateSet`` does;
        ``JET_errInvalidParameter`` for a value ESE refuses (``params.coerce``).
        """
        d = definition(paramid)
        with self.lock:
            check_write_lock(d, lParam, self.params.get(paramid),
                             global_init=self.mode != MODE_NONE, instance_init=instance_init)
            value = coerce(d, lParam, szParam)
            self.params.set(paramid, value)
            if d.is_global:
                for inst in self.instances.values():
                    inst.params.set(paramid, value)

    def reset_for_tests(self) -> None:
        """Forget every instance (tests only: a fresh process state)."""
        with self.lock:
            for inst in list(self.instances.values()):
                try:
                    inst.force_shutdown()
                except Exception:
                    pass
            self.instances.clear()
            self.sessions.clear()
            self.mode = MODE_NONE
            self.terms_in_progress = 0
            self.params = ParamSet()


def _handle_value(handle: object) -> int | None:
    if handle is None:
        return None
    if isinstance(handle, bool):
        return None
    if isinstance(handle, int):
        return int(handle)
    value = getattr(handle, "value", None)
    if isinstance(value, int):
        return value
    return None


class Instance:
    """One ESE instance: parameters, sessions, and (once initialised) its databases and log."""

    def __init__(
        self,
        system: System,
        instance_id: int,
        name: str | None,
        display_name: str | None,
        params: ParamSet,
    ) -> None:
        # Fixed after construction:
        self.system = system
        self.id = instance_id
        self.name = name
        self.display_name = display_name
        self.params = params
        self.lock = threading.RLock()
        self.api_idle = threading.Condition(self.lock)
        # Guarded by self.lock:
        self.initialized = False
        self.term_in_progress = False
        self.stop_service = False
        self.paused_bits = 0
        self.unavailable_err: int | None = None
        self.api_state = API_FREE
        self.sessions: dict[int, SessionEntry] = {}
        self.api_calls = 0
        """Instance-level API calls under way (JetBeginSession, ...): JetTerm waits for them."""
        self.trx_newest = 0
        """ESE's m_trxNewest: transaction ids are handed out from here (read-write begins add 4)."""
        self.services: InstanceServices | None = None

    # -- state --------------------------------------------------------------------

    @property
    def state(self) -> str:
        """A readable state name (see the module docstring)."""
        with self.lock:
            if self.api_state == API_RESTORING:
                return "restore in progress"
            if self.term_in_progress:
                return "terminating"
            if self.id not in self.system.instances:
                return "terminated"
            if self.unavailable_err is not None:
                return "unavailable"
            if not self.initialized:
                return "created"
            if self.stop_service:
                return "stop-service requested"
            return "initialised"

    def unavailable_code(self) -> int:
        """The code every call gets once the instance hit a fatal error (daedef.hxx ~5412)."""
        if self.unavailable_err == C.JET_errLogDiskFull:
            return C.JET_errInstanceUnavailableDueToFatalLogDiskFull
        return C.JET_errInstanceUnavailable

    def set_unavailable(self, err: int) -> None:
        """The fatal-error seam (ESE INST::SetInstanceUnavailable): keeps the first error."""
        with self.lock:
            if self.unavailable_err is None:
                self.unavailable_err = err

    def begin_restore(self) -> None:
        """The restore seam: lock the instance's API for a restore (instance must not be up)."""
        with self.lock:
            if self.initialized:
                raise_error(C.JET_errAlreadyInitialized)
            if self.api_state != API_FREE:
                raise_error(C.JET_errRestoreInProgress)
            self.api_state = API_RESTORING

    def end_restore(self) -> None:
        with self.lock:
            if self.api_state == API_RESTORING:
                self.api_state = API_FREE

    # -- parameters ---------------------------------------------------------------

    def set_param(self, paramid: int, lParam: object, szParam: str | None) -> None:
        """Set a parameter of this instance (ESE ErrAPIEnterWithoutInit then the table rules).

        Raises ``JET_errRestoreInProgress`` during a restore, ``JET_errInitInProgress``
        while JetInit runs, ``JET_errAlreadyInitialized`` for a new value of a parameter
        that instance init (or, for a global one, global init) locks, before the range check
        (``params.check_write_lock``); ``JET_errInvalidParameter`` for a value ESE refuses.
        """
        d = definition(paramid)
        with self.lock:
            self._check_param_entry()
            initialized = self.initialized
        if d.is_global:
            self.system.set_global_param(paramid, lParam, szParam, instance_init=initialized)
            return
        with self.lock:
            # ESE: jetapi.cxx CJetParam::ValidateSet, the locks before the range
            check_write_lock(d, lParam, self.params.get(paramid), global_init=False,
                             instance_init=initialized)
            value = coerce(d, lParam, szParam)
            self.params.set(paramid, value)

    def get_param(self, paramid: int) -> Any:
        definition(paramid)
        with self.lock:
            self._check_param_entry()
            return self.params.get(paramid)

    def _check_param_entry(self) -> None:
        if self.api_state == API_RESTORING:
            raise_error(C.JET_errRestoreInProgress)
        if self.api_state == API_INITIALIZING:
            raise_error(C.JET_errInitInProgress)

    # -- instance-level gate -------------------------------------------------------

    def enter(self) -> None:
        """ESE's APICALL_INST::FEnter / ErrAPIEnter for instance-level calls.

        Order (jetapi.cxx ~4421): stop-service -> ``JET_errClientRequestToStopJetService``;
        unavailable -> ``JET_errInstanceUnavailable`` (or ...DueToFatalLogDiskFull);
        API locked or not initialised -> ``JET_errTermInProgress``,
        ``JET_errRestoreInProgress``, ``JET_errNotInitialized`` in that precedence.
        """
        with self.lock:
            if self.stop_service:
                raise_error(C.JET_errClientRequestToStopJetService)
            if self.unavailable_err is not None:
                raise_error(self.unavailable_code())
            if self.term_in_progress or self.api_state == API_TERMINATING:
                raise_error(C.JET_errTermInProgress)
            if self.api_state == API_RESTORING:
                raise_error(C.JET_errRestoreInProgress)
            if not self.initialized or self.api_state == API_INITIALIZING:
                raise_error(C.JET_errNotInitialized)
            self.api_calls += 1

    def leave(self) -> None:
        with self.lock:
            self.api_calls -= 1
            if self.term_in_progress:
                self.api_idle.notify_all()

    # -- lifecycle ----------------------------------------------------------------

    def initialize(self, grbit: int) -> None:
        """JetInit's work (ESE ErrInitComplete): start services; on failure free the instance.

        Raises ``JET_errAlreadyInitialized`` if already up (the instance keeps running),
        ``JET_errRestoreInProgress`` during a restore; other failures free the instance.
        """
        with self.lock:
            if self.api_state == API_RESTORING:
                raise_error(C.JET_errRestoreInProgress)
            if self.initialized or self.api_state == API_INITIALIZING:
                # ESE: jetapi.cxx ErrAPIEnterForInit ~4468
                raise_error(C.JET_errAlreadyInitialized)
            self.api_state = API_INITIALIZING
        try:
            services = InstanceServices.start(self, grbit)
        except BaseException as exc:
            with self.lock:
                self.api_state = API_FREE
            # ESE: jetapi.cxx ~21506, a failed init frees the instance.
            self.system.free_instance(self)
            if isinstance(exc, JetError):
                raise
            raise JetError.from_code(C.JET_errInternalError, f"init failed: {exc!r}") from exc
        with self.lock:
            self.services = services
            self.initialized = True
            self.stop_service = False
            self.paused_bits = 0
            self.api_state = API_FREE

    def terminate(self, grbit: int) -> None:
        """JetTerm2's work (ESE ErrTermComplete / ErrIsamTerm / ErrINSTTerm).

        Waits until no session of the instance is inside an API call, then: with sessions
        still in a transaction (and not ``JET_bitTermDirty`` nor unavailable)
        ``JET_errTooManyActiveUsers`` and the instance keeps running; otherwise ends every
        session, shuts the services down (cleanly, or dirty with ``JET_bitTermDirty`` /
        after a fatal error), frees the instance, and with ``JET_bitTermDirty`` raises
        ``JET_errDirtyShutdown`` after doing so.
        """
        system = self.system
        with self.lock:
            if self.api_state == API_RESTORING:
                raise_error(C.JET_errRestoreInProgress)
            if not self.initialized:
                # ESE: jetapi.cxx ~20868, a created-but-never-initialised instance is just freed.
                system.free_instance(self)
                return
        services = self.services
        if services is not None:
            for check in InstanceServices.on_term_check:
                check(self, services, grbit)
        with system.lock:
            system.terms_in_progress += 1
        try:
            with self.lock:
                self.term_in_progress = True
                while self.api_calls > 0 or any(s.in_api > 0 for s in self.sessions.values()):
                    self.api_idle.wait()
                dirty = bool(grbit & C.JET_bitTermDirty) or self.unavailable_err is not None
                if not dirty:
                    busy = [s for s in self.sessions.values() if s.level > 0]
                    if busy:
                        # ESE: tm.cxx ErrIsamTerm maps JET_bitTermAbrupt to termtypeNoCleanUp and
                        # sysinit.cxx INST::ErrINSTTerm refuses CleanUp and NoCleanUp alike
                        # while TrxOldest != trxMax (Abrupt too, despite the docs), before
                        # its no-return point: the instance keeps running.
                        self.term_in_progress = False
                        raise_error(C.JET_errTooManyActiveUsers)
                self.api_state = API_TERMINATING
                sessions = list(self.sessions.values())
            for session in sessions:
                session.destroy(rollback=not dirty)
            services = self.services
            self.services = None
            if services is not None:
                services.stop(dirty=dirty)
            with self.lock:
                self.initialized = False
                self.api_state = API_FREE
                self.term_in_progress = False
                self.api_idle.notify_all()
            system.free_instance(self)
        finally:
            with system.lock:
                system.terms_in_progress -= 1
        if grbit & C.JET_bitTermDirty:
            raise_error(C.JET_errDirtyShutdown)

    def force_shutdown(self) -> None:
        """Drop everything without checks (test reset and interpreter exit)."""
        with self.lock:
            sessions = list(self.sessions.values())
        for session in sessions:
            session.destroy(rollback=False)
        services = self.services
        self.services = None
        if services is not None:
            services.stop(dirty=True)
        with self.lock:
            self.initialized = False

    def stop_service_instance(self, grbit: int) -> None:
        """JetStopServiceInstance2's work (no API gate; jetapi.cxx ~22278-22610).

        ``JET_bitStopServiceAll`` (0) stops the instance's service: later calls get
        ``JET_errClientRequestToStopJetService`` except ESE's exemptions.
        ``BackgroundUserTasks`` / ``QuiesceCaches`` only pause background work; ``Resume``
        undoes a pause, and after a full stop gives ``JET_errClientRequestToStopJetService``.
        Unknown bits: ``JET_errInvalidGrbit``.
        """
        known = (
            C.JET_bitStopServiceBackgroundUserTasks
            | C.JET_bitStopServiceQuiesceCaches
            | C.JET_bitStopServiceStopAndEmitLog
            | C.JET_bitStopServiceResume
        )
        if grbit & ~known & 0xFFFFFFFF:
            raise_error(C.JET_errInvalidGrbit)
        with self.lock:
            if not self.initialized:
                raise_error(C.JET_errNotInitialized)
            if grbit & C.JET_bitStopServiceResume:
                if self.stop_service:
                    raise_error(C.JET_errClientRequestToStopJetService)
                self.paused_bits &= ~(grbit & ~C.JET_bitStopServiceResume)
                if grbit == C.JET_bitStopServiceResume:
                    self.paused_bits = 0
                return
            pause = grbit & (
                C.JET_bitStopServiceBackgroundUserTasks | C.JET_bitStopServiceQuiesceCaches
            )
            if grbit == C.JET_bitStopServiceAll or grbit & C.JET_bitStopServiceStopAndEmitLog:
                self.stop_service = True
                self.paused_bits |= (
                    C.JET_bitStopServiceBackgroundUserTasks | C.JET_bitStopServiceQuiesceCaches
                )
            else:
                self.paused_bits |= pause

    # -- sessions -----------------------------------------------------------------

    def register_session(self, session: SessionEntry) -> None:
        """Add a session; ``JET_errOutOfSessions`` past ``JET_paramMaxSessions``."""
        with self.lock:
            if len(self.sessions) >= self.params.max_sessions:
                # ESE: pib.cxx ErrPIBBeginSession ~698
                raise_error(C.JET_errOutOfSessions)
            used = {s.procid for s in self.sessions.values()}
            procid = 1
            while procid in used:
                procid += 1
            session.procid = procid
            self.sessions[session.id] = session
            with self.system.lock:
                self.system.sessions[session.id] = session

    def unregister_session(self, session: SessionEntry) -> None:
        with self.lock:
            self.sessions.pop(session.id, None)
            with self.system.lock:
                self.system.sessions.pop(session.id, None)

    def new_trx_begin0(self, read_only: bool) -> int:
        """ESE PIBSetTrxBegin0: read-write begins draw a new id (+4), read-only ones peek (+2)."""
        with self.lock:
            if read_only:
                return self.trx_newest + 2
            self.trx_newest += 4
            return self.trx_newest


class InstanceServices:
    """What an initialised instance runs: today its engine-wide hooks; storage plugs in here.

    ``on_start`` / ``on_stop`` hooks let later layers (log, recovery, attached databases)
    attach to an instance's lifecycle without the lifecycle code knowing them.
    """

    on_start: list[Callable[[Instance, InstanceServices, int], None]] = []
    on_stop: list[Callable[[Instance, InstanceServices, bool], None]] = []
    on_term_check: list[Callable[[Instance, InstanceServices, int], None]] = []
    """Run by JetTerm2 before it terminates; a hook may refuse (raise) or wind work down
    (a running backup: ``engine.backup``)."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.parts: dict[str, object] = {}

    @classmethod
    def start(cls, instance: Instance, grbit: int) -> InstanceServices:
        """Run every ``on_start`` hook; if one fails, run the ``on_stop`` hooks (dirty) so
        that what the earlier hooks opened is closed, then re-raise. Stop hooks must
        therefore tolerate services that never started (look in ``parts``)."""
        services = cls(instance)
        try:
            for hook in cls.on_start:
                hook(instance, services, grbit)
        except BaseException:
            try:
                services.stop(dirty=True)
            except Exception:  # noqa: BLE001 - the start failure is the one to report
                pass
            raise
        return services

    def stop(self, *, dirty: bool) -> None:
        for hook in reversed(self.on_stop):
            hook(self.instance, self, dirty)


SYSTEM = System()
"""The process's ESE state (ESE keeps the same in globals)."""
