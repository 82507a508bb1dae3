"""JetSetCursorFilter (Windows 8): the records a cursor's moves and seeks may land on
(``pyese.engine.cursors.filters``), and ESE's ``JET_relop*`` operators."""

from __future__ import annotations

from collections.abc import Sequence

from pyese.engine.cursors import filters as engine_filters
from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.instance.gate import session_call
from pyese.jet import _args
from pyese.jet.handles import JET_SESID, JET_TABLEID
from pyese.jet.structs import JET_INDEX_COLUMN

JET_relopEquals = engine_filters.JET_relopEquals
JET_relopPrefixEquals = engine_filters.JET_relopPrefixEquals
JET_relopNotEquals = engine_filters.JET_relopNotEquals
JET_relopLessThanOrEqual = engine_filters.JET_relopLessThanOrEqual
JET_relopLessThan = engine_filters.JET_relopLessThan
JET_relopGreaterThanOrEqual = engine_filters.JET_relopGreaterThanOrEqual
JET_relopGreaterThan = engine_filters.JET_relopGreaterThan
JET_relopBitmaskEqualsZero = engine_filters.JET_relopBitmaskEqualsZero
JET_relopBitmaskNotEqualsZero = engine_filters.JET_relopBitmaskNotEqualsZero


def JetSetCursorFilter(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                       rgColumnFilters: Sequence[JET_INDEX_COLUMN] | None,
                       grbit: int = 0) -> None:
    """Make the cursor's moves and seeks skip the records that fail any of
    ``rgColumnFilters`` (``JET_INDEX_COLUMN``: ``columnid``, ``relop``, ``pv``); None or
    an empty list removes the filter. ``cColumnFilters`` is the list's length.

    Errors: ``JET_errInvalidTableId``; ``JET_errInvalidGrbit`` (grbit is reserved);
    ``JET_errColumnNotFound``; ``JET_errInvalidParameter`` (unknown operator, value of the
    wrong size); ``JET_errFilteredMoveNotSupported`` (a long-value column, a bitmask or
    prefix operator where it does not apply; and later, moving or seeking on a secondary
    index)."""
    g = _args.grbit(grbit)
    filters = [] if rgColumnFilters is None else _args.struct_list(
        rgColumnFilters, JET_INDEX_COLUMN, "rgColumnFilters")
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if hasattr(cur, "vt"):  # temporary tables: ErrIllegalSetCursorFilter
            cur.vt.check(cur, "SetCursorFilter")
        engine_filters.set_filter(cur, filters, g)


__all__ = [
    "JetSetCursorFilter",
    "JET_relopBitmaskEqualsZero",
    "JET_relopBitmaskNotEqualsZero",
    "JET_relopEquals",
    "JET_relopGreaterThan",
    "JET_relopGreaterThanOrEqual",
    "JET_relopLessThan",
    "JET_relopLessThanOrEqual",
    "JET_relopNotEquals",
    "JET_relopPrefixEquals",
]
