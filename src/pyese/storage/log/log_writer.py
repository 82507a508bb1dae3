"""Appending to the write-ahead log: buffered appends, group-commit flushes, rollover.

``append`` encodes a record into an in-memory buffer and returns its log position; it
does no I/O. ``flush(upto)`` makes every record through ``upto`` durable (``os.write`` then
fdatasync). Flushes are shared (group commit): the first thread to need a flush becomes
the *leader*, takes everything appended so far, writes and fsyncs it without holding the
lock; threads arriving meanwhile append and wait on the condition; when the leader
finishes, one of them leads the next round for all of them. One fsync covers a group.

Generations. ``append`` assigns positions, so it decides rollover: a record that would
take the current generation past ``file_size`` starts the next generation (a generation
always holds at least one record). The buffer is a list of segments, one per
generation. When the leader reaches a segment of a new generation it fsyncs the old
file, writes the new header to ``<base>tmp.log``, fsyncs it, renames ``<base>.log`` to
``<base>XXXXX.log`` and ``<base>tmp.log`` to ``<base>.log``, then fsyncs the directory
(ESE creates the next log as edbtmp.log too). Every crash point leaves a readable stream:
the archived file is complete; a half-made tmp file is ignored.

Opening (``LogWriter.open``) always starts a new generation after the last one present,
as ESE starts a new log after recovery: a torn tail of the last generation is cut off
(it was never acknowledged), the file is archived, and an INIT record is flushed.

Failure. The first failed write or fsync makes the writer *failed*: that JetError
(``JET_errLogDiskFull`` for ENOSPC, ``JET_errLogWriteFail`` otherwise) is raised by every
later ``append`` and ``flush``; the engine turns it into instance-unavailable (ESE:
``LOG::SetNoMoreLogWrite``). Records flushed before stay durable and readable.

Circular logging: ``truncate_before(lgpos)`` deletes archived generations wholly before
``lgpos`` (the checkpoint); the applier calls it after each checkpoint when circular.

Flush marks and headers (format 2). Each flush that writes records appends, as its last
record, a FLUSH record naming where it began (``_flushed`` before it): the reader's proof
that damage before a later flush is corruption, not a torn write. Each generation's header
records the size its predecessor's file had when it was closed and the databases attached
when the generation began; ``append`` tracks ATTACH/DETACH records in log order
(``_attached``) and fixes a generation's attachments, hence its header size and first
record offset, when it starts the generation.
"""

from __future__ import annotations

import errno
import os
import secrets
import threading
import time
from collections.abc import Callable

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage import portable
from pyese.storage.faults import NO_FAULTS, FaultInjector, jet_error_from_os
from pyese.storage.lgpos import LGPOS
from pyese.storage.log import log_format as F
from pyese.storage.log.checkpoint import AttachInfo
from pyese.storage.log.log_reader import LogReader

_fdatasync = getattr(os, "fdatasync", os.fsync)


def _preallocate(fd: int, size: int) -> None:
    """Give the file at ``fd`` ``size`` bytes, zero-filled, blocks reserved where the file
    system can (ENOSPC surfaces here)."""
    fallocate = getattr(os, "posix_fallocate", None)
    if fallocate is not None:
        try:
            fallocate(fd, 0, size)
            return
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise
    os.ftruncate(fd, size)


def fsync_dir(path: str) -> None:
    """Make a directory's entries (creates, renames, deletes) durable."""
    portable.fsync_dir(path)


class LogWriter:
    """The appending end of one instance's log stream. Thread-safe.

    Fixed after construction: ``log_path``, ``base_name``, ``signature``, ``file_size``,
    ``circular``, ``faults``.
    Guarded by ``self._lock`` (``self._cond`` waits on it): ``_segments`` (closed
    generations' unflushed bytes), ``_buf``/``_buf_gen`` (the generation being appended),
    ``_append_pos``, ``_flushed``, ``_leader`` (a flush is in progress), ``_waiters``
    (threads waiting on ``_cond``), ``_failed``,
    ``_closed``, ``fsync_count``, ``flush_count``.
    Owned by the flush leader (one thread at a time): ``_fd``, ``_file_gen``,
    ``_file_header``.
    """

    def __init__(self, log_path: str, base_name: str, *, signature: bytes, generation: int,
                 prev_created_ns: int, file_size_kb: int, circular: bool,
                 faults: FaultInjector, prev_end: int = 0) -> None:
        self.log_path = log_path
        self.base_name = base_name
        self.signature = signature
        self.file_size = max(int(file_size_kb), 1) * 1024
        self.circular = circular
        self.faults = faults
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._segments: list[tuple[int, bytearray]] = []
        self._attached: dict[int, AttachInfo] = {}
        self._gen_attached: dict[int, tuple[AttachInfo, ...]] = {generation: ()}
        self._buf_gen = generation
        self._buf = bytearray()
        self._append_pos = LGPOS(generation, F.FILE_HEADER_SIZE)
        self._flushed = LGPOS(generation - 1, 0) if generation > 1 else LGPOS(0, 0)
        self._leader = False
        self._waiters = 0
        self._frozen = False
        self.keep_from: int | None = None
        """Circular logging keeps the generations from here on (a running backup's)."""
        self._failed: JetError | None = None
        self._closed = False
        self._listeners: tuple[Callable[[LGPOS], None], ...] = ()
        self.fsync_count = 0
        self.flush_count = 0
        self._fd: int | None = None
        self._file_gen = generation - 1
        self._file_header = F.LogFileHeader(generation - 1, signature, prev_created_ns, 0)
        self._file_end = prev_end
        # the new generation's file is created by the first flush (as any rollover)
        self._segments.append((generation, bytearray()))
        self._buf_gen = generation
        self.start_lgpos = self._append_pos

    # --- opening --------------------------------------------------------------------------

    @classmethod
    def open(cls, log_path: str, base_name: str = F.DEFAULT_BASE_NAME, *,
             file_size_kb: int = F.DEFAULT_LOG_FILE_SIZE_KB, circular: bool = False,
             faults: FaultInjector = NO_FAULTS) -> LogWriter:
        """Start a new generation after the last one in ``log_path`` (generation 1 and a new
        random signature if there is none), write an INIT record and flush it.

        Run recovery first: a torn tail of the last generation is truncated here.
        Raises the reader's errors for a damaged last header, and JET_errLogWriteFail /
        JET_errLogDiskFull if the new file cannot be made.
        """
        try:
            os.makedirs(log_path, exist_ok=True)
            tmp = os.path.join(log_path, F.temp_log_name(base_name))
            if os.path.exists(tmp):
                os.unlink(tmp)
        except OSError as exc:
            raise jet_error_from_os(exc, log=True, detail=log_path) from exc
        reader = LogReader(log_path, base_name)
        last = reader.last_generation
        prev_end = 0
        if last is None:
            signature = secrets.token_bytes(F.SIGNATURE_SIZE)
            generation, prev_created = 1, 0
        else:
            hdr = F.read_file_header(reader.files[last])
            signature, generation, prev_created = hdr.signature, last + 1, hdr.created_ns
            try:
                prev_end = cls._seal_last(reader, last, base_name, log_path)
            except OSError as exc:
                raise jet_error_from_os(exc, log=True, detail="sealing last log") from exc
        writer = cls(log_path, base_name, signature=signature, generation=generation,
                     prev_created_ns=prev_created, file_size_kb=file_size_kb,
                     circular=circular, faults=faults, prev_end=prev_end)
        writer.append(F.REC_INIT, F.encode_init(time.time_ns()))
        writer.flush()
        writer.start_lgpos = writer.flushed_lgpos
        return writer

    @staticmethod
    def _seal_last(reader: LogReader, last: int, base_name: str, log_path: str) -> int:
        """Clear the torn tail of the last generation; return its size. The first
        rollover archives it (renames ``<base>.log``) once the new file is ready, so every
        crash leaves the current file or ``<base>tmp.log``.
        A preallocated file keeps its size (the tail is zeroed), a format-1 file is cut.
        Raises JET_errLogFileCorrupt (and changes nothing) when the damage is no torn tail."""
        path = reader.files[last]
        end = reader.valid_end(last)
        size = os.path.getsize(path)
        if size != end:
            with open(path, "r+b") as f:
                if reader.header(last).prealloc_kb:
                    f.seek(end)
                    tail = f.read()
                    if tail.count(0) != len(tail):
                        f.seek(end)
                        f.write(bytes(len(tail)))
                else:
                    f.truncate(end)
                    size = end
                f.flush()
                os.fsync(f.fileno())
        # the current file is archived by the first rollover, once the new file is ready
        return size

    # --- appending ------------------------------------------------------------------------

    def append(self, rectype: int, payload: bytes) -> LGPOS:
        """Buffer one record; return its log position (its end). No I/O.

        Raises the writer's failure if it has failed, JET_errTermInProgress once closed,
        JET_errInvalidParameter for a payload over 2 GiB.
        """
        if len(payload) > F.MAX_PAYLOAD:
            raise_error(C.JET_errInvalidParameter, "log record too large")
        header = F.record_header(rectype, payload)
        info: AttachInfo | int | None = None
        if rectype == F.REC_ATTACH:
            dbnum, dbsig, path = F.decode_attach(payload)
            info = AttachInfo(dbnum, path, dbsig)
        elif rectype == F.REC_DETACH:
            info = F.decode_detach(payload)
        with self._lock:
            if self._failed is not None:
                raise self._failed
            if self._closed:
                raise_error(C.JET_errTermInProgress, "log writer closed")
            pos = self._append_locked(header, payload)
            if isinstance(info, AttachInfo):
                self._attached[info.dbnum] = info
            elif info is not None:
                self._attached.pop(info, None)
            return pos

    def append_record(self, record: bytes) -> LGPOS:
        """``append`` for a record already encoded whole (header and payload, as
        ``log_format.commit_record`` makes it) that is neither ATTACH nor DETACH: the
        committer's path. No I/O. Raises the writer's failure if it has failed,
        JET_errTermInProgress once closed, JET_errInvalidParameter for a payload over 2 GiB.
        """
        if len(record) - F.RECORD_HEADER_SIZE > F.MAX_PAYLOAD:
            raise_error(C.JET_errInvalidParameter, "log record too large")
        with self._lock:
            if self._failed is not None:
                raise self._failed
            if self._closed:
                raise_error(C.JET_errTermInProgress, "log writer closed")
            return self._append_locked(record, b"")

    def _append_locked(self, header: bytes, payload: bytes) -> LGPOS:
        """Buffer the record ``header`` + ``payload`` (caller holds the lock; ``payload``
        may be empty when ``header`` is the whole record); start the next generation
        first if it would take this one past ``file_size``."""
        pos = self._append_pos
        gen, off = pos.generation, pos.offset
        n = len(header) + len(payload)
        if off + n <= self.file_size:  # the common case: no rollover
            buf = self._buf
            buf += header
            if payload:
                buf += payload
            pos = self._append_pos = LGPOS(gen, off + n)
            return pos
        if off > self._first_offset(gen):
            self._segments.append((self._buf_gen, self._buf))
            gen += 1
            off = self._start_generation_locked(gen)
            self._buf_gen = gen
            self._buf = bytearray()
            self._segments.append((gen, bytearray()))  # marks the rollover point
        buf = self._buf
        buf += header
        buf += payload
        pos = self._append_pos = LGPOS(gen, off + n)
        return pos

    def _first_offset(self, gen: int) -> int:
        return F.header_size(self._gen_attached.get(gen, ()))

    def _start_generation_locked(self, gen: int) -> int:
        """Fix generation ``gen``'s attachments (those attached now); return the offset of
        its first record (its header size)."""
        attached = tuple(sorted(self._attached.values(), key=lambda a: a.dbnum))
        self._gen_attached[gen] = attached
        return F.header_size(attached)

    def new_generation(self) -> LGPOS:
        """Close the current generation (if it holds records) and flush, so the next
        record starts a new file (JET_bitForceNewLog). Returns the flushed position."""
        with self._lock:
            if self._failed is not None:
                raise self._failed
            gen, off = self._append_pos.generation, self._append_pos.offset
            if off > self._first_offset(gen):
                self._segments.append((self._buf_gen, self._buf))
                self._buf_gen = gen + 1
                self._buf = bytearray()
                self._segments.append((gen + 1, bytearray()))
                self._append_pos = LGPOS(gen + 1, self._start_generation_locked(gen + 1))
        return self.flush()

    # --- flushing -------------------------------------------------------------------------

    @property
    def flushed_lgpos(self) -> LGPOS:
        """Every record ending at or before this position is durable."""
        with self._lock:
            return self._flushed

    @property
    def appended_lgpos(self) -> LGPOS:
        """End of the last record appended."""
        with self._lock:
            return self._append_pos

    @property
    def failed(self) -> JetError | None:
        """The error that failed the writer, or None."""
        return self._failed

    def add_flush_listener(self, callback: Callable[[LGPOS], None]) -> None:
        """Call ``callback(flushed_lgpos)`` after each flush that advanced (on the leader's
        thread, outside the lock)."""
        with self._lock:
            self._listeners += (callback,)

    def flush(self, upto: LGPOS | None = None) -> LGPOS:
        """Make every record through ``upto`` (default: all appended) durable; return the
        flushed position. Concurrent callers share writes and fsyncs.

        Raises JET_errLogDiskFull / JET_errLogWriteFail on an I/O failure (and forever after).
        """
        with self._lock:
            target = self._append_pos if upto is None else upto
            tgen, toff = target.generation, target.offset
            while True:
                if self._failed is not None:
                    raise self._failed
                flushed = self._flushed
                # flushed >= target, without the dataclass's tuple-building comparison
                if flushed.generation > tgen or (flushed.generation == tgen
                                                 and flushed.offset >= toff):
                    return flushed
                if not self._leader and not self._frozen:
                    break
                self._wait_locked()
            self._leader = True
            # flushed < target <= _append_pos here: records were appended since
            if self._buf or self._segments:
                self._append_locked(F.flush_record(flushed), b"")
            segments = self._segments
            segments.append((self._buf_gen, self._buf))
            self._segments = []
            self._buf = bytearray()
            end = self._append_pos
            listeners = self._listeners
        try:
            self._write_segments(segments)
        except BaseException as exc:
            err = jet_error_from_os(exc, log=True, detail="log flush")
            with self._lock:
                self._failed = err
                self._leader = False
                self._cond.notify_all()
            raise err from exc
        with self._lock:
            self._flushed = end
            self._leader = False
            self.flush_count += 1
            self.fsync_count += 1
            if self._waiters:
                self._cond.notify_all()
        for cb in listeners:
            cb(end)
        return end

    def _wait_locked(self) -> None:
        """Wait on the condition (caller holds the lock), counted in ``_waiters`` so that a
        flush nobody waits for skips the notification."""
        self._waiters += 1
        try:
            self._cond.wait()
        finally:
            self._waiters -= 1

    def _write_segments(self, segments: list[tuple[int, bytearray]]) -> None:
        for gen, data in segments:
            if gen != self._file_gen:
                self._roll(gen)
            if data:
                self._write(data)
        self.faults.hit("log.fsync")
        assert self._fd is not None
        _fdatasync(self._fd)

    def _write(self, data: bytearray) -> None:
        assert self._fd is not None
        self.faults.hit("log.write")
        n = os.write(self._fd, data)
        self._file_end += n
        if n == len(data):  # the common case: one write
            return
        view = memoryview(data)[n:]
        while view:
            self.faults.hit("log.write")
            n = os.write(self._fd, view)
            view = view[n:]
            self._file_end += n

    def _roll(self, gen: int) -> None:
        """Make ``gen`` the current file (leader only)."""
        self.faults.hit("log.rollover")
        cur = os.path.join(self.log_path, F.current_log_name(self.base_name))
        tmp = os.path.join(self.log_path, F.temp_log_name(self.base_name))
        if self._fd is not None:
            self.faults.hit("log.fsync")
            _fdatasync(self._fd)
            with self._lock:
                self.fsync_count += 1
        with self._lock:
            attached = self._gen_attached.get(gen, ())
            for old in [g for g in self._gen_attached if g < gen]:
                del self._gen_attached[old]
        prev_end = self._file_end
        if self._fd is not None:
            prev_end = os.fstat(self._fd).st_size
        header = F.LogFileHeader(gen, self.signature, time.time_ns(),
                                 self._file_header.created_ns if gen > 1 else 0,
                                 prev_end=prev_end if gen > 1 else 0,
                                 attached=attached, prealloc_kb=self.file_size // 1024)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            self.faults.hit("log.write")
            raw = header.encode()
            if os.write(fd, raw) != len(raw):
                raise OSError(errno.EIO, "short write of a log file header")
            # fixed size, zero-filled (ESE creates every log file at JET_paramLogFileSize):
            # a file cut short is then visible, and a full disk fails here, not mid-flush
            _preallocate(fd, max(self.file_size, len(raw)))
            self.faults.hit("log.fsync")
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if os.path.exists(cur):  # also the last file of the previous writer (see open)
            os.rename(cur, os.path.join(self.log_path,
                                        F.archived_log_name(self.base_name, self._file_gen)))
        os.rename(tmp, cur)
        fsync_dir(self.log_path)
        self._fd = fd
        self._file_gen = gen
        self._file_header = header
        self._file_end = len(raw)

    # --- OS snapshot freeze ---------------------------------------------------------------

    def freeze(self) -> None:
        """Stop writing log files (an OS snapshot's freeze): wait for the flush under way,
        then hold every later flush (committers wait) until ``thaw``."""
        with self._lock:
            self._frozen = True
            while self._leader:
                self._wait_locked()

    def thaw(self) -> None:
        """Let flushes run again after ``freeze``."""
        with self._lock:
            self._frozen = False
            self._cond.notify_all()

    # --- circular logging and shutdown ----------------------------------------------------

    def truncate_before(self, lgpos: LGPOS) -> list[int]:
        """Delete archived generations wholly before ``lgpos``; return their numbers.
        Never one at or after ``keep_from`` (set while a backup needs its logs)."""
        removed = []
        limit = lgpos.generation
        if self.keep_from is not None:
            limit = min(limit, self.keep_from)
        for gen, path in sorted(F.list_archived(self.log_path, self.base_name).items()):
            if gen >= limit:
                break
            try:
                os.unlink(path)
            except FileNotFoundError:
                continue
            removed.append(gen)
        return removed

    def close(self, *, clean: bool = True) -> None:
        """Shut down: with ``clean``, append a TERM record and flush; then close the file.
        A failed writer just closes its file. Idempotent."""
        if clean and self._failed is None:
            with self._lock:
                closed = self._closed
            if not closed:
                self.append(F.REC_TERM, b"")
                self.flush()
        with self._lock:
            self._closed = True
            while self._leader:
                self._wait_locked()
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
