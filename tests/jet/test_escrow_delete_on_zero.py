"""Escrow columns with JET_bitColumnDeleteOnZero / JET_bitColumnFinalize: a record whose
committed value reaches 0 is deleted after the commit.

ESE: recupd.cxx ErrRECIEscrowUpdate (fDIREscrowDeleteOnZero from FFIELDDeleteOnZero,
fDIREscrowCallbackOnZero from FFIELDFinalize), ver.cxx (delta RCEs carry fDeleteOnZero;
the delete happens in version cleanup once the delta is committed). Column checks:
fcreate.cxx ErrFILEIValidateAddColumn (see engine.schema.ddl.column_def).
"""

from __future__ import annotations

import struct
import threading

import pytest

import pyese.jet as jet

from .helpers import WAIT, expect


def i32(n: int) -> bytes:
    return struct.pack("<i", n)


class Counters:
    """Table ``c(id Long primary, n Long escrow DeleteOnZero default 0, tag Text indexed,
    blob LongBinary)`` with records 0..count-1, each with n = ``start``."""

    def __init__(self, inst: jet.JET_INSTANCE, count: int = 2, start: int = 2,
                 flag: int = jet.JET_bitColumnDeleteOnZero, name: str = "z.edb") -> None:
        self.inst = inst
        self.name = name
        s = jet.JetBeginSession(inst)
        self.db = jet.JetCreateDatabase(s, name)
        t = jet.JetCreateTable(s, self.db, "c")
        self.cid = jet.JetAddColumn(s, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
        self.cn = jet.JetAddColumn(s, t, "n", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnEscrowUpdate | flag), i32(0))
        self.ctag = jet.JetAddColumn(s, t, "tag", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText))
        self.cblob = jet.JetAddColumn(s, t, "blob",
                                      jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
        jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
        jet.JetCreateIndex(s, t, "bytag", 0, "+tag\0\0")
        for i in range(count):
            jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
            jet.JetSetColumn(s, t, self.cid, i32(i))
            jet.JetSetColumn(s, t, self.cn, i32(start))
            jet.JetSetColumn(s, t, self.ctag, b"tag%d" % i)
            jet.JetSetColumn(s, t, self.cblob, bytes([i]) * 5000)  # a separated LV
            jet.JetUpdate(s, t)
        jet.JetCloseTable(s, t)
        jet.JetEndSession(s)

    def session(self) -> tuple[jet.JET_SESID, jet.JET_TABLEID]:
        s = jet.JetBeginSession(self.inst)
        db = jet.JetOpenDatabase(s, self.name)
        return s, jet.JetOpenTable(s, db, "c")

    def seek(self, s: jet.JET_SESID, t: jet.JET_TABLEID, i: int) -> bool:
        jet.JetSetCurrentIndex(s, t, "primary")
        jet.JetMakeKey(s, t, i32(i), jet.JET_bitNewKey)
        try:
            jet.JetSeek(s, t, jet.JET_bitSeekEQ)
        except jet.JetError as exc:
            assert exc.err == jet.JET_errRecordNotFound
            return False
        return True

    def add(self, s: jet.JET_SESID, t: jet.JET_TABLEID, i: int, delta: int) -> None:
        assert self.seek(s, t, i)
        jet.JetEscrowUpdate(s, t, self.cn, i32(delta))

    def ids(self, s: jet.JET_SESID, t: jet.JET_TABLEID, index: str = "primary") -> list[int]:
        jet.JetSetCurrentIndex(s, t, index)
        out: list[int] = []
        try:
            jet.JetMove(s, t, jet.JET_MoveFirst)
        except jet.JetError:
            return out
        while True:
            out.append(struct.unpack("<i", jet.JetRetrieveColumn(s, t, self.cid))[0])
            try:
                jet.JetMove(s, t, jet.JET_MoveNext)
            except jet.JetError:
                return sorted(out)


def test_single_session_reaches_zero(inst: jet.JET_INSTANCE) -> None:
    c = Counters(inst)
    s, t = c.session()
    jet.JetBeginTransaction(s)
    c.add(s, t, 0, -2)
    # Inside the transaction the record is there, with 0.
    assert jet.JetRetrieveColumn(s, t, c.cn) == i32(0)
    jet.JetCommitTransaction(s)
    assert c.ids(s, t) == [1]
    # Its secondary index entry went with it.
    assert c.ids(s, t, "bytag") == [1]
    s2, t2 = c.session()
    assert c.ids(s2, t2) == [1]


def test_two_sessions_decrement_concurrently(inst: jet.JET_INSTANCE) -> None:
    c = Counters(inst)
    a, ta = c.session()
    b, tb = c.session()
    jet.JetBeginTransaction(a)
    jet.JetBeginTransaction(b)
    c.add(a, ta, 1, -1)
    c.add(b, tb, 1, -1)  # deltas commute: no write conflict
    jet.JetCommitTransaction(a)
    assert c.ids(a, ta) == [0, 1]  # committed value 1: still there
    jet.JetCommitTransaction(b)
    assert c.ids(a, ta) == [0]
    assert c.ids(b, tb) == [0]


def test_two_threads_decrement_concurrently(inst: jet.JET_INSTANCE) -> None:
    c = Counters(inst, count=1, start=2)
    barrier = threading.Barrier(2, timeout=WAIT)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            s, t = c.session()
            jet.JetBeginTransaction(s)
            c.add(s, t, 0, -1)
            barrier.wait()  # both deltas are made before either commits
            jet.JetCommitTransaction(s)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(WAIT)
    assert not errors
    s, t = c.session()
    assert c.ids(s, t) == []


def test_rollback_keeps_the_record(inst: jet.JET_INSTANCE) -> None:
    c = Counters(inst)
    s, t = c.session()
    jet.JetBeginTransaction(s)
    c.add(s, t, 0, -2)
    jet.JetRollback(s)
    assert c.ids(s, t) == [0, 1]
    c.seek(s, t, 0)
    assert jet.JetRetrieveColumn(s, t, c.cn) == i32(2)
    # A nested level that went through zero and was rolled back does not count either.
    jet.JetBeginTransaction(s)
    c.add(s, t, 0, -1)
    jet.JetBeginTransaction(s)
    c.add(s, t, 0, -1)
    jet.JetRollback(s)
    jet.JetCommitTransaction(s)
    assert c.ids(s, t) == [0, 1]


def test_through_zero_but_ending_nonzero_keeps_it(inst: jet.JET_INSTANCE) -> None:
    c = Counters(inst)
    s, t = c.session()
    jet.JetBeginTransaction(s)
    c.add(s, t, 0, -2)
    c.add(s, t, 0, +3)
    jet.JetCommitTransaction(s)
    assert c.ids(s, t) == [0, 1]
    c.seek(s, t, 0)
    assert jet.JetRetrieveColumn(s, t, c.cn) == i32(3)


def test_another_sessions_pending_delta_keeps_it(inst: jet.JET_INSTANCE) -> None:
    c = Counters(inst)
    a, ta = c.session()
    b, tb = c.session()
    jet.JetBeginTransaction(a)
    jet.JetBeginTransaction(b)
    c.add(a, ta, 0, -2)
    c.add(b, tb, 0, +5)
    jet.JetCommitTransaction(a)  # committed 0, but B's delta is active
    assert c.ids(a, ta) == [0, 1]
    jet.JetCommitTransaction(b)
    c.seek(a, ta, 0)
    assert jet.JetRetrieveColumn(a, ta, c.cn) == i32(5)


def test_reader_snapshot_still_sees_the_record(inst: jet.JET_INSTANCE) -> None:
    c = Counters(inst)
    r, tr = c.session()
    w, tw = c.session()
    jet.JetBeginTransaction(r)
    assert c.ids(r, tr) == [0, 1]
    jet.JetBeginTransaction(w)
    c.add(w, tw, 0, -2)
    jet.JetCommitTransaction(w)
    assert c.ids(w, tw) == [1]
    assert c.ids(r, tr) == [0, 1]
    assert c.seek(r, tr, 0)
    assert jet.JetRetrieveColumn(r, tr, c.cn) == i32(2)
    assert jet.JetRetrieveColumn(r, tr, c.cblob) == b"\x00" * 5000
    jet.JetCommitTransaction(r)
    assert c.ids(r, tr) == [1]


def test_finalize_column_deletes_too(inst: jet.JET_INSTANCE) -> None:
    # Not a JET_cbtypFinalize callback: ESE removed that behaviour. dbtask.cxx, "Historical
    # Notes" above FINALIZETASK<TDelta>::ErrExecuteDbTask: JET_bitColumnFinalize "has been
    # _behaving_ as delete on zero in windows for fifteen+ years" and the callback-only
    # Exchange behaviour was removed; fcreate.cxx ErrFILEIValidateAddColumn: Finalize
    # "actually performs all the actions of JET_bitColumnDeleteOnZero".
    c = Counters(inst, flag=jet.JET_bitColumnFinalize)
    s, t = c.session()
    jet.JetBeginTransaction(s)
    c.add(s, t, 1, -2)
    jet.JetCommitTransaction(s)
    assert c.ids(s, t) == [0]


def test_plain_escrow_column_is_not_deleted(inst: jet.JET_INSTANCE) -> None:
    c = Counters(inst, flag=0)
    s, t = c.session()
    jet.JetBeginTransaction(s)
    c.add(s, t, 1, -2)
    jet.JetCommitTransaction(s)
    assert c.ids(s, t) == [0, 1]


@pytest.mark.parametrize("grbit, err", [
    # ESE: fcreate.cxx ErrFILEIValidateAddColumn -- without EscrowUpdate: InvalidGrbit
    (jet.JET_bitColumnDeleteOnZero | jet.JET_bitColumnFixed, jet.JET_errInvalidGrbit),
    (jet.JET_bitColumnFinalize | jet.JET_bitColumnFixed, jet.JET_errInvalidGrbit),
    # both together: InvalidGrbit
    (jet.JET_bitColumnEscrowUpdate | jet.JET_bitColumnDeleteOnZero
     | jet.JET_bitColumnFinalize, jet.JET_errInvalidGrbit),
])
def test_column_checks(inst: jet.JET_INSTANCE, grbit: int, err: int) -> None:
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "k.edb")
    t = jet.JetCreateTable(s, db, "k")
    with expect(err):
        jet.JetAddColumn(s, t, "n", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong, grbit=grbit),
                         i32(0))


def test_delete_is_durable_across_reopen(tmp_path) -> None:
    inst = jet.JetCreateInstance("dz")
    jet.JetInit(inst)
    c = Counters(inst, name="d.edb")
    s, t = c.session()
    jet.JetBeginTransaction(s)
    c.add(s, t, 0, -2)
    jet.JetCommitTransaction(s)
    with expect(jet.JET_errDirtyShutdown):  # recovery replays the logged delete
        jet.JetTerm2(inst, jet.JET_bitTermDirty)
    inst = jet.JetCreateInstance("dz")
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    jet.JetAttachDatabase(s, "d.edb")
    c.inst = inst
    s, t = c.session()
    assert c.ids(s, t) == [1]
    assert c.ids(s, t, "bytag") == [1]
    jet.JetTerm(inst)
