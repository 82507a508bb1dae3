"""JetGetLock: ESE rec.cxx ErrIsamGetLock and ver.cxx FVERIWriteConflict (~4159-4271)."""

from __future__ import annotations

import pytest

import pyese.jet as jet

from .helpers import expect
from .test_escrow import Bank, i32


@pytest.fixture
def bank(inst: jet.JET_INSTANCE) -> Bank:
    return Bank(inst)


def two(bank: Bank, row: int = 0):
    a, ta = bank.session()
    b, tb = bank.session()
    bank.seek(a, ta, row)
    bank.seek(b, tb, row)
    return a, ta, b, tb


def test_checks_in_ese_order(bank: Bank) -> None:
    a, ta = bank.session()
    # ESE: rec.cxx ~49, NotInTransaction comes before the grbit check
    with expect(jet.JET_errNotInTransaction):
        jet.JetGetLock(a, ta, 0)
    jet.JetBeginTransaction(a)
    for bad in (0, jet.JET_bitReadLock | jet.JET_bitWriteLock,
                jet.JET_bitReadLock | jet.JET_bitKeyLock, 8):
        with expect(jet.JET_errInvalidGrbit):
            jet.JetGetLock(a, ta, bad)
    jet.JetMove(a, ta, jet.JET_MoveLast)
    with pytest.raises(jet.JetError):
        jet.JetMove(a, ta, jet.JET_MoveNext)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetGetLock(a, ta, jet.JET_bitReadLock)
    jet.JetRollback(a)


def test_write_lock_in_read_only_transaction(bank: Bank) -> None:
    a, ta = bank.session()
    bank.seek(a, ta, 0)
    jet.JetBeginTransaction2(a, jet.JET_bitTransactionReadOnly)
    jet.JetGetLock(a, ta, jet.JET_bitReadLock)
    with expect(jet.JET_errTransReadOnly):  # ESE: ErrPIBCheckUpdatable
        jet.JetGetLock(a, ta, jet.JET_bitWriteLock)
    jet.JetRollback(a)


def test_write_lock_on_read_only_cursor(bank: Bank) -> None:
    a = jet.JetBeginSession(bank.inst)
    db = jet.JetOpenDatabase(a, bank.name)
    t = jet.JetOpenTable(a, db, "acct", grbit=jet.JET_bitTableReadOnly)
    jet.JetMove(a, t, jet.JET_MoveFirst)
    jet.JetBeginTransaction(a)
    with expect(jet.JET_errPermissionDenied):  # ESE: ErrFUCBCheckUpdatable
        jet.JetGetLock(a, t, jet.JET_bitWriteLock)
    jet.JetGetLock(a, t, jet.JET_bitReadLock)
    jet.JetRollback(a)


def test_read_locks_coexist_write_lock_waits_for_rollback(bank: Bank) -> None:
    a, ta, b, tb = two(bank)
    c, tc = bank.session()
    bank.seek(c, tc, 0)
    jet.JetBeginTransaction(a)
    jet.JetBeginTransaction(b)
    jet.JetBeginTransaction(c)
    jet.JetGetLock(a, ta, jet.JET_bitReadLock)
    jet.JetGetLock(b, tb, jet.JET_bitReadLock)  # read locks commute
    # ESE: M BasicTableTests.VerifyJetGetLockThrowsExceptionOnWriteConflict
    with expect(jet.JET_errWriteConflict):
        jet.JetGetLock(c, tc, jet.JET_bitWriteLock)
    # upgrading a read lock while another session holds one (ver.cxx ~4240)
    with expect(jet.JET_errWriteConflict):
        jet.JetGetLock(a, ta, jet.JET_bitWriteLock)
    with expect(jet.JET_errWriteConflict):
        jet.JetPrepareUpdate(c, tc, jet.JET_prepReplace)
    jet.JetRollback(a)
    with expect(jet.JET_errWriteConflict):
        jet.JetGetLock(c, tc, jet.JET_bitWriteLock)
    jet.JetCommitTransaction(b)  # locks go at the level-0 end...
    # ...but b's committed read lock is still active for c, which began before b's commit
    # (ver.hxx FActiveNotByMe; ver.cxx FVERIWriteConflict: only read locks commute)
    with expect(jet.JET_errWriteConflict):
        jet.JetGetLock(c, tc, jet.JET_bitWriteLock)
    jet.JetGetLock(c, tc, jet.JET_bitReadLock)
    jet.JetRollback(c)
    jet.JetBeginTransaction(c)
    jet.JetGetLock(c, tc, jet.JET_bitWriteLock)
    jet.JetRollback(c)


def test_committed_write_lock_conflicts_with_older_transactions(bank: Bank) -> None:
    """ESE keeps a committed lock's version until no older transaction is left: for a
    transaction that began before the commit it is active (ver.hxx FActiveNotByMe)."""
    a, ta, b, tb = two(bank)
    jet.JetBeginTransaction(a)  # a's snapshot predates b's commit
    jet.JetBeginTransaction(b)
    jet.JetGetLock(b, tb, jet.JET_bitWriteLock)
    jet.JetCommitTransaction(b)  # a lock only: nothing written
    for grbit in (jet.JET_bitReadLock, jet.JET_bitWriteLock):
        with expect(jet.JET_errWriteConflict):
            jet.JetGetLock(a, ta, grbit)
    with expect(jet.JET_errWriteConflict):
        jet.JetPrepareUpdate(a, ta, jet.JET_prepReplace)
    with expect(jet.JET_errWriteConflict):
        jet.JetEscrowUpdate(a, ta, bank.cbal, i32(1))
    jet.JetRollback(a)
    jet.JetBeginTransaction(a)  # a new snapshot: the lock is history
    jet.JetGetLock(a, ta, jet.JET_bitWriteLock)
    jet.JetCommitTransaction(a)


def test_write_lock_blocks_every_other_operation(bank: Bank) -> None:
    a, ta, b, tb = two(bank)
    jet.JetBeginTransaction(a)
    jet.JetBeginTransaction(b)
    jet.JetGetLock(a, ta, jet.JET_bitWriteLock)
    jet.JetGetLock(a, ta, jet.JET_bitReadLock)  # own locks never conflict
    with expect(jet.JET_errWriteConflict):
        jet.JetGetLock(b, tb, jet.JET_bitReadLock)
    with expect(jet.JET_errWriteConflict):
        jet.JetGetLock(b, tb, jet.JET_bitWriteLock)
    with expect(jet.JET_errWriteConflict):
        jet.JetDelete(b, tb)
    with expect(jet.JET_errWriteConflict):
        jet.JetEscrowUpdate(b, tb, bank.cbal, i32(1))
    # the holder itself updates freely
    jet.JetPrepareUpdate(a, ta, jet.JET_prepReplace)
    jet.JetSetColumn(a, ta, bank.cnote, b"a")
    jet.JetUpdate(a, ta)
    jet.JetCommitTransaction(a)
    jet.JetRollback(b)


def test_lock_on_record_changed_by_another(bank: Bank) -> None:
    a, ta, b, tb = two(bank, 1)
    jet.JetBeginTransaction(b)  # b's snapshot
    jet.JetBeginTransaction(a)
    jet.JetPrepareUpdate(a, ta, jet.JET_prepReplace)
    jet.JetSetColumn(a, ta, bank.cnote, b"a")
    jet.JetUpdate(a, ta)
    with expect(jet.JET_errWriteConflict):  # uncommitted by another
        jet.JetGetLock(b, tb, jet.JET_bitReadLock)
    jet.JetCommitTransaction(a)
    # committed after b began: still active for b (ver.hxx FActiveNotByMe)
    with expect(jet.JET_errWriteConflict):
        jet.JetGetLock(b, tb, jet.JET_bitWriteLock)
    jet.JetRollback(b)
    jet.JetBeginTransaction(b)
    jet.JetGetLock(b, tb, jet.JET_bitWriteLock)
    jet.JetRollback(b)


def test_nested_rollback_releases_only_that_levels_lock(bank: Bank) -> None:
    a, ta, b, tb = two(bank, 2)
    jet.JetBeginTransaction(a)
    jet.JetBeginTransaction(a)
    jet.JetGetLock(a, ta, jet.JET_bitWriteLock)
    jet.JetBeginTransaction(b)
    with expect(jet.JET_errWriteConflict):
        jet.JetGetLock(b, tb, jet.JET_bitReadLock)
    jet.JetRollback(a)  # level 2 with its lock
    jet.JetGetLock(b, tb, jet.JET_bitReadLock)
    jet.JetRollback(b)
    jet.JetBeginTransaction(a)
    jet.JetGetLock(a, ta, jet.JET_bitWriteLock)
    jet.JetCommitTransaction(a)  # level 2 -> 1: the lock stays with level 1
    jet.JetBeginTransaction(b)
    with expect(jet.JET_errWriteConflict):
        jet.JetGetLock(b, tb, jet.JET_bitReadLock)
    jet.JetCommitTransaction(a)
    with expect(jet.JET_errWriteConflict):  # committed after b began: still active for b
        jet.JetGetLock(b, tb, jet.JET_bitReadLock)
    jet.JetRollback(b)
    jet.JetBeginTransaction(b)
    jet.JetGetLock(b, tb, jet.JET_bitReadLock)
    jet.JetRollback(b)
