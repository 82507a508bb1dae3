"""Reading the write-ahead log: records in order from a position, across generations.

The reader never modifies a file. It checks, before yielding the first record:

- every generation from the starting one to the last is present
  (a gap -> ``JET_errMissingLogFile``; ESE: logutil.cxx/logdump report a missing
  generation in a range with -528);
- every header is intact (``JET_errLogFileCorrupt``), carries the stream's signature
  (``JET_errBadLogSignature``), names the generation its file name says and chains to the
  generation before it (``JET_errInvalidLogSequence``, ESE's "log generation mismatch" for
  a file that does not follow its predecessor);
- every archived generation has the size its successor's header recorded when it was
  closed (format 2): a file cut short or grown is ``JET_errLogFileCorrupt``;
- the last generation is damaged at most in its final flush (below), else
  ``JET_errLogFileCorrupt``;

and while reading:

- a torn record in the **last** generation ends the log cleanly: ``torn`` is set and
  ``end_lgpos`` is the end of the last good record (it was never acknowledged as durable:
  a flush returns only after the fsync that covers it);
- any damaged record in an **archived** generation is ``JET_errLogFileCorrupt``: the writer
  fsyncs a generation (and truncates a torn tail after a crash) before archiving it.

Torn or corrupt (ESE: logread.cxx, ``ErrLGCheckReadLastLogRecordFF``: in soft recovery a
damaged sector of the current log that no shadow sector repairs is ``JET_errLogFileCorrupt``,
and so is a valid segment after the end of the log). Only the final flush can be torn: each
flush ends with a FLUSH record naming where it began, and starts only after the previous
flush's fsync. So after a damaged record at ``p`` the reader looks for an intact FLUSH
record further on whose flush began after ``p``: if there is one, the damaged record was in
an earlier, fsynced flush, acknowledged commits may follow it, and recovery must stop with
``JET_errLogFileCorrupt`` rather than drop them. Damage inside the final flush (a torn
write, or a media error that hit exactly those bytes) cannot be told apart and ends the log.

The last generation is the current file ``<base>.log`` if present, otherwise the highest
archived generation: a crash between archiving the current file and renaming the new one
in leaves no current file, but leaves ``<base>tmp.log`` (which is never read). Archived
generations without a current file and without ``<base>tmp.log`` mean the current file was
lost: ``JET_errMissingLogFile`` ("Current log file missing"), never a silent end of the log
at the last archived generation.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from typing import NamedTuple

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.lgpos import LGPOS
from pyese.storage.log import log_format as F


class LogRecord(NamedTuple):
    """One record. ``lgpos`` is its end position (see log_format), ``start`` its first byte."""

    lgpos: LGPOS
    start: LGPOS
    rectype: int
    payload: bytes


class LogReader:
    """The log stream in ``log_path`` named after ``base_name``.

    ``signature``: the stream's expected signature (from the checkpoint); by default the
    signature of the first file read. Construction only lists files; headers are checked
    when ``records`` starts.
    """

    def __init__(self, log_path: str, base_name: str = F.DEFAULT_BASE_NAME, *,
                 signature: bytes | None = None) -> None:
        self.log_path = log_path
        self.base_name = base_name
        self.signature = signature
        self.files: dict[int, str] = F.list_archived(log_path, base_name)
        self.current_path = os.path.join(log_path, F.current_log_name(base_name))
        self.current_generation: int | None = None
        if os.path.exists(self.current_path):
            hdr = F.read_file_header(self.current_path)
            if hdr.generation in self.files:
                raise_error(C.JET_errInvalidLogSequence,
                            f"{F.current_log_name(base_name)} repeats generation "
                            f"{hdr.generation:X}")
            self.current_generation = hdr.generation
            self.files[hdr.generation] = self.current_path
        self.end_lgpos: LGPOS | None = None
        self.torn = False
        self.last_rectype: int | None = None
        self.headers: dict[int, F.LogFileHeader] = {}

    @property
    def generations(self) -> list[int]:
        """Generations present, ascending."""
        return sorted(self.files)

    @property
    def first_generation(self) -> int | None:
        return min(self.files) if self.files else None

    @property
    def last_generation(self) -> int | None:
        return max(self.files) if self.files else None

    def _check_headers(self, first: int, last: int) -> None:
        prev: F.LogFileHeader | None = None
        for gen in range(first, last + 1):
            path = self.files.get(gen)
            if path is None:
                raise_error(C.JET_errMissingLogFile,
                            f"{F.archived_log_name(self.base_name, gen)} is missing")
            hdr = F.read_file_header(path)
            name = os.path.basename(path)
            if self.signature is None:
                self.signature = hdr.signature
            if hdr.signature != self.signature:
                raise_error(C.JET_errBadLogSignature, f"{name} belongs to another log stream")
            if hdr.generation != gen:
                raise_error(C.JET_errInvalidLogSequence,
                            f"{name} holds generation {hdr.generation:X}")
            if prev is not None and hdr.prev_created_ns != prev.created_ns:
                raise_error(C.JET_errInvalidLogSequence,
                            f"{name} does not follow generation {gen - 1:X}")
            if hdr.prealloc_kb and os.path.getsize(path) < hdr.prealloc_kb * 1024:
                raise_error(C.JET_errLogFileCorrupt,
                            f"{name} is {os.path.getsize(path)} bytes; it was created with "
                            f"{hdr.prealloc_kb * 1024}")
            if prev is not None and hdr.prev_end:
                actual = os.path.getsize(self.files[gen - 1])
                if actual != hdr.prev_end:
                    raise_error(C.JET_errLogFileCorrupt,
                                f"{os.path.basename(self.files[gen - 1])} is {actual} bytes; "
                                f"it was closed at {hdr.prev_end}")
            self.headers[gen] = hdr
            prev = hdr

    def header(self, generation: int) -> F.LogFileHeader:
        """The checked header of ``generation`` (read now if ``records`` has not)."""
        hdr = self.headers.get(generation)
        if hdr is None:
            hdr = F.read_file_header(self.files[generation])
        return hdr

    def records(self, start: LGPOS | None = None) -> Iterator[LogRecord]:
        """Records after ``start`` (a record boundary; default: the first generation
        present), in log order. Errors as described in the module docstring; a start
        generation older than every file present -> JET_errMissingLogFile."""
        if not self.files:
            raise_error(C.JET_errMissingLogFile, "no log files")
        if self.current_generation is None and not os.path.exists(
                os.path.join(self.log_path, F.temp_log_name(self.base_name))):
            raise_error(C.JET_errMissingLogFile,
                        f"{F.current_log_name(self.base_name)} is missing")
        first, last = self.first_generation, self.last_generation
        assert first is not None and last is not None
        if start is None:
            start = LGPOS(first, self.header(first).size)
        if start.generation < first:
            raise_error(C.JET_errMissingLogFile,
                        f"{F.archived_log_name(self.base_name, start.generation)} is missing")
        if start.generation > last:
            raise_error(C.JET_errMissingLogFile,
                        f"generation {start.generation:X} is beyond the last log file")
        self._check_headers(start.generation, last)
        self.valid_end(last)  # JET_errLogFileCorrupt before replaying anything
        self.torn = False
        self.end_lgpos = None
        for gen in range(start.generation, last + 1):
            first_record = self.headers[gen].size
            offset = max(start.offset, first_record) if gen == start.generation \
                else first_record
            yield from self._file_records(gen, offset, is_last=(gen == last))
            if self.torn:
                break

    def _file_records(self, gen: int, offset: int, *, is_last: bool) -> Iterator[LogRecord]:
        path = self.files[gen]
        with open(path, "rb") as f:
            data = f.read()
        name = os.path.basename(path)
        size = len(data)
        pos = offset
        self.end_lgpos = LGPOS(gen, min(pos, size))
        if pos > size:
            raise_error(C.JET_errLogFileCorrupt, f"{name}: position {pos} beyond end of file")
        unpack = F.RECORD_HEADER.unpack_from
        hsize = F.RECORD_HEADER_SIZE
        while pos < size:
            bad = None
            if pos + hsize > size:
                bad = "incomplete record header"
            else:
                crc, length, rectype = unpack(data, pos)
                end = pos + hsize + length
                if end > size:
                    bad = "incomplete record"
                elif not F.record_crc_ok(data, pos, length, crc):
                    bad = "record checksum mismatch"
            if bad is not None:
                if _zero_filled(data, pos):
                    return  # the unused, zero-filled rest of a preallocated file
                if is_last:
                    self.torn = True
                    return
                raise_error(C.JET_errLogFileCorrupt, f"{name} at offset {pos}: {bad}")
            payload = data[pos + hsize:end]
            lg = LGPOS(gen, end)
            rec = LogRecord(lg, LGPOS(gen, pos), rectype, payload)
            pos = end
            self.end_lgpos = lg
            if rectype == F.REC_FLUSH:
                continue  # the stream's own bookkeeping: no change to replay
            self.last_rectype = rectype
            yield rec

    def valid_end(self, generation: int) -> int:
        """Byte offset after the last intact record of ``generation``'s file (its size
        when nothing is torn). Used by the writer to cut a torn tail before archiving, and
        by ``records`` to refuse a damaged last generation before replaying anything.

        Raises JET_errLogFileCorrupt when the damage is not a torn final flush (see the
        module docstring)."""
        path = self.files[generation]
        with open(path, "rb") as f:
            data = f.read()
        pos = self.header(generation).size
        size = len(data)
        while pos + F.RECORD_HEADER_SIZE <= size:
            crc, length, _t = F.RECORD_HEADER.unpack_from(data, pos)
            end = pos + F.RECORD_HEADER_SIZE + length
            if end > size or not F.record_crc_ok(data, pos, length, crc):
                break
            pos = end
        if pos < size and not _zero_filled(data, pos):
            proof = _durable_flush_after(data, pos, generation)
            if proof is not None:
                raise_error(C.JET_errLogFileCorrupt,
                            f"{os.path.basename(path)} at offset {pos}: damaged record "
                            f"followed by intact records of a later flush (from {proof})")
        return pos


def _zero_filled(data: bytes, pos: int) -> bool:
    """Whether every byte from ``pos`` on is zero (the unused part of a preallocated file;
    ESE too reads zero-filled sectors as the end of the log)."""
    return data.count(0, pos) == len(data) - pos


def _durable_flush_after(data: bytes, bad: int, generation: int) -> LGPOS | None:
    """The start of an intact FLUSH record's flush after the damaged record at ``bad``
    that began after it (proof the damaged bytes were fsynced), or None."""
    damaged = LGPOS(generation, bad)
    sig = F.FLUSH_SIGNATURE
    q = data.find(sig, bad + 1)
    while q != -1:
        start = q - 4
        if start > bad and start + F.FLUSH_RECORD_SIZE <= len(data):
            (crc,) = struct.unpack_from("<I", data, start)
            if F.record_crc_ok(data, start, F.FLUSH_RECORD_SIZE - F.RECORD_HEADER_SIZE, crc):
                began = F.decode_flush(
                    data[start + F.RECORD_HEADER_SIZE:start + F.FLUSH_RECORD_SIZE])
                if began > damaged:
                    return began
        q = data.find(sig, q + 1)
    return None
