"""``Transaction``: one ESE transaction on a pooled session, movable between threads.

ESE binds a transaction to the thread that began it, unless a *session context* was set
before the begin: then it belongs to that context, and any thread that sets the same
context may continue it. ESE checks this binding wherever a transaction level begins,
commits or rolls back (``dir.cxx`` ErrDIRBeginTransaction / ErrDIRCommitTransaction /
ErrDIRRollback, through ``pib.hxx`` FPIBCheckTrxContext), and that includes the level
ESE opens inside every update, delete and escrow update (``recupd.cxx``), so writes are
checked too. Reads (seeks, moves, retrievals) open no level: they are checked only for
another thread inside the API with the session at that moment (``jetapi.cxx``
APICALL_SESID::FEnter, ``JET_errSessionSharingViolation``).

So a ``Transaction`` picks a context value of its own and sets it only around the calls
that need it::

    JetSetSessionContext(sesid, ctx)  JetBeginTransaction2  JetResetSessionContext(sesid)
    ... get / range / find / len: no context, on whatever thread calls them ...
    JetSetSessionContext(sesid, ctx)  JetPrepareUpdate .. JetUpdate  JetResetSessionContext
    JetSetSessionContext(sesid, ctx)  JetCommitTransaction  JetResetSessionContext(sesid)

The context cannot stay set from one call to the next: only the thread that set it may
reset it (``pib.hxx`` ErrPIBCheckCorrectSessionContext, else
``JET_errSessionContextNotSetByThisThread``), so a context left set by one pool thread
would lock every other thread out of the transaction for good. Reads cost no extra JET
call; a write or an end costs two.

A transaction the layer runs start to end on one thread itself (the batches of
``insert_many``) is begun with ``movable=False``: ESE's thread binding, no context at
all. ``PersistentDict`` runs its short transactions on the pool's sessions directly, the
same way.

What the context does not give between the calls, the transaction's ``_busy`` lock
gives: every operation of the layer (one ``insert``, ``get``, a batch of a ``range``...)
holds it, taken without waiting, so a second thread entering the same transaction while
another is inside gets ``pyese.SessionSharingViolationError`` at once (as ESE's own gate
does for two threads inside one JET call) and the first thread's work is not disturbed.
``tx.entered()`` holds it, with the context set, for your own ``pyese.jet`` calls on
``tx.sesid``.

``tx.savepoint()`` opens ESE's next transaction level; its exit commits that level into
the enclosing one, or on an exception rolls back that level alone.

Locks: ``_busy`` guards the session's use (at most one thread makes JET calls with it);
the transaction's fields are written only by the thread that holds it.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Any, Protocol

import pyese.jet as jet
from pyese._errors import InstanceClosedError, TransactionEndedError
from pyese._pool import PooledSession, SessionPool
from pyese._table import Table, TableMeta
from pyese._temptable import TempTable
from pyese.jethdr import constants as C


class DatabaseLike(Protocol):
    """What a transaction needs of a database (``pyese.Database``; the instance module
    imports this one, not the other way round)."""

    filename: str
    read_only: bool

    def _table_meta(self, ps: PooledSession, name: str, tableid: Any) -> TableMeta: ...

    def _unknown_table(self, name: str) -> jet.JetError: ...


class InstanceLike(Protocol):
    """What a transaction needs of its instance (``pyese.Instance``)."""

    pool: SessionPool
    name: str

    @property
    def closed(self) -> bool: ...

    def _default_database(self) -> DatabaseLike: ...

_contexts = itertools.count((os.getpid() & 0xFFFF) << 32 | 1)


def _sharing_violation(what: str) -> jet.SessionSharingViolationError:
    return jet.SessionSharingViolationError(C.JET_errSessionSharingViolation, what)


class _Held:
    """``with`` this: hold the transaction's session on the calling thread, with no JET
    call (for reads). One per transaction, reused."""

    __slots__ = ("_tx",)

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def __enter__(self) -> PooledSession:
        return self._tx._hold()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._tx._busy.release()


class _Bound(_Held):
    """``with`` this: hold the session and set the transaction's session context (for
    writes, and anything else that opens a transaction level). One per transaction."""

    __slots__ = ()

    def __enter__(self) -> PooledSession:
        return self._tx._bind()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._tx._unbind()


class Transaction:
    """A transaction of an :class:`~pyese.Instance` (begun by ``inst.transaction()``)."""

    def __init__(self, instance: InstanceLike, ps: PooledSession, *, lazy: bool,
                 read_only: bool, movable: bool = True) -> None:
        self.instance = instance
        self.lazy = lazy
        self.read_only = read_only
        self._ps: PooledSession | None = ps
        self._sesid = ps.sesid
        self._level = 0
        self._tables: dict[tuple[str, str], Table] = {}
        self._temps: set[TempTable] = set()
        self._ended: str | None = None
        self._busy = threading.Lock()
        self._movable = movable
        self._ctx = next(_contexts) if movable else 0
        self._held = _Held(self)
        self._bound: _Held = _Bound(self) if movable else self._held
        try:
            self._bind()
        except BaseException:
            self._ps = None
            self._ended = "never begun"
            instance.pool.release(ps)
            raise
        try:
            jet.JetBeginTransaction2(self._sesid, C.JET_bitTransactionReadOnly
                                     if read_only else 0)
            self._level = 1
        except BaseException:
            self._ps = None
            self._ended = "never begun"
            raise
        finally:
            self._unbind()
            if self._ps is None:
                instance.pool.release(ps)

    # -- holding the session -----------------------------------------------------------

    def _hold(self) -> PooledSession:
        """Take the transaction for the calling thread: ``SessionSharingViolationError``
        when another thread is inside it, ``TransactionEndedError`` after its end,
        ``InstanceClosedError`` after the instance closed. Release with ``_busy``."""
        if not self._busy.acquire(False):
            raise _sharing_violation("another thread is inside this transaction")
        ps = self._ps
        if ps is None or self.instance.closed:
            self._busy.release()
            if ps is None:
                raise TransactionEndedError(f"the transaction was {self._ended}")
            raise InstanceClosedError(f"instance {self.instance.name!r} is closed")
        return ps

    def _bind(self) -> PooledSession:
        """``_hold`` plus this transaction's session context (for the calls that may open
        a transaction level: ESE checks those against the context). A transaction that
        is not ``movable`` is bound to its thread and sets no context."""
        ps = self._hold()
        if not self._movable:
            return ps
        try:
            jet.JetSetSessionContext(self._sesid, self._ctx)
        except jet.SessionContextAlreadySetError:
            self._busy.release()
            raise _sharing_violation("the session's context is set by another thread "
                                     "(a JetSetSessionContext outside the layer?)") from None
        except BaseException:
            self._busy.release()
            raise
        return ps

    def _unbind(self) -> None:
        try:
            if self._movable:
                jet.JetResetSessionContext(self._sesid)
        finally:
            self._busy.release()

    def entered(self) -> AbstractContextManager[PooledSession]:
        """``with tx.entered() as ps:`` -- make JET calls on ``tx.sesid`` from this
        thread: holds the transaction's session (another thread entering meanwhile gets
        ``SessionSharingViolationError``) with its session context set, so any call
        works, writes and savepoint levels included (end the transaction itself with
        ``commit`` / ``rollback``)."""
        return self._bound

    def _reading(self) -> AbstractContextManager[PooledSession]:
        """Hold the session without setting the context: enough for calls that open no
        transaction level (seeks, moves, retrievals, cursor duplication)."""
        return self._held

    # -- state -------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """True until commit or rollback."""
        return self._ps is not None

    @property
    def sesid(self) -> jet.JET_SESID:
        """The session (for calls through ``pyese.jet`` inside :meth:`entered`)."""
        return self._sesid

    def __repr__(self) -> str:
        state = f"level {self._level}" if self._ps is not None else str(self._ended)
        return f"<pyese.Transaction {self._ctx:#x} ({state})>"

    # -- tables ------------------------------------------------------------------------

    def table(self, name: str, *, database: DatabaseLike | None = None) -> Table:
        """The table ``name`` (an open cursor, closed with the transaction).

        ``database`` may be omitted when the instance has one database open.
        ``JET_errObjectNotFound`` names the tables that exist.
        """
        db = database if database is not None else self.instance._default_database()
        key = (db.filename, name)
        t = self._tables.get(key)
        if t is not None:
            if self._ps is None:
                raise TransactionEndedError(f"the transaction was {self._ended}")
            return t
        meta = None
        with self._bound as ps:
            try:
                tableid = ps.cursor(db.filename, db.read_only, name, self._level)
            except jet.ObjectNotFoundError:
                pass
            else:
                meta = db._table_meta(ps, name, tableid)
        if meta is None:
            raise db._unknown_table(name)
        t = Table(self, db, meta, tableid)
        self._tables[key] = t
        return t

    def temp_table(self, columns: Mapping[str, Any], *, key: str | Sequence[str],
                   unique: bool = False) -> TempTable:
        """A sort (ESE's temporary table, ``JetOpenTempTable3``) of this transaction:
        ``columns`` maps names to types (a Python type, a coltyp or a ``pyese.Column``),
        ``key`` is a column name or a list of them (a leading ``-``: descending).
        Iterating it gives the rows inserted, in key order; ``unique=True`` keeps one row
        per key (``JET_bitTTUnique``). Closed when the transaction ends. See
        ``pyese._temptable``. ``TransactionEndedError`` after the end."""
        if self._ps is None:
            raise TransactionEndedError(f"the transaction was {self._ended}")
        return TempTable(self, columns, key, unique)

    # -- end ---------------------------------------------------------------------------

    def commit(self) -> None:
        """Commit (durable unless ``lazy``: the log is flushed before this returns).

        After a failed commit the transaction is still open (roll it back).
        ``TransactionEndedError`` when it already ended; ``SessionSharingViolationError``
        while another thread is inside it."""
        ps = self._bind()
        try:
            self._close_ranges()
            while self._level > 1:  # savepoints left open by the caller
                jet.JetCommitTransaction(self._sesid)
                ps.after_commit(self._level)
                self._level -= 1
            jet.JetCommitTransaction(self._sesid, C.JET_bitCommitLazyFlush
                                     if self.lazy else 0)
            self._level = 0
            ps.after_commit(1)
            self._finish("committed")
        finally:
            self._unbind()
        self.instance.pool.release(ps)

    def rollback(self) -> None:
        """Undo everything the transaction did (``JetRollback`` of every level).
        ``TransactionEndedError`` when it already ended."""
        ps = self._bind()
        try:
            self._close_temps()
            jet.JetRollback(self._sesid, C.JET_bitRollbackAll)
            self._level = 0
            ps.after_rollback(1)
            self._finish("rolled back")
        finally:
            self._unbind()
        self.instance.pool.release(ps)

    def _close_ranges(self) -> None:
        for t in self._tables.values():
            t._close_ranges()
        self._close_temps()

    def _close_temps(self) -> None:
        """Close the temporary tables (the caller holds the session)."""
        temps = list(self._temps)
        self._temps.clear()
        for t in temps:
            t._closed_by_transaction()

    def _finish(self, how: str) -> None:
        """Mark the transaction ended (the caller holds ``_busy``; it gives the session
        back to the pool once the context is reset)."""
        self._ps = None
        self._ended = how
        for t in self._tables.values():
            t._forget_ranges()
        self._tables.clear()
        for tt in self._temps:  # left open only when a close failed: the session is gone
            tt._tableid = None
        self._temps.clear()

    def _abandon(self) -> None:
        """Roll back if still open; a session that cannot be rolled back is discarded.
        ``SessionSharingViolationError`` (another thread is inside) propagates."""
        ps = self._ps
        if ps is None:
            return
        try:
            self.rollback()
        except jet.SessionSharingViolationError:
            raise
        except (jet.JetError, InstanceClosedError):
            if self._ps is None:
                return
            self._ps = None
            self._ended = "abandoned"
            if not self.instance.closed:
                self.instance.pool.discard(ps)

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._ps is None:
            return
        if exc_type is None:
            try:
                self.commit()
            except BaseException:
                self._abandon()
                raise
        else:
            self._abandon()

    # -- savepoints --------------------------------------------------------------------

    @contextmanager
    def savepoint(self) -> Iterator[Transaction]:
        """``with tx.savepoint():`` ESE's next transaction level. A normal exit merges its
        changes into the enclosing level; an exception rolls back this level alone and
        propagates. ``JET_errTransTooDeep`` past ESE's 7 levels."""
        self._bind()
        try:
            jet.JetBeginTransaction(self._sesid)
            self._level += 1
        finally:
            self._unbind()
        level = self._level
        try:
            yield self
        except BaseException:
            if self._ps is not None and self._level >= level:
                ps = self._bind()
                try:
                    while self._level >= level:
                        jet.JetRollback(self._sesid)
                        ps.after_rollback(self._level)
                        self._level -= 1
                finally:
                    self._unbind()
            raise
        else:
            if self._ps is None:
                raise TransactionEndedError("the transaction ended inside its savepoint")
            ps = self._bind()
            try:
                while self._level >= level:
                    jet.JetCommitTransaction(self._sesid)
                    ps.after_commit(self._level)
                    self._level -= 1
            finally:
                self._unbind()
