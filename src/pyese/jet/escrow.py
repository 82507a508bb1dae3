"""JET functions for concurrency on records: escrow updates and record locks
(``engine.transactions.escrow``)."""

from __future__ import annotations

from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.instance.gate import session_call
from pyese.engine.transactions import escrow as E
from pyese.jet import _args
from pyese.jet.handles import JET_SESID, JET_TABLEID


def JetEscrowUpdate(sesid: JET_SESID | int, tableid: JET_TABLEID | int, columnid: int,
                    pv: bytes, grbit: int = 0) -> bytes:
    """Add the signed delta ``pv`` (4 or 8 bytes, the column's size) to an escrow column of
    the current record inside a transaction; returns the previous value. Concurrent escrow
    updates of one record by several sessions do not conflict. See
    ``engine.transactions.escrow.escrow_update`` for the errors, in ESE's order."""
    g = _args.grbit(grbit)
    cid = _args.integer(columnid, "columnid")
    data = _args.data(pv, "pv")
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        vt = getattr(cur, "vt", None)  # a temporary table's own functions (ESE VTFNDEF)
        if vt is not None:
            return bytes(vt.escrow_update(cur, cid, data, g))
        return E.escrow_update(cur, cid, data, g)


def JetGetLock(sesid: JET_SESID | int, tableid: JET_TABLEID | int, grbit: int) -> None:
    """Lock the current record (``JET_bitReadLock`` or ``JET_bitWriteLock``) until the
    transaction ends. See ``engine.transactions.escrow.get_lock`` for the errors."""
    g = _args.grbit(grbit)
    with session_call(sesid) as session:
        cur = cursor_for(session, tableid)
        vt = getattr(cur, "vt", None)
        if vt is not None:
            vt.illegal_info(cur, "JetGetLock on a temporary table")
        E.get_lock(cur, g)


__all__ = ["JetEscrowUpdate", "JetGetLock"]
