"""Currency after the current record is deleted (by this cursor, by another session, or
changed under a secondary-index cursor), and JetIndexRecordCount (issue 5).

ESE: the cursor keeps the bookmark of a deleted node (dir.cxx ErrDIRNext / ErrDIRPrev:
JET_errRecordDeleted from ErrBTNext -> BTSetupOnSeekBM and re-seek), reads of it give
JET_errRecordDeleted (bt.cxx ErrBTGet), JetGetBookmark only checks the cursor is on a
node (dir.hxx ErrDIRGetBookmark). ManagedEsent DMLCurrencyTests
CursorPositionAfterDeleteClustered. Visibility: snapshot isolation (ver.cxx).
JetIndexRecordCount: dir.cxx ErrDIRIndexRecordCount.
"""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet

from .helpers import expect


def i32(n: int) -> bytes:
    return struct.pack("<i", n)


class T:
    """Table ``t(id Long primary, v Long, indexed by ixv)`` with ids 10..50 (v = id)."""

    def __init__(self, inst: jet.JET_INSTANCE) -> None:
        self.inst = inst
        self.s = s = jet.JetBeginSession(inst)
        self.db = jet.JetCreateDatabase(s, "d.edb")
        t = jet.JetCreateTable(s, self.db, "t")
        self.cid = jet.JetAddColumn(s, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
        self.cv = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
        jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
        jet.JetCreateIndex(s, t, "ixv", 0, "+v\0\0")
        self.bm: dict[int, bytes] = {}
        for i in (10, 20, 30, 40, 50):
            self.bm[i] = self.insert(s, t, i)
        jet.JetCloseTable(s, t)
        self.t = jet.JetOpenTable(s, self.db, "t")

    def insert(self, s, t, i: int) -> bytes:
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, self.cid, i32(i))
        jet.JetSetColumn(s, t, self.cv, i32(i))
        return jet.JetUpdate(s, t)

    def other(self):
        s = jet.JetBeginSession(self.inst)
        db = jet.JetOpenDatabase(s, "d.edb")
        return s, jet.JetOpenTable(s, db, "t")

    def id(self, s=None, t=None) -> int:
        return struct.unpack("<i", jet.JetRetrieveColumn(s or self.s, t or self.t, self.cid))[0]

    def seek(self, i: int, s=None, t=None) -> None:
        jet.JetMakeKey(s or self.s, t or self.t, i32(i), jet.JET_bitNewKey)
        jet.JetSeek(s or self.s, t or self.t, jet.JET_bitSeekEQ)


@pytest.fixture
def tt(inst: jet.JET_INSTANCE) -> T:
    return T(inst)


# -- deleted by this cursor ----------------------------------------------------------------

@pytest.mark.parametrize("index", ["primary", "ixv"])
def test_delete_by_this_cursor(tt: T, index: str) -> None:
    jet.JetSetCurrentIndex(tt.s, tt.t, index)
    tt.seek(30)
    jet.JetDelete(tt.s, tt.t)
    with expect(jet.JET_errRecordDeleted):
        jet.JetRetrieveColumn(tt.s, tt.t, tt.cid)
    with expect(jet.JET_errRecordDeleted):
        jet.JetMove(tt.s, tt.t, 0)
    with expect(jet.JET_errRecordDeleted):
        jet.JetRetrieveKey(tt.s, tt.t)
    with expect(jet.JET_errRecordDeleted):
        jet.JetIndexRecordCount(tt.s, tt.t, 0)
    with expect(jet.JET_errRecordDeleted):
        jet.JetPrepareUpdate(tt.s, tt.t, jet.JET_prepReplace)
    with expect(jet.JET_errRecordDeleted):
        jet.JetDelete(tt.s, tt.t)
    # ESE dir.hxx ErrDIRGetBookmark: still on the node, the bookmark is returned
    assert jet.JetGetBookmark(tt.s, tt.t) == tt.bm[30]
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    assert tt.id() == 40
    tt.seek(40)
    jet.JetDelete(tt.s, tt.t)
    jet.JetMove(tt.s, tt.t, jet.JET_MovePrevious)  # skips the deleted 30 as well
    assert tt.id() == 20
    with expect(jet.JET_errRecordDeleted):
        jet.JetGotoBookmark(tt.s, tt.t, tt.bm[30])


def test_delete_then_reinsert_same_key_is_seen(tt: T) -> None:
    # ManagedEsent DMLCurrencyTests.CursorPositionAfterDeleteClustered
    tt.seek(20)
    jet.JetDelete(tt.s, tt.t)
    s2, t2 = tt.other()
    tt.insert(s2, t2, 20)
    assert tt.id() == 20


def test_delete_inside_transaction_then_moves(tt: T) -> None:
    jet.JetBeginTransaction(tt.s)
    tt.seek(10)
    jet.JetDelete(tt.s, tt.t)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(tt.s, tt.t, jet.JET_MovePrevious)
    jet.JetMove(tt.s, tt.t, jet.JET_MoveFirst)
    assert tt.id() == 20
    jet.JetCommitTransaction(tt.s)


# -- deleted by another session ------------------------------------------------------------

def test_committed_delete_by_other_session_seen_at_level_0(tt: T) -> None:
    tt.seek(30)
    s2, t2 = tt.other()
    tt.seek(30, s2, t2)
    jet.JetDelete(s2, t2)
    with expect(jet.JET_errRecordDeleted):
        jet.JetRetrieveColumn(tt.s, tt.t, tt.cid)
    assert jet.JetGetBookmark(tt.s, tt.t) == tt.bm[30]
    jet.JetMove(tt.s, tt.t, jet.JET_MovePrevious)
    assert tt.id() == 20
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    assert tt.id() == 40


def test_uncommitted_delete_by_other_session_not_seen(tt: T) -> None:
    tt.seek(30)
    s2, t2 = tt.other()
    jet.JetBeginTransaction(s2)
    tt.seek(30, s2, t2)
    jet.JetDelete(s2, t2)
    assert tt.id() == 30
    assert jet.JetIndexRecordCount(tt.s, tt.t, 0) == 3
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    jet.JetMove(tt.s, tt.t, jet.JET_MovePrevious)
    assert tt.id() == 30
    jet.JetRollback(s2)
    assert tt.id() == 30


def test_delete_committed_after_snapshot_not_seen_inside_transaction(tt: T) -> None:
    jet.JetBeginTransaction(tt.s)
    tt.seek(30)
    s2, t2 = tt.other()
    tt.seek(30, s2, t2)
    jet.JetDelete(s2, t2)  # level 0: committed at once, after our snapshot
    assert tt.id() == 30
    jet.JetMove(tt.s, tt.t, jet.JET_MovePrevious)
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    assert tt.id() == 30
    jet.JetCommitTransaction(tt.s)
    with expect(jet.JET_errRecordDeleted):
        jet.JetRetrieveColumn(tt.s, tt.t, tt.cid)


# -- secondary-index entry changed by another cursor of the same session --------------------

def test_secondary_entry_moved_by_replace_through_other_cursor(tt: T) -> None:
    jet.JetSetCurrentIndex(tt.s, tt.t, "ixv")
    tt.seek(20)
    t2 = jet.JetOpenTable(tt.s, tt.db, "t")
    tt.seek(20, tt.s, t2)
    jet.JetPrepareUpdate(tt.s, t2, jet.JET_prepReplace)
    jet.JetSetColumn(tt.s, t2, tt.cv, i32(45))
    jet.JetUpdate(tt.s, t2)
    # The table's FUCB is still on record 20 and reads its new image; the index FUCB's
    # node (v=20) has gone: ErrDIRGet on it gives RecordDeleted.
    assert tt.id() == 20
    assert jet.JetRetrieveColumn(tt.s, tt.t, tt.cv) == i32(45)
    with expect(jet.JET_errRecordDeleted):
        jet.JetMove(tt.s, tt.t, 0)
    with expect(jet.JET_errRecordDeleted):
        jet.JetRetrieveKey(tt.s, tt.t)
    with expect(jet.JET_errRecordDeleted):
        jet.JetGetSecondaryIndexBookmark(tt.s, tt.t)
    # moves continue from the old key: 30, 40, then 20 again at its new key 45, 50
    seen = []
    while True:
        try:
            jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
        except jet.JetError:
            break
        seen.append(tt.id())
    assert seen == [30, 40, 20, 50]


# -- JetIndexRecordCount ---------------------------------------------------------------

def test_index_record_count_from_current_with_limit_and_range(tt: T) -> None:
    assert jet.JetIndexRecordCount(tt.s, tt.t, 0) == 5  # deferred: from the first
    tt.seek(20)
    assert jet.JetIndexRecordCount(tt.s, tt.t, 0) == 4
    assert jet.JetIndexRecordCount(tt.s, tt.t, 2) == 2
    assert jet.JetIndexRecordCount(tt.s, tt.t, 1) == 1
    assert tt.id() == 20  # position kept
    jet.JetMakeKey(tt.s, tt.t, i32(40), jet.JET_bitNewKey)
    jet.JetSetIndexRange(tt.s, tt.t, jet.JET_bitRangeUpperLimit)
    assert jet.JetIndexRecordCount(tt.s, tt.t, 0) == 2  # 20, 30 (40 excluded)
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)  # the count removed the range
    assert tt.id() == 40
    jet.JetMakeKey(tt.s, tt.t, i32(10), jet.JET_bitNewKey)
    jet.JetSetIndexRange(tt.s, tt.t, jet.JET_bitRangeInclusive)  # lower: not counted against
    assert jet.JetIndexRecordCount(tt.s, tt.t, 0) == 2


def test_index_record_count_off_a_record(tt: T) -> None:
    jet.JetMove(tt.s, tt.t, jet.JET_MoveLast)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    # ESE dir.cxx ErrDIRIndexRecordCount: locOnCurBM required
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetIndexRecordCount(tt.s, tt.t, 0)
    jet.JetMakeKey(tt.s, tt.t, i32(25), jet.JET_bitNewKey)
    with expect(jet.JET_errRecordNotFound):
        jet.JetSeek(tt.s, tt.t, jet.JET_bitSeekEQ)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetIndexRecordCount(tt.s, tt.t, 0)


def test_index_record_count_error_keeps_range(tt: T) -> None:
    tt.seek(20)
    jet.JetMakeKey(tt.s, tt.t, i32(30), jet.JET_bitNewKey)
    jet.JetSetIndexRange(tt.s, tt.t, jet.JET_bitRangeUpperLimit | jet.JET_bitRangeInclusive)
    jet.JetDelete(tt.s, tt.t)
    with expect(jet.JET_errRecordDeleted):
        jet.JetIndexRecordCount(tt.s, tt.t, 0)
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    assert tt.id() == 30
    with expect(jet.JET_errNoCurrentRecord):  # the range is still there
        jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)


def test_index_record_count_empty_table(tt: T) -> None:
    t = jet.JetCreateTable(tt.s, tt.db, "empty")
    jet.JetAddColumn(tt.s, t, "a", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    assert jet.JetIndexRecordCount(tt.s, t, 0) == 0


def test_index_record_count_sees_own_uncommitted_changes(tt: T) -> None:
    s2, t2 = tt.other()
    jet.JetBeginTransaction(tt.s)
    tt.insert(tt.s, tt.t, 35)
    tt.seek(50)
    jet.JetDelete(tt.s, tt.t)
    jet.JetSetCurrentIndex(tt.s, tt.t, "ixv")
    assert jet.JetIndexRecordCount(tt.s, tt.t, 0) == 5  # 10 20 30 35 40
    assert jet.JetIndexRecordCount(s2, t2, 0) == 5  # 10 20 30 40 50
    tt.insert(s2, t2, 60)  # committed by the other session after our snapshot
    assert jet.JetIndexRecordCount(tt.s, tt.t, 0) == 5
    jet.JetCommitTransaction(tt.s)
    assert jet.JetIndexRecordCount(tt.s, tt.t, 0) == 6  # 10 20 30 35 40 60
