"""Record updates: prepare, set columns, update, delete (ESE ``recupd.cxx``, ``fldmod.cxx``).

A cursor's *prepared update* (``PreparedUpdate``) is ESE's copy buffer: the record being
built, in ESE's record layout (``RecordImage``). ``JetUpdate`` turns it into writes through
the version store: the record at its primary key (or a new DBK), one node per secondary
index entry (``ddl.index_node``), and long values too big for the record in the table's
long-value tree (``lv_write``). A replace touches only the index entries that change and
frees long values the record no longer references; a delete removes all of them.

Errors (ESE's codes, in its order): see each function.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pyese.engine.cursor import Cursor
from pyese.engine.ddl import index_node
from pyese.engine.indexentries import IndexEntry, index_entries
from pyese.engine.logservice import storage_of
from pyese.engine.longvalue import LongValueReader
from pyese.engine.record import (
    VALUE_SEPARATED,
    LVRoot,
    RecordImage,
    lid_from_bytes,
    lv_chunk_key,
    lv_root_key,
    max_record_size,
)
from pyese.engine.schema import FIXED_SIZES, IndexDef
from pyese.engine.session import LEVEL_USER_MOST, Session
from pyese.engine.tablescan import RecordView
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error

LV_INTRINSIC_MOST = 1024
"""Long values up to this size stay in the record when it fits (ESE: cbLVIntrinsicMost
order of magnitude); larger ones go to the long-value tree."""

PREP_INSERT = C.JET_prepInsert
PREP_REPLACE = C.JET_prepReplace
PREP_REPLACE_NOLOCK = C.JET_prepReplaceNoLock
PREP_INSERT_COPY = C.JET_prepInsertCopy
PREP_INSERT_COPY_DELETE = C.JET_prepInsertCopyDeleteOriginal
PREP_INSERT_COPY_REPLACE = C.JET_prepInsertCopyReplaceOriginal


@contextmanager
def atomic(session: Session) -> Iterator[None]:
    """Run one JET call's writes in a transaction level of their own, so that a failure
    undoes exactly them (ESE wraps updates the same way, recupd.cxx ~1633). At the deepest
    user level the writes join the caller's level."""
    if session.level >= LEVEL_USER_MOST:
        yield
        return
    session.begin_transaction()
    try:
        yield
    except BaseException:
        if session.level > 0:
            session.rollback()
        raise
    session.commit_transaction()


def _vs(cur: Cursor) -> Any:
    return storage_of(cur.session.instance).vs


def lv_chunk_most(page_size: int) -> int:
    """Bytes per long-value chunk: a page less ESE's node overhead."""
    return page_size - 128


class PreparedUpdate:
    """A cursor's copy buffer (see the module docstring)."""

    def __init__(self, kind: int, image: RecordImage, bookmark: bytes | None,
                 original: bytes | None) -> None:
        self.kind = kind
        self.image = image
        self.bookmark = bookmark
        self.original = original
        self.dirty: set[int] = set()
        self.lv_values: dict[tuple[int, int], bytes] = {}
        """(columnid, itag) -> long value set in this update (written at JetUpdate)."""

    @property
    def is_insert(self) -> bool:
        return self.kind in (PREP_INSERT, PREP_INSERT_COPY, PREP_INSERT_COPY_DELETE,
                             PREP_INSERT_COPY_REPLACE)


# ------------------------------------------------------------------ helpers


def record_view_of(cur: Cursor, data: bytes, bookmark: bytes = b"") -> RecordView:
    view = cur.view()
    return RecordView(cur.table.layout, data, LongValueReader(view, cur.table.lv_objid),
                      bookmark)


def entries_for(ix: IndexDef, rec: RecordView) -> list[IndexEntry]:
    """The index entries of ``rec`` in index ``ix``."""
    return index_entries(ix, rec.values)


def _next_autoinc(cur: Cursor, col_id: int, coltyp: int) -> bytes:
    fcb = cur.fcb
    with fcb.lock:
        if fcb.autoinc_last is None:
            last = 0
            snap = cur.db.snapshot()
            try:
                layout = cur.table.layout
                for _key, data in snap.iterate(cur.table.objid):
                    v = layout.retrieve(data, col_id)
                    if v is not None:
                        last = max(last, _int_of(v, coltyp))
            finally:
                snap.close()
            vs = _vs(cur)
            for value in vs.all_after_images(cur.db, cur.table.objid):
                v = cur.table.layout.retrieve(value, col_id)
                if v is not None:
                    last = max(last, _int_of(v, coltyp))
            fcb.autoinc_last = last
        fcb.autoinc_last += 1
        n = fcb.autoinc_last
    return _pack_int(n, coltyp)


def _int_of(v: bytes, coltyp: int) -> int:
    if coltyp == C.JET_coltypLong:
        return int(struct.unpack("<i", v)[0])
    if coltyp == C.JET_coltypUnsignedLongLong:
        return int(struct.unpack("<Q", v)[0])
    return int(struct.unpack("<q", v)[0])


def _pack_int(n: int, coltyp: int) -> bytes:
    if coltyp == C.JET_coltypLong:
        return struct.pack("<i", n)
    if coltyp == C.JET_coltypUnsignedLongLong:
        return struct.pack("<Q", n)
    return struct.pack("<q", n)


def _special(cur: Cursor, bit: int) -> Any:
    for col in cur.table.column_list():
        if col.grbit & bit:
            return col
    return None


# ------------------------------------------------------------------ prepare


def prepare_update(cur: Cursor, prep: int) -> None:
    """JetPrepareUpdate (ESE fldmod ErrIsamPrepareUpdate).

    Insert: the default record, with the autoincrement value allocated now. Replace:
    the current record, write-locked inside a transaction (JET_errWriteConflict when
    another session has it). ReplaceNoLock: the same without the lock. InsertCopy*: a
    copy with a new autoincrement value. Cancel: JET_errUpdateNotPrepared without one.
    JET_errAlreadyPrepared when an update is prepared; JET_errNoCurrentRecord /
    JET_errRecordDeleted for the replace and copy kinds; JET_errPermissionDenied on a
    read-only cursor; JET_errInvalidParameter for an unknown kind.
    """
    if prep == C.JET_prepCancel:
        if cur.update is None:
            raise_error(C.JET_errUpdateNotPrepared)
        cur.update = None
        return
    if prep not in (PREP_INSERT, PREP_REPLACE, PREP_REPLACE_NOLOCK, PREP_INSERT_COPY,
                    PREP_INSERT_COPY_DELETE, PREP_INSERT_COPY_REPLACE,
                    C.JET_prepInsertMustSetAutoIncrement if hasattr(
                        C, "JET_prepInsertMustSetAutoIncrement") else PREP_INSERT):
        raise_error(C.JET_errInvalidParameter, f"prep {prep}")
    if cur.update is not None:
        raise_error(C.JET_errAlreadyPrepared)
    if cur.read_only:
        raise_error(C.JET_errPermissionDenied, "the table is open read-only")
    layout = cur.table.layout
    if prep == PREP_INSERT or prep == getattr(C, "JET_prepInsertMustSetAutoIncrement", -1):
        image = RecordImage(layout)
        upd = PreparedUpdate(prep, image, None, None)
        auto = _special(cur, C.JET_bitColumnAutoincrement)
        if auto is not None and prep == PREP_INSERT:
            image.set(auto.columnid, _next_autoinc(cur, auto.columnid, auto.coltyp))
        cur.update = upd
        return
    rec = cur.record_view()
    image = RecordImage.from_bytes(layout, rec.data)
    if prep in (PREP_REPLACE, PREP_REPLACE_NOLOCK):
        if prep == PREP_REPLACE and cur.session.level > 0:
            _vs(cur).lock(cur.session, cur.db, cur.table.objid, rec.bookmark, True)
        cur.update = PreparedUpdate(prep, image, rec.bookmark, rec.data)
        return
    # insert copies: separated long values are copied as values
    upd = PreparedUpdate(prep, image, rec.bookmark, rec.data)
    for col in cur.table.column_list():
        if col.is_tagged:
            itag = 1
            while True:
                data, flags = image.get_ex(col.columnid, itag)
                if data is None:
                    break
                if flags & VALUE_SEPARATED:
                    value = rec.get(col.columnid, itag) or b""
                    upd.lv_values[(col.columnid, itag)] = value
                    image.set(col.columnid, value[:LV_INTRINSIC_MOST], itag)
                itag += 1
    auto = _special(cur, C.JET_bitColumnAutoincrement)
    if auto is not None and prep != PREP_INSERT_COPY_REPLACE:
        image.set(auto.columnid, _next_autoinc(cur, auto.columnid, auto.coltyp))
    cur.update = upd


# ------------------------------------------------------------------ set column


def set_column(cur: Cursor, columnid: int, data: bytes | None, grbit: int = 0,
               itag: int = 1, ib_long_value: int = 0) -> int:
    """JetSetColumn on the copy buffer; returns 0 or JET_wrnColumnMaxTruncated.

    JET_errUpdateNotPrepared; JET_errColumnNotFound; JET_errInvalidColumnType (the
    autoincrement column, or the version column on a replace); JET_errInvalidBufferSize
    (a fixed column given the wrong size); JET_errColumnTooBig (a tagged value over cbMax);
    JET_errNullInvalid (NULL on a NotNULL column); JET_errMultiValuedDuplicate (with
    JET_bitSetUniqueMultiValues); JET_errBadItagSequence (negative itagSequence).
    """
    upd = cur.update
    if upd is None:
        raise_error(C.JET_errUpdateNotPrepared)
    col = cur.table.column_by_id(columnid)
    if col.grbit & C.JET_bitColumnAutoincrement:
        raise_error(C.JET_errInvalidColumnType, "the autoincrement column is set by ESE")
    if col.grbit & C.JET_bitColumnVersion and not upd.is_insert:
        raise_error(C.JET_errInvalidColumnType, "the version column is set by ESE")
    if itag < 0:
        raise_error(C.JET_errBadItagSequence)
    value: bytes | None = bytes(data) if data is not None else None
    if value is not None and len(value) == 0 and not grbit & C.JET_bitSetZeroLength:
        value = None
    if grbit & C.JET_bitSetSizeLV:
        if not col.is_long_value:
            raise_error(C.JET_errInvalidParameter, "SizeLV needs a long-value column")
        size = struct.unpack("<I", (data or b"")[:4].ljust(4, b"\0"))[0]
        old = _current_value(cur, upd, col.columnid, itag) or b""
        value = old[:size].ljust(size, b"\0")
        grbit |= C.JET_bitSetZeroLength
    elif grbit & (C.JET_bitSetAppendLV | C.JET_bitSetOverwriteLV) or ib_long_value:
        if not col.is_long_value:
            raise_error(C.JET_errInvalidParameter, "AppendLV/OverwriteLV need a long value")
        old = _current_value(cur, upd, col.columnid, itag) or b""
        piece = bytes(data or b"")
        if grbit & C.JET_bitSetAppendLV:
            value = old + piece
        else:
            if ib_long_value > len(old):
                raise_error(C.JET_errColumnNoChunk, f"offset {ib_long_value} > {len(old)}")
            value = old[:ib_long_value] + piece + old[ib_long_value + len(piece):]
        if itag == 0:
            itag = 1
    if value is None:
        if col.grbit & C.JET_bitColumnNotNULL:
            raise_error(C.JET_errNullInvalid, col.name)
        upd.lv_values.pop((col.columnid, itag), None)
        upd.image.set(col.columnid, None, itag,
                      revert_to_default=bool(grbit & C.JET_bitSetRevertToDefaultValue))
        upd.dirty.add(col.columnid)
        return 0
    warning = 0
    if col.coltyp in FIXED_SIZES and len(value) != FIXED_SIZES[col.coltyp]:
        raise_error(C.JET_errInvalidBufferSize, f"{col.name} needs {FIXED_SIZES[col.coltyp]}")
    if col.is_long_value:
        if col.cbMax and len(value) > col.cbMax:
            raise_error(C.JET_errColumnTooBig, col.name)
    elif len(value) > col.cbMax:
        if col.is_tagged:
            raise_error(C.JET_errColumnTooBig, col.name)
        if col.is_fixed:
            raise_error(C.JET_errInvalidBufferSize, col.name)
        value = value[:col.cbMax]
        warning = C.JET_wrnColumnMaxTruncated
    if grbit & (C.JET_bitSetUniqueMultiValues | C.JET_bitSetUniqueNormalizedMultiValues):
        n = 1
        while True:
            existing = _current_value(cur, upd, col.columnid, n)
            if existing is None:
                break
            if n != itag and existing == value:
                raise_error(C.JET_errMultiValuedDuplicate, col.name)
            n += 1
    if col.is_long_value and (len(value) > LV_INTRINSIC_MOST
                              or grbit & C.JET_bitSetSeparateLV):
        count = upd.image.count(col.columnid)
        real_itag = itag if 1 <= itag <= count else count + 1
        upd.lv_values[(col.columnid, real_itag)] = value
        upd.image.set(col.columnid, value[:16], itag)
    else:
        if col.is_tagged:
            count = upd.image.count(col.columnid)
            real_itag = itag if 1 <= itag <= count else count + 1
            upd.lv_values.pop((col.columnid, real_itag), None)
        w = upd.image.set(col.columnid, value, itag)
        warning = warning or w
    upd.dirty.add(col.columnid)
    return warning


def _current_value(cur: Cursor, upd: PreparedUpdate, columnid: int, itag: int) -> bytes | None:
    """A value as the copy buffer holds it now (long values resolved)."""
    pending = upd.lv_values.get((columnid, itag))
    if pending is not None:
        return pending
    data, flags = upd.image.get_ex(columnid, itag)
    if data is None:
        return None
    if flags & VALUE_SEPARATED:
        return LongValueReader(cur.view(), cur.table.lv_objid).read(lid_from_bytes(data))
    return data


def copy_view(cur: Cursor) -> RecordView:
    """The copy buffer as a RecordView (JET_bitRetrieveCopy); JET_errNoCurrentRecord?
    No: ESE reads the copy buffer only when an update is prepared (else
    JET_errRecordNoCopy... for JetRetrieveColumn with RetrieveCopy it reads the record)."""
    upd = cur.update
    if upd is None:
        raise_error(C.JET_errRecordNoCopy)
    data = _materialize_preview(cur, upd)
    return record_view_of(cur, data, upd.bookmark or b"")


def _materialize_preview(cur: Cursor, upd: PreparedUpdate) -> bytes:
    if not upd.lv_values:
        return upd.image.to_bytes()
    preview = RecordImage.from_bytes(cur.table.layout, upd.image.to_bytes())
    for (cid, itag), value in upd.lv_values.items():
        preview.set(cid, value, itag)
    return preview.to_bytes()


# ------------------------------------------------------------------ update


def do_update(cur: Cursor) -> bytes:
    """JetUpdate: write the prepared record; returns its bookmark.

    Insert: JET_errNullInvalid (a NotNULL column without value or default), the primary
    key from the record (JET_errKeyDuplicate if it exists; JET_errNullKeyDisallowed),
    then the secondary index entries (JET_errKeyDuplicate on a unique index). Replace:
    JET_errRecordPrimaryChanged when the primary key changed; the version column is
    incremented; only changed index entries are rewritten. JET_errRecordTooBig when the
    record does not fit a page. On any error the update stays prepared and nothing is
    written (the writes run in a transaction level of their own).
    """
    upd = cur.update
    if upd is None:
        raise_error(C.JET_errUpdateNotPrepared)
    session = cur.session
    if not upd.is_insert and not upd.dirty:
        cur.update = None
        return upd.bookmark or b""
    with atomic(session):
        bookmark = _write(cur, upd)
    cur.update = None
    return bookmark


def _write(cur: Cursor, upd: PreparedUpdate) -> bytes:
    table = cur.table
    vs = _vs(cur)
    session, db = cur.session, cur.db
    image = upd.image
    for col in table.column_list():
        if col.grbit & C.JET_bitColumnNotNULL and col.default is None:
            if image.count(col.columnid) == 0 and (col.columnid, 1) not in upd.lv_values:
                raise_error(C.JET_errNullInvalid, col.name)
    version = _special(cur, C.JET_bitColumnVersion)
    if version is not None:
        if upd.is_insert:
            if image.get(version.columnid) is None:
                image.set(version.columnid, struct.pack("<i", 0))
        else:
            old = image.get(version.columnid)
            n = struct.unpack("<i", old)[0] + 1 if old is not None else 1
            image.set(version.columnid, struct.pack("<i", n & 0x7FFFFFFF))
    # long values: separate the big ones
    if upd.lv_values:
        for (cid, itag), value in sorted(upd.lv_values.items()):
            lid = lv_write(cur, value)
            image.set_separated(cid, itag, lid)
        upd.lv_values.clear()
    data = image.to_bytes()
    if len(data) > max_record_size(cur.dc.page_size):
        raise_error(C.JET_errRecordTooBig, f"{len(data)} bytes")
    new_view = record_view_of(cur, data)
    primary = table.primary_index
    if upd.is_insert:
        if primary is not None:
            entries = index_entries(primary.index, new_view.values)
            bookmark = entries[0].key if entries else b"\x00"
        else:
            bookmark = _next_dbk(cur)
        view = cur.view()
        if view.get(table.objid, bookmark) is not None:
            raise_error(C.JET_errKeyDuplicate, f"table {table.name}: primary key exists")
        _put_new(vs, cur, table.objid, bookmark, data)
        new_view.bookmark = bookmark
        for cix in table.secondary_indexes():
            for e in entries_for(cix.index, new_view):
                _add_entry(vs, cur, cix, e.key, bookmark)
        if upd.kind == PREP_INSERT_COPY_DELETE and upd.bookmark is not None:
            _delete_record(cur, upd.bookmark, upd.original)
        return bookmark
    bookmark = upd.bookmark
    assert bookmark is not None and upd.original is not None
    old_view = record_view_of(cur, upd.original, bookmark)
    if primary is not None:
        entries = index_entries(primary.index, new_view.values)
        new_key = entries[0].key if entries else b"\x00"
        if new_key != bookmark:
            raise_error(C.JET_errRecordPrimaryChanged)
    view = cur.view()
    if view.get(table.objid, bookmark) is None:
        raise_error(C.JET_errRecordDeleted)
    vs.put(session, db, table.objid, bookmark, data)
    new_view.bookmark = bookmark
    for cix in table.secondary_indexes():
        cols = {s.column.columnid for s in cix.index.segments}
        cols |= {c.column.columnid for c in cix.index.conditions}
        if not cols & upd.dirty:
            continue
        old = {e.key for e in entries_for(cix.index, old_view)}
        new = {e.key for e in entries_for(cix.index, new_view)}
        for k in old - new:
            vs.delete(session, db, cix.objid, index_node(cix.index, k, bookmark)[0])
        for k in sorted(new - old):
            _add_entry(vs, cur, cix, k, bookmark)
    _free_unreferenced_lvs(cur, upd.original, data)
    return bookmark


def _put_new(vs: Any, cur: Cursor, objid: int, key: bytes, data: bytes) -> None:
    try:
        vs.put(cur.session, cur.db, objid, key, data)
    except JetError as exc:
        if exc.err == C.JET_errWriteConflict and _other_has(vs, cur, objid, key):
            raise_error(C.JET_errKeyDuplicate, "another session inserted this key")
        raise


def _other_has(vs: Any, cur: Cursor, objid: int, key: bytes) -> bool:
    return bool(vs.peek_any(cur.db, objid, key))


def _add_entry(vs: Any, cur: Cursor, cix: Any, key: bytes, bookmark: bytes) -> None:
    node_key, node_data = index_node(cix.index, key, bookmark)
    if cix.index.is_unique:
        existing = cur.view().get(cix.objid, node_key)
        if existing is not None and existing != bookmark:
            raise_error(C.JET_errKeyDuplicate, f"index {cix.index.name!r}")
    _put_new(vs, cur, cix.objid, node_key, node_data)


def _next_dbk(cur: Cursor) -> bytes:
    fcb = cur.fcb
    with fcb.lock:
        if fcb.dbk_last is None:
            last = 0
            snap = cur.db.snapshot()
            try:
                node = snap.cursor(cur.table.objid).last()
                if node is not None:
                    last = int.from_bytes(node[0][:4], "big")
            finally:
                snap.close()
            for key in _vs(cur).all_keys(cur.db, cur.table.objid):
                last = max(last, int.from_bytes(key[:4], "big"))
            fcb.dbk_last = last
        fcb.dbk_last += 1
        return fcb.dbk_last.to_bytes(4, "big")


# ------------------------------------------------------------------ long values


def lv_write(cur: Cursor, value: bytes) -> int:
    """Store ``value`` in the table's long-value tree as a new LID; returns the LID."""
    table = cur.table
    if table.lv_objid is None:
        raise_error(C.JET_errLVCorrupted, f"table {table.name} has no long-value tree")
    vs = _vs(cur)
    lid = _next_lid(cur)
    objid = table.lv_objid
    chunk = lv_chunk_most(cur.dc.page_size)
    vs.put(cur.session, cur.db, objid, lv_root_key(lid), LVRoot(1, len(value)).to_bytes())
    for off in range(0, len(value), chunk):
        vs.put(cur.session, cur.db, objid, lv_chunk_key(lid, off), value[off:off + chunk])
    return lid


def lv_free(cur: Cursor, lid: int) -> None:
    """Delete long value ``lid`` (root and chunks)."""
    table = cur.table
    if table.lv_objid is None:
        return
    vs = _vs(cur)
    view = cur.view()
    root = view.get(table.lv_objid, lv_root_key(lid))
    if root is None:
        return
    size = LVRoot.from_bytes(root).size
    chunk = lv_chunk_most(cur.dc.page_size)
    vs.delete(cur.session, cur.db, table.lv_objid, lv_root_key(lid))
    for off in range(0, size, chunk):
        vs.delete(cur.session, cur.db, table.lv_objid, lv_chunk_key(lid, off))


def _next_lid(cur: Cursor) -> int:
    fcb = cur.fcb
    with fcb.lock:
        last = getattr(fcb, "lid_last", None)
        if last is None:
            last = 0
            snap = cur.db.snapshot()
            try:
                node = snap.cursor(cur.table.lv_objid).last()
                if node is not None:
                    last = int.from_bytes(node[0][:4], "big") & 0x7FFFFFFF
            finally:
                snap.close()
            for key in _vs(cur).all_keys(cur.db, cur.table.lv_objid):
                last = max(last, int.from_bytes(key[:4], "big") & 0x7FFFFFFF)
        last += 1
        fcb.lid_last = last  # type: ignore[attr-defined]
        return int(last)


def _lids(cur: Cursor, data: bytes) -> set[int]:
    out: set[int] = set()
    image = RecordImage.from_bytes(cur.table.layout, data)
    for col in cur.table.column_list():
        if not col.is_long_value:
            continue
        itag = 1
        while True:
            value, flags = image.get_ex(col.columnid, itag)
            if value is None:
                break
            if flags & VALUE_SEPARATED:
                out.add(lid_from_bytes(value))
            itag += 1
    return out


def _free_unreferenced_lvs(cur: Cursor, old: bytes, new: bytes) -> None:
    for lid in _lids(cur, old) - _lids(cur, new):
        lv_free(cur, lid)


# ------------------------------------------------------------------ delete


def delete_current(cur: Cursor) -> None:
    """JetDelete: the current record, its index entries and long values.

    Cancels a prepared update (JET_errAlreadyPrepared for InsertCopyDeleteOriginal);
    JET_errNoCurrentRecord; JET_errRecordDeleted; JET_errPermissionDenied (read-only);
    JET_errWriteConflict when another session changed or locked the record.
    """
    if cur.update is not None and cur.update.kind == PREP_INSERT_COPY_DELETE:
        raise_error(C.JET_errAlreadyPrepared)
    cur.update = None
    if cur.read_only:
        raise_error(C.JET_errPermissionDenied, "the table is open read-only")
    rec = cur.record_view()
    with atomic(cur.session):
        _delete_record(cur, rec.bookmark, rec.data)


def _delete_record(cur: Cursor, bookmark: bytes, data: bytes | None) -> None:
    vs = _vs(cur)
    table = cur.table
    if data is None:
        data = cur.view().get(table.objid, bookmark)
        if data is None:
            raise_error(C.JET_errRecordDeleted)
    assert data is not None
    vs.delete(cur.session, cur.db, table.objid, bookmark)
    rec = record_view_of(cur, data, bookmark)
    for cix in table.secondary_indexes():
        for e in entries_for(cix.index, rec):
            vs.delete(cur.session, cur.db, cix.objid, index_node(cix.index, e.key, bookmark)[0])
    for lid in _lids(cur, data):
        lv_free(cur, lid)


def columns_values(rec: RecordView, columnids: Sequence[int]) -> list[list[bytes]]:
    return [rec.values(c) for c in columnids]
