"""JET functions for records: updates and column retrieval (``engine.update``).

Values are bytes in ESE's binary form (API.md); ``None`` is NULL.
"""

from __future__ import annotations

from typing import Any

from pyese.engine import update as U
from pyese.engine.cursor import cursor_for
from pyese.engine.gate import session_call
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


def JetRetrieveColumn(sesid: JET_SESID | int, tableid: JET_TABLEID | int, columnid: int,
                      grbit: int = 0, pretinfo: Any = None) -> bytes | None:
    """A column value of the current record (or the copy buffer with
    ``JET_bitRetrieveCopy``); None for NULL. ``pretinfo`` (``JET_RETINFO``) selects the
    ``itagSequence`` (1-based) and an ``ibLongValue`` offset; its ``columnidNextTagged``
    is set. Errors: ``JET_errNoCurrentRecord``, ``JET_errRecordDeleted``,
    ``JET_errColumnNotFound``, ``JET_errBadItagSequence``."""
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
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        col = cur.table.column_by_id(cid)
        if itag < 1:
            raise_error(C.JET_errBadItagSequence)
        use_copy = bool(g & C.JET_bitRetrieveCopy) and cur.update is not None
        rec = U.copy_view(cur) if use_copy else cur.record_view()
        if g & C.JET_bitRetrieveIgnoreDefault:
            raw, _flags = rec.layout.retrieve_ex(rec.data, col.columnid, itag,
                                                 use_default=False)
            value = rec.get(col.columnid, itag) if raw is not None else None
        else:
            value = rec.get(col.columnid, itag)
        if pretinfo is not None:
            pretinfo.columnidNextTagged = 0
        if value is None:
            return None
        return value[ib:] if ib else value


def JetRetrieveColumns(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                       pretrievecolumn: Any) -> None:
    """Retrieve several columns (``JET_RETRIEVECOLUMN`` list): each item's ``pvData``,
    ``cbActual`` and ``err`` (0 or ``JET_wrnColumnNull``) are set; itagSequence 0 asks for
    the number of values (in ``itagSequence``)."""
    from pyese.jet.structs import JET_RETRIEVECOLUMN

    for rc in _args.struct_list(pretrievecolumn, JET_RETRIEVECOLUMN, "pretrievecolumn"):
        if rc.itagSequence == 0:
            with session_call(sesid) as session:
                cur = cursor_for(session, tableid)
                rec = cur.record_view()
                rc.itagSequence = len(rec.values(int(rc.columnid)))
                rc.err = 0
            continue
        from pyese.jet.structs import JET_RETINFO

        ri = JET_RETINFO(itagSequence=rc.itagSequence, ibLongValue=rc.ibLongValue)
        value = JetRetrieveColumn(sesid, tableid, rc.columnid, rc.grbit, ri)
        rc.pvData = value
        rc.cbActual = len(value) if value is not None else 0
        rc.err = 0 if value is not None else C.JET_wrnColumnNull


__all__ = [
    "JetPrepareUpdate",
    "JetSetColumn",
    "JetSetColumns",
    "JetUpdate",
    "JetUpdate2",
    "JetDelete",
    "JetRetrieveColumn",
    "JetRetrieveColumns",
]
