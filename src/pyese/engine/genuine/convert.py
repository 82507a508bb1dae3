"""JetCompact of a genuine Windows ``.edb``: a writable pyese database with the same schema
and records (ESE ``dbutil.cxx`` ErrIsamCompact and its ``ErrCMP*`` helpers).

A genuine file is attached read-only (``engine.instance.database``); pyese cannot write its
page format. Compacting it is how a user converts it: the copy is an ordinary pyese
database. Copying the trees as they are would not do: a non-unique secondary index keeps
its entries in ESE's (key, data) layout and pyese in its own node encoding
(``ddl.index_node``), long values are keyed by LIDs of ESE's LV tree, and the catalog names
system tables pyese does not keep. So the copy follows ESE's compaction, which never copies
a tree either:

1. the destination is created and attached like ``JetCreateDatabase`` (ESE
   ``ErrCMPOpenDB``: ``ErrDBCreateDatabase``), with the source's page size;
2. the catalog is walked in name order, every table that is not derived first and the
   derived tables after (``ErrCMPCopyTables`` copies the tables of the ``RootObjects``
   index, then again for the derived ones, so their templates exist). System tables are
   skipped by name as ``ErrCMPCopySelectedTables`` skips them: the catalog and its shadow
   (``MSysObjects``, ``MSysObjectsShadow``), ``MSysObjids``, ``MSysLocales``,
   ``MSysUnicodeFixupVer1/2``, ``MSysDefrag1/2``, ``MSysOLD2``, ``MSysScan1`` and
   ``MSysDatabaseMaintenance``;
3. each table is created with its columns and indexes in one call, as
   ``ErrCMPCreateTableColumnIndex`` builds one ``JET_TABLECREATE``: the table's catalog
   flags (FixedDDL, template, derived with its template's name), its own columns in
   columnid order with their type, size, grbits, code page and default value (a deleted
   column is not copied, so later columnids close the gap, as ESE's do), its own indexes
   (inherited ones come with the template) with the same key columns and directions,
   flags, conditional columns, tuple limits, locale and map flags; a ``cbKeyMost`` below
   ``JET_cbKeyMost_OLD`` becomes 255, as ``CMPCopyOneIndex`` raises it;
4. every record is inserted through the engine's update path (``ErrSORTCopyRecords``
   goes through ``ErrIsamUpdate`` too): its secondary index entries are made in pyese's
   layout and its long values written to the new LV tree with new LIDs. A value is copied
   as the record stores it: a column the record lacks keeps its default, an explicit NULL
   over a default stays NULL, a separated long value stays separated
   (``JET_bitSetSeparateLV``), each value of a multi-valued column in order, a zero-length
   value as zero-length. Autoincrement values are copied as they are
   (``JET_prepInsertMustSetAutoIncrement``, the engine's insert that takes the value from
   the caller instead of the counter) and so are version columns (an insert may set
   them); the next autoincrement value is one more than the largest copied, as ESE sets
   its counter from ``qwAutoIncRecMax``;
5. the copy is detached (``ErrIsamDetachDatabase`` in ESE): cleanly shut down, ready to
   attach read-write. The source stays attached, untouched.

Records are copied in transactions of :data:`_BATCH_ROWS` records, or fewer so that the
values of a batch stay within a quarter of the version store's budget (at most
:data:`_BATCH_BYTES`), committed lazily (the detach makes them durable): the version store
holds one batch at a time. ESE creates its copy with versioning off
(``JET_bitDbVersioningOff``); pyese's inserts always go through the version store, so a
record whose values alone exceed a batch (its long values: a record itself is at most a
page) is copied outside the batches: its long values are written outside any transaction,
which the engine does in steps of a quarter of the version store each (``update``'s
long-value writer), then the record is inserted in a transaction of its own. Any record
converts at the default ``JET_paramMaxVerPages``. On any error (including a status callback
that stops the compaction) the open transaction is rolled back, the copy detached and its
file deleted; the error is the call's.

Status callback (``JET_snpCompact``): ``JET_sntProgress`` with (records copied, records
in all copied tables) after each batch and each table (``JET_sntBegin`` and
``JET_sntComplete`` / ``JET_sntFail`` around it are ``schema.compact``'s). ESE counts
pages; pyese counts records, which is what the copy's work is proportional to here.

Not copied: persisted callbacks of a table (``ErrCATCopyCallbacks``: pyese keeps none in
its catalog), space hints (pyese's file has no extents), the autoincrement counter of a
table's external header beyond the largest value its records hold (pyese keeps no such
header).

A long value several records share (its LVROOT reference count above 1) is copied once
and shared in the copy too, as ESE's compaction keeps it through its LIDMAP (dbutil.cxx
ErrCMPCopyLVTree copies the LV tree with its reference counts, then the records' LIDs are
mapped): the first record that references it copies it, each later one adds a reference
(``update.lv_add_reference``); the engine drops a reference per record value and deletes
the value with the last one (``update.lv_free``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from pyese.engine.cursors.cursor import Cursor
from pyese.engine.genuine.rowdecode import RowDecoder, tagged_fids
from pyese.engine.instance.database import Database, normalize
from pyese.engine.instance.logservice import storage_of
from pyese.engine.instance.session import Session
from pyese.engine.records import update as U
from pyese.engine.records.longvalue import LongValueReader
from pyese.engine.records.record import (
    COLUMNID_TEMPLATE,
    VALUE_COMPRESSED,
    VALUE_DEFAULT,
    VALUE_ENCRYPTED,
    VALUE_EXPLICIT_NULL,
    VALUE_SEPARATED,
    lid_from_bytes,
)
from pyese.engine.schema import ddl
from pyese.engine.schema import tables as T
from pyese.engine.schema.catalog import TableDef
from pyese.engine.schema.fcb import catalog_of
from pyese.engine.schema.schema import ColumnDef
from pyese.engine.schema.sysobjects import CatalogIndex, fidbDerivedIndex
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.edb.compression import decompress

SYSTEM_TABLES = frozenset(name.upper() for name in (
    "MSysObjects", "MSysObjectsShadow",             # cat.cxx FCATSystemTable
    "MSysUnicodeFixupVer1", "MSysUnicodeFixupVer2",  # FCATUnicodeFixupTable
    "MSysDefrag1", "MSysDefrag2", "MSysOLD2",       # old.cxx FOLDSystemTable
    "MSysScan1",                                    # dbscan.cxx FSCANSystemTable
    "MSysObjids",                                   # FCATObjidsTable
    "MSysLocales",                                  # FCATLocalesTable
    "MSysDatabaseMaintenance",                      # MSysDBM::FIsSystemTable
))
"""Tables ESE's compaction does not copy (dbutil.cxx ErrCMPCopySelectedTables); names
compare case-insensitively (UtilCmpName)."""

JET_cbKeyMost_OLD = 255
"""ESE's key size before JET_bitIndexKeyMost; CMPCopyOneIndex raises smaller limits to it."""

_BATCH_ROWS = 1000
_BATCH_BYTES = 4 << 20
"""A copy transaction holds at most this many records and bytes of values (the bytes also
at most a quarter of the version store's budget)."""

Status = Callable[[int, int, int], None]
"""(snt, cunitDone, cunitTotal) -> None; raises to stop (``schema.compact.call_status``)."""

SetItem = tuple[int, bytes | None, int, int, int]
"""A tagged value: (destination columnid, value or None, JetSetColumn grbit, itagSequence,
the source LID of a separated long value other records share too, else 0)."""

FixedVarItem = tuple[int, bytes | None]
"""A fixed or variable value: (destination columnid, value or None for an explicit NULL)."""


def is_system_table(name: str) -> bool:
    """Is ``name`` a system table ESE's compaction skips (:data:`SYSTEM_TABLES`)?"""
    return name.upper() in SYSTEM_TABLES


def tables_to_copy(catalog: Any) -> list[TableDef]:
    """The user tables of ``catalog`` in ESE's copy order: the tables that are not derived
    by name, then the derived ones by name (``ErrCMPCopyTables``)."""
    tables = [t for t in catalog if not is_system_table(t.name)
              and not t.flags & C.JET_bitObjectSystem]
    tables.sort(key=lambda t: t.name.upper())
    return [t for t in tables if not t.derived] + [t for t in tables if t.derived]


def own_columns(table: TableDef) -> list[ColumnDef]:
    """The columns ``table`` defines itself, in columnid order (a derived table's template
    columns come with the template)."""
    return [c for c in table.column_list()
            if not (table.derived and c.columnid & COLUMNID_TEMPLATE)]


def column_request(col: ColumnDef) -> ddl.ColumnRequest:
    """The ``JET_COLUMNCREATE`` of a column as ``ErrCMPCreateTableColumnIndex`` fills it."""
    udd = None
    default = col.default
    if col.grbit & C.JET_bitColumnUserDefinedDefault:
        udd = (col.callback or "", col.user_data)
        default = None
    return ddl.ColumnRequest(name=col.name, coltyp=col.coltyp, cbMax=col.cbMax,
                             grbit=col.grbit, cp=col.cp, default=default, udd=udd)


def index_request(cix: CatalogIndex) -> ddl.IndexRequest:
    """The ``JET_INDEXCREATE3`` of an index as ``CMPCopyOneIndex`` fills it: the key string
    from the segments, the flags, ``cbKeyMost`` / ``cbVarSegMac`` (raised to
    ``JET_cbKeyMost_OLD`` when below it), tuple limits, conditional columns, locale."""
    ix = cix.index
    key = "".join(("-" if s.descending else "+") + s.column.name + "\0"
                  for s in ix.segments) + "\0"
    cb_key_most = ix.cbKeyMost
    cb_var = 0 if ix.tuple_limits is not None else ix.cbVarSegMac
    if cb_key_most < JET_cbKeyMost_OLD:
        if cb_var == cb_key_most:
            cb_var = JET_cbKeyMost_OLD
        cb_key_most = JET_cbKeyMost_OLD
    grbit = ix.grbit
    if ix.tuple_limits is not None:
        grbit |= C.JET_bitIndexTupleLimits
    conditions = tuple(
        (c.column.name, C.JET_bitIndexColumnMustBeNull if c.must_be_null
         else C.JET_bitIndexColumnMustBeNonNull) for c in ix.conditions)
    return ddl.IndexRequest(
        name=ix.name, key=key, grbit=grbit, density=cix.density, lcid=ix.lcid,
        map_flags=ix.lcmap_flags, locale_name=cix.locale_name, cbVarSegMac=cb_var,
        cbKeyMost=cb_key_most, tuple_limits=ix.tuple_limits, conditions=conditions)


def own_indexes(table: TableDef) -> list[CatalogIndex]:
    """The indexes ``table`` defines itself, primary first (a derived table's inherited
    indexes come with the template: ESE skips ``FDerivedIndex``)."""
    own = [cix for cix in table.indexes if not cix.fidb & fidbDerivedIndex]
    return sorted(own, key=lambda cix: not cix.index.is_primary)


def create_table(session: Session, dest: Database, table: TableDef) -> Cursor:
    """Create ``table``'s copy in ``dest`` (one transaction: table, columns, indexes) and
    return it opened exclusively, as ``ErrFILECreateTable`` leaves it."""
    flags = table.flags & C.JET_bitObjectTableFixedDDL
    grbit = 0
    if table.flags & C.JET_bitObjectTableTemplate:
        grbit = C.JET_bitTableCreateTemplateTable
        flags = C.JET_bitObjectTableFixedDDL
        if table.flags & C.JET_bitObjectTableNoFixedVarColumnsInDerivedTables:
            # passed on as ErrCMPCopyTable passes it; pyese refuses it as ESE's
            # ErrIsamCreateTable does (JET_errInvalidGrbit)
            grbit |= C.JET_bitTableCreateNoFixedVarColumnsInDerivedTables
    template = table.template_table if table.derived else None
    row = table.schema.table  # ESE: JET_TblInfoSpaceAlloc (ulPages, ulDensity)
    pages = max(row.pages, 1)
    density = row.density if 20 <= row.density <= 100 else 0
    with T.create_table_with(session, dest, table.name, pages, density, flags, grbit,
                             template) as creation:
        # The new table's definition is kept up to date here as each column and index
        # is added, instead of being read back from the catalog after each one (inside
        # the DDL transaction that read is not cached, and it decodes every catalog row).
        made = catalog_of(dest).catalog(session).table_by_objid(creation.objid)
        for col in own_columns(table):
            new, _warning = ddl.add_column(session, dest, made, column_request(col))
            made = replace(made, columns={**made.columns, new.columnid: new}, _layout=None)
        for cix in own_indexes(table):
            new_ix = ddl.create_index(session, dest, made, index_request(cix))
            made = replace(made, indexes=[*made.indexes, new_ix], _layout=None)
        return creation.open()


class RecordCopier:
    """Reads what the copy of each record of one table must hold (:meth:`items`).

    Fixed and variable columns are decoded in one pass per record (``rowdecode.RowDecoder``
    with an "absent" marker, as the genuine read path uses it); tagged columns value by value
    through the table's layout (``RecordLayout.retrieve_ex``), which says whether a value is
    separated, compressed, a default or an explicit NULL. Built once per table.
    """

    def __init__(self, table: TableDef, mapping: dict[int, int], lv: LongValueReader) -> None:
        self.table = table
        self.lv = lv
        cols = [c for c in table.column_list() if c.columnid in mapping]
        fixed_var = [c for c in cols if not c.is_tagged]
        self.decoder = RowDecoder(table.layout, fixed_var, absent=_ABSENT)
        self.fixed_var = [(mapping[c.columnid], c.default is not None
                           and not c.grbit & C.JET_bitColumnNotNULL) for c in fixed_var]
        """(destination columnid, an explicit NULL must be set) per decoded column."""
        self.tagged = [(c, mapping[c.columnid]) for c in cols if c.is_tagged]
        self.lidmap: dict[int, int] = {}
        """Source LID -> the copy's LID, for the long values several references share
        (ESE's compaction LIDMAP, dbutil.cxx ErrCMPCopyLVTree): copied once, referenced
        again by each later record (``update.lv_add_reference``)."""

    def items(self, record: bytes) -> tuple[list[FixedVarItem], list[SetItem], int]:
        """What to set in the copy of ``record``: (fixed and variable values, tagged
        values, bytes of values).

        Fixed and variable columns: the stored value (a zero-length variable value stays
        zero-length); none for a column the record lacks (the default applies in the copy
        too); an explicit NULL where the column has a default. Tagged columns: each value
        in itagSequence order, a separated long value read in full and set with
        ``JET_bitSetSeparateLV``, a compressed one decompressed, a zero-length one with
        ``JET_bitSetZeroLength``. Raises what reading
        the record raises (``JET_errDatabaseCorrupted``, ``JET_errLVCorrupted``,
        ``JET_errDecryptionFailed`` for an encrypted value).
        """
        fixed_var: list[FixedVarItem] = []
        size = 0
        for (dst, null_over_default), value in zip(
                self.fixed_var, self.decoder.values(record, _unresolved), strict=True):
            if value is _ABSENT:
                continue
            if value is None:
                if null_over_default:
                    fixed_var.append((dst, None))
                continue
            fixed_var.append((dst, value))
            size += len(value)
        # the last column first: the copy's fixed area and variable offsets then grow to
        # their full length once (RecordImage bursts them), not once per column
        fixed_var.reverse()
        items: list[SetItem] = []
        if not self.tagged:
            return fixed_var, items, size
        retrieve = self.table.layout.retrieve_ex
        present = tagged_fids(self.table.layout, record)
        for col, dst in self.tagged:
            src = col.columnid
            if present is not None and (src & 0xFFFF) not in present:
                continue  # absent: the default (if any) applies in the copy too
            itag = 1
            while True:
                data, flags = retrieve(record, src, itag)
                if data is None or flags & VALUE_DEFAULT:
                    if itag == 1 and flags & VALUE_EXPLICIT_NULL:
                        items.append((dst, None, 0, 1, 0))
                    break
                grbit = 0
                shared = 0
                if flags & VALUE_ENCRYPTED:
                    raise_error(C.JET_errDecryptionFailed,
                                f"{self.table.name}.{col.name} is encrypted")
                if flags & VALUE_SEPARATED:
                    lid = lid_from_bytes(data)
                    if lid in self.lidmap:  # copied already: one more reference
                        items.append((dst, None, 0, itag, lid))
                        itag += 1
                        continue
                    if self.lv.root(lid).ref_count > 1:
                        shared = lid
                    data = self.lv.read(lid)
                    grbit = C.JET_bitSetSeparateLV
                elif flags & VALUE_COMPRESSED:
                    data = decompress(data)
                if not data:
                    grbit |= C.JET_bitSetZeroLength
                items.append((dst, data, grbit, itag, shared))
                size += len(data)
                itag += 1
        return fixed_var, items, size


_ABSENT: Any = object()
"""A fixed or variable column beyond the record's last one: its default applies."""


def _unresolved(data: bytes, flags: int) -> bytes:  # fixed and variable values never need it
    return data


def _column_mapping(src: TableDef, dst: TableDef) -> dict[int, int]:
    """Source columnid -> the copy's columnid, by name (every column the source defines,
    a derived table's template columns included)."""
    return {c.columnid: dst.column(c.name).columnid for c in src.column_list()}


class _Progress:
    """The status callback's counters: records copied of records to copy."""

    def __init__(self, status: Status | None, total: int) -> None:
        self.status = status
        self.total = total
        self.done = 0

    def report(self, snt: int) -> None:
        if self.status is not None:
            self.status(snt, self.done, self.total)


def _records(snap: Any, table: TableDef) -> Iterator[bytes]:
    for _bookmark, data in snap.iterate(table.objid):
        yield data


def copy_records(session: Session, cur: Cursor, src: TableDef, snap: Any,
                 progress: _Progress) -> int:
    """Insert every record of ``src`` (read from the genuine snapshot ``snap``) through
    ``cur``, in primary-key order, in transactions of one batch each; returns the count."""
    dst = cur.table
    mapping = _column_mapping(src, dst)
    copier = RecordCopier(src, mapping, LongValueReader(snap, src.lv_objid))
    autoinc = any(c.grbit & C.JET_bitColumnAutoincrement for c in dst.column_list())
    prep = U.PREP_INSERT_MUST_SET_AUTOINC if autoinc else U.PREP_INSERT
    vs = storage_of(session.instance).vs
    batch_bytes = min(_BATCH_BYTES, vs.max_bytes // 4) if vs is not None else _BATCH_BYTES
    count = 0
    rows = 0
    size = 0
    session.begin_transaction()
    for record in _records(snap, src):
        fixed_var, tagged, n = copier.items(record)
        if rows and size + n > batch_bytes:  # this record would take the batch over
            session.commit_transaction(C.JET_bitCommitLazyFlush)
            progress.done += rows
            rows = size = 0
            progress.report(C.JET_sntProgress)
            session.begin_transaction()
        if n > batch_bytes:
            # A record bigger than a batch on its own (its long values: a record is
            # at most a page): outside any transaction, so that the engine writes its
            # long values in steps of a quarter of the version store each
            # (update._LVWriter), then the record in a transaction of its own.
            session.commit_transaction(C.JET_bitCommitLazyFlush)
            _copy_one(cur, prep, fixed_var, tagged, copier.lidmap, own_level=True)
            count += 1
            progress.done += 1
            progress.report(C.JET_sntProgress)
            session.begin_transaction()
            continue
        _copy_one(cur, prep, fixed_var, tagged, copier.lidmap, own_level=False)
        count += 1
        rows += 1
        size += n
        if rows >= _BATCH_ROWS or size >= batch_bytes:
            session.commit_transaction(C.JET_bitCommitLazyFlush)
            progress.done += rows
            rows = size = 0
            progress.report(C.JET_sntProgress)
            session.begin_transaction()
    session.commit_transaction(C.JET_bitCommitLazyFlush)
    progress.done += rows
    if autoinc:
        cur.fcb.autoinc_last = None  # the next insert recounts from the copied records
    return count


def _copy_one(cur: Cursor, prep: int, fixed_var: list[FixedVarItem], tagged: list[SetItem],
              lidmap: dict[int, int], own_level: bool) -> None:
    """Insert one record's copy through ``cur`` (``own_level``: in a transaction of its
    own, else joining the caller's batch). A shared long value (``RecordCopier.lidmap``)
    copied already gets one more reference; copied now, it enters the map."""
    U.prepare_update(cur, prep)
    upd = cur.update
    assert upd is not None
    # fixed and variable values straight into the copy buffer, as ESE's
    # ErrSORTCopyRecords sets them at the record level (the values are the source's,
    # already valid for the same column definitions); tagged ones through JetSetColumn's
    # path, which writes long values to the new LV tree
    image = upd.image
    for columnid, value in fixed_var:
        image.set(columnid, value)
        upd.dirty.add(columnid)
    for columnid, data, grbit, itag, shared in tagged:
        if shared and shared in lidmap:
            lid = lidmap[shared]
            U.lv_add_reference(cur, lid)
            image.set_separated(columnid, itag, lid)
            upd.dirty.add(columnid)
            continue
        U.set_column(cur, columnid, data, grbit, itag)
        if shared:
            raw, flags = image.get_ex(columnid, itag)
            if raw is not None and flags & VALUE_SEPARATED:
                lidmap[shared] = lid_from_bytes(raw)
    # in a batch, the writes join its transaction level (as insert_rows's rows do): a
    # failure rolls the whole batch back, and the compaction with it
    U._do_update(cur, own_level)


def convert(session: Session, source: Database, dest: str, status: Status | None) -> None:
    """Compact the attached genuine database ``source`` into a new pyese database file
    ``dest`` (module docstring); the caller made JetCompact's argument checks.

    Errors: ``JetCreateDatabase``'s for ``dest`` (``JET_errDatabaseDuplicate`` when it
    exists or is attached, ``JET_errInvalidPath``, ...); whatever DDL or an insert raises
    for a definition or record pyese cannot hold (e.g. ``JET_errInvalidGrbit`` for a
    template table made with ``JET_bitTableCreateNoFixedVarColumnsInDerivedTables``,
    which pyese refuses); reading errors of the source; the status callback's error.
    """
    storage = storage_of(session.instance)
    dest_path = normalize(dest)
    snap = source.snapshot()
    try:
        catalog = catalog_of(source).catalog(session)
        tables = tables_to_copy(catalog)
        total = sum(1 for t in tables for _ in snap.iterate(t.objid))
        progress = _Progress(status, total)
        db = storage.databases.create(session, dest_path, 0, page_size=source.page_size)
        cur: Cursor | None = None
        try:
            for table in tables:
                cur = create_table(session, db, table)
                copy_records(session, cur, table, snap, progress)
                cur.close()
                cur = None
                progress.report(C.JET_sntProgress)
            storage.databases.close(session, db.dbnum)
            storage.databases.detach(session, dest_path)
        except BaseException:
            while session.level > 0:
                session.rollback()
            if cur is not None:
                cur.close()
            _discard(session, storage, db, dest_path)
            raise
    finally:
        snap.close()


def _discard(session: Session, storage: Any, db: Database, path: str) -> None:
    """Detach a partial copy (whatever state it is in) and delete its file."""
    databases = storage.databases
    try:
        if db.opens.get(session.id):
            databases.close(session, db.dbnum)
        if databases.find_attached(path) is db:
            databases.detach(session, path)
    except Exception:  # noqa: BLE001 - the copy is being thrown away; the first error wins
        pass
    for name in (path, path + "-lock"):
        try:
            os.remove(name)
        except OSError:
            pass


__all__ = ["SYSTEM_TABLES", "RecordCopier", "convert", "is_system_table", "tables_to_copy"]
