"""What JetRollback does to the session's cursors (issue 5).

ESE: tm.cxx ErrIsamRollback (cancel updates prepared at the level, close cursors opened in
it, drop a secondary index made current in it), dir.cxx ErrDIRRollback (a FUCB that
navigated at the level goes before the first entry: LevelFUCBNavigate, DIRBeforeFirst),
dir.cxx ErrDIRCommitTransaction (a commit moves levelOpen / levelPrep / levelNavigate down).
"""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet

from .helpers import expect


def i32(n: int) -> bytes:
    return struct.pack("<i", n)


class T:
    """Table ``t(id Long primary, v Long, indexed by ixv)`` with ids 10, 20, 30 (v = id)."""

    def __init__(self, inst: jet.JET_INSTANCE) -> None:
        self.s = s = jet.JetBeginSession(inst)
        self.db = jet.JetCreateDatabase(s, "c.edb")
        t = jet.JetCreateTable(s, self.db, "t")
        self.cid = jet.JetAddColumn(s, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
        self.cv = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
        jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
        jet.JetCreateIndex(s, t, "ixv", 0, "+v\0\0")
        for i in (10, 20, 30):
            self.insert(t, i)
        jet.JetCloseTable(s, t)
        self.t = jet.JetOpenTable(s, self.db, "t")

    def insert(self, t, i: int, v: int | None = None) -> bytes:
        jet.JetPrepareUpdate(self.s, t, jet.JET_prepInsert)
        jet.JetSetColumn(self.s, t, self.cid, i32(i))
        jet.JetSetColumn(self.s, t, self.cv, i32(i if v is None else v))
        return jet.JetUpdate(self.s, t)

    def id(self, t=None) -> int:
        return struct.unpack("<i", jet.JetRetrieveColumn(self.s, t or self.t, self.cid))[0]

    def seek(self, i: int, t=None) -> None:
        jet.JetMakeKey(self.s, t or self.t, i32(i), jet.JET_bitNewKey)
        jet.JetSeek(self.s, t or self.t, jet.JET_bitSeekEQ)


@pytest.fixture
def tt(inst: jet.JET_INSTANCE) -> T:
    return T(inst)


# -- (a) prepared updates ------------------------------------------------------------------

def test_update_prepared_in_rolled_back_level_is_cancelled(tt: T) -> None:
    jet.JetBeginTransaction(tt.s)
    jet.JetPrepareUpdate(tt.s, tt.t, jet.JET_prepInsert)
    jet.JetRollback(tt.s)
    # ESE tm.cxx ErrIsamRollback: FFUCBUpdatePreparedLevel -> RECIFreeCopyBuffer
    with expect(jet.JET_errUpdateNotPrepared):
        jet.JetSetColumn(tt.s, tt.t, tt.cid, i32(1))
    with expect(jet.JET_errUpdateNotPrepared):
        jet.JetUpdate(tt.s, tt.t)


def test_update_prepared_at_outer_level_survives_inner_rollback(tt: T) -> None:
    jet.JetBeginTransaction(tt.s)
    jet.JetPrepareUpdate(tt.s, tt.t, jet.JET_prepInsert)
    jet.JetSetColumn(tt.s, tt.t, tt.cid, i32(40))
    jet.JetBeginTransaction(tt.s)
    jet.JetRollback(tt.s)  # levelPrep 1 < 2: kept
    jet.JetSetColumn(tt.s, tt.t, tt.cv, i32(41))
    jet.JetUpdate(tt.s, tt.t)
    jet.JetCommitTransaction(tt.s)
    tt.seek(40)
    assert jet.JetRetrieveColumn(tt.s, tt.t, tt.cv) == i32(41)


def test_update_prepared_at_level_0_survives_rollback(tt: T) -> None:
    jet.JetPrepareUpdate(tt.s, tt.t, jet.JET_prepInsert)
    jet.JetSetColumn(tt.s, tt.t, tt.cid, i32(50))
    jet.JetBeginTransaction(tt.s)
    jet.JetRollback(tt.s)
    jet.JetUpdate(tt.s, tt.t)
    tt.seek(50)
    assert tt.id() == 50


def test_commit_migrates_prepared_update_to_the_parent_level(tt: T) -> None:
    # ESE dir.cxx ErrDIRCommitTransaction: levelPrep == level + 1 -> level
    jet.JetBeginTransaction(tt.s)
    jet.JetBeginTransaction(tt.s)
    jet.JetPrepareUpdate(tt.s, tt.t, jet.JET_prepInsert)
    jet.JetCommitTransaction(tt.s)
    jet.JetSetColumn(tt.s, tt.t, tt.cid, i32(60))  # still prepared, now at level 1
    jet.JetRollback(tt.s)
    with expect(jet.JET_errUpdateNotPrepared):
        jet.JetUpdate(tt.s, tt.t)


def test_failed_update_inside_transaction_keeps_update_prepared(tt: T) -> None:
    jet.JetBeginTransaction(tt.s)
    jet.JetPrepareUpdate(tt.s, tt.t, jet.JET_prepInsert)
    jet.JetSetColumn(tt.s, tt.t, tt.cid, i32(10))
    with expect(jet.JET_errKeyDuplicate):
        jet.JetUpdate(tt.s, tt.t)
    jet.JetSetColumn(tt.s, tt.t, tt.cid, i32(11))
    jet.JetUpdate(tt.s, tt.t)
    jet.JetCommitTransaction(tt.s)
    tt.seek(11)


# -- (b) currency --------------------------------------------------------------------------

def test_cursor_that_navigated_in_rolled_back_level_goes_before_first(tt: T) -> None:
    tt.seek(20)
    jet.JetBeginTransaction(tt.s)
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    assert tt.id() == 30
    jet.JetRollback(tt.s)
    # ESE dir.cxx ErrDIRRollback: LevelFUCBNavigate == level -> DIRBeforeFirst
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetRetrieveColumn(tt.s, tt.t, tt.cid)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(tt.s, tt.t, jet.JET_MovePrevious)
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    assert tt.id() == 10


def test_seek_and_goto_position_in_level_count_as_navigation(tt: T) -> None:
    jet.JetBeginTransaction(tt.s)
    tt.seek(30)
    jet.JetRollback(tt.s)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetGetBookmark(tt.s, tt.t)
    jet.JetBeginTransaction(tt.s)
    jet.JetGotoPosition(tt.s, tt.t, jet.JET_RECPOS(centriesLT=1, centriesTotal=3))
    assert tt.id() == 20
    jet.JetRollback(tt.s)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(tt.s, tt.t, 0)


def test_cursor_that_did_not_navigate_in_level_keeps_its_record(tt: T) -> None:
    tt.seek(20)
    jet.JetBeginTransaction(tt.s)
    jet.JetRetrieveColumn(tt.s, tt.t, tt.cid)  # reads are not navigation
    jet.JetRollback(tt.s)
    assert tt.id() == 20
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    assert tt.id() == 30


def test_navigation_committed_into_parent_is_reset_by_parent_rollback(tt: T) -> None:
    jet.JetBeginTransaction(tt.s)
    jet.JetBeginTransaction(tt.s)
    tt.seek(30)
    jet.JetCommitTransaction(tt.s)  # levelNavigate 2 -> 1
    jet.JetBeginTransaction(tt.s)
    jet.JetRollback(tt.s)  # level 2 again: this cursor did not navigate in it
    assert tt.id() == 30
    jet.JetRollback(tt.s)  # level 1
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetRetrieveColumn(tt.s, tt.t, tt.cid)


def test_navigation_committed_to_level_0_survives_later_rollbacks(tt: T) -> None:
    jet.JetBeginTransaction(tt.s)
    tt.seek(30)
    jet.JetCommitTransaction(tt.s)
    jet.JetBeginTransaction(tt.s)
    jet.JetRollback(tt.s)
    assert tt.id() == 30


def test_record_inserted_in_rolled_back_level_under_a_bookmark_cursor(tt: T) -> None:
    jet.JetBeginTransaction(tt.s)
    bm = tt.insert(tt.t, 25)
    jet.JetCommitTransaction(tt.s)  # the cursor opened before; goto is not navigation
    jet.JetBeginTransaction(tt.s)
    jet.JetPrepareUpdate(tt.s, tt.t, jet.JET_prepInsert)
    jet.JetSetColumn(tt.s, tt.t, tt.cid, i32(26))
    jet.JetSetColumn(tt.s, tt.t, tt.cv, i32(26))
    bm26 = jet.JetUpdate(tt.s, tt.t)
    jet.JetGotoBookmark(tt.s, tt.t, bm26)
    jet.JetRollback(tt.s)
    # ESE keeps the bookmark of the vanished node: reads give RecordDeleted, moves
    # continue from its key (dir.cxx ErrDIRNext re-seeks a deleted node's bookmark).
    with expect(jet.JET_errRecordDeleted):
        jet.JetRetrieveColumn(tt.s, tt.t, tt.cid)
    assert jet.JetGetBookmark(tt.s, tt.t) == bm26
    jet.JetMove(tt.s, tt.t, jet.JET_MovePrevious)
    assert tt.id() == 25
    jet.JetGotoBookmark(tt.s, tt.t, bm)
    assert tt.id() == 25


def test_rolled_back_insert_then_move_next_from_its_key(tt: T) -> None:
    jet.JetBeginTransaction(tt.s)
    bm = tt.insert(tt.t, 15)
    jet.JetBeginTransaction(tt.s)
    jet.JetRollback(tt.s)  # an empty inner level changes nothing
    jet.JetGotoBookmark(tt.s, tt.t, bm)
    jet.JetRollback(tt.s)
    with expect(jet.JET_errRecordDeleted):
        jet.JetRetrieveColumn(tt.s, tt.t, tt.cv)
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    assert tt.id() == 20


# -- (c) cursors opened in the level -------------------------------------------------------

def test_cursor_opened_in_rolled_back_level_is_closed(tt: T) -> None:
    jet.JetBeginTransaction(tt.s)
    jet.JetBeginTransaction(tt.s)
    t2 = jet.JetOpenTable(tt.s, tt.db, "t")
    t3 = jet.JetDupCursor(tt.s, tt.t)
    jet.JetCommitTransaction(tt.s)  # t2 now belongs to level 1
    jet.JetBeginTransaction(tt.s)
    jet.JetRollback(tt.s)
    jet.JetMove(tt.s, t2, jet.JET_MoveFirst)  # still open
    jet.JetRollback(tt.s)
    # ESE tm.cxx ErrIsamRollback: levelOpen > levelRollback -> ErrDispCloseTable
    with expect(jet.JET_errInvalidTableId):
        jet.JetMove(tt.s, t2, jet.JET_MoveFirst)
    with expect(jet.JET_errInvalidTableId):
        jet.JetMove(tt.s, t3, jet.JET_MoveFirst)
    jet.JetMove(tt.s, tt.t, jet.JET_MoveFirst)  # opened at level 0: untouched
    assert tt.id() == 10


# -- (d) current index and ranges ----------------------------------------------------------

def test_secondary_index_set_in_rolled_back_level_reverts_to_primary(tt: T) -> None:
    jet.JetBeginTransaction(tt.s)
    jet.JetSetCurrentIndex(tt.s, tt.t, "ixv")
    jet.JetMove(tt.s, tt.t, jet.JET_MoveLast)
    jet.JetMakeKey(tt.s, tt.t, i32(20), jet.JET_bitNewKey)
    jet.JetRollback(tt.s)
    # ESE ErrIsamRollback: pfucbCurIndex->levelOpen > levelRollback ->
    # ErrRECSetCurrentIndex( NULL ): primary index, DIRBeforeFirst, the key is gone.
    assert jet.JetGetCurrentIndex(tt.s, tt.t) == "primary"
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetRetrieveColumn(tt.s, tt.t, tt.cid)
    with expect(jet.JET_errKeyNotMade):
        jet.JetSeek(tt.s, tt.t, jet.JET_bitSeekEQ)
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    assert tt.id() == 10


def test_same_secondary_index_reset_in_level_keeps_its_open_level(tt: T) -> None:
    jet.JetSetCurrentIndex(tt.s, tt.t, "ixv")
    jet.JetBeginTransaction(tt.s)
    jet.JetSetCurrentIndex(tt.s, tt.t, "ixv")  # same index: ESE keeps its FUCB
    jet.JetRollback(tt.s)
    assert jet.JetGetCurrentIndex(tt.s, tt.t) == "ixv"


def test_secondary_index_navigated_in_level_resets_moves_not_reads(tt: T) -> None:
    jet.JetSetCurrentIndex(tt.s, tt.t, "ixv")
    jet.JetBeginTransaction(tt.s)
    tt.seek(20)
    bm20 = jet.JetGetBookmark(tt.s, tt.t)
    jet.JetRollback(tt.s)
    assert jet.JetGetCurrentIndex(tt.s, tt.t) == "ixv"
    # Only the index's FUCB went before the first entry (ESE ErrDIRRollback walks every
    # FUCB of the session); the table's FUCB is still on record 20.
    assert tt.id() == 20
    assert jet.JetGetBookmark(tt.s, tt.t) == bm20
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(tt.s, tt.t, 0)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetIndexRecordCount(tt.s, tt.t, 0)
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    assert tt.id() == 10


def test_index_range_set_in_level_stays_when_cursor_did_not_navigate(tt: T) -> None:
    tt.seek(10)
    jet.JetBeginTransaction(tt.s)
    jet.JetMakeKey(tt.s, tt.t, i32(20), jet.JET_bitNewKey)
    jet.JetSetIndexRange(tt.s, tt.t, jet.JET_bitRangeUpperLimit | jet.JET_bitRangeInclusive)
    jet.JetRollback(tt.s)
    assert tt.id() == 10
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    assert tt.id() == 20
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)


def test_rollback_all_applies_every_level(tt: T) -> None:
    jet.JetBeginTransaction(tt.s)
    jet.JetSetCurrentIndex(tt.s, tt.t, "ixv")
    jet.JetBeginTransaction(tt.s)
    jet.JetPrepareUpdate(tt.s, tt.t, jet.JET_prepInsert)
    jet.JetRollback(tt.s, jet.JET_bitRollbackAll)
    assert jet.JetGetCurrentIndex(tt.s, tt.t) == "primary"
    with expect(jet.JET_errUpdateNotPrepared):
        jet.JetUpdate(tt.s, tt.t)


# -- (e) bookmark gotos ----------------------------------------------------------------------

def test_goto_bookmark_on_the_primary_index_is_not_navigation(tt: T) -> None:
    bm20 = (tt.seek(20), jet.JetGetBookmark(tt.s, tt.t))[1]
    tt.seek(10)
    jet.JetBeginTransaction(tt.s)
    # ESE rec.cxx ErrRECIGotoBookmark -> dir.cxx ErrDIRGotoJetBookmark: no
    # FUCBSetLevelNavigate, so ErrDIRRollback leaves the cursor where it is
    jet.JetGotoBookmark(tt.s, tt.t, bm20)
    jet.JetRollback(tt.s)
    assert tt.id() == 20
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    assert tt.id() == 30


def test_goto_bookmark_on_a_secondary_index_navigates_the_index(tt: T) -> None:
    tt.seek(20)
    bm20 = jet.JetGetBookmark(tt.s, tt.t)
    jet.JetSetCurrentIndex(tt.s, tt.t, "ixv")
    jet.JetMove(tt.s, tt.t, jet.JET_MoveLast)  # navigated at level 0
    jet.JetBeginTransaction(tt.s)
    # ESE ErrRECIGotoBookmark seeks the index entry with dir.cxx ErrDIRDownKeyData, which
    # sets the index FUCB's levelNavigate: the rollback puts the index before its first
    # entry, while the table's FUCB (ErrDIRGotoJetBookmark) stays on the record
    jet.JetGotoBookmark(tt.s, tt.t, bm20)
    assert tt.id() == 20
    jet.JetRollback(tt.s)
    assert tt.id() == 20
    assert jet.JetGetBookmark(tt.s, tt.t) == bm20
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(tt.s, tt.t, jet.JET_MovePrevious)
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    assert tt.id() == 10


def test_goto_secondary_index_bookmark_is_not_navigation(tt: T) -> None:
    jet.JetSetCurrentIndex(tt.s, tt.t, "ixv")
    tt.seek(20)
    sk, pk = jet.JetGetSecondaryIndexBookmark(tt.s, tt.t)
    tt.seek(10)
    jet.JetBeginTransaction(tt.s)
    # ESE rec.cxx ErrIsamGotoIndexBookmark: ErrDIRGotoJetBookmark on the index FUCB and
    # ErrBTDeferGotoBookmark on the table's, neither sets levelNavigate
    jet.JetGotoSecondaryIndexBookmark(tt.s, tt.t, sk, pk)
    assert tt.id() == 20
    jet.JetRollback(tt.s)
    assert tt.id() == 20
    jet.JetMove(tt.s, tt.t, jet.JET_MoveNext)
    assert tt.id() == 30
