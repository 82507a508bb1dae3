"""The gate: the one place every session-based JET call enters and leaves through.

It applies ESE's checks in ESE's order (``jetapi.cxx`` APICALL_SESID::FEnter, ~4182):

0. the handle names a live session, else ``JET_errInvalidSesid``;
1. every instance is terminating (``terms in progress >= instances``): with no instance at
   all ``JET_errNotInitialized``, else ``JET_errTermInProgress`` (a process-wide test);
2. the instance's service was stopped and the call is not one of ESE's exemptions
   (``fIgnoreStopService``: JetRollback, JetGetSessionInfo, JetCloseTable, JetEndSession,
   JetCloseDatabase, JetDetachDatabase, JetResetSessionContext) ->
   ``JET_errClientRequestToStopJetService``;
3. the instance hit a fatal error -> ``JET_errInstanceUnavailable`` (or
   ``JET_errInstanceUnavailableDueToFatalLogDiskFull``); no call is exempt;
4. the instance is terminating -> ``JET_errTermInProgress``;
5. another thread is inside the API with this session -> ``JET_errSessionSharingViolation``
   at once (the atomic 0 -> 1 of the session's in-API count; nobody waits);
6. the instance started terminating meanwhile -> leave again, ``JET_errTermInProgress``.

Session entry does not look at restore or init state: sessions cannot exist then.
"""

from __future__ import annotations

from types import TracebackType

from pyese.engine.cursors import callbacks
from pyese.engine.instance.session import Session, find_session
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error


def _check_session_entry(session: Session, ignore_stop_service: bool) -> None:
    system = session.instance.system
    if system.terms_in_progress >= len(system.instances):
        if not system.instances:
            raise_error(C.JET_errNotInitialized)
        raise_error(C.JET_errTermInProgress)
    inst = session.instance
    if inst.stop_service and not ignore_stop_service:
        raise_error(C.JET_errClientRequestToStopJetService)
    if inst.unavailable_err is not None:
        raise_error(inst.unavailable_code())
    if inst.term_in_progress:
        raise_error(C.JET_errTermInProgress)


class SessionCall:
    """``with SessionCall(sesid) as session:`` -- one JET call of one session.

    Raises the gate's errors (see the module docstring) on entry; on exit the session is
    free again for any thread.
    """

    __slots__ = ("_sesid", "_ignore_stop", "_session")

    def __init__(self, sesid: object, *, ignore_stop_service: bool = False) -> None:
        self._sesid = sesid
        self._ignore_stop = ignore_stop_service
        self._session: Session | None = None

    def __enter__(self) -> Session:
        session = find_session(self._sesid)
        inst = session.instance
        system = inst.system
        # One test for the common case (nothing stopping, nothing terminating); the full
        # checks, in ESE's order, otherwise.
        if (system.terms_in_progress or not system.instances or inst.stop_service
                or inst.unavailable_err is not None or inst.term_in_progress):
            _check_session_entry(session, self._ignore_stop)
        if session.in_callback and callbacks.reentrant(session):
            return session  # ESE lets a callback call back in with its session
        if not session.try_enter():
            raise_error(C.JET_errSessionSharingViolation)  # ESE: jetapi.cxx ~4230
        if session.instance.term_in_progress:
            session.leave()
            raise_error(C.JET_errTermInProgress)
        if session.ended:
            session.leave()
            raise_error(C.JET_errInvalidSesid)
        self._session = session
        return session

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            self._session.leave()
            self._session = None


def session_call(sesid: object, *, ignore_stop_service: bool = False) -> SessionCall:
    """Enter the gate for a session-based call."""
    return SessionCall(sesid, ignore_stop_service=ignore_stop_service)
