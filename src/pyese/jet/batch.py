"""pyese extension: ``PyeseRetrieveRows``, a page of rows in one call.

Not an ESE function (ESE has none like it; its names start ``Jet``): a pyese addition for
Python callers, who pay for every call. It reads what a loop of ``JetRetrieveColumn`` and
``JetMove`` reads, a page of rows per call (``engine.cursors.batch``).
"""

from __future__ import annotations

from typing import Any

from pyese.engine.cursors.batch import read_rows
from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.instance.gate import session_call
from pyese.jet import _args
from pyese.jet.handles import JET_SESID, JET_TABLEID
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

__all__ = ["PyeseRetrieveRows", "Pyese_bitRowsBackward", "Pyese_bitRowsBookmark",
           "Pyese_bitRowsStay"]

Pyese_bitRowsBackward = 0x1
"""Move backward (``JET_MovePrevious``) between rows instead of forward."""
Pyese_bitRowsBookmark = 0x2
"""Put each row's primary bookmark (``JetGetBookmark``) first in its tuple."""
Pyese_bitRowsStay = 0x4
"""Leave the cursor on the last row returned instead of moving past it."""

_ROWS_BITS = Pyese_bitRowsBackward | Pyese_bitRowsBookmark | Pyese_bitRowsStay


def PyeseRetrieveRows(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                      columnids: list[int] | tuple[int, ...], max_rows: int,
                      grbit: int = 0) -> list[tuple[Any, ...]]:
    """pyese extension: up to ``max_rows`` rows from the cursor's current entry.

    Reads the current row, moves one entry (as ``JetMove(JET_MoveNext)``, or
    ``JET_MovePrevious`` with ``Pyese_bitRowsBackward``), reads that row, and so on, in one
    call. Each row is a tuple with one item per column of ``columnids``, in that order:
    the value's bytes, or None for NULL, as ``JetRetrieveColumn`` with grbit 0 gives it
    (defaults applied, long values read whole); for a multi-valued column a list of every
    value (``[]`` for NULL). With ``Pyese_bitRowsBookmark`` the row's primary bookmark
    comes first.

    Where the cursor is left: on the entry after the last row returned (so the next call
    continues), or with ``Pyese_bitRowsStay`` on the last row returned. The index range
    set by ``JetSetIndexRange`` and the cursor filter apply exactly as to ``JetMove``: when
    a move leaves the index or the range, the rows read so far are returned (fewer than
    ``max_rows``, maybe exactly ``max_rows``), the range is removed and the cursor parked
    after the last entry (before the first going backward); the next call then raises
    ``JET_errNoCurrentRecord``. A prepared update is cancelled once the cursor moves.

    Works on every table a cursor can be opened on, genuine ``.edb`` files attached
    read-only included. Reads see what ``JetRetrieveColumn`` sees: the transaction's
    snapshot, or at level 0 the latest committed state, on one read snapshot for the call.

    Errors, in this order: ``JET_errInvalidGrbit`` (bits other than the three),
    ``JET_errInvalidParameter`` (``columnids`` not a list of ints, ``max_rows`` not an
    int or < 1), the session's and handle's errors (``JET_errInvalidSesid``,
    ``JET_errInvalidTableId``), ``JET_errColumnNotFound``, ``JET_errNoCurrentRecord`` (the
    cursor is not on an entry), ``JET_errRecordDeleted`` (the current record has gone; a
    record that goes between two rows of the page ends the page on it instead, so the next
    call reports it).
    """
    g = _args.grbit(grbit)
    if g & ~_ROWS_BITS:
        raise_error(C.JET_errInvalidGrbit)
    if not isinstance(columnids, list | tuple):
        raise_error(C.JET_errInvalidParameter, "columnids must be a list of columnids")
    cids = [_args.integer(c, "columnid") for c in columnids]
    n = _args.integer(max_rows, "max_rows")
    if n < 1:
        raise_error(C.JET_errInvalidParameter, "max_rows must be at least 1")
    with session_call(sesid) as session:
        return read_rows(cursor_for(session, tableid), cids, n,
                         backward=bool(g & Pyese_bitRowsBackward),
                         bookmarks=bool(g & Pyese_bitRowsBookmark),
                         stay=bool(g & Pyese_bitRowsStay))
