"""Cursor filters (JetSetCursorFilter, Windows 8): moves and seeks skip the records that
do not satisfy every filter of the cursor.

A filter is a column, a relational operator (``JET_RELOP``) and a value in the column's
binary form. Values compare as the column's type: integers as signed or unsigned
integers of their width, floats and date-times as doubles, text and binary columns byte
by byte (``PrefixEquals`` tests a prefix), GUIDs byte by byte; the two bitmask operators
AND the value with the column's. A NULL column satisfies only ``NotEquals``.

The filter stays on the cursor until replaced or cleared (an empty list). Moves
(``JetMove``) step over records that fail it, counting only the records that pass; a
move that runs out of records gives ``JET_errNoCurrentRecord`` and leaves the cursor
where the unfiltered move would (after the last, or before the first, record). A seek
that lands on a failing record goes on in the seek's direction (forward for EQ/GE/GT,
backward for LE/LT); one that finds no passing record gives ``JET_errRecordNotFound``.
As in ESE, a filtered move or seek on a secondary index gives
``JET_errFilteredMoveNotSupported`` (ME:FilteredDmlCurrencyTests).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pyese.engine.cursors.cursor import ON, Cursor
from pyese.engine.cursors.handles import AnyCursor
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error

# JET_RELOP (jethdr.w, an enum: not among the generated constants)
JET_relopEquals = 0
JET_relopPrefixEquals = 1
JET_relopNotEquals = 2
JET_relopLessThanOrEqual = 3
JET_relopLessThan = 4
JET_relopGreaterThanOrEqual = 5
JET_relopGreaterThan = 6
JET_relopBitmaskEqualsZero = 7
JET_relopBitmaskNotEqualsZero = 8

_FORMATS = {
    C.JET_coltypBit: "<B", C.JET_coltypUnsignedByte: "<B", C.JET_coltypShort: "<h",
    C.JET_coltypUnsignedShort: "<H", C.JET_coltypLong: "<i", C.JET_coltypUnsignedLong: "<I",
    C.JET_coltypLongLong: "<q", C.JET_coltypUnsignedLongLong: "<Q",
    C.JET_coltypCurrency: "<q", C.JET_coltypIEEESingle: "<f", C.JET_coltypIEEEDouble: "<d",
    C.JET_coltypDateTime: "<d",
}
_INTEGER = {C.JET_coltypBit, C.JET_coltypUnsignedByte, C.JET_coltypShort,
            C.JET_coltypUnsignedShort, C.JET_coltypLong, C.JET_coltypUnsignedLong,
            C.JET_coltypLongLong, C.JET_coltypUnsignedLongLong, C.JET_coltypCurrency}
_LONG_VALUES = {C.JET_coltypLongText, C.JET_coltypLongBinary}


@dataclass(frozen=True)
class Filter:
    columnid: int
    coltyp: int
    relop: int
    value: bytes




def set_filter(cur: Cursor, filters: Sequence[Any], grbit: int) -> None:
    """JetSetCursorFilter: JET_errInvalidGrbit for any grbit; for each JET_INDEX_COLUMN,
    JET_errColumnNotFound for an unknown column, JET_errInvalidParameter for an unknown
    operator or a value of the wrong size, JET_errFilteredMoveNotSupported for a long-value
    column or a bitmask / prefix operator on a column it does not apply to. An empty list
    clears the filter."""
    if grbit:
        raise_error(C.JET_errInvalidGrbit)
    out = []
    for f in filters:
        col = cur.table.columns.get(f.columnid)
        if col is None:
            raise_error(C.JET_errColumnNotFound, f"columnid {f.columnid}")
        if not JET_relopEquals <= f.relop <= JET_relopBitmaskNotEqualsZero:
            raise_error(C.JET_errInvalidParameter, f"relop {f.relop}")
        if col.coltyp in _LONG_VALUES:
            raise_error(C.JET_errFilteredMoveNotSupported, "long-value column")
        value = bytes(f.pv or b"")
        fmt = _FORMATS.get(col.coltyp)
        if fmt is not None and len(value) != struct.calcsize(fmt):
            raise_error(C.JET_errInvalidParameter, f"value of column {col.name} has a size")
        bitmask = f.relop in (JET_relopBitmaskEqualsZero, JET_relopBitmaskNotEqualsZero)
        if bitmask and col.coltyp not in _INTEGER:
            raise_error(C.JET_errFilteredMoveNotSupported, "bitmask on a non-integer column")
        if f.relop == JET_relopPrefixEquals and fmt is not None:
            raise_error(C.JET_errFilteredMoveNotSupported, "prefix on a fixed-size column")
        out.append(Filter(f.columnid, col.coltyp, f.relop, value))
    cur.filters = tuple(out)


def filters_of(cur: object) -> tuple[Filter, ...]:
    """The cursor's filter (``Cursor.filters``); () for a cursor of another kind (a
    temporary table's sort, which takes none)."""
    if isinstance(cur, Cursor):
        return cur.filters
    return ()


def _decode(coltyp: int, raw: bytes) -> Any:
    fmt = _FORMATS.get(coltyp)
    return struct.unpack(fmt, raw)[0] if fmt is not None else raw


def _passes(f: Filter, raw: bytes | None) -> bool:
    if raw is None:
        return f.relop == JET_relopNotEquals
    if f.relop == JET_relopPrefixEquals:
        return raw.startswith(f.value)
    have, want = _decode(f.coltyp, raw), _decode(f.coltyp, f.value)
    if f.relop == JET_relopBitmaskEqualsZero:
        return (have & want) == 0
    if f.relop == JET_relopBitmaskNotEqualsZero:
        return (have & want) != 0
    compare: dict[int, Callable[[Any, Any], bool]] = {
        JET_relopEquals: lambda a, b: a == b,
        JET_relopNotEquals: lambda a, b: a != b,
        JET_relopLessThanOrEqual: lambda a, b: a <= b,
        JET_relopLessThan: lambda a, b: a < b,
        JET_relopGreaterThanOrEqual: lambda a, b: a >= b,
        JET_relopGreaterThan: lambda a, b: a > b,
    }
    return compare[f.relop](have, want)


def matches(cur: Cursor, filters: tuple[Filter, ...]) -> bool:
    """Does the cursor's current record satisfy every filter?"""
    rec = cur.record_view()
    return all(_passes(f, rec.get(f.columnid)) for f in filters)


def _check_index(cur: Cursor) -> None:
    if cur.on_secondary:
        raise_error(C.JET_errFilteredMoveNotSupported, "filters apply to the primary index")


def _skip(cur: Cursor, filters: tuple[Filter, ...], forward: bool, grbit: int) -> None:
    """Step (forward or backward) until the current record passes."""
    while not matches(cur, filters):
        cur.move(C.JET_MoveNext if forward else C.JET_MovePrevious, grbit)


def move(cur: AnyCursor, crow: int, grbit: int) -> None:
    """JetMove through the filter (see the module docstring)."""
    filters = filters_of(cur)
    if not filters or crow == 0:
        cur.move(crow, grbit)
        return
    _check_index(cur)
    if crow == C.JET_MoveFirst:
        cur.move(C.JET_MoveFirst, grbit)
        _skip(cur, filters, True, grbit)
        return
    if crow == C.JET_MoveLast:
        cur.move(C.JET_MoveLast, grbit)
        _skip(cur, filters, False, grbit)
        return
    forward = crow > 0
    for _ in range(abs(crow)):
        cur.move(C.JET_MoveNext if forward else C.JET_MovePrevious, grbit)
        _skip(cur, filters, forward, grbit)


def seek(cur: AnyCursor, grbit: int) -> int:
    """JetSeek through the filter: a failing record is passed over in the seek's
    direction; JET_errRecordNotFound when no passing record is left."""
    filters = filters_of(cur)
    if not filters:
        return cur.seek(grbit)
    _check_index(cur)
    result = cur.seek(grbit)
    if cur.state != ON or matches(cur, filters):
        return result
    backward = bool(grbit & (C.JET_bitSeekLE | C.JET_bitSeekLT))
    if grbit & C.JET_bitSeekEQ:  # one entry per key on the primary index
        raise_error(C.JET_errRecordNotFound)
    try:
        _skip(cur, filters, not backward, 0)
    except JetError as exc:
        if exc.err == C.JET_errNoCurrentRecord:
            raise_error(C.JET_errRecordNotFound)
        raise
    return C.JET_wrnSeekNotEqual


__all__ = [
    "JET_relopBitmaskEqualsZero",
    "JET_relopBitmaskNotEqualsZero",
    "JET_relopEquals",
    "JET_relopGreaterThan",
    "JET_relopGreaterThanOrEqual",
    "JET_relopLessThan",
    "JET_relopLessThanOrEqual",
    "JET_relopNotEquals",
    "JET_relopPrefixEquals",
    "filters_of",
    "matches",
    "move",
    "seek",
    "set_filter",
]
