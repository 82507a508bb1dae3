"""JetGrowDatabase, JetSetDatabaseSize, JetResizeDatabase (``pyese.engine.instance.space``):
a database's size in pages. The file only grows in place; ``JetCompact`` shrinks."""

from __future__ import annotations

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
    ``JET_errInvalidDatabaseId``, ``JET_errPermissionDenied`` (attached read-only)."""
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
    ``JET_errInvalidDatabaseId``, ``JET_errPermissionDenied``."""
    n = _cpg(cpgTarget, "cpgTarget")
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        return engine_space.resize(session, dbid, n, g)


__all__ = ["JetGrowDatabase", "JetResizeDatabase", "JetSetDatabaseSize"]
