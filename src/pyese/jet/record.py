"""JET functions for records: updates and column retrieval (``engine.update``).

Values are bytes in ESE's binary form (API.md); ``None`` is NULL.
"""

from __future__ import annotations

from typing import Any

from pyese.engine.cursors.cursor import ON, cursor_for
from pyese.engine.instance.gate import session_call
from pyese.engine.records import update as U
from pyese.engine.records.indexentries import index_entries
from pyese.engine.records.keys import (
    FALL_BACK_TO_RECORD,
    FallBackToRecord,
    column_from_key,
    normalizer,
)
from pyese.engine.records.record import (
    COLUMNID_TEMPLATE,
    VALUE_DEFAULT,
    VALUE_ENCRYPTED,
    VALUE_EXPLICIT_NULL,
    VALUE_SEPARATED,
    lid_from_bytes,
)
from pyese.engine.schema.schema import TAGGED_FIRST
from pyese.jet import _args
from pyese.jet.handles import JET_SESID, JET_TABLEID
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

RETRIEVE_GRBITS = (
    C.JET_bitRetrieveCopy | C.JET_bitRetrieveFromIndex | C.JET_bitRetrieveFromPrimaryBookmark
    | C.JET_bitRetrieveTag | C.JET_bitRetrieveNull | C.JET_bitRetrieveIgnoreDefault
)
_FID_MAX = 0xFFFE
"""ESE FCOLUMNIDValid: only the template bit above the fid, and fidMin <= fid <= fidMax."""


def JetPrepareUpdate(sesid: JET_SESID | int, tableid: JET_TABLEID | int, prep: int) -> None:
    """Start (or cancel) an update of the cursor's copy buffer; see
    ``engine.update.prepare_update`` for the kinds and errors."""
    p = _args.integer(prep, "prep")
    with session_call(sesid) as session:
        U.prepare_update(cursor_for(session, tableid), p)


def JetSetColumn(sesid: JET_SESID | int, tableid: JET_TABLEID | int, columnid: int,
                 pvData: bytes | None, grbit: int = 0, psetinfo: Any = None) -> int:
    """Set a column in the copy buffer; returns 0 or ``JET_wrnColumnMaxTruncated``.

    ``psetinfo`` (``JET_SETINFO``) gives ``itagSequence`` (0 appends a value to a
    multi-valued column) and ``ibLongValue``. See ``engine.update.set_column``.
    """
    g = _args.grbit(grbit)
    itag = 1
    ib = 0
    if psetinfo is not None:
        from pyese.jet.structs import JET_SETINFO

        _args.struct(psetinfo, JET_SETINFO, "psetinfo")
        itag = _args.integer(psetinfo.itagSequence, "itagSequence")
        ib = _args.integer(psetinfo.ibLongValue, "ibLongValue")
    data = _args.data(pvData)
    cid = _args.integer(columnid, "columnid")
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        return U.set_column(cur, cid, data, g, itag, ib)


def JetSetColumns(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                  psetcolumn: Any) -> None:
    """Set several columns (``JET_SETCOLUMN`` list); each item's ``err`` is filled."""
    from pyese.jet.structs import JET_SETCOLUMN

    items = _args.struct_list(psetcolumn, JET_SETCOLUMN, "psetcolumn")
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        for sc in items:
            sc.err = U.set_column(cur, _args.integer(sc.columnid, "columnid"),
                                  _args.data(sc.pvData), _args.grbit(sc.grbit),
                                  _args.integer(sc.itagSequence, "itagSequence"),
                                  _args.integer(sc.ibLongValue, "ibLongValue"))


def JetUpdate(sesid: JET_SESID | int, tableid: JET_TABLEID | int) -> bytes:
    """Write the prepared update; returns the record's bookmark. The cursor does not move
    (ESE: an inserted record is not made current). See ``engine.update.do_update``."""
    return JetUpdate2(sesid, tableid, 0)


def JetUpdate2(sesid: JET_SESID | int, tableid: JET_TABLEID | int, grbit: int = 0) -> bytes:
    """``JetUpdate`` with ``JET_bitUpdateCheckESE97Compatibility`` (accepted)."""
    g = _args.grbit(grbit)
    if g & ~C.JET_bitUpdateCheckESE97Compatibility:
        raise_error(C.JET_errInvalidGrbit)
    with session_call(sesid) as session:
        return U.do_update(cursor_for(session, tableid))


def JetDelete(sesid: JET_SESID | int, tableid: JET_TABLEID | int) -> None:
    """Delete the current record; the cursor stays on its position (reads then give
    ``JET_errRecordDeleted``). See ``engine.update.delete_current``."""
    with session_call(sesid) as session:
        U.delete_current(cursor_for(session, tableid))


def _record_for(cur: Any, grbit: int, memo: dict[bool, Any] | None = None) -> Any:
    """The copy buffer (RetrieveCopy with a prepared update) or the current record.

    ``memo`` keeps the record for the rest of one JetRetrieveColumns call, so that every
    column of the call comes from the one record, read once (ESE fldext.cxx
    ErrRECRetrieveColumns reads them all under one latch of the record's page)."""
    copy = bool(grbit & C.JET_bitRetrieveCopy and cur.update is not None)
    if memo is not None and copy in memo:
        return memo[copy]
    rec = U.copy_view(cur) if copy else cur.record_view()
    if memo is not None:
        memo[copy] = rec
    return rec


def _raw_value(rec: Any, columnid: int, itag: int, grbit: int) -> tuple[bytes | None, int]:
    """(stored bytes, VALUE_* flags) of value ``itag``. JET_bitRetrieveIgnoreDefault skips
    the default of a *tagged* column only: ESE's fixed and variable retrieval takes no grbit
    (fldext.cxx ErrRECRetrieveNonTaggedColumn; tagfld.cxx TAGFIELDS::ErrRetrieveColumn)."""
    ignore = bool(grbit & C.JET_bitRetrieveIgnoreDefault) and (columnid & 0xFFFF) >= TAGGED_FIRST
    raw, flags = rec.layout.retrieve_ex(rec.data, columnid, itag, use_default=not ignore)
    return raw, flags


def _read_value(rec: Any, col: Any, itag: int, grbit: int, ib: int,
                cb_max: int | None) -> tuple[bytes | None, int]:
    """(bytes ib .. ib + cb_max of the value, cbActual); a separated long value is read
    chunk by chunk, only the chunks asked for.

    As ESE ``fldext.cxx`` ErrIsamRetrieveColumn / ErrRECRetrieveColumns: ``ib``
    (ibLongValue) applies to long values only (intrinsic, separated or compressed) and
    their cbActual is what is left from ``ib`` (0 when ``ib`` is at or past the end:
    ``lv.cxx`` ErrRECRetrieveSLongField); other columns ignore it and report their size.
    """
    raw, flags = _raw_value(rec, col.columnid, itag, grbit)
    if raw is None:
        return None, 0
    if not col.is_long_value:
        ib = 0
    if flags & VALUE_SEPARATED and not flags & VALUE_ENCRYPTED:
        if rec.lv is None:
            raise_error(C.JET_errLVCorrupted, "separated value without a long-value tree")
        lid = lid_from_bytes(raw)
        size = rec.lv.size(lid)
        if ib >= size:
            return b"", 0
        return rec.lv.read(lid, ib, cb_max), size - ib
    value = rec.get(col.columnid, itag) if flags else raw
    if value is None:
        return None, 0
    end = None if cb_max is None else ib + cb_max
    return value[ib:end], max(len(value) - ib, 0)


def _scan_order(rec: Any, table: Any) -> list[Any]:
    """The table's tagged columns in record order (template columns of a derived table
    first, then by fid), as TAGFIELDS::ErrScan walks them."""
    tagged = [c for c in table.column_list() if c.is_tagged]
    return sorted(tagged, key=lambda c: (not rec.layout.use_derived_bit(c.columnid),
                                         c.columnid & 0xFFFF))


def _scan_tagged(rec: Any, table: Any, n: int, grbit: int) -> tuple[int, int, bool]:
    """Columnid 0 retrieval (tagfld.cxx TAGFIELDS::ErrScan): (columnid, itagSequence,
    explicit NULL) of the record's ``n``-th tagged value, in record order; (0, 0, False)
    past the end. ``n`` 0 counts instead: (0, count, False). A column absent from the
    record counts once for its default unless JET_bitRetrieveIgnoreDefault; an explicit
    NULL (a default overridden) counts only with JET_bitRetrieveNull."""
    use_default = not grbit & C.JET_bitRetrieveIgnoreDefault
    nulls = bool(grbit & C.JET_bitRetrieveNull)
    seen = 0
    for col in _scan_order(rec, table):
        cid = int(col.columnid)
        raw, flags = rec.layout.retrieve_ex(rec.data, cid, 1, use_default=use_default)
        if raw is None:
            if nulls and flags & VALUE_EXPLICIT_NULL:
                seen += 1
                if seen == n:
                    return cid, 1, True
            continue
        count = 1
        if not flags & VALUE_DEFAULT:
            while rec.layout.retrieve_ex(rec.data, cid, count + 1,
                                         use_default=False)[0] is not None:
                count += 1
        if n and seen < n <= seen + count:
            return cid, n - seen, False
        seen += count
    return (0, seen, False) if n == 0 else (0, 0, False)


_FROM_KEY = C.JET_bitRetrieveFromIndex | C.JET_bitRetrieveFromPrimaryBookmark


class _FromIndex:
    """What ESE's ErrRECIRetrieveFromIndex produced: ``fallback`` (errDIRNoShortCircuit:
    read the record, value ``itag``) or the decoded ``value`` and its ``size``; ``itag`` is
    None when it was not computed (the caller's itagSequence stands)."""

    __slots__ = ("fallback", "value", "size", "itag")

    def __init__(self, fallback: bool, value: bytes | None = None, size: int = 0,
                 itag: int | None = None) -> None:
        self.fallback = fallback
        self.value = value
        self.size = size
        self.itag = itag


def _entry_itag(cur: Any, idef: Any, key: bytes, columnid: int) -> int:
    """itagSequence of ``columnid`` in the index entry ``key`` of the current record: the
    record's entries are regenerated and matched against the key (fldext.cxx
    ErrRECIRetrieveFromIndex, ComputeItag). JET_errSecondaryIndexCorrupted if none
    matches."""
    rec = cur.record_view()
    for entry in index_entries(idef, rec.values):
        if entry.key == key:
            return entry.itag_of(columnid)
    raise_error(C.JET_errSecondaryIndexCorrupted, "no record value makes this index entry")


def _from_index(cur: Any, cid: int, g: int, ib: int, limit: int | None) -> _FromIndex:
    """JET_bitRetrieveFromIndex / FromPrimaryBookmark (fldext.cxx ErrRECIRetrieveFromIndex).

    On the clustered index the value is decoded from the primary key (FromIndex and
    FromPrimaryBookmark alike), or read from the record when the cursor is not on an entry
    (a deferred move) or the table has no primary index. On a secondary index FromIndex
    decodes the current entry's key, FromPrimaryBookmark the record's primary key. Text,
    a column after a Unicode column, a possibly truncated key and binary with cbVarSegMac
    fall back to the record; the record's value is then the one *this entry* was made from
    (its itagSequence is recomputed), as it is with JET_bitRetrieveTag.
    """
    if g & C.JET_bitRetrieveFromIndex and g & C.JET_bitRetrieveFromPrimaryBookmark:
        raise_error(C.JET_errInvalidGrbit, "FromIndex with FromPrimaryBookmark")
    if cid & ~COLUMNID_TEMPLATE & 0xFFFF0000 or not 1 <= cid & 0xFFFF <= _FID_MAX:
        raise_error(C.JET_errBadColumnId)
    table = cur.table
    if not cur.on_secondary:
        if cur.state != ON or cur.index is None:
            # ESE: not locOnCurBM, or a sequential table: go to the record, itag 1
            return _FromIndex(True, itag=1)
        ix = cur.index
        g = C.JET_bitRetrieveFromIndex  # ESE strips RetrieveTag on the clustered index
        from_primary = False
    else:
        from_primary = bool(g & C.JET_bitRetrieveFromPrimaryBookmark)
        ix = table.primary_index if from_primary else cur.index
        if ix is None:
            raise_error(C.JET_errColumnNotFound, "a sequential table has no key columns")
    idef = ix.index
    if cid not in {s.column.columnid for s in idef.segments}:
        raise_error(C.JET_errColumnNotFound, "the column is not in the index")
    if normalizer(idef).tuples is not None and idef.segments[0].column.columnid == cid:
        raise_error(C.JET_errIndexTuplesCannotRetrieveFromIndex, "the tuple column")
    col = table.column_by_id(cid)
    cur.resolve_deferred()
    if cur.state != ON:
        raise_error(C.JET_errNoCurrentRecord)
    if from_primary:
        key = cur.bookmark or b""
    else:
        key = cur.entry_key(cur.node_key)
    decoded = column_from_key(idef, key, cid, g)
    multi = bool(col.grbit & C.JET_bitColumnMultiValued)
    if decoded is FALL_BACK_TO_RECORD:
        itag = _entry_itag(cur, cur.index.index, cur.entry_key(cur.node_key), cid) \
            if multi and cur.on_secondary else 1
        return _FromIndex(True, itag=itag)
    assert not isinstance(decoded, FallBackToRecord)
    itag_out: int | None = None
    if g & C.JET_bitRetrieveTag:
        itag_out = 1
        if multi and decoded is not None and cur.on_secondary:
            itag_out = _entry_itag(cur, cur.index.index, cur.entry_key(cur.node_key), cid)
    if decoded is None:
        return _FromIndex(False, None, 0, itag_out)
    if col.is_long_value:
        decoded = decoded[ib:] if ib < len(decoded) else b""
    size = len(decoded)
    value = decoded if limit is None else decoded[:limit]
    return _FromIndex(False, value, size, itag_out)


def JetRetrieveColumn(sesid: JET_SESID | int, tableid: JET_TABLEID | int, columnid: int,
                      grbit: int = 0, pretinfo: Any = None,
                      cbMax: int | None = None) -> bytes | None:
    """A column value of the current record (or of the copy buffer with
    ``JET_bitRetrieveCopy`` when an update is prepared); None is ``JET_wrnColumnNull``.

    ``pretinfo`` (``JET_RETINFO``) selects the ``itagSequence`` (1-based; default 1) and an
    ``ibLongValue`` offset; its ``columnidNextTagged`` is set to the column the value came
    from (ESE sets it to the columnid; with columnid 0, the column found, 0 past the last).
    ``cbMax`` (pyese's stand-in for the C buffer size) bounds the bytes returned: a
    separated long value is then read only as far as needed, so a value of any size can be
    streamed in pieces.

    Columnid 0 returns the record's ``itagSequence``-th tagged value (columns in record
    order, defaults of absent columns included, ESE TAGFIELDS::ErrScan).

    Grbits (ESE fldext.cxx ErrIsamRetrieveColumn):

    * RetrieveCopy: the copy buffer when an update is prepared.
    * RetrieveFromIndex: the value decoded from the current index entry's key (on the
      clustered index, the primary key); the column must be in the index
      (``JET_errColumnNotFound``). Text, columns after a Unicode column, possibly
      truncated keys and binary with cbVarSegMac are read from the record instead, taking
      the multi-value this entry was made from. FromIndex wins over RetrieveCopy. The
      caller's itagSequence is not used; ibLongValue applies to long-value columns only.
    * RetrieveFromPrimaryBookmark: the same from the record's primary key.
    * RetrieveTag: with FromIndex/FromPrimaryBookmark on a secondary index,
      ``pretinfo.itagSequence`` receives the itagSequence of the multi-value the index
      entry was made from (1 for a single-valued column); otherwise no effect.
    * RetrieveNull: with columnid 0, explicit NULLs (a default overridden) are counted
      and returned as None with ``columnidNextTagged`` set (ESE JET_wrnColumnSetNull).
    * RetrieveIgnoreDefault: a tagged column not in the record is NULL, not its default
      (fixed and variable columns are unaffected, as in ESE).

    Errors: ``JET_errInvalidGrbit`` (unknown bits; FromIndex with FromPrimaryBookmark),
    ``JET_errBadColumnId`` (FromIndex with columnid 0 or out of range),
    ``JET_errColumnNotFound``, ``JET_errNoCurrentRecord``, ``JET_errRecordDeleted``,
    ``JET_errBadItagSequence`` (itagSequence < 1 without FromIndex),
    ``JET_errInvalidParameter`` (negative ibLongValue or cbMax),
    ``JET_errIndexTuplesCannotRetrieveFromIndex`` (the tuple column of a tuple index).
    """
    g = _args.grbit(grbit)
    if g & ~RETRIEVE_GRBITS:
        raise_error(C.JET_errInvalidGrbit)
    itag, ib = 1, 0
    cid = _args.integer(columnid, "columnid")
    if pretinfo is not None:
        from pyese.jet.structs import JET_RETINFO

        _args.struct(pretinfo, JET_RETINFO, "pretinfo")
        itag = _args.integer(pretinfo.itagSequence, "itagSequence")
        ib = _args.integer(pretinfo.ibLongValue, "ibLongValue")
    limit = None if cbMax is None else _args.integer(cbMax, "cbMax")
    if ib < 0 or (limit is not None and limit < 0):
        raise_error(C.JET_errInvalidParameter, "negative ibLongValue or cbMax")
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if g & _FROM_KEY:
            got = _from_index(cur, cid, g, ib, limit)
            if got.itag is not None and pretinfo is not None and g & C.JET_bitRetrieveTag:
                pretinfo.itagSequence = got.itag
            if not got.fallback:
                return got.value
            assert got.itag is not None
            itag = got.itag
        value, _size, got_cid, _set_null = _retrieve(cur, cid, g, itag, ib, limit)
        if pretinfo is not None:
            pretinfo.columnidNextTagged = got_cid
        return value


def _retrieve(cur: Any, cid: int, g: int, itag: int, ib: int, limit: int | None,
              memo: dict[bool, Any] | None = None) -> tuple[bytes | None, int, int, bool]:
    """(value, cbActual, columnid retrieved, explicit NULL) from the record or copy
    buffer; columnid 0 scans the tagged columns.

    itagSequence 0 is JET_errBadItagSequence for columnid 0 and for tagged columns (ESE
    ``fldext.cxx`` ErrIsamRetrieveColumn, ``rec.hxx`` ErrRECRetrieveTaggedColumn); fixed
    and variable columns ignore the itagSequence (ErrRECRetrieveNonTaggedColumn takes
    none)."""
    table = cur.table
    if cid == 0:
        if itag < 1:
            raise_error(C.JET_errBadItagSequence)
        rec = _record_for(cur, g, memo)
        cid, itag, set_null = _scan_tagged(rec, table, itag, g)
        if cid == 0 or set_null:
            return None, 0, cid, set_null
        value, size = _read_value(rec, table.column_by_id(cid), itag,
                                  g & ~C.JET_bitRetrieveIgnoreDefault, ib, limit)
        return value, size, cid, False
    col = table.column_by_id(cid)
    if not col.is_tagged:
        itag = 1
    elif itag < 1:
        raise_error(C.JET_errBadItagSequence)
    rec = _record_for(cur, g, memo)
    value, size = _read_value(rec, col, itag, g, ib, limit)
    return value, size, cid, False


def JetRetrieveColumns(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                       pretrievecolumn: Any) -> None:
    """Retrieve several columns (``JET_RETRIEVECOLUMN`` list; ESE fldext.cxx
    ErrRECRetrieveColumns). Each item's ``pvData`` (at most ``cbData`` bytes when given),
    ``cbActual`` (the value's full size), ``columnidNextTagged`` (the column retrieved) and
    ``err`` (0, ``JET_wrnColumnNull``, ``JET_wrnColumnSetNull`` for an explicit NULL found
    by a columnid-0 scan with RetrieveNull, or ``JET_wrnBufferTruncated`` when ``cbData``
    cut the value) are set. ``itagSequence`` 0 asks for the number of values, returned in
    ``itagSequence``: of the column (its default counts as one value), or with columnid 0
    of all tagged values in the record. With RetrieveFromIndex the itagSequence is an
    output: the multi-value the index entry was made from, when it is computed (a record
    fallback, or RetrieveTag). Grbits and errors as :func:`JetRetrieveColumn`, raised for
    the first failing item."""
    from pyese.jet.structs import JET_RETRIEVECOLUMN

    items = _args.struct_list(pretrievecolumn, JET_RETRIEVECOLUMN, "pretrievecolumn")
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        memo: dict[bool, Any] = {}
        for rc in items:
            _retrieve_one(cur, rc, memo)


def _retrieve_one(cur: Any, rc: Any, memo: dict[bool, Any] | None = None) -> None:
    """One JET_RETRIEVECOLUMN item of :func:`JetRetrieveColumns`."""
    g = _args.grbit(rc.grbit)
    if g & ~RETRIEVE_GRBITS:
        raise_error(C.JET_errInvalidGrbit)
    cid = _args.integer(rc.columnid, "columnid")
    itag = _args.integer(rc.itagSequence, "itagSequence")
    ib = _args.integer(rc.ibLongValue, "ibLongValue")
    limit = None if rc.cbData is None else _args.integer(rc.cbData, "cbData")
    if ib < 0 or (limit is not None and limit < 0):
        raise_error(C.JET_errInvalidParameter, "negative ibLongValue or cbData")
    if g & _FROM_KEY:
        got = _from_index(cur, cid, g, ib, limit)
        if got.itag is not None:
            rc.itagSequence = itag = got.itag
        if not got.fallback:
            _fill(rc, got.value, got.size, cid, limit, False)
            return
    if itag == 0:
        rec = _record_for(cur, g, memo)
        if cid == 0:
            rc.itagSequence = _scan_tagged(rec, cur.table, 0, g)[1]
        else:
            cur.table.column_by_id(cid)
            rc.itagSequence = len(rec.values(cid))
        rc.pvData, rc.cbActual, rc.err = None, 0, 0
        rc.columnidNextTagged = cid
        return
    value, size, got_cid, set_null = _retrieve(cur, cid, g, itag, ib, limit, memo)
    _fill(rc, value, size, got_cid, limit, set_null)


def _fill(rc: Any, value: bytes | None, cb_actual: int, cid: int,
          limit: int | None, set_null: bool) -> None:
    rc.columnidNextTagged = cid
    rc.pvData = value
    rc.cbActual = cb_actual if value is not None else 0
    if set_null:
        rc.err = C.JET_wrnColumnSetNull
    elif value is None:
        rc.err = C.JET_wrnColumnNull
    elif limit is not None and cb_actual > limit:
        rc.err = C.JET_wrnBufferTruncated
    else:
        rc.err = 0


def _tag_sequence(value: object) -> list[int]:
    """A JET_ENUMCOLUMNID's ``rgtagSequence``: a list of ints (ESE's ULONG array; anything
    else cannot be expressed in C) -> JET_errInvalidParameter."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise_error(C.JET_errInvalidParameter, "rgtagSequence must be a list of int")
    return [_args.integer(t, "rgtagSequence item") for t in value]


def JetEnumerateColumns(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                        rgEnumColumnId: Any = None, grbit: int = 0) -> list[Any]:
    """The record's column values as ``JET_ENUMCOLUMN`` items (ESE ``fldenum.cxx``).

    Without ``rgEnumColumnId``: every column with a value, in columnid order
    (``JET_bitEnumerateIgnoreDefault`` leaves out values that are only defaults). With it:
    those columns (and, per item, the ``rgtagSequence`` values, or all when empty); a
    column without a value gets ``JET_wrnColumnNull``. An item's ``err`` is
    ``JET_wrnColumnSingleValue`` when ``JET_bitEnumerateCompressOutput`` asks for it and the
    column has one value (then in ``pvData``), else ``JET_wrnColumnPresent`` with
    ``rgEnumColumnValue`` (each value's ``err`` 0). ``JET_bitEnumeratePresenceOnly``
    reports each column with a value as ``JET_wrnColumnPresent`` without its values;
    ``JET_bitEnumerateTaggedOnly`` (without ``rgEnumColumnId``) enumerates only tagged
    columns. ``JET_bitEnumerateCopy`` reads the copy buffer. Errors:
    ``JET_errNoCurrentRecord``, ``JET_errColumnNotFound``, ``JET_errBadItagSequence``.
    """
    from pyese.jet.structs import JET_ENUMCOLUMN, JET_ENUMCOLUMNID, JET_ENUMCOLUMNVALUE

    g = _args.grbit(grbit)
    ids = None
    if rgEnumColumnId is not None:
        ids = _args.struct_list(rgEnumColumnId, JET_ENUMCOLUMNID, "rgEnumColumnId")
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        rec = _record_for(cur, C.JET_bitRetrieveCopy if g & C.JET_bitEnumerateCopy else 0)
        use_default = not g & C.JET_bitEnumerateIgnoreDefault
        table = cur.table
        wanted: list[tuple[int, list[int]]]
        if ids is None:
            # JET_bitEnumerateTaggedOnly: only the tagged columns (ESE fldenum.cxx)
            wanted = [(c.columnid, []) for c in sorted(table.column_list(),
                                                       key=lambda c: c.columnid)
                      if not g & C.JET_bitEnumerateTaggedOnly
                      or c.grbit & C.JET_bitColumnTagged]
        else:
            wanted = [(table.column_by_id(_args.integer(e.columnid, "columnid")).columnid,
                       _tag_sequence(e.rgtagSequence)) for e in ids]
        out: list[Any] = []
        for cid, tags in wanted:
            values: list[tuple[int, bytes]] = []
            n = 1
            while True:
                raw, _fl = rec.layout.retrieve_ex(rec.data, cid, n, use_default=use_default)
                if raw is None:
                    break
                v = rec.get(cid, n)
                values.append((n, v if v is not None else b""))
                n += 1
            if tags:
                for t in tags:
                    if t < 1:
                        raise_error(C.JET_errBadItagSequence)
                values = [(t, v) for t, v in values if t in tags]
            if not values:
                if ids is not None:
                    out.append(JET_ENUMCOLUMN(columnid=cid, err=C.JET_wrnColumnNull))
                continue
            if g & C.JET_bitEnumeratePresenceOnly:
                # ESE fldenum.cxx: the column is reported present, its values not read
                out.append(JET_ENUMCOLUMN(columnid=cid, err=C.JET_wrnColumnPresent))
                continue
            if g & C.JET_bitEnumerateCompressOutput and len(values) == 1 and not tags:
                out.append(JET_ENUMCOLUMN(columnid=cid, err=C.JET_wrnColumnSingleValue,
                                          pvData=values[0][1]))
                continue
            out.append(JET_ENUMCOLUMN(columnid=cid, err=C.JET_wrnColumnPresent,
                                      rgEnumColumnValue=[
                                          JET_ENUMCOLUMNVALUE(itagSequence=t, pvData=v)
                                          for t, v in values]))
        return out


def JetGetRecordSize(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                     grbit: int = 0) -> Any:
    """The current record's size as ``JET_RECSIZE`` (ESE ``recupd.cxx`` ErrIsamGetRecordSize):
    ``cbData`` bytes of column data in the record, ``cbOverhead`` the rest of it,
    ``cbLongValueData`` the separated long values' bytes, ``cbLongValueOverhead`` their
    roots and chunk keys, column counts. ``JET_bitRecordSizeInCopyBuffer`` measures the
    copy buffer, ``JET_bitRecordSizeRunningTotal`` adds to nothing (no in/out struct here).
    Errors: ``JET_errInvalidGrbit``, ``JET_errNoCurrentRecord``, ``JET_errRecordDeleted``."""
    return _record_size(sesid, tableid, grbit, two=False)


def JetGetRecordSize2(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                      grbit: int = 0) -> Any:
    """``JetGetRecordSize`` as ``JET_RECSIZE2`` (pyese writes nothing compressed: the
    compression figures are 0)."""
    return _record_size(sesid, tableid, grbit, two=True)


def _record_size(sesid: Any, tableid: Any, grbit: int, two: bool) -> Any:
    from pyese.jet.structs import JET_RECSIZE, JET_RECSIZE2

    g = _args.grbit(grbit)
    known = (C.JET_bitRecordSizeInCopyBuffer | C.JET_bitRecordSizeRunningTotal
             | C.JET_bitRecordSizeLocal)
    if g & ~known:
        raise_error(C.JET_errInvalidGrbit)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if g & C.JET_bitRecordSizeInCopyBuffer:
            if cur.update is None:
                raise_error(C.JET_errUpdateNotPrepared)
            rec = U.copy_view(cur)
        else:
            rec = cur.record_view()
        size = JET_RECSIZE2() if two else JET_RECSIZE()
        data_bytes = 0
        for col in cur.table.column_list():
            n = 1
            values = 0
            while True:
                raw, flags = rec.layout.retrieve_ex(rec.data, col.columnid, n,
                                                    use_default=False)
                if raw is None:
                    break
                values += 1
                if flags & VALUE_SEPARATED and not g & C.JET_bitRecordSizeLocal:
                    lid = lid_from_bytes(raw)
                    total = rec.lv.size(lid) if rec.lv is not None else 0
                    size.cbLongValueData += total
                    size.cbLongValueOverhead += 8 + 8 * max(1, -(-total // 8000))
                    size.cLongValues += 1
                    data_bytes += len(raw)
                else:
                    data_bytes += len(raw)
                if not col.is_tagged:
                    break
                n += 1
            if values:
                if col.is_tagged:
                    size.cTaggedColumns += 1
                    if values > 1:
                        size.cMultiValues += values
                else:
                    size.cNonTaggedColumns += 1
        size.cbData = data_bytes
        size.cbOverhead = max(0, len(rec.data) - data_bytes) + len(rec.bookmark)
        return size


__all__ = [
    "JetPrepareUpdate",
    "JetSetColumn",
    "JetSetColumns",
    "JetUpdate",
    "JetUpdate2",
    "JetDelete",
    "JetRetrieveColumn",
    "JetRetrieveColumns",
    "JetEnumerateColumns",
    "JetGetRecordSize",
    "JetGetRecordSize2",
]
