"""What each regime allows (ESE ``sortapi.cxx``: vtfndefTTSortIns, vtfndefTTSortRet,
vtfndefTTBase) and how its moves, seeks, ranges and bookmarks behave."""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet

from .conftest import current, insert, open_kp, scan, seek

IDX = jet.JET_bitTTIndexed
SCROLL = jet.JET_bitTTScrollable
FORCE = jet.JET_bitTTForceMaterialization


def _filled(ses, grbit, keys=(10, 20, 30)):
    t, ids = open_kp(ses, grbit)
    for k in keys:
        insert(ses, t, ids, k, b"v%d" % k)
    return t, ids


# ------------------------------------------------------------------ TTSortIns


def test_a_sort_being_filled_allows_only_inserts(ses):
    t, ids = _filled(ses, IDX)
    illegal = [
        lambda: jet.JetRetrieveColumn(ses, t, ids[0]),
        lambda: jet.JetGetBookmark(ses, t),
        lambda: jet.JetGotoBookmark(ses, t, b"\0\0\0\0"),
        lambda: jet.JetDupCursor(ses, t),
        lambda: jet.JetGetTableInfo(ses, t, jet.JET_TblInfo),
        lambda: jet.JetSetIndexRange(ses, t, jet.JET_bitRangeUpperLimit),
        lambda: jet.JetIndexRecordCount(ses, t, 0),
        lambda: jet.JetGetRecordPosition(ses, t),
        lambda: jet.JetSetCurrentIndex(ses, t, None),
        lambda: jet.JetGetCurrentIndex(ses, t),
        lambda: jet.JetDelete(ses, t),
        lambda: jet.JetGetTableColumnInfo(ses, t, None, jet.JET_ColInfoList),
        lambda: jet.JetAddColumn(ses, t, "c", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong)),
        lambda: jet.JetEnumerateColumns(ses, t),
        lambda: jet.JetGetLock(ses, t, jet.JET_bitReadLock),
    ]
    for call in illegal:
        with pytest.raises(jet.IllegalOperationError):
            call()
    jet.JetMakeKey(ses, t, struct.pack("<i", 1), jet.JET_bitNewKey)  # ErrIsamMakeKey
    assert jet.JetRetrieveKey(ses, t, jet.JET_bitRetrieveCopy)


def test_insert_returns_no_bookmark_and_other_updates_have_no_record(ses):
    t, ids = open_kp(ses, IDX)
    assert insert(ses, t, ids, 1) == b""  # ErrIsamSortUpdate sets no bookmark
    with pytest.raises(jet.NoCurrentRecordError):
        jet.JetPrepareUpdate(ses, t, jet.JET_prepReplace)
    with pytest.raises(jet.UpdateNotPreparedError):
        jet.JetUpdate(ses, t)


def test_not_null_column_in_a_sort(ses):
    cols = [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnTTKey),
            jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnNotNULL)]
    t, ids = jet.JetOpenTempTable(ses, cols, 0)
    jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
    jet.JetSetColumn(ses, t, ids[0], struct.pack("<i", 1))
    with pytest.raises(jet.NullInvalidError):  # ErrIsamSortUpdate: ErrRECIIllegalNulls
        jet.JetUpdate(ses, t)


def test_first_move_next_lands_on_the_first_record(ses):
    # ESE ErrTTSortInsMove: the end of the insert phase moves to the first record and
    # counts as one step of a forward move
    t, ids = _filled(ses, 0)
    jet.JetMove(ses, t, jet.JET_MoveNext)
    assert current(ses, t, ids)[0] == 10
    t2, ids2 = _filled(ses, 0)
    jet.JetMove(ses, t2, 2)
    assert current(ses, t2, ids2)[0] == 20


def test_first_move_previous_of_a_scrollable_sort_goes_before_the_first(ses):
    t, ids = _filled(ses, SCROLL)
    with pytest.raises(jet.NoCurrentRecordError):
        jet.JetMove(ses, t, jet.JET_MovePrevious)
    jet.JetMove(ses, t, jet.JET_MoveNext)
    assert current(ses, t, ids)[0] == 10


def test_empty_sort(ses):
    t, _ids = open_kp(ses, IDX)
    with pytest.raises(jet.NoCurrentRecordError):
        jet.JetMove(ses, t, jet.JET_MoveFirst)
    t2, _ = open_kp(ses, IDX)
    jet.JetMakeKey(ses, t2, struct.pack("<i", 1), jet.JET_bitNewKey)
    with pytest.raises(jet.RecordNotFoundError):  # ErrTTSortInsSeek on an empty sort
        jet.JetSeek(ses, t2, jet.JET_bitSeekEQ)


def test_a_prepared_insert_is_cancelled_by_the_first_move(ses):
    t, ids = _filled(ses, 0)
    jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
    jet.JetSetColumn(ses, t, ids[0], struct.pack("<i", 99))
    jet.JetMove(ses, t, jet.JET_MoveFirst)  # ErrTTSortInsMove: JET_prepCancel first
    assert [k for k, _ in scan(ses, t, ids)] == [10, 20, 30]


# ------------------------------------------------------------------ TTSortRet


def test_sort_seeks_report_no_inexactness(ses):
    # ESE ErrIsamSortSeek: GE / LE landing on another key are plain successes
    t, ids = _filled(ses, IDX)
    assert seek(ses, t, 15, jet.JET_bitSeekGE) == 0
    assert current(ses, t, ids)[0] == 20
    assert seek(ses, t, 15, jet.JET_bitSeekLE) == 0
    assert current(ses, t, ids)[0] == 10
    assert seek(ses, t, 20, jet.JET_bitSeekGT) == 0
    assert current(ses, t, ids)[0] == 30
    assert seek(ses, t, 20, jet.JET_bitSeekLT) == 0
    assert current(ses, t, ids)[0] == 10
    assert seek(ses, t, 30, jet.JET_bitSeekEQ) == 0


@pytest.mark.parametrize("key,grbit", [(15, jet.JET_bitSeekEQ), (31, jet.JET_bitSeekGE),
                                       (30, jet.JET_bitSeekGT), (10, jet.JET_bitSeekLT),
                                       (5, jet.JET_bitSeekLE)])
def test_sort_seek_not_found(ses, key, grbit):
    t, _ids = _filled(ses, IDX)
    with pytest.raises(jet.RecordNotFoundError):
        seek(ses, t, key, grbit)


def test_sort_seek_needs_a_key(ses):
    t, ids = _filled(ses, IDX)
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    with pytest.raises(jet.KeyNotMadeError):
        jet.JetSeek(ses, t, jet.JET_bitSeekEQ)
    with pytest.raises(jet.InvalidParameterError):
        jet.JetSeek(ses, t, 0)


def test_sort_bookmarks_are_positions(ses):
    # ESE ErrIsamSortGetBookmark: the bookmark is the record's index (a LONG)
    t, ids = _filled(ses, IDX)
    seek(ses, t, 20, jet.JET_bitSeekEQ)
    bm = jet.JetGetBookmark(ses, t)
    assert bm == struct.pack("<i", 1)
    jet.JetMove(ses, t, jet.JET_MoveLast)
    jet.JetGotoBookmark(ses, t, bm)
    assert current(ses, t, ids)[0] == 20
    with pytest.raises(jet.InvalidBookmarkError):
        jet.JetGotoBookmark(ses, t, b"\x01\x00")


def test_sort_index_range(ses):
    t, ids = _filled(ses, IDX, keys=(10, 20, 30, 40))
    seek(ses, t, 20, jet.JET_bitSeekEQ)
    jet.JetMakeKey(ses, t, struct.pack("<i", 30), jet.JET_bitNewKey)
    jet.JetSetIndexRange(ses, t, jet.JET_bitRangeUpperLimit | jet.JET_bitRangeInclusive)
    jet.JetMove(ses, t, jet.JET_MoveNext)
    assert current(ses, t, ids)[0] == 30
    with pytest.raises(jet.NoCurrentRecordError):
        jet.JetMove(ses, t, jet.JET_MoveNext)
    t2, _ = _filled(ses, 0)
    jet.JetMove(ses, t2, jet.JET_MoveFirst)
    jet.JetMakeKey(ses, t2, struct.pack("<i", 30), jet.JET_bitNewKey)
    with pytest.raises(jet.IllegalOperationError):  # ErrIsamSortSetIndexRange
        jet.JetSetIndexRange(ses, t2, jet.JET_bitRangeUpperLimit)


def test_sort_table_info_counts_records(ses):
    t, _ids = _filled(ses, IDX, keys=(1, 2, 2, 3))
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    info = jet.JetGetTableInfo(ses, t, jet.JET_TblInfo)
    assert info.objtyp == jet.JET_objtypTable and info.cRecord == 3
    with pytest.raises(jet.InvalidOperationError):  # ErrIsamSortGetTableInfo
        jet.JetGetTableInfo(ses, t, jet.JET_TblInfoName)


def test_sort_dup_cursor_starts_on_the_first_record(ses):
    t, ids = _filled(ses, IDX)
    jet.JetMove(ses, t, jet.JET_MoveLast)
    d = jet.JetDupCursor(ses, t)
    assert current(ses, d, ids)[0] == 10
    jet.JetCloseTable(ses, t)
    assert [k for k, _ in scan(ses, d, ids)] == [10, 20, 30]  # the sort lives on


def test_sorted_sort_allows_reads(ses):
    t, ids = _filled(ses, IDX)
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    assert jet.JetEnumerateColumns(ses, t)
    assert jet.JetGetRecordSize(ses, t).cbData > 0
    assert jet.JetRetrieveKey(ses, t)
    jet.JetMove(ses, t, 0)
    with pytest.raises(jet.IllegalOperationError):
        jet.JetSetColumn(ses, t, ids[0], b"\0\0\0\0")
    with pytest.raises(jet.IllegalOperationError):
        jet.JetIndexRecordCount(ses, t, 0)


# ------------------------------------------------------------------ TTBase


def test_materialized_table_moves_seeks_and_bookmarks_as_a_table(ses):
    t, ids = _filled(ses, FORCE | IDX)
    jet.JetMove(ses, t, jet.JET_MoveNext)  # materialized at open: before the first
    assert current(ses, t, ids)[0] == 10
    assert seek(ses, t, 25, jet.JET_bitSeekLE) == jet.JET_wrnSeekNotEqual
    assert current(ses, t, ids)[0] == 20
    bm = jet.JetGetBookmark(ses, t)
    jet.JetMove(ses, t, jet.JET_MoveLast)
    jet.JetGotoBookmark(ses, t, bm)
    assert current(ses, t, ids)[0] == 20
    jet.JetMakeKey(ses, t, struct.pack("<i", 20), jet.JET_bitNewKey)
    jet.JetSetIndexRange(ses, t, jet.JET_bitRangeUpperLimit | jet.JET_bitRangeInclusive)
    with pytest.raises(jet.NoCurrentRecordError):
        jet.JetMove(ses, t, jet.JET_MoveNext)


def test_materialized_table_updates_and_deletes(ses):
    t, ids = _filled(ses, FORCE | IDX)
    seek(ses, t, 20, jet.JET_bitSeekEQ)
    jet.JetPrepareUpdate(ses, t, jet.JET_prepReplace)
    jet.JetSetColumn(ses, t, ids[1], b"changed")
    assert jet.JetUpdate(ses, t) == jet.JetGetBookmark(ses, t)
    jet.JetPrepareUpdate(ses, t, jet.JET_prepReplace)
    jet.JetSetColumn(ses, t, ids[0], struct.pack("<i", 21))
    with pytest.raises(jet.RecordPrimaryChangedError):
        jet.JetUpdate(ses, t)
    jet.JetPrepareUpdate(ses, t, jet.JET_prepCancel)
    seek(ses, t, 10, jet.JET_bitSeekEQ)
    jet.JetDelete(ses, t)
    with pytest.raises(jet.RecordDeletedError):
        jet.JetRetrieveColumn(ses, t, ids[0])
    assert scan(ses, t, ids) == [(20, b"changed"), (30, b"v30")]
    assert jet.JetGetTableInfo(ses, t, jet.JET_TblInfo).cRecord == 2


def test_materialized_table_refuses_what_vtfndefTTBase_lacks(ses):
    t, ids = _filled(ses, FORCE | IDX)
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    for call in (lambda: jet.JetIndexRecordCount(ses, t, 0),
                 lambda: jet.JetGetRecordPosition(ses, t),
                 lambda: jet.JetGotoPosition(ses, t, jet.JET_RECPOS(centriesLT=0,
                                                                    centriesTotal=1)),
                 lambda: jet.JetSetCurrentIndex(ses, t, None),
                 lambda: jet.JetGetCurrentIndex(ses, t),
                 lambda: jet.JetGetTableIndexInfo(ses, t, None, jet.JET_IdxInfo),
                 lambda: jet.JetCreateIndex(ses, t, "x", 0, "+a\0\0")):
        with pytest.raises(jet.IllegalOperationError):
            call()


def test_materialized_dup_cursor_and_escrow(ses):
    cols = [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnTTKey),
            jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong,
                              grbit=jet.JET_bitColumnEscrowUpdate | jet.JET_bitColumnFixed)]
    t, ids = jet.JetOpenTempTable(ses, cols, FORCE)
    jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
    jet.JetSetColumn(ses, t, ids[0], struct.pack("<i", 1))
    jet.JetSetColumn(ses, t, ids[1], struct.pack("<i", 5))
    jet.JetUpdate(ses, t)
    d = jet.JetDupCursor(ses, t)
    jet.JetMove(ses, d, jet.JET_MoveFirst)
    assert jet.JetEscrowUpdate(ses, d, ids[1], struct.pack("<i", 3)) == struct.pack("<i", 5)
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    assert jet.JetRetrieveColumn(ses, t, ids[1]) == struct.pack("<i", 8)


def test_updatable_sort_becomes_a_table_and_keeps_its_handle(ses):
    t, ids = _filled(ses, jet.JET_bitTTUpdatable | IDX)
    jet.JetMove(ses, t, jet.JET_MoveLast)
    assert current(ses, t, ids)[0] == 30
    insert(ses, t, ids, 5)
    with pytest.raises(jet.KeyDuplicateError):
        insert(ses, t, ids, 30)
    assert [k for k, _ in scan(ses, t, ids)] == [5, 10, 20, 30]


def test_closed_handle_is_invalid(ses):
    t, _ = _filled(ses, IDX)
    jet.JetCloseTable(ses, t)
    with pytest.raises(jet.InvalidTableIdError):
        jet.JetMove(ses, t, jet.JET_MoveFirst)
    with pytest.raises(jet.InvalidTableIdError):
        jet.JetCloseTable(ses, t)
