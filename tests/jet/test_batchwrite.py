"""PyeseInsertRows: the pyese batch-insert extension (``jet/batchwrite.py``).

It must store exactly what JetPrepareUpdate(JET_prepInsert) + JetSetColumns + JetUpdate
per row store, raise their errors, and be atomic on a table.
"""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet

from .helpers import expect

L = struct.Struct("<i")


def _setup(inst: jet.JET_INSTANCE, name: str = "b.edb") -> tuple:
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, name)
    t = jet.JetCreateTable(s, db, "T")
    c = {
        "id": jet.JetAddColumn(s, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong)),
        "name": jet.JetAddColumn(s, t, "name", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypText, cp=1200)),
        "tags": jet.JetAddColumn(s, t, "tags", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypBinary,
            grbit=jet.JET_bitColumnTagged | jet.JET_bitColumnMultiValued)),
        "lv": jet.JetAddColumn(s, t, "lv", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypLongBinary)),
    }
    jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+id\0\0")
    jet.JetCreateIndex(s, t, "byname", 0, "+name\0\0")
    jet.JetCreateIndex(s, t, "bytag", 0, "+tags\0\0")
    return s, t, c


def _row(c: dict, i: int) -> list[jet.JET_SETCOLUMN]:
    return [jet.JET_SETCOLUMN(columnid=c["id"], pvData=L.pack(i), itagSequence=1),
            jet.JET_SETCOLUMN(columnid=c["name"], pvData=f"Név {i % 7}".encode("utf-16-le"),
                              itagSequence=1),
            jet.JET_SETCOLUMN(columnid=c["tags"], pvData=b"t%d" % (i % 3)),
            jet.JET_SETCOLUMN(columnid=c["tags"], pvData=b"u%d" % i),
            jet.JET_SETCOLUMN(columnid=c["lv"], pvData=bytes([i & 0xFF]) * (3000 * (i % 2)),
                              itagSequence=1)]


def _contents(s: object, t: object, c: dict) -> dict[str, list]:
    """Each index's records in order, with every column value (all tags)."""
    out: dict[str, list] = {}
    for index in ("pk", "byname", "bytag"):
        jet.JetSetCurrentIndex(s, t, index)
        rows = []
        try:
            jet.JetMove(s, t, jet.JET_MoveFirst)
        except jet.JetError:
            out[index] = rows
            continue
        while True:
            tags = []
            n = 1
            while True:
                v = jet.JetRetrieveColumn(s, t, c["tags"], 0, jet.JET_RETINFO(itagSequence=n))
                if v is None:
                    break
                tags.append(v)
                n += 1
            rows.append((jet.JetGetBookmark(s, t), jet.JetRetrieveColumn(s, t, c["name"]),
                         tags, jet.JetRetrieveColumn(s, t, c["lv"])))
            try:
                jet.JetMove(s, t, jet.JET_MoveNext)
            except jet.JetError:
                break
        out[index] = rows
    return out


def test_batch_stores_what_the_per_row_calls_store(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst, "a.edb")
    jet.JetBeginTransaction(s)
    bms = jet.PyeseInsertRows(s, t, [_row(c, i) for i in range(40)])
    jet.JetCommitTransaction(s)
    assert len(bms) == 40
    s2, t2, c2 = _setup(inst, "b.edb")
    jet.JetBeginTransaction(s2)
    one_by_one = []
    for i in range(40):
        jet.JetPrepareUpdate(s2, t2, jet.JET_prepInsert)
        jet.JetSetColumns(s2, t2, _row(c2, i))
        one_by_one.append(jet.JetUpdate(s2, t2))
    jet.JetCommitTransaction(s2)
    assert bms == one_by_one
    assert _contents(s, t, c) == _contents(s2, t2, c2)
    assert len(_contents(s, t, c)["bytag"]) == 80  # two entries per record


def test_batch_is_atomic_at_level_0(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst)
    first = jet.PyeseInsertRows(s, t, [_row(c, 1)])
    rows = [_row(c, 2), _row(c, 3), _row(c, 1), _row(c, 4)]  # the third is a duplicate
    with expect(jet.JET_errKeyDuplicate):
        jet.PyeseInsertRows(s, t, rows)
    assert [r[0] for r in _contents(s, t, c)["pk"]] == first
    with expect(jet.JET_errUpdateNotPrepared):  # no update left prepared
        jet.JetUpdate(s, t)
    assert len(_contents(s, t, c)["bytag"]) == 2


def test_batch_inside_a_transaction_rolls_back_with_it(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst)
    jet.JetBeginTransaction(s)
    jet.PyeseInsertRows(s, t, [_row(c, i) for i in range(5)])
    assert len(_contents(s, t, c)["pk"]) == 5
    with expect(jet.JET_errKeyDuplicate):  # fails as a whole; the level stays usable
        jet.PyeseInsertRows(s, t, [_row(c, 9), _row(c, 0)])
    assert len(_contents(s, t, c)["pk"]) == 5
    jet.JetRollback(s, 0)
    assert _contents(s, t, c)["pk"] == []


def test_errors_of_the_calls_it_stands_for(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst)
    with expect(jet.JET_errInvalidParameter):
        jet.PyeseInsertRows(s, t, "not rows")  # type: ignore[arg-type]
    with expect(jet.JET_errInvalidParameter):  # checked before anything is written
        jet.PyeseInsertRows(s, t, [_row(c, 1), [object()]])  # type: ignore[list-item]
    with expect(jet.JET_errInvalidGrbit):
        jet.PyeseInsertRows(s, t, [[jet.JET_SETCOLUMN(columnid=c["id"], pvData=L.pack(1),
                                                      grbit=2**40)]])
    assert _contents(s, t, c)["pk"] == []
    with expect(jet.JET_errColumnNotFound):
        jet.PyeseInsertRows(s, t, [[jet.JET_SETCOLUMN(columnid=0x7777, pvData=b"x")]])
    with expect(jet.JET_errInvalidBufferSize):
        jet.PyeseInsertRows(s, t, [[jet.JET_SETCOLUMN(columnid=c["id"], pvData=b"xy")]])
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    with expect(jet.JET_errAlreadyPrepared):
        jet.PyeseInsertRows(s, t, [_row(c, 1)])
    jet.JetSetColumn(s, t, c["id"], L.pack(5))  # the caller's update is untouched
    jet.JetUpdate(s, t)
    assert jet.PyeseInsertRows(s, t, []) == []
    assert len(_contents(s, t, c)["pk"]) == 1
    with expect(jet.JET_errInvalidTableId):
        jet.PyeseInsertRows(s, 123456, [_row(c, 1)])


def test_temporary_table_rows_go_in_one_by_one(inst: jet.JET_INSTANCE) -> None:
    s = jet.JetBeginSession(inst)
    tt, (ck, cv) = jet.JetOpenTempTable(s, [
        jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnTTKey),
        jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary)], jet.JET_bitTTIndexed)
    rows = [[jet.JET_SETCOLUMN(columnid=ck, pvData=L.pack(i), itagSequence=1),
             jet.JET_SETCOLUMN(columnid=cv, pvData=b"v%d" % i, itagSequence=1)]
            for i in (3, 1, 2)]
    assert len(jet.PyeseInsertRows(s, tt, rows)) == 3
    jet.JetMove(s, tt, jet.JET_MoveFirst)
    seen = []
    while True:
        seen.append(jet.JetRetrieveColumn(s, tt, cv))
        try:
            jet.JetMove(s, tt, jet.JET_MoveNext)
        except jet.JetError:
            break
    assert seen == [b"v1", b"v2", b"v3"]


@pytest.mark.parametrize("lazy", [False, True])
def test_level_0_batch_is_one_commit(inst: jet.JET_INSTANCE, lazy: bool) -> None:
    s, t, c = _setup(inst)
    if lazy:
        jet.JetSetSessionParameter(s, jet.JET_sesparamCommitDefault,
                                   jet.JET_bitCommitLazyFlush)
    jet.PyeseInsertRows(s, t, [_row(c, i) for i in range(10)])
    jet.JetCloseTable(s, t)
    s2 = jet.JetBeginSession(inst)
    db2 = jet.JetOpenDatabase(s2, "b.edb")
    t2 = jet.JetOpenTable(s2, db2, "T")
    assert len(_contents(s2, t2, c)["pk"]) == 10


def _lv_nodes(t: object) -> int:
    from pyese.engine.cursors.cursor import CURSORS

    cur = CURSORS[int(t)]
    return len(list(cur.view().iterate(cur.table.lv_objid)))


def test_one_row_inside_a_transaction_fails_whole(inst: jet.JET_INSTANCE) -> None:
    """A one-row batch inside a transaction goes the way JetPrepareUpdate + JetSetColumns +
    JetUpdate go (JetUpdate's savepoint, not a level of its own): a failure after its
    long value was written, or at the update itself, still leaves nothing of the row, no
    long value and no update prepared, and the caller's level usable."""
    s, t, c = _setup(inst)
    jet.JetBeginTransaction(s)
    jet.PyeseInsertRows(s, t, [_row(c, 0)])
    lvs = _lv_nodes(t)
    big = jet.JET_SETCOLUMN(columnid=c["lv"], pvData=b"L" * 50_000, itagSequence=1)
    with expect(jet.JET_errColumnNotFound):  # after the long value was set
        jet.PyeseInsertRows(s, t, [[big, jet.JET_SETCOLUMN(columnid=0x7777, pvData=b"x")]])
    assert _lv_nodes(t) == lvs
    with expect(jet.JET_errUpdateNotPrepared):
        jet.JetUpdate(s, t)
    dup = _row(c, 0)
    dup[-1] = big
    with expect(jet.JET_errKeyDuplicate):  # at the update
        jet.PyeseInsertRows(s, t, [dup])
    assert _lv_nodes(t) == lvs
    with expect(jet.JET_errUpdateNotPrepared):
        jet.JetUpdate(s, t)
    assert [r[1] for r in _contents(s, t, c)["pk"]] == ["Név 0".encode("utf-16-le")]
    jet.PyeseInsertRows(s, t, [_row(c, 1)])  # the level goes on
    jet.JetCommitTransaction(s)
    assert len(_contents(s, t, c)["pk"]) == 2
