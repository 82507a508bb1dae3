"""ESE's sort (``sort.cxx``, the SCB): records collected, sorted once, read in key order.

Insert phase: each record arrives as (normalized key, record image). End of insert (the
first move or seek, ``ErrSORTEndInsert``): the records are sorted by key, then by record
bytes (ESE's ISORTICmpPspairPspair compares key, then data), and duplicates removed when
the sort removes them: every sort does, on the key, except a forward-only sort that did not
ask for ``JET_bitTTUnique`` (``sortapi.cxx`` ErrSORTTableOpen: fRemoveDuplicates). Of
records with one key the first in that order stays (``CspairSORTIUnique``).

Memory. Records stay in a Python list while their bytes (plus a per-record overhead) stay
under ``memory_most``; past it the sort *spills*: the list goes to a tree of the temporary
database keyed by an order-preserving encoding of (key, record) -- the B-tree does the
merge ESE's runs do. ``end_insert`` then reports the overflow (ESE's JET_wrnSortOverflow),
and the caller materializes a scrollable or indexed table, or reads the spilled sort
forward only.
"""

from __future__ import annotations

import struct
from typing import Any

from pyese.storage.database.tempdb import StableCursor, TempDatabaseFile

RECORD_OVERHEAD = 120
"""Bytes a record costs in the list beyond its key and data (tuple and bytes headers)."""
MEMORY_MOST = 256 << 20
"""Default in-memory budget of one sort, in bytes (``memory_most``)."""

_COUNT = struct.Struct("<I")


def encode_spill_key(key: bytes, data: bytes) -> bytes:
    """(key, data) as one byte string in the same order: 00 in the key becomes 00 FF, the
    key ends with 00 00, then the data."""
    return key.replace(b"\x00", b"\x00\xff") + b"\x00\x00" + data


def decode_spill_key(raw: bytes) -> tuple[bytes, bytes]:
    i = 0
    while True:
        j = raw.index(b"\x00", i)
        if raw[j + 1:j + 2] == b"\xff":
            i = j + 2
            continue
        return raw[:j].replace(b"\x00\xff", b"\x00"), raw[j + 2:]


class Sort:
    """One sort: insert, end_insert, then positional reads (see the module docstring)."""

    def __init__(self, remove_duplicates: bool, memory_most: int = MEMORY_MOST) -> None:
        self.remove_duplicates = remove_duplicates
        self.memory_most = memory_most
        self.records: list[tuple[bytes, bytes]] = []
        self.cb = 0
        self.inserting = True
        self.c_records = 0
        """Records inserted; after an in-memory end_insert, the records kept (ESE cRecords)."""
        self.file: TempDatabaseFile | None = None
        self.spill_objid: int | None = None
        self._new_file: Any = None

    # -- insert -------------------------------------------------------------------------

    def attach_spill(self, file_factory: Any) -> None:
        """``file_factory()`` -> (TempDatabaseFile, objid): where to spill when needed."""
        self._new_file = file_factory

    def insert(self, key: bytes, data: bytes) -> None:
        """ErrSORTInsert."""
        self.records.append((key, data))
        self.c_records += 1
        self.cb += len(key) + len(data) + RECORD_OVERHEAD
        if self.cb > self.memory_most and self._new_file is not None:
            self._spill()

    def insert_many(self, items: list[tuple[bytes, bytes]]) -> None:
        """Several ErrSORTInsert at once (the Pythonic layer's bulk path)."""
        for key, data in items:
            self.insert(key, data)

    def _spill(self) -> None:
        if self.file is None:
            self.file, self.spill_objid = self._new_file()
        file, objid = self.file, self.spill_objid
        assert file is not None and objid is not None
        batch = sorted(self.records)
        with file.locked():
            for key, data in batch:
                skey = encode_spill_key(key, data)
                old = file.get(objid, skey)
                n = _COUNT.unpack(old)[0] + 1 if old is not None else 1
                file.put(objid, skey, _COUNT.pack(n))
        self.records = []
        self.cb = 0

    def end_insert(self) -> bool:
        """ErrSORTEndInsert: sort, remove duplicates; True when the sort overflowed memory
        (spilled), ESE's JET_wrnSortOverflow."""
        self.inserting = False
        if self.file is not None:
            if self.records:
                self._spill()
            return True
        self.records.sort()
        if self.remove_duplicates and self.records:
            kept = [self.records[0]]
            last = self.records[0][0]
            for rec in self.records:
                if rec[0] != last:
                    kept.append(rec)
                    last = rec[0]
            self.records = kept
        self.c_records = len(self.records)
        return False

    @property
    def spilled(self) -> bool:
        return self.file is not None

    # -- spilled reads (forward) --------------------------------------------------------

    def spilled_cursor(self) -> SpillReader:
        assert self.file is not None and self.spill_objid is not None
        return SpillReader(self.file.cursor(self.spill_objid), self.remove_duplicates)

    def iter_sorted(self) -> Any:
        """Every record kept, in order (materialization's source)."""
        if self.file is None:
            yield from self.records
            return
        reader = self.spilled_cursor()
        rec = reader.first()
        while rec is not None:
            yield rec
            rec = reader.next()

    def free(self) -> None:
        """SORTClose: drop the records and the spill tree."""
        self.records = []
        if self.file is not None and self.spill_objid is not None:
            self.file.drop_tree(self.spill_objid)
        self.file = None
        self.spill_objid = None


class SpillReader:
    """Forward reads of a spilled sort, duplicates expanded or removed, with a position
    (the current encoded key and the copy of it) that survives other writes."""

    def __init__(self, cursor: StableCursor, remove_duplicates: bool) -> None:
        self._cur = cursor
        self._unique = remove_duplicates
        self._node: tuple[bytes, bytes] | None = None
        self._copy = 0
        self._last_key: bytes | None = None
        self.ordinal = -1

    def _take(self, node: tuple[bytes, bytes] | None) -> tuple[bytes, bytes] | None:
        self._node = node
        self._copy = 0
        if node is None:
            return None
        return decode_spill_key(node[0])

    def first(self) -> tuple[bytes, bytes] | None:
        self.ordinal = 0
        rec = self._take(self._cur.first())
        self._last_key = rec[0] if rec is not None else None
        return rec

    def next(self) -> tuple[bytes, bytes] | None:
        if self._node is None:
            return None
        self.ordinal += 1
        if not self._unique:
            count = _COUNT.unpack(self._node[1])[0]
            if self._copy + 1 < count:
                self._copy += 1
                return decode_spill_key(self._node[0])
        while True:
            rec = self._take(self._cur.next())
            if rec is None:
                return None
            if not self._unique or rec[0] != self._last_key:
                self._last_key = rec[0]
                return rec

    def current(self) -> tuple[bytes, bytes] | None:
        return decode_spill_key(self._node[0]) if self._node is not None else None
