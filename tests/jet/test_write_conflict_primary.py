"""JET_errWriteConflictPrimaryIndex: updates of a table whose primary index another
session created and has not committed (or committed after this session's transaction
began).

ESE: fcb.cxx FCB::ErrSetUpdatingAndEnterDML (fWaitOnConflict false; FVersionedCreate and
ErrFILEIAccessIndex -> JET_errIndexNotFound), called by recupd.cxx ErrRECIInsert (after
the NotNULL check), ErrRECIReplace (when a column was set) and ErrIsamDelete (after the
write lock).
"""

from __future__ import annotations

import struct
import threading

import pyese.jet as jet

from .helpers import WAIT, expect


def i32(n: int) -> bytes:
    return struct.pack("<i", n)


class Db:
    """Table ``t(id Long, must Long NotNULL, name Text)`` without a primary index."""

    def __init__(self, inst: jet.JET_INSTANCE) -> None:
        self.inst = inst
        s = jet.JetBeginSession(inst)
        db = jet.JetCreateDatabase(s, "w.edb")
        t = jet.JetCreateTable(s, db, "t")
        self.cid = jet.JetAddColumn(s, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
        self.cmust = jet.JetAddColumn(s, t, "must", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnNotNULL))
        self.cname = jet.JetAddColumn(s, t, "name",
                                      jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText))
        jet.JetCloseTable(s, t)

    def session(self) -> tuple[jet.JET_SESID, jet.JET_TABLEID]:
        s = jet.JetBeginSession(self.inst)
        db = jet.JetOpenDatabase(s, "w.edb")
        return s, jet.JetOpenTable(s, db, "t")

    def insert(self, s: jet.JET_SESID, t: jet.JET_TABLEID, i: int,
               must: bool = True) -> bytes:
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, self.cid, i32(i))
        if must:
            jet.JetSetColumn(s, t, self.cmust, i32(0))
        return jet.JetUpdate(s, t)

    def ids(self, s: jet.JET_SESID, t: jet.JET_TABLEID) -> list[int]:
        out = []
        try:
            jet.JetMove(s, t, jet.JET_MoveFirst)
        except jet.JetError:
            return out
        while True:
            out.append(struct.unpack("<i", jet.JetRetrieveColumn(s, t, self.cid))[0])
            try:
                jet.JetMove(s, t, jet.JET_MoveNext)
            except jet.JetError:
                return out


def _create_primary(s: jet.JET_SESID, t: jet.JET_TABLEID) -> None:
    jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+id\0\0")


def test_insert_against_uncommitted_primary_index(inst: jet.JET_INSTANCE) -> None:
    d = Db(inst)
    a, ta = d.session()
    b, tb = d.session()
    jet.JetBeginTransaction(a)
    _create_primary(a, ta)
    # B at level 0 and inside a transaction: the index is A's, uncommitted.
    with expect(jet.JET_errWriteConflictPrimaryIndex):
        d.insert(b, tb, 1)
    # The failed update stays prepared (JetUpdate fails without writing anything).
    jet.JetPrepareUpdate(b, tb, jet.JET_prepCancel)
    jet.JetBeginTransaction(b)
    with expect(jet.JET_errWriteConflictPrimaryIndex):
        d.insert(b, tb, 1)
    jet.JetPrepareUpdate(b, tb, jet.JET_prepCancel)
    jet.JetRollback(b)
    # A itself inserts through its own primary index.
    d.insert(a, ta, 7)
    jet.JetCommitTransaction(a)
    # After A's commit B (level 0) sees the index: its insert is keyed by it.
    d.insert(b, tb, 3)
    assert d.ids(b, tb) == [3, 7]
    jet.JetSetCurrentIndex(b, tb, "pk")
    jet.JetMakeKey(b, tb, i32(3), jet.JET_bitNewKey)
    jet.JetSeek(b, tb, jet.JET_bitSeekEQ)
    with expect(jet.JET_errKeyDuplicate):
        d.insert(b, tb, 7)


def test_null_invalid_comes_first(inst: jet.JET_INSTANCE) -> None:
    d = Db(inst)
    a, ta = d.session()
    b, tb = d.session()
    jet.JetBeginTransaction(a)
    _create_primary(a, ta)
    # ESE: recupd.cxx ErrRECIInsert checks ErrRECIIllegalNulls before
    # ErrSetUpdatingAndEnterDML.
    with expect(jet.JET_errNullInvalid):
        d.insert(b, tb, 1, must=False)
    jet.JetSetColumn(b, tb, d.cmust, i32(0))
    with expect(jet.JET_errWriteConflictPrimaryIndex):
        jet.JetUpdate(b, tb)
    jet.JetRollback(a)
    # A rolled back: B's insert goes through, sequentially keyed.
    jet.JetUpdate(b, tb)
    assert d.ids(b, tb) == [1]


def test_committed_after_my_transaction_began(inst: jet.JET_INSTANCE) -> None:
    d = Db(inst)
    a, ta = d.session()
    b, tb = d.session()
    jet.JetBeginTransaction(b)
    assert d.ids(b, tb) == []
    jet.JetBeginTransaction(a)
    _create_primary(a, ta)
    jet.JetCommitTransaction(a)
    # The index is committed, but after B's snapshot: B cannot see it.
    with expect(jet.JET_errWriteConflictPrimaryIndex):
        d.insert(b, tb, 1)
    jet.JetPrepareUpdate(b, tb, jet.JET_prepCancel)
    jet.JetRollback(b)
    jet.JetBeginTransaction(b)
    d.insert(b, tb, 2)
    jet.JetCommitTransaction(b)
    assert d.ids(a, ta) == [2]


def test_create_primary_sees_uncommitted_insert(inst: jet.JET_INSTANCE) -> None:
    d = Db(inst)
    a, ta = d.session()
    b, tb = d.session()
    jet.JetBeginTransaction(b)
    d.insert(b, tb, 5)
    # B's insert is invisible to A, but it is a record: a primary index would not cover
    # it (ESE looks for any node of the table).
    assert d.ids(a, ta) == []
    with expect(jet.JET_errTableNotEmpty):
        _create_primary(a, ta)
    jet.JetBeginTransaction(a)
    with expect(jet.JET_errTableNotEmpty):
        _create_primary(a, ta)
    jet.JetCommitTransaction(a)
    jet.JetRollback(b)
    # B's insert is gone: now the table is empty and the index can be created.
    _create_primary(a, ta)
    d.insert(b, tb, 4)
    assert d.ids(b, tb) == [4]


def test_committed_records_after_delete_allow_primary(inst: jet.JET_INSTANCE) -> None:
    d = Db(inst)
    a, ta = d.session()
    d.insert(a, ta, 1)
    jet.JetMove(a, ta, jet.JET_MoveFirst)
    jet.JetDelete(a, ta)
    _create_primary(a, ta)
    d.insert(a, ta, 2)
    assert d.ids(a, ta) == [2]


def _race_round(d: Db) -> dict[str, int]:
    a, ta = d.session()
    b, tb = d.session()
    barrier = threading.Barrier(2, timeout=WAIT)
    out: dict[str, int] = {}

    def creator() -> None:
        jet.JetBeginTransaction(a)
        barrier.wait()
        try:
            _create_primary(a, ta)
            out["a"] = 0
        except jet.JetError as exc:
            out["a"] = exc.err
        barrier.wait()
        jet.JetRollback(a)

    def inserter() -> None:
        jet.JetBeginTransaction(b)
        barrier.wait()
        try:
            d.insert(b, tb, 1)
            out["b"] = 0
        except jet.JetError as exc:
            out["b"] = exc.err
            jet.JetPrepareUpdate(b, tb, jet.JET_prepCancel)
        barrier.wait()
        jet.JetRollback(b)

    threads = [threading.Thread(target=creator), threading.Thread(target=inserter)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(WAIT)
    jet.JetCloseTable(a, ta)
    jet.JetCloseTable(b, tb)
    return out


def test_two_threads_race_create_and_insert(inst: jet.JET_INSTANCE) -> None:
    """Whatever the interleaving, never both succeed: the insert fails with
    WriteConflictPrimaryIndex or the index creation with TableNotEmpty (when both wrote
    before either checked, both fail, like any write conflict). Both transactions are
    then rolled back, so every round starts from an empty table without a primary
    index."""
    d = Db(inst)
    for _round in range(5):
        out = _race_round(d)
        assert out["a"] in (0, jet.JET_errTableNotEmpty)
        assert out["b"] in (0, jet.JET_errWriteConflictPrimaryIndex)
        assert not (out["a"] == 0 and out["b"] == 0), out
