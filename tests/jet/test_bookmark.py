"""Bookmarks: JetGetBookmark / JetGotoBookmark, secondary-index bookmarks,
JetIntersectIndexes (ESE rec.cxx ErrRECIGotoBookmark, ErrIsamGotoIndexBookmark,
ErrIsamIntersectIndexes)."""

from __future__ import annotations

import pytest

import pyese.jet as jet

from .helpers import expect
from .test_navigation import L, T


@pytest.fixture
def t(inst: jet.JET_INSTANCE) -> T:
    return T(inst)


def test_get_and_goto_bookmark(t: T) -> None:
    bms = {i: t.insert(i, i % 2, i) for i in range(1, 6)}
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(t.s, t.t, jet.JET_MovePrevious)
        jet.JetGetBookmark(t.s, t.t)
    jet.JetGotoBookmark(t.s, t.t, bms[3])
    assert t.id() == 3
    assert jet.JetGetBookmark(t.s, t.t) == bms[3] == bytes.fromhex("7f80000003")
    with expect(jet.JET_errInvalidBookmark):
        jet.JetGotoBookmark(t.s, t.t, b"")
    with expect(jet.JET_errInvalidBookmark):
        jet.JetGotoBookmark(t.s, t.t, None)  # type: ignore[arg-type]
    jet.JetDelete(t.s, t.t)
    with expect(jet.JET_errRecordDeleted):
        jet.JetGotoBookmark(t.s, t.t, bms[3])
    # on a secondary index the cursor lands on the record's entry and moves from there
    jet.JetSetCurrentIndex(t.s, t.t, "ab")
    jet.JetGotoBookmark(t.s, t.t, bms[4])
    assert t.id() == 4
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious)
    assert t.id() == 2
    assert jet.JetGetBookmark(t.s, t.t) == bms[2]


def test_goto_bookmark_not_in_index(inst: jet.JET_INSTANCE) -> None:
    t = T(inst)
    jet.JetCreateIndex(t.s, t.t, "ign", jet.JET_bitIndexIgnoreAnyNull, "+a\0\0")
    bm = t.insert(1)
    t.insert(2, 5)
    jet.JetSetCurrentIndex(t.s, t.t, "ign")
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetGotoBookmark(t.s, t.t, bm)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)  # parked before first
    assert t.id() == 2


def test_goto_bookmark_cancels_update_and_range(t: T) -> None:
    bm = t.insert(1)
    t.insert(2)
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    t.key(1)
    jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeUpperLimit | jet.JET_bitRangeInclusive)
    jet.JetPrepareUpdate(t.s, t.t, jet.JET_prepReplace)
    jet.JetGotoBookmark(t.s, t.t, bm)
    with expect(jet.JET_errUpdateNotPrepared):
        jet.JetUpdate(t.s, t.t)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    assert t.id() == 2


def test_secondary_index_bookmark(t: T) -> None:
    for i, a in ((1, 20), (2, 10), (3, 20)):
        t.insert(i, a, 0)
    with expect(jet.JET_errNoCurrentIndex):
        jet.JetGetSecondaryIndexBookmark(t.s, t.t)
    jet.JetSetCurrentIndex(t.s, t.t, "ab")
    jet.JetMove(t.s, t.t, jet.JET_MoveLast)
    key, pbm = jet.JetGetSecondaryIndexBookmark(t.s, t.t)
    assert key == bytes.fromhex("7f800000147f80000000")
    assert pbm == bytes.fromhex("7f80000003")
    with expect(jet.JET_errInvalidGrbit):
        jet.JetGetSecondaryIndexBookmark(t.s, t.t, 1)
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    jet.JetGotoSecondaryIndexBookmark(t.s, t.t, key, pbm)
    assert t.id() == 3
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious)
    assert t.id() == 1
    with expect(jet.JET_errInvalidBookmark):
        jet.JetGotoSecondaryIndexBookmark(t.s, t.t, b"", pbm)
    with expect(jet.JET_errInvalidBookmark):  # non-unique index needs the primary bookmark
        jet.JetGotoSecondaryIndexBookmark(t.s, t.t, key, None)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetGotoSecondaryIndexBookmark(t.s, t.t, key, pbm, 2)
    # a vanished entry: RecordDeleted; with PermitVirtualCurrency moves continue there
    jet.JetGotoSecondaryIndexBookmark(t.s, t.t, key, pbm)
    jet.JetDelete(t.s, t.t)
    with expect(jet.JET_errRecordDeleted):
        jet.JetGotoSecondaryIndexBookmark(t.s, t.t, key, pbm)
    with expect(jet.JET_errRecordDeleted):
        jet.JetGotoSecondaryIndexBookmark(t.s, t.t, key, pbm,
                                          jet.JET_bitBookmarkPermitVirtualCurrency)
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious)
    assert t.id() == 1
    jet.JetSetCurrentIndex(t.s, t.t, None)
    with expect(jet.JET_errNoCurrentIndex):
        jet.JetGotoSecondaryIndexBookmark(t.s, t.t, key, pbm)


def test_intersect_indexes(inst: jet.JET_INSTANCE) -> None:
    t = T(inst)
    jet.JetCreateIndex(t.s, t.t, "b", 0, "+b\0\0")
    bms = {i: t.insert(i, i % 3, i % 2) for i in range(12)}
    t2 = jet.JetDupCursor(t.s, t.t, 0)
    jet.JetSetCurrentIndex(t.s, t.t, "ab")
    jet.JetMakeKey(t.s, t.t, L(1), jet.JET_bitNewKey)
    jet.JetSeek(t.s, t.t, jet.JET_bitSeekGE)
    jet.JetMakeKey(t.s, t.t, L(1), jet.JET_bitNewKey | jet.JET_bitFullColumnEndLimit)
    jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeUpperLimit | jet.JET_bitRangeInclusive)
    jet.JetSetCurrentIndex(t.s, t2, "b")
    jet.JetMakeKey(t.s, t2, L(0), jet.JET_bitNewKey)
    jet.JetSeek(t.s, t2, jet.JET_bitSeekEQ | jet.JET_bitSetIndexRange)
    ranges = [jet.JET_INDEXRANGE(tableid=t.t, grbit=jet.JET_bitRecordInIndex),
              jet.JET_INDEXRANGE(tableid=t2, grbit=jet.JET_bitRecordInIndex)]
    got = jet.JetIntersectIndexes(t.s, ranges)
    want = sorted(bms[i] for i in range(12) if i % 3 == 1 and i % 2 == 0)
    assert got == want and len(got) == 2
    with expect(jet.JET_errInvalidParameter):
        jet.JetIntersectIndexes(t.s, [])
    with expect(jet.JET_errInvalidParameter):
        jet.JetIntersectIndexes(t.s, [ranges[0], ranges[0]])
    with expect(jet.JET_errInvalidGrbit):
        jet.JetIntersectIndexes(t.s, [ranges[0], jet.JET_INDEXRANGE(tableid=t2, grbit=2)])
    jet.JetSetCurrentIndex(t.s, t2, None)
    with expect(jet.JET_errInvalidParameter):
        jet.JetIntersectIndexes(t.s, ranges)
