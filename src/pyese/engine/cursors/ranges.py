"""Index ranges and what reads through them (ESE rec.cxx ErrIsamSetIndexRange,
ErrIsamIndexRecordCount, ErrRECIInsertBookmarksIntoSort; dir.cxx ErrDIRCheckIndexRange).

An index range (``IndexRange``) is one bound on the current index's keys, upper or lower,
inclusive or not. It is set by JetSetIndexRange or by a SeekEQ with JET_bitSetIndexRange
(``seeks``); moves check it (``navigation``).

Invariants.

1. *Set means checked.* Setting a range checks the current entry (or the virtual seek
   position) at once: outside it, the range is removed, the cursor parked past the bound
   and JET_errNoCurrentRecord raised; with no current entry at all the range is kept and
   JET_errNoCurrentRecord raised, as ESE does. The made key is consumed either way;
   JET_bitRangeInstantDuration removes the range after the check.
2. *Only moves toward the bound end the range*; First, Last, a seek, a new index, a
   bookmark goto or a position remove it; a successful JetIndexRecordCount removes it too.
3. Counting and collecting (``index_record_count``, ``bookmarks_to_end``) read from the
   current entry to the end of the index or of an upper range, and never move the cursor.

Locks. None (``currency``).
"""

from __future__ import annotations

from pyese.engine.cursors.currency import AFTER, BEFORE, DEFERRED, ON, VIRTUAL, IndexRange
from pyese.engine.cursors.seeks import Seeks
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.compiling import mypyc_attr


@mypyc_attr(allow_interpreted_subclasses=True)  # as Cursor, which engine.temp subclasses
class Ranges(Seeks):
    """Index ranges, record counts and bookmark collection (module docstring)."""

    def set_index_range(self, grbit: int) -> None:
        """JetSetIndexRange.

        JET_bitRangeRemove drops the range (JET_errInvalidOperation without one).
        Otherwise: JET_errNoCurrentIndex on a table without a primary index (DBK order),
        JET_errKeyNotMade; the made key becomes the bound (upper with
        JET_bitRangeUpperLimit, inclusive with JET_bitRangeInclusive) and is consumed.
        The current entry (or the virtual seek position) is checked at once: outside the
        range the range is removed, the cursor parked after the last entry (upper) or
        before the first (lower) and JET_errNoCurrentRecord raised; with no current entry
        at all JET_errNoCurrentRecord is raised and the range kept, as ESE does.
        JET_bitRangeInstantDuration removes the range after the check.
        """
        if grbit & C.JET_bitRangeRemove:
            if self.range is None:
                raise_error(C.JET_errInvalidOperation, "no index range to remove")
            self.range = None
            return
        if self.index is None:
            raise_error(C.JET_errNoCurrentIndex)
        if not self.key_builder.is_prepared:
            raise_error(C.JET_errKeyNotMade)
        rng = IndexRange(self.key_builder.key, bool(grbit & C.JET_bitRangeInclusive),
                         bool(grbit & C.JET_bitRangeUpperLimit))
        self.range = rng
        try:
            self.resolve_deferred()
            if self.state == ON:
                assert self.node_key is not None
                current = self.entry_key(self.node_key)
            elif self.state == VIRTUAL:
                current = self.virtual_key or b""
            else:
                raise_error(C.JET_errNoCurrentRecord)
            if not rng.admits(current):
                self.range = None
                self.park(AFTER if rng.upper else BEFORE)
                raise_error(C.JET_errNoCurrentRecord)
        finally:
            self.key_builder.reset()
            if grbit & C.JET_bitRangeInstantDuration:
                self.range = None

    def index_record_count(self, limit: int) -> int:
        """JetIndexRecordCount (ESE rec.cxx ErrIsamIndexRecordCount, dir.cxx
        ErrDIRIndexRecordCount): the entries from the current one (inclusive) onwards, to
        the end of the index or of an upper index range, at most ``limit`` when it is not
        0, as this session's view sees them.

        A deferred move-first on an empty index counts 0. Off an entry (before the first,
        after the last, virtual) JET_errNoCurrentRecord; on an entry that has gone
        (deleted) JET_errRecordDeleted; both keep the range. On success the position is
        kept and the range removed.
        """
        self.resolve_deferred()
        if self.state == DEFERRED:
            return 0
        self.require_entry(present=True)
        assert self.node_key is not None
        view = self.view()
        rng = self.range
        cur = view.cursor(self._tree())
        node = cur.seek_ge(self.node_key)
        n = 0
        while node is not None:
            if n and rng is not None and rng.upper and not rng.admits(self.entry_key(node[0])):
                break
            n += 1
            if n == limit:
                break
            node = cur.next()
        self.range = None
        return n

    # -- intersection (ESE rec.cxx ErrIsamIntersectIndexes) ------------------------------

    def bookmarks_to_end(self) -> list[bytes]:
        """The primary bookmarks of the entries from the current one to the end of the
        index or of an upper index range (ESE ErrRECIInsertBookmarksIntoSort).
        JET_errNoCurrentRecord when not on an entry."""
        self.resolve_deferred()
        if self.state != ON or self.node_key is None:
            raise_error(C.JET_errNoCurrentRecord)
        cur = self.view().cursor(self._tree())
        out: list[bytes] = []
        node = cur.seek_ge(self.node_key)
        rng = self.range
        while node is not None:
            if rng is not None and rng.upper and not rng.admits(self.entry_key(node[0])):
                break
            out.append(self._entry(node)[1])
            node = cur.next()
        return out
