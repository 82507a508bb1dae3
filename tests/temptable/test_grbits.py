"""One test per JET_bitTT* grbit and per key-column grbit (ESE ``sortapi.cxx``)."""

from __future__ import annotations

import struct
import uuid

import pytest

import pyese.jet as jet

from .conftest import LONG, insert, open_kp, scan, seek

KEY = jet.JET_bitColumnTTKey


def _fill(ses, t, ids, keys):
    for k in keys:
        insert(ses, t, ids, k, b"v%d" % (k if k is not None else -1))


def test_indexed_allows_seeks(ses):
    t, ids = open_kp(ses, jet.JET_bitTTIndexed)
    _fill(ses, t, ids, [30, 10, 20])
    assert seek(ses, t, 20, jet.JET_bitSeekEQ) == 0
    assert scan(ses, t, ids)[0] == (10, b"v10")


def test_without_indexed_or_scrollable_a_seek_ends_the_insert_phase_then_is_illegal(ses):
    # ESE ErrTTSortInsSeek ends the insert phase (ErrTTEndInsert) and only then
    # dispatches to ErrIsamSortSeek, which needs Scrollable or Indexed.
    t, ids = open_kp(ses, 0)
    _fill(ses, t, ids, [2, 1])
    jet.JetMakeKey(ses, t, struct.pack("<i", 1), jet.JET_bitNewKey)
    with pytest.raises(jet.IllegalOperationError):
        jet.JetSeek(ses, t, jet.JET_bitSeekEQ)
    with pytest.raises(jet.IllegalOperationError):  # the sort is no longer being filled
        jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
    assert scan(ses, t, ids) == [(1, b"v1"), (2, b"v2")]


def test_unique_removes_duplicates_of_a_forward_only_sort(ses):
    t, ids = open_kp(ses, jet.JET_bitTTForwardOnly | jet.JET_bitTTUnique)
    _fill(ses, t, ids, [3, 1, 3, 1, 2])
    assert [k for k, _ in scan(ses, t, ids)] == [1, 2, 3]


def test_forward_only_keeps_duplicates_ordered_by_record(ses):
    # ESE ErrSORTTableOpen: fRemoveDuplicates = !(ForwardOnly && !Unique); the sort
    # orders by key then by record bytes (sort.cxx ISORTICmpPspairPspair).
    t, ids = open_kp(ses, jet.JET_bitTTForwardOnly)
    for payload in (b"c", b"a", b"b"):
        insert(ses, t, ids, 5, payload)
    insert(ses, t, ids, 1, b"z")
    assert scan(ses, t, ids) == [(1, b"z"), (5, b"a"), (5, b"b"), (5, b"c")]


def test_every_other_sort_removes_duplicate_keys_silently(ses):
    t, ids = open_kp(ses, 0)
    for payload in (b"c", b"a", b"b"):
        insert(ses, t, ids, 5, payload)  # no error: removed at the end of the insert
    assert scan(ses, t, ids) == [(5, b"a")]  # the first in (key, record) order stays


def test_updatable_materializes_at_the_first_move(ses):
    t, ids = open_kp(ses, jet.JET_bitTTUpdatable)
    _fill(ses, t, ids, [2, 1])
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    jet.JetPrepareUpdate(ses, t, jet.JET_prepReplace)
    jet.JetSetColumn(ses, t, ids[1], b"new")
    jet.JetUpdate(ses, t)
    insert(ses, t, ids, 3)
    assert scan(ses, t, ids) == [(1, b"new"), (2, b"v2"), (3, b"p")]


def test_not_updatable_sorts_refuse_updates_after_the_insert_phase(ses):
    t, ids = open_kp(ses, jet.JET_bitTTIndexed)
    _fill(ses, t, ids, [1])
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    with pytest.raises(jet.IllegalOperationError):  # vtfndefTTSortRet
        jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
    with pytest.raises(jet.IllegalOperationError):
        jet.JetDelete(ses, t)


def test_scrollable_allows_moving_back(ses):
    t, ids = open_kp(ses, jet.JET_bitTTScrollable)
    _fill(ses, t, ids, [1, 2, 3])
    jet.JetMove(ses, t, jet.JET_MoveLast)
    jet.JetMove(ses, t, jet.JET_MovePrevious)
    assert scan(ses, t, ids)[1] == (2, b"v2")
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    jet.JetMove(ses, t, 2)
    jet.JetMove(ses, t, -2)
    with pytest.raises(jet.NoCurrentRecordError):
        jet.JetMove(ses, t, jet.JET_MovePrevious)


def test_not_scrollable_cannot_move_back_but_can_move_first(ses):
    # ESE ErrIsamSortMove: a negative move other than MoveFirst needs Scrollable|Indexed
    t, ids = open_kp(ses, 0)
    _fill(ses, t, ids, [1, 2])
    jet.JetMove(ses, t, jet.JET_MoveNext)
    jet.JetMove(ses, t, jet.JET_MoveNext)
    with pytest.raises(jet.IllegalOperationError):
        jet.JetMove(ses, t, jet.JET_MovePrevious)
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    jet.JetMove(ses, t, jet.JET_MoveLast)


@pytest.mark.parametrize("extra", [0, jet.JET_bitTTForceMaterialization])
def test_sort_nulls_high(ses, extra):
    for grbit, expect in ((0, [None, 1, 2]), (jet.JET_bitTTSortNullsHigh, [1, 2, None])):
        t, ids = open_kp(ses, grbit | extra | jet.JET_bitTTIndexed)
        _fill(ses, t, ids, [2, None, 1])
        assert [k for k, _ in scan(ses, t, ids)] == expect


def test_force_materialization_is_an_ordinary_unique_table(ses):
    t, ids = open_kp(ses, jet.JET_bitTTForceMaterialization | jet.JET_bitTTIndexed)
    insert(ses, t, ids, 5, b"first")
    with pytest.raises(jet.KeyDuplicateError):  # at once, the first insert wins
        insert(ses, t, ids, 5, b"second")
    insert(ses, t, ids, 9)
    # an ordinary seek reports inexactness (ESE rec.cxx ErrIsamSeek), a sort does not
    assert seek(ses, t, 6, jet.JET_bitSeekGE) == jet.JET_wrnSeekNotEqual
    assert scan(ses, t, ids) == [(5, b"first"), (9, b"p")]


def test_error_on_duplicate_insertion_is_force_materialization(ses):
    assert jet.JET_bitTTErrorOnDuplicateInsertion == jet.JET_bitTTForceMaterialization
    t, ids = open_kp(ses, jet.JET_bitTTErrorOnDuplicateInsertion)
    insert(ses, t, ids, 1)
    with pytest.raises(jet.KeyDuplicateError):
        insert(ses, t, ids, 1)


def test_intrinsic_lvs_only_keeps_a_long_value_table_a_sort(ses):
    cols = [jet.JET_COLUMNDEF(coltyp=LONG, grbit=KEY),
            jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongText, cp=1200)]
    sort, ids = jet.JetOpenTempTable(ses, cols, jet.JET_bitTTIntrinsicLVsOnly)
    table, ids2 = jet.JetOpenTempTable(ses, cols, 0)
    for t, c in ((sort, ids), (table, ids2)):
        for k in (2, 1):
            jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
            jet.JetSetColumn(ses, t, c[0], struct.pack("<i", k))
            jet.JetSetColumn(ses, t, c[1], ("x" * 3000 + str(k)).encode("utf-16-le"))
            jet.JetUpdate(ses, t)
    # the sort keeps its records until the first move: no bookmark yet; the long-value
    # table was materialized at open (ESE ErrIsamOpenTempTable) and has one
    with pytest.raises(jet.IllegalOperationError):
        jet.JetGetBookmark(ses, sort)
    jet.JetMove(ses, table, jet.JET_MoveFirst)
    assert jet.JetGetBookmark(ses, table)
    jet.JetMove(ses, sort, jet.JET_MoveFirst)
    assert jet.JetRetrieveColumn(ses, sort, ids[1]).decode("utf-16-le").endswith("x1")


def _guid_order(ses, grbit):
    cols = [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypGUID, grbit=KEY)]
    t, (c,) = jet.JetOpenTempTable(ses, cols, grbit)
    guids = [uuid.UUID(int=(1 << 120) + 5), uuid.UUID(int=7 << 8), uuid.UUID(int=3)]
    for g in guids:
        jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
        jet.JetSetColumn(ses, t, c, g.bytes_le)
        jet.JetUpdate(ses, t)
    out = []
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    while True:
        out.append(uuid.UUID(bytes_le=jet.JetRetrieveColumn(ses, t, c)))
        try:
            jet.JetMove(ses, t, jet.JET_MoveNext)
        except jet.NoCurrentRecordError:
            return out


def test_dotnet_guid_changes_the_guid_order(ses):
    # ESE ErrSORTTableOpen: JET_bitTTDotNetGuid sets the index's fDotNetGuid
    plain = _guid_order(ses, 0)
    dotnet = _guid_order(ses, jet.JET_bitTTDotNetGuid)
    assert sorted(plain) == sorted(dotnet)
    assert plain != dotnet
    assert dotnet == sorted(dotnet, key=lambda g: g.bytes)  # .NET compares field by field


def test_descending_key_column(ses):
    t, ids = open_kp(ses, 0, descending=True)
    _fill(ses, t, ids, [1, 3, 2])
    assert [k for k, _ in scan(ses, t, ids)] == [3, 2, 1]


def test_key_columns_in_column_order(ses):
    cols = [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary, cbMax=8),
            jet.JET_COLUMNDEF(coltyp=LONG, grbit=KEY | jet.JET_bitColumnTTDescending),
            jet.JET_COLUMNDEF(coltyp=LONG, grbit=KEY)]
    t, ids = jet.JetOpenTempTable(ses, cols, jet.JET_bitTTIndexed)
    rows = [(1, 1), (1, 2), (2, 1), (2, 2)]
    for a, b in rows:
        jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
        jet.JetSetColumn(ses, t, ids[1], struct.pack("<i", a))
        jet.JetSetColumn(ses, t, ids[2], struct.pack("<i", b))
        jet.JetUpdate(ses, t)
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    got = []
    while True:
        got.append(tuple(struct.unpack("<i", jet.JetRetrieveColumn(ses, t, c))[0]
                         for c in ids[1:]))
        try:
            jet.JetMove(ses, t, jet.JET_MoveNext)
        except jet.NoCurrentRecordError:
            break
    assert got == [(2, 1), (2, 2), (1, 1), (1, 2)]  # first key descending, second ascending
