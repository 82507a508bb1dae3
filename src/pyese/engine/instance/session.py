"""Sessions (ESE's PIB): the thread model, session contexts and transaction levels.

ESE binds a *transaction* to one thread, not a session. What a session carries:

- ``in_api``: how many threads are inside a JET call with it. The gate raises it from 0
  to 1 atomically; a second thread finds 1 and gets ``JET_errSessionSharingViolation`` at
  once (it never waits). ESE: ``jetapi.cxx`` APICALL_SESID::FEnter.
- ``context`` / ``context_thread``: the session context of ``JetSetSessionContext``, set by
  an atomic compare-and-swap from "none" (so of N racing threads exactly one wins) and
  reset only by the thread that set it. ESE: ``pib.hxx`` PIB::ErrSetSessionContext,
  ErrResetSessionContext.
- ``level`` (0..7) and the *transaction context* fixed by the level-0 begin: the session
  context if one is set then ("context model"), else the calling thread ("thread model").
  Nested begin, commit and rollback check it (``pib.hxx`` FPIBCheckTrxContext) and fail
  with ``JET_errSessionSharingViolation`` from anywhere else::

      thread A: SetSessionContext(X)  Begin  ResetSessionContext
      thread B:                                              SetSessionContext(X)  Commit  Reset
                                                             (allowed: context X, set by B)

The context is read and written only inside the gate, by the one thread holding
``api_lock``, so its check-then-act steps (ESE's compare-and-swaps) are atomic under real
threads, not only under the GIL; ``self.lock`` (never held across a JET call's work) also
guards the transaction context. ``JetSetSessionContext`` / ``JetResetSessionContext``,
which the Pythonic layer makes around every write, rely on the gate alone.

Transaction work (versions, logging) is done by the instance's transaction observers
(``TransactionObserver``), which later layers register; the session only keeps the
levels, the contexts and ESE's checks, in ESE's order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol

from pyese.engine.instance.instance import SYSTEM, Instance
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error

LEVEL_USER_MOST = 7
"""Deepest transaction level a user may open (ESE ``daeconst.hxx`` levelUserMost)."""

CONTEXT_NULL = 0
CONTEXT_UNUSABLE = 0xFFFFFFFFFFFFFFFF
"""ESE's dwPIBSessionContextUnusable (~0): set while the session is being ended."""

TRX_MAX = 0xFFFFFFFFFFFFFFFF
"""trxBegin0 outside a transaction: every committed change is visible."""

COMMIT_GRBITS = (
    C.JET_bitCommitLazyFlush
    | C.JET_bitWaitLastLevel0Commit
    | C.JET_bitWaitAllLevel0Commit
    | C.JET_bitForceNewLog
    | C.JET_bitCommitRedoCallback
)
COMMIT_ALONE = (C.JET_bitWaitLastLevel0Commit, C.JET_bitWaitAllLevel0Commit, C.JET_bitForceNewLog)


class TransactionObserver(Protocol):
    """What a layer that keeps transactional state implements (the version store, the log).

    ``commit`` returns the log position of a logged level-0 commit, or None.
    """

    def on_begin(self, session: Session, level: int) -> None: ...

    def on_commit(self, session: Session, level: int, lazy: bool) -> object | None: ...

    def on_rollback(self, session: Session, level: int) -> None: ...

    def wait_commit(self, session: Session, grbit: int) -> None: ...


class Session:
    """One ESE session (PIB). Created by ``JetBeginSession``; see the module docstring."""

    def __init__(self, instance: Instance) -> None:
        # Fixed after construction:
        self.instance = instance
        self.id = instance.system.next_sesid()
        self.lock = threading.Lock()
        self.api_lock = threading.Lock()
        """Held by the one thread inside a JET call with this session (the gate's atomic
        0 -> 1, taken without waiting); ``in_api`` mirrors it for observers."""
        self.procid = 0
        # Written only by the holder of self.api_lock (read by anyone):
        self.in_api = 0
        self.api_thread = 0
        # Read and written inside the gate only (by the holder of self.api_lock):
        self.context = CONTEXT_NULL
        self.context_thread = 0
        # Owned by the thread inside the API (in_api == 1):
        self.in_callback = 0
        """How many callbacks of this session are running (the gate's fast path: with 0
        no thread can be re-entering from a callback)."""
        self.level = 0
        self.trx_context_is_session_context = False
        self.trx_context = 0
        self.trx_begin0 = TRX_MAX
        self.read_only = False
        self.commit_default = instance.params.commit_default
        self.sesparams: dict[int, Any] = {}
        """JetSetSessionParameter values other than CommitDefault."""
        self.last_commit_lgpos: object | None = None
        self.must_rollback = False
        self.rollback_failure: int | None = None
        self.ended = False
        self.level_closers: list[list[Callable[[], None]]] = []
        """Per open level: what to close if that level rolls back (cursors opened in it)."""
        self.end_closers: list[Callable[[], None]] = []
        """What JetEndSession closes: open databases and cursors of this session."""
        self.rollback_listeners: list[Callable[[], None]] = []
        """Called after each rolled back level (cursors re-read DDL the rollback undid)."""
        self.commit_listeners: list[Callable[[], None]] = []
        """Called after each committed level (cursors move their level marks down)."""
        self.call_snapshots: dict[int, tuple[Callable[[Any], None], Any]] = {}
        """dbnum -> (closer, snapshot): the level-0 read snapshot of the JET call under
        way (``engine.transactions.snapshots.SnapshotReads.call_snapshot``), opened on
        first need and closed by the gate as the call leaves (``end_call``)."""

    def __repr__(self) -> str:
        return f"<Session {self.id:#x} level={self.level} ctx={self.context:#x}>"

    # -- the gate's part ------------------------------------------------------------

    def try_enter(self) -> bool:
        """Atomic 0 -> 1 of ``in_api`` (ESE AtomicIncrement of m_cInJetAPI): a non-blocking
        acquire of ``api_lock``; False if busy."""
        if not self.api_lock.acquire(False):
            return False
        self.in_api = 1
        self.api_thread = threading.get_ident()
        return True

    def end_call(self) -> None:
        """Close the call's level-0 read snapshots (the gate, as a call leaves)."""
        snaps = list(self.call_snapshots.values())
        self.call_snapshots.clear()
        for close, snap in snaps:
            close(snap)

    def leave(self) -> None:
        """Leave the gate: close the call's level-0 read snapshots, free the session for
        any thread, and wake a ``JetTerm`` waiting for the instance's calls to end (what
        the ``with`` block's exit does)."""
        self.__exit__(None, None, None)

    # The session entered by the gate (``gate.session_call``) is the ``with`` block's
    # context manager: entering gives the session, leaving the block leaves the gate.

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # leave()'s body (every JET call of a session ends here, without a further call)
        if self.call_snapshots:
            self.end_call()
        self.in_api = 0
        self.api_thread = 0
        self.api_lock.release()
        inst = self.instance
        if inst.term_in_progress:
            with inst.lock:
                inst.api_idle.notify_all()

    # -- session contexts -------------------------------------------------------------

    def set_context(self, ctx: int) -> None:
        """JetSetSessionContext: attach ``ctx`` to the session, recording the calling thread.

        Raises ``JET_errInvalidParameter`` for 0 or ~0 (pib.cxx ~946) and
        ``JET_errSessionContextAlreadySet`` if any context is set, even the same one by
        the same thread (pib.hxx ~1328). A failed call changes nothing.
        """
        if ctx == CONTEXT_NULL or ctx == CONTEXT_UNUSABLE:
            raise_error(C.JET_errInvalidParameter, "session context may not be 0 or ~0")
        # Called inside the gate: this thread holds ``api_lock``, which every writer of
        # the context holds too, so the test-and-set below is ESE's compare-and-swap
        # without taking ``self.lock``; ``api_thread`` is the caller (the gate set it).
        if self.context != CONTEXT_NULL:
            raise_error(C.JET_errSessionContextAlreadySet)
        self.context = ctx
        self.context_thread = self.api_thread

    def reset_context(self) -> None:
        """JetResetSessionContext: only the thread that set the context may clear it.

        Raises ``JET_errSessionContextNotSetByThisThread`` when no context is set or another
        thread set it (pib.hxx ~1353).
        """
        # Inside the gate, as set_context (no ``self.lock``; the caller is ``api_thread``).
        ctx = self.context
        if (ctx == CONTEXT_NULL or ctx == CONTEXT_UNUSABLE
                or self.context_thread != self.api_thread):
            raise_error(C.JET_errSessionContextNotSetByThisThread)
        self.context = CONTEXT_NULL
        self.context_thread = 0

    # -- transaction context -----------------------------------------------------------

    def _set_trx_context(self) -> None:
        """ESE PIBSetTrxContext: at the level-0 begin, bind to the context or the thread."""
        with self.lock:
            if self.context not in (CONTEXT_NULL, CONTEXT_UNUSABLE):
                self.trx_context_is_session_context = True
                self.trx_context = self.context
            else:
                self.trx_context_is_session_context = False
                self.trx_context = threading.get_ident()

    def check_trx_context(self) -> bool:
        """ESE FPIBCheckTrxContext: may the calling thread act on this transaction?"""
        me = threading.get_ident()
        with self.lock:
            if self.trx_context_is_session_context:
                return self.context == self.trx_context and self.context_thread == me
            return self.trx_context == me

    def _reset_trx_context(self) -> None:
        self.trx_context_is_session_context = False
        self.trx_context = 0
        self.trx_begin0 = TRX_MAX
        self.read_only = False

    # -- transactions ------------------------------------------------------------------

    def _observers(self) -> list[TransactionObserver]:
        services = self.instance.services
        if services is None:
            return []
        observers = services.parts.get("transaction_observers")
        return observers if isinstance(observers, list) else []

    def begin_transaction(self, grbit: int = 0) -> None:
        """JetBeginTransaction(2/3) after the gate (ESE tm.cxx ErrIsamBeginTransaction, dir.cxx
        ErrDIRBeginTransaction).

        Order: ``JET_errTransTooDeep`` past level 7; ``JET_errRollbackError`` after a failed
        rollback; at level 0 the transaction context and the snapshot (trxBegin0) are taken
        and ``JET_bitTransactionReadOnly`` noted (other bits are ignored, as ESE does);
        at level > 0 ``JET_errSessionSharingViolation`` from a thread or context other than
        the transaction's.
        """
        if self.level >= LEVEL_USER_MOST:
            raise_error(C.JET_errTransTooDeep)  # ESE: tm.cxx ~1717
        if self.rollback_failure is not None:
            raise_error(C.JET_errRollbackError)
        if self.level == 0:
            self._set_trx_context()
            self.read_only = bool(grbit & C.JET_bitTransactionReadOnly)
            self.trx_begin0 = self.instance.new_trx_begin0(self.read_only)
        elif not self.check_trx_context():
            raise_error(C.JET_errSessionSharingViolation)  # ESE: dir.cxx ~1874
        self.level += 1
        self.level_closers.append([])
        for observer in self._observers():
            observer.on_begin(self, self.level)

    def commit_transaction(self, grbit: int = 0, cmsec_durable_commit: int = 0) -> object | None:
        """JetCommitTransaction(2) after the gate, with ESE's checks in ESE's order; returns
        the log position of this call's level-0 commit when it was logged, else None.

        ``JET_errInvalidGrbit`` for unknown bits or a Wait*/ForceNewLog bit combined with
        anything; those bits work at level 0 (wait for this session's last level-0 commit,
        or the whole log, to be durable). Then ``JET_errNotInTransaction`` at level 0,
        ``JET_errMustRollback``, ``JET_errInvalidParameter`` for a durable commit with a
        ``cmsecDurableCommit``, ``JET_errSessionSharingViolation`` from the wrong thread or
        context. A level-0 commit makes the changes visible to others and durable (unless
        lazy: ``JET_bitCommitLazyFlush`` or the session's commit default).
        """
        if grbit & ~COMMIT_GRBITS:
            raise_error(C.JET_errInvalidGrbit)  # ESE: jetapi.cxx ~6071
        for alone in COMMIT_ALONE:
            if grbit & alone and grbit != alone:
                raise_error(C.JET_errInvalidGrbit)  # ESE: tm.cxx ~1788
        if grbit in COMMIT_ALONE:
            for observer in self._observers():
                observer.wait_commit(self, grbit)
            return None
        if self.level == 0:
            raise_error(C.JET_errNotInTransaction)  # ESE: tm.cxx ~1834
        if self.must_rollback:
            raise_error(C.JET_errMustRollback)
        lazy = bool((grbit | self.commit_default) & C.JET_bitCommitLazyFlush)
        if not lazy and cmsec_durable_commit:
            raise_error(C.JET_errInvalidParameter)  # ESE: dir.cxx ~1920
        if not self.check_trx_context():
            raise_error(C.JET_errSessionSharingViolation)  # ESE: dir.cxx ~1932
        level = self.level
        logged: object | None = None
        for observer in self._observers():
            lgpos = observer.on_commit(self, level, lazy)
            if lgpos is not None:
                self.last_commit_lgpos = logged = lgpos
        self.level -= 1
        closers = self.level_closers.pop()
        if self.level_closers:
            # Cursors opened at an inner level now belong to the parent (dir.cxx ~2097).
            self.level_closers[-1].extend(closers)
        if self.level == 0:
            self._reset_trx_context()
        for listener in list(self.commit_listeners):
            listener()
        return logged if level == 1 else None

    def rollback(self, grbit: int = 0) -> None:
        """JetRollback after the gate (ESE tm.cxx ErrIsamRollback, dir.cxx ErrDIRRollback).

        ``JET_errInvalidGrbit`` for bits other than RollbackAll / RollbackRedoCallback;
        ``JET_errNotInTransaction`` at level 0. Each step first closes the cursors opened at
        the level, then checks the transaction context (``JET_errSessionSharingViolation``),
        then undoes exactly that level; ``JET_bitRollbackAll`` repeats down to level 0.
        """
        if grbit & ~(C.JET_bitRollbackAll | C.JET_bitRollbackRedoCallback):
            raise_error(C.JET_errInvalidGrbit)
        if self.level == 0:
            raise_error(C.JET_errNotInTransaction)  # ESE: tm.cxx ~1898
        while True:
            self._close_level_cursors()
            if not self.check_trx_context():
                raise_error(C.JET_errSessionSharingViolation)  # ESE: dir.cxx ~2228
            self._rollback_one_level()
            if not grbit & C.JET_bitRollbackAll or self.level == 0:
                break

    def _close_level_cursors(self) -> None:
        closers = self.level_closers[-1] if self.level_closers else []
        while closers:
            closer = closers.pop()
            closer()

    def _rollback_one_level(self) -> None:
        level = self.level
        for observer in reversed(self._observers()):
            try:
                observer.on_rollback(self, level)
            except JetError as exc:
                # ESE: ver.cxx ~7429, a failed undo makes the instance unavailable.
                self.rollback_failure = exc.err
                self.instance.set_unavailable(exc.err)
                raise
        self.level -= 1
        if self.level_closers:
            self.level_closers.pop()
        if self.level == 0:
            self.must_rollback = False
            self._reset_trx_context()
        for listener in list(self.rollback_listeners):
            listener()

    # -- ending ------------------------------------------------------------------------

    def end(self) -> None:
        """JetEndSession after the gate (ESE tm.cxx ErrIsamEndSession).

        Marks the context unusable with a compare-and-swap (``JET_errSessionInUse`` if a
        context is set, even by the caller); rolls back any open transaction (with the
        context model any thread may; with the thread model only the transaction's thread,
        else ``JET_errSessionSharingViolation``); closes the session's databases and
        cursors; frees the session. On any error the session stays usable.
        """
        with self.lock:
            if self.context != CONTEXT_NULL:
                raise_error(C.JET_errSessionInUse)  # ESE: tm.cxx ~105
            self.context = CONTEXT_UNUSABLE
        try:
            if self.level > 0:
                if self.trx_context_is_session_context:
                    with self.lock:
                        # ESE makes the trx context match so that any thread can end it.
                        self.context = self.trx_context
                        self.context_thread = threading.get_ident()
                self.rollback(C.JET_bitRollbackAll)
        except BaseException:
            with self.lock:
                self.context = CONTEXT_NULL
                self.context_thread = 0
            raise
        self._close_all()
        self.ended = True
        self.instance.unregister_session(self)

    def destroy(self, *, rollback: bool) -> None:
        """End the session without ESE's checks (instance termination)."""
        if rollback:
            while self.level > 0:
                try:
                    self._close_level_cursors()
                    self._rollback_one_level()
                except JetError:
                    break
        self.level = 0
        self.level_closers.clear()
        self._close_all()
        self.ended = True
        self.instance.unregister_session(self)

    def _close_all(self) -> None:
        while self.end_closers:
            closer = self.end_closers.pop()
            try:
                closer()
            except JetError:
                pass

    # -- parameters -----------------------------------------------------------------

    def get_parameter(self, sesparamid: int) -> Any:
        """JetGetSessionParameter (ESE tm.cxx ErrIsamGetSessionParameter): the value
        set, or the session's: ``JET_sesparamTransactionLevel`` is the level,
        ``JET_sesparamCommitDefault`` the commit grbits. Ids ESE knows that pyese keeps no
        value for: ``JET_errFeatureNotAvailable``; other ids: JET_errInvalidSesparamId."""
        if sesparamid == C.JET_sesparamTransactionLevel:
            return self.level
        if sesparamid == C.JET_sesparamCommitDefault:
            return self.commit_default
        kind = _SESPARAMS.get(sesparamid)
        if kind is None:
            raise_error(C.JET_errInvalidSesparamId, f"session parameter {sesparamid}")
        if sesparamid == C.JET_sesparamCachePriority and sesparamid not in self.sesparams:
            # PIB::PctCachePriorityPib: unassigned -> the instance's JET_paramCachePriority
            return int(self.instance.get_param(C.JET_paramCachePriority))  # type: ignore[call-overload]
        return self.sesparams.get(sesparamid, _SESPARAM_DEFAULTS[kind])

    def set_parameter(self, sesparamid: int, value: object) -> None:
        """JetSetSessionParameter (ESE tm.cxx ErrIsamSetSessionParameter):
        ``JET_sesparamCommitDefault`` takes any 32-bit grbit, as ESE stores it (only
        ``JET_bitCommitLazyFlush`` has an effect); ``JET_sesparamTransactionLevel`` is
        JET_errFeatureNotAvailable; the correlation id, IO trace flags and
        customer-data flag are 32-bit ints, the client descriptions str, the activity id
        16 bytes (else JET_errInvalidBufferSize), the generic commit context bytes. A value
        of the wrong type: JET_errInvalidParameter. Unknown ids:
        JET_errInvalidSesparamId. The operation context is ``(ulUserID, nOperationID,
        nOperationType, nClientType, fFlags)`` (a 32-bit int and four bytes, ESE's
        8-byte JET_OPERATIONCONTEXT); the cache priority a percentage 0..1000
        (JET_errInvalidParameter beyond, pib.cxx ErrSetCachePriority); the IO priority a
        grbit of JET_IOPriorityLow, the user class id mask, JET_IOPriorityMarkAsMaintenance
        and ESE's background dispatch bit 0x40 (JET_errInvalidGrbit for others,
        pib.hxx ErrSetUserIoPriority)."""
        if sesparamid == C.JET_sesparamTransactionLevel:
            raise_error(C.JET_errFeatureNotAvailable, "the transaction level is read-only")
        if sesparamid == C.JET_sesparamCommitDefault:
            self.commit_default = _dword(value)
            return
        kind = _SESPARAMS.get(sesparamid)
        if kind is None:
            raise_error(C.JET_errInvalidSesparamId, f"session parameter {sesparamid}")
        if kind == "opctx":
            self.sesparams[sesparamid] = _operation_context(value)
            return
        if kind == "cachepri":
            pct = _dword(value)
            if pct > CACHE_PRIORITY_MAX:  # pib.cxx PIB::ErrSetCachePriority
                raise_error(C.JET_errInvalidParameter, "cache priority is 0 to 1000")
            self.sesparams[sesparamid] = pct
            return
        if kind == "iopri":
            grbit = _dword(value)
            if grbit & ~IO_PRIORITY_BITS:  # pib.hxx PIB::ErrSetUserIoPriority
                raise_error(C.JET_errInvalidGrbit, f"IO priority bits {grbit:#x}")
            self.sesparams[sesparamid] = grbit
            return
        if kind == "dword":
            self.sesparams[sesparamid] = _dword(value)
        elif kind == "flag":  # SetFCommitContextNeedPreCommitCallback( *(DWORD *)pvParam )
            self.sesparams[sesparamid] = 1 if _dword(value) else 0
        elif kind == "str":
            if not isinstance(value, str):
                raise_error(C.JET_errInvalidParameter, "a client description is a str")
            self.sesparams[sesparamid] = value
        elif kind == "guid":
            if not isinstance(value, bytes | bytearray):
                raise_error(C.JET_errInvalidParameter, "the activity id is 16 bytes")
            if len(value) != 16:
                raise_error(C.JET_errInvalidBufferSize, "the activity id is a GUID")
            self.sesparams[sesparamid] = bytes(value)
        else:
            if not isinstance(value, bytes | bytearray):
                raise_error(C.JET_errInvalidParameter, "the commit context is bytes")
            self.sesparams[sesparamid] = bytes(value)

    # -- information ----------------------------------------------------------------

    def info(self) -> dict[str, int]:
        """The fields of JET_SESSIONINFO (ESE tm.cxx ErrIsamGetSessionInfo)."""
        trx_begin0 = 0 if self.trx_begin0 == TRX_MAX else self.trx_begin0
        return {
            "ulTrxBegin0": trx_begin0 & 0xFFFFFFFF,
            "ulTrxLevel": self.level,
            "ulProcid": self.procid,
            "ulTrxContext": self.trx_context,
            "ulFlags": 0,
        }


_SESPARAMS: dict[int, str] = {
    C.JET_sesparamCommitGenericContext: "bytes",
    C.JET_sesparamOperationContext: "opctx",
    C.JET_sesparamCorrelationID: "dword",
    C.JET_sesparamCachePriority: "cachepri",
    C.JET_sesparamClientComponentDesc: "str",
    C.JET_sesparamClientActionDesc: "str",
    C.JET_sesparamClientActionContextDesc: "str",
    C.JET_sesparamClientActivityId: "guid",
    C.JET_sesparamIOSessTraceFlags: "dword",
    C.JET_sesparamIOPriority: "iopri",
    C.JET_sesparamCommitContextContainsCustomerData: "dword",
    C.JET_sesparamCommitContextNeedPreCommitCallback: "flag",
}
"""The session parameters beyond CommitDefault / TransactionLevel, by the kind of value."""
_SESPARAM_DEFAULTS: dict[str, Any] = {"dword": 0, "flag": 0, "str": "", "guid": bytes(16),
                                      "bytes": b"", "opctx": (0, 0, 0, 0, 0), "iopri": 0,
                                      "cachepri": 100}

CACHE_PRIORITY_MAX = 1000
"""ESE's g_pctCachePriorityMax (FIsCachePriorityValid: 0..1000)."""

IO_PRIORITY_BITS = (C.JET_IOPriorityLow | C.JET_IOPriorityUserClassIdMask
                    | C.JET_IOPriorityMarkAsMaintenance | 0x40)
"""The bits PIB::ErrSetUserIoPriority takes: low priority, the user class id, mark as
maintenance, and qosIODispatchBackground (0x40), which it passes through."""


def _operation_context(value: object) -> tuple[int, int, int, int, int]:
    """A JET_OPERATIONCONTEXT as ``(ulUserID, nOperationID, nOperationType, nClientType,
    fFlags)``: from such a tuple, or from ESE's 8 bytes (``JET_errInvalidBufferSize`` for
    another length, as PIB::ErrSetOperationContext)."""
    if isinstance(value, bytes | bytearray):
        if len(value) != 8:
            raise_error(C.JET_errInvalidBufferSize, "a JET_OPERATIONCONTEXT is 8 bytes")
        user = int.from_bytes(value[:4], "little")
        return (user, value[4], value[5], value[6], value[7])
    if not isinstance(value, tuple) or len(value) != 5 or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise_error(C.JET_errInvalidParameter, "a JET_OPERATIONCONTEXT")
    user, *small = value
    if not 0 <= user <= 0xFFFFFFFF or not all(0 <= v <= 0xFF for v in small):
        raise_error(C.JET_errInvalidParameter, "a JET_OPERATIONCONTEXT field out of range")
    return (user, small[0], small[1], small[2], small[3])


def _dword(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise_error(C.JET_errInvalidParameter, "the value is a 32-bit int")
    if not -0x80000000 <= value <= 0xFFFFFFFF:  # type: ignore[operator]
        raise_error(C.JET_errInvalidBufferSize, "the value is 32 bits")
    return value & 0xFFFFFFFF  # type: ignore[operator, no-any-return]


def find_session(sesid: object) -> Session:
    """The live session a handle names (``System.find_session``, typed as a ``Session``).

    Raises ``JET_errInvalidSesid`` for a handle that names no live session.
    """
    if isinstance(sesid, int) and sesid.__class__ is not bool:
        session = SYSTEM.sessions.get(sesid)  # the hot path: a live handle
        if session.__class__ is Session:
            return session  # type: ignore[return-value]
    session = SYSTEM.find_session(sesid)
    if not isinstance(session, Session):
        raise_error(C.JET_errInvalidSesid)
    return session
