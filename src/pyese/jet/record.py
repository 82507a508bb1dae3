"""JET functions for records: updates and column retrieval (``engine.update``).

Values are bytes in ESE's binary form (API.md); ``None`` is NULL.
"""

from __future__ import annotations

from typing import Any

from pyese.engine import update as U
from pyese.engine.cursor import cursor_for
from pyese.engine.gate import session_call
from pyese.engine.record import VALUE_ENCRYPTED, VALUE_SEPARATED, lid_from_bytes
from pyese.jet import _args
from pyese.jet.handles import JET_SESID, JET_TABLEID
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

RETRIEVE_GRBITS = (
    C.JET_bitRetrieveCopy | C.JET_bitRetrieveFromIndex | C.JET_bitRetrieveFromPrimaryBookmark
    | C.JET_bitRetrieveTag | C.JET_bitRetrieveNull | C.JET_bitRetrieveIgnoreDefault
)


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


def _record_for(cur: Any, grbit: int) -> Any:
    """The copy buffer (RetrieveCopy with a prepared update) or the current record."""
    if grbit & C.JET_bitRetrieveCopy and cur.update is not None:
        return U.copy_view(cur)
    return cur.record_view()


def _raw_value(rec: Any, columnid: int, itag: int, grbit: int) -> tuple[bytes | None, int]:
    """(stored bytes, VALUE_* flags) of value ``itag``: defaults skipped with
    JET_bitRetrieveIgnoreDefault."""
    raw, flags = rec.layout.retrieve_ex(
        rec.data, columnid, itag, use_default=not grbit & C.JET_bitRetrieveIgnoreDefault)
    return raw, flags


def _read_value(rec: Any, columnid: int, itag: int, grbit: int, ib: int,
                cb_max: int | None) -> tuple[bytes | None, int]:
    """(bytes ib .. ib + cb_max of the value, its full size); a separated long value is read
    chunk by chunk, only the chunks asked for."""
    raw, flags = _raw_value(rec, columnid, itag, grbit)
    if raw is None:
        return None, 0
    if flags & VALUE_SEPARATED and not flags & VALUE_ENCRYPTED:
        if rec.lv is None:
            raise_error(C.JET_errLVCorrupted, "separated value without a long-value tree")
        lid = lid_from_bytes(raw)
        size = rec.lv.size(lid)
        if ib >= size:
            return b"", size
        return rec.lv.read(lid, ib, cb_max), size
    value = rec.get(columnid, itag) if flags else raw
    if value is None:
        return None, 0
    end = None if cb_max is None else ib + cb_max
    return value[ib:end], len(value)


def _next_tagged(rec: Any, table: Any, columnid: int) -> int:
    """The first tagged column after ``columnid`` with a value in the record (0: none)."""
    for col in sorted(table.column_list(), key=lambda c: c.columnid):
        if col.is_tagged and col.columnid > columnid:
            if rec.layout.retrieve_ex(rec.data, col.columnid, 1, use_default=False)[0] \
                    is not None:
                return int(col.columnid)
    return 0


def _nth_tagged(rec: Any, table: Any, n: int) -> tuple[int, int]:
    """(columnid, itagSequence) of the ``n``-th tagged value of the record (columnid 0
    retrieval, ``fldext.cxx``): values in columnid order, then itagSequence order."""
    for col in sorted(table.column_list(), key=lambda c: c.columnid):
        if not col.is_tagged:
            continue
        count = 0
        while rec.layout.retrieve_ex(rec.data, col.columnid, count + 1,
                                     use_default=False)[0] is not None:
            count += 1
        if n <= count:
            return int(col.columnid), n
        n -= count
    return 0, 0


def JetRetrieveColumn(sesid: JET_SESID | int, tableid: JET_TABLEID | int, columnid: int,
                      grbit: int = 0, pretinfo: Any = None,
                      cbMax: int | None = None) -> bytes | None:
    """A column value of the current record (or of the copy buffer with
    ``JET_bitRetrieveCopy`` when an update is prepared); None is ``JET_wrnColumnNull``.

    ``pretinfo`` (``JET_RETINFO``) selects the ``itagSequence`` (1-based; default 1) and an
    ``ibLongValue`` offset; its ``columnidNextTagged`` is set to the next tagged column
    holding a value (with columnid 0, the column the value came from). ``cbMax`` (pyese's
    stand-in for the C buffer size) bounds the bytes returned: a separated long value is
    then read only as far as needed, so a value of any size can be streamed in pieces.
    Columnid 0 returns the record's ``itagSequence``-th tagged value.

    Grbits: RetrieveCopy, RetrieveFromIndex / RetrieveFromPrimaryBookmark (the value as
    the record holds it, which the key was built from; the column must be in the index),
    RetrieveTag (accepted: the itagSequence is the caller's), RetrieveNull (accepted),
    RetrieveIgnoreDefault (a column not in the record is NULL, not its default).

    Errors: ``JET_errInvalidGrbit`` (unknown bits; FromIndex with FromPrimaryBookmark),
    ``JET_errNoCurrentRecord``, ``JET_errRecordDeleted``, ``JET_errColumnNotFound``,
    ``JET_errBadItagSequence`` (itagSequence < 0, or 0 with a columnid),
    ``JET_errInvalidParameter`` (negative ibLongValue or cbMax),
    ``JET_errNoCurrentIndex`` (FromIndex on the clustered index is allowed; see code).
    """
    g = _args.grbit(grbit)
    if g & ~RETRIEVE_GRBITS:
        raise_error(C.JET_errInvalidGrbit)
    if g & C.JET_bitRetrieveFromIndex and g & C.JET_bitRetrieveFromPrimaryBookmark:
        raise_error(C.JET_errInvalidGrbit, "FromIndex with FromPrimaryBookmark")
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
        value, _size = _retrieve(cur, cid, g, itag, ib, limit, pretinfo)
        return value


def _retrieve(cur: Any, cid: int, g: int, itag: int, ib: int, limit: int | None,
              pretinfo: Any) -> tuple[bytes | None, int]:
    table = cur.table
    if cid == 0:
        if itag < 1:
            raise_error(C.JET_errBadItagSequence)
        rec = _record_for(cur, g)
        cid, itag = _nth_tagged(rec, table, itag)
        if pretinfo is not None:
            pretinfo.columnidNextTagged = cid
        if cid == 0:
            return None, 0
        return _read_value(rec, cid, itag, g, ib, limit)
    col = table.column_by_id(cid)
    if itag < 1:
        raise_error(C.JET_errBadItagSequence)
    if g & (C.JET_bitRetrieveFromIndex | C.JET_bitRetrieveFromPrimaryBookmark):
        ix = table.primary_index if g & C.JET_bitRetrieveFromPrimaryBookmark else \
            getattr(cur, "index", None)
        idef = getattr(ix, "index", None)
        if idef is not None and col.columnid not in {
                s.column.columnid for s in idef.segments}:
            raise_error(C.JET_errColumnNotFound, f"{col.name} is not in the index")
    rec = _record_for(cur, g)
    value, size = _read_value(rec, col.columnid, itag, g, ib, limit)
    if pretinfo is not None:
        pretinfo.columnidNextTagged = _next_tagged(rec, table, col.columnid)
    return value, size


def JetRetrieveColumns(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                       pretrievecolumn: Any) -> None:
    """Retrieve several columns (``JET_RETRIEVECOLUMN`` list). Each item's ``pvData`` (at
    most ``cbData`` bytes when given), ``cbActual`` (the value's full size),
    ``columnidNextTagged`` and ``err`` (0, ``JET_wrnColumnNull``, or
    ``JET_wrnBufferTruncated`` when ``cbData`` cut the value) are set; ``itagSequence`` 0
    asks for the number of values, returned in ``itagSequence`` (``fldext.cxx``). Errors
    as :func:`JetRetrieveColumn`, raised for the first failing item."""
    from pyese.jet.structs import JET_RETINFO, JET_RETRIEVECOLUMN

    items = _args.struct_list(pretrievecolumn, JET_RETRIEVECOLUMN, "pretrievecolumn")
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        for rc in items:
            g = _args.grbit(rc.grbit)
            if g & ~RETRIEVE_GRBITS:
                raise_error(C.JET_errInvalidGrbit)
            cid = _args.integer(rc.columnid, "columnid")
            if rc.itagSequence == 0 and cid != 0:
                rec = _record_for(cur, g)
                cur.table.column_by_id(cid)
                rc.itagSequence = len(rec.values(cid))
                rc.pvData, rc.cbActual, rc.err = None, 0, 0
                continue
            ri = JET_RETINFO(itagSequence=rc.itagSequence, ibLongValue=rc.ibLongValue)
            limit = None if rc.cbData is None else _args.integer(rc.cbData, "cbData")
            value, size = _retrieve(cur, cid, g, int(rc.itagSequence), int(rc.ibLongValue),
                                    limit, ri)
            rc.columnidNextTagged = ri.columnidNextTagged
            rc.pvData = value
            rc.cbActual = size if value is not None else 0
            if value is None:
                rc.err = C.JET_wrnColumnNull
            elif limit is not None and size - rc.ibLongValue > limit:
                rc.err = C.JET_wrnBufferTruncated
            else:
                rc.err = 0


def JetEnumerateColumns(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                        rgEnumColumnId: Any = None, grbit: int = 0) -> list[Any]:
    """The record's column values as ``JET_ENUMCOLUMN`` items (ESE ``fldenum.cxx``).

    Without ``rgEnumColumnId``: every column with a value, in columnid order
    (``JET_bitEnumerateIgnoreDefault`` leaves out values that are only defaults). With it:
    those columns (and, per item, the ``rgtagSequence`` values, or all when empty); a
    column without a value gets ``JET_wrnColumnNull``. An item's ``err`` is
    ``JET_wrnColumnSingleValue`` when ``JET_bitEnumerateCompressOutput`` asks for it and the
    column has one value (then in ``pvData``), else ``JET_wrnColumnPresent`` with
    ``rgEnumColumnValue`` (each value's ``err`` 0). ``JET_bitEnumerateCopy`` reads the copy
    buffer. Errors: ``JET_errNoCurrentRecord``, ``JET_errColumnNotFound``,
    ``JET_errBadItagSequence``.
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
            wanted = [(c.columnid, []) for c in sorted(table.column_list(),
                                                       key=lambda c: c.columnid)]
        else:
            wanted = [(table.column_by_id(int(e.columnid)).columnid, list(e.rgtagSequence))
                      for e in ids]
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
