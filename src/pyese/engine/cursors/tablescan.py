"""Reading a table's records through a snapshot: full scans, index seeks, column values.

A table's records are the nodes of its tree (objid = the table's objid): key = primary
key, data = the record in ESE's layout (``record.py``), in primary-key order. A secondary
index is a tree of its own whose node keys are the normalized index keys and whose node
data is the primary bookmark, i.e. the record's primary key (``bt.cxx`` / ``dir.cxx``:
secondary index entries point at records by bookmark), so a seek is: normalize the key
(``keys.py``), ``seek_ge`` in the index tree, fetch the record by bookmark.

:class:`RecordView` is what a cursor positioned on a record reads from (``JetRetrieveColumn``
semantics without the buffer protocol):

- a column absent from the record (beyond ``fidFixedLast`` / ``fidVarLast``, or no
  TAGFLD) takes the catalog default for itagSequence 1, as ESE's retrieve does
  (``recupd.cxx`` / ``tagfld.cxx`` default-record lookup); an explicit NULL entry or a
  set NULL bit is NULL, never the default;
- separated long values are read through :class:`LongValueReader`; compressed intrinsic
  values are decompressed (``compression.cxx``);
- an encrypted value raises ``JET_errDecryptionFailed`` (no key: pyese has no encryption).

Errors: ``JET_errDatabaseCorrupted`` (malformed record), ``JET_errLVCorrupted``,
``JET_errDecompressionFailed``, ``JET_errColumnNotFound``, ``JET_errIndexNotFound``,
``JET_errRecordNotFound`` (a bookmark that leads nowhere).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from pyese.engine.records.keys import make_key
from pyese.engine.records.longvalue import LongValueReader
from pyese.engine.records.record import (
    VALUE_COMPRESSED,
    VALUE_ENCRYPTED,
    VALUE_SEPARATED,
    lid_from_bytes,
)
from pyese.engine.schema.catalog import TableDef
from pyese.engine.schema.schema import TAGGED_FIRST
from pyese.engine.schema.sysobjects import CatalogIndex
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.compiling import mypyc_attr
from pyese.storage.edb.compression import decompress
from pyese.storage.trees import TreeSnapshot


class RecordReader(Protocol):
    """What a :class:`RecordView` reads its record's values through: the table's
    ``RecordLayout``, or on a genuine file the ``DecodedLayout`` of the one record (its
    values decoded once, ``engine.genuine.records``), which answers the same."""

    def retrieve_ex(self, record: bytes, columnid: int, itag: int = 1, *,
                    use_default: bool = True) -> tuple[bytes | None, int]:
        """(stored bytes or None, VALUE_* flags) of value ``itag`` of a column, the
        default applied unless ``use_default`` is False (``RecordLayout.retrieve_ex``)."""
        ...

    def use_derived_bit(self, columnid: int) -> bool:
        """ESE FRECUseDerivedBit (``RecordLayout.use_derived_bit``)."""
        ...


@mypyc_attr(allow_interpreted_subclasses=True)  # cli_forensic and a test subclass it
class RecordView:
    """Read-only access to one record's column values, fully resolved.

    ``bookmark`` is the record's primary key (its node key in the table tree); ``layout``
    reads the values (:class:`RecordReader`).
    """

    __slots__ = ("layout", "data", "lv", "bookmark")

    def __init__(
        self,
        layout: RecordReader,
        data: bytes,
        lv_reader: LongValueReader | None,
        bookmark: bytes = b"",
    ) -> None:
        self.layout = layout
        self.data = data
        self.lv = lv_reader
        self.bookmark = bookmark

    def raw(self, columnid: int, itag: int = 1) -> tuple[bytes | None, int]:
        """(stored bytes, VALUE_* flags) with the default applied; LIDs not resolved."""
        return self.layout.retrieve_ex(self.data, columnid, itag)

    def _resolve(self, data: bytes, flags: int) -> bytes:
        if flags & VALUE_ENCRYPTED:
            raise_error(C.JET_errDecryptionFailed, "the value is encrypted")
        if flags & VALUE_SEPARATED:
            if self.lv is None:
                raise_error(C.JET_errLVCorrupted, "separated value without a long-value tree")
            return self.lv.read(lid_from_bytes(data))  # type: ignore[union-attr]
        if flags & VALUE_COMPRESSED:
            return decompress(data)
        return data

    def get(self, columnid: int, itag: int = 1) -> bytes | None:
        """Value ``itag`` (1-based) of a column: resolved bytes, or None (NULL / no such value)."""
        data, flags = self.layout.retrieve_ex(self.data, columnid, itag)
        if data is None:
            return None
        return self._resolve(data, flags)

    def values(self, columnid: int) -> list[bytes]:
        """Every value of a column in itagSequence order; [] means NULL."""
        if (columnid & 0xFFFF) < TAGGED_FIRST:
            v = self.get(columnid)
            return [] if v is None else [v]
        out: list[bytes] = []
        itag = 1
        while True:
            data, flags = self.layout.retrieve_ex(self.data, columnid, itag)
            if data is None:
                return out
            out.append(self._resolve(data, flags))
            itag += 1

    def iter_value(self, columnid: int, itag: int = 1) -> Iterator[bytes]:
        """Value ``itag`` in pieces (a separated long value chunk by chunk: bounded memory)."""
        data, flags = self.layout.retrieve_ex(self.data, columnid, itag)
        if data is None:
            return
        if flags & VALUE_SEPARATED and not flags & VALUE_ENCRYPTED and self.lv is not None:
            yield from self.lv.iter_chunks(lid_from_bytes(data))
            return
        yield self._resolve(data, flags)


@mypyc_attr(allow_interpreted_subclasses=True)  # cli_forensic and a test subclass it
class TableReader:
    """Records of one table through a snapshot: scans, bookmark fetches, index seeks."""

    def __init__(self, snapshot: TreeSnapshot, table: TableDef) -> None:
        self.snapshot = snapshot
        self.table = table
        self.layout = table.layout
        self.lv = LongValueReader(snapshot, table.lv_objid)

    def view(self, bookmark: bytes, data: bytes) -> RecordView:
        return RecordView(self.layout, data, self.lv, bookmark)

    def records(self, start: bytes = b"", stop: bytes | None = None) -> Iterator[RecordView]:
        """Records with start <= primary key < stop, in primary-key order."""
        for key, data in self.snapshot.iterate(self.table.objid, start, stop):
            yield RecordView(self.layout, data, self.lv, key)

    def fetch(self, bookmark: bytes) -> RecordView:
        """The record whose primary key is ``bookmark``; ``JET_errRecordNotFound`` if none."""
        data = self.snapshot.get(self.table.objid, bookmark)
        if data is None:
            raise_error(C.JET_errRecordNotFound, f"table {self.table.name}: no record at bookmark "
                        f"{bookmark.hex()}")
        return RecordView(self.layout, data, self.lv, bookmark)  # type: ignore[arg-type]

    def _index(self, index: str | CatalogIndex) -> CatalogIndex:
        return self.table.index(index) if isinstance(index, str) else index

    def make_key(self, index: str | CatalogIndex, values: Sequence[bytes | None]) -> bytes:
        """The normalized key of ``values`` (one per key column, stored bytes) for an index."""
        return make_key(self._index(index).index, values)[0]

    def index_range(
        self, index: str | CatalogIndex, start: bytes = b"", stop: bytes | None = None
    ) -> Iterator[tuple[bytes, RecordView]]:
        """(index key, record) for index entries with start <= key < stop, in index order.

        On the primary index this is :meth:`records`.
        """
        ix = self._index(index)
        if ix.index.is_primary or ix.objid == self.table.objid:
            for view in self.records(start, stop):
                yield view.bookmark, view
            return
        for key, bookmark in self.snapshot.iterate(ix.objid, start, stop):
            yield key, self.fetch(bookmark)

    def seek(self, index: str | CatalogIndex, values: Sequence[bytes | None]) -> list[RecordView]:
        """Records whose index key equals the key of ``values`` (JetSeek JET_bitSeekEQ + walk).

        As in ESE, equality is on normalized (possibly truncated) keys.
        """
        return self.seek_key(index, self.make_key(index, values))

    def seek_key(self, index: str | CatalogIndex, key: bytes) -> list[RecordView]:
        """Records whose index entry has exactly the normalized ``key`` (JET_bitNormalizedKey)."""
        ix = self._index(index)
        primary = ix.index.is_primary or ix.objid == self.table.objid
        objid = self.table.objid if primary else ix.objid
        out: list[RecordView] = []
        cursor = self.snapshot.cursor(objid)
        node = cursor.seek_ge(key)
        while node is not None and node[0] == key:
            if primary:
                out.append(RecordView(self.layout, node[1], self.lv, node[0]))
            else:
                out.append(self.fetch(node[1]))
            node = cursor.next()
        return out
