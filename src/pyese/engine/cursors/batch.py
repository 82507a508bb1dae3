"""Batch reads: a page of rows from a cursor in one engine call (a pyese extension).

``read_rows`` is what ``pyese.jet.PyeseRetrieveRows`` does once its arguments are checked:
from the cursor's current entry it reads the values of the columns asked for, moves one
entry (as ``JetMove`` would: forward, or backward with ``backward``), and goes on until it
has ``max_rows`` rows or the move leaves the index or the index range. A Python loop over
rows then pays the JET call, the gate and the argument checks once per page instead of
once per column per row.

Invariants.

1. *The same rows as the JET loop.* The rows, their values and where the cursor ends are
   exactly what a loop of ``JetRetrieveColumn`` (grbit 0, itagSequence 1; every value of a
   multi-valued column) and ``JetMove(JET_MoveNext / JET_MovePrevious)`` gives: the same
   range checks (a step that leaves the range removes it and parks the cursor), the same
   cursor filter (``JetSetCursorFilter``), the same defaults, long values read whole, the
   same navigation marks.
2. *Where the cursor is left.* After the last row returned the cursor has moved once more
   (on the next entry, ready for the next call), unless ``stay``: then it stays on the
   last row returned. When a move leaves the index or the range the cursor is parked (after
   the last entry, or before the first going backward) and the rows read so far are
   returned; the next call gives JET_errNoCurrentRecord.
3. *A record that vanished.* The first row's record gone from the view is
   JET_errRecordDeleted (as ``JetRetrieveColumn`` says); a later one (a level-0 reader
   seeing a delete committed between the index step and the record read) ends the page
   with the cursor on that entry, so the next call reports it.

Locks. None (``currency``): the session's thread alone uses the cursor.
"""

from __future__ import annotations

from typing import Any

from pyese.engine.cursors import filters
from pyese.engine.cursors.callbacks import user_defined_default
from pyese.engine.cursors.currency import AFTER, BEFORE, DEFERRED, ON
from pyese.engine.cursors.cursor import Cursor
from pyese.engine.cursors.tablescan import RecordView
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error

Plan = list[tuple[int, bool, Any]]
"""Per column asked for: (columnid, multi-valued, the column when it has a user-defined
default: JET_bitColumnUserDefinedDefault, else None)."""


def _plan(cur: Any, columnids: list[int]) -> Plan:
    """The columns asked for (``Plan``); JET_errColumnNotFound."""
    table = cur.table
    plan: Plan = []
    for cid in columnids:
        col = table.column_by_id(cid)
        plan.append((cid, bool(col.is_tagged and col.grbit & C.JET_bitColumnMultiValued),
                     col if col.callback is not None else None))
    return plan


def read_rows(cur: Any, columnids: list[int], max_rows: int, *, backward: bool = False,
              bookmarks: bool = False, stay: bool = False) -> list[tuple[Any, ...]]:
    """Up to ``max_rows`` rows from the current entry (module docstring).

    Each row is a tuple of the columns' values in ``columnids`` order: bytes, or None for
    NULL; for a multi-valued column a list of its values ([] for NULL). With ``bookmarks``
    the row's primary bookmark comes first. Errors, in this order: JET_errInvalidParameter
    (``max_rows`` < 1), JET_errColumnNotFound, JET_errNoCurrentRecord (not on an entry),
    JET_errRecordDeleted (the current record has gone); a prepared update is cancelled
    once the cursor moves (as ``JetMove`` does).
    """
    if max_rows < 1:
        raise_error(C.JET_errInvalidParameter, "max_rows must be at least 1")
    plan = _plan(cur, columnids)
    if cur.state == DEFERRED:
        cur.resolve_deferred()
    if cur.state != ON or cur.node_key is None:
        raise_error(C.JET_errNoCurrentRecord)
    if isinstance(cur, Cursor) and not filters.filters_of(cur):
        return _read_rows_fast(cur, plan, max_rows, not backward, bookmarks, stay)
    step = C.JET_MovePrevious if backward else C.JET_MoveNext
    rows: list[tuple[Any, ...]] = []
    while True:
        try:
            rec = cur.record_view()
        except JetError as exc:
            if exc.err != C.JET_errRecordDeleted or not rows:
                raise
            return rows  # invariant 3: the next call reports it
        row = _row(cur, rec, plan, bookmarks)
        rows.append(row)
        if stay and len(rows) == max_rows:
            return rows
        try:
            filters.move(cur, step, 0)  # JetMove's engine call: cursor filters apply
        except JetError as exc:
            if exc.err != C.JET_errNoCurrentRecord:
                raise
            return rows  # left the index or the range: parked (invariant 2)
        if len(rows) == max_rows:
            return rows


def _row(cur: Any, rec: RecordView, plan: Plan, bookmarks: bool) -> tuple[Any, ...]:
    """One row's values (``read_rows``); the cursor is on the row (a user-defined default's
    callback may read it)."""
    data = rec.data
    retrieve = rec.layout.retrieve_ex
    row: list[Any] = [rec.bookmark] if bookmarks else []
    for cid, multi, udd in plan:
        if multi:
            row.append(rec.values(cid))
            continue
        raw, flags = retrieve(data, cid, 1)
        if raw is not None and flags:
            raw = rec.get(cid, 1)  # a default, separated or compressed value
        elif raw is None and udd is not None:
            raw = user_defined_default(cur, udd, None)[0]
        row.append(raw)
    return tuple(row)


def _read_rows_fast(cur: Cursor, plan: Plan, max_rows: int,
                    forward: bool, bookmarks: bool, stay: bool) -> list[tuple[Any, ...]]:
    """``read_rows`` on a table cursor without a filter: the moves of ``Navigation.move``
    (one step from the tree cursor, the range check, parking at the end) taken in one
    loop, each record read once from the view and decoded at once; the cursor is set on
    the entry it ends on (invariants 1 and 2)."""
    rows = [_row(cur, cur.record_view(), plan, bookmarks)]
    if stay and max_rows == 1:
        return rows
    cur.update = None  # JetMove cancels a prepared update
    cur._navigated()
    primary = not cur.on_secondary
    token = cur._read_token()  # before the reads it guards (currency invariant 7)
    view = cur.view()
    objid = cur.table.objid
    layout = cur.table.layout
    lv = cur._lv_reader()
    rng = cur.range
    at = cur._tcur_at
    tcur = cur._cursor()
    node: tuple[bytes, bytes] | None = None
    while True:
        node = cur._step(tcur, forward, False, at)
        if node is None:
            cur.park(AFTER if forward else BEFORE)
            return rows
        at = node[0]
        if rng is not None and rng.upper == forward and not rng.admits(cur.entry_key(at)):
            cur.range = None
            cur.park(AFTER if rng.upper else BEFORE)
            return rows
        bookmark = at if primary else node[1]
        cur.set_on(at, bookmark)  # the next step starts here
        if primary:
            data = node[1]
        else:
            got = view.get(objid, bookmark)
            if got is None:  # invariant 3: the cursor stays on it, the next call reports
                cur._tcur_at = at
                return rows
            data = got
        if len(rows) == max_rows:
            break  # moved past the last row returned: stop on this entry
        rows.append(_row(cur, RecordView(layout, data, lv, bookmark), plan, bookmarks))
        if stay and len(rows) == max_rows:
            break
    cur._prime_record(bookmark, data, token)
    cur._tcur_at = at
    return rows
