"""JetSetIndexRange (ESE rec.cxx ErrIsamSetIndexRange, dir.cxx ErrDIRICheckIndexRange)."""

from __future__ import annotations

import pytest

import pyese.jet as jet

from .helpers import expect
from .test_navigation import T


@pytest.fixture
def t(inst: jet.JET_INSTANCE) -> T:
    return T(inst)


def _fill(t: T, n: int = 4) -> None:
    for i in range(1, n + 1):
        t.insert(i)


def test_seek_eq_set_index_range(t: T) -> None:
    # fact 6 (M NavigationSeekSetIndexRangeClustered)
    _fill(t, 3)
    t.key(2)
    assert jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ | jet.JET_bitSetIndexRange) == 0
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious)
    assert t.id() == 3


def test_exclusive_upper_limit(t: T) -> None:
    # fact 11 (M JetSetIndexRangeExclusiveUpperLimitClustered)
    _fill(t)
    t.key(2)
    jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ)
    t.key(4)
    jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeUpperLimit)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    assert t.id() == 3
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious)
    assert t.id() == 4


def test_lower_limit_checked_on_backward_moves_only(t: T) -> None:
    _fill(t)
    jet.JetMove(t.s, t.t, jet.JET_MoveLast)
    t.key(3)
    jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeInclusive)
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious)
    assert t.id() == 3
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(t.s, t.t, jet.JET_MovePrevious)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)  # parked before first, range gone
    assert t.id() == 1


def test_current_outside_range(t: T) -> None:
    # fact 12 (M SeekTests): the current entry equals an exclusive lower bound
    _fill(t)
    t.key(2)
    jet.JetSeek(t.s, t.t, jet.JET_bitSeekLE)
    t.key(2)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetSetIndexRange(t.s, t.t, 0)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)  # parked before first
    assert t.id() == 1
    t.key(0)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeUpperLimit)
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious)  # parked after last
    assert t.id() == 4
    with expect(jet.JET_errInvalidOperation):  # the failed check removed the range
        jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeRemove)


def test_key_not_made_and_remove(t: T) -> None:
    # facts 9, 10
    _fill(t)
    with expect(jet.JET_errKeyNotMade):
        jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeUpperLimit)
    with expect(jet.JET_errInvalidOperation):
        jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeRemove)
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    t.key(2)
    jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeUpperLimit | jet.JET_bitRangeInclusive)
    with expect(jet.JET_errKeyNotMade):  # the key was consumed
        jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeUpperLimit)
    jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeRemove)
    jet.JetMove(t.s, t.t, 3)
    assert t.id() == 4


def test_instant_duration(t: T) -> None:
    _fill(t)
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    t.key(1)
    jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeUpperLimit | jet.JET_bitRangeInclusive
                         | jet.JET_bitRangeInstantDuration)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)  # no range kept
    assert t.id() == 2
    t.key(1)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeUpperLimit
                             | jet.JET_bitRangeInstantDuration)


def test_move_first_and_last_remove_range(t: T) -> None:
    _fill(t)
    t.key(2)
    jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ | jet.JET_bitSetIndexRange)
    jet.JetMove(t.s, t.t, jet.JET_MoveLast)
    assert t.id() == 4
    with expect(jet.JET_errInvalidOperation):
        jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeRemove)


def test_prefix_range_needs_limit_key(t: T) -> None:
    # a longer key sharing the bound's prefix is beyond an upper bound
    for i, a, b in ((1, 10, 1), (2, 20, 1), (3, 20, 2), (4, 30, 1)):
        t.insert(i, a, b)
    jet.JetSetCurrentIndex(t.s, t.t, "ab")
    t.key(20)
    jet.JetSeek(t.s, t.t, jet.JET_bitSeekGE)
    t.key(20)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeUpperLimit | jet.JET_bitRangeInclusive)
    t.key(20)
    jet.JetSeek(t.s, t.t, jet.JET_bitSeekGE)
    t.key(20, grbit=jet.JET_bitFullColumnEndLimit)
    jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeUpperLimit | jet.JET_bitRangeInclusive)
    assert jet.JetIndexRecordCount(t.s, t.t, 0) == 2


def test_no_primary_index_range_needs_index(inst: jet.JET_INSTANCE) -> None:
    t = T(inst, primary=False)
    t.insert(1)
    jet.JetMakeKey(t.s, t.t, b"\x00\x00\x00\x01", jet.JET_bitNormalizedKey)
    with expect(jet.JET_errNoCurrentIndex):
        jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeUpperLimit)
