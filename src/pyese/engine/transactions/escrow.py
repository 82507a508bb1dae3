"""Escrow updates and record locks (ESE ``recupd.cxx`` ErrRECIEscrowUpdate, ``rec.cxx``
ErrIsamGetLock) over the version store.

An escrow update adds a signed delta to a fixed Long or LongLong column declared with
``JET_bitColumnEscrowUpdate``. The version store keeps it as a delta version
(``EscrowDelta``): deltas of different sessions commute (no write conflict between them),
each reader sees its snapshot plus its own deltas, and the level-0 commit turns them into
an absolute record value in commit order (so the log and recovery replay the right sum).

``JET_bitColumnDeleteOnZero`` (and ``JET_bitColumnFinalize``, whose callback pyese does
not support: it deletes too): when a level-0 commit folds escrow deltas of such a column
into a committed value of 0, the record is deleted -- with its index entries and long
values, logged like any JetDelete -- in an internal transaction of a system session run
right after the commit (``VersionStore.commit_hooks``). ESE does it in version cleanup of
the delta RCE (ver.cxx, delta RCEs flagged fDeleteOnZero, set by recupd.cxx
ErrRECIEscrowUpdate from FFIELDDeleteOnZero / FFIELDFinalize). The delete is skipped when
the record is gone or no longer reads 0, or when another transaction holds an active
version of it (its own commit decides again); readers whose snapshot predates the delete
still see the record. A crash between the commit and the delete leaves the record with 0.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from pyese.engine.cursors.cursor import Cursor
from pyese.engine.instance.logservice import storage_of
from pyese.engine.instance.session import Session
from pyese.engine.records import update as U
from pyese.engine.records.record import RecordImage, RecordLayout
from pyese.engine.schema.fcb import catalog_of
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error

_FORMATS = {4: "<i", 8: "<q"}
_VARIABLE_MAX = {C.JET_coltypText: 255, C.JET_coltypBinary: 255}


@dataclass(frozen=True, slots=True)
class EscrowDelta:
    """Add ``amount`` to fixed column ``columnid`` of a record (wrapping like ESE's LONG
    / LONGLONG arithmetic). A version-store delta: ``apply(record) -> record``."""

    layout: RecordLayout
    columnid: int
    size: int
    amount: int
    delete_on_zero: bool = False
    """The column is JET_bitColumnDeleteOnZero or JET_bitColumnFinalize."""

    def value_of(self, record: bytes) -> int:
        """The column's value in ``record``; a column the record does not hold reads as
        its default, as in ESE, whose JET_prepInsert bursts the table's default record
        into the copy buffer (recupd.cxx ErrIsamPrepareUpdate), so the page holds it."""
        raw = self.layout.retrieve_ex(record, self.columnid)[0]
        if raw is None or len(raw) != self.size:
            return 0
        return int(struct.unpack(_FORMATS[self.size], raw)[0])

    def apply(self, record: bytes | None) -> bytes | None:
        if record is None:
            return None
        bits = self.size * 8
        n = (self.value_of(record) + self.amount) & ((1 << bits) - 1)
        if n >= 1 << (bits - 1):
            n -= 1 << bits
        image = RecordImage.from_bytes(self.layout, record)
        image.set(self.columnid, struct.pack(_FORMATS[self.size], n))
        return image.to_bytes()


def _cb_max_len(coltyp: int, cb_max: int, fixed: bool, fixed_size: int) -> int:
    """ESE FIELD.cbMaxLen: a fixed column's size, else its maximum length."""
    if fixed:
        return fixed_size
    return cb_max or _VARIABLE_MAX.get(coltyp, 0x7FFFFFFF)


def escrow_update(cur: Cursor, columnid: int, delta: bytes | None, grbit: int) -> bytes:
    """JetEscrowUpdate: add ``delta`` to escrow column ``columnid`` of the current record;
    returns the value before (as ESE's page holds it: other sessions' uncommitted deltas
    included).

    Checks in ESE's order (jetapi/recupd.cxx ErrIsamEscrowUpdate, ErrRECIEscrowUpdate):
    JET_errNotInTransaction at level 0; JET_errPermissionDenied on a read-only cursor;
    JET_errTransReadOnly in a read-only transaction; JET_errColumnNotFound;
    JET_errAlreadyPrepared with a prepared update; JET_errInvalidBufferSize when the
    delta's size differs from the column's; JET_errInvalidOperation for a column that is
    not fixed or not escrow; JET_errNoCurrentRecord / JET_errRecordDeleted; then
    JET_errWriteConflict against another session's replace, delete or lock.
    ``JET_bitEscrowNoRollback`` makes the delta survive a rollback.
    """
    session = cur.session
    if session.level == 0:
        raise_error(C.JET_errNotInTransaction)  # ESE: recupd.cxx ~3728
    if cur.read_only:
        raise_error(C.JET_errPermissionDenied, "the table is open read-only")
    if session.read_only:
        raise_error(C.JET_errTransReadOnly)  # ESE: pib.hxx ~1495
    col = cur.table.column_by_id(columnid)
    if cur.update is not None:
        raise_error(C.JET_errAlreadyPrepared)
    cb = len(delta) if delta is not None else 0
    fixed = col.is_fixed
    if _cb_max_len(col.coltyp, col.cbMax, fixed, col.fixed_size if fixed else 0) != cb:
        raise_error(C.JET_errInvalidBufferSize, f"delta of {cb} bytes")
    if not fixed or not col.grbit & C.JET_bitColumnEscrowUpdate or cb not in _FORMATS:
        raise_error(C.JET_errInvalidOperation, f"column {col.name!r} is not an escrow column")
    assert delta is not None
    rec = cur.record_view()
    amount = int(struct.unpack(_FORMATS[cb], delta)[0])
    on_zero = bool(col.grbit & (C.JET_bitColumnDeleteOnZero | C.JET_bitColumnFinalize))
    d = EscrowDelta(cur.table.layout, col.columnid, cb, amount, on_zero)
    vs = storage_of(session.instance).vs
    if vs is None:  # no version store: a database attached read-only
        raise_error(C.JET_errPermissionDenied, "database attached read-only")
    if on_zero and _delete_on_zero not in vs.commit_hooks:
        vs.commit_hooks.append(_delete_on_zero)
    old = vs.escrow(session, cur.db, cur.table.objid, rec.bookmark, d,
                    no_rollback=bool(grbit & C.JET_bitEscrowNoRollback))
    return struct.pack(_FORMATS[cb], d.value_of(old or b""))


def _delete_on_zero(session: Session,
                    folded: list[tuple[Any, int, bytes, bytes | None, list[Any]]]) -> None:
    """VersionStore commit hook: delete each record whose DeleteOnZero / Finalize column
    the commit's deltas brought to a committed 0 (see the module docstring)."""
    for db, objid, key, value, deltas in folded:
        if value is None:
            continue
        cols = {d.columnid: d for d in deltas if getattr(d, "delete_on_zero", False)}
        if any(d.value_of(value) == 0 for d in cols.values()):
            _delete_if_zero(session, db, objid, key, list(cols.values()))


def _delete_if_zero(session: Session, db: Any, objid: int, key: bytes,
                    cols: list[EscrowDelta]) -> None:
    """Delete record ``key`` of table ``objid`` in a transaction of a system session (ESE's
    version cleanup runs in a session of its own) if it still reads 0 in such a column.
    Any JET error (a write conflict with another session's active version, the table
    deleted meanwhile) leaves the record as it is."""
    sys = Session(session.instance)
    sys.begin_transaction()
    try:
        table = catalog_of(db).catalog(sys).table_by_objid(objid)
        cur = Cursor(sys, db, table, C.JET_bitTableUpdatable)
        data = cur.view().get(objid, key)
        if data is None or not any(d.value_of(data) == 0 for d in cols):
            sys.rollback(C.JET_bitRollbackAll)
            return
        U._delete_record(cur, key, data, None)
        sys.commit_transaction()
    except JetError:
        if sys.level > 0:
            sys.rollback(C.JET_bitRollbackAll)
    finally:
        sys.ended = True


def get_lock(cur: Cursor, grbit: int) -> None:
    """JetGetLock: a read or write lock on the current record until the level-0 end.

    ESE rec.cxx ErrIsamGetLock: JET_errNotInTransaction at level 0; then exactly
    JET_bitReadLock or JET_bitWriteLock, else JET_errInvalidGrbit; a write lock needs an
    updatable cursor (JET_errPermissionDenied) and transaction (JET_errTransReadOnly);
    JET_errNoCurrentRecord / JET_errRecordDeleted off a record; JET_errWriteConflict when
    another session holds a conflicting lock or active version (read locks coexist).
    """
    session = cur.session
    if session.level == 0:
        raise_error(C.JET_errNotInTransaction)  # ESE: rec.cxx ~49
    if grbit == C.JET_bitReadLock:
        write = False
    elif grbit == C.JET_bitWriteLock:
        if cur.read_only:
            raise_error(C.JET_errPermissionDenied, "the table is open read-only")
        if session.read_only:
            raise_error(C.JET_errTransReadOnly)
        write = True
    else:
        raise_error(C.JET_errInvalidGrbit)
    rec = cur.record_view()
    vs = storage_of(session.instance).vs
    if vs is None:
        return  # no version store (read-only attach): nobody can write the record
    vs.lock(session, cur.db, cur.table.objid, rec.bookmark, write)
