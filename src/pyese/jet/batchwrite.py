"""Batch inserts: a pyese extension to the JET API (ESE has no such function).

``PyeseInsertRows`` stands for, per row, ``JetPrepareUpdate(JET_prepInsert)``,
``JetSetColumns(row)`` and ``JetUpdate``, in one call through the gate, so that a bulk load
pays the JET layer's cost (argument checks, the gate, the cursor lookup) once per batch
instead of three times per row. Its name does not start with ``Jet`` on purpose: code
written against it does not port to ESE. The engine side is
``engine.records.update.insert_rows``.

``PyeseInsertValues`` is the same with rows given as plain values (one per column of a
list given once) instead of ``JET_SETCOLUMN`` structures: the checks of one structure per
column per row cost more than a temporary table's own sort work per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.instance.gate import session_call
from pyese.engine.records import update as U
from pyese.engine.temp import insert_set_rows, insert_values
from pyese.jet import _args
from pyese.jet.handles import JET_COLUMNID, JET_SESID, JET_TABLEID
from pyese.jet.structs import JET_SETCOLUMN
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error


def _items(row: object) -> list[U.SetItem]:
    """One row's JET_SETCOLUMNs as the engine's tuples; JET_errInvalidParameter (or
    JET_errInvalidGrbit for a grbit) for anything malformed."""
    cols = _args.struct_list(row, JET_SETCOLUMN, "rows[i]")
    items: list[U.SetItem] = []
    for sc in cols:
        cid, pv, g = sc.columnid, sc.pvData, sc.grbit
        itag, ib = sc.itagSequence, sc.ibLongValue
        if ((cid.__class__ is int or cid.__class__ is JET_COLUMNID) and pv.__class__ is bytes
                and g.__class__ is int and 0 <= g <= 0xFFFFFFFF and itag.__class__ is int
                and ib.__class__ is int):
            items.append((cid, pv, g, itag, ib))  # the common case: all already checked
        else:  # the checks one by one, in order, for their errors and conversions
            items.append((_args.integer(cid, "columnid"), _args.data(pv), _args.grbit(g),
                          _args.integer(itag, "itagSequence"),
                          _args.integer(ib, "ibLongValue")))
    return items


def PyeseInsertRows(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                    rows: Sequence[Sequence[JET_SETCOLUMN]]) -> list[bytes]:
    """pyese extension: insert one record per item of ``rows`` (each a list of
    ``JET_SETCOLUMN``, read as ``JetSetColumns`` reads it); returns their bookmarks.

    The checks and errors of each row are those of JetPrepareUpdate, JetSetColumns and
    JetUpdate, in that order. On a table the batch is atomic: any error leaves none of
    its rows written and no update prepared (the rows run in one transaction level; at
    level 0 the batch is one transaction, durable per the session's commit default). On
    a temporary table the rows go in one by one and those before a failing row stay.
    Every row is checked for malformed arguments (``JET_errInvalidParameter``) before
    anything is written. ``JET_errAlreadyPrepared`` when the cursor has an update
    prepared. The ``err`` fields of the items are not filled.
    """
    if not isinstance(rows, list | tuple):
        raise_error(C.JET_errInvalidParameter, "rows must be a list of JET_SETCOLUMN lists")
    batch = [_items(row) for row in rows]
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        vt: Any = getattr(cur, "vt", None)
        if vt is not None:
            return insert_set_rows(vt, cur, batch)
        return [bytes(b) for b in U.insert_rows(cur, batch)]


def PyeseInsertValues(sesid: JET_SESID | int, tableid: JET_TABLEID | int,
                      columnids: Sequence[JET_COLUMNID | int],
                      rows: Sequence[Sequence[bytes | None]]) -> int:
    """pyese extension: insert one record per item of ``rows``, each a sequence with one
    value per entry of ``columnids`` (bytes: set as ``JetSetColumn`` with no grbit sets it;
    None: not set, so the column keeps its default or NULL); returns the rows inserted.

    What ``PyeseInsertRows`` does for the same rows given as ``JET_SETCOLUMN``s, with its
    errors in its order and its atomicity (all or none on a table; on a temporary table the
    rows before a failing one stay). A sort being filled takes the bulk path (one encoded
    record and key per row). ``JET_errInvalidParameter`` when ``columnids`` is not a list
    of ints without repeats, a row is not a list or tuple of that length, or a value is
    neither bytes nor None; these are checked before anything is written.
    """
    if not isinstance(columnids, list | tuple) or not isinstance(rows, list | tuple):
        raise_error(C.JET_errInvalidParameter, "columnids and rows must be lists")
    cids = [_args.integer(c, "columnid") for c in columnids]
    if len(set(cids)) != len(cids):
        raise_error(C.JET_errInvalidParameter, "a columnid is repeated")
    width = len(cids)
    for row in rows:
        if not isinstance(row, list | tuple) or len(row) != width:
            raise_error(C.JET_errInvalidParameter,
                        f"each row must be a list of {width} values")
        for v in row:
            if v is not None and v.__class__ is not bytes:
                raise_error(C.JET_errInvalidParameter, "a value must be bytes or None")
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        vt: Any = getattr(cur, "vt", None)
        if vt is not None:
            return insert_values(vt, cur, cids, rows)
        batch = [[(c, v, 0, 1, 0) for c, v in zip(cids, row, strict=True) if v is not None]
                 for row in rows]
        return len(U.insert_rows(cur, batch))


__all__ = ["PyeseInsertRows", "PyeseInsertValues"]
