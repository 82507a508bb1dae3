"""``Transaction``: one ESE transaction on a pooled session, movable between threads.

ESE binds a transaction to the thread that began it, unless a *session context* was set
before the begin: then it belongs to that context, and any thread that sets the same
context may continue it (``JetSetSessionContext`` / ``JetResetSessionContext``; ESE
``pib.hxx`` FPIBCheckTrxContext). A ``Transaction`` picks a context value of its own and
wraps every call it makes, the begin included, in::

    JetSetSessionContext(sesid, ctx)   ... the JET calls of one operation ...
    JetResetSessionContext(sesid)

so a thread pool, ``asyncio.to_thread`` or a staged server may carry the transaction from
thread to thread, one at a time. A second thread that enters while another is inside
finds the context set (``JET_errSessionContextAlreadySet``) or the session busy (the
gate's ``JET_errSessionSharingViolation``); both are raised as
``pyese.SessionSharingViolationError``, and the first thread's work is not disturbed.

``tx.savepoint()`` opens ESE's next transaction level; its exit commits that level into
the enclosing one, or on an exception rolls back that level alone.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Protocol

import pyese.jet as jet
from pyese._errors import InstanceClosedError, TransactionEndedError
from pyese._pool import PooledSession, SessionPool
from pyese._table import Table, TableMeta
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


class Transaction:
    """A transaction of an :class:`~pyese.Instance` (begun by ``inst.transaction()``)."""

    def __init__(self, instance: InstanceLike, ps: PooledSession, *, lazy: bool,
                 read_only: bool) -> None:
        self.instance = instance
        self.lazy = lazy
        self.read_only = read_only
        self._ps: PooledSession | None = ps
        self._sesid = ps.sesid
        self._ctx = next(_contexts)
        self._level = 0
        self._tables: dict[tuple[str, str], Table] = {}
        self._ended: str | None = None
        self._enter()
        try:
            jet.JetBeginTransaction2(self._sesid, C.JET_bitTransactionReadOnly
                                     if read_only else 0)
        except BaseException:
            self._leave()
            self._ps = None
            instance.pool.release(ps)
            raise
        self._leave()
        self._level = 1

    # -- carrying the transaction between threads --------------------------------------

    def _enter(self) -> PooledSession:
        """Bind the session to this transaction's context on the calling thread."""
        ps = self._ps
        if ps is None:
            raise TransactionEndedError(f"the transaction was {self._ended}")
        if self.instance.closed:
            raise InstanceClosedError(f"instance {self.instance.name!r} is closed")
        try:
            jet.JetSetSessionContext(self._sesid, self._ctx)
        except jet.SessionContextAlreadySetError:
            raise jet.SessionSharingViolationError(
                C.JET_errSessionSharingViolation,
                "another thread is inside this transaction") from None
        return ps

    def _leave(self) -> None:
        jet.JetResetSessionContext(self._sesid)

    @contextmanager
    def entered(self) -> Iterator[PooledSession]:
        """``with tx.entered() as ps:`` -- make JET calls on the transaction's session."""
        ps = self._enter()
        try:
            yield ps
        finally:
            self._leave()

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
            return t
        meta = None
        with self.entered() as ps:
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

    # -- end ---------------------------------------------------------------------------

    def commit(self) -> None:
        """Commit (durable unless ``lazy``: the log is flushed before this returns).

        After a failed commit the transaction is still open (roll it back).
        ``TransactionEndedError`` when it already ended."""
        ps = self._enter()
        try:
            self._close_ranges()
            while self._level > 1:  # savepoints left open by the caller
                jet.JetCommitTransaction(self._sesid)
                self._level -= 1
            jet.JetCommitTransaction(self._sesid, C.JET_bitCommitLazyFlush
                                     if self.lazy else 0)
        finally:
            self._leave()
        self._level = 0
        ps.after_commit(1)
        self._finish("committed")

    def rollback(self) -> None:
        """Undo everything the transaction did (``JetRollback`` of every level)."""
        ps = self._enter()
        try:
            jet.JetRollback(self._sesid, C.JET_bitRollbackAll)
        finally:
            self._leave()
        self._level = 0
        ps.after_rollback(1)
        self._finish("rolled back")

    def _close_ranges(self) -> None:
        for t in self._tables.values():
            t._close_ranges()

    def _finish(self, how: str) -> None:
        ps = self._ps
        self._ps = None
        self._ended = how
        for t in self._tables.values():
            t._forget_ranges()
        self._tables.clear()
        if ps is not None:
            self.instance.pool.release(ps)

    def _abandon(self) -> None:
        """Roll back if still open; a session that cannot be rolled back is discarded."""
        ps = self._ps
        if ps is None:
            return
        try:
            self.rollback()
        except (jet.JetError, InstanceClosedError):
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
        with self.entered():
            jet.JetBeginTransaction(self._sesid)
        self._level += 1
        level = self._level
        try:
            yield self
        except BaseException:
            if self._ps is not None and self._level >= level:
                ps = self._enter()
                try:
                    while self._level >= level:
                        jet.JetRollback(self._sesid)
                        ps.after_rollback(self._level)
                        self._level -= 1
                finally:
                    self._leave()
            raise
        else:
            if self._ps is None:
                raise TransactionEndedError("the transaction ended inside its savepoint")
            ps = self._enter()
            try:
                while self._level >= level:
                    jet.JetCommitTransaction(self._sesid)
                    ps.after_commit(self._level)
                    self._level -= 1
            finally:
                self._leave()
