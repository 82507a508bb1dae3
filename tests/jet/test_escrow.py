"""JetEscrowUpdate: ESE's checks, commuting deltas, snapshots, rollback and recovery.

ESE: recupd.cxx ErrIsamEscrowUpdate / ErrRECIEscrowUpdate, ver.cxx FVERIWriteConflict
(operDelta commutes with operDelta only).
"""

from __future__ import annotations

import struct
import threading

import pytest

import pyese.jet as jet

from .helpers import WAIT, expect


def i32(n: int) -> bytes:
    return struct.pack("<i", n)


def n32(b: bytes | None) -> int:
    assert b is not None
    return int(struct.unpack("<i", b)[0])


class Bank:
    """A database with table ``acct(id Long primary, bal Long escrow default 0,
    note Text)`` and ``n`` rows."""

    def __init__(self, inst: jet.JET_INSTANCE, n: int = 3, name: str = "e.edb") -> None:
        self.inst = inst
        self.name = name
        s = jet.JetBeginSession(inst)
        self.db = jet.JetCreateDatabase(s, name)
        t = jet.JetCreateTable(s, self.db, "acct")
        self.cid = jet.JetAddColumn(s, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
        self.cbal = jet.JetAddColumn(
            s, t, "bal", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong,
                                           grbit=jet.JET_bitColumnEscrowUpdate), i32(0))
        self.cbig = jet.JetAddColumn(
            s, t, "big", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongLong,
                                           grbit=jet.JET_bitColumnEscrowUpdate),
            struct.pack("<q", 0))
        self.cplain = jet.JetAddColumn(s, t, "plain",
                                       jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
        self.cnote = jet.JetAddColumn(s, t, "note", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText))
        jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
        for i in range(n):
            jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
            jet.JetSetColumn(s, t, self.cid, i32(i))
            jet.JetUpdate(s, t)
        jet.JetCloseTable(s, t)
        self.setup = s

    def session(self) -> tuple[jet.JET_SESID, jet.JET_TABLEID]:
        s = jet.JetBeginSession(self.inst)
        db = jet.JetOpenDatabase(s, self.name)
        return s, jet.JetOpenTable(s, db, "acct")

    def seek(self, s: jet.JET_SESID, t: jet.JET_TABLEID, i: int) -> None:
        jet.JetMakeKey(s, t, i32(i), jet.JET_bitNewKey)
        jet.JetSeek(s, t, jet.JET_bitSeekEQ)

    def bal(self, s: jet.JET_SESID, t: jet.JET_TABLEID, i: int) -> int:
        self.seek(s, t, i)
        return n32(jet.JetRetrieveColumn(s, t, self.cbal))


@pytest.fixture
def bank(inst: jet.JET_INSTANCE) -> Bank:
    return Bank(inst)


def test_returns_old_value_and_adds(bank: Bank) -> None:
    s, t = bank.session()
    bank.seek(s, t, 1)
    jet.JetBeginTransaction(s)
    # ESE: M EscrowUpdateTests, delta 1 from default 0 returns previous 0
    assert n32(jet.JetEscrowUpdate(s, t, bank.cbal, i32(1))) == 0
    assert n32(jet.JetEscrowUpdate(s, t, bank.cbal, i32(-5))) == 1
    assert n32(jet.JetRetrieveColumn(s, t, bank.cbal)) == -4
    jet.JetCommitTransaction(s)
    assert bank.bal(s, t, 1) == -4
    s2, t2 = bank.session()
    assert bank.bal(s2, t2, 1) == -4


def test_longlong_column(bank: Bank) -> None:
    s, t = bank.session()
    bank.seek(s, t, 0)
    jet.JetBeginTransaction(s)
    old = jet.JetEscrowUpdate(s, t, bank.cbig, struct.pack("<q", 2**40))
    assert old == struct.pack("<q", 0)
    jet.JetCommitTransaction(s)
    assert jet.JetRetrieveColumn(s, t, bank.cbig) == struct.pack("<q", 2**40)


def test_record_without_the_column_starts_from_its_default(inst: jet.JET_INSTANCE) -> None:
    """A record inserted without setting an escrow column holds its default: ESE's
    JET_prepInsert bursts the table's default record into the copy buffer (recupd.cxx
    ErrIsamPrepareUpdate, fBurstDefaultRecord), so JetEscrowUpdate reads the default as the
    old value and adds to it, just as JetRetrieveColumn shows it. The same holds for a
    column added, with its default, after the record was written."""
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "d.edb")
    t = jet.JetCreateTable(s, db, "acct")
    cid = jet.JetAddColumn(s, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    cbal = jet.JetAddColumn(s, t, "bal", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnEscrowUpdate), i32(5))
    jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, cid, i32(1))
    jet.JetUpdate(s, t)
    clate = jet.JetAddColumn(s, t, "late", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnEscrowUpdate), i32(7))
    jet.JetMove(s, t, jet.JET_MoveFirst)
    assert n32(jet.JetRetrieveColumn(s, t, cbal)) == 5
    jet.JetBeginTransaction(s)
    assert n32(jet.JetEscrowUpdate(s, t, cbal, i32(10))) == 5
    assert n32(jet.JetEscrowUpdate(s, t, clate, i32(1))) == 7
    jet.JetCommitTransaction(s)
    assert n32(jet.JetRetrieveColumn(s, t, cbal)) == 15
    assert n32(jet.JetRetrieveColumn(s, t, clate)) == 8


def test_check_order(bank: Bank) -> None:
    s, t = bank.session()
    bank.seek(s, t, 0)
    # ESE: recupd.cxx ~3728, NotInTransaction before anything else
    with expect(jet.JET_errNotInTransaction):
        jet.JetEscrowUpdate(s, t, 0xDEAD, b"")
    jet.JetBeginTransaction(s)
    with expect(jet.JET_errColumnNotFound):
        jet.JetEscrowUpdate(s, t, 0xDEAD, i32(1))
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    # AlreadyPrepared comes before the size check (ErrRECIEscrowUpdate)
    with expect(jet.JET_errAlreadyPrepared):
        jet.JetEscrowUpdate(s, t, bank.cbal, b"\x01")
    jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)
    with expect(jet.JET_errInvalidBufferSize):
        jet.JetEscrowUpdate(s, t, bank.cbal, b"\x01\x00")
    with expect(jet.JET_errInvalidBufferSize):
        jet.JetEscrowUpdate(s, t, bank.cbal, None)
    # a fixed non-escrow column of the right size: InvalidOperation
    with expect(jet.JET_errInvalidOperation):
        jet.JetEscrowUpdate(s, t, bank.cplain, i32(1))
    # a variable column: cbMaxLen (255) differs first -> InvalidBufferSize
    with expect(jet.JET_errInvalidBufferSize):
        jet.JetEscrowUpdate(s, t, bank.cnote, i32(1))
    with expect(jet.JET_errInvalidOperation):
        jet.JetEscrowUpdate(s, t, bank.cnote, b"\x00" * 255)
    jet.JetMove(s, t, jet.JET_MoveLast)
    with pytest.raises(jet.JetError):
        jet.JetMove(s, t, jet.JET_MoveNext)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetEscrowUpdate(s, t, bank.cbal, i32(1))
    jet.JetRollback(s)


def test_read_only_transaction(bank: Bank) -> None:
    s, t = bank.session()
    bank.seek(s, t, 0)
    jet.JetBeginTransaction2(s, jet.JET_bitTransactionReadOnly)
    with expect(jet.JET_errTransReadOnly):  # ESE: pib.hxx ~1495
        jet.JetEscrowUpdate(s, t, bank.cbal, i32(1))
    jet.JetRollback(s)


def test_concurrent_deltas_commute_and_stay_isolated(bank: Bank) -> None:
    a, ta = bank.session()
    b, tb = bank.session()
    c, tc = bank.session()
    jet.JetBeginTransaction(c)  # snapshot before both
    assert bank.bal(c, tc, 1) == 0
    jet.JetBeginTransaction(a)
    jet.JetBeginTransaction(b)
    bank.seek(a, ta, 1)
    bank.seek(b, tb, 1)
    assert n32(jet.JetEscrowUpdate(a, ta, bank.cbal, i32(10))) == 0
    # ESE's page value holds a's uncommitted delta: b's old value includes it
    assert n32(jet.JetEscrowUpdate(b, tb, bank.cbal, i32(100))) == 10
    # each sees its snapshot plus its own delta only
    assert n32(jet.JetRetrieveColumn(a, ta, bank.cbal)) == 10
    assert n32(jet.JetRetrieveColumn(b, tb, bank.cbal)) == 100
    assert bank.bal(c, tc, 1) == 0
    jet.JetCommitTransaction(a)
    assert bank.bal(b, tb, 1) == 100  # a committed after b began
    jet.JetEscrowUpdate(b, tb, bank.cbal, i32(1))  # still commutes with a's committed delta
    jet.JetCommitTransaction(b)
    assert bank.bal(c, tc, 1) == 0  # c's snapshot is older than both
    jet.JetCommitTransaction(c)
    assert bank.bal(c, tc, 1) == 111


def test_delta_conflicts_with_replace_either_order(bank: Bank) -> None:
    a, ta = bank.session()
    b, tb = bank.session()
    bank.seek(a, ta, 2)
    bank.seek(b, tb, 2)
    jet.JetBeginTransaction(a)
    jet.JetBeginTransaction(b)
    jet.JetEscrowUpdate(a, ta, bank.cbal, i32(1))
    # ESE: ver.cxx FVERIWriteConflict, a replace does not commute with a delta
    with expect(jet.JET_errWriteConflict):
        jet.JetPrepareUpdate(b, tb, jet.JET_prepReplace)
    jet.JetPrepareUpdate(b, tb, jet.JET_prepReplaceNoLock)
    jet.JetSetColumn(b, tb, bank.cnote, b"x")
    with expect(jet.JET_errWriteConflict):
        jet.JetUpdate(b, tb)
    jet.JetPrepareUpdate(b, tb, jet.JET_prepCancel)
    with expect(jet.JET_errWriteConflict):
        jet.JetDelete(b, tb)
    jet.JetRollback(a)
    # the other order: b replaces, then a's delta conflicts
    jet.JetPrepareUpdate(b, tb, jet.JET_prepReplace)
    jet.JetSetColumn(b, tb, bank.cnote, b"y")
    jet.JetUpdate(b, tb)
    jet.JetBeginTransaction(a)
    with expect(jet.JET_errWriteConflict):
        jet.JetEscrowUpdate(a, ta, bank.cbal, i32(1))
    jet.JetCommitTransaction(b)
    # committed after a began: still a conflict for a (FActiveNotByMe)
    with expect(jet.JET_errWriteConflict):
        jet.JetEscrowUpdate(a, ta, bank.cbal, i32(1))
    jet.JetRollback(a)


def test_delta_conflicts_with_locks(bank: Bank) -> None:
    a, ta = bank.session()
    b, tb = bank.session()
    bank.seek(a, ta, 0)
    bank.seek(b, tb, 0)
    jet.JetBeginTransaction(a)
    jet.JetBeginTransaction(b)
    jet.JetGetLock(a, ta, jet.JET_bitReadLock)
    # read locks and deltas are different operations: they do not commute
    with expect(jet.JET_errWriteConflict):
        jet.JetEscrowUpdate(b, tb, bank.cbal, i32(1))
    jet.JetRollback(a)
    jet.JetEscrowUpdate(b, tb, bank.cbal, i32(1))
    jet.JetBeginTransaction(a)
    with expect(jet.JET_errWriteConflict):
        jet.JetGetLock(a, ta, jet.JET_bitReadLock)
    with expect(jet.JET_errWriteConflict):
        jet.JetGetLock(a, ta, jet.JET_bitWriteLock)
    jet.JetRollback(a)
    jet.JetRollback(b)


def test_own_replace_after_delta_and_delta_after_replace(bank: Bank) -> None:
    a, ta = bank.session()
    o, to = bank.session()
    bank.seek(a, ta, 1)
    jet.JetBeginTransaction(a)
    jet.JetEscrowUpdate(a, ta, bank.cbal, i32(5))
    jet.JetPrepareUpdate(a, ta, jet.JET_prepReplace)
    jet.JetSetColumn(a, ta, bank.cnote, b"n")
    jet.JetUpdate(a, ta)
    assert n32(jet.JetRetrieveColumn(a, ta, bank.cbal)) == 5
    assert n32(jet.JetEscrowUpdate(a, ta, bank.cbal, i32(2))) == 5
    assert n32(jet.JetRetrieveColumn(a, ta, bank.cbal)) == 7
    assert bank.bal(o, to, 1) == 0  # no dirty read of a's image or deltas
    bank.seek(o, to, 1)
    assert jet.JetRetrieveColumn(o, to, bank.cnote) is None
    jet.JetCommitTransaction(a)
    assert bank.bal(o, to, 1) == 7
    assert jet.JetRetrieveColumn(o, to, bank.cnote) == b"n"


def test_nested_rollback_undoes_exactly_that_level(bank: Bank) -> None:
    a, ta = bank.session()
    bank.seek(a, ta, 0)
    jet.JetBeginTransaction(a)
    jet.JetEscrowUpdate(a, ta, bank.cbal, i32(1))
    jet.JetBeginTransaction(a)
    jet.JetEscrowUpdate(a, ta, bank.cbal, i32(10))
    jet.JetBeginTransaction(a)
    jet.JetEscrowUpdate(a, ta, bank.cbal, i32(100))
    jet.JetCommitTransaction(a)  # level 3 -> 2
    assert n32(jet.JetRetrieveColumn(a, ta, bank.cbal)) == 111
    jet.JetRollback(a)  # level 2 (with the committed level 3) undone
    assert n32(jet.JetRetrieveColumn(a, ta, bank.cbal)) == 1
    jet.JetCommitTransaction(a)
    assert bank.bal(a, ta, 0) == 1


def test_no_rollback_survives_rollback_and_is_visible(bank: Bank) -> None:
    a, ta = bank.session()
    o, to = bank.session()
    bank.seek(a, ta, 2)
    jet.JetBeginTransaction(a)
    jet.JetEscrowUpdate(a, ta, bank.cbal, i32(3))
    jet.JetEscrowUpdate(a, ta, bank.cbal, i32(40), jet.JET_bitEscrowNoRollback)
    assert bank.bal(o, to, 2) == 40  # unversioned: visible at once
    jet.JetRollback(a)
    assert bank.bal(a, ta, 2) == 40


def test_many_threads_of_deltas_sum_exactly(bank: Bank) -> None:
    n_threads, per = 4, 50
    barrier = threading.Barrier(n_threads)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            s, t = bank.session()
            bank.seek(s, t, 0)
            barrier.wait(WAIT)
            for _ in range(per):
                jet.JetBeginTransaction(s)
                jet.JetEscrowUpdate(s, t, bank.cbal, i32(1))
                jet.JetEscrowUpdate(s, t, bank.cbig, struct.pack("<q", 2))
                jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(WAIT * 3)
    assert not errors
    s, t = bank.session()
    assert bank.bal(s, t, 0) == n_threads * per
    assert jet.JetRetrieveColumn(s, t, bank.cbig) == struct.pack("<q", 2 * n_threads * per)


def test_recovery_replays_the_sum(tmp_path) -> None:
    inst = jet.JetCreateInstance("r")
    jet.JetInit(inst)
    bank = Bank(inst, n=1)
    a, ta = bank.session()
    b, tb = bank.session()
    bank.seek(a, ta, 0)
    bank.seek(b, tb, 0)
    jet.JetBeginTransaction(a)
    jet.JetBeginTransaction(b)
    jet.JetEscrowUpdate(a, ta, bank.cbal, i32(7))
    jet.JetEscrowUpdate(b, tb, bank.cbal, i32(30))
    jet.JetCommitTransaction(b)
    jet.JetCommitTransaction(a)
    with expect(jet.JET_errDirtyShutdown):  # the log is replayed at the next init
        jet.JetTerm2(inst, jet.JET_bitTermDirty)
    inst = jet.JetCreateInstance("r")
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    jet.JetAttachDatabase(s, "e.edb")
    db = jet.JetOpenDatabase(s, "e.edb")
    t = jet.JetOpenTable(s, db, "acct")
    jet.JetMove(s, t, jet.JET_MoveFirst)
    assert n32(jet.JetRetrieveColumn(s, t, bank.cbal)) == 37
    jet.JetTerm(inst)
