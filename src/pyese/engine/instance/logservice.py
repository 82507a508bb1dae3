"""An instance's durable storage services: paths, recovery, the log, the applier, the
version store and the attached databases (ESE ``ErrIsamInit`` / ``ErrIsamTerm``).

At JetInit (``_start``, an ``InstanceServices.on_start`` hook):

1. resolve ``JET_paramSystemPath`` / ``JET_paramLogFilePath`` (ESE's default ``.\\`` is the
   current directory; ``\\`` and ``/`` both separate), create them with
   ``JET_paramCreatePathIfNotExist``, refuse a path another initialised instance of this
   process uses (``JET_errSystemPathInUse`` / ``JET_errLogFilePathInUse``, jetapi.cxx
   ~4903-5010);
2. soft recovery (``storage.recovery.recover``): replay the log after the checkpoint; the
   databases it names end CleanShutdown and detached, ready for JetAttachDatabase;
3. open the LogWriter (a new generation) and the Applier, and the VersionStore, which is
   registered as a transaction observer.

With ``JET_paramRecovery`` "off" nothing is logged: commits apply straight to the files.

At JetTerm (``_stop``): clean -> detach every database (a DETACH record, wait until applied,
mark CleanShutdown), drain the applier, close the log with its TERM record; dirty
(``JET_bitTermDirty``, instance unavailable, or a failure on the clean path) -> close the
files as they are: the next JetInit recovers. A failed JetInit closes everything it opened.

``parts`` set here: ``"storage"`` (the InstanceStorage), ``"databases"`` (its
``DatabaseTable``), ``"version_store"``, ``"transaction_observers"`` (appended to),
``"log_signature"``, ``"attached_paths"``, ``"faults"``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyese.engine.instance.database import DatabaseTable
from pyese.engine.instance.instance import Instance, InstanceServices
from pyese.engine.transactions.versionstore import VER_PAGE_BYTES, VersionStore
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage import threadstats
from pyese.storage.faults import NO_FAULTS, FaultInjector
from pyese.storage.lgpos import LGPOS
from pyese.storage.log.applier import Applier
from pyese.storage.log.checkpoint import checkpoint_path
from pyese.storage.log.log_writer import LogWriter
from pyese.storage.log.recovery import RecoveryResult, recover
from pyese.storage.ops import Op

APPLY_DELAY = 0.010
"""Seconds the applier holds durable commits so that several share one LMDB write and its
fsync (``storage/log/applier.py``, "Coalescing"): a lone durable committer then pays its
log fsync and about 0.06 LMDB fsyncs instead of one each."""

FLUSH_DELAY = 0.005
"""Seconds the applier leaves the log flush of records not yet durable to their committers
before it flushes them itself (``storage/log/applier.py``, "With force_flush"): a durable
committer flushes at once, a lazy commit is durable within about this long."""

TEST_FAULTS: FaultInjector | None = None
"""Tests set a FaultInjector here; each JetInit after that passes it to the log and applier."""

_paths_lock = threading.Lock()
_system_paths: dict[str, int] = {}
_log_paths: dict[str, int] = {}


@dataclass
class LogSignature:
    """The log signature in the shape of JET_SIGNATURE (``ulRandom``, ``logtimeCreate``,
    ``szComputerName``), plus the raw 16 bytes."""

    raw: bytes
    ulRandom: int
    logtimeCreate: Any = None
    szComputerName: str = ""


def resolve_path(value: str) -> str:
    """An ESE path parameter as an absolute directory path ('' and '.\\\\' = cwd)."""
    text = str(value).replace("\\", "/") if os.sep == "/" else str(value)
    text = text.rstrip("/\\") or "."
    return os.path.abspath(text)


class LogCommitter:
    """Commits through the write-ahead log (the applier appends and queues)."""

    def __init__(self, log: LogWriter) -> None:
        self.log = log
        self.applier: Applier | None = None

    def commit(self, trxid: int, ops_by_dbnum: dict[int, list[Op]],
               logged: Callable[[LGPOS | None], None]) -> LGPOS | None:
        assert self.applier is not None
        return self.applier.commit(trxid, ops_by_dbnum, logged)

    def flush(self, lgpos: LGPOS | None) -> None:
        self.log.flush(lgpos)

    def new_generation(self) -> None:
        self.log.new_generation()


class DirectCommitter:
    """JET_paramRecovery off: each commit is applied to the files at once (no log)."""

    def __init__(self, databases: DatabaseTable) -> None:
        self.databases = databases
        self.vs: VersionStore | None = None
        """Told of each apply before and after its file commits (as the applier does)."""

    def commit(self, trxid: int, ops_by_dbnum: dict[int, list[Op]],
               logged: Callable[[LGPOS | None], None]) -> LGPOS | None:
        assert self.vs is not None
        logged(None)
        files = {dbnum: self.databases.by_dbnum[dbnum].file for dbnum in ops_by_dbnum}
        self.vs.on_applying({d: f.header.applied_lgpos for d, f in files.items()}, None)
        try:
            for dbnum, ops in ops_by_dbnum.items():
                hdr = files[dbnum].header.applied_lgpos
                files[dbnum].apply(ops, LGPOS(hdr.generation, hdr.offset + 1))
        finally:
            self.vs.on_applied(None)
        threadstats.charge_commit(sum(len(ops) for ops in ops_by_dbnum.values()), None)
        return None

    def flush(self, lgpos: LGPOS | None) -> None:
        return None

    def new_generation(self) -> None:
        return None


class InstanceStorage:
    """What JetInit opened for one instance (see the module docstring)."""

    def __init__(self, instance: Instance, faults: FaultInjector) -> None:
        self.instance = instance
        self.faults = faults
        p = instance.params
        self.recovery_on = p.recovery
        self.system_path = resolve_path(p.system_path)
        self.log_path = resolve_path(p.log_file_path)
        self.base_name = p.base_name
        self.log: LogWriter | None = None
        self.applier: Applier | None = None
        self.recovery: RecoveryResult | None = None
        self.databases = DatabaseTable(self)
        self.vs: VersionStore | None = None
        self._claimed = False

    # -- start ------------------------------------------------------------------------

    def start(self, grbit: int = 0) -> None:
        """Recover and open the log (JetInit); ``grbit``: JetInit2's recovery bits
        (JET_bitReplayIgnoreMissingDB lets recovery go on without a missing database;
        after a recovery that ran redo, JET_bitTruncateLogsAfterRecovery deletes the
        archived generations before the new one and JET_bitKeepDbAttachedAtEndOfRecovery
        leaves the recovered databases attached)."""
        inst = self.instance
        p = inst.params
        max_bytes = (p.max_ver_pages + 2) * VER_PAGE_BYTES  # ESE: jetapi.cxx ~5145
        if not self.recovery_on:
            direct = DirectCommitter(self.databases)
            self.vs = VersionStore(inst, direct, max_bytes=max_bytes,
                                   on_fatal=inst.set_unavailable)
            direct.vs = self.vs
            return
        self._claim_paths()
        for path in (self.system_path, self.log_path):
            if not os.path.isdir(path):
                if not p.create_path_if_not_exist:
                    raise_error(C.JET_errInvalidPath, f"{path} does not exist")
                try:
                    os.makedirs(path, exist_ok=True)
                except (OSError, ValueError) as exc:  # ValueError: NUL or unencodable
                    raise JetError.from_code(C.JET_errInvalidPath, f"{path}: {exc}") from exc
        from pyese.engine.instance.lifecycle import pending_recovery_options
        self.recovery = recover(self.log_path, self.system_path, self.base_name,
                                ignore_missing_db=bool(grbit & C.JET_bitReplayIgnoreMissingDB),
                                options=pending_recovery_options(inst.id))
        self.log = LogWriter.open(self.log_path, self.base_name,
                                  file_size_kb=p.log_file_size_kb, circular=p.circular_log,
                                  faults=self.faults)
        committer = LogCommitter(self.log)
        self.vs = VersionStore(inst, committer, max_bytes=max_bytes,
                               on_fatal=inst.set_unavailable)
        self.applier = Applier(self.log, checkpoint_path(self.system_path, self.base_name),
                               on_applied=self.vs.on_applied,
                               on_applying=self.vs.on_applying, circular=p.circular_log,
                               faults=self.faults, apply_delay=APPLY_DELAY,
                               flush_delay=FLUSH_DELAY)
        committer.applier = self.applier
        result = self.recovery
        if result is not None and result.redo:
            if grbit & C.JET_bitTruncateLogsAfterRecovery:
                # ESE logredo.cxx ErrLGRRedo -> LGTruncateLogsAfterRecovery (logstream.cxx):
                # the archived generations before the current one, once the checkpoint
                # (written by the Applier at the new generation) no longer needs them
                self.log.truncate_before(self.log.start_lgpos)
            if grbit & C.JET_bitKeepDbAttachedAtEndOfRecovery and not result.clean_end:
                # ESE ErrLGRIEndAllSessions( fKeepDbAttached && !m_fLastLRIsShutdown )
                for info in result.attached:
                    self.databases.attach_recovered(info.path)

    def _claim_paths(self) -> None:
        with _paths_lock:
            if self.system_path in _system_paths:
                raise_error(C.JET_errSystemPathInUse, self.system_path)
            if self.log_path in _log_paths:
                raise_error(C.JET_errLogFilePathInUse, self.log_path)
            _system_paths[self.system_path] = self.instance.id
            _log_paths[self.log_path] = self.instance.id
            self._claimed = True

    def _release_paths(self) -> None:
        if not self._claimed:
            return
        with _paths_lock:
            _system_paths.pop(self.system_path, None)
            _log_paths.pop(self.log_path, None)
        self._claimed = False

    @property
    def log_signature(self) -> LogSignature | None:
        if self.log is None:
            return None
        raw = bytes(self.log.signature)
        return LogSignature(raw, int.from_bytes(raw[:4], "little"))

    # -- stop -------------------------------------------------------------------------

    def stop(self, *, dirty: bool) -> None:
        """Shut down cleanly, or (``dirty``) leave the files for the next recovery."""
        try:
            if not dirty:
                try:
                    self.databases.detach_all_for_term()
                    if self.applier is not None:
                        self.applier.close(drain=True)
                    if self.log is not None:
                        self.log.close(clean=True)
                except JetError:
                    dirty = True
            if dirty:
                self.close_dirty()
        finally:
            self._release_paths()

    def close_dirty(self) -> None:
        """Close everything without marking anything clean (crash-equivalent)."""
        if self.vs is not None:
            self.vs.close_all_snapshots()
        if self.applier is not None:
            try:
                self.applier.close(drain=False)
            except JetError:
                pass
        self.databases.close_all_files()
        if self.log is not None:
            try:
                self.log.close(clean=False)
            except (JetError, OSError):
                pass
        self._release_paths()


def storage_of(instance: Instance) -> InstanceStorage:
    """The instance's storage services; JET_errNotInitialized if it has none."""
    services = instance.services
    storage = services.parts.get("storage") if services is not None else None
    if not isinstance(storage, InstanceStorage):
        raise_error(C.JET_errNotInitialized)
    return storage


def commit_id(instance: Instance, lgpos: object) -> tuple[int, object | None]:
    """What JetCommitTransaction2 reports of a logged level-0 commit at ``lgpos``: its commit
    id (``generation << 32 | isec << 16 | ib``) and the instance's log signature (a
    ``LogSignature``; None without a log)."""
    services = instance.services
    signature = services.parts.get("log_signature") if services is not None else None
    generation = getattr(lgpos, "generation", 0)
    isec = getattr(lgpos, "isec", 0)
    ib = getattr(lgpos, "ib", 0)
    return (generation << 32) | (isec << 16) | ib, signature


def _start(instance: Instance, services: InstanceServices, grbit: int) -> None:
    faults = TEST_FAULTS if TEST_FAULTS is not None else NO_FAULTS
    storage = InstanceStorage(instance, faults)
    try:
        storage.start(grbit)
    except BaseException:
        storage.close_dirty()
        raise
    assert storage.vs is not None
    services.parts["storage"] = storage
    services.parts["databases"] = storage.databases
    services.parts["version_store"] = storage.vs
    services.parts["faults"] = faults
    observers = services.parts.get("transaction_observers")
    if not isinstance(observers, list):
        observers = []
        services.parts["transaction_observers"] = observers
    observers.append(storage.vs)
    services.parts["log_signature"] = storage.log_signature
    services.parts["attached_paths"] = storage.databases.attached_paths


def _stop(instance: Instance, services: InstanceServices, dirty: bool) -> None:
    storage = services.parts.get("storage")
    if isinstance(storage, InstanceStorage):
        storage.stop(dirty=dirty)


def register() -> None:
    """Add the hooks to InstanceServices once (import of this module does it)."""
    if _start not in InstanceServices.on_start:
        InstanceServices.on_start.append(_start)
    if _stop not in InstanceServices.on_stop:
        InstanceServices.on_stop.append(_stop)


register()
