"""A genuine ESE ``.edb`` file as the engine's trees: the physical backend's last adapter.

The engine reads every database through the :class:`pyese.storage.trees.TreeSnapshot`
contract, in ESE's logical format. A genuine file already stores that format, with one
physical difference the engine must not see: a non-unique secondary index.

- pyese's own files store a non-unique index entry as one node whose key is unique by
  itself: the index key with each 00 byte escaped as 00 01, then 00 00, then the primary
  bookmark (``engine.schema.ddl.index_node``); the cursor positions itself by that node key.
- ESE stores the entry as key = index key (repeated for every record with that key) and
  data = primary bookmark, ordered by key then data (``CmpKeyData``, pages flagged
  ``fPageNonUniqueKeys``).

:class:`GenuineSnapshot` presents each non-unique tree of the file in pyese's encoding: a node
(key, bookmark) reads as ``(index_node key, bookmark)``, and a seek to an encoded key is a
seek by (key, bookmark) in the genuine tree (``EdbTreeCursor.seek_ge_kd``: one descent,
even among millions of equal keys). The order is the same (escaping preserves bytewise order
and ``00 00`` sorts below any escaped byte), so the cursor (``engine.cursors.cursor``), which keeps
its position as a node key, moves among duplicates exactly as it does on pyese's files, and
``JetSeek`` / ``JetSetIndexRange`` / ``JetGotoBookmark`` need no second code path.

Unique trees (the table trees, unique secondary indexes, long-value trees, the catalog) are
passed through as they are: their layout is the same in both backends. Whether a tree is
non-unique is read from its root page's ``fPageNonUniqueKeys`` flag, which ESE sets exactly
on the pages of trees without a unique key (``FFCBUnique``).

Nothing here writes: the snapshot is a read-only view of an immutable file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pyese.engine.cursors.tablescan import RecordView
from pyese.engine.genuine.records import DecodedRecordView, record_cache
from pyese.engine.genuine.rowdecode import RowDecoder, ValueTyping, resolver
from pyese.engine.records.longvalue import LongValueReader
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.edb import EdbFile
from pyese.storage.edb.btree import EdbTreeCursor
from pyese.storage.trees import TreeCursor


def encode_node_key(key: bytes, bookmark: bytes) -> bytes:
    """pyese's node key of a non-unique index entry (as ``ddl.index_node``)."""
    return key.replace(b"\x00", b"\x00\x01") + b"\x00\x00" + bookmark


def split_node_key(probe: bytes) -> tuple[bytes, bytes | None]:
    """(index key, bookmark or None) of an encoded node key or of a seek prefix.

    None: the probe has no ``00 00`` terminator, so it is an index-key prefix and every
    entry whose key is >= the decoded key sorts at or after it. A 00 followed by a byte
    above 01 (never made by the encoder) sorts after every key that starts with the
    decoded bytes + 00: the decoded key + 01 is the least key at or after it.
    """
    out = bytearray()
    i = 0
    n = len(probe)
    while i < n:
        b = probe[i]
        if b:
            out.append(b)
            i += 1
            continue
        if i + 1 >= n:  # a lone trailing 00: every entry with this key is after it
            return bytes(out), None
        nxt = probe[i + 1]
        if nxt == 0:
            return bytes(out), probe[i + 2:]
        if nxt == 1:
            out.append(0)
            i += 2
            continue
        return bytes(out) + b"\x01", None
    return bytes(out), None


class NonUniqueCursor:
    """A :class:`TreeCursor` over a genuine non-unique tree, in pyese's node encoding."""

    __slots__ = ("_cur",)

    def __init__(self, cur: EdbTreeCursor) -> None:
        self._cur = cur

    @staticmethod
    def _enc(kd: tuple[bytes, bytes] | None) -> tuple[bytes, bytes] | None:
        if kd is None:
            return None
        return encode_node_key(kd[0], kd[1]), kd[1]

    def first(self) -> tuple[bytes, bytes] | None:
        return self._enc(self._cur.first())

    def last(self) -> tuple[bytes, bytes] | None:
        return self._enc(self._cur.last())

    def next(self) -> tuple[bytes, bytes] | None:
        return self._enc(self._cur.next())

    def prev(self) -> tuple[bytes, bytes] | None:
        return self._enc(self._cur.prev())

    def seek_ge(self, key: bytes) -> tuple[bytes, bytes] | None:
        """First entry whose encoded node key is >= ``key``."""
        ikey, bookmark = split_node_key(key)
        if bookmark is None:
            return self._enc(self._cur.seek_ge(ikey))
        return self._enc(self._cur.seek_ge_kd(ikey, bookmark))

    def seek_le(self, key: bytes) -> tuple[bytes, bytes] | None:
        """Last entry whose encoded node key is <= ``key``."""
        node = self.seek_ge(key)
        if node is not None and node[0] == key:
            return node
        return self.prev() if node is not None else self.last()


class GenuineSnapshot:
    """A :class:`TreeSnapshot` of a genuine file as the engine reads it (module docstring).

    ``non_unique`` is the owner's cache objid -> bool (shared by every snapshot of a file).
    """

    __slots__ = ("_edb", "_snap", "_non_unique", "_last")

    def __init__(self, edb: EdbFile, non_unique: dict[int, bool]) -> None:
        self._edb = edb
        self._snap = edb.snapshot()
        self._non_unique = non_unique
        self._last: tuple[int, bytes, bytes | None] | None = None
        """(objid, key, data) of the last :meth:`get` (one tuple, replaced whole: safe
        to read from any thread)."""

    def map_tree(self, objid: int, pgno_fdp: int) -> None:
        self._snap.map_tree(objid, pgno_fdp)

    @property
    def static_memo(self) -> dict[Any, Any]:
        """What is read from the file once and kept while it is open (``EdbFile.memo``):
        the file never changes, so anything decoded from it stays true (the catalog:
        ``Catalog.load``)."""
        return self._edb.memo

    def is_non_unique(self, objid: int) -> bool:
        """Is tree ``objid`` a non-unique tree (its root page says so)?

        Raises what reading the root raises (``JET_errReadVerifyFailure`` and others) unless
        the file is tolerant, where an unreadable root counts as unique (the tree then reads
        as empty).
        """
        known = self._non_unique.get(objid)
        if known is not None:
            return known
        edb = self._edb
        try:
            pgno = edb.pgno_fdp(objid)
            if not 1 <= pgno <= edb.page_count:  # the verdict the tree walk gives
                raise_error(C.JET_errDatabaseCorrupted,
                            f"tree {objid}: pgnoFDP {pgno} is beyond the file")
            flag = edb.read_page(pgno).non_unique_keys
        except JetError:
            if not edb.tolerant:
                raise
            return False
        self._non_unique[objid] = flag
        return flag

    def cursor(self, objid: int) -> TreeCursor:
        cur = self._snap.cursor(objid)
        if self.is_non_unique(objid):
            return NonUniqueCursor(cur)
        return cur

    def get(self, objid: int, key: bytes) -> bytes | None:
        """Data of the entry whose (encoded) node key equals ``key``, or None.

        The last answer is kept (the file never changes): ``JetGotoBookmark`` finds the
        record and the read that follows asks for it again (``record_view``), which then
        costs no second seek."""
        last = self._last
        if last is not None and last[0] == objid and last[1] == key:
            return last[2]
        node = self.cursor(objid).seek_ge(key)
        data = None if node is None or node[0] != key else node[1]
        self._last = (objid, key, data)
        return data

    def record_view(self, table: Any, bookmark: bytes) -> RecordView:
        """The record of ``table`` at primary bookmark ``bookmark``, decoded once and kept
        (``engine.genuine.records``): what a cursor's ``record_view`` reads columns from.
        ``JET_errRecordDeleted`` when the table has no such record."""
        cache = record_cache(self._edb.memo, table.objid, table.layout)
        entry = cache.get(bookmark)
        if entry is None:
            data = self.get(table.objid, bookmark)
            if data is None:
                raise_error(C.JET_errRecordDeleted)
            entry = cache.put(bookmark, data)  # type: ignore[arg-type]
        return DecodedRecordView(entry[1], entry[0],  # type: ignore[arg-type]
                                 LongValueReader(self, table.lv_objid), bookmark)

    def rows(self, table: Any, columns: list[Any], start: bytes = b"",
             stop: bytes | None = None, *, typing: ValueTyping | None = None
             ) -> Iterator[tuple[bytes, list[Any]]]:
        """(primary bookmark, values) of ``table``'s records with start <= bookmark < stop,
        in primary-key order: the batch read a row-at-a-time API builds on.

        The table's leaves are walked a page at a time (``EdbTreeCursor.scan``) and each
        record decoded in one pass by a ``RowDecoder`` kept per table and column list
        (``rowdecode``): one value per column (None: NULL; a list for a multi-valued
        column), stored bytes or, with a ``typing``, its values; long values read in full.
        Raises what reading the tree and decoding raise (``JET_errDatabaseCorrupted`` for a
        malformed record, ``JET_errLVCorrupted`` ...).
        """
        decode = self.row_decoder(table, columns, typing=typing).values
        resolve = resolver(LongValueReader(self, table.lv_objid))
        for bookmark, data in self._snap.iterate(table.objid, start, stop):
            yield bookmark, decode(data, resolve)

    def row_decoder(self, table: Any, columns: list[Any], *,
                    typing: ValueTyping | None = None) -> RowDecoder:
        """The ``RowDecoder`` of ``table``'s ``columns`` (stored bytes, or typed with
        ``typing``), built once per table layout and column list and kept with the file."""
        key = ("rowdecoder", table.objid, tuple(c.columnid for c in columns), typing)
        memo = self._edb.memo
        entry = memo.get(key)
        if entry is None or entry[0] is not table.layout:
            entry = memo[key] = (table.layout, RowDecoder(table.layout, columns,
                                                               typing=typing))
        return entry[1]  # type: ignore[no-any-return]

    def is_flag_deleted(self, objid: int, key: bytes) -> bool:
        """Is the node of tree ``objid`` at ``key`` one ESE flag-deleted and has not yet
        removed (``fNDDeleted``)? Such nodes are reached only on a file attached with the
        pyese forensic bit ``JET_bitDbPyeseShowDeleted``; without it this is always False.
        What ``JetGetCursorInfo`` answers ``JET_errRecordDeleted`` for (ESE ``bt.cxx``
        ErrBTGet: a node not visible to the cursor is a deleted record)."""
        edb = self._edb
        if not edb.include_deleted or objid <= 5:
            return False
        cur = EdbTreeCursor(edb, objid, edb.pgno_fdp(objid))
        kd = cur.seek_ge(key)
        node = cur.current_node
        return kd is not None and node is not None and node.key == key and node.deleted

    def iterate(self, objid: int, start: bytes = b"",
                stop: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        """Entries with start <= node key < stop, in key order."""
        cur = self.cursor(objid)
        node = cur.seek_ge(start)
        while node is not None and (stop is None or node[0] < stop):
            yield node
            node = cur.next()

    def max_objid(self) -> int:
        """The largest objid the file's header records (``objidLast``)."""
        return int(self._edb.header.objid_last)

    def close(self) -> None:
        self._snap.close()


def genuine_snapshot(db: Any) -> GenuineSnapshot:
    """The snapshot of an attached genuine database (``engine.instance.database.Database``)."""
    return GenuineSnapshot(db.file, db.non_unique_trees)
