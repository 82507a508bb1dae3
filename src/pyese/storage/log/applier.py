"""From "committed in the log" to "durable in the database files", and the checkpoint.

The engine logs through the applier so that the log order and the apply order are one::

    commit(trxid, ops_by_dbnum) -> lgpos     append COMMIT, queue its redo
    attach(dbnum, path, db)     -> lgpos     append ATTACH, flush, queue
    detach(dbnum)               -> lgpos     append DETACH, flush, wait until applied

A background thread takes queued records in log order, **only those at or before the
log's flushed position** (the WAL rule: a lazily committed change must not reach a
database file before its log record is durable, or a crash could keep one half of a
two-database transaction). It groups the ops of many records into one
``DatabaseFile.apply(ops, lgpos)`` per database (one LMDB write transaction, which also
records the database's applied position), then calls ``on_applied(lgpos)`` so the engine
can drop in-memory versions up to ``lgpos``.

An apply in flight is announced: before the first file commit of a batch the thread calls
``on_applying(before, end)``, where ``before`` maps each database the batch writes to the
applied position its file holds just before (a read snapshot of that file holds this batch
exactly when its recorded applied position is past it) and ``end`` is the batch's last
position. Readers use it to know, for each file snapshot, whether the batch is in it
(``engine.transactions.versionstore``: the in-flight window between a file commit and
``on_applied``).
``commit(..., logged)`` calls ``logged(lgpos)`` under the applier's lock right after the
append, so a commit is known to the engine before any batch holding it is announced.

Coalescing. A lone durable committer must pay one fsync (its log flush, the durability
point), not two: if every commit were applied at once, each would also cost an LMDB
write-transaction fsync competing with the next commit's log fsync for the disk. So once
queued records are durable in the log the thread waits up to ``apply_delay`` seconds for
more to join the batch (one LMDB commit and one fsync for all of them), unless the batch is
full, the applier is stopping, the log moved to a new generation (the checkpoint, and log
truncation behind it, advance at once as before), or someone waits for the apply
(``wait_applied``, ``drain``, ``detach``: ``_urgent`` counts them). Readers are not
affected: until ``on_applied`` the versions stay in memory and the read path merges them.
The instance turns it on (``logservice.APPLY_DELAY``, 10 ms); whoever needs the checkpoint
current drains first (a truncate-only backup does, ``engine/backup/filebackup.py``).

With ``force_flush`` (default) the thread flushes the log itself when queued records are
not yet durable, so lazy commits reach the databases within one group flush; otherwise
it waits for someone else's flush (a flush listener wakes it). With ``flush_delay`` it
first leaves that flush to the committers for up to ``flush_delay`` seconds: a durable
committer flushes its own record microseconds after appending it, and the thread must not
race it for the flush (the committer would then wait for the thread's flush instead of
doing its own: a lock hand-off and two thread switches on the critical path).

Wake-ups. A lone durable commit must not wake the thread: each wake-up costs the committer
a GIL hand-off. ``commit`` notifies only when the thread sleeps without a timeout
(``_sleeping``: nothing queued, or waiting for someone's flush) or the batch is full; a
thread in a timed wait (coalescing, or the flush delay) wakes by itself. The flush
listener notifies only while the thread waits for a flush (``_awaiting_flush``).

Database syncs. Batches are applied with ``DatabaseFile.apply(durable=False)``: one LMDB
commit (whose data pages LMDB fsyncs, keeping integrity) without the extra meta-page sync.
The log holds every applied record until a checkpoint passes it, so a database need only be
durable up to the checkpoint: ``_write_checkpoint`` flushes every database applied to
since the last one (``_unsynced``) before it writes the checkpoint.

Checkpoint. After a batch, every record through the batch's last position is durable in
every attached database, so that position (with the attachments as of it) is a valid
checkpoint. It is written when the log generation changed or ``checkpoint_bytes`` of log
passed since the last one, and on ``drain``; with circular logging, archived generations
wholly before it are then deleted.

Errors: the first failure (a ``db.apply`` I/O error -> JET_errDiskFull / JET_errDiskIO, a
log flush failure, a checkpoint write failure) stops the thread; ``failed`` holds the
JetError and ``commit``/``attach``/``detach``/``drain`` raise it.

Locking: ``self._lock`` (``self._cond``) guards ``_queue``, ``_submitted``, ``_applied``,
``_failed``, ``_stopping``, ``_ckpt_state``, ``_urgent``, ``_coalesce_until``,
``_flush_wait_until``, ``_sleeping``, ``_awaiting_flush``, ``_unsynced``;
appends to the log happen under it so queue order is log order (lock order: applier lock,
then log writer lock). ``_dbs`` (dbnum ->
attachment and open database) belongs to the applier thread. ``_ckpt_lock`` serialises
checkpoint writes.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage import threadstats
from pyese.storage.faults import NO_FAULTS, FaultInjector, jet_error_from_os
from pyese.storage.lgpos import LGPOS
from pyese.storage.log import log_format as F
from pyese.storage.log.checkpoint import AttachInfo, Checkpoint, write_checkpoint
from pyese.storage.log.log_writer import LogWriter
from pyese.storage.ops import Op

_COMMIT, _ATTACH, _DETACH = 1, 2, 3


class _Entry(NamedTuple):
    kind: int
    lgpos: LGPOS
    ops: Mapping[int, Sequence[Op]] | None = None
    info: AttachInfo | None = None
    db: Any = None


class Applier:
    """Applies committed redo to the attached databases and keeps the checkpoint.

    ``log``: the instance's LogWriter; ``checkpoint_file``: path of ``<base>.chk``.
    ``on_applying(before, end)``: called on the applier thread before each batch's file
    commits; ``on_applied(lgpos)``: after them.
    On construction a checkpoint at ``log.start_lgpos`` with nothing attached is written
    (recovery has just made every database consistent).
    """

    def __init__(self, log: LogWriter, checkpoint_file: str, *,
                 on_applied: Callable[[LGPOS], None] | None = None,
                 on_applying: Callable[[dict[int, LGPOS], LGPOS], None] | None = None,
                 circular: bool | None = None, checkpoint_bytes: int = 4 << 20,
                 force_flush: bool = True, batch_records: int = 4096,
                 apply_delay: float = 0.0, flush_delay: float = 0.0,
                 faults: FaultInjector = NO_FAULTS, start: bool = True) -> None:
        self._log = log
        self._checkpoint_file = checkpoint_file
        self._on_applied = on_applied
        self._on_applying = on_applying
        self._circular = log.circular if circular is None else circular
        self._checkpoint_bytes = checkpoint_bytes
        self._force_flush = force_flush
        self._batch_records = batch_records
        self._apply_delay = apply_delay
        self._urgent = 0
        self._coalesce_until: float | None = None
        self._flush_delay = flush_delay
        self._flush_wait_until: float | None = None
        self._sleeping = False
        self._awaiting_flush = False
        self._faults = faults
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._ckpt_lock = threading.Lock()
        self._queue: deque[_Entry] = deque()
        start_pos = log.start_lgpos
        self._submitted = start_pos
        self._applied = start_pos
        self._failed: JetError | None = None
        self._stopping = False
        self._frozen = False
        self._busy = False
        self._ckpt_state: tuple[LGPOS, tuple[AttachInfo, ...]] = (start_pos, ())
        self._ckpt_written: LGPOS | None = None
        self._dbs: dict[int, tuple[AttachInfo, Any]] = {}
        self._unsynced: dict[int, Any] = {}
        """id -> the databases applied to (``durable=False``) since the last checkpoint's
        sync; guarded by ``_lock``."""
        self.batches = 0
        self._write_checkpoint(force=True)
        log.add_flush_listener(self._on_flushed)
        self._thread = threading.Thread(target=self._run, name="pyese-applier", daemon=True)
        if start:
            self._thread.start()

    def start(self) -> None:
        """Start the background thread (when constructed with ``start=False``)."""
        self._thread.start()

    # --- submitting -----------------------------------------------------------------------

    def commit(self, trxid: int, ops_by_dbnum: Mapping[int, Sequence[Op]],
               logged: Callable[[LGPOS], None] | None = None) -> LGPOS:
        """Log a committed transaction's redo (not flushed) and queue it; return its
        position. ``logged(lgpos)`` runs under the applier's lock once it is queued, before
        the thread can take it (it must not call the applier). The caller flushes for a
        durable commit (``log.flush(lgpos)``) and must not mutate ``ops_by_dbnum``
        afterwards. Raises the applier's or the log's failure."""
        record, nops = F.commit_record(trxid, ops_by_dbnum)
        with self._lock:  # (the condition's lock; a bare lock costs no Python call)
            if self._failed is not None:
                raise self._failed
            lg = self._log.append_record(record)
            self._queue.append(_Entry(_COMMIT, lg, ops_by_dbnum))
            self._submitted = lg
            if logged is not None:
                logged(lg)
            if self._sleeping or len(self._queue) >= self._batch_records:
                self._cond.notify_all()
        threadstats.charge_commit(nops, len(record) - F.RECORD_HEADER_SIZE)
        return lg

    def attach(self, dbnum: int, path: str, db: Any) -> LGPOS:
        """Log (durably) that database ``db`` (a DatabaseFile at ``path``) is attached as
        ``dbnum``, then mark it DirtyShutdown with this log's signature (which restarts its
        applied position if it belonged to another log). Commits made after this returns
        may touch ``dbnum``."""
        info = AttachInfo(dbnum, path, bytes(db.header.signature))
        payload = F.encode_attach(dbnum, info.signature, path)
        with self._cond:
            if self._failed is not None:
                raise self._failed
            lg = self._log.append(F.REC_ATTACH, payload)
            self._queue.append(_Entry(_ATTACH, lg, info=info, db=db))
            self._submitted = lg
            self._cond.notify_all()
        self._log.flush(lg)
        # ESE: db.cxx, attach marks the header dirty; positions now belong to this log
        db.set_state(C.JET_dbstateDirtyShutdown, log_signature=self._log.signature, lgpos=lg)
        return lg

    def detach(self, dbnum: int, *, timeout: float | None = None) -> LGPOS:
        """Log (durably) that ``dbnum`` is detached and wait until every earlier record is
        applied to it; the caller may then mark the file clean and close it."""
        with self._cond:
            if self._failed is not None:
                raise self._failed
            lg = self._log.append(F.REC_DETACH, F.encode_detach(dbnum))
            self._queue.append(_Entry(_DETACH, lg, info=AttachInfo(dbnum, "", b"")))
            self._submitted = lg
            self._cond.notify_all()
        self._log.flush(lg)
        self.wait_applied(lg, timeout=timeout)
        with self._cond:
            if self._failed is not None:
                raise self._failed
        # advance the checkpoint past the detach: a crash from here on never makes
        # recovery reopen the detached file (ESE: a clean detach updates the checkpoint)
        self._write_checkpoint(force=True)
        return lg

    # --- observing and waiting ------------------------------------------------------------

    @property
    def failed(self) -> JetError | None:
        return self._failed

    @property
    def applied_lgpos(self) -> LGPOS:
        """Every queued record at or before this position is durable in its databases."""
        with self._lock:
            return self._applied

    @property
    def checkpoint_lgpos(self) -> LGPOS | None:
        """Position of the last checkpoint written."""
        return self._ckpt_written

    def wait_applied(self, lgpos: LGPOS, timeout: float | None = None) -> bool:
        """Wait until ``lgpos`` is applied (True) or the applier failed / timed out (False)."""
        with self._cond:
            self._urgent += 1
            self._cond.notify_all()
            try:
                return self._cond.wait_for(
                    lambda: self._applied >= lgpos or self._failed is not None, timeout
                ) and self._failed is None
            finally:
                self._urgent -= 1

    def drain(self) -> LGPOS:
        """Flush the log, wait until everything queued is applied, write a checkpoint;
        return the applied position. Raises the applier's failure."""
        with self._cond:
            target = self._submitted
            if self._failed is not None:
                raise self._failed
        self._log.flush(target)
        with self._cond:
            self._urgent += 1
            self._cond.notify_all()
            try:
                self._cond.wait_for(
                    lambda: self._applied >= target or self._failed is not None)
            finally:
                self._urgent -= 1
            if self._failed is not None:
                raise self._failed
        self._write_checkpoint(force=True)
        return target

    def close(self, *, drain: bool = True) -> None:
        """Stop the thread (after draining, unless ``drain=False``). Raises the failure
        if draining was asked for and the applier has failed."""
        err: JetError | None = None
        if drain:
            try:
                self.drain()
            except JetError as exc:
                err = exc
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join()
        if err is not None:
            raise err

    # --- OS snapshot freeze ---------------------------------------------------------------

    def freeze(self) -> None:
        """Stop writing database files and the checkpoint (an OS snapshot's freeze): wait
        for the batch under way, then hold the thread until ``thaw``. ``_frozen`` and
        ``_busy`` (a batch taken and not yet checkpointed) are guarded by ``_lock``."""
        with self._cond:
            self._frozen = True
            self._cond.wait_for(lambda: not self._busy or self._failed is not None
                                or not self._thread.is_alive())

    def thaw(self) -> None:
        with self._cond:
            self._frozen = False
            self._cond.notify_all()

    # --- the thread -----------------------------------------------------------------------

    def _on_flushed(self, _lgpos: LGPOS) -> None:
        """The log's flush listener (on the flushing thread: a durable committer's
        critical path). Takes the lock only when the thread waits for a flush: it sets
        ``_awaiting_flush`` *before* it reads the flushed position, so a flush that this
        check finds unawaited is one the thread's read will see."""
        if not self._awaiting_flush:
            return
        with self._lock:
            self._cond.notify_all()

    def _fail(self, exc: BaseException) -> None:
        err = exc if isinstance(exc, JetError) else jet_error_from_os(exc, log=False)
        with self._cond:
            if self._failed is None:
                self._failed = err
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            flush_to: LGPOS | None = None
            with self._cond:
                if self._busy:  # the previous batch is applied and checkpointed
                    self._busy = False
                    self._cond.notify_all()
                while True:
                    if self._failed is not None:
                        return
                    if self._frozen and not self._stopping:  # an OS snapshot's freeze
                        self._sleep(None)
                        continue
                    if self._queue:
                        # set before reading the flushed position: see _on_flushed
                        self._awaiting_flush = True
                        flushed = self._log.flushed_lgpos
                        if self._queue[0].lgpos <= flushed:
                            self._awaiting_flush = False
                            self._flush_wait_until = None
                            left = self._coalesce_left()
                            if left > 0:
                                self._sleep(left)
                                continue
                            self._coalesce_until = None
                            break
                        if self._force_flush:
                            left = self._flush_wait_left()
                            if left > 0:  # a durable committer is about to flush
                                self._sleep(left)
                                self._awaiting_flush = False
                                continue
                            self._awaiting_flush = False
                            self._flush_wait_until = None
                            flush_to = self._queue[-1].lgpos
                            break
                        self._sleep(None)
                        self._awaiting_flush = False
                        continue
                    elif self._stopping:
                        return
                    self._sleep(None)
                batch: list[_Entry] = []
                if flush_to is None:
                    q = self._queue
                    while q and q[0].lgpos <= flushed and len(batch) < self._batch_records:
                        batch.append(q.popleft())
                    self._busy = True
            if flush_to is not None:
                try:
                    self._log.flush(flush_to)
                except BaseException as exc:
                    self._fail(exc)
                    return
                continue
            end = batch[-1].lgpos
            try:
                if self._on_applying is not None:
                    self._on_applying(self._positions_before(batch), end)
                self._apply_batch(batch)
                self._faults.hit("applier.applied")
            except BaseException as exc:
                self._fail(exc)
                return
            attached = tuple(info for info, _db in self._dbs.values())
            with self._cond:
                self._applied = end
                self._ckpt_state = (end, attached)
                self.batches += 1
                self._cond.notify_all()
            try:
                if self._on_applied is not None:
                    self._on_applied(end)
                self._write_checkpoint(force=False)
            except BaseException as exc:
                self._fail(exc)
                return

    def _sleep(self, timeout: float | None) -> None:
        """Wait on the condition (caller holds ``_lock``); ``_sleeping`` tells submitters
        that only an untimed wait needs their wake-up (see Wake-ups)."""
        self._sleeping = timeout is None
        try:
            self._cond.wait(timeout)
        finally:
            self._sleeping = False

    def _flush_wait_left(self) -> float:
        """Seconds the thread should still leave the flush of queued records that are not
        yet durable to their committers (see Wake-ups); 0 to flush now. Caller holds
        ``_lock``."""
        if self._flush_delay <= 0 or self._urgent or self._stopping:
            return 0.0
        now = time.monotonic()
        if self._flush_wait_until is None:
            self._flush_wait_until = now + self._flush_delay
        return self._flush_wait_until - now

    def _coalesce_left(self) -> float:
        """Seconds the thread should still wait for more records to join the batch (see
        Coalescing in the module docstring); 0 to apply now. Caller holds ``_lock``."""
        if (self._apply_delay <= 0 or self._urgent or self._stopping
                or len(self._queue) >= self._batch_records
                or self._queue[-1].lgpos.generation != self._applied.generation):
            return 0.0
        now = time.monotonic()
        if self._coalesce_until is None:
            self._coalesce_until = now + self._apply_delay
        return self._coalesce_until - now

    def _positions_before(self, batch: list[_Entry]) -> dict[int, LGPOS]:
        """dbnum -> the applied position its file holds before ``batch``, for each
        database the batch writes."""
        files = {dbnum: db for dbnum, (_info, db) in self._dbs.items()}
        before: dict[int, LGPOS] = {}
        for e in batch:
            if e.kind == _ATTACH:
                assert e.info is not None
                files.setdefault(e.info.dbnum, e.db)
            elif e.kind == _COMMIT:
                assert e.ops is not None
                for dbnum in e.ops:
                    db = files.get(dbnum)
                    if dbnum not in before and db is not None:
                        before[dbnum] = db.header.applied_lgpos
        return before

    def _apply_batch(self, batch: list[_Entry]) -> None:
        pending: dict[int, list[Op]] = {}
        last: dict[int, LGPOS] = {}
        for e in batch:
            if e.kind == _COMMIT:
                assert e.ops is not None
                for dbnum, ops in e.ops.items():
                    if dbnum not in self._dbs:
                        raise_error(C.JET_errInvalidParameter,
                                    f"commit {e.lgpos} touches database {dbnum}, not attached")
                    lst = pending.get(dbnum)
                    if lst is None:
                        pending[dbnum] = list(ops)
                    else:
                        lst.extend(ops)
                    last[dbnum] = e.lgpos
            else:
                self._apply_pending(pending, last)
                pending, last = {}, {}
                assert e.info is not None
                if e.kind == _ATTACH:
                    self._dbs[e.info.dbnum] = (e.info, e.db)
                else:
                    self._dbs.pop(e.info.dbnum, None)
        self._apply_pending(pending, last)

    def _apply_pending(self, pending: dict[int, list[Op]], last: dict[int, LGPOS]) -> None:
        for dbnum, ops in pending.items():
            db = self._dbs[dbnum][1]
            with self._lock:  # before the apply: a checkpoint written from now on syncs it
                self._unsynced[id(db)] = db
            try:
                self._faults.hit("applier.apply")
                db.apply(ops, last[dbnum], durable=False)
            except OSError as exc:
                raise jet_error_from_os(exc, log=False, detail=f"apply to database {dbnum}") \
                    from exc

    def _sync_databases(self) -> None:
        """Make every apply so far durable in its file (``DatabaseFile.flush``) before a
        checkpoint names it (caller holds ``_ckpt_lock``). A database that failed to sync
        stays listed for the next checkpoint; the error is raised."""
        with self._lock:
            dbs, self._unsynced = self._unsynced, {}
        try:
            while dbs:
                key = next(iter(dbs))
                dbs[key].flush()
                del dbs[key]
        except BaseException as exc:
            with self._lock:
                self._unsynced.update(dbs)
            if isinstance(exc, OSError):
                raise jet_error_from_os(exc, log=False, detail="database sync") from exc
            raise

    def _write_checkpoint(self, *, force: bool) -> None:
        with self._ckpt_lock:
            with self._lock:
                lgpos, attached = self._ckpt_state
            prev = self._ckpt_written
            if prev is not None and lgpos <= prev:
                return
            if not force and prev is not None and lgpos.generation == prev.generation \
                    and lgpos.offset - prev.offset < self._checkpoint_bytes:
                return
            self._sync_databases()
            write_checkpoint(self._checkpoint_file,
                             Checkpoint(lgpos, self._log.signature, attached),
                             faults=self._faults)
            self._ckpt_written = lgpos
            if self._circular:
                self._log.truncate_before(lgpos)
