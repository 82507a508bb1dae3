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

from pyese.engine.cursors import callbacks
from pyese.engine.cursors.cursor import Cursor
from pyese.engine.cursors.handles import AnyCursor
from pyese.engine.cursors.tablescan import RecordView
from pyese.engine.instance.logservice import storage_of
from pyese.engine.instance.session import LEVEL_USER_MOST, Session
from pyese.engine.records.indexentries import (
    IndexEntry,
    entry_keys,
    index_entries,
    single_key_slow,
)
from pyese.engine.records.keys import (
    CB_KEY_MOST_OLD,
    TextLocale,
    _fixed_normalizer,
    fast_key,
    normalize_binary,
    normalize_text,
    normalizer,
)
from pyese.engine.records.longvalue import LongValueReader
from pyese.engine.records.record import (
    VALUE_DEFAULT,
    VALUE_SEPARATED,
    LVRoot,
    RecordImage,
    lid_from_bytes,
    lv_chunk_key,
    lv_root_key,
    max_record_size,
)
from pyese.engine.schema.ddl import index_node, mso_key
from pyese.engine.schema.schema import BINARY_TYPES, FIXED_SIZES, TEXT_TYPES, IndexDef
from pyese.engine.schema.sysobjects import objidFDPMSO, sysobjIndex
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage import threadstats
from pyese.storage.compiling import mypyc_attr
from pyese.storage.edb.compression import decompress
from pyese.storage.threadstats import PAGE_REFERENCED

LV_INTRINSIC_MOST = 1024
"""Long values up to this size stay in the record when it fits (ESE: cbLVIntrinsicMost
order of magnitude); larger ones go to the long-value tree."""

PREP_INSERT = C.JET_prepInsert
PREP_REPLACE = C.JET_prepReplace
PREP_REPLACE_NOLOCK = C.JET_prepReplaceNoLock
PREP_INSERT_COPY = C.JET_prepInsertCopy
PREP_INSERT_COPY_DELETE = C.JET_prepInsertCopyDeleteOriginal
PREP_INSERT_COPY_REPLACE = C.JET_prepInsertCopyReplaceOriginal
PREP_INSERT_MUST_SET_AUTOINC = C.JET_prepInsertMustSetAutoIncrement
_INSERT_KINDS = frozenset((PREP_INSERT, PREP_INSERT_COPY, PREP_INSERT_COPY_DELETE,
                           PREP_INSERT_COPY_REPLACE, PREP_INSERT_MUST_SET_AUTOINC))
_PREP_KINDS = frozenset((PREP_INSERT, PREP_REPLACE, PREP_REPLACE_NOLOCK, PREP_INSERT_COPY,
                         PREP_INSERT_COPY_DELETE, PREP_INSERT_COPY_REPLACE,
                         PREP_INSERT_MUST_SET_AUTOINC))


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


@mypyc_attr(allow_interpreted_subclasses=True)  # engine/temp/ops.py subclasses it
class PreparedUpdate:
    """A cursor's copy buffer (see the module docstring)."""

    def __init__(self, kind: int, image: RecordImage, bookmark: bytes | None,
                 original: bytes | None) -> None:
        self.kind = kind
        self.is_insert = kind in _INSERT_KINDS
        self.image = image
        self.bookmark = bookmark
        self.original = original
        self.dirty: set[int] = set()
        self.owned_lids: set[int] = set()
        """Long values this update created: referenced by nothing but its copy buffer."""
        self.facts: TableFacts | None = None
        """The :func:`table_facts` of the table the update was prepared on (None: not
        known); a user checks ``facts.table is cur.table`` before trusting it."""
        self.never_copy = False
        """The record the cursor is on is being keyed (the old keys of a replace, the
        keys of a record deleted by JET_prepInsertCopyDeleteOriginal): a user-defined
        default's callback reading with JET_bitRetrieveCopy gets that record, not the
        copy buffer (ESE fldnorm.cxx ErrRECIIRetrieveKey: FUCBSetNeverRetrieveCopy)."""
        self.keyed: RecordView | None = None
        """The record being keyed from the copy buffer (insert, the new keys of a
        replace) while a user-defined default's callback runs: every retrieval of the
        callback reads it, with or without JET_bitRetrieveCopy (ESE fldnorm.cxx
        ErrRECIIRetrieveKey: ``dataWorkBuf = lineRec``, FUCBSetAlwaysRetrieveCopy);
        set by ``callbacks.key_values``."""


# ------------------------------------------------------------------ helpers


def record_view_of(cur: AnyCursor, data: bytes, bookmark: bytes = b"") -> RecordView:
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


class TableFacts:
    """What an update needs to know about one table definition, computed once per
    ``TableDef`` (a definition is immutable: DDL makes a new one, so a cursor that re-reads
    its table gets new facts). Built by :func:`table_facts`."""

    __slots__ = ("table", "autoinc", "version", "not_null", "primary", "secondary",
                 "plain_cols", "udd")

    def __init__(self, table: Any) -> None:
        self.table = table
        columns = table.column_list()
        self.autoinc: Any = next((c for c in columns
                                  if c.grbit & C.JET_bitColumnAutoincrement), None)
        self.version: Any = next((c for c in columns if c.grbit & C.JET_bitColumnVersion),
                                 None)
        self.not_null: tuple[Any, ...] = tuple(
            c for c in columns if c.grbit & C.JET_bitColumnNotNULL and c.default is None)
        self.primary: Any = table.primary_index
        self.secondary: tuple[Any, ...] = tuple(table.secondary_indexes())
        self.udd: bool = any(
            seg.column.callback is not None
            for cix in (*self.secondary, *((self.primary,) if self.primary else ()))
            for seg in (*cix.index.segments, *cix.index.conditions))
        """An index uses a column with a user-defined default (``callbacks.key_values``)."""
        self.plain_cols: dict[int, tuple[bool, int]] = {}
        """columnid -> (fixed, size) of each column :func:`set_column` may set through
        ``RecordImage.set_plain``: fixed columns of a number, date, currency or GUID type
        (not Bit, whose value is normalized; not fixed Text/Binary, which are padded)
        given exactly their size, variable non-long-value columns given 1..cbMax bytes;
        neither autoincrement nor version."""
        for c in columns:
            if c.grbit & (C.JET_bitColumnAutoincrement | C.JET_bitColumnVersion):
                continue
            size = FIXED_SIZES.get(c.coltyp)
            if c.is_fixed:
                if (size is not None and c.coltyp != C.JET_coltypBit
                        and c.cbMax >= size):
                    self.plain_cols[c.columnid] = (True, size)
            elif c.is_variable and size is None and not c.is_long_value and c.cbMax > 0:
                self.plain_cols[c.columnid] = (False, c.cbMax)


_FACTS: dict[int, TableFacts] = {}
_FACTS_MOST = 4096


def table_facts(table: Any) -> TableFacts:
    """The cached :class:`TableFacts` of ``table`` (keyed by identity, the definition kept
    alive by its entry so that an id is never reused while cached)."""
    facts = _FACTS.get(id(table))
    if facts is None or facts.table is not table:
        if len(_FACTS) >= _FACTS_MOST:
            _FACTS.clear()
        facts = _FACTS[id(table)] = TableFacts(table)
    return facts


def _special(cur: Cursor, bit: int) -> Any:
    facts = table_facts(cur.table)
    if bit == C.JET_bitColumnAutoincrement:
        return facts.autoinc
    if bit == C.JET_bitColumnVersion:
        return facts.version
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
    read-only cursor; JET_errTransReadOnly in a read-only transaction;
    JET_errInvalidParameter for an unknown kind.
    """
    if prep == C.JET_prepCancel:
        if cur.update is None:
            raise_error(C.JET_errUpdateNotPrepared)
        upd = cur.update
        cur.update = None
        if upd.owned_lids:
            # ESE rolls the update's LV changes back (fldmod prepCancel, ErrVERRollback
            # of the updateid); pyese frees the long values the update created.
            free_lvs(cur, sorted(upd.owned_lids))
        return
    if prep not in _PREP_KINDS:
        raise_error(C.JET_errInvalidParameter, f"prep {prep}")
    if cur.update is not None:
        raise_error(C.JET_errAlreadyPrepared)
    if cur.read_only:
        raise_error(C.JET_errPermissionDenied, "the table is open read-only")
    if cur.session.level > 0 and cur.session.read_only:
        # ESE: fldmod.cxx ErrIsamPrepareUpdate, ErrFUCBCheckUpdatable then
        # ErrPIBCheckUpdatable (pib.hxx ~1495) for every kind but Cancel
        raise_error(C.JET_errTransReadOnly)
    layout = cur.table.layout
    if prep == PREP_INSERT or prep == PREP_INSERT_MUST_SET_AUTOINC:
        image = RecordImage(layout)
        upd = PreparedUpdate(prep, image, None, None)
        facts = upd.facts = table_facts(cur.table)
        auto = facts.autoinc
        if auto is not None and prep == PREP_INSERT:
            image.set(auto.columnid, _next_autoinc(cur, auto.columnid, auto.coltyp))
        cur.update = upd
        return
    rec = cur.record_view()
    image = RecordImage.from_bytes(layout, rec.data)
    if prep in (PREP_REPLACE, PREP_REPLACE_NOLOCK):
        if prep == PREP_REPLACE and cur.session.level > 0:
            _vs(cur).lock(cur.session, cur.db, cur.table.objid, rec.bookmark, True)
        upd = PreparedUpdate(prep, image, rec.bookmark, rec.data)
        upd.facts = table_facts(cur.table)
        cur.update = upd
        return
    # insert copies: each separated long value is copied (chunk by chunk) to a long
    # value of the copy's own, so that the two records never share one
    upd = PreparedUpdate(prep, image, rec.bookmark, rec.data)
    cur.update = upd
    try:
        for col in cur.table.column_list():
            if not col.is_long_value:
                continue
            itag = 1
            while True:
                data, flags = image.get_ex(col.columnid, itag)
                if data is None or flags & VALUE_DEFAULT:
                    break
                if flags & VALUE_SEPARATED:
                    reader = LongValueReader(cur.view(), cur.table.lv_objid)
                    lid = _lv_create(cur, upd, reader.iter_chunks(lid_from_bytes(data)))
                    image.set_separated(col.columnid, itag, lid)
                itag += 1
    except BaseException:
        cur.update = None
        free_lvs(cur, sorted(upd.owned_lids))
        raise
    auto = _special(cur, C.JET_bitColumnAutoincrement)
    if auto is not None and prep != PREP_INSERT_COPY_REPLACE:
        image.set(auto.columnid, _next_autoinc(cur, auto.columnid, auto.coltyp))


# ------------------------------------------------------------------ set column

LV_GRBITS = (C.JET_bitSetAppendLV | C.JET_bitSetOverwriteLV | C.JET_bitSetSizeLV)
UNIQUE_MV_GRBITS = C.JET_bitSetUniqueMultiValues | C.JET_bitSetUniqueNormalizedMultiValues


def set_column(cur: AnyCursor, columnid: int, data: bytes | None, grbit: int = 0,
               itag: int = 1, ib_long_value: int = 0) -> int:
    """JetSetColumn on the copy buffer; returns 0 or JET_wrnColumnMaxTruncated.

    Checks in ESE's order (fldmod ErrIsamSetColumn / ErrFLDSetOneColumn):
    JET_errUpdateNotPrepared; JET_errColumnNotFound; JET_errInvalidGrbit (unique
    multi-values with Append/Overwrite/SizeLV, SeparateLV with IntrinsicLV);
    JET_errInvalidColumnType (the autoincrement column, or the version column on a
    replace); JET_errBadItagSequence (negative itagSequence); JET_errInvalidBufferSize (a
    fixed column given the wrong size); JET_errColumnTooBig (a tagged or long value over
    cbMax); JET_errNullInvalid (NULL on a NotNULL column); JET_errMultiValuedDuplicate;
    JET_errColumnNoChunk (an OverwriteLV offset past the value's end).

    Long values (``lv.cxx`` ErrLVOpFromGrbit): AppendLV appends, OverwriteLV writes at
    ``ib_long_value`` (extending), SizeLV resizes (zero fill; 0 is NULL), SizeLV |
    OverwriteLV writes then truncates to ib + cb. A value over ``LV_INTRINSIC_MOST`` bytes,
    or any value with SeparateLV, goes to the long-value tree at once, as ESE does; see
    :func:`_lv_set` for how little is rewritten and how memory stays bounded.
    """
    upd = cur.update
    if upd is None:
        raise_error(C.JET_errUpdateNotPrepared)
    if not grbit and itag == 1 and not ib_long_value and data:
        # The common set: a plain column (TableFacts.plain_cols) given a value every
        # check below passes unchanged; the image takes it as RecordImage.set would.
        facts = upd.facts
        if facts is None or facts.table is not cur.table:
            facts = table_facts(cur.table)
        plain = facts.plain_cols.get(columnid)
        if plain is not None and (len(data) == plain[1] if plain[0]
                                  else len(data) <= plain[1]):
            upd.image.set_plain(columnid, bytes(data))
            upd.dirty.add(columnid)
            return 0
    col = cur.table.column_by_id(columnid)
    if grbit:
        if grbit & UNIQUE_MV_GRBITS and grbit & LV_GRBITS:
            raise_error(C.JET_errInvalidGrbit,
                        "unique multi-values with a long-value operation")
        if grbit & C.JET_bitSetSeparateLV and grbit & C.JET_bitSetIntrinsicLV:
            raise_error(C.JET_errInvalidGrbit, "SeparateLV with IntrinsicLV")
    col_grbit = col.grbit
    if col_grbit & C.JET_bitColumnAutoincrement and not (
            upd.kind == PREP_INSERT_MUST_SET_AUTOINC):
        raise_error(C.JET_errInvalidColumnType, "the autoincrement column is set by ESE")
    if col_grbit & C.JET_bitColumnVersion and not upd.is_insert:
        raise_error(C.JET_errInvalidColumnType, "the version column is set by ESE")
    if itag < 0:
        raise_error(C.JET_errBadItagSequence)
    is_lv = col.is_long_value
    if is_lv and (grbit & LV_GRBITS or ib_long_value
                  or data is not None and len(data) > LV_INTRINSIC_MOST
                  or grbit & C.JET_bitSetSeparateLV):
        w = _lv_set(cur, upd, col, data, grbit, itag, ib_long_value)
        upd.dirty.add(col.columnid)
        return w
    # (ESE applies the long-value operations only to long values: elsewhere the value is
    # set as given.)
    value: bytes | None = bytes(data) if data is not None else None
    if value is not None and len(value) == 0 and not grbit & C.JET_bitSetZeroLength:
        value = None
    if value is None:
        if col_grbit & C.JET_bitColumnNotNULL:
            raise_error(C.JET_errNullInvalid, col.name)
        if is_lv:
            _drop_owned(cur, upd, col.columnid, itag)
        upd.image.set(col.columnid, None, itag,
                      revert_to_default=bool(grbit & C.JET_bitSetRevertToDefaultValue))
        upd.dirty.add(col.columnid)
        return 0
    warning = 0
    size = FIXED_SIZES.get(col.coltyp)
    if size is not None and len(value) != size:
        raise_error(C.JET_errInvalidBufferSize, f"{col.name} needs {size}")
    if is_lv:
        if col.cbMax and len(value) > col.cbMax:
            raise_error(C.JET_errColumnTooBig, col.name)
    elif len(value) > col.cbMax:
        if col.is_tagged:
            raise_error(C.JET_errColumnTooBig, col.name)
        if col.is_fixed:
            raise_error(C.JET_errInvalidBufferSize, col.name)
        value = value[:col.cbMax]
        warning = C.JET_wrnColumnMaxTruncated
    if grbit & UNIQUE_MV_GRBITS:
        _check_unique_mv(cur, upd, col, value, itag, grbit)
    if is_lv:
        _drop_owned(cur, upd, col.columnid, itag)
    w = upd.image.set(col.columnid, value, itag)
    upd.dirty.add(col.columnid)
    return warning or w


def _check_unique_mv(cur: AnyCursor, upd: PreparedUpdate, col: Any, value: bytes,
                     itag: int, grbit: int) -> None:
    """JET_bitSetUniqueMultiValues / JET_bitSetUniqueNormalizedMultiValues: compare ``value``
    with every other value of the column in the copy buffer (all but value ``itag``, the one
    being replaced).

    Plain: byte for byte (long values in full). Normalized: the key-normalized forms
    (:func:`normalize_tagged_value`, as ESE ``tagfld.cxx`` ErrCheckUniqueNormalizedMultiValues
    and ``fldmod.cxx`` ErrRECICheckUniqueNormalizedLVMultiValues do). Raises
    JET_errMultiValuedDuplicate, or JET_errMultiValuedDuplicateAfterTruncation when the
    normalized forms are equal and normalization truncated them.
    """
    normalized = bool(grbit & C.JET_bitSetUniqueNormalizedMultiValues)
    mine = normalize_tagged_value(col, value) if normalized else None
    n = 1
    while True:
        existing = _current_value(cur, upd, col.columnid, n)
        if existing is None:
            return
        if n != itag:
            if mine is None:
                if existing == value:
                    raise_error(C.JET_errMultiValuedDuplicate, col.name)
            else:
                norm, truncated = normalize_tagged_value(col, existing)
                if norm == mine[0]:
                    if truncated or mine[1]:
                        raise_error(C.JET_errMultiValuedDuplicateAfterTruncation, col.name)
                    raise_error(C.JET_errMultiValuedDuplicate, col.name)
        n += 1


def normalize_tagged_value(col: Any, data: bytes) -> tuple[bytes, bool]:
    """A column value normalized as ESE ``fldnorm.cxx`` ErrFLDNormalizeTaggedData does for
    unique multi-value checks: (normalized bytes, truncated).

    The key space is JET_cbKeyMost_OLD (255 bytes); text uses the instance's default
    LCMapString flags and locale (case, kana type and width folded), binary the chunked
    binary segment, fixed types their key segment. A long value takes part with its first
    255 bytes only (ESE reads no more). A zero-length value normalizes to its null segment.
    """
    if col.is_long_value:
        data = data[:CB_KEY_MOST_OLD]
    if not data:
        text_or_binary = col.coltyp in TEXT_TYPES or col.coltyp in BINARY_TYPES
        return (b"\x40" if text_or_binary else b"\x00"), False
    if col.coltyp in TEXT_TYPES:
        return normalize_text(data, CB_KEY_MOST_OLD, CB_KEY_MOST_OLD, CB_KEY_MOST_OLD + 1,
                              col.cp or 1252, TextLocale())
    if col.coltyp in BINARY_TYPES:
        seg, truncated, _ = normalize_binary(data, CB_KEY_MOST_OLD, CB_KEY_MOST_OLD,
                                             CB_KEY_MOST_OLD + 1, False)
        return seg, truncated
    fixed = _fixed_normalizer(col.coltyp, False)
    return (fixed(data) if fixed is not None else data), False


def _real_itag(upd: PreparedUpdate, col: Any, itag: int) -> int:
    """The value number a set at ``itag`` touches: 0 or past the end appends."""
    if not col.is_tagged:
        return 1
    count = upd.image.count(col.columnid)
    return itag if 1 <= itag <= count else count + 1


def _owned_lid(upd: PreparedUpdate, columnid: int, itag: int) -> int | None:
    data, flags = upd.image.get_ex(columnid, itag)
    if data is None or not flags & VALUE_SEPARATED:
        return None
    lid = lid_from_bytes(data)
    return lid if lid in upd.owned_lids else None


def _drop_owned(cur: AnyCursor, upd: PreparedUpdate, columnid: int, itag: int) -> None:
    """Free the long value this update created at (columnid, itag) before replacing it."""
    col = cur.table.column_by_id(columnid)
    lid = _owned_lid(upd, columnid, _real_itag(upd, col, itag)) if itag else None
    if lid is not None:
        upd.owned_lids.discard(lid)
        free_lvs(cur, [lid])


def _lv_set(cur: Cursor, upd: PreparedUpdate, col: Any, data: bytes | None, grbit: int,
            itag: int, ib: int) -> int:
    """A long-value set that may touch the long-value tree (see :func:`set_column`).

    The update *owns* the long values it created (``upd.owned_lids``): nothing else
    references them, so they are edited in place, writing only the chunks the operation
    touches (an append rewrites the last partial chunk and adds new ones). A value the
    update does not own (the record's, on a replace) is copied chunk by chunk first
    (copy on write, as ESE does for a shared LV, ``lv.cxx`` JET_wrnCopyLongValue); the
    old one is freed by JetUpdate when the new record no longer references it. Memory is
    one chunk plus ``data``. Outside a transaction the chunks are committed in batches
    (:class:`_LVWriter`) so that a value far larger than the version store fits.
    """
    piece = bytes(data) if data is not None else b""
    real = _real_itag(upd, col, itag)
    raw, flags = upd.image.get_ex(col.columnid, real) if itag else (None, 0)
    if raw is not None and flags & VALUE_DEFAULT:
        raw, flags = None, 0
    lid: int | None = None
    intrinsic: bytes | None = None
    size = 0
    if raw is not None:
        if flags & VALUE_SEPARATED:
            lid = lid_from_bytes(raw)
            size = _lv_root(cur, lid).size
        else:
            intrinsic = _current_value(cur, upd, col.columnid, real) or b""
            size = len(intrinsic)
    new_instance = raw is None
    append = bool(grbit & C.JET_bitSetAppendLV)
    overwrite = bool(grbit & C.JET_bitSetOverwriteLV)
    size_lv = bool(grbit & C.JET_bitSetSizeLV)
    replace = not (append or overwrite or size_lv)
    # ESE: lv.cxx ErrLVOpFromGrbit -- the operation and its resulting size
    if size_lv and not overwrite:
        if len(piece) not in (4, 8) and not (len(piece) == 0):
            raise_error(C.JET_errInvalidBufferSize, "SizeLV takes a 4-byte size")
        new_size = int.from_bytes(piece[:4].ljust(4, b"\0"), "little")
        write_at, write_data, truncate = None, b"", new_size
    elif append:
        write_at, write_data, truncate = size, piece, None
        new_size = size + len(piece)
    elif overwrite:
        if ib > size or (new_instance and ib):
            raise_error(C.JET_errColumnNoChunk, f"offset {ib} past the end ({size})")
        write_at, write_data = ib, piece
        truncate = ib + len(piece) if size_lv else None
        new_size = truncate if truncate is not None else max(size, ib + len(piece))
    else:
        write_at, write_data, truncate = 0, piece, None
        new_size = len(piece)
        if not piece and not grbit & C.JET_bitSetZeroLength:
            new_size = -1  # NULL
    if new_size == 0 and size_lv and not overwrite and not grbit & C.JET_bitSetZeroLength:
        new_size = -1  # ESE: SizeLV to 0 is NULL (SizeLV|ZeroLength: zero-length)
    if size_lv and overwrite and not piece:
        new_size = -1  # ESE: SizeLV|OverwriteLV with no data is lvopReplaceWithNull
    if new_size == 0 and not grbit & C.JET_bitSetZeroLength:
        if new_instance:
            return 0  # nothing to set
        if not (append or overwrite):
            new_size = -1
    if new_size < 0:
        if col.grbit & C.JET_bitColumnNotNULL:
            raise_error(C.JET_errNullInvalid, col.name)
        if itag and not new_instance:
            _drop_owned(cur, upd, col.columnid, real)
            upd.image.set(col.columnid, None, real, revert_to_default=bool(
                grbit & C.JET_bitSetRevertToDefaultValue))
        return 0
    if grbit & UNIQUE_MV_GRBITS:
        # ESE fldmod.cxx ErrFLDSetOneColumn checks before ErrRECSetLongField (cbMaxLen)
        _check_unique_mv(cur, upd, col, piece, itag, grbit)
    if col.cbMax and new_size > col.cbMax:
        raise_error(C.JET_errColumnTooBig, col.name)
    separate = (new_size > LV_INTRINSIC_MOST or bool(grbit & C.JET_bitSetSeparateLV)) \
        and not grbit & C.JET_bitSetIntrinsicLV
    if not separate:
        old = intrinsic if intrinsic is not None else (
            _lv_read(cur, lid, 0, size) if lid is not None else b"")
        value = piece if replace else _apply_op(old, write_at, write_data, truncate)
        _drop_owned(cur, upd, col.columnid, real)
        upd.image.set(col.columnid, value, real)
        return 0
    owned = lid is not None and lid in upd.owned_lids
    if replace:
        # a whole new value
        if owned:
            assert lid is not None
            _lv_truncate(cur, lid, size, 0)
            _lv_write_at(cur, lid, 0, 0, write_data)
            return 0
        new_lid = _lv_create(cur, upd, [write_data])
    elif owned:
        assert lid is not None
        cur_size = size
        if write_at is not None and write_data:
            cur_size = _lv_write_at(cur, lid, cur_size, write_at, write_data)
        if truncate is not None:
            _lv_resize(cur, lid, cur_size, truncate)
        return 0
    else:
        # copy on write: the old value (record's or intrinsic), then the operation
        if lid is not None:
            source: Any = LongValueReader(cur.view(), cur.table.lv_objid).iter_chunks(lid)
        else:
            source = [intrinsic or b""]
        new_lid = _lv_create(cur, upd, source)
        cur_size = size
        if write_at is not None and write_data:
            cur_size = _lv_write_at(cur, new_lid, cur_size, write_at, write_data)
        if truncate is not None:
            _lv_resize(cur, new_lid, cur_size, truncate)
    upd.image.set_separated(col.columnid, real, new_lid)
    return 0


def _apply_op(old: bytes, at: int | None, data: bytes, truncate: int | None) -> bytes:
    value = old
    if at is not None and data:
        value = value[:at] + data + value[at + len(data):]
    if truncate is not None:
        value = value[:truncate].ljust(truncate, b"\0")
    return value


def _current_value(cur: AnyCursor, upd: PreparedUpdate, columnid: int, itag: int) -> bytes | None:
    """A value as the copy buffer holds it now (long values resolved)."""
    data, flags = upd.image.get_ex(columnid, itag)
    if data is None:
        return None
    return record_view_of(cur, upd.image.to_bytes()).get(columnid, itag)


def copy_view(cur: AnyCursor) -> RecordView:
    """The copy buffer as a RecordView (JET_bitRetrieveCopy); JET_errRecordNoCopy without a
    prepared update."""
    upd = cur.update
    if upd is None:
        raise_error(C.JET_errRecordNoCopy)
    if upd.never_copy:
        return cur.record_view()
    return record_view_of(cur, upd.image.to_bytes(), upd.bookmark or b"")


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
    return _do_update(cur, True)


def _do_update(cur: Cursor, own_level: bool) -> bytes:
    """:func:`do_update`; ``own_level`` False when the caller already runs the writes in
    a level that a failure rolls back (:func:`insert_rows`)."""
    upd = cur.update
    if upd is None:
        raise_error(C.JET_errUpdateNotPrepared)
    session = cur.session
    if not upd.is_insert and not upd.dirty:
        cur.update = None
        return upd.bookmark or b""
    later: list[tuple[int, int]] | None = [] if session.level == 0 else None
    hooked = callbacks.has_callbacks(cur)  # ESE: recupd.cxx, JET_cbtypBefore/After*
    if hooked:
        callbacks.fire(cur, C.JET_cbtypBeforeInsert if upd.is_insert
                       else C.JET_cbtypBeforeReplace)
        upd = cur.update
        if upd is None:
            raise_error(C.JET_errUpdateNotPrepared)
    # atomic(session), inline: this is the hottest path of every insert
    own_level = own_level and session.level < LEVEL_USER_MOST
    if (own_level and session.level > 0 and not hooked and upd.is_insert
            and upd.kind != PREP_INSERT_COPY_DELETE):
        vs = _vs(cur)
        savepoint = vs.begin_savepoint(session) if _can_nest(session) else None
        if savepoint is not None:
            return _insert_at_savepoint(cur, upd, savepoint, vs)
    if own_level:
        session.begin_transaction()
    try:
        bookmark = _write(cur, upd, later)
        if hooked:
            callbacks.fire(cur, C.JET_cbtypAfterInsert if upd.is_insert
                           else C.JET_cbtypAfterReplace)
    except BaseException:
        if own_level and session.level > 0:
            session.rollback()
        raise
    if own_level:
        session.commit_transaction()
    cur.update = None
    if later:
        free_later(cur, later)
    return bookmark


def _can_nest(session: Session) -> bool:
    """Would ``session.begin_transaction()`` at level 1..6 pass its checks (ESE tm.cxx
    ErrIsamBeginTransaction: no failed rollback, the transaction's own context)?"""
    return session.rollback_failure is None and session.check_trx_context()


def _insert_at_savepoint(cur: Cursor, upd: PreparedUpdate, savepoint: Any, vs: Any) -> bytes:
    """:func:`_do_update`'s insert inside a transaction, written at the session's level
    under a version-store savepoint instead of a nested level of its own: the same
    versions once it succeeds (``VersionStore.begin_savepoint``); on an error exactly
    this insert's writes are undone, then a nested level is begun and rolled back so
    that the session's cursors see the rollback a nested level's failure gives them
    (``Currency._after_rollback``). Only for a plain insert (no callbacks, no original
    to delete: nothing that opens levels of its own), checked by the caller; ``vs`` is
    the cursor's version store."""
    session = cur.session
    if session.call_snapshots:
        session.end_call()  # as beginning a level does (CommitRollback.on_begin)
    try:
        bookmark = _write(cur, upd, None, vs)
    except BaseException:
        vs.rollback_savepoint(savepoint)
        session.begin_transaction()
        session.rollback()
        raise
    vs.release_savepoint(savepoint)
    cur.update = None
    return bookmark


SetItem = tuple[int, bytes | None, int, int, int]
"""One column value of :func:`insert_rows`: (columnid, data, grbit, itagSequence,
ibLongValue), as a JET_SETCOLUMN carries it."""


def insert_rows(cur: Cursor, rows: Sequence[Sequence[SetItem]]) -> list[bytes]:
    """Insert many records in one engine call (a pyese extension, no ESE counterpart):
    for each row, what JetPrepareUpdate(JET_prepInsert), JetSetColumns(row) and
    JetUpdate do, with the same checks and errors, in the same order; returns the
    bookmarks.

    The batch is atomic: it runs in one transaction level of its own (at level 0 it is
    one transaction, committed per the session's commit default), so on any error no
    row of the batch is written and no update stays prepared. The rows share that one
    level instead of opening one each, which is what makes the batch cheaper than the
    calls it stands for. JET_errAlreadyPrepared when the cursor has an update prepared.
    At the deepest level (7) the writes join the caller's level, as JetUpdate's do.
    """
    prepared = cur.update  # a local: checking cur.update itself would make mypy (and so
    if prepared is not None:  # mypyc, which checks at run time) take it as None below
        raise_error(C.JET_errAlreadyPrepared)
    session = cur.session
    if len(rows) == 1 and 0 < session.level < LEVEL_USER_MOST:
        return [_insert_one(cur, rows[0])]
    own_level = session.level < LEVEL_USER_MOST
    bookmarks: list[bytes] = []
    if own_level:
        session.begin_transaction()
    try:
        for items in rows:
            prepare_update(cur, PREP_INSERT)
            for columnid, data, grbit, itag, ib in items:
                set_column(cur, columnid, data, grbit, itag, ib)
            bookmarks.append(_do_update(cur, not own_level))
    except BaseException:
        upd = cur.update
        cur.update = None
        if upd is not None and upd.owned_lids and not own_level:
            free_lvs(cur, sorted(upd.owned_lids))
        if own_level and session.level > 0:
            session.rollback()
        raise
    if own_level:
        session.commit_transaction()
    return bookmarks


def _insert_one(cur: Cursor, items: Sequence[SetItem]) -> bytes:
    """One row of :func:`insert_rows` inside a transaction: exactly what
    JetPrepareUpdate(JET_prepInsert), JetSetColumns and JetUpdate do, so the write takes
    JetUpdate's savepoint instead of a transaction level of its own (a level's begin and
    commit were a fifth of a one-row insert's CPU). On any error the update is cancelled
    (its long values freed, as JET_prepCancel does), so nothing of the row is written and
    no update stays prepared, as for a batch."""
    prepare_update(cur, PREP_INSERT)
    try:
        for columnid, data, grbit, itag, ib in items:
            set_column(cur, columnid, data, grbit, itag, ib)
        return _do_update(cur, True)
    except BaseException:
        if cur.update is not None:
            prepare_update(cur, C.JET_prepCancel)
        raise


def insert_rows_with(vt: Any, cur: Any, rows: Sequence[Sequence[SetItem]]) -> list[bytes]:
    """:func:`insert_rows` for a cursor that carries its own update functions ``vt``
    (a temporary table, ``engine.temp.ops``): the rows one by one through them, each its
    own JetUpdate (temporary tables are not transactional); on an error the rows before
    the failing one stay inserted and the failing row's update is cancelled."""
    if cur.update is not None:
        raise_error(C.JET_errAlreadyPrepared)
    bookmarks: list[bytes] = []
    for items in rows:
        vt.prepare_update(cur, PREP_INSERT)
        try:
            for columnid, data, grbit, itag, ib in items:
                vt.set_column(cur, columnid, data, grbit, itag, ib)
            bookmarks.append(bytes(vt.do_update(cur)))
        except BaseException:
            if cur.update is not None:
                vt.prepare_update(cur, C.JET_prepCancel)
            raise
    return bookmarks


def _write(cur: Cursor, upd: PreparedUpdate, later: list[tuple[int, int]] | None,
           vs: Any = None) -> bytes:
    """Write the prepared record (see :func:`do_update`); ``vs``: the cursor's version
    store when the caller has it."""
    if vs is None:
        vs = _vs(cur)
    table = cur.table
    session, db = cur.session, cur.db
    image = upd.image
    facts = upd.facts
    if facts is None or facts.table is not table:
        facts = table_facts(table)
    for col in facts.not_null:
        if image.count(col.columnid) == 0:
            raise_error(C.JET_errNullInvalid, col.name)
    if facts.primary is None:
        check_primary_index(cur)  # ESE: recupd.cxx ErrRECIInsert / ErrRECIReplace
        table = cur.table
        facts = table_facts(table)
    version = facts.version
    if version is not None:
        if upd.is_insert:
            if image.get(version.columnid) is None:
                image.set(version.columnid, struct.pack("<i", 0))
        else:
            old = image.get(version.columnid)
            n = struct.unpack("<i", old)[0] + 1 if old is not None else 1
            image.set(version.columnid, struct.pack("<i", n & 0x7FFFFFFF))
    data = image.to_bytes()
    if len(data) > max_record_size(cur.dc.page_size):
        raise_error(C.JET_errRecordTooBig, f"{len(data)} bytes")
    primary = facts.primary
    if upd.is_insert:
        keys_of = _KeysOf(cur, image, data)
        if primary is not None:
            keys = keys_of.keys(primary.index)
            bookmark = keys[0] if keys else b"\x00"
        else:
            bookmark = _next_dbk(cur)
        threadstats.charge(PAGE_REFERENCED)  # the read of the duplicate check
        seen, new_in_file = _insert_new(vs, cur, table.objid, bookmark, data)
        if seen is not None:
            raise_error(C.JET_errKeyDuplicate, f"table {table.name}: primary key exists")
        # Again after the write: a concurrent JetCreateIndex(primary) either sees this
        # record (JET_errTableNotEmpty) or wrote its index row before this check.
        if primary is None:
            check_primary_index(cur, after_write=True)
        keys_of.bookmark = bookmark
        for cix in facts.secondary:
            for k in keys_of.keys(cix.index):
                _add_entry(vs, cur, cix, k, bookmark, new_in_file)
        if upd.kind == PREP_INSERT_COPY_DELETE and upd.bookmark is not None:
            _delete_record(cur, upd.bookmark, upd.original, later)
        return bookmark
    new_view = record_view_of(cur, data)
    assert upd.bookmark is not None and upd.original is not None
    bookmark = upd.bookmark
    old_view = record_view_of(cur, upd.original, bookmark)
    if primary is not None:
        pvalues = new_view.values if not facts.udd else callbacks.key_values(
            cur, primary.index, new_view.values, new_view)
        keys = entry_keys(primary.index, pvalues)
        new_key = keys[0] if keys else b"\x00"
        if new_key != bookmark:
            raise_error(C.JET_errRecordPrimaryChanged)
    view = cur.view()
    if view.get(table.objid, bookmark) is None:
        raise_error(C.JET_errRecordDeleted)
    new_view.bookmark = bookmark
    dirty = upd.dirty
    udd_old: dict[int, set[bytes]] = {}
    if facts.udd and dirty:
        # The old keys of an index over a user-defined default column first, while the
        # cursor's record is still the old one: its callback reads it (ESE
        # ErrRECIReplaceInIndex keys the record on the page, then the copy buffer). ESE
        # fcreate.cxx sets every bit of such an index's rgbitIdx ("use the dependency
        # list to optimize this"): any column set may change its keys.
        upd.never_copy = True
        try:
            for cix in facts.secondary:
                ix = cix.index
                if normalizer(ix).udd:
                    udd_old[cix.objid] = set(entry_keys(
                        ix, callbacks.key_values(cur, ix, old_view.values)))
        finally:
            upd.never_copy = False
    vs.put(session, db, table.objid, bookmark, data)
    for cix in facts.secondary:
        ix = cix.index
        found = udd_old.get(cix.objid)
        if found is not None:
            old_keys = found
            new_keys = set(entry_keys(ix, callbacks.key_values(cur, ix, new_view.values,
                                                               new_view)))
        else:
            cols = {s.column.columnid for s in ix.segments}
            cols |= {c.column.columnid for c in ix.conditions}
            if not cols & dirty:
                continue
            old_keys = set(entry_keys(ix, old_view.values))
            new_keys = set(entry_keys(ix, new_view.values))
        for k in old_keys - new_keys:
            vs.delete(session, db, cix.objid, index_node(ix, k, bookmark)[0])
        for k in sorted(new_keys - old_keys):
            _add_entry(vs, cur, cix, k, bookmark)
    for lid in _dropped_lids(cur, upd.original, data):
        lv_free(cur, lid, later)
    return bookmark


def check_primary_index(cur: Cursor, after_write: bool = False) -> None:
    """ESE fcb.cxx FCB::ErrSetUpdatingAndEnterDML (fWaitOnConflict false), called by
    insert, replace and delete: JET_errWriteConflictPrimaryIndex when the table's primary
    index was created by a transaction this session cannot see (another session's
    uncommitted JetCreateIndex, or one committed after this session's transaction began:
    ErrFILEIAccessIndex says JET_errIndexNotFound).

    pyese's primary index row in MSysObjects is keyed (table, Index, table objid). When the
    row is visible to the session but the cursor's table definition predates it (another
    session created the index and committed since the cursor was opened), the cursor
    re-reads its table so that the write uses the primary key. ``after_write``: the
    record was already written without a primary key, so a primary index appearing in
    any form is the conflict.
    """
    if table_facts(cur.table).primary is not None:
        return
    vs = _vs(cur)
    db, objid = cur.db, cur.table.objid
    _gen, busy = vs.tree_state(db, objidFDPMSO)
    if after_write:
        if busy and vs.peek_any(db, objidFDPMSO, mso_key(objid, sysobjIndex, objid)):
            raise_error(C.JET_errWriteConflictPrimaryIndex, cur.table.name)
        return
    if not busy:
        # No catalog versions: everyone sees the committed catalog (cached).
        if cur.dc.catalog(cur.session).table_by_objid(objid).primary_index is not None:
            cur.refresh_table()
        return
    key = mso_key(objid, sysobjIndex, objid)
    if vs.get(cur.session, db, objidFDPMSO, key) is not None:
        cur.refresh_table()
        return
    if vs.peek_any(db, objidFDPMSO, key):
        raise_error(C.JET_errWriteConflictPrimaryIndex, cur.table.name)


class _KeysOf:
    """The index keys of a record being inserted, from its copy buffer: an index whose
    key columns are all fixed or variable (``KeyNormalizer.plain``) and whose records
    have one entry (``single``) takes the values from the image (what a reader of the
    encoded record gets, defaults included: ``RecordImage.plain_value``) and the fast
    key path; any other index reads the encoded record as before (``entry_keys``)."""

    __slots__ = ("cur", "image", "data", "bookmark", "_view")

    def __init__(self, cur: Cursor, image: RecordImage, data: bytes) -> None:
        self.cur = cur
        self.image = image
        self.data = data
        self.bookmark = b""
        self._view: RecordView | None = None

    def keys(self, index: IndexDef) -> list[bytes]:
        """:func:`entry_keys` of ``index`` for the record (same keys, same errors)."""
        kn = normalizer(index)
        if kn.single and kn.plain:
            image = self.image
            columnids = kn.columnids
            values = ([image.plain_value(columnids[0])] if len(columnids) == 1
                      else [image.plain_value(c) for c in columnids])
            key = fast_key(kn, values)
            if key is not None:
                return [key]
            parts = single_key_slow(index, kn, values)
            return [] if parts is None else [parts[0]]
        view = self._view
        if view is None:
            view = self._view = record_view_of(self.cur, self.data)
        view.bookmark = self.bookmark
        if kn.udd:
            return entry_keys(index, callbacks.key_values(self.cur, index, view.values,
                                                          view))
        return entry_keys(index, view.values)


def _insert_new(vs: Any, cur: Cursor, objid: int, key: bytes,
                data: bytes) -> tuple[bytes | None, bool]:
    """``vs.insert_ex`` (the value the session sees at ``key``, else None once written;
    and whether the file snapshot held nothing there), a write conflict with another
    session's insert of the key reported as JET_errKeyDuplicate, as :func:`_put_new`
    does."""
    try:
        return vs.insert_ex(cur.session, cur.db, objid, key, data)  # type: ignore[no-any-return]
    except JetError as exc:
        if exc.err == C.JET_errWriteConflict and _other_has(vs, cur, objid, key):
            raise_error(C.JET_errKeyDuplicate, "another session inserted this key")
        raise


def _put_new(vs: Any, cur: Cursor, objid: int, key: bytes, data: bytes) -> None:
    try:
        vs.put(cur.session, cur.db, objid, key, data)
    except JetError as exc:
        if exc.err == C.JET_errWriteConflict and _other_has(vs, cur, objid, key):
            raise_error(C.JET_errKeyDuplicate, "another session inserted this key")
        raise


def _other_has(vs: Any, cur: Cursor, objid: int, key: bytes) -> bool:
    return bool(vs.peek_any(cur.db, objid, key))


def _add_entry(vs: Any, cur: Cursor, cix: Any, key: bytes, bookmark: bytes,
               new_in_file: bool = False) -> None:
    """Add index ``cix``'s entry ``key`` of the record at ``bookmark`` (JET_errKeyDuplicate
    on a unique index holding the key for another record). ``new_in_file``: the record
    was just inserted where the transaction's file snapshot held none
    (``VersionStore.put_entry_of_new``)."""
    node_key, node_data = index_node(cix.index, key, bookmark)
    if cix.index.is_unique:
        threadstats.charge(PAGE_REFERENCED)  # the read of the duplicate check
        existing = _insert_new(vs, cur, cix.objid, node_key, node_data)[0]
        if existing is None:
            return
        if existing != bookmark:
            raise_error(C.JET_errKeyDuplicate, f"index {cix.index.name!r}")
    elif new_in_file:
        try:
            vs.put_entry_of_new(cur.session, cur.db, cix.objid, node_key, node_data)
        except JetError as exc:
            if exc.err == C.JET_errWriteConflict and _other_has(vs, cur, cix.objid, node_key):
                raise_error(C.JET_errKeyDuplicate, "another session inserted this key")
            raise
        return
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


class _LVWriter:
    """Writes of one long-value operation, through the version store.

    Inside a transaction every write is a version of the caller's transaction (in a level
    of its own, so a failure undoes exactly this operation): the operation is bounded by
    JET_paramMaxVerPages, whose versions hold the chunks until the commit is applied.
    Outside a transaction the writes are committed in batches of a quarter of the
    version store, each its own level-0 transaction: the value being written is one no
    committed record references (a new LID, or chunks whose root is already gone), so
    the intermediate states are visible to nobody, and memory stays bounded whatever the
    value's size. ESE reaches the same end differently: its version store holds no LV
    data for inserted chunks (``ver.cxx`` insert RCEs carry no image).
    """

    def __init__(self, cur: Cursor) -> None:
        self.cur = cur
        self.vs = _vs(cur)
        table = cur.table
        if table.lv_objid is None:
            raise_error(C.JET_errLVCorrupted, f"table {table.name} has no long-value tree")
        self.objid: int = table.lv_objid
        self.session = cur.session
        self.batched = self.session.level == 0
        self.limit = max(self.vs.max_bytes // 4, 64 * 1024)
        self.pending = 0
        self.open = False

    def __enter__(self) -> _LVWriter:
        self._begin()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if not self.open:
            return
        self.open = False
        if exc_type is not None:
            if self.session.level > 0:
                self.session.rollback()
        else:
            self.session.commit_transaction()

    def _begin(self) -> None:
        if not self.open and self.session.level < LEVEL_USER_MOST:
            self.session.begin_transaction()
            self.open = True

    def _count(self, n: int) -> None:
        self.pending += n + VERSION_COST
        if self.batched and self.pending >= self.limit and self.open:
            self.session.commit_transaction()
            self.open = False
            self.pending = 0
            if self.vs.nbytes > self.vs.max_bytes // 2:
                # committed batches wait for the applier: let it catch up before the next
                # batch opens its file snapshot (which would keep them alive)
                self.vs.catch_up()
            self._begin()

    def put(self, key: bytes, value: bytes) -> None:
        self.vs.put(self.session, self.cur.db, self.objid, key, value)
        self._count(len(value) + len(key))

    def delete(self, key: bytes, before: int) -> None:
        self.vs.delete(self.session, self.cur.db, self.objid, key)
        self._count(before + len(key))

    def get(self, key: bytes) -> bytes | None:
        return self.cur.view().get(self.objid, key)  # type: ignore[no-any-return]


VERSION_COST = 64
"""Bytes a version costs beyond its key and images (for batch sizing)."""
LV_PIECE = 1 << 20
"""Bytes generated at a time when a long value grows by zero fill (SizeLV)."""


def _lv_root(cur: Cursor, lid: int) -> LVRoot:
    return LongValueReader(cur.view(), cur.table.lv_objid).root(lid)


def _lv_read(cur: Cursor, lid: int, offset: int, size: int) -> bytes:
    return LongValueReader(cur.view(), cur.table.lv_objid).read(lid, offset, size)


def _lv_create(cur: Cursor, upd: PreparedUpdate | None, pieces: Any) -> int:
    """A new long value holding the concatenation of ``pieces``; returns its LID (owned by
    ``upd``). On failure what was written is freed."""
    lid = _next_lid(cur)
    if upd is not None:
        upd.owned_lids.add(lid)
    size = 0
    try:
        with _LVWriter(cur) as w:
            for piece in pieces:
                if piece:
                    size = _lv_write_at(cur, lid, size, size, piece, False, w)
            w.put(lv_root_key(lid), LVRoot(1, size).to_bytes())
    except BaseException:
        if upd is not None:
            upd.owned_lids.discard(lid)
        _lv_free_chunks(cur, lid, size)
        raise
    return lid


def _chunk_at(w: _LVWriter, lid: int, start: int, span: int) -> bytes:
    """The ``span`` bytes of the chunk at ``start`` (decoded when stored compressed)."""
    raw = w.get(lv_chunk_key(lid, start))
    if raw is None:
        raise_error(C.JET_errLVCorrupted, f"long value {lid:#x}: no chunk at {start}")
    assert raw is not None
    if len(raw) < span:
        raw = decompress(raw)
        if len(raw) != span:
            raise_error(C.JET_errDecompressionFailed,
                        f"long value {lid:#x} chunk {start}: {len(raw)} bytes, expected {span}")
    return raw[:span]


def _set_root_size(w: _LVWriter, lid: int, new_size: int) -> None:
    old = w.get(lv_root_key(lid))
    ref = LVRoot.from_bytes(old) if old is not None else LVRoot(1, 0)
    w.put(lv_root_key(lid), LVRoot(ref.ref_count, new_size, ref.flags).to_bytes())


def _lv_write_at(cur: Cursor, lid: int, size: int, offset: int, data: bytes,
                 root: bool = True, writer: _LVWriter | None = None) -> int:
    """Write ``data`` at ``offset`` (<= ``size``) of an owned long value, rewriting only the
    chunks it touches; returns the new size. ``root`` updates the LVROOT's size.

    Keeps the tree's invariant: chunks at multiples of ``lv_chunk_most``, each full but
    the last (a shorter non-last chunk would read as compressed). A touched chunk is
    rebuilt from its old bytes around the new ones, so it only grows, and every chunk the
    write passes over is filled to the chunk size.
    """
    if writer is None:
        with _LVWriter(cur) as w:
            return _lv_write_at(cur, lid, size, offset, data, root, w)
    w = writer
    chunk = lv_chunk_most(cur.dc.page_size)
    mv = memoryview(data)
    end = offset + len(data)
    start = offset - offset % chunk
    while start < end:
        lo = max(offset, start) - start
        hi = min(end, start + chunk) - start
        piece = bytes(mv[start + lo - offset:start + hi - offset])
        have = min(chunk, size - start) if start < size else 0
        if lo == 0 and hi >= have:
            buf = piece
        else:
            old = _chunk_at(w, lid, start, have)
            buf = old[:lo] + piece + old[hi:]
        w.put(lv_chunk_key(lid, start), buf)
        start += chunk
    new_size = max(size, end)
    if root and new_size != size:
        _set_root_size(w, lid, new_size)
    return new_size


def _lv_resize(cur: Cursor, lid: int, size: int, new_size: int) -> None:
    """Truncate or zero-extend an owned long value to ``new_size`` (the zeros generated
    ``LV_PIECE`` bytes at a time)."""
    if new_size < size:
        _lv_truncate(cur, lid, size, new_size)
        return
    if new_size == size:
        return
    with _LVWriter(cur) as w:
        cur_size = size
        while cur_size < new_size:
            n = min(LV_PIECE, new_size - cur_size)
            cur_size = _lv_write_at(cur, lid, cur_size, cur_size, bytes(n), False, w)
        _set_root_size(w, lid, new_size)


def _lv_truncate(cur: Cursor, lid: int, size: int, new_size: int) -> None:
    """Cut an owned long value to ``new_size`` < ``size``: the chunk holding the new end
    is shortened (it becomes the last), the chunks past it are deleted."""
    chunk = lv_chunk_most(cur.dc.page_size)
    with _LVWriter(cur) as w:
        tail = new_size % chunk
        if tail:
            start = new_size - tail
            have = min(chunk, size - start)
            if have != tail:
                w.put(lv_chunk_key(lid, start), _chunk_at(w, lid, start, have)[:tail])
        first_gone = -(-new_size // chunk) * chunk
        for off in range(first_gone, size, chunk):
            w.delete(lv_chunk_key(lid, off), min(chunk, size - off))
        _set_root_size(w, lid, new_size)


def lv_write(cur: Cursor, value: bytes) -> int:
    """Store ``value`` in the table's long-value tree as a new LID; returns the LID."""
    return _lv_create(cur, None, [value])


def lv_add_reference(cur: Cursor, lid: int) -> None:
    """One more record value references long value ``lid``: its LVROOT reference count
    goes up by one (ESE lv.cxx ErrLVAddReference; the compaction's LIDMAP keeps a value
    shared by several records shared, dbutil.cxx ErrCMPCopyLVTree). JET_errLVCorrupted
    when ``lid`` has no root. The engine's own writes never share a long value (an
    insert copy copies it); a shared one is never edited in place either: a set through
    any of its references copies it first (:func:`_lv_set`)."""
    table = cur.table
    root = cur.view().get(table.lv_objid, lv_root_key(lid)) \
        if table.lv_objid is not None else None
    if root is None:
        raise_error(C.JET_errLVCorrupted, f"long value {lid:#x} has no root")
    ref = LVRoot.from_bytes(root)
    with _LVWriter(cur) as w:
        w.put(lv_root_key(lid), LVRoot(ref.ref_count + 1, ref.size, ref.flags).to_bytes())


def lv_free(cur: Cursor, lid: int, later: list[tuple[int, int]] | None = None) -> None:
    """Drop one reference to long value ``lid``: while others remain (a reference count
    above 1: a value shared since a compaction, :func:`lv_add_reference`) the count goes
    down by one; the last one deletes it: its root now, its chunks now or, when
    ``later`` is given, appended there as (lid, size) for :func:`free_later` once the
    root's removal commits (ESE likewise deletes an LV whose refcount fell to 0 after
    the fact, in version cleanup). ESE changes a shared value's count by an escrow delta
    (no write conflict between sessions); pyese writes the root, so two transactions
    dropping references to one shared value at once conflict (JET_errWriteConflict)."""
    table = cur.table
    if table.lv_objid is None:
        return
    root = cur.view().get(table.lv_objid, lv_root_key(lid))
    if root is None:
        return
    ref = LVRoot.from_bytes(root)
    size = ref.size
    if ref.ref_count > 1:
        with _LVWriter(cur) as w:
            w.put(lv_root_key(lid), LVRoot(ref.ref_count - 1, size, ref.flags).to_bytes())
        return
    with _LVWriter(cur) as w:
        w.delete(lv_root_key(lid), len(root))
    if later is not None:
        later.append((lid, size))
    else:
        _lv_free_chunks(cur, lid, size)


def _lv_free_chunks(cur: Cursor, lid: int, size: int) -> None:
    chunk = lv_chunk_most(cur.dc.page_size)
    with _LVWriter(cur) as w:
        for off in range(0, size, chunk):
            w.delete(lv_chunk_key(lid, off), chunk)


def free_later(cur: Cursor, pending: list[tuple[int, int]]) -> None:
    """Delete the chunks of long values whose roots are gone (see :func:`lv_free`)."""
    for lid, size in pending:
        _lv_free_chunks(cur, lid, size)
    pending.clear()


def free_lvs(cur: Cursor, lids: Any) -> None:
    """Free long values: chunks deferred past the root's commit outside a transaction."""
    later: list[tuple[int, int]] | None = [] if cur.session.level == 0 else None
    for lid in lids:
        lv_free(cur, lid, later)
    if later:
        free_later(cur, later)


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


def _dropped_lids(cur: Cursor, old: bytes, new: bytes) -> list[int]:
    """The long-value references ``old`` holds and ``new`` no longer does, one entry per
    reference dropped (a record may reference one shared value more than once)."""
    kept = _lid_refs(cur, new)
    out: list[int] = []
    for lid in _lid_refs(cur, old):
        if lid in kept:
            kept.remove(lid)
        else:
            out.append(lid)
    return sorted(out)


def _lid_refs(cur: Cursor, data: bytes) -> list[int]:
    """Every long-value reference of record ``data`` (a LID once per value)."""
    out: list[int] = []
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
                out.append(lid_from_bytes(value))
            itag += 1
    return out


# ------------------------------------------------------------------ delete


def delete_current(cur: Cursor) -> None:
    """JetDelete: the current record, its index entries and long values.

    Cancels a prepared update (JET_errAlreadyPrepared for InsertCopyDeleteOriginal);
    JET_errNoCurrentRecord; JET_errRecordDeleted; JET_errPermissionDenied (read-only);
    JET_errWriteConflict when another session changed or locked the record.
    """
    if cur.update is not None and cur.update.kind == PREP_INSERT_COPY_DELETE:
        raise_error(C.JET_errAlreadyPrepared)
    upd = cur.update
    cur.update = None
    if cur.read_only:
        raise_error(C.JET_errPermissionDenied, "the table is open read-only")
    if upd is not None and upd.owned_lids:
        free_lvs(cur, sorted(upd.owned_lids))
    rec = cur.record_view()
    later: list[tuple[int, int]] | None = [] if cur.session.level == 0 else None
    hooked = callbacks.has_callbacks(cur)
    if hooked:
        callbacks.fire(cur, C.JET_cbtypBeforeDelete)
    with atomic(cur.session):
        _delete_record(cur, rec.bookmark, rec.data, later)
        if hooked:
            callbacks.fire(cur, C.JET_cbtypAfterDelete)
    if later:
        free_later(cur, later)


def _delete_record(cur: Cursor, bookmark: bytes, data: bytes | None,
                   later: list[tuple[int, int]] | None = None) -> None:
    vs = _vs(cur)
    table = cur.table
    if data is None:
        data = cur.view().get(table.objid, bookmark)
        if data is None:
            raise_error(C.JET_errRecordDeleted)
    assert data is not None
    rec = record_view_of(cur, data, bookmark)
    # An index over a user-defined default column is keyed while the record is still
    # there: the callback reads it through the cursor (ESE recupd.cxx ErrRECIDelete
    # deletes the index entries before the record).
    udd_keys: dict[int, list[bytes]] = {}
    upd = cur.update
    if upd is not None:
        upd.never_copy = True
    try:
        for cix in table.secondary_indexes():
            if normalizer(cix.index).udd:
                udd_keys[cix.objid] = entry_keys(
                    cix.index, callbacks.key_values(cur, cix.index, rec.values))
    finally:
        if upd is not None:
            upd.never_copy = False
    vs.delete(cur.session, cur.db, table.objid, bookmark)
    check_primary_index(cur)  # ESE: recupd.cxx ErrIsamDelete, after the write lock
    for cix in table.secondary_indexes():
        keys = udd_keys.get(cix.objid)
        if keys is None:
            keys = [e.key for e in entries_for(cix.index, rec)]
        for key in keys:
            vs.delete(cur.session, cur.db, cix.objid, index_node(cix.index, key, bookmark)[0])
    for lid in sorted(_lid_refs(cur, data)):
        lv_free(cur, lid, later)


def columns_values(rec: RecordView, columnids: Sequence[int]) -> list[list[bytes]]:
    return [rec.values(c) for c in columnids]
