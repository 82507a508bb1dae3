"""JetSetCursorFilter: filtered moves and seeks, after ManagedEsent's
FilteredDmlCurrencyTests (which ran against ESENT on Windows 8 and later)."""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet

from .helpers import expect


class Fixture:
    def __init__(self, s, t, key, d1, d2):
        self.s, self.t, self.key, self.d1, self.d2 = s, t, key, d1, d2

    def insert(self, key, d1=None, d2=None):
        d1 = 10 * key if d1 is None else d1
        d2 = 10 * d1 if d2 is None else d2
        jet.JetPrepareUpdate(self.s, self.t, jet.JET_prepInsert)
        for col, v in ((self.key, key), (self.d1, d1), (self.d2, d2)):
            jet.JetSetColumn(self.s, self.t, col, struct.pack("<i", v), 0)
        jet.JetUpdate(self.s, self.t)

    def filt(self, col, value, relop):
        return jet.JET_INDEX_COLUMN(columnid=col, relop=relop, pv=struct.pack("<i", value))

    def move(self, crow, filters, grbit=0):
        jet.JetSetCursorFilter(self.s, self.t, filters, 0)
        jet.JetMove(self.s, self.t, crow, grbit)

    def current(self):
        return tuple(struct.unpack("<i", jet.JetRetrieveColumn(self.s, self.t, c, 0))[0]
                     for c in (self.key, self.d1))


@pytest.fixture
def f(inst):
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "f.edb")
    jet.JetBeginTransaction(s)
    tc = jet.JET_TABLECREATE(
        szTableName="table",
        rgcolumncreate=[jet.JET_COLUMNCREATE(szColumnName=n, coltyp=jet.JET_coltypLong)
                        for n in ("columnkey", "columndata1", "columndata2")],
        rgindexcreate=[
            jet.JET_INDEXCREATE(szIndexName="clustered", szKey="+columnkey\0\0",
                                grbit=jet.JET_bitIndexPrimary),
            jet.JET_INDEXCREATE(szIndexName="secondarywithprimary",
                                szKey="+columndata1\0-columnkey\0\0")])
    jet.JetCreateTableColumnIndex3(s, db, tc)
    cols = [c.columnid for c in tc.rgcolumncreate]
    return Fixture(s, tc.tableid, *cols)


def test_move_first_clustered(f):
    for k in (2, 1, 3):
        f.insert(k)
    f.move(jet.JET_MoveFirst, [f.filt(f.key, 2, jet.JET_relopEquals)])
    assert f.current() == (2, 20)


def test_clearing_the_filter(f):
    for k in (1, 2, 3, 5, 6):
        f.insert(k)
    filters = [f.filt(f.key, 1, jet.JET_relopBitmaskEqualsZero)]
    f.move(jet.JET_MoveFirst, filters)
    assert f.current()[0] == 2
    f.move(jet.JET_MoveNext, None)
    assert f.current()[0] == 3
    f.move(jet.JET_MoveNext, filters)
    assert f.current()[0] == 6


def test_move_last_and_previous(f):
    for k in (2, 3, 1):
        f.insert(k)
    f.move(jet.JET_MoveLast, [f.filt(f.key, 2, jet.JET_relopLessThan)])
    assert f.current()[0] == 1
    f.move(jet.JET_MoveLast, None)
    f.move(jet.JET_MovePrevious, [f.filt(f.key, 1, jet.JET_relopLessThanOrEqual)])
    assert f.current()[0] == 1


def test_move_next_compares_as_the_column_type(f):
    f.insert(1, 10)
    f.insert(2, 260)  # 260 > 15 though its first byte is smaller
    f.insert(3, 20)
    filters = [f.filt(f.d1, 15, jet.JET_relopLessThan)]
    f.move(jet.JET_MoveFirst, filters)
    assert f.current()[0] == 1
    with expect(jet.JET_errNoCurrentRecord):
        f.move(jet.JET_MoveNext, filters)


def test_multiple_filters_and_bitmasks(f):
    f.insert(1, 20)
    f.insert(2, 30)
    f.insert(3, 30)
    f.move(jet.JET_MoveFirst, [f.filt(f.key, 2, jet.JET_relopNotEquals),
                               f.filt(f.d1, 30, jet.JET_relopGreaterThanOrEqual)])
    assert f.current()[0] == 3
    with expect(jet.JET_errNoCurrentRecord):  # 3 was the last passing record
        f.move(jet.JET_MoveNext, [f.filt(f.key, 2, jet.JET_relopGreaterThan)])


def test_bitmask_operators(f):
    f.insert(1, 15)
    f.insert(3, 11)
    f.insert(5, 10)
    f.insert(9, 8)
    f.move(jet.JET_MoveLast, [f.filt(f.key, 8, jet.JET_relopBitmaskEqualsZero),
                              f.filt(f.d1, 1, jet.JET_relopBitmaskNotEqualsZero)])
    assert f.current() == (3, 11)


def test_move_by_n_counts_passing_records(f):
    for k in range(1, 11):
        f.insert(k)
    f.move(jet.JET_MoveFirst, [f.filt(f.key, 1, jet.JET_relopBitmaskNotEqualsZero)])
    assert f.current()[0] == 1
    jet.JetMove(f.s, f.t, 3, 0)  # odd keys only: 1 -> 7
    assert f.current()[0] == 7
    jet.JetMove(f.s, f.t, -2, 0)
    assert f.current()[0] == 3


def test_secondary_index_is_not_supported(f):
    f.insert(1, 10)
    f.insert(2, 10)
    f.insert(-3, 30)
    jet.JetSetCurrentIndex(f.s, f.t, "secondarywithprimary")
    with expect(jet.JET_errFilteredMoveNotSupported):
        f.move(jet.JET_MoveFirst, [f.filt(f.key, 2, jet.JET_relopEquals)])


def test_seek_with_filtering(f):
    f.insert(1, 300)
    f.insert(2, 100)
    f.insert(3, 200)
    jet.JetSetCursorFilter(f.s, f.t, [f.filt(f.d1, 250, jet.JET_relopLessThanOrEqual)], 0)
    jet.JetMakeKey(f.s, f.t, struct.pack("<i", 1), jet.JET_bitNewKey)
    assert jet.JetSeek(f.s, f.t, jet.JET_bitSeekGE) == jet.JET_wrnSeekNotEqual
    assert f.current() == (2, 100)
    jet.JetMakeKey(f.s, f.t, struct.pack("<i", 1), jet.JET_bitNewKey)
    with expect(jet.JET_errRecordNotFound):
        jet.JetSeek(f.s, f.t, jet.JET_bitSeekEQ)
    jet.JetMakeKey(f.s, f.t, struct.pack("<i", 1), jet.JET_bitNewKey)
    with expect(jet.JET_errRecordNotFound):  # nothing at or before key 1 passes
        jet.JetSeek(f.s, f.t, jet.JET_bitSeekLE)


def test_move_key_ne_with_filters(f):
    for k in (1, 2, 3, 4):
        f.insert(k)
    jet.JetMove(f.s, f.t, jet.JET_MoveFirst, 0)
    f.move(jet.JET_MoveNext, [f.filt(f.key, 2, jet.JET_relopNotEquals)], jet.JET_bitMoveKeyNE)
    assert f.current()[0] == 3
    f.move(jet.JET_MoveNext, [f.filt(f.key, 4, jet.JET_relopEquals)], jet.JET_bitMoveKeyNE)
    assert f.current()[0] == 4
    jet.JetSetCursorFilter(f.s, f.t, None, 0)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(f.s, f.t, jet.JET_MoveNext, jet.JET_bitMoveKeyNE)
    f.move(jet.JET_MovePrevious, [f.filt(f.key, 2, jet.JET_relopEquals)],
           jet.JET_bitMoveKeyNE)
    assert f.current()[0] == 2


def test_set_cursor_filter_errors(f):
    f.insert(1)
    with expect(jet.JET_errInvalidTableId):
        jet.JetSetCursorFilter(f.s, 424242, [], 0)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetSetCursorFilter(f.s, f.t, [], 1)
    with expect(jet.JET_errColumnNotFound):
        jet.JetSetCursorFilter(f.s, f.t, [f.filt(777, 1, jet.JET_relopEquals)], 0)
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetCursorFilter(f.s, f.t, [f.filt(f.key, 1, 42)], 0)
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetCursorFilter(f.s, f.t, [jet.JET_INDEX_COLUMN(
            columnid=f.key, relop=jet.JET_relopEquals, pv=b"\x01")], 0)
    with expect(jet.JET_errFilteredMoveNotSupported):
        jet.JetSetCursorFilter(f.s, f.t, [f.filt(f.key, 1, jet.JET_relopPrefixEquals)], 0)
