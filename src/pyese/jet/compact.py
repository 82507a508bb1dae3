"""JetCompact: a consistent, compact copy of an attached database into a new file
(``pyese.engine.schema.compact``); of a genuine Windows ``.edb``, a conversion into a
writable pyese database (``pyese.engine.genuine.convert``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyese.engine.instance.gate import session_call
from pyese.engine.schema import compact as engine_compact
from pyese.jet import _args
from pyese.jet.backup import JET_SNPROG  # the one JET_SNPROG, shared with backup
from pyese.jet.handles import JET_SESID
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error


def JetCompact(sesid: JET_SESID | int, szDatabaseSrc: str, szDatabaseDest: str,
               pfnStatus: Callable[..., Any] | None = None, pconvert: object = None,
               grbit: int = 0) -> None:
    """Copy the attached database ``szDatabaseSrc`` (attached, not necessarily opened)
    into a new database file ``szDatabaseDest``, keeping only live data; the copy is left
    detached and cleanly shut down, the source attached and untouched. A genuine Windows
    source (attached read-only) is converted: the copy is a pyese database with the same
    tables, columns, indexes and records, writable once attached.

    ``pfnStatus(sesid, JET_snpCompact, snt, pv)`` gets ``JET_sntBegin``,
    ``JET_sntProgress`` with a ``JET_SNPROG`` and ``JET_sntComplete``; a negative result
    stops the compaction with that error (an exception: ``JET_errCallbackFailed``) and
    removes the partial copy. Units: trees of a pyese source, records of a genuine one.

    Errors: ``JET_errInvalidParameter`` for a missing name or a ``pconvert`` (ESE dropped
    JET_CONVERT); ``JET_errInvalidGrbit``; ``JET_errInTransaction``;
    ``JET_errDatabaseNotFound`` (source not attached); ``JET_errDatabaseDuplicate``
    (destination exists, or is the source); for a genuine source, what creating its
    schema or inserting its records raises for something pyese cannot hold."""
    g = _args.grbit(grbit)
    if not isinstance(szDatabaseSrc, str) or not szDatabaseSrc:
        raise_error(C.JET_errInvalidParameter, "szDatabaseSrc is required")
    if not isinstance(szDatabaseDest, str) or not szDatabaseDest:
        raise_error(C.JET_errInvalidParameter, "szDatabaseDest is required")
    if pconvert is not None:
        raise_error(C.JET_errInvalidParameter, "JET_CONVERT is not supported")
    if pfnStatus is not None and not callable(pfnStatus):
        raise_error(C.JET_errInvalidParameter, "pfnStatus must be callable")
    with session_call(sesid) as session:
        status = None
        if pfnStatus is not None:
            fn = pfnStatus
            sid = JET_SESID(session.id)

            def status(snt: int, done: int, total: int) -> None:
                pv = JET_SNPROG(cunitDone=done, cunitTotal=total) if snt == C.JET_sntProgress \
                    else None
                engine_compact.call_status(fn, sid, C.JET_snpCompact, snt, pv)

        engine_compact.compact(session, szDatabaseSrc, szDatabaseDest, status, g)


__all__ = ["JetCompact"]
