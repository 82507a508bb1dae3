"""PyeseRetrieveRows (pyese extension, pyese.jet.batch): a page of rows per call.

Its rows and where it leaves the cursor are checked against the loop it stands for
(JetRetrieveColumn + JetMove on a second cursor positioned the same way), with index
ranges, both directions, multi-valued, default and separated long values, on pyese's own
tables and on a genuine .edb attached read-only.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyese.jet as jet
from tests.genuine.samples import SAMPLES_DIR, gunzip_samples

from .helpers import expect

_I = struct.Struct("<i")
BIG = b"\xab" * 9000  # separated: larger than a record may hold


@pytest.fixture
def env(tmp_path: Path):
    root = tmp_path
    inst = jet.JetCreateInstance("batch")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, str(root) + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, str(root) + "/")
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, str(root / "b.edb"))
    t = jet.JetCreateTable(s, db, "t")
    cols = {
        "id": jet.JetAddColumn(s, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong)),
        "name": jet.JetAddColumn(s, t, "name", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText,
                                                                 cp=1200)),
        "blob": jet.JetAddColumn(s, t, "blob",
                                 jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary)),
        "tags": jet.JetAddColumn(s, t, "tags", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypLong,
            grbit=jet.JET_bitColumnTagged | jet.JET_bitColumnMultiValued)),
        "dflt": jet.JetAddColumn(s, t, "dflt", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong),
                                 _I.pack(7)),
    }
    jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
    jet.JetCreateIndex(s, t, "byname", 0, "+name\0\0")
    jet.JetBeginTransaction(s)
    for i in range(60):
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, cols["id"], _I.pack(i))
        jet.JetSetColumn(s, t, cols["name"], f"n{(i * 7) % 20:02d}".encode("utf-16-le"))
        if i % 5 == 0:
            jet.JetSetColumn(s, t, cols["blob"], BIG + bytes([i]))
        elif i % 5 == 1:
            jet.JetSetColumn(s, t, cols["blob"], b"small%d" % i)
        for k in range(i % 3):
            jet.JetSetColumn(s, t, cols["tags"], _I.pack(i * 10 + k), 0,
                             jet.JET_SETINFO(itagSequence=0))
        if i % 4 == 0:
            jet.JetSetColumn(s, t, cols["dflt"], _I.pack(i))
        jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s)
    u = jet.JetOpenTable(s, db, "t")  # the model's cursor
    yield s, t, u, cols
    jet.JetTerm2(inst, 0)


def _loop_rows(s, t, cids, multi, n, backward, bookmarks, stay):
    """What PyeseRetrieveRows stands for, through the JET API one call at a time."""
    rows = []
    while True:
        row = [jet.JetGetBookmark(s, t)] if bookmarks else []
        for cid in cids:
            if cid in multi:
                vals = []
                i = 1
                while True:
                    v = jet.JetRetrieveColumn(s, t, cid, 0, jet.JET_RETINFO(itagSequence=i))
                    if v is None:
                        break
                    vals.append(v)
                    i += 1
                row.append(vals)
            else:
                row.append(jet.JetRetrieveColumn(s, t, cid))
        rows.append(tuple(row))
        if stay and len(rows) == n:
            return rows
        try:
            jet.JetMove(s, t, jet.JET_MovePrevious if backward else jet.JET_MoveNext)
        except jet.JetError as exc:
            assert exc.err == jet.JET_errNoCurrentRecord
            return rows
        if len(rows) == n:
            return rows


def _position(s, t, index, start, limit, backward):
    jet.JetSetCurrentIndex(s, t, index)
    key = (lambda v: f"n{v:02d}".encode("utf-16-le")) if index else _I.pack
    jet.JetMakeKey(s, t, key(start), jet.JET_bitNewKey)
    try:
        jet.JetSeek(s, t, jet.JET_bitSeekLE if backward else jet.JET_bitSeekGE)
    except jet.JetError as exc:
        assert exc.err == jet.JET_errRecordNotFound
        return False
    if limit is not None:
        jet.JetMakeKey(s, t, key(limit), jet.JET_bitNewKey)
        grbit = jet.JET_bitRangeInclusive | (0 if backward else jet.JET_bitRangeUpperLimit)
        try:
            jet.JetSetIndexRange(s, t, grbit)
        except jet.JetError as exc:
            assert exc.err == jet.JET_errNoCurrentRecord
            return False
    return True


def _where(s, t) -> bytes | None:
    try:
        return jet.JetGetBookmark(s, t)
    except jet.JetError as exc:
        assert exc.err == jet.JET_errNoCurrentRecord
        return None


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.sampled_from([None, "byname"]), start=st.integers(-1, 62),
       limit=st.one_of(st.none(), st.integers(-1, 62)), backward=st.booleans(),
       n=st.integers(1, 25), bookmarks=st.booleans(), stay=st.booleans(),
       which=st.lists(st.sampled_from(["id", "name", "blob", "tags", "dflt"]), min_size=1,
                      max_size=5))
def test_pages_equal_the_jet_loop(env, index, start, limit, backward, n, bookmarks, stay,
                                  which) -> None:
    s, t, u, cols = env
    if index:  # names take 20 values
        start, limit = start % 21, None if limit is None else limit % 21
    cids = [cols[w] for w in which]
    multi = {cols["tags"]}
    grbit = ((jet.Pyese_bitRowsBackward if backward else 0)
             | (jet.Pyese_bitRowsBookmark if bookmarks else 0)
             | (jet.Pyese_bitRowsStay if stay else 0))
    ok_t = _position(s, t, index, start, limit, backward)
    ok_u = _position(s, u, index, start, limit, backward)
    assert ok_t == ok_u
    if not ok_t:
        with expect(jet.JET_errNoCurrentRecord):
            jet.PyeseRetrieveRows(s, t, cids, n, grbit)
        return
    for _ in range(40):  # page after page, to the end of the range
        want = _loop_rows(s, u, cids, multi, n, backward, bookmarks, stay)
        got = jet.PyeseRetrieveRows(s, t, cids, n, grbit)
        assert got == want
        assert _where(s, t) == _where(s, u)
        if stay or _where(s, t) is None:
            break
    if not stay and _where(s, t) is None:
        with expect(jet.JET_errNoCurrentRecord):
            jet.PyeseRetrieveRows(s, t, cids, n, grbit)


def test_values_multi_default_and_long(env) -> None:
    s, t, _u, cols = env
    jet.JetSetCurrentIndex(s, t, None)
    jet.JetMove(s, t, jet.JET_MoveFirst)
    rows = jet.PyeseRetrieveRows(s, t, [cols["id"], cols["blob"], cols["tags"], cols["dflt"]],
                                 3)
    assert rows == [
        (_I.pack(0), BIG + b"\x00", [], _I.pack(0)),
        (_I.pack(1), b"small1", [_I.pack(10)], _I.pack(7)),  # the default
        (_I.pack(2), None, [_I.pack(20), _I.pack(21)], _I.pack(7)),
    ]
    assert jet.JetRetrieveColumn(s, t, cols["id"]) == _I.pack(3)  # the next entry


def test_errors(env) -> None:
    s, t, _u, cols = env
    jet.JetSetCurrentIndex(s, t, None)
    with expect(jet.JET_errInvalidGrbit):
        jet.PyeseRetrieveRows(s, t, [cols["id"]], 1, 0x100)
    with expect(jet.JET_errInvalidParameter):
        jet.PyeseRetrieveRows(s, t, [cols["id"]], 0)
    with expect(jet.JET_errInvalidParameter):
        jet.PyeseRetrieveRows(s, t, cols["id"], 1)
    with expect(jet.JET_errInvalidParameter):
        jet.PyeseRetrieveRows(s, t, ["id"], 1)
    with expect(jet.JET_errColumnNotFound):
        jet.PyeseRetrieveRows(s, t, [0x7777], 1)
    with expect(jet.JET_errInvalidTableId):
        jet.PyeseRetrieveRows(s, 0x7FFFFFF, [cols["id"]], 1)
    jet.JetMove(s, t, jet.JET_MoveLast)
    assert jet.PyeseRetrieveRows(s, t, [cols["id"]], 5) == [(_I.pack(59),)]
    with expect(jet.JET_errNoCurrentRecord):  # parked after the last entry
        jet.PyeseRetrieveRows(s, t, [cols["id"]], 5)


def test_own_changes_in_a_transaction_and_deleted_current_record(env) -> None:
    s, t, _u, cols = env
    jet.JetSetCurrentIndex(s, t, None)
    jet.JetBeginTransaction(s)
    try:
        jet.JetMakeKey(s, t, _I.pack(10), jet.JET_bitNewKey)
        jet.JetSeek(s, t, jet.JET_bitSeekEQ)
        jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
        jet.JetSetColumn(s, t, cols["dflt"], _I.pack(-1))
        jet.JetUpdate(s, t)
        jet.JetMakeKey(s, t, _I.pack(11), jet.JET_bitNewKey)
        jet.JetSeek(s, t, jet.JET_bitSeekEQ)
        jet.JetDelete(s, t)
        with expect(jet.JET_errRecordDeleted):
            jet.PyeseRetrieveRows(s, t, [cols["id"]], 2)
        jet.JetMakeKey(s, t, _I.pack(10), jet.JET_bitNewKey)
        jet.JetSeek(s, t, jet.JET_bitSeekEQ)
        jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
        rows = jet.PyeseRetrieveRows(s, t, [cols["id"], cols["dflt"]], 2)
        assert rows == [(_I.pack(10), _I.pack(-1)), (_I.pack(12), _I.pack(12))]
        with expect(jet.JET_errUpdateNotPrepared):  # the move cancelled it
            jet.JetUpdate(s, t)
    finally:
        jet.JetRollback(s, 0)


def test_a_genuine_file_read_only(tmp_path: Path) -> None:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    edb = gunzip_samples(tmp_path) / "multi.edb"
    inst = jet.JetCreateInstance("batch-genuine")
    jet.JetInit(inst)
    try:
        s = jet.JetBeginSession(inst)
        jet.JetAttachDatabase(s, str(edb), jet.JET_bitDbReadOnly)
        db = jet.JetOpenDatabase(s, str(edb))
        t = jet.JetOpenTable(s, db, "multi")
        u = jet.JetOpenTable(s, db, "multi")
        infos = jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoListSortColumnid)
        cids = [int(c.columnid) for c in infos]
        multi = {int(c.columnid) for c in infos if c.grbit & jet.JET_bitColumnMultiValued}
        jet.JetMove(s, t, jet.JET_MoveFirst)
        jet.JetMove(s, u, jet.JET_MoveFirst)
        got = jet.PyeseRetrieveRows(s, t, cids, 1000, jet.Pyese_bitRowsBookmark)
        want = _loop_rows(s, u, cids, multi, 1000, False, True, False)
        assert got == want and got
        assert any(isinstance(v, list) and len(v) > 1 for row in got for v in row)
    finally:
        jet.JetTerm2(inst, 0)


def test_a_user_defined_default_comes_from_its_callback(parker) -> None:
    # as JetRetrieveColumn (fldext.cxx ErrIsamRetrieveColumn, wrnRECUserDefinedDefault): the
    # callback runs with the cursor on the row, so it reads that row's column "a"
    from tests.jet import test_user_defined_default as U

    U.CALLS.clear()
    U.MODE["kind"] = "double"
    i = U._instance(parker, name="udd-batch")
    s = jet.JetBeginSession(i)
    db = jet.JetCreateDatabase(s, "udd.edb")
    t, a, u = U._table(s, db)
    for v in (1, 2, 3):
        U._insert(s, t, a, v, u, b"stored" if v == 2 else None)
    jet.JetMove(s, t, jet.JET_MoveFirst)
    assert jet.PyeseRetrieveRows(s, t, [a, u], 10) == [
        (_I.pack(1), _I.pack(2)), (_I.pack(2), b"stored"), (_I.pack(3), _I.pack(6))]
    assert len(U.CALLS) == 2
    jet.JetEndSession(s, 0)
    jet.JetTerm(i)
