"""JetIntersectIndexes: the records present in every one of several index ranges (ESE
``rec.cxx`` ErrIsamIntersectIndexes).

ESE writes the common primary bookmarks into a temporary table; pyese returns the bookmarks
that table would hold, in its order (bookmark order, no duplicates).
"""

from __future__ import annotations

from pyese.engine.cursors.cursor import Cursor
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error


def intersect_indexes(cursors: list[Cursor], grbits: list[int]) -> list[bytes]:
    """The primary bookmarks common to the ranges of ``cursors`` (one per range, each on a
    secondary index of the same table, positioned on the first entry of its range; the
    entries from there to the end of the index or of its upper range count). ``grbits``:
    each range's grbit. Errors, in ESE's order per range: ``JET_errInvalidParameter`` (a
    cursor on the primary index), ``JET_errInvalidGrbit`` (other than
    ``JET_bitRecordInIndex``), ``JET_errInvalidParameter`` (cursors on different tables or
    on the same index), then ``JET_errNoCurrentRecord``."""
    for i, (grbit, cur) in enumerate(zip(grbits, cursors, strict=True)):
        if not cur.on_secondary:
            raise_error(C.JET_errInvalidParameter, "an index range on the primary index")
        if grbit != C.JET_bitRecordInIndex:
            raise_error(C.JET_errInvalidGrbit)
        for j, other in enumerate(cursors):
            if j == i:
                continue
            if not other.on_secondary:
                raise_error(C.JET_errInvalidParameter, "an index range on the primary")
            if other.table.objid != cur.table.objid or other.db is not cur.db:
                raise_error(C.JET_errInvalidParameter, "indexes of different tables")
            if other.index.objid == cur.index.objid:  # type: ignore[union-attr]
                raise_error(C.JET_errInvalidParameter, "the same index twice")
    common: set[bytes] | None = None
    for cur in cursors:
        found = set(cur.bookmarks_to_end())
        common = found if common is None else common & found
    return sorted(common or ())
