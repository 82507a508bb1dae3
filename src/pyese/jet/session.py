"""JET functions for sessions, session contexts and transactions.

Each function enters the gate (``pyese.engine.instance.gate``), which applies ESE's checks in
ESE's order, then calls one method of the session. The calls that ESE lets through after
``JetStopServiceInstance`` (``fIgnoreStopService``) say so in their docstrings.
"""

from __future__ import annotations

from typing import Any

from pyese.engine.instance.gate import session_call
from pyese.engine.instance.instance import SYSTEM
from pyese.engine.instance.logservice import commit_id
from pyese.engine.instance.session import Session
from pyese.jet import _args
from pyese.jet.handles import JET_INSTANCE, JET_SESID
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error


def JetBeginSession(
    instance: JET_INSTANCE | int | None, szUserName: str = "", szPassword: str = ""
) -> JET_SESID:
    """Start a session on an initialised instance (user name and password are ignored, as in ESE).

    Raises the instance gate's errors (``JET_errNotInitialized`` for a created but not
    initialised instance, ``JET_errClientRequestToStopJetService``,
    ``JET_errInstanceUnavailable``, ``JET_errTermInProgress``, ``JET_errRestoreInProgress``,
    ``JET_errInvalidParameter`` for a bad handle in multi-instance mode) and
    ``JET_errOutOfSessions`` past ``JET_paramMaxSessions``.
    """
    inst = SYSTEM.find_instance(instance)
    inst.enter()
    try:
        session = Session(inst)
        inst.register_session(session)
    finally:
        inst.leave()
    return JET_SESID(session.id)


def JetDupSession(sesid: JET_SESID | int) -> JET_SESID:
    """Begin a new, independent session on the same instance (nothing is copied)."""
    with session_call(sesid) as session:
        inst = session.instance
        new = Session(inst)
        inst.register_session(new)
    return JET_SESID(new.id)


def JetEndSession(sesid: JET_SESID | int, grbit: int = 0) -> None:
    """End a session: roll back its transaction, close its databases and cursors, free it.

    Allowed after ``JetStopServiceInstance``. ``JET_errSessionInUse`` while a session
    context is set (reset it first, even from the thread that set it); with a transaction
    begun in thread mode, ``JET_errSessionSharingViolation`` from another thread. On an
    error the session stays usable. ``grbit`` is not checked, as in ESE.
    """
    with session_call(sesid, ignore_stop_service=True) as session:
        session.end()


def JetGetSessionInfo(sesid: JET_SESID | int, ulInfoLevel: int = C.JET_SessionInfo):
    """The session's transaction state as a ``JET_SESSIONINFO``-shaped structure.

    Allowed after ``JetStopServiceInstance``. Only ``JET_SessionInfo`` (0) is supported;
    another level gives ``JET_errInvalidParameter`` (ESE tm.cxx ErrIsamGetSessionInfo).
    """
    from pyese.jet.structs import JET_SESSIONINFO

    level = _args.integer(ulInfoLevel, "ulInfoLevel")
    with session_call(sesid, ignore_stop_service=True) as session:
        if level != C.JET_SessionInfo:
            raise_error(C.JET_errInvalidParameter, "only JET_SessionInfo is supported")
        return JET_SESSIONINFO(**session.info())


def JetGetSessionParameter(sesid: JET_SESID | int, sesparamid: int) -> Any:
    """A session parameter (ESE tm.cxx ErrIsamGetSessionParameter): ``JET_sesparamTransactionLevel``
    (the level), ``JET_sesparamCommitDefault`` (grbits), and the values
    ``JetSetSessionParameter`` keeps (ints, str, bytes; their defaults before a set).
    ``JET_sesparamOperationContext`` is a ``JET_OPERATIONCONTEXT`` (zeros before a set),
    ``JET_sesparamCachePriority`` the session's percentage (the instance's
    ``JET_paramCachePriority`` until set), ``JET_sesparamIOPriority`` the grbit set.
    Errors: ``JET_errInvalidSesparamId`` for an id ESE does not know."""
    pid = _args.integer(sesparamid, "sesparamid")
    with session_call(sesid) as session:
        value = session.get_parameter(pid)
    if pid == C.JET_sesparamOperationContext:
        from pyese.jet.structs import JET_OPERATIONCONTEXT
        user, op, optype, client, flags = value
        return JET_OPERATIONCONTEXT(ulUserID=user, nOperationID=op, nOperationType=optype,
                                    nClientType=client, fFlags=flags)
    return value


def JetSetSessionParameter(sesid: JET_SESID | int, sesparamid: int, value: Any) -> None:
    """Set a session parameter (ESE tm.cxx ErrIsamSetSessionParameter).
    ``JET_sesparamCommitDefault`` takes any 32-bit grbit (``JET_bitCommitLazyFlush`` makes
    the session's commits lazy);
    ``JET_sesparamCorrelationID`` / ``IOSessTraceFlags`` /
    ``CommitContextContainsCustomerData`` a 32-bit int; ``JET_sesparamClientComponentDesc``
    / ``ClientActionDesc`` / ``ClientActionContextDesc`` a str;
    ``JET_sesparamClientActivityId`` 16 bytes; ``JET_sesparamCommitGenericContext`` bytes;
    ``JET_sesparamOperationContext`` a ``JET_OPERATIONCONTEXT`` (or its 8 bytes);
    ``JET_sesparamCachePriority`` a percentage 0..1000 (``JET_errInvalidParameter``
    beyond); ``JET_sesparamIOPriority`` ``JET_IOPriority*`` bits (``JET_errInvalidGrbit``
    for others). Errors: ``JET_errFeatureNotAvailable`` for
    ``JET_sesparamTransactionLevel`` (read-only), ``JET_errInvalidSesparamId`` for an
    unknown id, ``JET_errInvalidParameter`` for a value of the wrong type,
    ``JET_errInvalidBufferSize`` for one of the wrong size."""
    pid = _args.integer(sesparamid, "sesparamid")
    if pid == C.JET_sesparamOperationContext and type(value).__name__ == "JET_OPERATIONCONTEXT":
        value = (value.ulUserID, value.nOperationID, value.nOperationType,
                 value.nClientType, value.fFlags)
    with session_call(sesid) as session:
        session.set_parameter(pid, value)


def JetSetSessionContext(sesid: JET_SESID | int, ulContext: int) -> None:
    """Bind the session to a context so a transaction can move between threads.

    ``JET_errInvalidParameter`` for 0 or -1 (all ones); ``JET_errSessionContextAlreadySet``
    if a context is set (so of N threads racing, exactly one wins); blocked after
    ``JetStopServiceInstance``. The context must be set *before* the level-0 begin for the
    transaction to follow it. A failed call changes nothing.
    """
    if ulContext.__class__ is int and ulContext > 0:
        ctx = ulContext  # the common case, one test
    else:
        ctx = _args.integer(ulContext, "ulContext")
        if ctx < 0:  # -1 (and any negative) as the unsigned 64-bit value ESE takes
            ctx &= 0xFFFFFFFFFFFFFFFF
    with session_call(sesid) as session:
        session.set_context(ctx)


def JetResetSessionContext(sesid: JET_SESID | int) -> None:
    """Clear the session context; only the thread that set it may.

    ``JET_errSessionContextNotSetByThisThread`` otherwise (or when none is set). Allowed
    after ``JetStopServiceInstance``.
    """
    with session_call(sesid, ignore_stop_service=True) as session:
        session.reset_context()


def JetBeginTransaction(sesid: JET_SESID | int) -> None:
    """Begin a transaction (level + 1, at most 7: ``JET_errTransTooDeep`` beyond).

    The level-0 begin takes the snapshot and binds the transaction to the session context
    if one is set, else to the calling thread; a nested begin from elsewhere gives
    ``JET_errSessionSharingViolation``.
    """
    JetBeginTransaction3(sesid, 0, 0)


def JetBeginTransaction2(sesid: JET_SESID | int, grbit: int = 0) -> None:
    """``JetBeginTransaction`` with ``JET_bitTransactionReadOnly`` (other bits are ignored)."""
    JetBeginTransaction3(sesid, 0, grbit)


def JetBeginTransaction3(sesid: JET_SESID | int, trxid: int = 0, grbit: int = 0) -> None:
    """``JetBeginTransaction2`` with a 64-bit transaction id, used by ESE only for tracing."""
    g = _args.grbit(grbit)
    _args.integer(trxid, "trxid")
    with session_call(sesid) as session:
        session.begin_transaction(g)


def JetCommitTransaction(sesid: JET_SESID | int, grbit: int = 0) -> None:
    """Commit the innermost level; a level-0 commit is durable unless lazy.

    Grbits: ``JET_bitCommitLazyFlush``; alone and also at level 0:
    ``JET_bitWaitLastLevel0Commit``, ``JET_bitWaitAllLevel0Commit``, ``JET_bitForceNewLog``.
    Errors in ESE's order: ``JET_errInvalidGrbit``, ``JET_errNotInTransaction``,
    ``JET_errMustRollback``, ``JET_errSessionSharingViolation`` (wrong thread or context).
    """
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        session.commit_transaction(g, 0)  # JetCommitTransaction2's checks; no commit id


def JetCommitTransaction2(sesid: JET_SESID | int, grbit: int = 0, cmsecDurableCommit: int = 0):
    """``JetCommitTransaction`` returning the ``JET_COMMIT_ID`` of a logged level-0 commit
    (else None); a non-lazy commit with ``cmsecDurableCommit`` > 0 gives
    ``JET_errInvalidParameter``."""
    g = _args.grbit(grbit)
    cmsec = _args.integer(cmsecDurableCommit, "cmsecDurableCommit")
    with session_call(sesid) as session:
        lgpos = session.commit_transaction(g, cmsec)
        return None if lgpos is None else _commit_id(session, lgpos)


def _commit_id(session: Session, lgpos: object):
    from pyese.jet.structs import JET_COMMIT_ID

    value, signature = commit_id(session.instance, lgpos)
    commit = JET_COMMIT_ID(reserved=0, commitId=value)
    if signature is not None:
        commit.signLog = signature  # type: ignore[assignment]
    return commit


def JetRollback(sesid: JET_SESID | int, grbit: int = 0) -> None:
    """Undo the innermost level (all levels with ``JET_bitRollbackAll``).

    Allowed after ``JetStopServiceInstance``. ``JET_errInvalidGrbit``,
    ``JET_errNotInTransaction`` at level 0, ``JET_errSessionSharingViolation`` from the
    wrong thread or context (cursors opened in the level are closed first, as in ESE).
    """
    g = _args.grbit(grbit)
    with session_call(sesid, ignore_stop_service=True) as session:
        session.rollback(g)


__all__ = [
    "JetBeginSession",
    "JetDupSession",
    "JetEndSession",
    "JetGetSessionInfo",
    "JetGetSessionParameter",
    "JetSetSessionParameter",
    "JetSetSessionContext",
    "JetResetSessionContext",
    "JetBeginTransaction",
    "JetBeginTransaction2",
    "JetBeginTransaction3",
    "JetCommitTransaction",
    "JetCommitTransaction2",
    "JetRollback",
]
