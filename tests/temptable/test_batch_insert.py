"""``PyeseInsertRows`` on a temporary table: a sort being filled with plain rows takes the
bulk path (``engine.temp.insert_set_rows``); what it reads back, and the errors it gives,
must be exactly those of one JetPrepareUpdate / JetSetColumn / JetUpdate per row."""

from __future__ import annotations

import random
import struct
from typing import Any

import pytest

import pyese.engine.temp as temp
import pyese.jet as jet
from pyese.jethdr.errors import JetError

from .conftest import LONG


def _columns() -> list[jet.JET_COLUMNDEF]:
    return [jet.JET_COLUMNDEF(coltyp=LONG, grbit=jet.JET_bitColumnTTKey),
            jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText, cp=1252, cbMax=255,
                              grbit=jet.JET_bitColumnTTKey | jet.JET_bitColumnTTDescending),
            jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary, cbMax=255)]


def _read_all(ses: Any, t: Any, ids: list[Any]) -> list[tuple[bytes | None, ...]]:
    out = []
    try:
        jet.JetMove(ses, t, jet.JET_MoveFirst)
        while True:
            out.append(tuple(jet.JetRetrieveColumn(ses, t, c) for c in ids))
            jet.JetMove(ses, t, jet.JET_MoveNext)
    except JetError as err:
        assert err.err == jet.JET_errNoCurrentRecord
    return out


def _one_by_one(ses: Any, t: Any, rows: list[list[jet.JET_SETCOLUMN]]) -> None:
    for row in rows:
        jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
        jet.JetSetColumns(ses, t, row)
        jet.JetUpdate(ses, t)


def _rows(ids: list[Any], rng: random.Random, n: int) -> list[list[jet.JET_SETCOLUMN]]:
    return [[jet.JET_SETCOLUMN(columnid=ids[0], pvData=struct.pack("<i", rng.randrange(-50, 50))),
             jet.JET_SETCOLUMN(columnid=ids[1], pvData=rng.choice([b"a", b"B", b"ab", b"zz"])),
             jet.JET_SETCOLUMN(columnid=ids[2], pvData=rng.randbytes(rng.randrange(1, 20)))]
            for _ in range(n)]


@pytest.mark.parametrize("grbit", [jet.JET_bitTTForwardOnly,
                                   jet.JET_bitTTForwardOnly | jet.JET_bitTTUnique,
                                   jet.JET_bitTTIndexed | jet.JET_bitTTScrollable])
def test_batch_equals_one_row_at_a_time(ses: Any, grbit: int,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    bulk_calls: list[int] = []
    real = temp.insert_rows

    def spy(cur: Any, rows: Any, columnids: Any) -> int:
        bulk_calls.append(1)
        return real(cur, rows, columnids)

    monkeypatch.setattr(temp, "insert_rows", spy)
    rng = random.Random(grbit)
    batch_t, ids = jet.JetOpenTempTable(ses, _columns(), grbit)
    rows = _rows(ids, rng, 3000)
    assert jet.PyeseInsertRows(ses, batch_t, rows[:1000]) == [b""] * 1000  # a sort: no bookmarks
    jet.PyeseInsertRows(ses, batch_t, rows[1000:])
    slow_t, slow_ids = jet.JetOpenTempTable(ses, _columns(), grbit)
    _one_by_one(ses, slow_t, [[jet.JET_SETCOLUMN(columnid=slow_ids[i], pvData=sc.pvData)
                               for i, sc in enumerate(row)] for row in rows])
    assert _read_all(ses, batch_t, ids) == _read_all(ses, slow_t, slow_ids)
    # each table is a sort being filled until its first move (a scrollable one is
    # materialized then), so each batch took the bulk path
    assert len(bulk_calls) == 2


def test_a_bad_row_gives_the_one_row_error_and_keeps_the_rows_before(ses: Any) -> None:
    results = []
    for bulk in (True, False):
        t, ids = jet.JetOpenTempTable(ses, _columns(), jet.JET_bitTTForwardOnly)
        rows = _rows(ids, random.Random(7), 10)
        rows[6][0] = jet.JET_SETCOLUMN(columnid=ids[0], pvData=b"\x01\x02\x03")  # not 4 bytes
        with pytest.raises(JetError) as info:
            if bulk:
                jet.PyeseInsertRows(ses, t, rows)
            else:
                _one_by_one(ses, t, rows)
        if not bulk:
            jet.JetPrepareUpdate(ses, t, jet.JET_prepCancel)
        results.append((info.value.err, _read_all(ses, t, ids)))
    assert results[0] == results[1]
    assert len(results[0][1]) == 6


def test_an_unknown_column_is_column_not_found(ses: Any) -> None:
    t, ids = jet.JetOpenTempTable(ses, _columns(), jet.JET_bitTTForwardOnly)
    with pytest.raises(JetError) as info:
        jet.PyeseInsertRows(ses, t, [[jet.JET_SETCOLUMN(columnid=999, pvData=b"x")]])
    assert info.value.err == jet.JET_errColumnNotFound


@pytest.mark.parametrize("stay", [False, True])
def test_pages_of_a_sort_equal_the_move_loop(ses: Any, stay: bool,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """PyeseRetrieveRows on an in-memory sort takes the sort's own page read
    (``SortCursor.read_page``); its rows, and where it leaves the cursor, are those of the
    JetRetrieveColumn + JetMove loop (engine/cursors/batch.py, invariants 1 and 2)."""
    from pyese.engine.temp.cursor import SortCursor

    pages: list[int] = []
    real = SortCursor.read_page

    def spy(self: SortCursor, *args: Any) -> Any:
        got = real(self, *args)
        pages.append(got is not None)
        return got

    monkeypatch.setattr(SortCursor, "read_page", spy)
    t, ids = jet.JetOpenTempTable(ses, _columns(), jet.JET_bitTTForwardOnly)
    jet.PyeseInsertRows(ses, t, _rows(ids, random.Random(3), 500))
    slow_t, slow_ids = jet.JetOpenTempTable(ses, _columns(), jet.JET_bitTTForwardOnly)
    jet.PyeseInsertRows(ses, slow_t, [[jet.JET_SETCOLUMN(columnid=slow_ids[i], pvData=sc.pvData)
                                       for i, sc in enumerate(row)]
                                      for row in _rows(ids, random.Random(3), 500)])
    want = _read_all(ses, slow_t, slow_ids)
    got: list[tuple[Any, ...]] = []
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    grbit = jet.Pyese_bitRowsStay if stay else 0
    while True:
        try:
            page = jet.PyeseRetrieveRows(ses, t, list(ids), 37, grbit)
        except JetError as err:
            assert err.err == jet.JET_errNoCurrentRecord
            break
        got.extend(page)
        if stay:  # on the last row read: the next page starts one move later
            assert tuple(jet.JetRetrieveColumn(ses, t, c) for c in ids) == page[-1]
            try:
                jet.JetMove(ses, t, jet.JET_MoveNext)
            except JetError:
                break
    assert len(got) == 500 and got == want
    assert pages and all(pages)


@pytest.mark.parametrize("grbit", [jet.JET_bitTTForwardOnly,
                                   jet.JET_bitTTIndexed | jet.JET_bitTTUpdatable])
def test_insert_values_equals_insert_rows(ses: Any, grbit: int) -> None:
    """PyeseInsertValues: the rows PyeseInsertRows would write for the same values (None:
    the column not set); a sort being filled and a materialized (updatable) table."""
    rows = _rows([1, 2, 3], random.Random(11), 800)
    a, a_ids = jet.JetOpenTempTable(ses, _columns(), grbit)
    b, b_ids = jet.JetOpenTempTable(ses, _columns(), grbit)
    values = [[sc.pvData for sc in row] for row in rows]
    values[5][2] = None  # the payload not set: NULL
    assert jet.PyeseInsertValues(ses, a, list(a_ids), values) == 800
    jet.PyeseInsertRows(ses, b, [[jet.JET_SETCOLUMN(columnid=b_ids[i], pvData=v)
                                  for i, v in enumerate(row) if v is not None]
                                 for row in values])
    got = _read_all(ses, a, a_ids)
    assert got == _read_all(ses, b, b_ids) and any(r[2] is None for r in got)


@pytest.mark.parametrize("columnids, rows", [
    ([1, 1], [[b"\x01\x00\x00\x00", b"x"]]),             # a repeated column
    ([1, 2], [[b"\x01\x00\x00\x00"]]),                   # a row of the wrong length
    ([1, 2], [[b"\x01\x00\x00\x00", "text"]]),           # a value that is not bytes
    ([1, "2"], [[b"\x01\x00\x00\x00", b"x"]]),           # a columnid that is not an int
])
def test_insert_values_bad_arguments_write_nothing(ses: Any, columnids: list[Any],
                                                   rows: list[Any]) -> None:
    t, ids = jet.JetOpenTempTable(ses, _columns(), jet.JET_bitTTForwardOnly)
    good = [b"\x07\x00\x00\x00", b"a", b"p"]
    with pytest.raises(JetError) as info:
        jet.PyeseInsertValues(ses, t, columnids, [good[:len(columnids)], *rows])
    assert info.value.err == jet.JET_errInvalidParameter
    assert _read_all(ses, t, ids) == []


def test_insert_values_on_a_table_is_all_or_nothing(tmp_path: Any) -> None:
    inst = jet.JetCreateInstance("iv")
    for p in (jet.JET_paramSystemPath, jet.JET_paramLogFilePath, jet.JET_paramTempPath):
        jet.JetSetSystemParameter(inst, 0, p, 0, str(tmp_path) + "/")
    jet.JetInit(inst)
    try:
        s = jet.JetBeginSession(inst)
        db = jet.JetCreateDatabase(s, str(tmp_path / "iv.edb"))
        t = jet.JetCreateTable(s, db, "T")
        k = jet.JetAddColumn(s, t, "K", jet.JET_COLUMNDEF(coltyp=LONG))
        v = jet.JetAddColumn(s, t, "V", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong),
                             struct.pack("<i", 42))  # a default value
        jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+K\0\0")
        one, two, seven = (struct.pack("<i", n) for n in (1, 2, 7))
        assert jet.PyeseInsertValues(s, t, [k, v], [[one, None], [two, seven]]) == 2
        with pytest.raises(JetError) as info:  # the second row's key is already there
            jet.PyeseInsertValues(s, t, [k], [[struct.pack("<i", 3)], [struct.pack("<i", 1)]])
        assert info.value.err == jet.JET_errKeyDuplicate
        assert _read_all(s, t, [k, v]) == [(struct.pack("<i", 1), struct.pack("<i", 42)),
                                           (struct.pack("<i", 2), struct.pack("<i", 7))]
    finally:
        jet.JetTerm(inst)
