"""JET functions that give the engine hints, and JetIdle: JetSetTableSequential,
JetResetTableSequential, JetPrereadKeys, JetPrereadIndexRanges (``pyese.engine.cursors.hints``).

Shapes (the signature rule of ``API.md``): ``JetPrereadKeys(sesid, tableid, rgpvKeys,
grbit) -> int`` takes the keys as a list of bytes (``rgcbKeys`` and ``ckeys`` are their
lengths and count) and returns ``pckeysPreread``; ``JetPrereadIndexRanges(sesid, tableid,
rgIndexRanges, rgcolumnidPreread=None, grbit=JET_bitPrereadForward) -> int`` returns
``pcRangesPreread``; ``JetIdle(sesid, grbit) -> int`` returns its warning (0,
``JET_wrnNoIdleActivity`` or ``JET_wrnIdleFull``).
"""

from __future__ import annotations

from collections.abc import Sequence

from pyese.engine.cursors import hints as engine_hints
from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.instance.gate import session_call
from pyese.engine.instance.logservice import storage_of
from pyese.engine.schema import stats as engine_stats
from pyese.jet import _args
from pyese.jet.handles import JET_SESID, JET_TABLEID
from pyese.jet.structs import JET_INDEX_COLUMN, JET_INDEX_RANGE
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

_DIRECTIONS = C.JET_bitPrereadForward | C.JET_bitPrereadBackward
_RANGE_BITS = _DIRECTIONS | C.JET_bitPrereadFirstPage | C.JET_bitPrereadNormalizedKey
_IDLE_BITS = (C.JET_bitIdleCompact | C.JET_bitIdleStatus | C.JET_bitIdleCompactAsync
              | C.JET_bitIdleAvailBuffersStatus | C.JET_bitIdleWaitForAsyncActivity)


def JetSetTableSequential(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                          grbit: int = 0) -> None:
    """Tell the engine the cursor will scan its index sequentially (forward unless
    ``JET_bitPrereadBackward``). ``JET_errInvalidTableId``; ``JET_errInvalidGrbit`` for
    any other bit or for both directions."""
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if g & ~_DIRECTIONS or g == _DIRECTIONS:
            raise_error(C.JET_errInvalidGrbit)
        engine_hints.set_sequential(cur, g)


def JetResetTableSequential(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                            grbit: int = 0) -> None:
    """Undo ``JetSetTableSequential`` (a cursor not set is fine). ``JET_errInvalidTableId``;
    ``JET_errInvalidGrbit`` for any grbit (reserved, 0)."""
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if g:
            raise_error(C.JET_errInvalidGrbit)
        engine_hints.reset_sequential(cur)


def JetPrereadKeys(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                   rgpvKeys: Sequence[bytes] | None, grbit: int) -> int:
    """Bring the records of the primary keys ``rgpvKeys`` (bookmarks, or keys made with
    ``JetMakeKey`` on the primary index) into memory; returns how many were preread.

    Errors, in the order of the Learn reference: ``JET_errInvalidTableId``;
    ``JET_errInvalidGrbit`` unless ``grbit`` is exactly ``JET_bitPrereadForward`` or
    ``JET_bitPrereadBackward``; ``JET_errInvalidParameter`` for no key list;
    ``JET_errInvalidBufferSize`` for an empty key or one longer than ``JET_cbKeyMost``
    (the primary index's cbKeyMost); ``JET_errInvalidParameter`` when the keys are not in
    ascending (Forward) or descending (Backward) ``memcmp`` order."""
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if g not in (C.JET_bitPrereadForward, C.JET_bitPrereadBackward):
            raise_error(C.JET_errInvalidGrbit)
        if not isinstance(rgpvKeys, list | tuple):
            raise_error(C.JET_errInvalidParameter, "rgpvKeys must be a list of keys")
        keys = [_args.data(k, "rgpvKeys") or b"" for k in rgpvKeys]
        primary = cur.table.primary_index
        most = primary.index.cbKeyMost if primary is not None else C.JET_cbBookmarkMost
        for k in keys:
            if not k or len(k) > max(most, C.JET_cbKeyMostMin):
                raise_error(C.JET_errInvalidBufferSize, "key of 0 bytes or over cbKeyMost")
        order = keys if g == C.JET_bitPrereadForward else keys[::-1]
        if any(a > b for a, b in zip(order, order[1:])):
            raise_error(C.JET_errInvalidParameter, "keys are not sorted for the direction")
        return engine_hints.preread_keys(cur, keys)


def JetPrereadIndexRanges(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                          rgIndexRanges: Sequence[JET_INDEX_RANGE] | None,
                          rgcolumnidPreread: Sequence[int] | None = None,
                          grbit: int = C.JET_bitPrereadForward) -> int:
    """Bring the records of key ranges of the cursor's current index into memory (and the
    long values of ``rgcolumnidPreread``, only their first chunk with
    ``JET_bitPrereadFirstPage``); returns how many ranges were preread. Each range's
    ``rgStartColumns`` / ``rgEndColumns`` give key column values (or, with
    ``JET_bitPrereadNormalizedKey``, a normalized key in the first column's ``pv``); an
    empty side is open.

    Errors: ``JET_errInvalidTableId``; ``JET_errInvalidGrbit`` for unknown bits or both
    directions; ``JET_errInvalidParameter`` for no range list, a range side that is not a
    list of ``JET_INDEX_COLUMN`` with bytes values, or a column that is not a long value;
    and ``JetMakeKey``'s errors for a bad column value."""
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if g & ~_RANGE_BITS or g & _DIRECTIONS == _DIRECTIONS:
            raise_error(C.JET_errInvalidGrbit)
        if rgIndexRanges is None:
            raise_error(C.JET_errInvalidParameter, "rgIndexRanges is required")
        ranges = _args.struct_list(rgIndexRanges, JET_INDEX_RANGE, "rgIndexRanges")
        for r in ranges:  # each side a list of JET_INDEX_COLUMN with bytes (or None) in pv
            for side, name in ((r.rgStartColumns, "rgStartColumns"),
                               (r.rgEndColumns, "rgEndColumns")):
                for col in _args.struct_list(side, JET_INDEX_COLUMN, name):
                    _args.data(col.pv, f"{name} pv")
        if rgcolumnidPreread is not None and not isinstance(rgcolumnidPreread, list | tuple):
            raise_error(C.JET_errInvalidParameter, "rgcolumnidPreread must be a list of int")
        columnids = [_args.integer(c, "rgcolumnidPreread") for c in (rgcolumnidPreread or [])]
        lv = engine_hints.check_lv_columns(cur, columnids)
        if g & C.JET_bitPrereadBackward:
            ranges = ranges[::-1]
        return engine_hints.preread_index_ranges(cur, ranges, lv, g)


def JetIdle(sesid: JET_SESID | int, grbit: int = 0) -> int:
    """Idle-time work; returns the warning as ESE does (ME:JetIdleTests).

    0 or ``JET_bitIdleCompact`` (or ``...CompactAsync``, done at once): clean the version
    store; ``JET_wrnNoIdleActivity`` when that freed nothing. ``JET_bitIdleStatus``:
    ``JET_wrnIdleFull`` when the version store is more than half full, else 0.
    ``JET_bitIdleWaitForAsyncActivity``: wait until every commit has reached the
    database files. ``JET_bitIdleAvailBuffersStatus``: pyese has no buffer cache to run
    short, so 0. ``JET_bitIdleFlushBuffers`` (reserved, per the Learn reference),
    ``JET_bitIdleVersionStoreTest`` (ESE's internal test hook) and unknown bits:
    ``JET_errInvalidGrbit``. The session gate's errors first."""
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        if g & ~_IDLE_BITS:
            raise_error(C.JET_errInvalidGrbit)
        result = 0
        if g == 0 or g & (C.JET_bitIdleCompact | C.JET_bitIdleCompactAsync):
            if not engine_stats.idle_cleanup(session):
                result = C.JET_wrnNoIdleActivity
        if g & C.JET_bitIdleWaitForAsyncActivity:
            vs = storage_of(session.instance).vs
            if vs is not None:
                vs.catch_up()
        if g & C.JET_bitIdleStatus:
            result = C.JET_wrnIdleFull if engine_stats.version_store_status(session) else 0
        return result


__all__ = [
    "JetIdle",
    "JetPrereadIndexRanges",
    "JetPrereadKeys",
    "JetResetTableSequential",
    "JetSetTableSequential",
]
