"""One temporary table (ESE's SCB and, once materialized, its FCB in the temporary database).

A :class:`TempTable` is shared by the cursors of one ``JetOpenTempTable`` (the first one and
its ``JetDupCursor`` copies). It starts as a sort (:mod:`pyese.engine.temp.sort`) or, when
ESE materializes at once (no key column, a long-value column without
``JET_bitTTIntrinsicLVsOnly``, or ``JET_bitTTForceMaterialization``: ``sortapi.cxx``
ErrIsamOpenTempTable), as a B-tree in the temporary database. A sort becomes a tree on its
first move or seek when it is ``JET_bitTTUpdatable``, or scrollable / indexed and too big
for memory (``ErrTTEndInsert``).

The materialized table is an ordinary table as far as cursors go: its records are nodes of
one tree of the temporary database keyed by the normalized key (or by a 4-byte DBK when it
has no key), read by ``engine.cursor.Cursor`` through :class:`TempCatalog` / :class:`TempView`
instead of the version store. Its changes are written straight to the temporary database
(never logged) and, with ``JET_paramEnableTempTableVersioning``, recorded for rollback in
the instance's :class:`TempStore`.

Long values (``sortapi.cxx``: a sort's FCB is always IntrinsicLVsOnly; a materialized
table only with ``JET_bitTTIntrinsicLVsOnly``): a sort keeps them in its records; a
materialized table without that bit has a long-value tree of its own in the temporary
database, laid out as a user database's (LVROOT under the LID, chunks under LID + offset,
so ``LongValueReader`` reads it), filled by :meth:`TempTable.store_long_values` when a
record is written. Each LID belongs to one record; a replace or delete frees the LIDs it
orphans outside a transaction (inside one they live until the table closes, since a
rollback may restore their record); closing the table drops the tree.

Locks: a temporary table belongs to one session (ESE opens it DenyRead by that session),
and the JET gate lets one thread at a time into a session, so a TempTable needs no lock of
its own; the temporary database file serialises its own calls.
"""

from __future__ import annotations

import dataclasses
import os
import struct
from collections.abc import Iterator
from typing import Any

from pyese.engine.cursors.tablescan import RecordView
from pyese.engine.instance.session import Session
from pyese.engine.records.indexentries import index_entries
from pyese.engine.records.keys import KeyNormalizer, normalizer, retrieve_key
from pyese.engine.records.longvalue import LongValueReader
from pyese.engine.records.record import (
    VALUE_SEPARATED,
    LVRoot,
    RecordImage,
    lid_from_bytes,
    lv_chunk_key,
    lv_root_key,
)
from pyese.engine.records.update import LV_INTRINSIC_MOST, lv_chunk_most
from pyese.engine.schema.catalog import TableDef
from pyese.engine.schema.fcb import FCB, DatabaseCatalog
from pyese.engine.temp.rowcodec import Decoder, RowEncoder, build_decoder, build_encoder
from pyese.engine.temp.schema import TempSchema
from pyese.engine.temp.sort import Sort
from pyese.engine.temp.tempdb import TempStore
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.database.tempdb import TempDatabaseFile
from pyese.storage.trees import iterate_cursor

_DBK = struct.Struct(">I")


class TempView:
    """The TreeSnapshot a cursor on a materialized temporary table reads."""

    __slots__ = ("file",)

    def __init__(self, file: TempDatabaseFile) -> None:
        self.file = file

    def get(self, objid: int, key: bytes) -> bytes | None:
        return self.file.get(objid, key)

    def cursor(self, objid: int) -> Any:
        return self.file.cursor(objid)

    def iterate(self, objid: int, start: bytes = b"",
                stop: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        return iterate_cursor(self.file.cursor(objid), start, stop)

    def close(self) -> None:
        return None


class _OneTable:
    """What ``DatabaseCatalog.catalog`` returns for a temporary table: itself only."""

    def __init__(self, table: TableDef) -> None:
        self.the_table = table

    def table_by_objid(self, objid: int) -> TableDef:
        return self.the_table


class TempCatalog(DatabaseCatalog):
    """The catalog of the temporary database as one table's cursors see it: no
    ``MSysObjects`` (temporary tables are in no catalog: ``JetGetObjectInfo`` never
    lists them), no version store; the table's one FCB."""

    def __init__(self, tt: TempTable, file: TempDatabaseFile) -> None:
        super().__init__(None, None, tt.schema.table.page_size)
        self.tt = tt
        self.file = file
        self.the_fcb = FCB(tt.objid or 0)

    def view(self, session: Session) -> Any:
        return TempView(self.file)

    def catalog(self, session: Session) -> Any:
        return _OneTable(self.tt.table)

    def fcb(self, objid: int) -> FCB:
        return self.the_fcb


class TempDbHandle:
    """The engine ``Database`` a materialized temporary table's cursors point at."""

    read_only = False
    genuine = False

    def __init__(self, catalog: TempCatalog, page_size: int) -> None:
        self.catalog = catalog
        self.page_size = page_size
        self.dbnum = 0
        self.path = catalog.file.path


class TempTable:
    """One temporary table; see the module docstring."""

    def __init__(self, store: TempStore, session: Session, schema: TempSchema) -> None:
        self.store = store
        self.session = session
        self.schema = schema
        self.grbit = schema.grbit
        self.table: TableDef = schema.table
        self.sort: Sort | None = None
        self.objid: int | None = None
        self.file: TempDatabaseFile | None = None
        self.db: TempDbHandle | None = None
        self.dbk = 0
        self.lv_objid: int | None = None
        """The long-value tree of a materialized table with long-value columns (none with
        JET_bitTTIntrinsicLVsOnly: its long values stay in the record)."""
        self.lid_last = 0
        self.c_records = 0
        self.cursors: set[Any] = set()
        self.closed = False
        self.scb = False
        self._kn: KeyNormalizer | None = None
        self._key_cids: list[int] = []
        self._simple_key = False
        self._codecs: dict[tuple[int, ...], tuple[RowEncoder | None, Decoder | None]] = {}
        self._decoders: dict[tuple[tuple[int, ...], int], Decoder | None] = {}
        self._prepare_keys()

    # -- the sort -------------------------------------------------------------------------

    def open_sort(self, memory_most: int) -> Sort:
        """ErrSORTOpen: a sort that removes duplicate keys unless forward-only without
        JET_bitTTUnique (ESE ErrSORTTableOpen). The caller has counted the sort
        (TempStore.acquire_scb); the table releases it."""
        g = self.grbit
        remove = not (g & C.JET_bitTTForwardOnly and not g & C.JET_bitTTUnique)
        self.scb = True
        run_dir = os.path.dirname(self.store.path) or "."
        sort = Sort(remove, memory_most, run_dir)
        self.sort = sort
        return sort

    def free_sort(self) -> None:
        if self.sort is not None:
            self.sort.free()
            self.sort = None
        if self.scb:
            self.scb = False
            self.store.release_scb()

    # -- materialization (ESE sortapi.cxx ErrIsamSortMaterialize) ---------------------------

    def materialize(self) -> None:
        """Copy the sort (sorted, duplicates removed) into a new tree of the temporary
        database, unversioned (fDIRNoVersion): keyed by the sort key when the table has
        a key, else by DBK in sort order."""
        file = self.store.open_file()
        objid = self.store.new_objid()
        self.file = file
        self.objid = objid
        if self.schema.has_long_values and not self.grbit & C.JET_bitTTIntrinsicLVsOnly:
            self.lv_objid = self.store.new_objid()
        self.table = dataclasses.replace(self.schema.table, objid=objid, _layout=None,
                                         lv_objid=self.lv_objid)
        catalog = TempCatalog(self, file)
        self.db = TempDbHandle(catalog, self.table.page_size)
        sort = self.sort
        if sort is not None:
            if sort.inserting:
                sort.end_insert()
            keyed = self.schema.key is not None
            batch: list[tuple[bytes, bytes]] = []
            n = 0
            for key, data in sort.iter_sorted():
                if not keyed:
                    self.dbk += 1
                    key = _DBK.pack(self.dbk)
                batch.append((key, data))
                n += 1
                if len(batch) >= 4096:
                    file.put_many(objid, batch)
                    batch = []
            if batch:
                file.put_many(objid, batch)
            self.c_records = n
        self.free_sort()

    @property
    def materialized(self) -> bool:
        return self.objid is not None

    # -- writes to the materialized tree (versioned) ---------------------------------------

    def key_of(self, data: bytes) -> bytes:
        """The record's primary key (the index's first entry, as ESE's primary key) or a
        new DBK for a table without key columns."""
        primary = self.table.primary_index
        if primary is None:
            self.dbk += 1
            return _DBK.pack(self.dbk)
        if self._simple_key:
            layout = self.table.layout
            return self.key_from_values([layout.retrieve(data, c) for c in self._key_cids])
        view = RecordView(self.table.layout, data, None)
        entries = index_entries(primary.index, view.values)
        return entries[0].key if entries else b"\x00"

    def sort_key_of(self, data: bytes) -> bytes:
        """A sort record's key (ErrRECRetrieveKeyFromCopyBuffer, the base key: the first
        value of each key column)."""
        primary = self.schema.key
        assert primary is not None
        if self._simple_key:
            layout = self.schema.table.layout
            return self.key_from_values([layout.retrieve(data, c) for c in self._key_cids])
        view = RecordView(self.schema.table.layout, data, None)
        entries = index_entries(primary.index, view.values)
        return entries[0].key if entries else b"\x00"

    def key_from_values(self, values: list[bytes | None]) -> bytes:
        """The normalized key of one value per key column (ErrRECIRetrieveKey)."""
        assert self._kn is not None
        return retrieve_key(self._kn, values).key

    def _prepare_keys(self) -> None:
        key = self.schema.key
        self._kn = normalizer(key.index) if key is not None else None
        cols = self.schema.key_columns
        self._key_cids = [c.columnid for c in cols]
        self._simple_key = key is not None and not any(
            c.grbit & C.JET_bitColumnMultiValued for c in cols)

    def codec(self, columnids: tuple[int, ...]) -> tuple[RowEncoder | None, Decoder | None]:
        """The bulk paths' fast encoder and decoder for rows of ``columnids`` (built once
        per column list; None where :mod:`.rowcodec` has none)."""
        got = self._codecs.get(columnids)
        if got is None:
            layout = self.schema.table.layout
            enc = build_encoder(layout, columnids, self._kn, self._key_cids,
                                self.schema.record_most)
            got = (enc, build_decoder(layout, columnids))
            self._codecs[columnids] = got
        return got

    def decoder(self, columnids: tuple[int, ...], shift: int) -> Decoder | None:
        """A fast decoder of records that start ``shift`` bytes in (see :meth:`codec`)."""
        if shift == 0:
            return self.codec(columnids)[1]
        got = self._decoders.get((columnids, shift), False)
        if got is False:
            got = build_decoder(self.schema.table.layout, columnids, shift)
            self._decoders[(columnids, shift)] = got
        return got  # type: ignore[return-value]

    def tree_get(self, key: bytes) -> bytes | None:
        assert self.file is not None and self.objid is not None
        return self.file.get(self.objid, key)

    def tree_put(self, session: Session, key: bytes, data: bytes) -> None:
        """Write a record; with versioning, remember the before-image for rollback."""
        assert self.file is not None and self.objid is not None
        before = self.file.get(self.objid, key)
        self.file.put(self.objid, key, data)
        if before is None:
            self.c_records += 1
        if session.level:
            self.store.record_undo(session, self._undo(key, before))

    def tree_insert(self, session: Session, key: bytes, data: bytes) -> None:
        """Insert a new record: JET_errKeyDuplicate when the key is taken."""
        assert self.file is not None and self.objid is not None
        if not self.file.insert(self.objid, key, data):
            raise_error(C.JET_errKeyDuplicate, "the temporary table has this key")
        self.c_records += 1
        if session.level:
            self.store.record_undo(session, self._undo(key, None))

    def tree_delete(self, session: Session, key: bytes) -> None:
        assert self.file is not None and self.objid is not None
        before = self.file.get(self.objid, key)
        if before is None:
            return
        self.file.delete(self.objid, key)
        self.c_records -= 1
        if session.level:
            self.store.record_undo(session, self._undo(key, before))

    def _undo(self, key: bytes, before: bytes | None) -> Any:
        def undo() -> None:
            if self.closed or self.file is None or self.objid is None:
                return
            had = self.file.get(self.objid, key) is not None
            if before is None:
                if had:
                    self.file.delete(self.objid, key)
                    self.c_records -= 1
            else:
                self.file.put(self.objid, key, before)
                if not had:
                    self.c_records += 1
        return undo

    # -- long values of a materialized table (lv.cxx, on the temporary database) ----------

    def lv_reader(self) -> LongValueReader:
        assert self.file is not None
        return LongValueReader(TempView(self.file), self.lv_objid)

    def store_long_values(self, image: RecordImage, force: set[tuple[int, int]],
                          copy_separated: bool,
                          keep: set[tuple[int, int]] | None = None) -> set[int]:
        """Before a record is written: move each intrinsic long value of the copy buffer
        longer than LV_INTRINSIC_MOST bytes, or set with JET_bitSetSeparateLV (``force``:
        (columnid, itag)), to a new LID of the table's long-value tree, as ESE separates a
        long value that does not stay in the record (``lv.cxx`` ErrRECSetLongField). With
        ``copy_separated`` (an insert: the copy of another record's values) a value that
        is already separate gets a LID of its own too, so every LID has one record. A
        value in ``keep`` (JET_bitSetIntrinsicLV) stays in the record.
        Returns the LIDs written (the caller frees them if the write then fails)."""
        if self.lv_objid is None:
            return set()
        made: set[int] = set()
        try:
            for col in self.table.layout.columns.values():
                if not col.is_long_value:
                    continue
                cid = col.columnid
                for itag in range(1, image.count(cid) + 1):
                    value, flags = image.get_ex(cid, itag)
                    if value is None:
                        continue
                    if flags & VALUE_SEPARATED:
                        if not copy_separated:
                            continue
                        value = self.lv_reader().read(lid_from_bytes(value))
                    elif (len(value) <= LV_INTRINSIC_MOST and (cid, itag) not in force
                          or keep and (cid, itag) in keep):
                        continue
                    lid = self._write_lv(value)
                    made.add(lid)
                    image.set_separated(cid, itag, lid)
        except BaseException:
            self.free_lids(made)
            raise
        return made

    def _write_lv(self, value: bytes) -> int:
        """A new long value (LVROOT refcount 1, then chunks of lv_chunk_most bytes)."""
        assert self.file is not None and self.lv_objid is not None
        self.lid_last += 1
        lid = self.lid_last
        chunk = lv_chunk_most(self.table.page_size)
        items = [(lv_chunk_key(lid, off), value[off:off + chunk])
                 for off in range(0, len(value), chunk)]
        items.append((lv_root_key(lid), LVRoot(1, len(value)).to_bytes()))
        self.file.put_many(self.lv_objid, items)
        return lid

    def lids_of(self, data: bytes | None) -> set[int]:
        """The LIDs a stored record references."""
        if self.lv_objid is None or data is None:
            return set()
        image = RecordImage.from_bytes(self.table.layout, data)
        out: set[int] = set()
        for col in self.table.layout.columns.values():
            if col.is_long_value:
                for itag in range(1, image.count(col.columnid) + 1):
                    value, flags = image.get_ex(col.columnid, itag)
                    if value is not None and flags & VALUE_SEPARATED:
                        out.add(lid_from_bytes(value))
        return out

    def free_lids(self, lids: set[int]) -> None:
        """Delete long values no record references any more (ESE deletes a long value
        whose reference count falls to 0)."""
        if not lids or self.file is None or self.lv_objid is None or self.file.closed:
            return
        objid = self.lv_objid
        for lid in lids:
            root = self.file.get(objid, lv_root_key(lid))
            if root is None:
                continue
            size = LVRoot.from_bytes(root).size
            chunk = lv_chunk_most(self.table.page_size)
            for off in range(0, size, chunk):
                self.file.delete(objid, lv_chunk_key(lid, off))
            self.file.delete(objid, lv_root_key(lid))

    # -- life -----------------------------------------------------------------------------

    def register(self) -> None:
        self.store.tables.add(self)

    def cursor_closed(self, cur: Any) -> None:
        """A cursor closed; the last one frees the table (ESE SORTClose / the temporary
        table's FCB is deleted with its last cursor)."""
        self.cursors.discard(cur)
        if not self.cursors:
            self.destroy()

    def destroy(self) -> None:
        if self.closed:
            return
        self.closed = True
        for cur in list(self.cursors):
            cur.close()
        self.cursors.clear()
        self.free_sort()
        if self.file is not None and self.objid is not None and not self.file.closed:
            self.file.drop_tree(self.objid)
            if self.lv_objid is not None:
                self.file.drop_tree(self.lv_objid)
        self.store.tables.discard(self)

    def check_open(self) -> None:
        if self.closed:
            raise_error(C.JET_errInvalidTableId)
