"""Snapshot isolation through the JET API: every read path sees the level-0 begin plus the
transaction's own changes; write conflicts; unique keys between concurrent inserters;
nested rollback; the version store's limit.

ESE: ver.cxx ~3255-3330 (visibility), ver.cxx FVERIWriteConflict ~4159 / ver.hxx
FActiveNotByMe (conflicts), bt.cxx ~5716 (concurrent unique inserts: KeyDuplicate),
ver.cxx ErrVERRollback (one level), ver.cxx ~574 (VersionStoreOutOfMemory).
"""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet
from pyese.engine.instance.gate import session_call
from pyese.engine.instance.logservice import storage_of

from .helpers import expect


def i32(n: int) -> bytes:
    return struct.pack("<i", n)


class People:
    """Table ``p(id Long primary, name Text unique index, blob LongBinary)``."""

    def __init__(self, inst: jet.JET_INSTANCE, rows: int = 3) -> None:
        self.inst = inst
        s = jet.JetBeginSession(inst)
        jet.JetCreateDatabase(s, "i.edb")
        db = jet.JetOpenDatabase(s, "i.edb")
        t = jet.JetCreateTable(s, db, "p")
        self.cid = jet.JetAddColumn(s, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
        self.cname = jet.JetAddColumn(s, t, "name",
                                      jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText))
        self.cblob = jet.JetAddColumn(s, t, "blob",
                                      jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
        jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
        jet.JetCreateIndex(s, t, "byname", jet.JET_bitIndexUnique, "+name\0\0")
        for i in range(rows):
            self.insert(s, t, i, f"n{i}".encode(), bytes([i]) * 3000)
        jet.JetCloseTable(s, t)

    def insert(self, s, t, i: int, name: bytes, blob: bytes | None = None) -> None:
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, self.cid, i32(i))
        jet.JetSetColumn(s, t, self.cname, name)
        if blob is not None:
            jet.JetSetColumn(s, t, self.cblob, blob)
        jet.JetUpdate(s, t)

    def session(self):
        s = jet.JetBeginSession(self.inst)
        db = jet.JetOpenDatabase(s, "i.edb")
        return s, jet.JetOpenTable(s, db, "p")

    def seek(self, s, t, i: int) -> None:
        jet.JetSetCurrentIndex(s, t, "primary")
        jet.JetMakeKey(s, t, i32(i), jet.JET_bitNewKey)
        jet.JetSeek(s, t, jet.JET_bitSeekEQ)

    def ids(self, s, t, index: str = "primary") -> list[int]:
        jet.JetSetCurrentIndex(s, t, index)
        out = []
        try:
            jet.JetMove(s, t, jet.JET_MoveFirst)
            while True:
                out.append(struct.unpack("<i", jet.JetRetrieveColumn(s, t, self.cid))[0])
                jet.JetMove(s, t, jet.JET_MoveNext)
        except jet.JetError as exc:
            assert exc.err == jet.JET_errNoCurrentRecord
        return out

    def count(self, s, t, index: str) -> int:
        jet.JetSetCurrentIndex(s, t, index)
        jet.JetMove(s, t, jet.JET_MoveFirst)
        return int(jet.JetIndexRecordCount(s, t, 0))

    def replace(self, s, t, i: int, name: bytes | None = None, blob: bytes | None = None,
                prep: int = jet.JET_prepReplace) -> None:
        self.seek(s, t, i)
        jet.JetPrepareUpdate(s, t, prep)
        if name is not None:
            jet.JetSetColumn(s, t, self.cname, name)
        if blob is not None:
            jet.JetSetColumn(s, t, self.cblob, blob)
        jet.JetUpdate(s, t)


@pytest.fixture
def people(inst: jet.JET_INSTANCE) -> People:
    return People(inst)


def test_every_read_path_sees_the_snapshot(people: People) -> None:
    r, tr = people.session()
    w, tw = people.session()
    jet.JetBeginTransaction(r)
    assert people.ids(r, tr) == [0, 1, 2]
    # w commits an insert, a replace (name and long value) and a delete, at level 0
    people.insert(w, tw, 7, b"n7", b"z" * 5000)
    people.replace(w, tw, 1, name=b"zz", blob=b"Q" * 4000)
    people.seek(w, tw, 2)
    jet.JetDelete(w, tw)
    # r: moves, seeks, retrieves, index ranges and counts, long values as of its begin
    assert people.ids(r, tr) == [0, 1, 2]
    assert people.ids(r, tr, "byname") == [0, 1, 2]
    assert people.count(r, tr, "primary") == 3
    assert people.count(r, tr, "byname") == 3
    people.seek(r, tr, 1)
    assert jet.JetRetrieveColumn(r, tr, people.cname) == b"n1"
    assert jet.JetRetrieveColumn(r, tr, people.cblob) == bytes([1]) * 3000
    jet.JetSetCurrentIndex(r, tr, "byname")
    jet.JetMakeKey(r, tr, b"zz", jet.JET_bitNewKey)
    with expect(jet.JET_errRecordNotFound):
        jet.JetSeek(r, tr, jet.JET_bitSeekEQ)
    jet.JetMakeKey(r, tr, b"n", jet.JET_bitNewKey)
    jet.JetSeek(r, tr, jet.JET_bitSeekGE)
    jet.JetMakeKey(r, tr, b"n1", jet.JET_bitNewKey)
    jet.JetSetIndexRange(r, tr, jet.JET_bitRangeUpperLimit | jet.JET_bitRangeInclusive)
    assert jet.JetIndexRecordCount(r, tr, 0) == 2
    # outside a transaction w sees the latest committed state
    assert people.ids(w, tw) == [0, 1, 7]
    assert people.ids(w, tw, "byname") == [0, 7, 1]
    jet.JetCommitTransaction(r)
    assert people.ids(r, tr) == [0, 1, 7]
    people.seek(r, tr, 1)
    assert jet.JetRetrieveColumn(r, tr, people.cblob) == b"Q" * 4000


def test_own_changes_visible_others_not(people: People) -> None:
    a, ta = people.session()
    b, tb = people.session()
    jet.JetBeginTransaction(a)
    people.insert(a, ta, 5, b"a5", b"x" * 2000)
    people.replace(a, ta, 0, name=b"a0")
    assert people.ids(a, ta, "byname") == [0, 5, 1, 2]  # a0 < a5 < n1 < n2
    assert people.ids(b, tb, "byname") == [0, 1, 2]  # no dirty read
    jet.JetBeginTransaction(b)
    assert people.count(b, tb, "byname") == 3
    jet.JetCommitTransaction(a)
    assert people.ids(b, tb, "byname") == [0, 1, 2]  # repeatable inside b
    jet.JetCommitTransaction(b)
    assert people.ids(b, tb, "byname") == [0, 5, 1, 2]


def test_update_of_record_committed_after_begin_conflicts(people: People) -> None:
    a, ta = people.session()
    b, tb = people.session()
    jet.JetBeginTransaction(b)
    people.seek(b, tb, 1)
    people.replace(a, ta, 1, name=b"a")  # level 0: commits at once
    # ESE: FActiveNotByMe, committed after b's trxBegin0 -> lost update prevented
    with expect(jet.JET_errWriteConflict):
        jet.JetPrepareUpdate(b, tb, jet.JET_prepReplace)
    jet.JetPrepareUpdate(b, tb, jet.JET_prepReplaceNoLock)
    jet.JetSetColumn(b, tb, people.cname, b"b")
    with expect(jet.JET_errWriteConflict):
        jet.JetUpdate(b, tb)
    jet.JetPrepareUpdate(b, tb, jet.JET_prepCancel)
    with expect(jet.JET_errWriteConflict):
        jet.JetDelete(b, tb)
    jet.JetRollback(b)
    people.replace(b, tb, 1, name=b"b")


def test_prepare_replace_locks_replace_nolock_does_not(people: People) -> None:
    a, ta = people.session()
    b, tb = people.session()
    jet.JetBeginTransaction(a)
    jet.JetBeginTransaction(b)
    people.seek(a, ta, 0)
    people.seek(b, tb, 0)
    jet.JetPrepareUpdate(a, ta, jet.JET_prepReplace)
    # ESE: M DMLCurrencyTests.JetPrepareUpdateFlagsReplace
    with expect(jet.JET_errWriteConflict):
        jet.JetPrepareUpdate(b, tb, jet.JET_prepReplace)
    jet.JetPrepareUpdate(b, tb, jet.JET_prepReplaceNoLock)  # found only at JetUpdate
    jet.JetSetColumn(b, tb, people.cname, b"b")
    with expect(jet.JET_errWriteConflict):
        jet.JetUpdate(b, tb)
    jet.JetRollback(b)
    jet.JetRollback(a)


@pytest.mark.parametrize("second_commits_first", [False, True])
def test_concurrent_insert_same_primary_key(people: People, second_commits_first) -> None:
    a, ta = people.session()
    b, tb = people.session()
    jet.JetBeginTransaction(a)
    jet.JetBeginTransaction(b)
    people.insert(a, ta, 9, b"x9")
    # ESE: bt.cxx ~5716, the second inserter of a key gets KeyDuplicate
    with expect(jet.JET_errKeyDuplicate):
        people.insert(b, tb, 9, b"y9")
    jet.JetPrepareUpdate(b, tb, jet.JET_prepCancel)
    jet.JetCommitTransaction(a)
    with expect(jet.JET_errKeyDuplicate):
        people.insert(b, tb, 9, b"y9")
    jet.JetRollback(b)


def test_concurrent_insert_same_unique_secondary_key(people: People) -> None:
    a, ta = people.session()
    b, tb = people.session()
    jet.JetBeginTransaction(a)
    jet.JetBeginTransaction(b)
    people.insert(a, ta, 10, b"same")
    with expect(jet.JET_errKeyDuplicate):
        people.insert(b, tb, 11, b"same")
    jet.JetPrepareUpdate(b, tb, jet.JET_prepCancel)
    jet.JetRollback(a)
    people.insert(b, tb, 11, b"same")  # free again after a's rollback
    jet.JetCommitTransaction(b)
    assert people.ids(a, ta, "byname")[-1] == 11


def test_nested_rollback_undoes_exactly_one_level(people: People) -> None:
    a, ta = people.session()
    jet.JetBeginTransaction(a)
    people.insert(a, ta, 20, b"l1", b"1" * 3000)
    jet.JetBeginTransaction(a)
    people.insert(a, ta, 21, b"l2", b"2" * 3000)
    people.replace(a, ta, 20, name=b"l1x", blob=b"3" * 3500)
    jet.JetBeginTransaction(a)
    people.seek(a, ta, 0)
    jet.JetDelete(a, ta)
    jet.JetCommitTransaction(a)  # level 3 joins level 2
    assert people.ids(a, ta, "byname") == [20, 21, 1, 2]  # l1x < l2 < n1 < n2
    jet.JetRollback(a)  # level 2, including what level 3 did
    assert people.ids(a, ta, "byname") == [20, 0, 1, 2]
    people.seek(a, ta, 20)
    assert jet.JetRetrieveColumn(a, ta, people.cname) == b"l1"
    assert jet.JetRetrieveColumn(a, ta, people.cblob) == b"1" * 3000
    jet.JetCommitTransaction(a)
    assert people.ids(a, ta, "byname") == [20, 0, 1, 2]


def test_nested_rollback_of_ddl(people: People) -> None:
    a, ta = people.session()
    jet.JetBeginTransaction(a)
    jet.JetBeginTransaction(a)
    jet.JetCreateIndex(a, ta, "byblob", 0, "+id\0\0")
    jet.JetCreateTable(a, jet.JetOpenDatabase(a, "i.edb"), "inner")
    jet.JetRollback(a)
    db = jet.JetOpenDatabase(a, "i.edb")
    fresh = jet.JetOpenTable(a, db, "p")
    with expect(jet.JET_errIndexNotFound):
        jet.JetSetCurrentIndex(a, fresh, "byblob")
    with expect(jet.JET_errObjectNotFound):
        jet.JetOpenTable(a, db, "inner")
    jet.JetCommitTransaction(a)


def test_version_store_out_of_memory_rolls_back_others_go_on() -> None:
    inst = jet.JetCreateInstance("v")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramMaxVerPages, 1)
    jet.JetInit(inst)
    people = People(inst, rows=1)
    a, ta = people.session()
    b, tb = people.session()
    jet.JetBeginTransaction(a)
    with expect(jet.JET_errVersionStoreOutOfMemory):
        for i in range(100, 10_000):
            people.insert(a, ta, i, str(i).encode(), b"v" * 3000)
    jet.JetPrepareUpdate(a, ta, jet.JET_prepCancel)
    # a's transaction is still open and can roll back; others go on
    jet.JetRollback(a)
    people.insert(b, tb, 50, b"b50")
    assert people.ids(a, ta) == [0, 50]
    jet.JetTerm(inst)


def test_long_reader_holds_versions_until_it_ends(people: People) -> None:
    r, tr = people.session()
    with session_call(r) as session:
        vs = storage_of(session.instance).vs
    w, tw = people.session()
    jet.JetBeginTransaction(r)
    people.seek(r, tr, 0)
    assert jet.JetRetrieveColumn(r, tr, people.cname) == b"n0"
    for k in range(30):
        people.replace(w, tw, 0, name=f"w{k}".encode())
    jet.JetCommitTransaction(w, jet.JET_bitWaitAllLevel0Commit)
    assert jet.JetRetrieveColumn(r, tr, people.cname) == b"n0"  # r still reads its snapshot
    held = vs.nbytes
    assert held > 30 * 64
    jet.JetCommitTransaction(r)
    # the reader's end lets cleanup drop what only it needed (bounded retries: the
    # applier may still be writing the last commits to the file)
    for _ in range(200):
        jet.JetCommitTransaction(w, jet.JET_bitWaitAllLevel0Commit)
        vs.cleanup()
        if vs.nbytes < held // 4:
            break
        import threading
        threading.Event().wait(0.01)
    assert vs.nbytes < held // 4
