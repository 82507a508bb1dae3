"""pyese extensions: ``PyeseRetrieveRows`` and ``PyeseRetrieveValues``, a page of rows
in one call.

Not ESE functions (ESE has none like them; its names start ``Jet``): pyese additions for
Python callers, who pay for every call. They read what a loop of ``JetRetrieveColumn``
and ``JetMove`` reads, a page of rows per call (``engine.cursors.batch``):
``PyeseRetrieveRows`` as stored bytes, ``PyeseRetrieveValues`` as the caller's typed
values (the read counterpart of ``PyeseInsertValues``).
"""

from __future__ import annotations

from typing import Any

from pyese.engine.cursors.batch import read_rows
from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.genuine.rowdecode import ValueTyping
from pyese.engine.instance.gate import session_call
from pyese.jet import _args
from pyese.jet.handles import JET_SESID, JET_TABLEID
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

__all__ = ["PyeseRetrieveRows", "PyeseRetrieveValues", "Pyese_bitRowsBackward",
           "Pyese_bitRowsBookmark", "Pyese_bitRowsStay"]

Pyese_bitRowsBackward = 0x1
"""Move backward (``JET_MovePrevious``) between rows instead of forward."""
Pyese_bitRowsBookmark = 0x2
"""Put each row's primary bookmark (``JetGetBookmark``) first in its tuple."""
Pyese_bitRowsStay = 0x4
"""Leave the cursor on the last row returned instead of moving past it."""

_ROWS_BITS = Pyese_bitRowsBackward | Pyese_bitRowsBookmark | Pyese_bitRowsStay



def _rows_args(columnids: Any, max_rows: Any, grbit: Any) -> tuple[int, list[int], int]:
    """The checked (grbit, columnids, max_rows) of ``PyeseRetrieveRows`` and
    ``PyeseRetrieveValues``, with their errors in order: ``JET_errInvalidGrbit``, then
    ``JET_errInvalidParameter`` for the columnids and for ``max_rows``."""
    g = _args.grbit(grbit)
    if g & ~_ROWS_BITS:
        raise_error(C.JET_errInvalidGrbit)
    if not isinstance(columnids, list | tuple):
        raise_error(C.JET_errInvalidParameter, "columnids must be a list of columnids")
    cids = [_args.integer(c, "columnid") for c in columnids]
    n = _args.integer(max_rows, "max_rows")
    if n < 1:
        raise_error(C.JET_errInvalidParameter, "max_rows must be at least 1")
    return g, cids, n


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
    g, cids, n = _rows_args(columnids, max_rows, grbit)
    with session_call(sesid) as session:
        return read_rows(cursor_for(session, tableid), cids, n,
                         backward=bool(g & Pyese_bitRowsBackward),
                         bookmarks=bool(g & Pyese_bitRowsBookmark),
                         stay=bool(g & Pyese_bitRowsStay))


def PyeseRetrieveValues(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                        columnids: list[int] | tuple[int, ...], max_rows: int,
                        typing: ValueTyping, grbit: int = 0) -> list[list[Any]]:
    """pyese extension: ``PyeseRetrieveRows`` with typed values.

    The same rows, the same cursor movement, range handling, grbits and errors as
    :func:`PyeseRetrieveRows`, but each row is a list, with ``Pyese_bitRowsBookmark``
    the row's bookmark *last* (after the values: appended, not shifted in; ``zip`` with
    the column names stops before it), and each value (not None) is what ``typing``
    makes of the bytes ``PyeseRetrieveRows`` would return: ``typing`` is an
    ``engine.genuine.rowdecode.ValueTyping``, an object whose ``convert(column)`` gives a
    function ``bytes -> value`` for a column (its ``coltyp``, ``cp``, ``grbit``) and whose
    ``fixed_code(column)`` gives, for a fixed column ``struct`` can read directly, its
    format code and a conversion of what ``struct`` gives (or None). For example
    ``pyese.typedvalues.PYTHON_VALUES`` gives ``pyese.values.to_python``'s values. A
    record is then decoded in one pass (the ``dump`` command's decoder), not value by
    value: a Python caller pays neither a call per value nor the bytes in between.

    Errors: :func:`PyeseRetrieveRows`'s, in its order, with ``JET_errInvalidParameter``
    also for a ``typing`` without callable ``convert`` and ``fixed_code`` (checked after
    ``max_rows``, before the session); and what a conversion raises.
    """
    g, cids, n = _rows_args(columnids, max_rows, grbit)
    if not (callable(getattr(typing, "convert", None))
            and callable(getattr(typing, "fixed_code", None))):
        raise_error(C.JET_errInvalidParameter,
                    "typing must have convert(column) and fixed_code(column)")
    with session_call(sesid) as session:
        return read_rows(cursor_for(session, tableid), cids, n,
                         backward=bool(g & Pyese_bitRowsBackward),
                         bookmarks=bool(g & Pyese_bitRowsBookmark),
                         stay=bool(g & Pyese_bitRowsStay), typing=typing)
