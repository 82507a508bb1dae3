"""JetMakeKey + JetSeek + JetRetrieveKey (ESE rec.cxx ErrIsamSeek, fldnorm.cxx)."""

from __future__ import annotations

import pytest

import pyese.jet as jet

from .helpers import expect
from .test_navigation import L, T


@pytest.fixture
def t(inst: jet.JET_INSTANCE) -> T:
    return T(inst)


def _keys13(t: T) -> None:
    t.insert(1, 10, 1)
    t.insert(3, 30, 1)


def test_seek_ge(t: T) -> None:
    # fact 3 (M NavigationSeekGeClustered)
    _keys13(t)
    t.key(2)
    assert jet.JetSeek(t.s, t.t, jet.JET_bitSeekGE) == jet.JET_wrnSeekNotEqual
    assert t.id() == 3
    t.key(1)
    assert jet.JetSeek(t.s, t.t, jet.JET_bitSeekGE) == 0
    assert t.id() == 1
    t.key(4)
    with expect(jet.JET_errRecordNotFound):
        jet.JetSeek(t.s, t.t, jet.JET_bitSeekGE)
    # ESE: the failed MoveNext parks the cursor after the last entry
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious)
    assert t.id() == 3


def test_seek_le_lt_gt(t: T) -> None:
    # facts 4, 5 (M NavigationSeekLe/Gt/LtClustered)
    _keys13(t)
    t.key(2)
    assert jet.JetSeek(t.s, t.t, jet.JET_bitSeekLE) == jet.JET_wrnSeekNotEqual
    assert t.id() == 1
    t.key(0)
    with expect(jet.JET_errRecordNotFound):
        jet.JetSeek(t.s, t.t, jet.JET_bitSeekLE)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)  # parked before first
    assert t.id() == 1
    t.key(1)
    assert jet.JetSeek(t.s, t.t, jet.JET_bitSeekGT) == 0
    assert t.id() == 3
    t.key(3)
    with expect(jet.JET_errRecordNotFound):
        jet.JetSeek(t.s, t.t, jet.JET_bitSeekGT)
    t.key(1)
    with expect(jet.JET_errRecordNotFound):
        jet.JetSeek(t.s, t.t, jet.JET_bitSeekLT)
    t.key(4)
    assert jet.JetSeek(t.s, t.t, jet.JET_bitSeekLT) == 0
    assert t.id() == 3
    t.key(3)
    assert jet.JetSeek(t.s, t.t, jet.JET_bitSeekLE) == 0
    assert t.id() == 3


def test_seek_eq_not_found_is_virtual(t: T) -> None:
    # fact 7 (M NavigationSeekEqSecondary); ESE dir.cxx locOnSeekBM moves
    for i in (1, 2, 3):
        t.insert(i, i * 10, i * 100)
    jet.JetSetCurrentIndex(t.s, t.t, "ab")
    t.key(20, 300)
    with expect(jet.JET_errRecordNotFound):
        jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetRetrieveColumn(t.s, t.t, t.cid)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    assert t.id() == 3
    t.key(20, 300)
    with expect(jet.JET_errRecordNotFound):
        jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ)
    jet.JetMove(t.s, t.t, jet.JET_MovePrevious)
    assert t.id() == 2


def test_seek_empty_table(t: T) -> None:
    # fact 2 (M NavigationEmptyTableClustered)
    for g in (jet.JET_bitSeekEQ, jet.JET_bitSeekGE, jet.JET_bitSeekGT, jet.JET_bitSeekLT,
              jet.JET_bitSeekLE):
        t.key(1)
        with expect(jet.JET_errRecordNotFound):
            jet.JetSeek(t.s, t.t, g)
    t.key(1)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetSetIndexRange(t.s, t.t, 0)


def test_seek_argument_checks_and_key_consumed(t: T) -> None:
    _keys13(t)
    with expect(jet.JET_errKeyNotMade):
        jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ)
    t.key(1)
    # ESE: no relation is InvalidParameter and leaves the key in place
    with expect(jet.JET_errInvalidParameter):
        jet.JetSeek(t.s, t.t, jet.JET_bitSetIndexRange)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ | jet.JET_bitSeekGE)
    assert jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ) == 0
    # fact 8: the key is consumed on success ...
    with expect(jet.JET_errKeyNotMade):
        jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ)
    t.key(2)
    with expect(jet.JET_errRecordNotFound):
        jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ)
    # ... and on failure
    with expect(jet.JET_errKeyNotMade):
        jet.JetSeek(t.s, t.t, jet.JET_bitSeekGE)


def test_seek_cancels_update_and_range(t: T) -> None:
    for i in (1, 2, 3):
        t.insert(i)
    t.key(1)
    jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ)
    jet.JetPrepareUpdate(t.s, t.t, jet.JET_prepReplace)
    t.key(1)
    jet.JetSetIndexRange(t.s, t.t, jet.JET_bitRangeUpperLimit | jet.JET_bitRangeInclusive)
    t.key(1)
    jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ)
    with expect(jet.JET_errUpdateNotPrepared):
        jet.JetUpdate(t.s, t.t)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)  # no range any more
    assert t.id() == 2


def test_partial_key_matches_eq_only_when_whole(t: T) -> None:
    # keys compare byte-wise and whole: a one-column key on a two-column index
    for i, a, b in ((1, 10, 5), (2, 20, 5), (3, 20, 6)):
        t.insert(i, a, b)
    jet.JetSetCurrentIndex(t.s, t.t, "ab")
    t.key(20)
    with expect(jet.JET_errRecordNotFound):
        jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ)
    t.key(20)
    assert jet.JetSeek(t.s, t.t, jet.JET_bitSeekGE) == jet.JET_wrnSeekNotEqual
    assert t.id() == 2
    # GT on a prefix lands on the first entry beyond the prefix: (20, 5)
    t.key(20)
    assert jet.JetSeek(t.s, t.t, jet.JET_bitSeekGT) == 0
    assert t.id() == 2
    t.key(20, grbit=jet.JET_bitFullColumnEndLimit)
    assert jet.JetSeek(t.s, t.t, jet.JET_bitSeekLT) == 0
    assert t.id() == 3
    t.key(20, grbit=jet.JET_bitFullColumnStartLimit)
    assert jet.JetSeek(t.s, t.t, jet.JET_bitSeekLT) == 0
    assert t.id() == 1


def test_seek_duplicates_lands_on_first(t: T) -> None:
    # ESE node.cxx: a key-only seek on a non-unique index stops at the first duplicate,
    # for LE too; LT / GT skip the whole group.
    for i, a in ((1, 10), (2, 20), (3, 20), (4, 20), (5, 30)):
        t.insert(i, a, 0)
    jet.JetSetCurrentIndex(t.s, t.t, "ab")
    for g, want in ((jet.JET_bitSeekEQ, 2), (jet.JET_bitSeekGE, 2), (jet.JET_bitSeekLE, 2),
                    (jet.JET_bitSeekGT, 5), (jet.JET_bitSeekLT, 1)):
        t.key(20, 0)
        assert jet.JetSeek(t.s, t.t, g) == 0
        assert t.id() == want, g
    t.key(20, 0)
    jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ | jet.JET_bitSetIndexRange)
    assert jet.JetIndexRecordCount(t.s, t.t, 0) == 3


def test_check_uniqueness(t: T) -> None:
    for i, a in ((1, 10), (2, 20), (3, 20)):
        t.insert(i, a, 0)
    t.key(1)
    assert jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ | jet.JET_bitCheckUniqueness) == \
        jet.JET_wrnUniqueKey
    jet.JetSetCurrentIndex(t.s, t.t, "ab")
    t.key(20, 0)
    assert jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ | jet.JET_bitCheckUniqueness) == 0
    t.key(10, 0)
    assert jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ | jet.JET_bitCheckUniqueness) == \
        jet.JET_wrnUniqueKey


def test_retrieve_key(t: T) -> None:
    # facts 35, 40
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetRetrieveKey(t.s, t.t)
    with expect(jet.JET_errKeyNotMade):
        jet.JetRetrieveKey(t.s, t.t, jet.JET_bitRetrieveCopy)
    t.insert(1, -1, 2)
    t.key(1)
    assert jet.JetRetrieveKey(t.s, t.t, jet.JET_bitRetrieveCopy) == bytes.fromhex("7f80000001")
    jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ)
    assert jet.JetRetrieveKey(t.s, t.t) == bytes.fromhex("7f80000001")
    jet.JetSetCurrentIndex(t.s, t.t, "ab")
    assert jet.JetRetrieveKey(t.s, t.t) == bytes.fromhex("7f7fffffff7f80000002")
    assert jet.JetGetBookmark(t.s, t.t) == bytes.fromhex("7f80000001")
    jet.JetMakeKey(t.s, t.t, None, jet.JET_bitNewKey)
    assert jet.JetRetrieveKey(t.s, t.t, jet.JET_bitRetrieveCopy) == b"\x00"


def test_make_key_errors(t: T) -> None:
    # fact 38
    with expect(jet.JET_errKeyNotMade):
        jet.JetMakeKey(t.s, t.t, L(1), 0)
    t.key(1)
    with expect(jet.JET_errKeyIsMade):
        jet.JetMakeKey(t.s, t.t, L(1), 0)
    with expect(jet.JET_errInvalidBufferSize):
        jet.JetMakeKey(t.s, t.t, b"abc", jet.JET_bitNewKey)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetMakeKey(t.s, t.t, L(1), jet.JET_bitNewKey | jet.JET_bitPartialColumnStartLimit)
