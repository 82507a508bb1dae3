"""JET functions for callbacks and local storage: JetRegisterCallback,
JetUnregisterCallback, JetSetLS, JetGetLS (``pyese.engine.cursors.callbacks``).

A ``JET_CALLBACK`` is any Python callable ``(sesid, dbid, tableid, cbtyp, pvArg1,
pvArg2, pvContext, ulUnused) -> int``; ``pvContext`` is any Python object, handed back
unchanged. The runtime callback is set with
``JetSetSystemParameter(instance, JET_sesidNil, JET_paramRuntimeCallback, callable)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyese.engine.cursors import callbacks as engine_callbacks
from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.instance.gate import session_call
from pyese.jet import _args
from pyese.jet.handles import JET_DBID, JET_SESID, JET_TABLEID
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

JET_LSNil = engine_callbacks.JET_LSNil
"""jethdr.w: ``~(JET_LS)0``."""

_LS_MAX = 0xFFFFFFFFFFFFFFFF


def _handles(sesid: int, dbid: int, tableid: int) -> tuple[JET_SESID, JET_DBID, JET_TABLEID]:
    return JET_SESID(sesid), JET_DBID(dbid), JET_TABLEID(tableid)


engine_callbacks.handles = _handles  # callbacks receive the JET layer's handle objects


def JetRegisterCallback(sesid: JET_SESID | int, tableid: JET_TABLEID | int, cbtyp: int,
                        pCallback: Callable[..., Any], pvContext: Any = None) -> int:
    """Call ``pCallback`` for ``cbtyp`` (``JET_cbtypBefore/AfterInsert``,
    ``...Replace``, ``...Delete``, or several of them combined) on every cursor of the
    table, any session, until ``JetUnregisterCallback``; returns the callback's handle.

    A Before* callback returning a negative ``JET_ERR`` (or raising) fails the operation
    with that error (``JET_errCallbackFailed`` for a non-JET exception) before anything
    is written; an After* one rolls the operation back. ``JET_errInvalidTableId``;
    ``JET_errInvalidParameter`` for a non-callable or a type that is not a table
    callback."""
    typ = _args.integer(cbtyp, "cbtyp")
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if hasattr(cur, "vt"):  # temporary tables: ErrIllegalRegisterCallback
            cur.vt.check(cur, "RegisterCallback")
        return engine_callbacks.register(cur, typ, pCallback, pvContext)


def JetUnregisterCallback(sesid: JET_SESID | int, tableid: JET_TABLEID | int, cbtyp: int,
                          hCallbackId: int) -> None:
    """Remove a callback registered on the cursor's table. Unknown handles are accepted
    (ESE answers ``JET_wrnCallbackNotRegistered``, a warning, which this shape, ``->
    None`` in ``API.md``, does not return). ``JET_errInvalidTableId``."""
    typ = _args.integer(cbtyp, "cbtyp")
    handle = _args.integer(hCallbackId, "hCallbackId")
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if hasattr(cur, "vt"):  # temporary tables: ErrIllegalUnregisterCallback
            cur.vt.check(cur, "UnregisterCallback")
        engine_callbacks.unregister(cur, typ, handle)


def _ls(value: object) -> int:
    ls = _args.integer(value, "ls")
    if ls == -1:
        return JET_LSNil
    if not 0 <= ls <= _LS_MAX:
        raise_error(C.JET_errInvalidParameter, "ls is a pointer-size value")
    return ls


def JetSetLS(sesid: JET_SESID | int, tableid: JET_TABLEID | int, ls: int, grbit: int) -> None:
    """Attach ``ls`` to the cursor (``JET_bitLSCursor``, the default) or to its table
    (``JET_bitLSTable``); ``JET_bitLSReset`` clears it instead. The runtime callback gets
    it back (``JET_cbtypFreeCursorLS`` / ``JET_cbtypFreeTableLS``) when the cursor
    closes or the instance ends. Errors: ``JET_errInvalidTableId``;
    ``JET_errInvalidGrbit``; ``JET_errLSCallbackNotSpecified`` without a runtime
    callback; ``JET_errLSAlreadySet``; ``JET_errInvalidParameter`` for ``JET_LSNil``."""
    g = _args.grbit(grbit)
    value = _ls(ls)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if hasattr(cur, "vt"):  # temporary tables: ErrIsamSetLS outside the insert phase
            cur.vt.check(cur, "SetLS")
        engine_callbacks.set_ls(cur, value, g)


def JetGetLS(sesid: JET_SESID | int, tableid: JET_TABLEID | int, grbit: int) -> int:
    """The cursor's (or table's, ``JET_bitLSTable``) local storage; with
    ``JET_bitLSReset`` it is also cleared, and ``JET_LSNil`` comes back when none was
    set (a plain get gives ``JET_errLSNotSet``). ``JET_errInvalidTableId``,
    ``JET_errInvalidGrbit``."""
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        if hasattr(cur, "vt"):  # temporary tables: ErrIsamGetLS outside the insert phase
            cur.vt.check(cur, "GetLS")
        return engine_callbacks.get_ls(cur, g)


__all__ = [
    "JET_LSNil",
    "JetGetLS",
    "JetRegisterCallback",
    "JetSetLS",
    "JetUnregisterCallback",
]
