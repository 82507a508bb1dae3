"""Callbacks and local storage: JetRegisterCallback, JetUnregisterCallback, JetSetLS,
JetGetLS and the runtime callback (ESE ``callback.cxx``, ``fcb.hxx`` CBDESC, ``fucb``
local storage).

**Table callbacks.** ESE keeps a list of callback descriptors (CBDESC) on a table's FCB:
a registration made through any cursor fires for every cursor of every session on that
table until it is unregistered. A descriptor's ``cbtyp`` may combine several types; it
fires for each. pyese keeps the list per ``FCB`` (one per table of an attached database).

Firing (``fire``) calls ``callback(sesid, dbid, tableid, cbtyp, pvArg1, pvArg2,
pvContext, ulUnused)`` for each matching registration, in registration order, on the
thread doing the operation. The callback may call JET functions with the same session
(the gate lets it back in: ``reentrant``), as ESE allows inside a callback.

A callback fails the operation when it returns a negative ``JET_ERR`` (that error is the
operation's) or raises: a ``JetError`` propagates as it is; any other exception becomes
``JET_errCallbackFailed`` with the exception as its cause (ESE catches the callback's
exceptions the same way). ``engine.update`` fires the Before* callbacks before it writes
anything and the After* ones inside the update's own transaction level, so a failing
After* callback rolls the operation back: nothing is half-applied.

**Local storage.** ``JetSetLS`` hangs one pointer-size value on a cursor
(``JET_bitLSCursor``, the default) or on its table (``JET_bitLSTable``). ESE needs the
instance's runtime callback (``JET_paramRuntimeCallback``) to free it: without one,
``JET_errLSCallbackNotSpecified``. When a cursor closes with a value set the runtime
callback gets ``JET_cbtypFreeCursorLS`` with the value as ``pvArg1``; table values get
``JET_cbtypFreeTableLS`` when the instance terminates.

Locks: ``_lock`` guards the registries; callbacks run outside it.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pyese.engine.cursors import cursor as _cursor
from pyese.engine.cursors import navigation as _navigation
from pyese.engine.instance.instance import InstanceServices
from pyese.engine.instance.session import Session
from pyese.engine.records.keys import normalizer
from pyese.engine.schema.callback_names import resolve_persisted
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error

JET_LSNil = 0xFFFFFFFFFFFFFFFF
"""jethdr.w: ``~(JET_LS)0``, pointer size."""

TABLE_CALLBACK_TYPES = (C.JET_cbtypBeforeInsert | C.JET_cbtypAfterInsert
                        | C.JET_cbtypBeforeReplace | C.JET_cbtypAfterReplace
                        | C.JET_cbtypBeforeDelete | C.JET_cbtypAfterDelete)
"""The types a table registration may name (combined with |)."""


@dataclass
class Registration:
    """One CBDESC: its callable, types, context and id (the JET_HANDLE)."""

    handle: int
    cbtyp: int
    callback: Callable[..., Any]
    context: Any


_lock = threading.Lock()
_ids = itertools.count(1)
_REGISTERED: weakref.WeakKeyDictionary[Any, list[Registration]] = weakref.WeakKeyDictionary()
"""FCB -> its callback descriptors, in registration order."""
_live = 0
"""Registrations made and not unregistered (under ``_lock``). Those of a collected FCB leave
``_REGISTERED`` without passing here, so this may over-count but never under-counts: it
only gates ``has_callbacks``'s real test (a plain int read beats the WeakKeyDictionary's
Python-level ``__len__`` on every insert)."""
_TABLE_LS: weakref.WeakKeyDictionary[Any, tuple[Any, int]] = weakref.WeakKeyDictionary()
"""FCB -> (instance, value)."""
_local = threading.local()


def _plain(sesid: int, dbid: int, tableid: int) -> tuple[Any, Any, Any]:
    return sesid, dbid, tableid


handles: Callable[[int, int, int], tuple[Any, Any, Any]] = _plain
"""Turns (sesid, dbid, tableid) into the handle objects a callback receives; the JET
layer installs its JET_SESID / JET_DBID / JET_TABLEID here (the engine cannot import
it)."""


# -- registration --------------------------------------------------------------------


def register(cur: Any, cbtyp: int, callback: Callable[..., Any], context: Any) -> int:
    """Add a callback to the cursor's table; returns its handle. JET_errInvalidParameter
    for a callback that cannot be called or a type a table callback cannot have."""
    if not callable(callback):
        raise_error(C.JET_errInvalidParameter, "pCallback must be callable")
    if cbtyp == C.JET_cbtypNull or cbtyp & ~TABLE_CALLBACK_TYPES:
        raise_error(C.JET_errInvalidParameter, f"cbtyp {cbtyp:#x} is not a table callback")
    reg = Registration(next(_ids), cbtyp, callback, context)
    global _live
    with _lock:
        _REGISTERED.setdefault(cur.fcb, []).append(reg)
        _live += 1
    return reg.handle


def unregister(cur: Any, cbtyp: int, handle: int) -> bool:
    """Remove registration ``handle`` from the cursor's table; False if it is not there
    (ESE's JET_wrnCallbackNotRegistered)."""
    global _live
    with _lock:
        regs = _REGISTERED.get(cur.fcb, [])
        for reg in regs:
            if reg.handle == handle and reg.cbtyp & cbtyp:
                regs.remove(reg)
                _live -= 1
                return True
    return False


def has_callbacks(cur: Any) -> bool:
    """Has the cursor's table any callback registered? (``_live`` first: no registration
    anywhere is the common case, and an int test costs less than the dictionary's.)"""
    return _live > 0 and bool(_REGISTERED.get(cur.fcb))


# -- firing --------------------------------------------------------------------------


def reentrant(session: Session) -> bool:
    """Is the calling thread inside a callback of ``session``? (The gate lets it in.)"""
    return bool(session.in_callback) and session in getattr(_local, "sessions", ())


@contextmanager
def _inside(session: Session) -> Iterator[None]:
    stack = getattr(_local, "sessions", None)
    if stack is None:
        stack = _local.sessions = []
    stack.append(session)
    session.in_callback += 1
    try:
        yield
    finally:
        session.in_callback -= 1
        stack.pop()


def call(session: Session, fn: Callable[..., Any], dbid: int, tableid: int, cbtyp: int,
         arg1: Any, arg2: Any, context: Any, unused: int = 0) -> int:
    """Run one callback; its negative JET_ERR or exception becomes the operation's error
    (see the module docstring). Returns a non-negative result (a warning)."""
    try:
        with _inside(session):
            result = fn(*handles(session.id, dbid, tableid), cbtyp, arg1, arg2, context,
                        unused)
    except JetError:
        raise
    except Exception as exc:
        err = JetError.from_code(C.JET_errCallbackFailed, repr(exc))
        err.__cause__ = exc  # not "raise ... from exc": compiled, mypyc drops the cause
        raise err  # noqa: B904
    code = 0 if result is None else result
    if not isinstance(code, int) or isinstance(code, bool):
        raise_error(C.JET_errCallbackFailed, f"callback returned {code!r}, not a JET_ERR")
    if code < 0:
        raise_error(code, "returned by a callback")
    return code


def fire(cur: Any, cbtyp: int) -> None:
    """Call every registration of the cursor's table that has ``cbtyp``."""
    with _lock:
        regs = [r for r in _REGISTERED.get(cur.fcb, ()) if r.cbtyp & cbtyp]
    for reg in regs:
        call(cur.session, reg.callback, cur.db.dbnum, cur.tableid, cbtyp, None, None,
             reg.context)


# -- local storage -------------------------------------------------------------------


def runtime_callback(instance: Any) -> Callable[..., Any] | None:
    fn = instance.params.get(C.JET_paramRuntimeCallback)
    return fn if callable(fn) else None


def set_ls(cur: Any, ls: int, grbit: int) -> None:
    """JetSetLS (ESE ErrIsamSetLS): JET_errInvalidGrbit for unknown bits or both Cursor
    and Table; JET_errLSCallbackNotSpecified without a runtime callback;
    JET_bitLSReset clears (the value given is ignored); JET_errLSAlreadySet if a value
    is there; JET_errInvalidParameter for JET_LSNil."""
    if grbit & ~(C.JET_bitLSReset | C.JET_bitLSCursor | C.JET_bitLSTable) or (
            grbit & C.JET_bitLSCursor and grbit & C.JET_bitLSTable):
        raise_error(C.JET_errInvalidGrbit)
    if runtime_callback(cur.session.instance) is None:
        raise_error(C.JET_errLSCallbackNotSpecified)
    table = bool(grbit & C.JET_bitLSTable)
    with _lock:
        if grbit & C.JET_bitLSReset:
            if table:
                _TABLE_LS.pop(cur.fcb, None)
            else:
                cur.ls = None
            return
        if ls == JET_LSNil:
            raise_error(C.JET_errInvalidParameter, "JET_LSNil cannot be set")
        present = cur.fcb in _TABLE_LS if table else cur.ls is not None
        if present:
            raise_error(C.JET_errLSAlreadySet)
        if table:
            _TABLE_LS[cur.fcb] = (cur.session.instance, ls)
            register_hooks()
        else:
            cur.ls = ls


def get_ls(cur: Any, grbit: int) -> int:
    """JetGetLS: the cursor's (or with JET_bitLSTable the table's) value;
    JET_bitLSReset also clears it and gives JET_LSNil when none is set, where a plain
    get gives JET_errLSNotSet. JET_errInvalidGrbit as JetSetLS."""
    if grbit & ~(C.JET_bitLSReset | C.JET_bitLSCursor | C.JET_bitLSTable) or (
            grbit & C.JET_bitLSCursor and grbit & C.JET_bitLSTable):
        raise_error(C.JET_errInvalidGrbit)
    table = bool(grbit & C.JET_bitLSTable)
    reset = bool(grbit & C.JET_bitLSReset)
    with _lock:
        if table:
            entry = _TABLE_LS.pop(cur.fcb, None) if reset else _TABLE_LS.get(cur.fcb)
            value = entry[1] if entry is not None else None
        else:
            value = cur.ls
            if reset:
                cur.ls = None
    if value is None:
        if reset:
            return JET_LSNil
        raise_error(C.JET_errLSNotSet)
    return value


def free_cursor_ls(cur: Any) -> None:
    """A cursor closes: hand its value to the runtime callback (JET_cbtypFreeCursorLS).
    An error of the callback is ignored: the cursor is closed regardless, as in ESE."""
    with _lock:
        value = cur.ls
        cur.ls = None
    if value is None:
        return
    fn = runtime_callback(cur.session.instance)
    if fn is None:
        return
    try:
        call(cur.session, fn, cur.db.dbnum, cur.tableid, C.JET_cbtypFreeCursorLS, value,
             None, None)
    except JetError:
        pass


def free_table_ls(instance: Any) -> None:
    """The instance terminates: each table value goes to the runtime callback
    (JET_cbtypFreeTableLS; no session, no cursor)."""
    with _lock:
        mine = [(fcb, v) for fcb, (inst, v) in _TABLE_LS.items() if inst is instance]
        for fcb, _v in mine:
            _TABLE_LS.pop(fcb, None)
    fn = runtime_callback(instance)
    if fn is None:
        return
    for _fcb, value in mine:
        try:
            fn(*handles(0, 0, 0), C.JET_cbtypFreeTableLS, value, None, None, 0)
        except Exception:  # the instance is going away: nothing to fail
            pass


# -- user-defined default values ------------------------------------------------------

def user_defined_default(cur: Any, col: Any, limit: int | None,
                         null_only: bool = False) -> tuple[bytes | None, int]:
    """The value of a JET_bitColumnUserDefinedDefault column a record has no value for
    (ESE fldext.cxx ErrIsamRetrieveColumn on wrnRECUserDefinedDefault): the column's
    callback is called with ``JET_cbtypUserDefinedDefaultValue``, ``pvArg1`` a bytearray
    to fill with the value, ``pvArg2`` a one-item list holding the buffer size in and the
    value's size out (C's ``*pcbActual``), ``pvContext`` the column's pbUserData and
    ``ulUnused`` the columnid, as ESE's ErrRECCallback passes them. A JET_wrnColumnNull
    result means NULL. Returns (value, its size) like a retrieval; a negative result or an
    exception fails the retrieval (``call``). With JET_paramEnablePersistedCallbacks off
    the persisted callback is not run: JET_errCallbackFailed (callback.cxx
    ErrCALLBACKExecute, ``fPermanent``); JET_errCallbackNotResolved when its name does
    not resolve.

    ``null_only``: only whether the value is NULL is wanted (a conditional column of an
    index): ``pvArg1`` is None and the size in is 0, as ESE fldnorm.cxx
    ErrRECIIRetrieveKey passes NULL and ``cbActual = 0``; the value returned is then
    b"" when not NULL."""
    if null_only:
        return _udd_call(cur, col, None)[:2]
    value, size, written = _udd_call(cur, col, C.JET_cbLVColumnMost if limit is None
                                     else limit)
    if value is None:
        return None, 0
    size = size if size <= written else written
    value = value[:size]
    return (value if limit is None else value[:limit]), size


def _udd_call(cur: Any, col: Any, limit: int | None) -> tuple[bytes | None, int, int]:
    """Call the column's callback once (see :func:`user_defined_default`; ``limit`` None:
    no buffer): (value as written, or None for NULL; the size the callback reported,
    else the bytes it wrote; the bytes it wrote)."""
    session = cur.session
    if not session.instance.get_param(C.JET_paramEnablePersistedCallbacks):
        raise_error(C.JET_errCallbackFailed, "persisted callbacks are disabled "
                    "(JET_paramEnablePersistedCallbacks)")
    fn = resolve_persisted(col.callback)
    if limit is None:
        wrn = call(session, fn, cur.db.dbnum, cur.tableid,
                   C.JET_cbtypUserDefinedDefaultValue, None, [0], col.user_data,
                   col.columnid)
        return (None, 0, 0) if wrn == C.JET_wrnColumnNull else (b"", 0, 0)
    buffer = bytearray()
    cb: list[Any] = [limit]
    wrn = call(session, fn, cur.db.dbnum, cur.tableid, C.JET_cbtypUserDefinedDefaultValue,
               buffer, cb, col.user_data, col.columnid)
    if wrn == C.JET_wrnColumnNull:
        return None, 0, 0
    written = len(buffer)
    reported = cb[0]
    size = reported if isinstance(reported, int) and not isinstance(reported, bool) \
        and reported >= 0 else written
    return bytes(buffer), size, written


# -- user-defined defaults in index keys ---------------------------------------------


def udd_columns(index: Any) -> dict[int, tuple[Any, bool]]:
    """columnid -> (column, only its NULL-ness matters) of the JET_bitColumnUserDefinedDefault
    columns an index's key or conditions use (empty for almost every index). A column
    that is both a key column and a condition is a key column here (its value is
    wanted)."""
    found: dict[int, tuple[Any, bool]] = {}
    for cond in index.conditions:
        col = cond.column
        if col.callback is not None:
            found[col.columnid] = (col, True)
    for seg in index.segments:
        col = seg.column
        if col.callback is not None:
            found[col.columnid] = (col, False)
    return found


def key_values(cur: Any, index: Any, values: Callable[[int], Sequence[bytes]],
               keyed: Any = None) -> Callable[[int], Sequence[bytes]]:
    """The ``values_of`` a key of ``index`` is built from (``indexentries``): ``values``
    (the record's stored values), where a JET_bitColumnUserDefinedDefault column with no
    value gets its callback's value, ``cur`` being the cursor the callback is given.

    ESE fldnorm.cxx ErrRECIIRetrieveKey: ErrRECRetrieveTaggedColumn answers
    wrnRECUserDefinedDefault for itagSequence 1 of such a column with no value; the key
    extraction then calls ErrRECCallback( JET_cbtypUserDefinedDefaultValue, columnid,
    pbLV, &cbActual = cbDataMost, columnid ), with a buffer of the index's cbKeyMost
    bytes, doubled while the value does not fit (ESE doubles cbDataMost when the key
    needs more data); a conditional column's callback gets no buffer (NULL, size 0: only
    JET_wrnColumnNull matters). The key is made from the value as from a stored one: on
    insert and replace from the copy buffer (ESE FUCBSetAlwaysRetrieveCopy: the
    callback's JET_bitRetrieveCopy reads the record being keyed), when building an index
    from the record the cursor is on. The callback's error fails the operation
    (:func:`user_defined_default`). ``values`` itself is returned for an index without
    such a column.

    ``keyed``: the RecordView of the copy buffer being keyed (insert, the new keys of a
    replace). While the callback runs it is the cursor's prepared update's ``keyed``, so
    that every retrieval of the callback reads it, with or without JET_bitRetrieveCopy
    (ESE ErrRECIIRetrieveKey with ``!fOnRecord``: ``pfucb->dataWorkBuf = lineRec;
    FUCBSetAlwaysRetrieveCopy``; the previous value is put back after the call). None:
    the key is made from the record the cursor is on (FUCBSetNeverRetrieveCopy, which
    the callers set as the update's ``never_copy``)."""
    if not normalizer(index).udd:
        return values
    udd = udd_columns(index)
    cb_key_most = int(index.cbKeyMost)

    def values_of(columnid: int) -> Sequence[bytes]:
        vals = values(columnid)
        if vals:
            return vals
        found = udd.get(columnid)
        if found is None:
            return vals
        col, null_only = found
        if null_only:
            value = _keyed_call(cur, col, None, keyed)[0]
            return [] if value is None else [value]
        limit = cb_key_most
        while True:
            value, size, written = _keyed_call(cur, col, limit, keyed)
            if value is None:
                return []
            if size <= written:
                return [value[:size]]
            if size <= limit or limit >= C.JET_cbLVColumnMost:
                return [value]  # it said more than it wrote: what it wrote
            limit *= 2

    return values_of


def _keyed_call(cur: Any, col: Any, limit: int | None,
                keyed: Any) -> tuple[bytes | None, int, int]:
    """:func:`_udd_call` with ``keyed`` as the prepared update's ``keyed`` while the
    callback runs (see :func:`key_values`)."""
    upd = cur.update
    if keyed is None or upd is None:
        return _udd_call(cur, col, limit)
    saved = upd.keyed
    upd.keyed = keyed
    try:
        return _udd_call(cur, col, limit)
    finally:
        upd.keyed = saved


class RecordKeys:
    """The ``key_values`` of an index build (``ddl.create_index``): an index over a
    user-defined default column gets its keys from :func:`key_values`, the callback
    given a cursor of the session on the table, positioned on each record in turn (the
    JET_CALLBACK documentation: "tableid: cursor positioned on the record for which the
    user-defined default is being retrieved"; ESE builds an index through a cursor on
    the table, the key extracted from the record it is on). The cursor is opened when an
    index first needs it; :meth:`close` closes it."""

    def __init__(self, session: Session, db: Any, table: Any) -> None:
        self.session = session
        self.db = db
        self.table = table
        self.cursor: Any = None

    def __call__(self, index: Any,
                 rec: Any) -> Callable[[int], Sequence[bytes]]:
        values: Callable[[int], Sequence[bytes]] = rec.values
        if not normalizer(index).udd:
            return values
        cur = self.cursor
        if cur is None:
            cur = _cursor.Cursor(self.session, self.db, self.table, C.JET_bitTableReadOnly)
            cur.register()
            self.cursor = cur
        cur.set_on(rec.bookmark, rec.bookmark)
        return key_values(cur, index, values)

    def close(self) -> None:
        cur = self.cursor
        if cur is not None:
            self.cursor = None
            cur.close()


def _on_stop(instance: Any, services: Any, dirty: bool) -> None:
    free_table_ls(instance)


def register_hooks() -> None:
    """Run free_table_ls when an instance stops (InstanceServices.on_stop), once."""
    if _on_stop not in InstanceServices.on_stop:
        InstanceServices.on_stop.append(_on_stop)


__all__ = [
    "JET_LSNil",
    "RecordKeys",
    "TABLE_CALLBACK_TYPES",
    "fire",
    "free_cursor_ls",
    "get_ls",
    "has_callbacks",
    "key_values",
    "reentrant",
    "register",
    "register_hooks",
    "resolve_persisted",
    "set_ls",
    "udd_columns",
    "unregister",
    "user_defined_default",
]


def _install() -> None:
    if free_cursor_ls not in _cursor.CLOSE_HOOKS:
        _cursor.CLOSE_HOOKS.append(free_cursor_ls)
    if not _navigation.KEY_VALUES:
        _navigation.KEY_VALUES.append(key_values)


_install()
