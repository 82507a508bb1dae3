"""The instance's bounded pool of ESE sessions, and what each session keeps open.

ESE limits an instance to ``JET_paramMaxSessions`` sessions; a server does not begin one
session per request, it keeps a pool. :class:`SessionPool` hands out a
:class:`PooledSession` to each transaction (and to each short level-0 job: DDL, a
``PersistentDict`` read) and takes it back at the end. When every session is in use a
caller waits, at most ``timeout`` seconds, then gets :class:`PoolTimeoutError`.

A pooled session keeps its databases and table cursors open between uses, because
``JetOpenDatabase`` and ``JetOpenTable`` cost more than the work of a small transaction.
ESE closes a cursor opened inside a transaction level when that level rolls back
(``dir.cxx`` ErrDIRRollback: cursors opened at the level go with it), so a cursor opened
inside a transaction is remembered with its level and forgotten if that level rolls
back; once the outermost level commits it stays open for the next user of the session.

Locks: ``SessionPool._cond`` guards the idle list and the count of sessions; a
``PooledSession`` belongs to one borrower at a time and needs no lock of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pyese.jet as jet
from pyese._errors import InstanceClosedError, PoolTimeoutError


class PooledSession:
    """One ESE session of the pool and the databases / cursors it has open."""

    __slots__ = ("sesid", "dbids", "cursors", "opened_at", "index_of", "generation",
                 "pooled")

    def __init__(self, sesid: jet.JET_SESID) -> None:
        self.sesid = sesid
        self.dbids: dict[str, Any] = {}
        """Database file name -> dbid, for the databases this session opened."""
        self.cursors: dict[tuple[str, str], Any] = {}
        """(database, table) -> tableid of the cached cursor."""
        self.opened_at: dict[tuple[str, str], int] = {}
        """Cursors opened inside the current transaction -> the level they belong to."""
        self.index_of: dict[Any, str | None] = {}
        """tableid -> the name of its current index, as last set (None: primary)."""
        self.generation = 0
        self.pooled = True
        """False once the pool forgot it (discarded, or the pool closed)."""

    def dbid(self, filename: str, read_only: bool) -> Any:
        """The session's dbid of an attached database (``JetOpenDatabase`` once)."""
        dbid = self.dbids.get(filename)
        if dbid is None:
            grbit = jet.JET_bitDbReadOnly if read_only else 0
            dbid = jet.JetOpenDatabase(self.sesid, filename, None, grbit)
            self.dbids[filename] = dbid
        return dbid

    def cursor(self, filename: str, read_only: bool, table: str, level: int) -> Any:
        """A cursor on ``table`` (cached), opened now at transaction ``level`` if needed."""
        key = (filename, table)
        tableid = self.cursors.get(key)
        if tableid is None:
            grbit = jet.JET_bitTableReadOnly if read_only else 0
            tableid = jet.JetOpenTable(self.sesid, self.dbid(filename, read_only), table,
                                       None, grbit)
            self.cursors[key] = tableid
            self.index_of[tableid] = None
            if level > 0:
                self.opened_at[key] = level
        return tableid

    def set_index(self, tableid: Any, index: str | None) -> None:
        """``JetSetCurrentIndex`` unless ``index`` is already the cursor's index."""
        if self.index_of.get(tableid, 0) != index:
            jet.JetSetCurrentIndex(self.sesid, tableid, index)
            self.index_of[tableid] = index

    def after_commit(self, level: int) -> None:
        """Level ``level`` committed: its cursors now belong to the level below."""
        for key, lv in list(self.opened_at.items()):
            if lv >= level:
                if level <= 1:
                    del self.opened_at[key]
                else:
                    self.opened_at[key] = level - 1

    def after_rollback(self, level: int) -> None:
        """Level ``level`` rolled back: ESE closed the cursors opened in it."""
        for key, lv in list(self.opened_at.items()):
            if lv >= level:
                del self.opened_at[key]
                tableid = self.cursors.pop(key, None)
                self.index_of.pop(tableid, None)

    def forget_table(self, filename: str, table: str) -> None:
        """Close the cached cursor of a table (before it is dropped)."""
        tableid = self.cursors.pop((filename, table), None)
        if tableid is not None:
            self.index_of.pop(tableid, None)
            self.opened_at.pop((filename, table), None)
            try:
                jet.JetCloseTable(self.sesid, tableid)
            except jet.JetError:
                pass

    def forget_database(self, filename: str) -> None:
        """Close the cursors and the database handle of one database."""
        for db, table in [k for k in self.cursors if k[0] == filename]:
            self.forget_table(db, table)
        dbid = self.dbids.pop(filename, None)
        if dbid is not None:
            try:
                jet.JetCloseDatabase(self.sesid, dbid)
            except jet.JetError:
                pass


class SessionPool:
    """A bounded pool of sessions of one ESE instance (see the module docstring)."""

    def __init__(self, instance: jet.JET_INSTANCE, max_sessions: int,
                 timeout: float) -> None:
        self._instance = instance
        self.max_sessions = max_sessions
        self.timeout = timeout
        self._cond = threading.Condition()
        self._idle: list[PooledSession] = []
        self._all: list[PooledSession] = []
        self._closed = False
        self._waiters = 0
        """Threads waiting in ``acquire`` (``release`` notifies only when there are)."""

    def acquire(self, timeout: float | None = None) -> PooledSession:
        """A free session (a new one while fewer than ``max_sessions`` exist).

        Waits at most ``timeout`` seconds (the pool's default when None) for one to come
        back, then raises :class:`PoolTimeoutError`; :class:`InstanceClosedError` after
        close. ``JetBeginSession``'s errors propagate.
        """
        with self._cond:  # the common case: an idle session, no clock read
            if self._idle and not self._closed:
                return self._idle.pop()
        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        with self._cond:
            while True:
                if self._closed:
                    raise InstanceClosedError("the instance is closed")
                if self._idle:
                    return self._idle.pop()
                if len(self._all) < self.max_sessions:
                    ps = PooledSession(jet.JetBeginSession(self._instance))
                    self._all.append(ps)
                    return ps
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PoolTimeoutError(
                        f"all {self.max_sessions} sessions of the pool stayed in use for "
                        f"{wait:g} s: end transactions sooner, or raise max_sessions")
                self._waiters += 1
                try:
                    self._cond.wait(left)
                finally:
                    self._waiters -= 1

    def release(self, ps: PooledSession) -> None:
        """Give a session back (it must be at transaction level 0)."""
        with self._cond:
            if ps.pooled:
                self._idle.append(ps)
                if self._waiters:
                    self._cond.notify()

    def discard(self, ps: PooledSession) -> None:
        """End a session that cannot be reused (its transaction could not be ended)."""
        with self._cond:
            if ps.pooled:
                ps.pooled = False
                self._all.remove(ps)
                self._cond.notify()
        try:
            jet.JetEndSession(ps.sesid)
        except jet.JetError:
            pass

    def for_each_idle(self, fn: Callable[[PooledSession], None]) -> None:
        """Call ``fn`` on every idle session, holding the pool's lock."""
        with self._cond:
            for ps in self._idle:
                fn(ps)

    def close(self) -> list[PooledSession]:
        """Refuse new borrowers; return every session (idle or not) for the caller to end."""
        with self._cond:
            self._closed = True
            sessions, self._all, self._idle = self._all, [], []
            for ps in sessions:
                ps.pooled = False
            self._cond.notify_all()
        return sessions
