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

Genuine files. On a genuine ``.edb`` (attached read-only; its view is a
``GenuineSnapshot``) a read on the primary index, without a cursor filter or a
user-defined default, decodes each record in one pass (``engine.genuine.rowdecode``'s
``RowDecoder``, the ``dump`` path's decoder) straight from the tree's nodes, forward a
leaf at a time, instead of a per-column read per row; the range check, parking and the
cursor's final entry are the same (``_read_rows_genuine``). Anything else (a secondary
index, a filter, a current record missing from the tree) takes the general path.
``tests/jet/test_batch_rows_genuine.py`` compares the two on every table of the genuine
samples.

Typed values (``typing``, what ``pyese.jet.PyeseRetrieveValues`` asks for). The same
rows, each value converted by the caller's ``rowdecode.ValueTyping`` (the engine knows
ESE's bytes, not the caller's value types): on a genuine file's primary index the
decoder above is built typed; on pyese's own tables without a cursor filter or a
user-defined default each record is read as ``_read_rows_fast`` reads it and decoded in
one pass by a typed ``RowDecoder`` (``_read_rows_fast_typed``); anywhere else the rows of
stored bytes are converted value by value (``_typed``). Every path gives what
``typing.convert`` makes of the bytes the untyped call returns, shaped the same way.

Locks. None (``currency``): the session's thread alone uses the cursor.
"""

from __future__ import annotations

from collections.abc import Generator
from itertools import islice
from typing import Any

from pyese.engine.cursors import filters
from pyese.engine.cursors.callbacks import user_defined_default
from pyese.engine.cursors.currency import AFTER, BEFORE, DEFERRED, ON
from pyese.engine.cursors.cursor import Cursor
from pyese.engine.cursors.tablescan import RecordView
from pyese.engine.genuine.rowdecode import RowDecoder, ValueTyping, resolver
from pyese.engine.schema.schema import TAGGED_FIRST
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


class _Columns:
    """What a page read needs of the columns asked for, worked out once per table layout
    and columnid list (``_columns``): the ``Plan``, the columns, ``_shapes``; ``whole``:
    a ``RowDecoder`` may decode them (no user-defined default, no column asked twice:
    the decoder reads each column once)."""

    __slots__ = ("plan", "cols", "shapes", "whole")

    def __init__(self, table: Any, plan: Plan) -> None:
        self.plan = plan
        self.cols = [table.column_by_id(cid) for cid, _, _ in plan]
        self.shapes = _shapes(table, plan)
        self.whole = (all(udd is None for _, _, udd in plan)
                      and len({cid for cid, _, _ in plan}) == len(plan))


_COLUMNS: dict[tuple[Any, tuple[int, ...]], _Columns] = {}
"""``_Columns`` per (table layout, columnids) of tables' cursors: a layout is rebuilt on
DDL, so a new one gets its own; bounded (cleared when full)."""
_KEPT = 256


def _columns(cur: Any, columnids: list[int]) -> _Columns:
    """The ``_Columns`` of ``columnids`` on ``cur``'s table (JET_errColumnNotFound), kept
    for a table cursor (``_COLUMNS``), made each time for another kind."""
    if not isinstance(cur, Cursor):
        return _Columns(cur.table, _plan(cur, columnids))
    table = cur.table
    key = (table.layout, tuple(columnids))
    got = _COLUMNS.get(key)
    if got is None:
        got = _Columns(table, _plan(cur, columnids))
        if len(_COLUMNS) >= _KEPT:
            _COLUMNS.clear()
        _COLUMNS[key] = got  # a benign race: an equal entry either way
    return got


def read_rows(cur: Any, columnids: list[int], max_rows: int, *, backward: bool = False,
              bookmarks: bool = False, stay: bool = False,
              typing: ValueTyping | None = None) -> list[Any]:
    """Up to ``max_rows`` rows from the current entry (module docstring).

    Each row is a tuple of the columns' values in ``columnids`` order: bytes, or None for
    NULL; for a multi-valued column a list of its values ([] for NULL). With ``typing``
    (``rowdecode.ValueTyping``) each row is a list and each value what ``typing``'s
    ``convert`` makes of those bytes (module docstring, "Typed values"). With
    ``bookmarks`` the row's primary bookmark comes first (typed: last). Errors, in this order:
    JET_errInvalidParameter (``max_rows`` < 1), JET_errColumnNotFound,
    JET_errNoCurrentRecord (not on an entry), JET_errRecordDeleted (the current record
    has gone), what a conversion raises; a prepared update is cancelled once the cursor
    moves (as ``JetMove`` does).
    """
    if max_rows < 1:
        raise_error(C.JET_errInvalidParameter, "max_rows must be at least 1")
    columns = _columns(cur, columnids)
    plan = columns.plan
    if cur.state == DEFERRED:
        cur.resolve_deferred()
    if cur.state != ON or cur.node_key is None:
        raise_error(C.JET_errNoCurrentRecord)
    if isinstance(cur, Cursor) and not filters.filters_of(cur):
        if not (stay and max_rows == 1):
            leaf_rows = _read_rows_genuine(cur, columns, max_rows, not backward, bookmarks,
                                           stay, typing)
            if leaf_rows is not None:
                return leaf_rows
        if typing is not None and columns.whole:
            return _read_rows_fast_typed(cur, columns, max_rows, not backward, bookmarks,
                                         stay, typing)
        fast = _read_rows_fast(cur, plan, max_rows, not backward, bookmarks, stay)
        return fast if typing is None else _typed(cur, plan, fast, bookmarks, typing)
    if typing is not None:
        return _typed(cur, plan, read_rows(cur, columnids, max_rows, backward=backward,
                                           bookmarks=bookmarks, stay=stay), bookmarks, typing)
    read_page = getattr(cur, "read_page", None)  # an in-memory sort (engine.temp)
    if (read_page is not None and not backward and not bookmarks
            and not filters.filters_of(cur)
            and all(not multi and udd is None for _cid, multi, udd in plan)):
        page: list[tuple[Any, ...]] | None = read_page(columnids, max_rows, stay)
        if page is not None:
            return page
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


def _read_rows_genuine(cur: Cursor, columns: _Columns, max_rows: int, forward: bool,
                       bookmarks: bool, stay: bool, typing: ValueTyping | None = None
                       ) -> list[Any] | None:
    """``read_rows`` on the primary index of a genuine file's table (a ``GenuineSnapshot``
    view), without a cursor filter or a user-defined default: forward the leaves are
    walked a page at a time from the current entry (``EdbTreeCursor.scan``), backward node
    by node (``prev``), and each record decoded in one pass
    (``GenuineSnapshot.row_decoder``), the values shaped as ``_row`` shapes them; the
    range check, parking and where the cursor ends are ``_read_rows_fast``'s (invariants
    1 and 2). None when this path does not apply (the
    caller then takes the general one): another kind of table or index, or the current
    record missing from the tree (``_read_rows_fast`` reports it)."""
    if cur.on_secondary or not columns.whole:
        return None
    view = cur.view()
    row_decoder = getattr(view, "row_decoder", None)
    if row_decoder is None:
        return None
    tcur = cur._cursor()
    scan = getattr(tcur, "scan", None)
    if scan is None:
        return None
    start = cur.node_key
    assert start is not None
    nodes: Generator[tuple[bytes, bytes], None, None] = \
        scan(start) if forward else _backward(tcur, start)
    node = next(nodes, None)
    if node is None or node[0] != start:
        return None  # the current record has gone: the general path raises for it
    table = cur.table
    decode_many = row_decoder(table, columns.cols, typing=typing).values_many
    resolve = resolver(cur._lv_reader())
    cur.update = None  # JetMove cancels a prepared update
    cur._navigated()
    token = cur._read_token()
    rng = cur.range
    check = rng is not None and rng.upper == forward  # as Navigation.move checks
    # the page's nodes first (taken from the walk in one C-level slice), then decoded
    # together; the cursor is set after, so a record that does not decode leaves it
    # where it was
    got = [node, *islice(nodes, max_rows - 1 if stay else max_rows)]
    parked: str | None = None  # where the cursor ends: parked there, or on (key, data)
    left_range = False
    if check:  # the entries after the first must stay in the range (as Navigation.move)
        for i in range(1, len(got)):
            if not rng.admits(got[i][0]):  # type: ignore[union-attr]
                del got[i:]
                parked = AFTER if forward else BEFORE
                left_range = True
                break
    key = data = b""
    if parked is None:
        if len(got) > max_rows:
            key, data = got.pop()  # moved past the last row returned: stop on this entry
        elif stay and len(got) == max_rows:
            key, data = got[-1]  # the cursor stays on the last row returned
        else:
            parked = AFTER if forward else BEFORE  # the walk ran off the index
    keys = [k for k, _ in got]
    rows = _shaped(decode_many([d for _, d in got], resolve), keys, columns.shapes,
                   bookmarks, typing is None)
    if parked is not None:
        if left_range:
            cur.range = None  # a step that leaves the range removes it
        cur.park(parked)
        cur._tcur_at = None
        return rows
    nodes.close()  # the tree cursor stays on the entry it yielded last
    cur.set_on(key, key)
    cur._prime_record(key, data, token)
    cur._tcur_at = key
    return rows


def _shaped(decoded: list[list[Any]], keys: list[bytes],
            shapes: tuple[list[int], list[int]], bookmarks: bool, as_tuples: bool
            ) -> list[Any]:
    """Decoded records (``RowDecoder`` lists) shaped as ``_row`` shapes values
    (``_shapes``), each with its bookmark when ``bookmarks``: tuples with it first (the
    untyped call's rows), else the lists themselves with it last."""
    multis, firsts = shapes
    if multis or firsts:
        for vals in decoded:
            for pos in multis:
                v = vals[pos]
                if v is None:
                    vals[pos] = []
                elif type(v) is not list:
                    vals[pos] = [v]
            for pos in firsts:
                v = vals[pos]
                if type(v) is list:
                    vals[pos] = v[0] if v else None
    if as_tuples:
        if bookmarks:
            return [(key, *vals) for key, vals in zip(keys, decoded, strict=True)]
        return [tuple(vals) for vals in decoded]
    if bookmarks:  # typed rows: the bookmark last (a list's cheap end)
        for key, vals in zip(keys, decoded, strict=True):
            vals.append(key)
    return decoded


def _shapes(table: Any, plan: Plan) -> tuple[list[int], list[int]]:
    """(positions of the multi-valued columns, positions where ``_row`` reads value 1 of
    what ``RowDecoder`` may give as a list) for decoded rows shaped as ``_row`` shapes
    them: a multi-valued column is a list ([] for NULL); a tagged column not multi-valued
    may still hold several values (the decoder then gives their list) and a multi-valued
    fixed or variable one comes as a list: ``_row`` reads value 1 of both."""
    multis = [pos for pos, (_, multi, _) in enumerate(plan) if multi]
    firsts = [pos for pos, (cid, multi, _) in enumerate(plan)
              if not multi and (cid & 0xFFFF) >= TAGGED_FIRST
              or table.column_by_id(cid).grbit & C.JET_bitColumnMultiValued and not multi]
    return multis, firsts


_DECODERS: dict[tuple[Any, tuple[int, ...], Any], RowDecoder] = {}
"""Typed ``RowDecoder``s of pyese's own tables, per (layout, columnids, typing): a layout
is rebuilt on DDL, so a new one gets its own; bounded (cleared when full)."""


def _decoder(table: Any, columns: _Columns, typing: ValueTyping) -> RowDecoder:
    """The typed ``RowDecoder`` of ``columns`` of ``table`` (kept, ``_DECODERS``)."""
    layout = table.layout
    key = (layout, tuple(cid for cid, _, _ in columns.plan), typing)
    got = _DECODERS.get(key)
    if got is None:
        got = RowDecoder(layout, columns.cols, typing=typing)
        if len(_DECODERS) >= _KEPT:
            _DECODERS.clear()
        _DECODERS[key] = got  # a benign race: an equal decoder either way
    return got


def _read_rows_fast_typed(cur: Cursor, columns: _Columns, max_rows: int, forward: bool,
                          bookmarks: bool, stay: bool, typing: ValueTyping
                          ) -> list[list[Any]]:
    """``_read_rows_fast`` with typed values: each record read as there, then decoded in
    one pass by a typed ``RowDecoder`` (the ``dump`` path's decoder) and shaped as
    ``_row`` shapes values; the moves, range checks, parking and where the cursor ends are
    ``_read_rows_fast``'s (invariants 1 and 2). No user-defined default among the
    columns (the caller checks)."""
    table = cur.table
    decode = _decoder(table, columns, typing).values
    multis, firsts = columns.shapes
    resolve = resolver(cur._lv_reader())
    first = cur.record_view()
    rows: list[list[Any]] = []
    append = rows.append
    data = first.data
    bookmark = first.bookmark
    primary = not cur.on_secondary
    token: object = None
    view = cur.view()
    objid = table.objid
    rng = cur.range
    at = cur._tcur_at
    tcur: Any = None
    moved = False
    shape = bool(multis or firsts)
    while True:
        vals = decode(data, resolve)
        if shape:
            _shaped([vals], [], (multis, firsts), False, False)
        if bookmarks:
            vals.append(bookmark)
        append(vals)
        if stay and len(rows) == max_rows:
            if not moved:
                return rows  # the cursor has not moved: still on the row
            break
        if not moved:
            cur.update = None  # JetMove cancels a prepared update
            cur._navigated()
            token = cur._read_token()  # before the reads it guards (currency invariant 7)
            tcur = cur._cursor()
            moved = True
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
    cur._prime_record(bookmark, data, token)
    cur._tcur_at = at
    return rows


def _typed(cur: Any, plan: Plan, rows: list[tuple[Any, ...]], bookmarks: bool,
           typing: ValueTyping) -> list[list[Any]]:
    """Rows of stored bytes (``read_rows``'s other paths) -> the same rows typed, as
    lists: each value through its column's ``typing.convert`` (None stays None, each
    value of a list converted)."""
    table = cur.table
    convs = [typing.convert(table.column_by_id(cid)) for cid, _, _ in plan]
    skip = 1 if bookmarks else 0
    out: list[list[Any]] = []
    for row in rows:
        vals: list[Any] = []
        for conv, v in zip(convs, row[skip:], strict=True):
            if v is None:
                vals.append(None)
            elif type(v) is list:
                vals.append([conv(x) for x in v])
            else:
                vals.append(conv(v))
        if bookmarks:
            vals.append(row[0])  # the bookmark last, as the typed paths put it
        out.append(vals)
    return out


def _backward(tcur: Any, start: bytes) -> Generator[tuple[bytes, bytes], None, None]:
    """(key, data) of the nodes from ``start`` down to the tree's first, one ``prev`` at a
    time; the tree cursor is on the node yielded last."""
    node = tcur.seek_ge(start)
    while node is not None:
        yield node
        node = tcur.prev()
