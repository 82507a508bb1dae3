"""The instance's temporary database and the temporary tables open in it.

ESE creates the temporary database on first need (``pib.cxx`` ErrPIBOpenTempDatabase ->
INST::ErrINSTCreateTempDatabase) at ``JET_paramTempPath``, recovery off and shadowing off,
and versioning off unless ``JET_paramEnableTempTableVersioning`` (``sysinit.cxx``
ErrINSTCreateTempDatabase_); it deletes it when the instance terminates. pyese does the
same: :class:`TempStore` is an instance service (``InstanceServices`` hooks), made at
``JetInit``; its file (``storage.tempdb``) is created by the first temporary table that
needs it and deleted at ``JetTerm``. A leftover file of a killed process is simply
recreated: nothing in it is ever read back, and the log never names it.

``JET_paramTempPath``: a path ending in a separator (or naming a directory) holds
``tmp.edb``; anything else is the file itself; a relative path is taken from the current
directory, as ESE takes it.

Versioning (``JET_paramEnableTempTableVersioning``, on by default as in ESE): a change a
session makes to a *materialized* temporary table inside a transaction is undone by the
rollback of that transaction. :class:`TempStore` is a transaction observer keeping, per
session and level, the before-images of those changes. Sorts are never versioned (ESE
``sort.cxx``: "Versioning doesn't occur on sorts"), nor is the bulk copy that
materializes a sort (``sortapi.cxx`` ErrIsamSortMaterialize appends with fDIRNoVersion).

Locks: ``lock`` guards ``file`` creation, the objid counter, ``scb_count`` and ``undo``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyese.engine.instance.instance import InstanceServices
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.database.tempdb import TempDatabaseFile

if TYPE_CHECKING:
    from pyese.engine.instance.instance import Instance
    from pyese.engine.instance.session import Session

TEMP_FILE_NAME = "tmp.edb"


def temp_file_path(temp_path: str) -> str:
    """Where the temporary database lives for a ``JET_paramTempPath`` value."""
    path = temp_path.replace("\\", os.sep) if os.sep == "/" else temp_path
    if not path:
        path = TEMP_FILE_NAME
    if path.endswith(os.sep) or os.path.isdir(path):
        path = os.path.join(path, TEMP_FILE_NAME)
    return os.path.abspath(path)


class TempStore:
    """One instance's temporary database service (see the module docstring)."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.lock = threading.Lock()
        self.path = temp_file_path(instance.params.temp_path)
        self.file: TempDatabaseFile | None = None
        self._objid = 0
        self.scb_count = 0
        """Sorts alive (ESE's SCBs), bounded by JET_paramMaxTemporaryTables."""
        self.tables: set[Any] = set()
        """Open temporary tables (TempTable), closed at JetTerm."""
        self.versioning = bool(_param(instance, C.JET_paramEnableTempTableVersioning, 1))
        self.undo: dict[int, list[list[Callable[[], None]]]] = {}
        """session id -> per open level, the undo actions of that level."""

    @property
    def max_sorts(self) -> int:
        return int(_param(self.instance, C.JET_paramMaxTemporaryTables, 20))

    def open_file(self) -> TempDatabaseFile:
        """The temporary database, created on first need (ErrPIBOpenTempDatabase)."""
        with self.lock:
            if self.file is None or self.file.closed:
                self.file = TempDatabaseFile(self.path)
            return self.file

    def new_objid(self) -> int:
        with self.lock:
            self._objid += 1
            return self._objid

    # -- sorts (SCBs) ---------------------------------------------------------------------

    def acquire_scb(self) -> None:
        """Count a new sort; JET_errTooManySorts past JET_paramMaxTemporaryTables (ESE
        sort.cxx ErrSORTOpen: the SCB pool is sized by that parameter)."""
        with self.lock:
            if self.scb_count >= self.max_sorts:
                raise_error(C.JET_errTooManySorts)
            self.scb_count += 1

    def release_scb(self) -> None:
        with self.lock:
            self.scb_count = max(0, self.scb_count - 1)

    # -- versioning: a transaction observer ------------------------------------------------

    def record_undo(self, session: Session, action: Callable[[], None]) -> None:
        """Remember how to undo one change made by ``session`` at its current level."""
        if not self.versioning or session.level == 0:
            return
        with self.lock:
            levels = self.undo.setdefault(session.id, [])
            while len(levels) < session.level:
                levels.append([])
            levels[session.level - 1].append(action)

    def on_begin(self, session: Session, level: int) -> None:
        return None

    def on_commit(self, session: Session, level: int, lazy: bool) -> None:
        with self.lock:
            levels = self.undo.get(session.id)
            if not levels or len(levels) < level:
                return None
            done = levels.pop()
            if levels and level > 1:
                levels[-1].extend(done)
            if not levels:
                self.undo.pop(session.id, None)
        return None

    def on_rollback(self, session: Session, level: int) -> None:
        with self.lock:
            levels = self.undo.get(session.id)
            actions = levels.pop() if levels and len(levels) >= level else []
            if levels is not None and not levels:
                self.undo.pop(session.id, None)
        for action in reversed(actions):
            action()

    def wait_commit(self, session: Session, grbit: int) -> None:
        return None

    # -- life -----------------------------------------------------------------------------

    def close(self) -> None:
        """JetTerm: close every temporary table and delete the file."""
        for table in list(self.tables):
            table.destroy()
        with self.lock:
            file, self.file = self.file, None
            self.undo.clear()
        if file is not None:
            file.close(delete=True)


def _param(instance: Instance, paramid: int, default: int) -> int:
    try:
        return int(instance.params.get(paramid))
    except Exception:  # noqa: BLE001 - a parameter pyese does not keep: ESE's default
        return default


def temp_store_of(instance: Instance) -> TempStore:
    """The instance's TempStore; JET_errNotInitialized without one."""
    services = instance.services
    store = services.parts.get("temp_store") if services is not None else None
    if not isinstance(store, TempStore):
        raise_error(C.JET_errNotInitialized)
    return store  # type: ignore[return-value]


def _start(instance: Instance, services: InstanceServices, grbit: int) -> None:
    store = TempStore(instance)
    services.parts["temp_store"] = store
    observers = services.parts.get("transaction_observers")
    if not isinstance(observers, list):
        observers = []
        services.parts["transaction_observers"] = observers
    observers.append(store)


def _stop(instance: Instance, services: InstanceServices, dirty: bool) -> None:
    store = services.parts.pop("temp_store", None)
    if isinstance(store, TempStore):
        store.close()


def register() -> None:
    """Add the hooks to InstanceServices once (import of this module does it)."""
    if _start not in InstanceServices.on_start:
        InstanceServices.on_start.append(_start)
    if _stop not in InstanceServices.on_stop:
        InstanceServices.on_stop.append(_stop)


register()
