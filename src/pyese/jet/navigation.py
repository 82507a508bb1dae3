"""JET functions that move cursors: indexes, moves, keys, seeks, ranges, bookmarks.

See ``engine.cursors.cursor`` for the currency rules ESE keeps and the errors.
"""

from __future__ import annotations

from pyese.engine.cursors import filters
from pyese.engine.cursors import retrieve as R
from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.cursors.intersect import intersect_indexes
from pyese.engine.instance.gate import session_call
from pyese.jet import _args
from pyese.jet.handles import JET_SESID, JET_TABLEID
from pyese.jet.structs import JET_INDEXRANGE, JET_RECPOS
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

_LONG_MIN = -0x80000000
_U32 = 0xFFFFFFFF
"""The checks of ``_args.grbit`` / ``_args.data`` are made inline where a call is hot: an
int grbit in range, or a bytes value, is what they return unchanged."""


def _crow(value: int) -> int:
    n = _args.integer(value, "cRow")
    if n == _LONG_MIN:
        n = C.JET_MoveFirst  # the signed spelling C code passes
    return n


def JetMove(sesid: JET_SESID | int, tableid: JET_TABLEID | int, cRow: int,
            grbit: int = 0) -> None:
    """Move to the first, last, next or previous entry, or by ``cRow`` entries.

    ``JET_errNoCurrentRecord`` when the move leaves the index or the index range;
    ``JET_bitMoveKeyNE`` skips entries with the current key."""
    if grbit.__class__ is int and grbit == 0 and cRow.__class__ is int and cRow != _LONG_MIN:
        g, n = 0, cRow  # the common case: what the checks below give, in one test
    else:
        g = _args.grbit(grbit)
        if g & ~C.JET_bitMoveKeyNE:
            raise_error(C.JET_errInvalidGrbit)
        n = _crow(cRow)
    with session_call(sesid) as session:
        filters.move(cursor_for(session, tableid), n, g)


def JetSetCurrentIndex(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                       szIndexName: str | None) -> None:
    """Make an index current (None or "": the primary index), deferred to its first entry."""
    JetSetCurrentIndex4(sesid, tableid, szIndexName, None, C.JET_bitMoveFirst, 1)


def JetSetCurrentIndex2(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                        szIndexName: str | None, grbit: int = C.JET_bitMoveFirst) -> None:
    """``JetSetCurrentIndex`` with ``JET_bitMoveFirst`` or ``JET_bitNoMove``."""
    JetSetCurrentIndex4(sesid, tableid, szIndexName, None, grbit, 1)


def JetSetCurrentIndex3(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                        szIndexName: str | None, grbit: int = C.JET_bitMoveFirst,
                        itagSequence: int = 1) -> None:
    """``JetSetCurrentIndex2`` choosing the multi-value entry with ``itagSequence``."""
    JetSetCurrentIndex4(sesid, tableid, szIndexName, None, grbit, itagSequence)


def JetSetCurrentIndex4(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                        szIndexName: str | None, pindexid: object = None,
                        grbit: int = C.JET_bitMoveFirst, itagSequence: int = 1) -> None:
    """``JetSetCurrentIndex3`` with an index id hint (accepted, the name decides).
    ``JET_errIndexNotFound``; ``JET_errInvalidGrbit`` for bits other than MoveFirst /
    NoMove."""
    g = _args.grbit(grbit)
    if g & ~C.JET_bitNoMove:
        raise_error(C.JET_errInvalidGrbit)
    itag = _args.integer(itagSequence, "itagSequence")
    if szIndexName is not None and not isinstance(szIndexName, str):
        raise_error(C.JET_errInvalidParameter, "szIndexName must be a str or None")
    with session_call(sesid) as session:
        cursor_for(session, tableid).set_current_index(szIndexName, g, itag)


def JetGetCurrentIndex(sesid: JET_SESID | int, tableid: JET_TABLEID | int) -> str:
    """The current index's name ("" for a table without a primary index, on DBK order)."""
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if hasattr(cur, "vt"):  # temporary tables: ErrIllegalGetCurrentIndex
            cur.vt.illegal_info(cur, "JetGetCurrentIndex on a temporary table")
        return cur.index.index.name if cur.index is not None else ""


def JetMakeKey(sesid: JET_SESID | int, tableid: JET_TABLEID | int, pvData: bytes | None,
               grbit: int = 0) -> None:
    """Add a column value to the search key (``JET_bitNewKey`` starts one); see
    ``engine.records.keys.KeyBuilder.add`` for the limit grbits and errors."""
    g = grbit if grbit.__class__ is int and 0 <= grbit <= _U32 else _args.grbit(grbit)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        ix = cur.index.index if cur.index is not None else None
        cur.key_builder.add(ix, pvData if pvData.__class__ is bytes else _args.data(pvData), g)


def JetSeek(sesid: JET_SESID | int, tableid: JET_TABLEID | int, grbit: int) -> int:
    """Seek with the made key; returns 0, ``JET_wrnSeekNotEqual`` or ``JET_wrnUniqueKey``.
    ``JET_errInvalidParameter`` (no seek relation), ``JET_errKeyNotMade``,
    ``JET_errRecordNotFound``; see ``engine.cursors.cursor.Cursor.seek`` for where the cursor
    stands afterwards."""
    g = grbit if grbit.__class__ is int and 0 <= grbit <= _U32 else _args.grbit(grbit)
    with session_call(sesid) as session:
        return filters.seek(cursor_for(session, tableid), g)


def JetSetIndexRange(sesid: JET_SESID | int, tableid: JET_TABLEID | int, grbit: int) -> None:
    """Limit moves to the entries up to (``JET_bitRangeUpperLimit``) or from the made key,
    ``JET_bitRangeInclusive`` including it; ``JET_bitRangeInstantDuration`` only checks;
    ``JET_bitRangeRemove`` removes the range (``JET_errInvalidOperation`` without one).
    ``JET_errKeyNotMade``; ``JET_errNoCurrentRecord`` when the current entry is outside
    (the range is then removed)."""
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        cursor_for(session, tableid).set_index_range(g)


def JetGetBookmark(sesid: JET_SESID | int, tableid: JET_TABLEID | int) -> bytes:
    """The current record's primary bookmark (even on a secondary index);
    ``JET_errNoCurrentRecord``. A record deleted under the cursor still gives its bookmark
    (ESE dir.hxx ErrDIRGetBookmark only checks that the cursor is on a node)."""
    with session_call(sesid) as session:
        return cursor_for(session, tableid).current_bookmark()


def JetGetSecondaryIndexBookmark(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                                 grbit: int = 0) -> tuple[bytes, bytes]:
    """(secondary key, primary bookmark) of the current entry of the current secondary
    index. ``JET_errNoCurrentIndex`` on the primary index, ``JET_errInvalidGrbit`` for any
    grbit, ``JET_errNoCurrentRecord``, ``JET_errRecordDeleted``."""
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if hasattr(cur, "vt"):  # temporary tables: ErrIllegalGetIndexBookmark
            cur.vt.illegal_info(cur, "JetGetSecondaryIndexBookmark on a temporary table")
        return R.secondary_index_bookmark(cur, g)


def JetGotoSecondaryIndexBookmark(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                                  pvSecondaryKey: bytes, pvPrimaryBookmark: bytes | None,
                                  grbit: int = 0) -> None:
    """Position on the secondary-index entry (key, primary bookmark) as returned by
    ``JetGetSecondaryIndexBookmark``. ``JET_errNoCurrentIndex``, ``JET_errInvalidBookmark``,
    ``JET_errRecordDeleted`` (with ``JET_bitBookmarkPermitVirtualCurrency`` the cursor is
    left on a virtual position there), ``JET_errInvalidGrbit`` for other bits."""
    g = _args.grbit(grbit)
    if g & ~C.JET_bitBookmarkPermitVirtualCurrency:
        raise_error(C.JET_errInvalidGrbit)
    key = _args.data(pvSecondaryKey, "pvSecondaryKey") or b""
    bm = _args.data(pvPrimaryBookmark, "pvPrimaryBookmark") or b""
    with session_call(sesid) as session:
        cursor_for(session, tableid).goto_index_bookmark(key, bm, g)


def JetGotoBookmark(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                    pvBookmark: bytes) -> None:
    """Position on the record of a bookmark: ``JET_errInvalidBookmark``,
    ``JET_errRecordDeleted``, ``JET_errNoCurrentRecord`` (not in the current index)."""
    if pvBookmark.__class__ is bytes:
        bm: bytes = pvBookmark  # the common case, one test
    else:
        bm = _args.data(pvBookmark, "pvBookmark") or b""
    with session_call(sesid) as session:
        cursor_for(session, tableid).goto_bookmark(bm)


def JetRetrieveKey(sesid: JET_SESID | int, tableid: JET_TABLEID | int, grbit: int = 0) -> bytes:
    """The current entry's normalized key, or with ``JET_bitRetrieveCopy`` the key being
    made. ``JET_errNoCurrentRecord``, ``JET_errKeyNotMade``."""
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        return R.retrieve_key(cursor_for(session, tableid), g)


def JetIndexRecordCount(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                        crecMax: int = 0) -> int:
    """Entries from the current one to the end of the index or range (at most ``crecMax``
    when not 0), as the session's view sees them; 0 on an empty index. The position is
    kept and the range removed. ``JET_errNoCurrentRecord`` off an entry,
    ``JET_errRecordDeleted`` when the current entry has gone (ESE dir.cxx
    ErrDIRIndexRecordCount)."""
    limit = _args.integer(crecMax, "crecMax")
    with session_call(sesid) as session:
        return cursor_for(session, tableid).index_record_count(limit)


def JetGetRecordPosition(sesid: JET_SESID | int, tableid: JET_TABLEID | int) -> JET_RECPOS:
    """The current entry's position: ``centriesLT`` entries before it of
    ``centriesTotal`` (exact counts; ESE estimates them), ``centriesInRange`` 1.
    ``JET_errNoCurrentRecord``."""
    with session_call(sesid) as session:
        lt, total = cursor_for(session, tableid).record_position()
        return JET_RECPOS(centriesLT=lt, centriesInRange=1, centriesTotal=total)


def JetGotoPosition(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                    precpos: JET_RECPOS) -> None:
    """Go to the entry at fraction ``centriesLT / centriesTotal`` of the current index.
    ``JET_errInvalidParameter`` (not a JET_RECPOS, or LT > Total),
    ``JET_errRecordNotFound`` on an empty index."""
    _args.struct(precpos, JET_RECPOS, "precpos")
    lt = _args.integer(precpos.centriesLT, "centriesLT")
    total = _args.integer(precpos.centriesTotal, "centriesTotal")
    with session_call(sesid) as session:
        cursor_for(session, tableid).goto_position(lt, total)


def JetIntersectIndexes(sesid: JET_SESID | int, rgindexrange: list[JET_INDEXRANGE],
                        grbit: int = 0) -> list[bytes]:
    """The primary bookmarks of the records present in every index range, in bookmark
    order and without duplicates.

    ESE (rec.cxx ErrIsamIntersectIndexes) writes these bookmarks into a temporary table
    and returns a JET_RECORDLIST; pyese returns the list of bookmarks that table would
    hold, in its order. Each JET_INDEXRANGE names a cursor on a secondary index of the
    same table (each a different index), positioned on the first entry of its range; the
    entries from there to the end of the index or of its upper range count. Errors:
    ``JET_errInvalidParameter`` (no ranges, more than 64, a cursor on the primary index,
    cursors on different tables or on the same index), ``JET_errInvalidGrbit`` (a range
    grbit other than ``JET_bitRecordInIndex``), ``JET_errNoCurrentRecord``.
    """
    ranges = _args.struct_list(rgindexrange, JET_INDEXRANGE, "rgindexrange")
    _args.grbit(grbit)
    if not ranges or len(ranges) > 64:
        raise_error(C.JET_errInvalidParameter, "1 to 64 index ranges")
    with session_call(sesid) as session:
        cursors = [cursor_for(session, r.tableid) for r in ranges]
        return intersect_indexes(cursors, [r.grbit for r in ranges])


__all__ = [
    "JetMove",
    "JetSetCurrentIndex",
    "JetSetCurrentIndex2",
    "JetSetCurrentIndex3",
    "JetSetCurrentIndex4",
    "JetGetCurrentIndex",
    "JetMakeKey",
    "JetSeek",
    "JetSetIndexRange",
    "JetGetBookmark",
    "JetGotoBookmark",
    "JetGetSecondaryIndexBookmark",
    "JetGotoSecondaryIndexBookmark",
    "JetGetRecordPosition",
    "JetGotoPosition",
    "JetIntersectIndexes",
    "JetRetrieveKey",
    "JetIndexRecordCount",
]
