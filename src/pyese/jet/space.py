"""JetGrowDatabase, JetSetDatabaseSize, JetResizeDatabase (``pyese.engine.instance.space``):
a database's size in pages. The file only grows in place; ``JetCompact`` shrinks.
JetDefragment, JetDefragment2, JetDefragment3 (``pyese.engine.instance.defrag``): online
defragmentation, which packs sparse trees and gives their pages to the free list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyese.jet.callbacks  # noqa: F401 - installs the handles callbacks receive
from pyese.engine.instance import defrag as engine_defrag
from pyese.engine.instance import space as engine_space
from pyese.engine.instance.gate import session_call
from pyese.jet import _args
from pyese.jet.handles import JET_DBID, JET_SESID
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error


def _cpg(value: object, name: str = "cpg") -> int:
    cpg = _args.integer(value, name)
    if not 0 <= cpg <= 0xFFFFFFFF:
        raise_error(C.JET_errInvalidParameter, f"{name} is an unsigned page count")
    return cpg


def JetGrowDatabase(sesid: JET_SESID | int, dbid: JET_DBID | int, cpg: int) -> int:
    """Make the open database at least ``cpg`` pages; returns its size in pages
    (``pcpgReal``). Errors: ``JET_errInvalidParameter`` (negative size),
    ``JET_errInvalidDatabaseId``, ``JET_errPermissionDenied`` (attached read-only),
    ``JET_errOutOfDatabaseSpace`` (past the attachment's ``cpgDatabaseSizeMax``; the size
    is left as it was)."""
    n = _cpg(cpg)
    with session_call(sesid) as session:
        return engine_space.grow(session, dbid, n)


def JetSetDatabaseSize(sesid: JET_SESID | int, szDatabaseName: str, cpg: int) -> int:
    """Make the database file at least ``cpg`` pages, attached or not; returns its size
    in pages. ``JET_errInvalidParameter`` for no name or a negative size, then the errors
    of opening the file (``JET_errFileNotFound``, ...)."""
    n = _cpg(cpg)
    if not isinstance(szDatabaseName, str) or not szDatabaseName:
        raise_error(C.JET_errInvalidParameter, "szDatabaseName is required")
    with session_call(sesid):
        return engine_space.set_size(szDatabaseName, n)


def JetResizeDatabase(sesid: JET_SESID | int, dbid: JET_DBID | int, cpgTarget: int,
                      grbit: int = 0) -> int:
    """Grow the open database to ``cpgTarget`` pages (``JET_bitResizeDatabaseOnlyGrow``, or
    0); a shrink cannot be done in place and leaves the size (use ``JetCompact``). Returns
    the size in pages (``pcpgActual``). ``JET_errInvalidGrbit`` (unknown bits, or both),
    ``JET_errInvalidDatabaseId``, ``JET_errPermissionDenied``, ``JET_errOutOfDatabaseSpace``
    (a grow past the attachment's ``cpgDatabaseSizeMax``)."""
    n = _cpg(cpgTarget, "cpgTarget")
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        return engine_space.resize(session, dbid, n, g)


class DefragResult(tuple[int | None, int | None]):
    """``(cPasses, cSeconds)``, the new values of JetDefragment's in/out counters (None
    where None was passed); ``wrn`` is the call's warning: 0,
    ``JET_wrnDefragAlreadyRunning`` or ``JET_wrnDefragNotRunning``."""

    wrn: int

    def __new__(cls, passes: int | None, seconds: int | None, wrn: int = 0) -> DefragResult:
        self = super().__new__(cls, (passes, seconds))
        self.wrn = wrn
        return self


def _counter(value: object, name: str) -> int | None:
    if value is None:
        return None
    n = _args.integer(value, name)
    if not 0 <= n <= 0xFFFFFFFF:
        raise_error(C.JET_errInvalidParameter, f"{name} is an unsigned 32-bit count")
    return n


def _callback(value: object) -> Callable[..., Any] | None:
    if value is not None and not callable(value):
        raise_error(C.JET_errInvalidParameter, "callback must be callable")
    return value  # type: ignore[return-value]


def JetDefragment(sesid: JET_SESID | int, dbid: JET_DBID | int, szTableName: str | None = None,
                  pcPasses: int | None = None, pcSeconds: int | None = None,
                  grbit: int = 0) -> DefragResult:
    """Start (``JET_bitDefragmentBatchStart``) or stop (``JET_bitDefragmentBatchStop``)
    the online defragmentation of an open database, which runs in the background until
    stopped or until its limits: ``pcPasses`` passes (0 or None: no limit) and
    ``pcSeconds`` seconds. On stop the counters come back as the passes done and the
    seconds elapsed. ``JET_bitDefragmentBTree`` defragments the trees of ``szTableName``
    once, in the background. Returns ``(cPasses, cSeconds)`` with the warning in ``.wrn``
    (``JET_wrnDefragAlreadyRunning``, ``JET_wrnDefragNotRunning``).

    Errors (ESE ``old.cxx`` ErrIsamDefragment / ErrOLDDefragment): ``JET_errInvalidDatabaseId``,
    ``JET_errTransReadOnly``, ``JET_errInvalidGrbit`` (neither start nor stop, or both;
    extra bits with BTree / BTreeBatch), ``JET_errInvalidParameter``, ``JET_errInvalidName``
    (BTree without a table), ``JET_errObjectNotFound``, ``JET_errDatabaseFileReadOnly``."""
    return JetDefragment2(sesid, dbid, szTableName, pcPasses, pcSeconds, None, grbit)


def JetDefragment2(sesid: JET_SESID | int, dbid: JET_DBID | int,
                   szTableName: str | None = None, pcPasses: int | None = None,
                   pcSeconds: int | None = None, callback: Callable[..., Any] | None = None,
                   grbit: int = 0) -> DefragResult:
    """As ``JetDefragment``; ``callback`` (a JET_CALLBACK) is called with
    ``JET_cbtypOnlineDefragCompleted`` when the defragmentation ends by itself (its pass or
    time limit reached), not when it is stopped; its result is ignored, as ESE ignores it."""
    g = _args.grbit(grbit)
    table = _args.optional_str(szTableName, "szTableName")
    passes = _counter(pcPasses, "pcPasses")
    seconds = _counter(pcSeconds, "pcSeconds")
    fn = _callback(callback)
    with session_call(sesid) as session:
        r = engine_defrag.defragment(session, dbid, table, passes, seconds, fn, g)
    return DefragResult(r.passes, r.seconds, r.wrn)


def JetDefragment3(sesid: JET_SESID | int, szDatabaseName: str, szTableName: str | None = None,
                   pcPasses: int | None = None, pcSeconds: int | None = None,
                   callback: Callable[..., Any] | None = None, pvContext: Any = None,
                   grbit: int = 0) -> DefragResult:
    """As ``JetDefragment2`` on the database attached under ``szDatabaseName`` (the
    session need not have opened it); ``pvContext`` is handed to the callback.
    ``JET_errInvalidParameter`` without a name, ``JET_errDatabaseNotFound`` when no
    database of the instance has that name."""
    g = _args.grbit(grbit)
    if not isinstance(szDatabaseName, str) or not szDatabaseName:
        raise_error(C.JET_errInvalidParameter, "szDatabaseName is required")
    table = _args.optional_str(szTableName, "szTableName")
    passes = _counter(pcPasses, "pcPasses")
    seconds = _counter(pcSeconds, "pcSeconds")
    fn = _callback(callback)
    with session_call(sesid) as session:
        r = engine_defrag.defragment_by_name(session, szDatabaseName, table, passes, seconds,
                                             fn, g, pvContext)
    return DefragResult(r.passes, r.seconds, r.wrn)


__all__ = ["DefragResult", "JetDefragment", "JetDefragment2", "JetDefragment3",
           "JetGrowDatabase", "JetResizeDatabase", "JetSetDatabaseSize"]
