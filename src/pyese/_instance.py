"""``pyese.Instance`` and ``Database``: an ESE instance in a directory, its databases.

``Instance(path)`` is ``JetCreateInstance`` + ``JetSetSystemParameter`` (paths, circular
logging, the caller's parameters by name) + ``JetInit`` (crash recovery runs here); its
exit is ``JetTerm``. Between the two, work happens in transactions on sessions of the
instance's :class:`~pyese._pool.SessionPool`.

System parameters are given by ESE's name without the ``JET_param`` prefix, in any case
and with or without underscores: ``max_sessions=64``, ``MaxVerPages=1024``,
``LOGFILESIZE=1024``. An unknown name is a ``TypeError`` that says which names are close.

Locks: ``Instance._lock`` guards the table of open databases and the closed flag.
"""

from __future__ import annotations

import difflib
import itertools
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import pyese.jet as jet
from pyese._codec import decode_value
from pyese._errors import InstanceClosedError
from pyese._pool import PooledSession, SessionPool
from pyese._schema import (
    Column,
    ColumnInfo,
    Index,
    IndexInfo,
    coltyp_of,
    column_create,
    index_create,
)
from pyese._table import TableMeta
from pyese._transaction import Transaction
from pyese.jet.structs import JET_TABLECREATE
from pyese.jethdr import constants as C

T = TypeVar("T")

_instance_numbers = itertools.count(1)


def _param_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for name in dir(C):
        if name.startswith("JET_param") and not name.endswith("MaxValueInvalid"):
            value = getattr(C, name)
            if isinstance(value, int):
                names.setdefault(name[len("JET_param"):].lower(), value)
    return names


PARAM_IDS = _param_names()
"""ESE's system parameter names (lower case, no prefix) -> paramid."""


def param_id(name: str) -> int:
    """The paramid of a parameter named without prefix, in any case (``TypeError`` else)."""
    key = name.lower().replace("_", "")
    if key.startswith("jetparam"):
        key = key[len("jetparam"):]
    try:
        return PARAM_IDS[key]
    except KeyError:
        close = difflib.get_close_matches(key, PARAM_IDS, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise TypeError(f"{name!r} is not an ESE system parameter{hint}") from None


class Instance:
    """An ESE instance kept in the directory ``path`` (see the module docstring).

    ``with pyese.Instance("data") as inst:``; ``inst.close()`` is the same as the exit.
    ``session_timeout`` is how long ``transaction()`` waits for a free session.
    """

    def __init__(self, path: str | os.PathLike[str], *, name: str | None = None,
                 circular_log: bool = True, session_timeout: float = 30.0,
                 **params: int | str | bool) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self.name = name or f"pyese-{os.getpid()}-{next(_instance_numbers)}"
        self._lock = threading.Lock()
        self._databases: dict[str, Database] = {}
        self._closed = True
        ids = [(param_id(k), v) for k, v in params.items()]  # check names before any work
        os.makedirs(self.path, exist_ok=True)
        self._handle = jet.JetCreateInstance(self.name)
        try:
            d = self.path + os.sep
            jet.JetSetSystemParameter(self._handle, None, C.JET_paramSystemPath, 0, d)
            jet.JetSetSystemParameter(self._handle, None, C.JET_paramLogFilePath, 0, d)
            jet.JetSetSystemParameter(self._handle, None, C.JET_paramTempPath, 0, d)
            jet.JetSetSystemParameter(self._handle, None, C.JET_paramCircularLog,
                                      int(bool(circular_log)))
            for pid, value in ids:
                if isinstance(value, str):
                    jet.JetSetSystemParameter(self._handle, None, pid, 0, value)
                else:
                    jet.JetSetSystemParameter(self._handle, None, pid, int(value))
            jet.JetInit(self._handle)
        except BaseException:
            try:
                jet.JetTerm(self._handle)
            except jet.JetError:
                pass
            raise
        max_sessions = jet.JetGetSystemParameter(self._handle, None,
                                                 C.JET_paramMaxSessions)[0]
        self.pool = SessionPool(self._handle, max(1, int(max_sessions)), session_timeout)
        self._closed = False

    # -- life cycle -------------------------------------------------------------------

    @property
    def handle(self) -> jet.JET_INSTANCE:
        """The ``JET_INSTANCE`` (for calls through ``pyese.jet``)."""
        return self._handle

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise InstanceClosedError(f"instance {self.name!r} is closed")

    def close(self) -> None:
        """End every session (rolling back what is still open) and ``JetTerm``."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for ps in self.pool.close():
            try:
                jet.JetEndSession(ps.sesid)  # rolls back an abandoned transaction
            except jet.JetError:
                pass
        jet.JetTerm(self._handle)

    def __enter__(self) -> Instance:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<pyese.Instance {self.name!r} at {self.path!r} ({state})>"

    def get_param(self, name: str) -> int | str | None:
        """A system parameter's value by name (``JetGetSystemParameter``)."""
        self._check_open()
        value, text = jet.JetGetSystemParameter(self._handle, None, param_id(name))
        return text if text is not None else value

    # -- sessions ----------------------------------------------------------------------

    def _borrow(self, timeout: float | None = None) -> PooledSession:
        self._check_open()
        return self.pool.acquire(timeout)

    def _level0(self, fn: Callable[[PooledSession], T]) -> T:
        """Run ``fn`` on a pooled session at transaction level 0."""
        ps = self._borrow()
        try:
            return fn(ps)
        finally:
            self.pool.release(ps)

    # -- databases ---------------------------------------------------------------------

    def open_database(self, filename: str | os.PathLike[str], *, create: bool = True,
                      read_only: bool = False) -> Database:
        """Create the database, or attach and open it (a relative name lives in ``path``).

        A genuine Windows ``.edb`` opens with ``read_only=True``. Raises
        ``FileNotFoundError`` when the file is absent and ``create`` is False; ESE's errors
        (``JET_errDatabaseFileReadOnly`` for a genuine file opened for writing, ...).
        """
        self._check_open()
        full = os.path.join(self.path, os.fspath(filename))
        with self._lock:
            db = self._databases.get(full)
            if db is not None:
                if db.read_only != read_only:
                    raise ValueError(f"{full!r} is already open with read_only="
                                     f"{db.read_only}")
                return db

        def attach(ps: PooledSession) -> Database:
            if os.path.exists(full):
                grbit = C.JET_bitDbReadOnly if read_only else 0
                jet.JetAttachDatabase(ps.sesid, full, grbit)
                dbid = jet.JetOpenDatabase(ps.sesid, full, None, grbit)
            elif not create:
                raise FileNotFoundError(f"no database {full!r} (create=False)")
            elif read_only:
                raise FileNotFoundError(f"no database {full!r} to open read-only")
            else:
                dbid = jet.JetCreateDatabase(ps.sesid, full)
            ps.dbids[full] = dbid
            return Database(self, full, read_only)

        db = self._level0(attach)
        with self._lock:
            self._databases[full] = db
        return db

    @property
    def databases(self) -> list[Database]:
        """The databases open in this instance."""
        with self._lock:
            return list(self._databases.values())

    def _default_database(self) -> Database:
        with self._lock:
            dbs = list(self._databases.values())
        if len(dbs) == 1:
            return dbs[0]
        if not dbs:
            raise ValueError("no database is open: call inst.open_database(...) first")
        names = ", ".join(os.path.basename(d.filename) for d in dbs)
        raise ValueError(f"{len(dbs)} databases are open ({names}): pass database=")

    # -- transactions ------------------------------------------------------------------

    def transaction(self, *, lazy: bool = False, read_only: bool = False,
                    timeout: float | None = None) -> Transaction:
        """Begin a transaction now on a pooled session (waits ``timeout`` for one).

        ``lazy`` commits without waiting for the log flush (``JET_bitCommitLazyFlush``);
        ``read_only`` begins with ``JET_bitTransactionReadOnly``.
        """
        return Transaction(self, self._borrow(timeout), lazy=lazy, read_only=read_only)

    def _local_transaction(self, *, lazy: bool = False) -> Transaction:
        """A transaction the layer itself runs start to end on the calling thread: bound
        to the thread as ESE binds one begun without a session context, so it costs no
        context calls (``insert_many``'s batches)."""
        return Transaction(self, self._borrow(), lazy=lazy, read_only=False, movable=False)

    def run(self, fn: Callable[[Transaction], T], *, retries: int = 10, lazy: bool = False,
            read_only: bool = False) -> T:
        """Call ``fn(tx)`` in a transaction and commit; on a write conflict roll back and
        run the whole again (at most ``retries`` more times). Returns ``fn``'s result."""
        attempt = 0
        while True:
            tx = self.transaction(lazy=lazy, read_only=read_only)
            try:
                result = fn(tx)
                tx.commit()
                return result
            except (jet.WriteConflictError, jet.WriteConflictPrimaryIndexError):
                tx._abandon()
                if attempt >= retries:
                    raise
                attempt += 1
                time.sleep(random.uniform(0, 0.0005 * min(attempt, 20)))
            except BaseException:
                tx._abandon()
                raise


class Database:
    """One database open in an instance: its tables and their definitions."""

    def __init__(self, instance: Instance, filename: str, read_only: bool) -> None:
        self.instance = instance
        self.filename = filename
        self.read_only = read_only
        self._meta: dict[str, TableMeta] = {}
        self._meta_lock = threading.Lock()

    def __repr__(self) -> str:
        ro = ", read-only" if self.read_only else ""
        return f"<pyese.Database {self.filename!r}{ro}>"

    def _dbid(self, ps: PooledSession) -> Any:
        return ps.dbid(self.filename, self.read_only)

    # -- schema ------------------------------------------------------------------------

    def table_names(self) -> list[str]:
        """The names of the database's tables, in the catalog's order."""

        def names(ps: PooledSession) -> list[str]:
            rows = jet.JetGetObjectInfo(ps.sesid, self._dbid(ps), C.JET_objtypTable, None,
                                        None, C.JET_ObjInfoListNoStats)
            return [r.objectname for r in rows
                    if not r.objectname.startswith("MSys") or r.flags == 0]

        return self.instance._level0(names)

    def _unknown_table(self, name: str) -> jet.JetError:
        try:
            known = ", ".join(self.table_names()) or "none"
        except jet.JetError:
            known = "?"
        return jet.error_class(C.JET_errObjectNotFound)(
            C.JET_errObjectNotFound, f"no table {name!r} in {os.path.basename(self.filename)}"
            f" (tables: {known})")

    def create_table(self, name: str, columns: Mapping[str, Column | Any],
                     indexes: Mapping[str, str | Sequence[str] | Index] | None = None
                     ) -> None:
        """Create a table with its columns and indexes in one step
        (``JetCreateTableColumnIndex``: all of it or nothing). A column is a
        :class:`Column` or a bare type; an index a key string, a list or an :class:`Index`.
        ESE's errors: ``JET_errTableDuplicate``, ``JET_errColumnDuplicate``, ..."""
        if not isinstance(name, str):
            raise TypeError(f"a table name is a str, not {type(name).__name__}")
        ccs = [column_create(cname, col) for cname, col in columns.items()]
        ics = [index_create(iname, spec) for iname, spec in (indexes or {}).items()]
        tc = JET_TABLECREATE(szTableName=name, rgcolumncreate=ccs, rgindexcreate=ics)

        def create(ps: PooledSession) -> None:
            jet.JetCreateTableColumnIndex(ps.sesid, self._dbid(ps), tc)
            jet.JetCloseTable(ps.sesid, tc.tableid)

        self.instance._level0(create)
        with self._meta_lock:
            self._meta.pop(name, None)

    def drop_table(self, name: str) -> None:
        """Delete a table (``JetDeleteTable``); its cached cursors are closed first.
        ``JET_errObjectNotFound`` (naming the tables that exist) when there is none."""
        self.instance.pool.for_each_idle(lambda ps: ps.forget_table(self.filename, name))

        def drop(ps: PooledSession) -> None:
            ps.forget_table(self.filename, name)
            try:
                jet.JetDeleteTable(ps.sesid, self._dbid(ps), name)
            except jet.ObjectNotFoundError:
                raise self._unknown_table(name) from None

        self.instance._level0(drop)
        with self._meta_lock:
            self._meta.pop(name, None)

    def columns(self, table: str) -> list[ColumnInfo]:
        """The table's columns as the catalog says (``JetGetColumnInfo``, ColInfoList)."""

        def cols(ps: PooledSession) -> list[ColumnInfo]:
            try:
                rows = jet.JetGetColumnInfo(ps.sesid, self._dbid(ps), table, None,
                                            C.JET_ColInfoListSortColumnid)
            except jet.ObjectNotFoundError:
                raise self._unknown_table(table) from None
            out = []
            for r in rows:
                try:
                    typ: Any = coltyp_of(r.coltyp)
                except TypeError:
                    typ = r.coltyp
                default = decode_value(r.coltyp, r.Default, r.Cp) if r.Default else None
                out.append(ColumnInfo(r.columnname, r.columnid, typ, r.Cp, r.cbMax,
                                      r.grbit, default))
            return out

        return self.instance._level0(cols)

    def indexes(self, table: str) -> list[IndexInfo]:
        """The table's indexes as the catalog says (``JetGetIndexInfo``, IdxInfoList)."""

        def idx(ps: PooledSession) -> list[IndexInfo]:
            try:
                rows = jet.JetGetIndexInfo(ps.sesid, self._dbid(ps), table, None,
                                           C.JET_IdxInfoList)
            except jet.ObjectNotFoundError:
                raise self._unknown_table(table) from None
            grouped: dict[str, list[Any]] = {}
            for r in rows:
                grouped.setdefault(r.indexname, []).append(r)
            out = []
            for iname, segs in grouped.items():
                segs.sort(key=lambda r: r.iColumn)
                key = [("-" if s.grbitColumn & C.JET_bitKeyDescending else "+") + s.columnname
                       for s in segs]
                out.append(IndexInfo(iname, key, segs[0].grbitIndex, segs[0].cEntry))
            return out

        return self.instance._level0(idx)

    def _table_meta(self, ps: PooledSession, name: str, tableid: Any) -> TableMeta:
        meta = self._meta.get(name)
        if meta is None:
            meta = TableMeta.load(ps.sesid, tableid, name)
            with self._meta_lock:
                self._meta[name] = meta
        return meta

    # -- bulk load ---------------------------------------------------------------------

    def insert_many(self, table: str, rows: Iterable[Mapping[str, Any]], *,
                    lazy: bool = False, batch: int = 1000) -> int:
        """Insert ``rows`` in transactions of at most ``batch`` rows each, committed one by
        one (durable unless ``lazy``); returns the number of rows inserted.

        Each transaction is kept small enough for the version store: a batch that meets
        ``JET_errVersionStoreOutOfMemory`` is rolled back and redone in halves, so any
        number of rows loads in bounded memory. Not atomic as a whole: after an error the
        batches before the failing one stay committed (the count is in the exception's
        ``inserted`` attribute), the failing batch is rolled back entirely.
        """
        if batch < 1:
            raise ValueError("batch must be at least 1")
        total = 0
        pending: list[Mapping[str, Any]] = []
        size = batch

        def flush(chunk: list[Mapping[str, Any]]) -> None:
            nonlocal total, size
            i = 0
            while i < len(chunk):
                part = chunk[i:i + size]
                tx = self.instance._local_transaction(lazy=lazy)
                try:
                    t = tx.table(table, database=self)
                    t._insert_many_no_result(part)
                    tx.commit()
                except jet.VersionStoreOutOfMemoryError:
                    tx._abandon()
                    if size == 1:
                        raise
                    size = max(1, size // 2)
                    continue
                except BaseException as exc:
                    tx._abandon()
                    exc.inserted = total  # type: ignore[attr-defined]
                    raise
                total += len(part)
                i += len(part)

        for row in rows:
            pending.append(row)
            if len(pending) >= size:
                flush(pending)
                pending = []
        if pending:
            flush(pending)
        return total
