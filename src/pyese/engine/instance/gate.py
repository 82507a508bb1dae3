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

from threading import get_ident
from types import TracebackType

from pyese.engine.cursors import callbacks
from pyese.engine.instance.instance import SYSTEM
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


class Reentered:
    """What the gate hands a callback calling back in with its own session: the session,
    entered already by the call the callback runs in; leaving it is that call's."""

    __slots__ = ("session",)

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> Session:
        return self.session

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


_SESSIONS = SYSTEM.sessions
"""The live sessions by handle (the dict ``System`` keeps; never replaced, only cleared)."""


def session_call(sesid: object, *, ignore_stop_service: bool = False) -> Session | Reentered:
    """Enter the gate for a session-based call: ``with session_call(sesid) as session:``.

    Raises the gate's errors (see the module docstring), in ESE's order, before the
    ``with`` block runs. What it returns is the session itself as the context manager
    (``Session.__exit__`` leaves the gate: the session is free again for any thread), so
    a call that enters and leaves makes no object of its own; a callback calling back in
    with its session (ESE lets it) gets a :class:`Reentered`, whose exit leaves nothing.
    """
    found = None
    if isinstance(sesid, int) and sesid.__class__ is not bool:
        found = _SESSIONS.get(sesid)  # the hot path: a live handle
    session = found if isinstance(found, Session) else find_session(sesid)
    inst = session.instance
    system = inst.system
    # One test for the common case (nothing stopping, nothing terminating); the full
    # checks, in ESE's order, otherwise.
    if (system.terms_in_progress or not system.instances or inst.stop_service
            or inst.unavailable_err is not None or inst.term_in_progress):
        _check_session_entry(session, ignore_stop_service)
    if session.in_callback and callbacks.reentrant(session):
        return Reentered(session)  # ESE lets a callback call back in with its session
    # Session.try_enter, inline: the atomic 0 -> 1 of the in-API count, never waiting
    if not session.api_lock.acquire(False):
        raise_error(C.JET_errSessionSharingViolation)  # ESE: jetapi.cxx ~4230
    session.in_api = 1
    session.api_thread = get_ident()
    if inst.term_in_progress:
        session.leave()
        raise_error(C.JET_errTermInProgress)
    if session.ended:
        session.leave()
        raise_error(C.JET_errInvalidSesid)
    return session
