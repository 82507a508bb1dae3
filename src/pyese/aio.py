"""``pyese.aio``: the Pythonic layer, awaitable.

::

    async with pyese.aio.Instance(path) as inst:
        db = await inst.open_database("app.edb")
        async with inst.transaction() as tx:
            t = tx.table("people")
            row = await t.insert({"name": "Ada"})
            async for r in t.range(start=1):
                ...

Every call runs on a worker thread of the instance's ``ThreadPoolExecutor``, so the
event loop never blocks on the engine, the log flush or a wait for a free session. One
transaction's calls land on whichever worker is free: the transaction is carried from
worker to worker by its session context (``JetSetSessionContext`` /
``JetResetSessionContext`` around its begin, writes and end, see
``pyese._transaction``), which is what ESE's session contexts exist for. Concurrent
``await``\\ s on the *same* transaction are serialized by an ``asyncio.Lock`` of the
transaction (ESE allows one thread inside a transaction at a time); different
transactions run in parallel, bounded by the session pool and the number of workers.

Range iteration moves rows from the worker in batches (``batch`` rows per hop, 64 by
default), not one hop per row.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from types import TracebackType
from typing import Any, TypeVar

import pyese._instance as _sync
import pyese.jet as jet
from pyese._errors import PoolTimeoutError
from pyese._schema import ColumnInfo, Index, IndexInfo
from pyese._table import Row
from pyese._table import Table as _SyncTable
from pyese._transaction import Transaction as _SyncTransaction

T = TypeVar("T")

__all__ = ["Database", "Instance", "Table", "Transaction"]


class Instance:
    """An ESE instance whose every call runs on worker threads (see the module docstring).

    Arguments are those of :class:`pyese.Instance`, plus ``max_workers`` (the size of the
    thread pool; default: ``max_sessions`` + 4) or an ``executor`` of your own.
    """

    def __init__(self, path: str | os.PathLike[str], *, name: str | None = None,
                 circular_log: bool = True, session_timeout: float = 30.0,
                 max_workers: int | None = None, executor: ThreadPoolExecutor | None = None,
                 **params: int | str | bool) -> None:
        self._args = (path, name, circular_log, session_timeout, params)
        self._own_executor = executor is None
        self._executor = executor
        self._max_workers = max_workers
        self._sync: _sync.Instance | None = None
        self._slots: asyncio.Semaphore | None = None

    @property
    def sync(self) -> _sync.Instance:
        """The underlying :class:`pyese.Instance` (after ``async with``)."""
        if self._sync is None:
            raise RuntimeError("use `async with pyese.aio.Instance(...)` or `await "
                               "inst.open()` first")
        return self._sync

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))

    async def open(self) -> Instance:
        """Start the instance (``JetInit`` on a worker; crash recovery runs there)."""
        path, name, circular_log, session_timeout, params = self._args
        if self._executor is None:
            workers = self._max_workers or int(params.get("max_sessions", 16)) + 4
            self._executor = ThreadPoolExecutor(workers, thread_name_prefix="pyese-aio")
        self._sync = await self._call(_sync.Instance, path, name=name,
                                      circular_log=circular_log,
                                      session_timeout=session_timeout, **params)
        # Transactions wait for a session here, in the loop: a worker thread blocked in
        # the pool while the transactions holding every session wait for a worker would
        # deadlock. One session stays free for level-0 calls (DDL, table_names, ...).
        self._slots = asyncio.Semaphore(max(1, self._sync.pool.max_sessions - 1))
        return self

    async def close(self) -> None:
        """``JetTerm`` on a worker, then shut the instance's own thread pool down."""
        if self._sync is not None:
            await self._call(self._sync.close)
        if self._own_executor and self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    async def __aenter__(self) -> Instance:
        return await self.open()

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    async def open_database(self, filename: str | os.PathLike[str], *, create: bool = True,
                            read_only: bool = False) -> Database:
        """As :meth:`pyese.Instance.open_database`."""
        db = await self._call(self.sync.open_database, filename, create=create,
                              read_only=read_only)
        return Database(self, db)

    def transaction(self, *, lazy: bool = False, read_only: bool = False,
                    timeout: float | None = None) -> _Begin:
        """``async with inst.transaction() as tx:`` or ``tx = await inst.transaction()``.
        Begins on a worker (waiting there, not in the loop, for a free session)."""
        return _Begin(self, lazy, read_only, timeout)

    async def run(self, fn: Callable[[Transaction], Awaitable[T]], *, retries: int = 10,
                  lazy: bool = False, read_only: bool = False) -> T:
        """``await fn(tx)`` in a transaction and commit; on a write conflict roll back and
        run it again (at most ``retries`` more times). Returns ``fn``'s result."""
        attempt = 0
        while True:
            tx = await self.transaction(lazy=lazy, read_only=read_only)
            try:
                result = await fn(tx)
                await tx.commit()
                return result
            except (jet.WriteConflictError, jet.WriteConflictPrimaryIndexError):
                await tx._abandon()
                if attempt >= retries:
                    raise
                attempt += 1
                await asyncio.sleep(random.uniform(0, 0.0005 * min(attempt, 20)))
            except BaseException:
                await tx._abandon()
                raise


class _Begin:
    """What ``inst.transaction()`` returns: awaitable, or an async context manager."""

    def __init__(self, inst: Instance, lazy: bool, read_only: bool,
                 timeout: float | None) -> None:
        self._inst = inst
        self._kw = {"lazy": lazy, "read_only": read_only, "timeout": timeout}
        self._tx: Transaction | None = None

    async def _begin(self) -> Transaction:
        slots = self._inst._slots
        assert slots is not None
        timeout = self._kw["timeout"]
        wait = self._inst.sync.pool.timeout if timeout is None else float(timeout)
        try:
            await asyncio.wait_for(slots.acquire(), wait)
        except TimeoutError:
            raise PoolTimeoutError(f"no session of the pool came free in {wait:g} s"
                                   ) from None
        try:
            sync_tx = await self._inst._call(self._inst.sync.transaction, **self._kw)
        except BaseException:
            slots.release()
            raise
        return Transaction(self._inst, sync_tx, slots)

    def __await__(self) -> Generator[Any, None, Transaction]:
        return self._begin().__await__()

    async def __aenter__(self) -> Transaction:
        self._tx = await self._begin()
        return self._tx

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        tx = self._tx
        assert tx is not None
        if not tx.active:
            return
        if exc_type is None:
            try:
                await tx.commit()
            except BaseException:
                await tx._abandon()
                raise
        else:
            await tx._abandon()


class Transaction:
    """An awaitable :class:`pyese.Transaction`; its calls are serialized by a lock."""

    def __init__(self, inst: Instance, tx: _SyncTransaction,
                 slots: asyncio.Semaphore) -> None:
        self._inst = inst
        self.sync = tx
        self._lock = asyncio.Lock()
        self._slots: asyncio.Semaphore | None = slots

    def _ended(self) -> None:
        if self._slots is not None and not self.sync.active:
            self._slots.release()
            self._slots = None

    @property
    def active(self) -> bool:
        return self.sync.active

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        async with self._lock:
            return await self._inst._call(fn, *args, **kwargs)

    def table(self, name: str, *, database: Database | None = None) -> Table:
        """The table ``name``; its cursor opens on the first awaited call."""
        return Table(self, name, None if database is None else database.sync)

    async def commit(self) -> None:
        """Commit on a worker (the log flush happens there)."""
        try:
            await self._call(self.sync.commit)
        finally:
            self._ended()

    async def rollback(self) -> None:
        try:
            await self._call(self.sync.rollback)
        finally:
            self._ended()

    async def _abandon(self) -> None:
        try:
            await self._call(self.sync._abandon)
        finally:
            self._ended()

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[Transaction]:
        """``async with tx.savepoint():`` ESE's next level (see :meth:`pyese.Transaction
        .savepoint`)."""
        cm = self.sync.savepoint()
        await self._call(cm.__enter__)
        try:
            yield self
        except BaseException as exc:
            await self._call(cm.__exit__, type(exc), exc, exc.__traceback__)
            raise
        else:
            await self._call(cm.__exit__, None, None, None)


class Table:
    """An awaitable :class:`pyese.Table`."""

    def __init__(self, tx: Transaction, name: str, database: _sync.Database | None) -> None:
        self._tx = tx
        self.name = name
        self._database = database
        self._table: _SyncTable | None = None

    def _t(self) -> _SyncTable:
        if self._table is None:
            self._table = self._tx.sync.table(self.name, database=self._database)
        return self._table

    async def _do(self, method: str, *args: Any, **kwargs: Any) -> Any:
        def call() -> Any:
            return getattr(self._t(), method)(*args, **kwargs)
        return await self._tx._call(call)

    async def insert(self, row: Mapping[str, Any]) -> Row:
        return await self._do("insert", row)  # type: ignore[no-any-return]

    async def get(self, key: Any, *, index: str | None = None) -> Row | None:
        return await self._do("get", key, index=index)  # type: ignore[no-any-return]

    async def update(self, key: Any, changes: Mapping[str, Any], *,
                     index: str | None = None) -> Row:
        return await self._do("update", key, changes, index=index)  # type: ignore[no-any-return]

    async def delete(self, key: Any, *, index: str | None = None) -> None:
        await self._do("delete", key, index=index)

    async def escrow(self, key: Any, column: str, delta: int, *,
                     index: str | None = None) -> int:
        return await self._do("escrow", key, column, delta, index=index)  # type: ignore[no-any-return]

    async def count(self) -> int:
        """``len()`` of the table (an ``await`` cannot hide in ``len``)."""
        return await self._do("__len__")  # type: ignore[no-any-return]

    async def contains(self, key: Any) -> bool:
        return await self._do("__contains__", key)  # type: ignore[no-any-return]

    def range(self, *, index: str | None = None, start: Any = None, stop: Any = None,
              reverse: bool = False, columns: Sequence[str] | None = None,
              batch: int = 64) -> AsyncIterator[Row]:
        """``async for row in t.range(...)``: as :meth:`pyese.Table.range`."""
        return self._iterate(lambda t: t.range(index=index, start=start, stop=stop,
                                               reverse=reverse, columns=columns), batch)

    def find(self, key: Any, *, index: str, columns: Sequence[str] | None = None,
             batch: int = 64) -> AsyncIterator[Row]:
        """``async for row in t.find(key, index=...)``."""
        return self._iterate(lambda t: t.find(key, index=index, columns=columns), batch)

    def __aiter__(self) -> AsyncIterator[Row]:
        return self.range()

    async def _iterate(self, make: Callable[[_SyncTable], Iterator[Row]], batch: int
                       ) -> AsyncIterator[Row]:
        it: Iterator[Row] | None = None

        def pull() -> list[Row]:
            nonlocal it
            if it is None:
                it = make(self._t())
            out = []
            for row in it:
                out.append(row)
                if len(out) >= batch:
                    break
            return out

        try:
            while True:
                rows = await self._tx._call(pull)
                for row in rows:
                    yield row
                if len(rows) < batch:
                    return
        finally:
            if it is not None and hasattr(it, "close") and self._tx.active:
                await self._tx._call(it.close)


class Database:
    """An awaitable :class:`pyese.Database`."""

    def __init__(self, inst: Instance, db: _sync.Database) -> None:
        self._inst = inst
        self.sync = db
        self.filename = db.filename

    async def create_table(self, name: str, columns: Mapping[str, Any],
                           indexes: Mapping[str, str | Sequence[str] | Index] | None = None
                           ) -> None:
        await self._inst._call(self.sync.create_table, name, columns, indexes)

    async def drop_table(self, name: str) -> None:
        await self._inst._call(self.sync.drop_table, name)

    async def table_names(self) -> list[str]:
        return await self._inst._call(self.sync.table_names)

    async def columns(self, table: str) -> list[ColumnInfo]:
        return await self._inst._call(self.sync.columns, table)

    async def indexes(self, table: str) -> list[IndexInfo]:
        return await self._inst._call(self.sync.indexes, table)

    async def insert_many(self, table: str, rows: Iterable[Mapping[str, Any]], *,
                          lazy: bool = False, batch: int = 1000) -> int:
        return await self._inst._call(self.sync.insert_many, table, rows, lazy=lazy,
                                      batch=batch)
