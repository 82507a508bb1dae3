"""JET functions that move cursors: indexes, moves, keys, seeks, ranges, bookmarks.

See ``engine.cursor`` for the currency rules ESE keeps and the errors.
"""

from __future__ import annotations

from pyese.engine.cursor import ON, IndexRange, cursor_for
from pyese.engine.gate import session_call
from pyese.jet import _args
from pyese.jet.handles import JET_SESID, JET_TABLEID
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error


def _crow(value: int) -> int:
    n = _args.integer(value, "cRow")
    if n == -0x80000000:
        n = C.JET_MoveFirst  # the signed spelling C code passes
    return n


def JetMove(sesid: JET_SESID | int, tableid: JET_TABLEID | int, cRow: int,
            grbit: int = 0) -> None:
    """Move to the first, last, next or previous entry, or by ``cRow`` entries.

    ``JET_errNoCurrentRecord`` when the move leaves the index or the index range;
    ``JET_bitMoveKeyNE`` skips entries with the current key."""
    g = _args.grbit(grbit)
    if g & ~C.JET_bitMoveKeyNE:
        raise_error(C.JET_errInvalidGrbit)
    n = _crow(cRow)
    with session_call(sesid) as session:
        cursor_for(session, tableid).move(n, g)


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
        cur = cursor_for(session, tableid)
        cur.set_current_index(szIndexName, g)
        if g & C.JET_bitNoMove and itag != 1 and cur.bookmark is not None:
            cur.goto_bookmark(cur.bookmark, itag)


def JetGetCurrentIndex(sesid: JET_SESID | int, tableid: JET_TABLEID | int) -> str:
    """The current index's name ("" for a table without a primary index, on DBK order)."""
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        return cur.index.index.name if cur.index is not None else ""


def JetMakeKey(sesid: JET_SESID | int, tableid: JET_TABLEID | int, pvData: bytes | None,
               grbit: int = 0) -> None:
    """Add a column value to the search key (``JET_bitNewKey`` starts one); see
    ``engine.keys.KeyBuilder.add`` for the limit grbits and errors."""
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        ix = cur.index.index if cur.index is not None else None
        cur.key_builder.add(ix, _args.data(pvData), g)


def JetSeek(sesid: JET_SESID | int, tableid: JET_TABLEID | int, grbit: int) -> int:
    """Seek with the made key; returns 0 or ``JET_wrnSeekNotEqual``.
    ``JET_errKeyNotMade``, ``JET_errRecordNotFound``, ``JET_errInvalidGrbit``."""
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        return cursor_for(session, tableid).seek(g)


def JetSetIndexRange(sesid: JET_SESID | int, tableid: JET_TABLEID | int, grbit: int) -> None:
    """Limit moves to the entries up to (``JET_bitRangeUpperLimit``) or from the made key,
    ``JET_bitRangeInclusive`` including it; ``JET_bitRangeInstantDuration`` only checks;
    ``JET_bitRangeRemove`` removes the range (``JET_errInvalidOperation`` without one).
    ``JET_errKeyNotMade``; ``JET_errNoCurrentRecord`` when the current entry is outside
    (the range is then removed)."""
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if g & C.JET_bitRangeRemove:
            if cur.range is None:
                raise_error(C.JET_errInvalidOperation)
            cur.range = None
            return
        if not cur.key_builder.is_prepared:
            raise_error(C.JET_errKeyNotMade)
        key = cur.key_builder.key
        cur.key_builder.reset()
        rng = IndexRange(key, bool(g & C.JET_bitRangeInclusive),
                         bool(g & C.JET_bitRangeUpperLimit))
        cur.resolve_deferred()
        if cur.state != ON or cur.node_key is None:
            cur.range = None
            raise_error(C.JET_errNoCurrentRecord)
        if not rng.admits(cur.entry_key(cur.node_key)):
            cur.range = None
            cur.park("after" if rng.upper else "before")
            raise_error(C.JET_errNoCurrentRecord)
        cur.range = None if g & C.JET_bitRangeInstantDuration else rng


def JetGetBookmark(sesid: JET_SESID | int, tableid: JET_TABLEID | int) -> bytes:
    """The current record's primary bookmark (even on a secondary index);
    ``JET_errNoCurrentRecord``."""
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        rec = cur.record_view()
        return rec.bookmark


def JetGotoBookmark(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                    pvBookmark: bytes) -> None:
    """Position on the record of a bookmark: ``JET_errInvalidBookmark``,
    ``JET_errRecordDeleted``, ``JET_errNoCurrentRecord`` (not in the current index)."""
    bm = _args.data(pvBookmark, "pvBookmark") or b""
    with session_call(sesid) as session:
        cursor_for(session, tableid).goto_bookmark(bm)


def JetRetrieveKey(sesid: JET_SESID | int, tableid: JET_TABLEID | int, grbit: int = 0) -> bytes:
    """The current entry's normalized key, or with ``JET_bitRetrieveCopy`` the key being
    made. ``JET_errNoCurrentRecord``, ``JET_errKeyNotMade``."""
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if g & C.JET_bitRetrieveCopy:
            return cur.key_builder.key
        cur.record_view()
        assert cur.node_key is not None
        return cur.entry_key(cur.node_key)


def JetIndexRecordCount(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                        crecMax: int = 0) -> int:
    """Entries from the current one to the end of the index or range (at most ``crecMax``
    when not 0). The position is kept; the range is removed (ESE stats.cxx)."""
    limit = _args.integer(crecMax, "crecMax")
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        cur.resolve_deferred()
        if cur.state != ON:
            cur.range = None
            return 0
        saved = (cur.state, cur.node_key, cur.bookmark)
        n = 1
        try:
            while not limit or n < limit:
                try:
                    cur.move(1)
                except Exception:
                    break
                n += 1
        finally:
            cur.state, cur.node_key, cur.bookmark = saved
            cur.range = None
        return n


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
    "JetRetrieveKey",
    "JetIndexRecordCount",
]
