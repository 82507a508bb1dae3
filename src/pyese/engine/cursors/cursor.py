"""Cursors on tables (ESE's FUCB: ``fucb.hxx``; navigation in ``rec.cxx``, ``dir.cxx``).

A cursor belongs to one session and one table. ``Cursor`` is built from one module per
responsibility, each with its invariants at its top::

    currency     Currency: table, current index, currency state (DEFERRED, BEFORE, AFTER,
                 ON, VIRTUAL), level marks and what commit / rollback do to them; IndexRange
    navigation   Navigation(Currency): index-key primitives, JetMove, positions,
                 JetSetCurrentIndex, JetGotoBookmark, JetGotoSecondaryIndexBookmark
    seeks        Seeks(Navigation): JetSeek
    ranges       Ranges(Seeks): JetSetIndexRange, JetIndexRecordCount, the bookmarks an
                 intersection collects
    cursor       Cursor(Ranges): handles (JET_TABLEID), JetOpenTable, JetCloseTable

One line of single inheritance (the compiled build makes these native classes, which
may have one base: ``docs/compiled.md``). Each layer owns the fields ``Currency.__init__``
creates for it and uses only what the layers below give; the cursor's state lives on
the one object, as in ESE's FUCB, including what other modules keep per cursor (its
filter, sequential flag and local storage: ``Currency.__init__``).

The handles live in ``CURSORS`` (module ``handles``, kept uncompiled, re-exported here):
``cursor_for(session, tableid)`` gives
``JET_errInvalidTableId`` for an unknown, closed or foreign handle (ESE
``ErrFUCBFromTableid``). Handles are never reused. A cursor joins its FCB's cursor set
(table locks: DenyRead / DenyWrite, ``open_cursor``) and its session's listeners (level
closers, commit and rollback) when registered, and leaves them when closed.

Locks. ``handles._lock`` guards ``CURSORS`` and the handle counter; ``fcb.lock``
guards ``fcb.cursors`` (and the table-lock check with it); never both at once. A cursor's
own fields need none: its session's thread alone uses it (``currency``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyese.engine.cursors import handles
from pyese.engine.cursors.currency import AFTER, BEFORE, DEFERRED, ON, VIRTUAL, IndexRange
from pyese.engine.cursors.handles import _ids, _lock
from pyese.engine.cursors.ranges import Ranges
from pyese.engine.instance.session import Session
from pyese.engine.schema.ddl import check_name
from pyese.engine.schema.fcb import catalog_of
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.compiling import mypyc_attr

__all__ = ["AFTER", "BEFORE", "CLOSE_HOOKS", "CURSORS", "DEFERRED", "ON", "VIRTUAL", "Cursor",
           "IndexRange", "cursor_for", "open_cursor"]

@mypyc_attr(allow_interpreted_subclasses=True)  # engine.temp's MaterializedCursor
class Cursor(Ranges):
    """One open table of one session (see the module docstring)."""

    # -- handles -------------------------------------------------------------------------

    def register(self) -> int:
        with _lock:
            self.tableid = next(_ids)
            CURSORS[self.tableid] = self
        with self.fcb.lock:
            self.fcb.cursors.add(self)
        closers = self.session.level_closers
        if closers:
            closers[-1].append(self.close)
        self.session.end_closers.append(self.close)
        self.session.rollback_listeners.append(self._after_rollback)
        self.session.commit_listeners.append(self._after_commit)
        return self.tableid

    def close(self) -> None:
        """JetCloseTable: forget the handle (a prepared update is cancelled)."""
        if self.closed:
            return
        self.closed = True
        self.update = None
        try:
            self.session.rollback_listeners.remove(self._after_rollback)
        except ValueError:
            pass
        try:
            self.session.commit_listeners.remove(self._after_commit)
        except ValueError:
            pass
        with _lock:
            CURSORS.pop(self.tableid, None)
        with self.fcb.lock:
            self.fcb.cursors.discard(self)
        for hook in CLOSE_HOOKS:
            hook(self)


CURSORS: dict[int, Cursor] = handles.CURSORS
"""tableid -> open cursor (``handles.CURSORS``; a temporary table's ``SortCursor`` too)."""
CLOSE_HOOKS: list[Callable[[Cursor], None]] = handles.CLOSE_HOOKS
"""Run when a cursor closes (engine.cursors.callbacks frees its local storage here)."""
cursor_for: Callable[[Session, object], Cursor] = handles.cursor_for
"""``handles.cursor_for``: the open cursor ``tableid`` of ``session``;
JET_errInvalidTableId otherwise (an interpreted function, so that the ``SortCursor`` it
may give is not refused as a ``Cursor``)."""


def open_cursor(session: Session, db: Any, name: str, grbit: int) -> Cursor:
    """JetOpenTable: a cursor on the named table, deferred to its first record.

    JET_errObjectNotFound (no such table in the session's view), JET_errTableLocked (a
    cursor of another session has it DenyRead, or DenyWrite when opening for write... as
    ESE: DenyRead excludes every other cursor, DenyWrite excludes other writers),
    JET_errTableInUse (DenyRead/DenyWrite asked while another session has it open).
    """
    name = check_name(name)
    dc = catalog_of(db)
    table = dc.table(session, name)
    cur = Cursor(session, db, table, grbit)
    fcb = cur.fcb
    with fcb.lock:
        others = [c for c in fcb.cursors if c.session is not session]
        for other in others:
            if other.grbit & C.JET_bitTableDenyRead:
                raise_error(C.JET_errTableLocked, name)
            if other.grbit & C.JET_bitTableDenyWrite and not grbit & C.JET_bitTableReadOnly:
                raise_error(C.JET_errTableLocked, name)
        if others and grbit & C.JET_bitTableDenyRead:
            raise_error(C.JET_errTableInUse, name)
        if grbit & C.JET_bitTableDenyWrite and any(
                not c.grbit & C.JET_bitTableReadOnly for c in others):
            raise_error(C.JET_errTableInUse, name)
    cur.register()
    return cur
