"""Batch inserts: a pyese extension to the JET API (ESE has no such function).

``PyeseInsertRows`` stands for, per row, ``JetPrepareUpdate(JET_prepInsert)``,
``JetSetColumns(row)`` and ``JetUpdate``, in one call through the gate, so that a bulk load
pays the JET layer's cost (argument checks, the gate, the cursor lookup) once per batch
instead of three times per row. Its name does not start with ``Jet`` on purpose: code
written against it does not port to ESE. The engine side is
``engine.records.update.insert_rows``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.instance.gate import session_call
from pyese.engine.records import update as U
from pyese.engine.temp import insert_set_rows
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


__all__ = ["PyeseInsertRows"]
