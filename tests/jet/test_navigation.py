"""JetMove, JetSetCurrentIndex, JetGetCurrentIndex, JetIndexRecordCount, positions and
currency after inserts, updates and deletes (ESE rec.cxx ErrIsamMove, dir.cxx)."""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet

from .helpers import expect


def L(v: int) -> bytes:
    return struct.pack("<i", v)


class T:
    """A table with Long ``id`` (primary), Long ``a``, Long ``b`` and index ``ab``."""

    def __init__(self, inst: jet.JET_INSTANCE, primary: bool = True) -> None:
        self.s = jet.JetBeginSession(inst)
        self.db = jet.JetCreateDatabase(self.s, "nav.edb")
        self.t = jet.JetCreateTable(self.s, self.db, "t")
        cd = jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong)
        self.cid = jet.JetAddColumn(self.s, self.t, "id", cd)
        self.ca = jet.JetAddColumn(self.s, self.t, "a", cd)
        self.cb = jet.JetAddColumn(self.s, self.t, "b", cd)
        if primary:
            jet.JetCreateIndex(self.s, self.t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
        jet.JetCreateIndex(self.s, self.t, "ab", 0, "+a\0+b\0\0")
        jet.JetCloseTable(self.s, self.t)  # JetCreateTable's cursor is exclusive
        self.t = jet.JetOpenTable(self.s, self.db, "t")

    def insert(self, i: int, a: int | None = None, b: int | None = None) -> bytes:
        jet.JetPrepareUpdate(self.s, self.t, jet.JET_prepInsert)
        jet.JetSetColumn(self.s, self.t, self.cid, L(i))
        if a is not None:
            jet.JetSetColumn(self.s, self.t, self.ca, L(a))
        if b is not None:
            jet.JetSetColumn(self.s, self.t, self.cb, L(b))
        return jet.JetUpdate(self.s, self.t)

    def id(self) -> int:
        return struct.unpack("<i", jet.JetRetrieveColumn(self.s, self.t, self.cid))[0]

    def key(self, *vals: int, grbit: int = 0) -> None:
        for n, v in enumerate(vals):
            jet.JetMakeKey(self.s, self.t, L(v), (jet.JET_bitNewKey if n == 0 else 0)
                           | (grbit if n == len(vals) - 1 else 0))

    def scan(self) -> list[int]:
        out = []
        try:
            jet.JetMove(self.s, self.t, jet.JET_MoveFirst)
            while True:
                out.append(self.id())
                jet.JetMove(self.s, self.t, jet.JET_MoveNext)
        except jet.JetError as e:
            assert e.err == jet.JET_errNoCurrentRecord
        return out


@pytest.fixture
def t(inst: jet.JET_INSTANCE) -> T:
    return T(inst)


def test_empty_table_moves_give_no_current_record(t: T) -> None:
    # fact 1 (M DMLCurrencyTests NavigationEmptyTableClustered)
    for crow in (jet.JET_MoveFirst, jet.JET_MoveLast, jet.JET_MoveNext, jet.JET_MovePrevious, 0):
        with expect(jet.JET_errNoCurrentRecord):
            jet.JetMove(t.s, t.t, crow)


def test_deferred_move_first_survives_an_empty_table(t: T) -> None:
    # ESE dir.cxx ErrDIRIIRefresh keeps locDeferMoveFirst while the index is empty
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetRetrieveColumn(t.s, t.t, t.cid)
    t.insert(5)
    assert t.id() == 5


def test_move_first_on_empty_parks_before_first_and_last_after_last(t: T) -> None:
    # ESE rec.cxx ErrIsamMove: MoveFirst is negative as a LONG -> DIRBeforeFirst
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    t.insert(1)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    assert t.id() == 1
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    jet.JetDelete(t.s, t.t)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(t.s, t.t, jet.JET_MoveLast)
    t.insert(2)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious)
    assert t.id() == 2


def test_first_last_next_prev_and_counts(t: T) -> None:
    for i in (3, 1, 4, 2, 5):
        t.insert(i)
    assert t.scan() == [1, 2, 3, 4, 5]
    jet.JetMove(t.s, t.t, jet.JET_MoveLast)
    assert t.id() == 5
    jet.JetMove(t.s, t.t, -3)
    assert t.id() == 2
    jet.JetMove(t.s, t.t, 2)
    assert t.id() == 4
    jet.JetMove(t.s, t.t, 0)
    assert t.id() == 4
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(t.s, t.t, 5)
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious)  # parked after last
    assert t.id() == 5
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(t.s, t.t, -10)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)  # parked before first
    assert t.id() == 1
    jet.JetMove(t.s, t.t, 0x80000000)  # unsigned spelling of JET_MoveFirst
    assert t.id() == 1


def test_next_after_deferred_lands_on_second(t: T) -> None:
    # the deferred move-first resolves first, then the move steps (ESE ErrDIRNext)
    for i in (1, 2, 3):
        t.insert(i)
    jet.JetSetCurrentIndex(t.s, t.t, "primary")
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    assert t.id() == 2
    jet.JetSetCurrentIndex(t.s, t.t, None)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(t.s, t.t, jet.JET_MovePrevious)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    assert t.id() == 1


def test_move_grbit_and_crow_checks(t: T) -> None:
    t.insert(1)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetMove(t.s, t.t, jet.JET_MoveNext, 0x2)
    with expect(jet.JET_errInvalidParameter):
        jet.JetMove(t.s, t.t, "1")  # type: ignore[arg-type]
    with expect(jet.JET_errInvalidTableId):
        jet.JetMove(t.s, 12345, jet.JET_MoveFirst)


def test_move_key_ne_secondary(t: T) -> None:
    # fact 41 (M JetMoveWithMoveKeyNeSecondary): duplicates in primary-key order
    rows = [(1, 10, 1), (2, 10, 1), (3, 10, 2), (4, 20, 1), (5, 10, 1)]
    for i, a, b in rows:
        t.insert(i, a, b)
    jet.JetSetCurrentIndex(t.s, t.t, "ab")
    assert t.scan() == [1, 2, 5, 3, 4]
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext, jet.JET_bitMoveKeyNE)
    assert t.id() == 3
    jet.JetMove(t.s, t.t, jet.JET_MoveNext, jet.JET_bitMoveKeyNE)
    assert t.id() == 4
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(t.s, t.t, jet.JET_MoveNext, jet.JET_bitMoveKeyNE)
    jet.JetMove(t.s, t.t, jet.JET_MoveLast)
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious, jet.JET_bitMoveKeyNE)
    assert t.id() == 3
    # backwards, the previous different key is reached at its last duplicate
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious, jet.JET_bitMoveKeyNE)
    assert t.id() == 5
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    jet.JetMove(t.s, t.t, 2, jet.JET_bitMoveKeyNE)
    assert t.id() == 4


def test_current_index_names(t: T) -> None:
    assert jet.JetGetCurrentIndex(t.s, t.t) == "primary"
    jet.JetSetCurrentIndex2(t.s, t.t, "ab", jet.JET_bitMoveFirst)
    assert jet.JetGetCurrentIndex(t.s, t.t) == "ab"
    jet.JetSetCurrentIndex(t.s, t.t, "")
    assert jet.JetGetCurrentIndex(t.s, t.t) == "primary"
    with expect(jet.JET_errIndexNotFound):
        jet.JetSetCurrentIndex(t.s, t.t, "nope")
    with expect(jet.JET_errInvalidGrbit):
        jet.JetSetCurrentIndex2(t.s, t.t, "ab", 0x4)
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetCurrentIndex(t.s, t.t, 5)  # type: ignore[arg-type]


def test_set_current_index_no_move_keeps_record(t: T) -> None:
    for i, a in ((1, 30), (2, 10), (3, 20)):
        t.insert(i, a, 0)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(t.s, t.t, jet.JET_MovePrevious)
        jet.JetSetCurrentIndex2(t.s, t.t, "ab", jet.JET_bitNoMove)
    jet.JetSetCurrentIndex(t.s, t.t, "primary")
    jet.JetMove(t.s, t.t, jet.JET_MoveLast)  # id 3, a 20
    jet.JetSetCurrentIndex2(t.s, t.t, "ab", jet.JET_bitNoMove)
    assert t.id() == 3
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    assert t.id() == 1  # a 30 follows a 20


def test_set_current_index_move_first_cancels_update(t: T) -> None:
    t.insert(1)
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    jet.JetPrepareUpdate(t.s, t.t, jet.JET_prepReplace)
    jet.JetSetCurrentIndex(t.s, t.t, "primary")  # already current: still cancels
    with expect(jet.JET_errUpdateNotPrepared):
        jet.JetUpdate(t.s, t.t)


def test_move_cancels_prepared_update(t: T) -> None:
    t.insert(1)
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    jet.JetPrepareUpdate(t.s, t.t, jet.JET_prepReplace)
    jet.JetMove(t.s, t.t, 0)
    with expect(jet.JET_errUpdateNotPrepared):
        jet.JetUpdate(t.s, t.t)


def test_index_record_count(t: T) -> None:
    # fact 13 (M NavigationTests)
    for i in range(10):
        t.insert(i)
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    assert jet.JetIndexRecordCount(t.s, t.t, 0) == 10
    assert jet.JetIndexRecordCount(t.s, t.t, 9) == 9
    t.key(2)
    jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ)
    t.key(7)
    jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeUpperLimit)
    assert jet.JetIndexRecordCount(t.s, t.t, 0) == 5
    assert t.id() == 2  # position kept
    # and the range is gone
    jet.JetMove(t.s, t.t, 7)
    assert t.id() == 9


def test_index_record_count_empty(t: T) -> None:
    assert jet.JetIndexRecordCount(t.s, t.t, 0) == 0
    with expect(jet.JET_errInvalidParameter):
        jet.JetIndexRecordCount(t.s, t.t, None)  # type: ignore[arg-type]


def test_record_position_and_goto_position(t: T) -> None:
    for i in range(8):
        t.insert(i)
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    jet.JetMove(t.s, t.t, 3)
    pos = jet.JetGetRecordPosition(t.s, t.t)
    assert (pos.centriesLT, pos.centriesInRange, pos.centriesTotal) == (3, 1, 8)
    jet.JetGotoPosition(t.s, t.t, jet.JET_RECPOS(centriesLT=1, centriesTotal=2))
    assert t.id() == 4
    jet.JetGotoPosition(t.s, t.t, jet.JET_RECPOS(centriesLT=2, centriesTotal=2))
    assert t.id() == 7
    with expect(jet.JET_errInvalidParameter):
        jet.JetGotoPosition(t.s, t.t, jet.JET_RECPOS(centriesLT=3, centriesTotal=2))
    with expect(jet.JET_errInvalidParameter):
        jet.JetGotoPosition(t.s, t.t, (1, 2))  # type: ignore[arg-type]
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetGetRecordPosition(t.s, t.t)


def test_goto_position_empty(t: T) -> None:
    with expect(jet.JET_errRecordNotFound):
        jet.JetGotoPosition(t.s, t.t, jet.JET_RECPOS(centriesLT=0, centriesTotal=1))


def test_cursor_stays_after_insert(t: T) -> None:
    # fact 14 (M CursorPositionAfterInsertClustered)
    t.insert(1)
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    t.insert(0)
    assert t.id() == 1
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious)
    assert t.id() == 0


def test_cursor_after_delete(t: T) -> None:
    # fact 15 (M CursorPositionAfterDeleteClustered)
    for i in (1, 2, 3):
        t.insert(i)
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    jet.JetBeginTransaction(t.s)
    jet.JetDelete(t.s, t.t)
    with expect(jet.JET_errRecordDeleted):
        jet.JetRetrieveColumn(t.s, t.t, t.cid)
    with expect(jet.JET_errRecordDeleted):
        jet.JetMove(t.s, t.t, 0)
    t.insert(2, 99)
    assert t.id() == 2
    assert jet.JetRetrieveColumn(t.s, t.t, t.ca) == L(99)
    jet.JetCommitTransaction(t.s, 0)


def test_moves_continue_from_a_deleted_record(t: T) -> None:
    for i in (1, 2, 3):
        t.insert(i)
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    jet.JetDelete(t.s, t.t)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    assert t.id() == 3
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious)
    assert t.id() == 1


def test_delete_by_other_session_seen_after_commit(inst: jet.JET_INSTANCE, t: T) -> None:
    for i in (1, 2, 3):
        t.insert(i)
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    s2 = jet.JetBeginSession(inst)
    db2 = jet.JetOpenDatabase(s2, "nav.edb")
    t2 = jet.JetOpenTable(s2, db2, "t")
    jet.JetMove(s2, t2, jet.JET_MoveFirst)
    jet.JetMove(s2, t2, jet.JET_MoveNext)
    jet.JetBeginTransaction(s2)
    jet.JetDelete(s2, t2)
    assert t.id() == 2  # not committed: still visible to the first session
    jet.JetCommitTransaction(s2, 0)
    with expect(jet.JET_errRecordDeleted):
        t.id()
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    assert t.id() == 3


def test_cursor_after_secondary_update(t: T) -> None:
    # fact 16 (M CursorPositionAfterUpdateSecondary)
    for i, a in ((1, 10), (2, 20), (3, 30)):
        t.insert(i, a, 0)
    jet.JetSetCurrentIndex(t.s, t.t, "ab")
    jet.JetMove(t.s, t.t, jet.JET_MoveLast)
    assert t.id() == 3
    jet.JetPrepareUpdate(t.s, t.t, jet.JET_prepReplace)
    jet.JetSetColumn(t.s, t.t, t.ca, L(5))
    jet.JetUpdate(t.s, t.t)
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious)  # from the old position (30)
    assert t.id() == 2


def test_no_primary_index_dbk_order(inst: jet.JET_INSTANCE) -> None:
    # fact 39 (M BasicTableTests JetRetrieveKey)
    t = T(inst, primary=False)
    bm = t.insert(7)
    assert bm == b"\x00\x00\x00\x01"
    t.insert(3)
    assert jet.JetGetCurrentIndex(t.s, t.t) == ""
    assert t.scan() == [7, 3]
    jet.JetMakeKey(t.s, t.t, bm, jet.JET_bitNormalizedKey)
    assert jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ) == 0
    assert t.id() == 7
    assert jet.JetRetrieveKey(t.s, t.t) == bm
