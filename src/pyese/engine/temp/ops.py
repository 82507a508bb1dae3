"""The write and information functions of temporary-table cursors (their ``vt``).

The JET layer calls these instead of ``engine.update`` / ``jet.info``'s own code when a
cursor carries ``vt`` (see :mod:`pyese.engine.temp.cursor`). Each function first applies
the cursor's ESE function table (``JET_errIllegalOperation`` for what it lacks), then:

- sorts being filled take inserts only (``sortapi.cxx`` ErrIsamSortUpdate): the copy
  buffer's key goes into the sort with the record; JetUpdate returns no bookmark (a sort
  has none before it is sorted);
- materialized tables take inserts, replaces and deletes as an ordinary table with a
  unique primary index does (``JET_errKeyDuplicate``, ``JET_errRecordPrimaryChanged``),
  written straight to the temporary database and, inside a transaction, recorded for
  rollback (``JET_paramEnableTempTableVersioning``).

Long values: a sort keeps them in the record (ESE's sort FCB is IntrinsicLVsOnly); a
materialized table (unless ``JET_bitTTIntrinsicLVsOnly``) moves a value longer than
``LV_INTRINSIC_MOST`` bytes, or set with ``JET_bitSetSeparateLV``, to its long-value tree
in the temporary database when the record is written. ``JET_bitSetAppendLV`` /
``OverwriteLV`` / ``SizeLV`` apply to the whole value in the copy buffer (a separated one
is read back first).
"""

from __future__ import annotations

import struct
from typing import Any

from pyese.engine.cursors.tablescan import RecordView
from pyese.engine.records import update as U
from pyese.engine.records.record import VALUE_SEPARATED, RecordImage, lid_from_bytes
from pyese.engine.temp.vt import BASE, SORT_INS, SORT_RET, illegal
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

_LV_OPS = C.JET_bitSetAppendLV | C.JET_bitSetOverwriteLV | C.JET_bitSetSizeLV


def _state(cur: Any) -> str:

    if getattr(cur, "closed", False):
        raise_error(C.JET_errInvalidTableId)
    if cur.tt.closed:
        illegal("the temporary table is gone")
    return str(cur.vtname)


# ------------------------------------------------------------------ the copy buffer


def prepare_update(cur: Any, prep: int) -> None:
    """JetPrepareUpdate. TTSortRet: illegal. TTSortIns: Insert and Cancel (nothing is
    current in a sort being filled: the other kinds give JET_errNoCurrentRecord).
    TTBase: Insert, Replace / ReplaceNoLock (no lock: the table is the session's own),
    InsertCopy, Cancel."""

    vt = _state(cur)
    if vt == SORT_RET:
        illegal("JetPrepareUpdate on a sorted temporary table")
    if prep == C.JET_prepCancel:
        if cur.update is None:
            raise_error(C.JET_errUpdateNotPrepared)
        cur.update = None
        return
    known = (C.JET_prepInsert, C.JET_prepReplace, C.JET_prepReplaceNoLock,
             C.JET_prepInsertCopy, C.JET_prepInsertCopyDeleteOriginal,
             C.JET_prepInsertCopyReplaceOriginal)
    if prep not in known:
        raise_error(C.JET_errInvalidParameter, f"prep {prep}")
    if cur.update is not None:
        raise_error(C.JET_errAlreadyPrepared)
    layout = cur.table.layout
    if prep == C.JET_prepInsert:
        cur.update = TempUpdate(prep, RecordImage(layout), None, None)
        return

    if vt == SORT_INS:
        raise_error(C.JET_errNoCurrentRecord)
    rec = cur.record_view()
    image = RecordImage.from_bytes(layout, rec.data)
    cur.update = TempUpdate(prep, image, rec.bookmark, rec.data)


class TempUpdate(U.PreparedUpdate):
    """A temporary table's copy buffer: also the storage each long value asked for
    (JET_bitSetSeparateLV: True, JET_bitSetIntrinsicLV: False), by (columnid, itag)."""

    def __init__(self, kind: int, image: RecordImage, bookmark: bytes | None,
                 original: bytes | None) -> None:
        super().__init__(kind, image, bookmark, original)
        self.lv_storage: dict[tuple[int, int], bool] = {}


def set_column(cur: Any, columnid: int, data: bytes | None, grbit: int = 0,
               itag: int = 1, ib_long_value: int = 0) -> int:
    """JetSetColumn (ESE ErrIsamSetColumn: TTSortIns and TTBase). Long-value operations
    apply to the value kept in the record; the rest is ``engine.update.set_column``."""

    if _state(cur) == SORT_RET:
        illegal("JetSetColumn on a sorted temporary table")
    upd = cur.update
    if upd is None:
        raise_error(C.JET_errUpdateNotPrepared)
    col = cur.table.column_by_id(columnid)
    big = data is not None and len(data) > U.LV_INTRINSIC_MOST
    if col.is_long_value and (grbit & _LV_OPS or ib_long_value or big
                              or grbit & C.JET_bitSetSeparateLV):
        if grbit & C.JET_bitSetSeparateLV and grbit & C.JET_bitSetIntrinsicLV:
            raise_error(C.JET_errInvalidGrbit, "SeparateLV with IntrinsicLV")
        if itag < 0:
            raise_error(C.JET_errBadItagSequence)
        old, flags = upd.image.get_ex(col.columnid, itag) if itag > 0 else (None, 0)
        if old is not None and flags & VALUE_SEPARATED:
            old = cur.tt.lv_reader().read(lid_from_bytes(old))
        value = _lv_op(old, data, grbit, ib_long_value)
        if value is not None and col.cbMax and len(value) > col.cbMax:
            raise_error(C.JET_errColumnTooBig, col.name)
        count = upd.image.count(col.columnid)
        upd.image.set(col.columnid, value, itag)
        real = itag if 0 < itag <= count else upd.image.count(col.columnid)
        if isinstance(upd, TempUpdate) and grbit & (C.JET_bitSetSeparateLV
                                                   | C.JET_bitSetIntrinsicLV):
            upd.lv_storage[(col.columnid, real)] = bool(grbit & C.JET_bitSetSeparateLV)
        upd.dirty.add(col.columnid)
        return 0
    return U.set_column(cur, columnid, data, grbit, itag, ib_long_value)


def _lv_op(old: bytes | None, data: bytes | None, grbit: int, ib: int) -> bytes | None:
    """ESE lv.cxx ErrLVOpFromGrbit on a value kept in the record (as engine.update does
    on a long-value tree): SizeLV takes the new size as a 4-byte LONG (0: NULL), AppendLV
    appends, OverwriteLV writes at ``ib`` (JET_errColumnNoChunk past the end; with SizeLV
    the value ends after the write)."""
    piece = bytes(data) if data is not None else b""
    cur = old or b""
    append = bool(grbit & C.JET_bitSetAppendLV)
    overwrite = bool(grbit & C.JET_bitSetOverwriteLV)
    size_lv = bool(grbit & C.JET_bitSetSizeLV)
    if size_lv and not overwrite:
        if len(piece) not in (0, 4, 8):
            raise_error(C.JET_errInvalidBufferSize, "SizeLV takes a 4-byte size")
        size = int.from_bytes(piece[:4].ljust(4, b"\0"), "little")
        if size == 0 and not grbit & C.JET_bitSetZeroLength:
            return None
        return cur[:size] + b"\x00" * max(0, size - len(cur))
    if append:
        return cur + piece
    if overwrite:
        if ib > len(cur) or (old is None and ib):
            raise_error(C.JET_errColumnNoChunk, f"offset {ib} past the end ({len(cur)})")
        if size_lv and not piece:
            return None
        out = cur[:ib] + piece + cur[ib + len(piece):]
        return out[:ib + len(piece)] if size_lv else out
    if not piece and not grbit & C.JET_bitSetZeroLength:
        return None
    return piece


def copy_view(cur: Any) -> RecordView:
    """The copy buffer (JET_bitRetrieveCopy); JET_errRecordNoCopy without an update."""
    upd = cur.update
    if upd is None:
        raise_error(C.JET_errRecordNoCopy)
    lv = cur.tt.lv_reader() if cur.tt.lv_objid is not None else None
    return RecordView(cur.table.layout, upd.image.to_bytes(), lv, upd.bookmark or b"")


def do_update(cur: Any) -> bytes:
    """JetUpdate. TTSortIns (ErrIsamSortUpdate): JET_errUpdateNotPrepared without an
    insert, JET_errNullInvalid for a NotNULL column without a value, then the record goes
    into the sort; no bookmark. TTBase: the record is written; returns its bookmark.
    TTSortRet: illegal."""

    vt = _state(cur)
    if vt == SORT_RET:
        illegal("JetUpdate on a sorted temporary table")
    upd = cur.update
    if upd is None or (vt == SORT_INS and not upd.is_insert):
        raise_error(C.JET_errUpdateNotPrepared)
    _check_nulls(cur, upd)
    data = upd.image.to_bytes()
    tt = cur.tt
    if vt == SORT_INS:
        sort = tt.sort
        assert sort is not None
        key = tt.sort_key_of(data) if tt.schema.key is not None else b""
        sort.insert(key, data)
        cur.update = None
        return b""
    session = cur.session
    if upd.is_insert:
        bookmark = tt.key_of(data)
        made = _separate(tt, upd, copy_separated=True)
        try:
            tt.tree_insert(session, bookmark, upd.image.to_bytes() if made else data)
        except BaseException:
            tt.free_lids(made)
            raise
        if upd.kind == C.JET_prepInsertCopyDeleteOriginal and upd.bookmark is not None:
            gone = tt.tree_get(upd.bookmark)
            tt.tree_delete(session, upd.bookmark)
            _release(tt, session, tt.lids_of(gone))
        cur.update = None
        return bytes(bookmark)
    bookmark = upd.bookmark
    assert bookmark is not None
    if tt.table.primary_index is not None and tt.key_of(data) != bookmark:
        raise_error(C.JET_errRecordPrimaryChanged)
    before = tt.tree_get(bookmark)
    if before is None:
        raise_error(C.JET_errRecordDeleted)
    made = _separate(tt, upd, copy_separated=False)
    data = upd.image.to_bytes() if made else data
    try:
        tt.tree_put(session, bookmark, data)
    except BaseException:
        tt.free_lids(made)
        raise
    _release(tt, session, tt.lids_of(before) - tt.lids_of(data))
    cur.update = None
    return bytes(bookmark)


def _separate(tt: Any, upd: Any, *, copy_separated: bool) -> set[int]:
    """Long values of the copy buffer that leave the record for the table's long-value
    tree (see TempTable.store_long_values); JET_bitSetIntrinsicLV keeps one in."""
    if tt.lv_objid is None:
        return set()
    storage = upd.lv_storage if isinstance(upd, TempUpdate) else {}
    force = {k for k, sep in storage.items() if sep}
    keep = {k for k, sep in storage.items() if not sep}
    made: set[int] = tt.store_long_values(upd.image, force, copy_separated, keep)
    return made


def _release(tt: Any, session: Any, lids: set[int]) -> None:
    """Free long values no record references any more. Inside a transaction they stay
    (a rollback may bring their record back) until the table is closed."""
    if lids and not session.level:
        tt.free_lids(lids)


def _check_nulls(cur: Any, upd: Any) -> None:
    """ESE ErrRECIIllegalNulls: a NotNULL column without a value."""
    for col in cur.table.column_list():
        if col.grbit & C.JET_bitColumnNotNULL and upd.image.count(col.columnid) == 0:
            raise_error(C.JET_errNullInvalid, col.name)


def delete_current(cur: Any) -> None:
    """JetDelete: TTBase only (ErrIsamDelete); the cursor keeps its place."""

    if _state(cur) != BASE:
        illegal("JetDelete on a sort")
    rec = cur.record_view()
    cur.update = None
    cur.tt.tree_delete(cur.session, rec.bookmark)
    _release(cur.tt, cur.session, cur.tt.lids_of(rec.data))


def escrow_update(cur: Any, columnid: int, delta: bytes, grbit: int) -> bytes:
    """JetEscrowUpdate on a materialized table (ErrIsamEscrowUpdate in vtfndefTTBase): the
    current record's escrow column changes by ``delta``; returns the old value."""

    if _state(cur) != BASE:
        illegal("JetEscrowUpdate on a sort")
    col = cur.table.column_by_id(columnid)
    if not col.grbit & C.JET_bitColumnEscrowUpdate:
        raise_error(C.JET_errInvalidOperation, f"column {col.name!r} is not an escrow column")
    if cur.update is not None:
        raise_error(C.JET_errAlreadyPrepared)
    rec = cur.record_view()
    fmt = "<q" if col.coltyp == C.JET_coltypLongLong else "<i"
    if len(delta) != struct.calcsize(fmt):
        raise_error(C.JET_errInvalidBufferSize)
    old = rec.get(columnid, 1) or struct.pack(fmt, 0)
    new = struct.unpack(fmt, old)[0] + struct.unpack(fmt, delta)[0]
    image = RecordImage.from_bytes(cur.table.layout, rec.data)
    image.set(columnid, struct.pack(fmt, new))
    cur.tt.tree_put(cur.session, rec.bookmark, image.to_bytes())
    return bytes(old)


# ------------------------------------------------------------------ information


def get_table_info(cur: Any, level: int) -> int:
    """JetGetTableInfo (ESE ErrIsamSortGetTableInfo, TTSortRet and TTBase): JET_TblInfo
    only, whose JET_OBJECTINFO carries nothing but the record count (records inserted, or
    kept after an in-memory sort), returned here; other levels JET_errInvalidOperation.
    TTSortIns: illegal."""
    vt = _state(cur)
    if vt == SORT_INS:
        illegal("JetGetTableInfo on a sort being filled")
    if level != C.JET_TblInfo:
        raise_error(C.JET_errInvalidOperation, f"table info level {level} on a temporary table")
    tt = cur.tt
    count = tt.sort.c_records if tt.sort is not None else tt.c_records
    return min(int(count), 0xFFFFFFFF)


def dup_cursor(cur: Any, grbit: int) -> int:
    """JetDupCursor. TTSortIns: illegal. TTSortRet (ErrTTSortRetDupCursor): a cursor on the
    same sort, on its first record. TTBase (ErrTTBaseDupCursor): a cursor on the same
    table (ErrIsamDupCursor: deferred to its first record). Returns the new tableid."""
    if _state(cur) == SORT_INS:
        illegal("JetDupCursor on a sort being filled")
    return int(cur.dup(grbit))


_ALLOWED = {
    "ComputeStats": (),
    "RegisterCallback": (),
    "UnregisterCallback": (),
    "SetCursorFilter": (),
    "GetCursorInfo": (BASE,),
    "SetLS": (SORT_RET, BASE),
    "GetLS": (SORT_RET, BASE),
}
"""Which function tables have these calls (sortapi.cxx vtfndefTTSortIns / TTSortRet /
TTBase: ErrIllegalComputeStats, ErrIllegalRegisterCallback, ErrIllegalSetCursorFilter,
ErrIsamGetCursorInfo in TTBase only, ErrIsamSetLS / GetLS outside the insert phase)."""


def check(cur: Any, call: str) -> None:
    """JET_errIllegalOperation unless the cursor's function table has ``call``."""
    if _state(cur) not in _ALLOWED[call]:
        illegal(f"Jet{call} on this temporary table")


def illegal_info(cur: Any, what: str) -> None:
    """The column / index information functions (ErrIllegalGetTable*Info)."""

    _state(cur)
    illegal(what)
