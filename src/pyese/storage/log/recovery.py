"""Soft recovery: bring every database the log knows about up to the end of the log.

ESE's ``ErrLGSoftStart`` (``_log/logredo.cxx``) replays the log from the checkpoint, then
undoes transactions that never committed, and leaves the databases consistent. pyese logs
only committed transactions (one COMMIT record holds all of a transaction's changes, for
every database it touched), so there is nothing to undo: redo alone yields exactly the
committed prefix of the log.

Invariants this relies on:

1. *WAL.* A change reaches a database file only after the log record holding it is
   durable (the applier's rule). So a database never holds a change the log lacks.
2. *Checkpoint.* Every change logged before the checkpoint is durable in every database
   attached at that moment (the applier writes the checkpoint after applying).
3. *Idempotent redo, ordered.* Ops store or delete whole values. Replaying every record
   from any point at or before a database's true state, in log order, ends in the same
   state. Each database also records the position of the last record applied to it
   (``header.applied_lgpos``, written in the same LMDB transaction as the changes), so
   records at or before it are skipped: replay runs twice with the same result.

Timeline::

    gen 1                      gen 2                 gen 3 (edb.log)
    |INIT|ATTACH 1|C|C|C|...   |C|C|DETACH 1|C|...   |C|C|C|...|torn
                    ^ checkpoint                              ^ end of log
                    replay from here ------------------------>

The walk:

- no checkpoint and no log files: a fresh instance (``fresh``);
- no checkpoint: start at the first generation present, with the databases its header
  lists as attached (format 2: every generation's header carries the attachments, as
  ESE's LGFILEHDR does, so circular logging that deleted the ATTACH records loses
  nothing); a checkpoint but no log, or a
  checkpoint older than every log present -> ``JET_errMissingLogFile``; a checkpoint of
  another log stream -> ``JET_errBadCheckpointSignature``;
- the checkpoint's attachments, then each ATTACH record, open a database. A file that is
  missing, or whose signature is not the logged one, is *deferred*: never touched, its
  records skipped (ESE: ``ErrLGRICheckAttachedDb`` -> ``redoattachDefer``). A DETACH of a
  deferred database clears it. If a deferred database is still attached at the end of the
  log, recovery fails with ``JET_errAttachedDatabaseMismatch`` (ESE: logredo.cxx,
  ``ErrLGIAttachedDatabaseMismatch``), unless ``ignore_missing_db``
  (``JET_bitReplayIgnoreMissingDB``: "continue recovery of the available databases",
  Microsoft's "Extensible Storage Engine Files" page);
- a database already consistent past the attachment (CleanShutdown in this log stream,
  ``consistent_lgpos`` at or after the ATTACH record or the start) holds every record up
  to that position: it is opened read-only to look, never written, and its records up to
  ``consistent_lgpos`` are skipped (ESE: logredo.cxx ``ErrLGRICheckAttachedDb`` ->
  ``redoattachDeferConsistentFuture``). A cleanly detached database is thus left
  byte-for-byte alone, even on read-only media;
- COMMIT ops are gathered per database and applied in batches (one ``apply`` each);
- a DETACH and the end of the log mark the database CleanShutdown at that position;
- a database of this log stream that has applied records beyond the end of the log
  (the log lost committed records it holds) -> ``JET_errCommittedLogFilesMissing``
  (ESE: the database header's genCommitted beyond the last log present).

Options of JetInit3 (``RecoveryOptions``; ESE ``jetapi.cxx`` ErrInitComplete, ``_log/rstmap.cxx``,
``_log/log.cxx``):

- *restore map* (``JET_RSTMAP``): each entry names where a database the log knows under
  ``source`` is to be replayed (``dest``). A logged attachment is matched first by
  signature against the map's destination files that exist, then, for destinations not
  yet there, by the longest map ``source`` that ends the logged path (ESE
  ``ErrReplaceRstMapEntryBySignature``, ``ErrReplaceRstMapEntryByName``). A database the
  map does not name is replayed where the log says only with ``replay_missing_map_entry``
  (``JET_bitReplayMissingMapEntryDB``, which JetInit and JetInit2 always add); otherwise
  it is skipped, untouched and not an error (ESE logredo.cxx: ``SetSkippedAttach``);
- *stop position* (``lgposStop``): replay ends before the first record past it (pyese
  names a record by its end, as its commit ids do, so the stop at a commit id replays
  that commit and nothing after it), the
  databases stay as replayed (DirtyShutdown, ready to go on) and recovery fails with
  ``JET_errRecoveredWithoutUndo`` (ESE ``ErrGetLgposRedoWithCheck``,
  ``FLGRecoveryLgposStopLogRecord``: a stop whose isec and ib are both 0 stops nothing);
- *without undo* (``JET_bitRecoveryWithoutUndo``): the same at the end of the log;
  ``JET_errRecoveredWithoutUndoDatabasesConsistent`` when the log ended with a clean
  TERM (the databases then are consistent: a clean term detached them), else
  ``JET_errRecoveredWithoutUndo``;
- *ignore lost logs* (``JET_bitReplayIgnoreLostLogs``): a database holding records past
  the end of the log no longer stops recovery with ``JET_errCommittedLogFilesMissing``;
- *log stream must exist* (``JET_bitLogStreamMustExist``): no checkpoint and no log is
  ``JET_errFileNotFound`` instead of a fresh start (tm.cxx ``FEnsureLogStreamMustExist``);
- *status*: called with ``JET_sntBegin``, ``JET_sntProgress`` (percent of the generations
  replayed) and ``JET_sntComplete``;
- *recovery control* (``control``, ``JET_bitExternalRecoveryControl``): ESE asks
  questions whose default answers come from the grbits (tm.cxx
  ``ErrRecoveryControlDefaultCallback``); ``control`` gives the answer instead. With no
  checkpoint and no log, ``JET_sntMissingLog`` (``JET_MissingLogCreateNewLogStream``):
  default ``JET_errFileNotFound`` with *log stream must exist*, else success; an answer of
  ``JET_errFileNotFound`` or ``JET_errMissingLogFile`` is ``JET_errMissingLogFile`` (log.cxx
  ``ErrLGRecoveryControlCallback``). When redo runs (no checkpoint, or no clean TERM at
  the end), ``JET_sntOpenLog`` with ``JET_OpenLogForRedo`` before each generation is read
  (logstream.cxx ``ErrLGTryOpenLogFile``), ``JET_sntAttachedDb`` for each database redo
  attaches and ``JET_sntDetachingDb`` before it detaches one (db.cxx
  ``ErrLGDbAttachedCallback`` / ``ErrLGDbDetachingCallback``): default success, an error
  fails recovery with it. After redo,
  when the log did not end with a clean TERM, ``JET_sntBeginUndo`` (logredo.cxx
  ``ErrLGRRedo`` -> ``ErrLGBeginUndoCallback``): default ``JET_errRecoveredWithoutUndo``
  with ``without_undo``, else success; ``JET_errRecoveredWithoutUndo`` stops as *without
  undo* does, another error fails recovery with it (the databases stay as replayed).
  Then, once redo and undo are done (or were not needed), ``JET_sntOpenLog`` with
  ``JET_OpenLogForDo`` (``ErrLGSoftStart`` -> ``ErrLGOpenLogCallback``): default
  ``JET_errRecoveredWithoutUndoDatabasesConsistent`` with ``without_undo``, else success;
  an error fails recovery with it, the databases consistent;
- *truncate logs* (``truncate_logs``, ``JET_bitTruncateLogsAfterRecovery``): when recovery
  stops without undo, the archived generations before the last one replayed are deleted
  (ESE logredo.cxx calls ``LGTruncateLogsAfterRecovery`` on that path; logstream.cxx deletes
  from the lowest generation present up to the current one). First the checkpoint moves to
  the start of that generation, with the attachments its header lists, since everything
  before it is in the databases; when a database was deferred or skipped (its records
  would be lost) the checkpoint stays and only generations before it go. After a recovery
  that completes, the instance deletes them once its new generation and checkpoint exist
  (``engine.instance.logservice``);
- *infer the checkpoint from the map* (``infer_checkpoint``,
  ``JET_bitReplayInferCheckpointFromRstmapDbs``): with no checkpoint file, replay starts at
  the lowest generation the map's databases need instead of the first generation present
  (logredo.cxx ``ErrLGSoftStart``, rstmap.cxx ``LoadCheckpointGenerationFromRstmap``): a
  clean database needs the generation of its consistent position, a dirty one that of the
  last record applied to it (every record up to there is in the file; ESE's
  ``lGenMinRequired``), or of its attachment when none was. A destination file that is not
  there, or a database with no position, makes it the first generation present again; a
  generation that is not there is ``JET_errMissingPreviousLogFile``.

Errors from the log reader (``JET_errLogFileCorrupt``, ``JET_errMissingLogFile``,
``JET_errBadLogSignature``, ``JET_errInvalidLogSequence``) and from the checkpoint
(``JET_errCheckpointCorrupt``) propagate before or while replaying; replay is idempotent,
so a recovery that stopped on an error can run again once the cause is fixed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.database.dbfile import DatabaseFile
from pyese.storage.lgpos import LGPOS, LGPOS_MIN
from pyese.storage.log import log_format as F
from pyese.storage.log.checkpoint import AttachInfo, checkpoint_path, read_checkpoint
from pyese.storage.log.log_reader import LogReader
from pyese.storage.ops import Op


@dataclass(frozen=True)
class RecoveryResult:
    """What recovery found and did."""

    fresh: bool
    """No checkpoint and no log files: nothing to recover."""
    log_signature: bytes | None
    start_lgpos: LGPOS | None
    end_lgpos: LGPOS
    """End of the last intact record (the new log starts after it)."""
    torn: bool
    """The last generation ended in a torn or damaged record (cut off)."""
    clean_end: bool
    """The last record is TERM: the instance had shut down cleanly."""
    attached: tuple[AttachInfo, ...]
    """Databases attached at the end of the log, recovered and marked clean."""
    skipped: tuple[AttachInfo, ...] = ()
    """Attached at the end but missing or mismatched (only with ignore_missing_db)."""
    records_replayed: int = 0
    ops_applied: int = 0
    redo: bool = False
    """ESE would have run its redo pass: the log did not end with a clean TERM, or there
    was no checkpoint (logredo.cxx ``ErrLGSoftStart``: ``!fCloseNormally ||
    *pfNewCheckpointFile``)."""


@dataclass
class RestoreMapEntry:
    """One ``JET_RSTMAP`` entry of a soft recovery (ESE's ``RSTMAP``)."""

    source: str
    """The database's path as the log names it (full path; the destination when unknown)."""
    dest: str
    """Where to replay it (full path)."""
    signature: bytes | None = None
    """The destination file's database signature; None when the file is not there."""


@dataclass
class RecoveryOptions:
    """What JetInit3 asks of recovery beyond its default walk (module docstring)."""

    rstmap: list[RestoreMapEntry] = field(default_factory=list)
    replay_missing_map_entry: bool = True
    stop: LGPOS | None = None
    stop_generation: int | None = None
    """The generation of ``lgposStop`` (also when it stops no record): a checkpoint in a
    later one ends recovery before redo (ESE ``ErrLGSoftStart``)."""
    without_undo: bool = False
    ignore_lost_logs: bool = False
    log_stream_must_exist: bool = False
    """JET_bitLogStreamMustExist: no log to recover is JET_errFileNotFound."""
    status: Callable[[int, int, int], None] | None = None
    """``status(snt, cunitDone, cunitTotal)``."""
    control: Callable[[int, int, tuple[Any, ...], tuple[int, bool, int, str] | None], int] \
        | None = None
    """``control(snt, errDefault, headers, log)`` -> the JET_ERR that decides (module
    docstring, *recovery control*); ``headers``: the replayed databases' headers; ``log``:
    ``(generation, is the current log, JET_OpenLog reason, path)`` for JET_sntOpenLog."""
    truncate_logs: bool = False
    """JET_bitTruncateLogsAfterRecovery (module docstring)."""
    infer_checkpoint: bool = False
    """JET_bitReplayInferCheckpointFromRstmapDbs (module docstring)."""


def read_map_signature(entry: RestoreMapEntry,
                       open_database: Callable[..., Any] | None = None) -> None:
    """Fill ``entry.signature`` from its destination's header when the file exists (ESE
    ``ErrRstmapSoftCheckDBFiles``; a file that is not there may be created by replay)."""
    if not os.path.exists(entry.dest):
        entry.signature = None
        return
    db = (open_database or _default_open)(entry.dest, read_only=True)
    try:
        entry.signature = bytes(db.header.signature)
    finally:
        db.close()


def _same_name(a: str, b: str) -> bool:
    return os.path.normcase(a) == os.path.normcase(b)


def map_attachment(options: RecoveryOptions, info: AttachInfo) -> AttachInfo | None:
    """``info`` with the path the restore map gives it; ``info`` itself without a map or,
    with ``replay_missing_map_entry``, for a database the map does not name; None: skip it.

    By signature first, among destinations that exist; then by name, among those that do
    not: the longest map source that ends the logged path, which then takes the logged
    path and signature (ESE rstmap.cxx ``ErrReplaceRstMapEntryBySignature`` /
    ``ErrReplaceRstMapEntryByName``)."""
    if not options.rstmap:
        return info
    for entry in options.rstmap:
        if entry.signature is not None and entry.signature == info.signature:
            entry.source = info.path
            return AttachInfo(info.dbnum, entry.dest, info.signature)
    best: RestoreMapEntry | None = None
    logged = os.path.normcase(info.path)
    for entry in options.rstmap:
        if entry.signature is not None:
            continue
        tail = os.path.normcase(entry.source)
        if logged.endswith(tail) and (best is None or len(tail) > len(best.source)):
            best = entry
    if best is not None:
        best.source = info.path
        best.signature = info.signature
        return AttachInfo(info.dbnum, best.dest, info.signature)
    return info if options.replay_missing_map_entry else None


@dataclass
class _Attached:
    info: AttachInfo
    db: Any  # None when deferred or consistent
    baseline: LGPOS = LGPOS_MIN
    consistent_until: LGPOS | None = None
    """Set for a database already consistent at this position: nothing to redo up to it."""
    seen: LGPOS = LGPOS_MIN
    """Highest applied position of this log stream the database's header recorded."""
    pending: list[Op] = field(default_factory=list)
    pending_lgpos: LGPOS | None = None


def _default_open(path: str, *, read_only: bool = False) -> Any:
    return DatabaseFile.open(path, read_only=read_only)


class _Replay:
    def __init__(self, signature: bytes, open_database: Callable[..., Any], read_only: bool,
                 batch_ops: int, options: RecoveryOptions | None = None) -> None:
        self.options = options or RecoveryOptions()
        self.skipped: dict[int, AttachInfo] = {}
        self.signature = signature
        self.open_database = open_database
        self.read_only = read_only
        self.batch_ops = batch_ops
        self.dbs: dict[int, _Attached] = {}
        self.pending_ops = 0
        self.ops_applied = 0

    def attach(self, info: AttachInfo, at: LGPOS) -> None:
        """Attach ``info`` as of log position ``at`` (its ATTACH record, or the start)."""
        old = self.dbs.pop(info.dbnum, None)
        self.skipped.pop(info.dbnum, None)
        if old is not None:
            self.finish(old, None)
        mapped = map_attachment(self.options, info)
        if mapped is None:
            # not in the restore map: never touched, its records skipped (ESE logredo.cxx
            # SetSkippedAttach), and not a mismatch at the end of the log
            self.skipped[info.dbnum] = info
            return
        info = mapped
        entry = _Attached(info, None)
        self.dbs[info.dbnum] = entry
        if not os.path.exists(info.path):
            return
        # look first, read-only: a database consistent past ``at`` is never written
        db = self.open_database(info.path, read_only=True)
        try:
            hdr = db.header
            if bytes(hdr.signature) != info.signature:
                return  # deferred: another file under that name
            ours = hdr.log_signature is not None and bytes(hdr.log_signature) == self.signature
            if ours:
                entry.seen = hdr.applied_lgpos
            if ours and hdr.state == C.JET_dbstateCleanShutdown and hdr.consistent_lgpos >= at:
                entry.consistent_until = hdr.consistent_lgpos
                return
        finally:
            db.close()
        self._open(entry)

    def _open(self, entry: _Attached) -> None:
        db = self.open_database(entry.info.path, read_only=self.read_only)
        entry.db = db
        entry.consistent_until = None
        hdr = db.header
        if hdr.log_signature is not None and bytes(hdr.log_signature) == self.signature:
            entry.baseline = hdr.applied_lgpos
        elif not self.read_only:
            # positions of another log mean nothing here: restart them (the attach was
            # logged before the header was updated, then the process died)
            db.set_state(C.JET_dbstateDirtyShutdown, log_signature=self.signature)

    def commit(self, lgpos: LGPOS, ops_by_dbnum: dict[int, list[Op]]) -> None:
        for dbnum, ops in ops_by_dbnum.items():
            entry = self.dbs.get(dbnum)
            if entry is None and dbnum in self.skipped:
                continue
            if entry is None:
                raise_error(C.JET_errLogFileCorrupt,
                            f"record {lgpos} changes database {dbnum}, which is not attached")
            if entry.consistent_until is not None:
                if lgpos <= entry.consistent_until:
                    continue
                self._open(entry)  # changes after its consistent point: redo them
            if entry.db is None or lgpos <= entry.baseline:
                continue
            entry.pending.extend(ops)
            entry.pending_lgpos = lgpos
            self.pending_ops += len(ops)
        if self.pending_ops >= self.batch_ops:
            self.apply_all()

    def apply(self, entry: _Attached) -> None:
        if entry.pending and entry.pending_lgpos is not None:
            if not self.read_only:
                entry.db.apply(entry.pending, entry.pending_lgpos)
            self.ops_applied += len(entry.pending)
            self.pending_ops -= len(entry.pending)
        entry.pending = []
        entry.pending_lgpos = None

    def apply_all(self) -> None:
        for entry in self.dbs.values():
            self.apply(entry)
        self.pending_ops = 0

    def finish(self, entry: _Attached, lgpos: LGPOS | None) -> None:
        """Apply what is pending, mark clean at ``lgpos`` (if given), close."""
        if entry.db is None:
            return
        if lgpos is not None and entry.db.header.state == C.JET_dbstateCleanShutdown \
                and entry.db.header.consistent_lgpos >= lgpos and not entry.pending:
            entry.db.close()  # nothing was redone: leave the file as it is
            entry.db = None
            return
        self.apply(entry)
        if lgpos is not None and not self.read_only:
            entry.db.set_state(C.JET_dbstateCleanShutdown, log_signature=self.signature,
                               lgpos=lgpos)
        entry.db.close()
        entry.db = None

    def detach(self, dbnum: int, lgpos: LGPOS) -> None:
        self.skipped.pop(dbnum, None)
        entry = self.dbs.pop(dbnum, None)
        if entry is not None:
            self.finish(entry, lgpos)

    def attached_callback(self, dbnum: int) -> None:
        """JET_sntAttachedDb once redo attached database ``dbnum`` (db.cxx: after an
        attach or create replayed, ``ErrLGDbAttachedCallback``); default success, an error
        fails recovery with it. A database skipped or deferred was not attached: not
        asked."""
        entry = self.dbs.get(dbnum)
        if self.options.control is None or entry is None or (
                entry.db is None and entry.consistent_until is None):
            return
        err = self.options.control(C.JET_sntAttachedDb, C.JET_errSuccess, (),
                                   (0, False, 0, entry.info.path))
        if err < 0:
            raise_error(err, f"recovery control refused the attachment of {entry.info.path}")

    def detaching_callback(self, dbnum: int) -> None:
        """JET_sntDetachingDb before redo detaches database ``dbnum``
        (``ErrLGDbDetachingCallback``); default success, an error fails recovery with it."""
        entry = self.dbs.get(dbnum)
        if self.options.control is None or entry is None or (
                entry.db is None and entry.consistent_until is None):
            return
        err = self.options.control(C.JET_sntDetachingDb, C.JET_errSuccess, (),
                                   (0, False, 0, entry.info.path))
        if err < 0:
            raise_error(err, f"recovery control refused the detach of {entry.info.path}")

    def headers(self) -> tuple[Any, ...]:
        """The headers of the databases replay has open (their state after redo)."""
        return tuple(e.db.header for e in self.dbs.values() if e.db is not None)

    def leave_dirty(self) -> None:
        """Close every database replay opened, marked DirtyShutdown when it was replayed
        into: recovery stopped before the end and a later one goes on from there."""
        for entry in self.dbs.values():
            if entry.db is not None:
                if not self.read_only and entry.db.header.state != C.JET_dbstateDirtyShutdown:
                    entry.db.set_state(C.JET_dbstateDirtyShutdown,
                                       log_signature=self.signature)
                entry.db.close()
                entry.db = None

    def close_all(self) -> None:
        for entry in self.dbs.values():
            if entry.db is not None:
                entry.db.close()
                entry.db = None


def recover(log_path: str, system_path: str, base_name: str = F.DEFAULT_BASE_NAME, *,
            open_database: Callable[..., Any] | None = None, read_only: bool = False,
            ignore_missing_db: bool = False, batch_ops: int = 20000,
            options: RecoveryOptions | None = None) -> RecoveryResult:
    """Replay the log in ``log_path`` from the checkpoint in ``system_path`` into the
    databases it names; see the module docstring for the walk, JetInit3's ``options`` and
    the errors.

    ``open_database(path, read_only=...)`` opens a database file (default
    ``DatabaseFile.open``). ``read_only``: touch nothing, only report.
    Modifies log files only with ``options.truncate_logs``, when recovery stops without
    undo (it then also moves the checkpoint).
    """
    opts = options or RecoveryOptions()
    opener = open_database or _default_open
    ckpt_file = checkpoint_path(system_path, base_name)
    ckpt = read_checkpoint(ckpt_file)
    reader = LogReader(log_path, base_name,
                       signature=ckpt.log_signature if ckpt is not None else None)
    if not reader.files:
        if ckpt is None:
            # ESE asks JET_sntMissingLog (lGenMissing 0, the current log,
            # JET_MissingLogCreateNewLogStream) before it starts a new log stream; with
            # JET_bitLogStreamMustExist the default answer is JET_errFileNotFound (tm.cxx
            # FEnsureLogStreamMustExist)
            err = C.JET_errFileNotFound if opts.log_stream_must_exist else C.JET_errSuccess
            if opts.control is not None:
                err = opts.control(C.JET_sntMissingLog, err, (),
                                   (0, True, C.JET_MissingLogCreateNewLogStream,
                                    reader.current_path))
                if err in (C.JET_errFileNotFound, C.JET_errMissingLogFile):
                    # ErrLGRecoveryControlCallback maps both answers to a missing log
                    err = C.JET_errMissingLogFile
            if err < 0:
                raise_error(err, f"no log stream in {log_path}")
            return RecoveryResult(True, None, None, LGPOS_MIN, False, False, ())
        raise_error(C.JET_errMissingLogFile,
                    f"checkpoint at {ckpt.lgpos} but no log files in {log_path}")
    if ckpt is not None:
        start = ckpt.lgpos
        start_file = reader.files.get(start.generation)
        if start_file is not None:
            if F.read_file_header(start_file).signature != ckpt.log_signature:
                raise_error(C.JET_errBadCheckpointSignature,
                            "checkpoint belongs to another log stream")
        initial = ckpt.attached
    else:
        first = reader.first_generation
        assert first is not None
        if opts.infer_checkpoint:
            inferred = _generation_from_map(opts, opener)
            if inferred:
                if inferred not in reader.files:
                    # ESE ErrLGSoftStart: ErrLGOpenLogFile( ..., JET_errMissingPreviousLogFile )
                    raise_error(C.JET_errMissingPreviousLogFile,
                                f"{F.archived_log_name(base_name, inferred)} is missing")
                first = inferred
        start = LGPOS(first, reader.header(first).size)
        initial = reader.header(first).attached
    if opts.stop_generation is not None and start.generation > opts.stop_generation:
        # ESE ErrLGSoftStart: "if the checkpoint is already past the UndoStop, finish
        # this recovery" before any redo
        raise_error(C.JET_errRecoveredWithoutUndo,
                    f"the checkpoint ({start}) is past generation {opts.stop_generation} "
                    "of the stop position")
    progress = _Progress(opts.status, start.generation, reader.last_generation)
    # JET_sntOpenLog (JET_OpenLogForRedo) before each generation redo opens (logstream.cxx
    # ErrLGTryOpenLogFile / ErrLGTryOpenJetLog): only when ESE runs redo, i.e. the log did
    # not end with a clean TERM or there is no checkpoint (ErrLGSoftStart)
    ask_open = opts.control is not None and (ckpt is None or not _ends_clean(reader, start))
    opened = start.generation - 1
    records = reader.records(start)
    replay: _Replay | None = None
    n = 0
    last_type: int | None = None
    last_gen = start.generation
    stopped = False
    progress.begin()
    try:
        for rec in records:
            if ask_open and rec.start.generation > opened:
                opened = _ask_open_log(opts, reader, replay, opened, rec.start.generation)
            if replay is None:
                assert reader.signature is not None
                replay = _Replay(reader.signature, opener, read_only, batch_ops, opts)
                for info in initial:
                    replay.attach(info, start)
                    if ask_open:
                        replay.attached_callback(info.dbnum)
            if opts.stop is not None and rec.lgpos > opts.stop:
                stopped = True  # ESE log.cxx FLGRecoveryLgposStopLogRecord
                break
            progress.at(rec.start.generation)
            n += 1
            last_type = rec.rectype
            last_gen = rec.start.generation
            if rec.rectype == F.REC_COMMIT:
                _trx, ops = F.decode_commit(rec.payload)
                replay.commit(rec.lgpos, ops)
            elif rec.rectype == F.REC_ATTACH:
                replay.apply_all()
                dbnum, sig, path = F.decode_attach(rec.payload)
                replay.attach(AttachInfo(dbnum, path, sig), rec.lgpos)
                if ask_open:
                    replay.attached_callback(dbnum)
            elif rec.rectype == F.REC_DETACH:
                replay.apply_all()
                dbnum = F.decode_detach(rec.payload)
                if ask_open:
                    replay.detaching_callback(dbnum)
                replay.detach(dbnum, rec.lgpos)
            elif rec.rectype not in (F.REC_INIT, F.REC_TERM):
                raise_error(C.JET_errLogFileCorrupt,
                            f"unknown record type {rec.rectype} at {rec.start}")
        if ask_open and opened < start.generation:
            _ask_open_log(opts, reader, replay, opened, start.generation)
        if replay is None:
            assert reader.signature is not None
            replay = _Replay(reader.signature, opener, read_only, batch_ops, opts)
            for info in initial:
                replay.attach(info, start)
                if ask_open:
                    replay.attached_callback(info.dbnum)
        end = reader.end_lgpos or start
        if not opts.ignore_lost_logs and not stopped:
            for entry in replay.dbs.values():
                if entry.seen > end:
                    raise_error(C.JET_errCommittedLogFilesMissing,
                                f"{entry.info.path} holds log records up to {entry.seen}, "
                                f"the log ends at {end}")
        replay.apply_all()
        clean_end = last_type == F.REC_TERM
        undo = C.JET_errSuccess
        if stopped:
            undo = C.JET_errRecoveredWithoutUndo
        elif not clean_end:
            # ESE logredo.cxx ErrLGRRedo -> ErrLGBeginUndoCallback (JET_sntBeginUndo): the
            # default answer, unless JET_bitExternalRecoveryControl hands the question over
            undo = C.JET_errRecoveredWithoutUndo if opts.without_undo else C.JET_errSuccess
            if opts.control is not None:
                undo = opts.control(C.JET_sntBeginUndo, undo, replay.headers(), None)
        if undo < 0:
            # redo done, no undo: the databases stay as replayed, to go on from there
            # (ESE: ErrLGISetQuitWithoutUndo; the instance does not start)
            lossless = not replay.skipped and all(
                e.db is not None or e.consistent_until is not None
                for e in replay.dbs.values())
            replay.leave_dirty()
            if opts.truncate_logs and not read_only and undo == C.JET_errRecoveredWithoutUndo:
                _truncate_after_redo(reader, last_gen, lossless, ckpt, ckpt_file,
                                     log_path, base_name)
            progress.complete()
            raise_error(undo, f"replay stopped at {opts.stop}" if stopped
                        else "recovery stopped before undo")
        deferred = tuple(e.info for e in replay.dbs.values()
                         if e.db is None and e.consistent_until is None)
        if deferred and not ignore_missing_db:
            names = ", ".join(d.path for d in deferred)
            raise_error(C.JET_errAttachedDatabaseMismatch,
                        f"missing or mismatched database(s) attached in the log: {names}")
        attached = tuple(e.info for e in replay.dbs.values()
                         if e.db is not None or e.consistent_until is not None)
        for entry in list(replay.dbs.values()):
            replay.finish(entry, end)
        progress.complete()
        # ESE ErrLGSoftStart, once redo (and undo) succeeded or was not needed:
        # ErrLGOpenLogCallback( ..., JET_OpenLogForDo, ... ), whose default answer with
        # JET_bitRecoveryWithoutUndo is JET_errRecoveredWithoutUndoDatabasesConsistent
        # (tm.cxx ErrRecoveryControlDefaultCallback, JET_sntOpenLog)
        go = (C.JET_errRecoveredWithoutUndoDatabasesConsistent if opts.without_undo
              else C.JET_errSuccess)
        if opts.control is not None:
            last = reader.last_generation or start.generation
            go = opts.control(C.JET_sntOpenLog, go, (),
                              (last, True, C.JET_OpenLogForDo, reader.files[last]))
        if go < 0:
            raise_error(go, "recovery done; the instance was not started")
    finally:
        if replay is not None:
            replay.close_all()
    return RecoveryResult(
        fresh=False, log_signature=reader.signature, start_lgpos=start, end_lgpos=end,
        torn=reader.torn, clean_end=clean_end, attached=attached,
        skipped=deferred + tuple(replay.skipped.values()), records_replayed=n,
        ops_applied=replay.ops_applied, redo=ckpt is None or not clean_end)


def _ends_clean(reader: LogReader, start: LGPOS) -> bool:
    """Whether the log's last record is a TERM (ESE's ``fCloseNormally``), read from the
    last generation only (or from ``start`` when that is in it)."""
    last = reader.last_generation
    assert last is not None
    at = start if start.generation >= last else LGPOS(last, reader.header(last).size)
    rectype: int | None = None
    for rec in reader.records(at):
        rectype = rec.rectype
    return rectype == F.REC_TERM


def _ask_open_log(opts: RecoveryOptions, reader: LogReader, replay: _Replay | None,
                  opened: int, gen: int) -> int:
    """JET_sntOpenLog (JET_OpenLogForRedo) for each generation after ``opened`` up to
    ``gen``; default success, an error fails recovery with it. Returns ``gen``."""
    assert opts.control is not None
    headers = replay.headers() if replay is not None else ()
    for g in range(opened + 1, gen + 1):
        path = reader.files.get(g)
        if path is None:
            continue
        err = opts.control(C.JET_sntOpenLog, C.JET_errSuccess, headers,
                           (g, g == reader.current_generation, C.JET_OpenLogForRedo, path))
        if err < 0:
            raise_error(err, f"recovery control refused to open {os.path.basename(path)}")
    return gen


def _generation_from_map(opts: RecoveryOptions, opener: Callable[..., Any]) -> int:
    """The generation replay starts at with JET_bitReplayInferCheckpointFromRstmapDbs; 0:
    the first generation present (ESE rstmap.cxx ``LoadCheckpointGenerationFromRstmap``:
    the lowest ``lGenLastConsistent`` of a clean database or ``lGenMinRequired`` of a dirty
    one; a destination that is not there returns 0, as JET_RSTMAP entries carry no
    ``JET_bitRestoreMapIgnoreWhenMissing``)."""
    low = 0
    for entry in opts.rstmap:
        if not os.path.exists(entry.dest):
            return 0
        db = opener(entry.dest, read_only=True)
        try:
            hdr = db.header
        finally:
            db.close()
        if hdr.state == C.JET_dbstateCleanShutdown:
            gen = hdr.consistent_lgpos.generation
        elif hdr.applied_lgpos > LGPOS_MIN:
            gen = hdr.applied_lgpos.generation
        else:
            gen = hdr.attach_lgpos.generation
        if gen <= 0:
            return 0
        low = gen if low == 0 else min(low, gen)
    return low


def _truncate_after_redo(reader: LogReader, gen: int, lossless: bool, ckpt: Any,
                         ckpt_file: str, log_path: str, base_name: str) -> None:
    """JET_bitTruncateLogsAfterRecovery when recovery stops without undo (module
    docstring): move the checkpoint to the start of ``gen`` when that loses nothing, then
    delete the archived generations before the checkpoint (ESE logstream.cxx
    ``LGTruncateLogsAfterRecovery``, which stops at the first file it cannot delete).
    ``lossless``: no database was deferred or skipped, so every record before ``gen`` is
    in the databases it concerns."""
    from pyese.storage.log.checkpoint import Checkpoint, write_checkpoint

    limit = ckpt.lgpos.generation if ckpt is not None else reader.first_generation or 0
    hdr = reader.header(gen)
    if lossless and hdr.version >= 2 and gen > limit and reader.signature is not None:
        write_checkpoint(ckpt_file, Checkpoint(LGPOS(gen, hdr.size), reader.signature,
                                               hdr.attached))
        limit = gen
    for g, path in sorted(F.list_archived(log_path, base_name).items()):
        if g >= limit:
            break
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        except OSError:
            break


class _Progress:
    """JET_snpRestore status of a soft recovery: Begin, Progress in percent of the
    generations from the start to the last one present, Complete (ESE logredo.cxx
    ``LGIRSTPrepareCallback``: ``cunitTotal`` is 100)."""

    def __init__(self, status: Callable[[int, int, int], None] | None, low: int,
                 high: int | None) -> None:
        self.status = status
        self.low = low
        self.high = high if high is not None and high >= low else low
        self.done = 0

    def begin(self) -> None:
        if self.status is not None:
            self.status(C.JET_sntBegin, 0, 100)

    def at(self, generation: int) -> None:
        if self.status is None:
            return
        span = self.high - self.low + 1
        pct = min(99, (generation - self.low) * 100 // span)
        if pct > self.done:
            self.done = pct
            self.status(C.JET_sntProgress, pct, 100)

    def complete(self) -> None:
        if self.status is not None:
            self.status(C.JET_sntComplete, 100, 100)
