"""ESE's sort (``sort.cxx``, the SCB): records collected, sorted once, read in key order.

Insert phase: each record arrives as (normalized key, record image). End of insert (the
first move or seek, ``ErrSORTEndInsert``): the records are sorted by key, then by record
bytes (ESE's ISORTICmpPspairPspair compares key, then data), and duplicates removed when
the sort removes them: every sort does, on the key, except a forward-only sort that did not
ask for ``JET_bitTTUnique`` (``sortapi.cxx`` ErrSORTTableOpen: fRemoveDuplicates). Of
records with one key the first in that order stays (``CspairSORTIUnique``).

How the records are held. While every key has the same length (the common case: fixed-size
key columns that are never NULL) a record is one ``bytes`` object, key then data: sorting
those byte strings is exactly sorting by (key, data), and Python sorts a list of ``bytes``
about three times faster than a list of pairs. The first key of another length turns the
list into (key, data) pairs once (``_split``); from then on the sort holds pairs.

Memory. Records stay in memory while their bytes (plus what Python spends per object,
``RECORD_OVERHEAD``) stay under ``memory_most``. Past it the sort *spills* as ESE's does
(``ErrSORTIOutputRun``): the records in memory are sorted and written as one *run* to an
anonymous file next to the temporary database (unlinked at birth: a killed process leaves
nothing behind), and the insert phase goes on in memory. At the end of insert the last
records become a run too and the sort is read through a k-way merge of its runs
(``heapq.merge``; ESE merges runs the same way, ``ErrSORTIMergeToRun``), duplicates removed
on the fly. Memory of a spilled sort while it is read: one block (``RUN_BLOCK``) per run
per reader. ``end_insert`` reports the overflow (ESE's ``JET_wrnSortOverflow``); the caller
then materializes a scrollable or indexed table, or reads the spilled sort forward only.

Run file format: blocks of entries, an entry is ``<IH`` (record length, key length) and the
record (key then data). A reader reads one block at a time with ``os.pread`` at its own
offset, so several readers (``JetDupCursor``) share one file.

Locks: none. A sort belongs to one temporary table of one session (see ``table.py``).
"""

from __future__ import annotations

import heapq
import os
import struct
import tempfile
from collections.abc import Iterator
from typing import IO, Any

RECORD_OVERHEAD = 48
"""Bytes a record costs beyond its key and data: a ``bytes`` header (33) and its slot in
the list (8), rounded up (a pair costs more, see ``_PAIR_OVERHEAD``)."""
_PAIR_OVERHEAD = 120
MEMORY_MOST = 256 << 20
"""Default in-memory budget of one sort, in bytes (``memory_most``)."""
RUN_BLOCK = 1 << 20
"""Bytes a run is written and read in."""

_ENTRY = struct.Struct("<IH")


class Run:
    """One sorted run in an anonymous file: written once, then read by any number of
    readers, each at its own offset."""

    def __init__(self, directory: str) -> None:
        os.makedirs(directory, exist_ok=True)
        self.file: IO[bytes] = tempfile.TemporaryFile(dir=directory)
        self.fd = self.file.fileno()
        self.size = 0
        self.count = 0

    def write_sorted(self, records: list[Any], klen: int | None) -> None:
        """Write ``records`` (already sorted): bytes with key length ``klen``, or pairs."""
        pack = _ENTRY.pack
        buf: list[bytes] = []
        cb = 0
        write = self.file.write
        if klen is not None:
            for rec in records:
                buf.append(pack(len(rec), klen))
                buf.append(rec)
                cb += len(rec) + 6
                if cb >= RUN_BLOCK:
                    write(b"".join(buf))
                    buf, cb = [], 0
        else:
            for key, data in records:
                buf.append(pack(len(key) + len(data), len(key)))
                buf.append(key)
                buf.append(data)
                cb += len(key) + len(data) + 6
                if cb >= RUN_BLOCK:
                    write(b"".join(buf))
                    buf, cb = [], 0
        if buf:
            write(b"".join(buf))
        self.file.flush()
        self.size = self.file.tell()
        self.count += len(records)

    def entries(self, pairs: bool) -> Iterator[Any]:
        """The run's records in order: ``bytes`` (key then data), or (key, data) pairs."""
        fd, size = self.fd, self.size
        unpack = _ENTRY.unpack_from
        off = 0
        rest = b""
        while off < size:
            block = rest + os.pread(fd, min(RUN_BLOCK, size - off), off)
            off += len(block) - len(rest)
            i, n = 0, len(block)
            while i + 6 <= n:
                cb, kl = unpack(block, i)
                j = i + 6 + cb
                if j > n:
                    break
                if pairs:
                    yield block[i + 6:i + 6 + kl], block[i + 6 + kl:j]
                else:
                    yield block[i + 6:j]
                i = j
            rest = block[i:]

    def close(self) -> None:
        self.file.close()


class Sort:
    """One sort: insert, end_insert, then positional reads (see the module docstring)."""

    def __init__(self, remove_duplicates: bool, memory_most: int = MEMORY_MOST,
                 run_dir: str | None = None) -> None:
        self.remove_duplicates = remove_duplicates
        self.memory_most = memory_most
        self.run_dir = run_dir
        self.records: list[Any] = []
        """bytes (key then data) while ``klen`` is an int, else (key, data) pairs."""
        self.klen: int | None = -1
        """The length every key has so far (-1: no record yet), None once they differ."""
        self.cb = 0
        self.inserting = True
        self.c_records = 0
        """Records inserted; after an in-memory end_insert, the records kept (ESE cRecords)."""
        self.runs: list[Run] = []

    # -- insert -------------------------------------------------------------------------

    def insert(self, key: bytes, data: bytes) -> None:
        """ErrSORTInsert."""
        klen = self.klen
        if klen == len(key):
            self.records.append(key + data)
            self.cb += len(key) + len(data) + RECORD_OVERHEAD
        elif klen == -1:
            self.klen = len(key)
            self.records.append(key + data)
            self.cb += len(key) + len(data) + RECORD_OVERHEAD
        else:
            if klen is not None:
                self._split()
            self.records.append((key, data))
            self.cb += len(key) + len(data) + _PAIR_OVERHEAD
        self.c_records += 1
        if self.cb > self.memory_most and self.run_dir is not None:
            self._output_run()

    def insert_joined(self, recs: list[bytes], klen: int) -> None:
        """Several ErrSORTInsert at once: each of ``recs`` is a key of ``klen`` bytes then
        the record's data."""
        if not recs:
            return
        if self.klen == -1:
            self.klen = klen
        if self.klen == klen:
            self.c_records += len(recs)
            if self.run_dir is None:
                self.records.extend(recs)
                self.cb += sum(map(len, recs)) + RECORD_OVERHEAD * len(recs)
                return
            i = 0
            while i < len(recs):  # what fits the budget, then a run, and so on
                room = self.memory_most - self.cb
                n = max(1, room // (len(recs[i]) + RECORD_OVERHEAD) + 1)
                part = recs[i:i + n]
                i += n
                self.records.extend(part)
                self.cb += sum(map(len, part)) + RECORD_OVERHEAD * len(part)
                if self.cb > self.memory_most:
                    self._output_run()
            return
        for rec in recs:
            self.insert(rec[:klen], rec[klen:])

    def _split(self) -> None:
        """Keys of different lengths: hold (key, data) pairs from now on."""
        k = self.klen
        assert k is not None and k >= 0
        self.records = [(r[:k], r[k:]) for r in self.records]
        self.cb += (_PAIR_OVERHEAD - RECORD_OVERHEAD) * len(self.records)
        self.klen = None

    def _output_run(self) -> None:
        """ErrSORTIOutputRun: the records in memory, sorted, become a run on disk."""
        assert self.run_dir is not None
        self.records.sort()
        run = Run(self.run_dir)
        try:
            run.write_sorted(self.records, self.klen if self.klen != -1 else 0)
        except BaseException:
            run.close()
            raise
        self.runs.append(run)
        self.records = []
        self.cb = 0

    def end_insert(self) -> bool:
        """ErrSORTEndInsert: sort, remove duplicates; True when the sort overflowed memory
        (it has runs on disk), ESE's JET_wrnSortOverflow."""
        self.inserting = False
        if self.runs:
            if self.records:
                self._output_run()
            return True
        self.records.sort()
        if self.remove_duplicates and len(self.records) > 1:
            self.records = list(self._unique(iter(self.records)))
        self.c_records = len(self.records)
        return False

    def _unique(self, it: Iterator[Any]) -> Iterator[Any]:
        """The first record of each key, from records in order."""
        k = self.klen
        last: bytes | None = None
        if k is not None:
            for rec in it:
                key = rec[:k]
                if key != last:
                    last = key
                    yield rec
        else:
            for rec in it:
                if rec[0] != last:
                    last = rec[0]
                    yield rec

    @property
    def spilled(self) -> bool:
        return bool(self.runs)

    # -- the records kept, in memory ------------------------------------------------------

    def __len__(self) -> int:
        return len(self.records)

    def key_at(self, i: int) -> bytes:
        rec = self.records[i]
        k = self.klen
        return rec[:k] if k is not None else rec[0]  # type: ignore[no-any-return]

    def pair_at(self, i: int) -> tuple[bytes, bytes]:
        rec = self.records[i]
        k = self.klen
        if k is not None:
            return rec[:k], rec[k:]
        return rec  # type: ignore[no-any-return]

    # -- reading in order ---------------------------------------------------------------

    def merged(self) -> Iterator[Any]:
        """The records of a spilled sort in order, duplicates removed as the sort removes
        them: bytes (key then data) while ``klen`` is an int, else pairs."""
        pairs = self.klen is None
        streams = [run.entries(pairs) for run in self.runs]
        it: Iterator[Any] = heapq.merge(*streams) if len(streams) > 1 else streams[0]
        return self._unique(it) if self.remove_duplicates else it

    def iter_records(self) -> Iterator[Any]:
        """Every record kept, in order, as held (bytes or pairs: see ``klen``)."""
        if self.runs:
            return self.merged()
        return iter(self.records)

    def iter_sorted(self) -> Iterator[tuple[bytes, bytes]]:
        """Every record kept, in order, as (key, data) (materialization's source)."""
        k = self.klen
        if k is None:
            return self.iter_records()
        return ((rec[:k], rec[k:]) for rec in self.iter_records())

    def iter_data(self) -> Iterator[bytes]:
        """The data (record image) of every record kept, in order."""
        k = self.klen
        if k is None:
            return (rec[1] for rec in self.iter_records())
        return (rec[k:] for rec in self.iter_records())

    def spilled_cursor(self) -> SpillReader:
        return SpillReader(self)

    def free(self) -> None:
        """SORTClose: drop the records and the runs."""
        self.records = []
        for run in self.runs:
            run.close()
        self.runs = []


class SpillReader:
    """Forward reads of a spilled sort (its merged runs), with a position of its own."""

    def __init__(self, sort: Sort) -> None:
        self._sort = sort
        self._it: Iterator[tuple[bytes, bytes]] | None = None
        self._rec: tuple[bytes, bytes] | None = None
        self.ordinal = -1

    def first(self) -> tuple[bytes, bytes] | None:
        self.ordinal = 0
        self._it = self._sort.iter_sorted()
        self._rec = next(self._it, None)
        return self._rec

    def next(self) -> tuple[bytes, bytes] | None:
        if self._it is None or self._rec is None:
            return None
        self.ordinal += 1
        self._rec = next(self._it, None)
        return self._rec

    def current(self) -> tuple[bytes, bytes] | None:
        return self._rec
