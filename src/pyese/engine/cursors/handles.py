"""Cursor handles (JET_TABLEID): the process's table of open cursors (ESE ErrFUCBFromTableid).

``CURSORS`` maps every handle ever given to its cursor: a ``Cursor`` (``cursor``), or a
temporary table's ``SortCursor`` (``engine.temp``), which registers here too so that the
JET layer finds every kind of cursor the same way. Handles come from ``_ids`` and are
never reused.

This module is never compiled (it stays out of ``mypyc-modules.txt``) and names no
cursor class: the table holds cursors of more than one class, and a compiled
``cursor_for`` declared to give a ``Cursor`` would refuse at run time the ``SortCursor``
it hands out (docs/compiled.md). ``engine.cursors.cursor`` re-exports ``CURSORS``,
``CLOSE_HOOKS`` and ``cursor_for`` typed with ``Cursor`` for the JET layer, which finds
every cursor through ``cursor_for`` and sends a temporary table's to its own functions
(``vt``) where they differ.

Locks. ``_lock`` guards ``CURSORS`` and the handle counter.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

AnyCursor = Any
"""A cursor of either kind: a ``Cursor``, or a temporary table's ``SortCursor``, which
``engine.temp`` hands to the functions it shares with ordinary cursors (JetMove, JetSeek,
JetSetColumn, the retrievals). Those functions declare their cursor with this alias: a
compiled function declared to take ``Cursor`` refuses anything else at run time."""

_ids = itertools.count(0x1000)
_lock = threading.Lock()
CURSORS: dict[int, AnyCursor] = {}
"""tableid -> open cursor (every instance; handles are never reused)."""

CLOSE_HOOKS: list[Callable[[AnyCursor], None]] = []
"""Run when a cursor closes (engine.cursors.callbacks frees its local storage here)."""


def cursor_for(session: object, tableid: object) -> AnyCursor:
    """The open cursor ``tableid`` of ``session`` (an ``engine.instance.session.Session``);
    JET_errInvalidTableId otherwise. ``cursor.cursor_for`` is this function, typed as
    giving a ``Cursor`` for the JET layer."""
    if isinstance(tableid, int) and tableid.__class__ is not bool:
        cur = CURSORS.get(tableid)  # the hot path: an int handle (JET_TABLEID is one)
        if cur is not None and cur.session is session and not cur.closed:
            return cur
    value = tableid.value if hasattr(tableid, "value") else tableid
    if isinstance(value, bool) or not isinstance(value, int):
        raise_error(C.JET_errInvalidTableId)
    found = CURSORS.get(value)
    if found is None or found.session is not session or found.closed:
        raise_error(C.JET_errInvalidTableId)
    return found


__all__ = ["CLOSE_HOOKS", "CURSORS", "AnyCursor", "cursor_for"]
