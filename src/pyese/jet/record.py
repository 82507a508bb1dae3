"""JET functions for records: updates (``engine.records.update``) and column retrieval
(``engine.cursors.retrieve``).

Values are bytes in ESE's binary form (``docs/api-contract.md``); ``None`` is NULL.
"""

from __future__ import annotations

from itertools import repeat
from operator import attrgetter, is_
from typing import Any

from pyese.engine.cursors import retrieve as R
from pyese.engine.cursors.cursor import Cursor, cursor_for
from pyese.engine.instance.gate import session_call
from pyese.engine.records import update as U
from pyese.jet import _args
from pyese.jet.handles import JET_SESID, JET_TABLEID
from pyese.jet.structs import JET_RETRIEVECOLUMN
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error


def _vt(cur: Any) -> Any:
    """The functions behind the update calls for this cursor (ESE's VTFNDEF): a
    temporary table's cursor carries its own (``engine.temp.ops``)."""
    if cur.__class__ is Cursor:
        return U  # a table cursor (no ``vt``): skip getattr's AttributeError
    return getattr(cur, "vt", U)

RETRIEVE_GRBITS = (
    C.JET_bitRetrieveCopy | C.JET_bitRetrieveFromIndex | C.JET_bitRetrieveFromPrimaryBookmark
    | C.JET_bitRetrieveTag | C.JET_bitRetrieveNull | C.JET_bitRetrieveIgnoreDefault
)


def JetPrepareUpdate(sesid: JET_SESID | int, tableid: JET_TABLEID | int, prep: int) -> None:
    """Start (or cancel) an update of the cursor's copy buffer; see
    ``engine.records.update.prepare_update`` for the kinds and errors."""
    p = _args.integer(prep, "prep")
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        _vt(cur).prepare_update(cur, p)


def JetSetColumn(sesid: JET_SESID | int, tableid: JET_TABLEID | int, columnid: int,
                 pvData: bytes | None, grbit: int = 0, psetinfo: Any = None) -> int:
    """Set a column in the copy buffer; returns 0 or ``JET_wrnColumnMaxTruncated``.

    ``psetinfo`` (``JET_SETINFO``) gives ``itagSequence`` (0 appends a value to a
    multi-valued column) and ``ibLongValue``. See ``engine.records.update.set_column``.
    """
    itag = 1
    ib = 0
    data: bytes | None
    if (grbit.__class__ is int and 0 <= grbit <= 0xFFFFFFFF and psetinfo is None
            and pvData.__class__ is bytes and columnid.__class__ is int):
        # the common call: exactly what the checks below return for it
        g, data, cid = grbit, pvData, columnid
    else:
        g = _args.grbit(grbit)
        if psetinfo is not None:
            from pyese.jet.structs import JET_SETINFO

            _args.struct(psetinfo, JET_SETINFO, "psetinfo")
            itag = _args.integer(psetinfo.itagSequence, "itagSequence")
            ib = _args.integer(psetinfo.ibLongValue, "ibLongValue")
        data = _args.data(pvData)
        cid = _args.integer(columnid, "columnid")
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        return int(_vt(cur).set_column(cur, cid, data, g, itag, ib))


def JetSetColumns(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                  psetcolumn: Any) -> None:
    """Set several columns (``JET_SETCOLUMN`` list); each item's ``err`` is filled."""
    from pyese.jet.structs import JET_SETCOLUMN

    items = _args.struct_list(psetcolumn, JET_SETCOLUMN, "psetcolumn")
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        for sc in items:
            sc.err = _vt(cur).set_column(cur, _args.integer(sc.columnid, "columnid"),
                                  _args.data(sc.pvData), _args.grbit(sc.grbit),
                                  _args.integer(sc.itagSequence, "itagSequence"),
                                  _args.integer(sc.ibLongValue, "ibLongValue"))


def JetUpdate(sesid: JET_SESID | int, tableid: JET_TABLEID | int) -> bytes:
    """Write the prepared update; returns the record's bookmark. The cursor does not move
    (ESE: an inserted record is not made current). See ``engine.records.update.do_update``."""
    return JetUpdate2(sesid, tableid, 0)


def JetUpdate2(sesid: JET_SESID | int, tableid: JET_TABLEID | int, grbit: int = 0) -> bytes:
    """``JetUpdate`` with ``JET_bitUpdateCheckESE97Compatibility`` (accepted)."""
    g = _args.grbit(grbit)
    if g & ~C.JET_bitUpdateCheckESE97Compatibility:
        raise_error(C.JET_errInvalidGrbit)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        return bytes(_vt(cur).do_update(cur))


def JetDelete(sesid: JET_SESID | int, tableid: JET_TABLEID | int) -> None:
    """Delete the current record; the cursor stays on its position (reads then give
    ``JET_errRecordDeleted``). See ``engine.records.update.delete_current``."""
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        _vt(cur).delete_current(cur)


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
    if (grbit.__class__ is int and grbit == 0 and columnid.__class__ is int and columnid
            and pretinfo is None and cbMax is None):
        with session_call(sesid) as session:  # the common case: value 1 of a column
            return R.retrieve_plain(cursor_for(session, tableid), columnid)
    g = _args.grbit(grbit)
    if g & ~RETRIEVE_GRBITS:
        raise_error(C.JET_errInvalidGrbit)
    itag, ib = 1, 0
    cid = _args.integer(columnid, "columnid")
    if not g and pretinfo is None and cbMax is None and cid:
        with session_call(sesid) as session:  # the common case: value 1 of a column
            return R.retrieve_plain(cursor_for(session, tableid), cid)
    if pretinfo is not None:
        from pyese.jet.structs import JET_RETINFO

        _args.struct(pretinfo, JET_RETINFO, "pretinfo")
        itag = _args.integer(pretinfo.itagSequence, "itagSequence")
        ib = _args.integer(pretinfo.ibLongValue, "ibLongValue")
    limit = None if cbMax is None else _args.integer(cbMax, "cbMax")
    if ib < 0 or (limit is not None and limit < 0):
        raise_error(C.JET_errInvalidParameter, "negative ibLongValue or cbMax")
    with session_call(sesid) as session:
        got = R.retrieve_column(cursor_for(session, tableid), cid, g, itag, ib, limit)
    if got.itag is not None and pretinfo is not None and g & C.JET_bitRetrieveTag:
        pretinfo.itagSequence = got.itag
    if pretinfo is not None and not got.from_key:
        pretinfo.columnidNextTagged = got.columnid
    return got.value


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
    if pretrievecolumn.__class__ is list:
        # Checked below: a list read before from this cursor is checked item by item
        # against its plan (each item the very object planned, so a JET_RETRIEVECOLUMN);
        # anything else with the full check, before any item is written. An error of the
        # gate or of the tableid is raised after the list's own (ESE checks the array
        # first), as ever.
        items: list[Any] = pretrievecolumn
        unchecked = True
    else:
        items = _args.struct_list(pretrievecolumn, JET_RETRIEVECOLUMN, "pretrievecolumn")
        unchecked = False
    try:
        entered = session_call(sesid)
    except JetError:
        if unchecked:
            _check_items(items)
        raise
    with entered as session:
        try:
            cur = cursor_for(session, tableid)
        except JetError:
            if unchecked:
                _check_items(items)
            raise
        key = id(pretrievecolumn)
        if unchecked:
            if _fill_planned(cur, items, key):
                return
            _check_items(items)
        sig = list(map(_RC_INPUTS, items))
        # every item a plain read: all read from one decode of the record (None: not so,
        # each item is then checked and read on its own, errors in ESE's order)
        values = R.retrieve_columns(cur, items, sig, key)
        if values is not None:
            for rc, value, inputs in zip(items, values, sig):
                limit = inputs[4]
                _fill(rc, value if value is None or limit is None else value[:limit],
                      len(value) if value is not None else 0, inputs[0], limit, False)
            return
        memo: dict[bool, Any] = {}
        for rc in items:
            _retrieve_one(cur, rc, memo)


def _check_items(items: list[Any]) -> None:
    """``JET_errInvalidParameter`` unless every item is a JET_RETRIEVECOLUMN."""
    if not all(map(isinstance, items, repeat(JET_RETRIEVECOLUMN))):
        _args.struct_list(items, JET_RETRIEVECOLUMN, "pretrievecolumn")


def _fill_planned(cur: Any, items: list[Any], key: int) -> bool:
    """:func:`JetRetrieveColumns` for a list read before from this cursor: fill every
    item from the values of its plan (``retrieve.planned_columns``) and return True, once
    every item is the very object planned and its inputs the very objects read then (so of
    the same type and value). False when there is no plan, an item is another object
    (nothing written), or an input changed (the items before it hold what they would
    anyway): the caller then checks the list and reads it afresh."""
    got = R.planned_columns(cur, key)
    if got is None:
        return False
    planned, inputs, values = got
    if len(planned) != len(items) or not all(map(is_, items, planned)):
        return False
    null, truncated = C.JET_wrnColumnNull, C.JET_wrnBufferTruncated
    for rc, (cid, grbit, itag, ib, limit), value in zip(items, inputs, values):
        if (rc.columnid is not cid or rc.grbit is not grbit or rc.itagSequence is not itag
                or rc.ibLongValue is not ib or rc.cbData is not limit):
            return False
        rc.columnidNextTagged = cid
        if value is None:
            rc.pvData = None
            rc.cbActual = 0
            rc.err = null
        elif limit is None:
            rc.pvData = value
            rc.cbActual = len(value)
            rc.err = 0
        else:
            rc.cbActual = cb = len(value)
            if cb > limit:
                rc.pvData = value[:limit]
                rc.err = truncated
            else:
                rc.pvData = value
                rc.err = 0
    return True


_RC_INPUTS = attrgetter("columnid", "grbit", "itagSequence", "ibLongValue", "cbData")
"""A JET_RETRIEVECOLUMN's inputs."""


def _retrieve_one(cur: Any, rc: Any, memo: dict[bool, Any]) -> None:
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
    got = R.retrieve_column(cur, cid, g, itag, ib, limit, count_values=True, memo=memo)
    if got.itag is not None:
        rc.itagSequence = got.itag
    if got.count is not None:
        rc.itagSequence = got.count
        rc.pvData, rc.cbActual, rc.err = None, 0, 0
        rc.columnidNextTagged = cid
        return
    _fill(rc, got.value, got.size, got.columnid, limit, got.set_null)


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
    wanted = None if ids is None else [
        (_args.integer(e.columnid, "columnid"), _tag_sequence(e.rgtagSequence)) for e in ids]
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        # without a column list: one decode of the record (None: the general path)
        found = R.enumerate_record(cur, g) if wanted is None else None
        if found is None:
            found = [(c.columnid, c.err, c.values)
                     for c in R.enumerate_columns(cur, wanted, g)]
    # The output structures are built field by field (object.__new__ and one store per
    # slot) rather than through the dataclass __init__ with keywords: a SRUM record has
    # ~14 columns of a value or more, and the keyword call was ~0.4 µs a structure,
    # ~2.7x the stores (every slot is set, so the result is the same dataclass value).
    out: list[Any] = []
    append = out.append
    new = object.__new__
    single, present = C.JET_wrnColumnSingleValue, C.JET_wrnColumnPresent
    for cid, err, values in found:
        col = new(JET_ENUMCOLUMN)
        col.columnid = cid
        col.err = err
        col.pvData = None
        if err == single:
            col.rgEnumColumnValue = []
            col.pvData = values[0][1]
        elif err == present:
            vals: list[JET_ENUMCOLUMNVALUE] = []
            for t, v, e in values:
                ev = new(JET_ENUMCOLUMNVALUE)
                ev.itagSequence = t
                ev.err = e
                ev.pvData = None if e else v
                vals.append(ev)
            col.rgEnumColumnValue = vals
        else:
            col.rgEnumColumnValue = []
        append(col)
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
        got = R.record_size(cursor_for(session, tableid), g)
    return JET_RECSIZE2(**got) if two else JET_RECSIZE(**got)


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
