"""Hints a client gives ESE about what it will read next: sequential scans and prereads.

ESE uses them to read pages ahead of the cursor (``JetSetTableSequential``) or to bring
the leaf pages of given keys and key ranges into its cache (``JetPrereadKeys``,
``JetPrereadIndexRanges``); none changes what a later call returns.

pyese's trees are in an LMDB file mapped into memory, so the cache that matters is the
operating system's page cache. A preread here walks the B-tree to each key (and through
each range, reading the records and, if asked, their long values) through the session's
view, which faults those pages in, exactly the effect ESE's preread has on its own cache.
The sequential flag is kept per cursor as ESE keeps it on the FUCB (``FUCBSetSequential``);
reading ahead is then the operating system's read-ahead on the mapped file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyese.engine.cursors.cursor import Cursor
from pyese.engine.cursors.handles import AnyCursor
from pyese.engine.cursors.tablescan import RecordView
from pyese.engine.records.keys import KeyBuilder
from pyese.engine.records.longvalue import LongValueReader
from pyese.engine.schema.ddl import seek_node_key
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error


def set_sequential(cur: AnyCursor, grbit: int) -> None:
    """Mark the cursor (any kind: a temporary table's too) as scanning its index
    sequentially (``JET_bitPrereadForward`` / ``JET_bitPrereadBackward`` say which way; 0
    means forward, as ESE's default)."""
    cur.sequential = grbit or C.JET_bitPrereadForward


def reset_sequential(cur: AnyCursor) -> None:
    """Clear the sequential flag (a cursor never set is left as it is)."""
    cur.sequential = 0


def sequential(cur: AnyCursor) -> int:
    """The cursor's sequential direction grbit, 0 when it is not sequential."""
    return int(cur.sequential)


def preread_keys(cur: Cursor, keys: Sequence[bytes]) -> int:
    """Walk the table's primary tree to each primary key (bookmark) in ``keys``, in the
    order given; returns how many were preread (all of them)."""
    view = cur.view()
    tree = view.cursor(cur.table.objid)
    for key in keys:
        tree.seek_ge(key)
    return len(keys)


def _range_key(cur: Cursor, columns: Sequence[Any], grbit: int, end: bool) -> bytes | None:
    """The index key of one end of a JET_INDEX_RANGE on the cursor's current index:
    its columns' values, the last one with a full-column end limit for the end key, or
    (``JET_bitPrereadNormalizedKey``) the normalized key the first column carries."""
    if not columns:
        return None
    builder = KeyBuilder()
    index = cur.index.index if cur.index is not None else None
    if grbit & C.JET_bitPrereadNormalizedKey:
        builder.add(index, columns[0].pv, C.JET_bitNormalizedKey)
        return builder.key
    for i, col in enumerate(columns):
        g = C.JET_bitNewKey if i == 0 else 0
        if end and i == len(columns) - 1:
            g |= C.JET_bitFullColumnEndLimit
        builder.add(index, col.pv, g)
    return builder.key


def preread_index_ranges(cur: Cursor, ranges: Sequence[Any], lv_columns: Sequence[int],
                         grbit: int) -> int:
    """Walk each range of the cursor's current index (start key inclusive, end key
    inclusive), reading every record and the long values of ``lv_columns`` (only their
    first chunk with ``JET_bitPrereadFirstPage``). Returns the number of ranges read."""
    view = cur.view()
    secondary = cur.on_secondary
    tree_objid = cur.index.objid if secondary and cur.index is not None else cur.table.objid
    ix = cur.index.index if cur.index is not None else None
    layout = cur.table.layout
    lv = LongValueReader(view, cur.table.lv_objid)
    for rng in ranges:
        start = _range_key(cur, rng.rgStartColumns, grbit, end=False)
        stop = _range_key(cur, rng.rgEndColumns, grbit, end=True)
        tree = view.cursor(tree_objid)
        node = tree.seek_ge(seek_node_key(ix, start) if secondary and ix and start
                            else (start or b""))
        while node is not None:
            entry_key = cur.entry_key(node[0])
            if stop is not None and entry_key[:len(stop)] > stop:
                break
            bookmark = node[1] if secondary else node[0]
            data = view.get(cur.table.objid, bookmark) if secondary else node[1]
            if data is not None and lv_columns:
                _touch_long_values(layout, data, lv, lv_columns,
                                   bool(grbit & C.JET_bitPrereadFirstPage))
            node = tree.next()
    return len(ranges)


def _touch_long_values(layout: Any, data: bytes, lv: LongValueReader,
                       columnids: Sequence[int], first_page: bool) -> None:
    """Read the long values ``columnids`` of one record, chunk by chunk (only the first
    chunk with ``first_page``)."""
    rec = RecordView(layout, data, lv, b"")
    for columnid in columnids:
        for _chunk in rec.iter_value(columnid, 1):
            if first_page:
                break


def check_lv_columns(cur: Cursor, columnids: Sequence[int]) -> list[int]:
    """The columnids to preread: each a long-value column of the table, else
    JET_errInvalidParameter (JetPrereadIndexRanges rgcolumnidPreread)."""
    table = cur.table
    out = []
    for columnid in columnids:
        col = table.columns.get(columnid)
        if col is None or not col.is_long_value:
            raise_error(C.JET_errInvalidParameter, f"column {columnid} is not a long value")
        out.append(columnid)
    return out


__all__ = [
    "check_lv_columns",
    "preread_index_ranges",
    "preread_keys",
    "reset_sequential",
    "sequential",
    "set_sequential",
]
