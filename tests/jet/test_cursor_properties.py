"""Property tests: index order, SeekGE, index ranges and secondary indexes against a
Python model, through the JET API only."""

from __future__ import annotations

import itertools
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyese.jet as jet

_n = itertools.count()
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _table(inst: jet.JET_INSTANCE, desc: bool):
    s = jet.JetBeginSession(inst)
    name = f"p{next(_n)}.edb"  # tests run in their tmp_path (tests/conftest.py)
    db = jet.JetCreateDatabase(s, name)
    t = jet.JetCreateTable(s, db, "t")
    cid = jet.JetAddColumn(s, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    cv = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypShort))
    jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+id\0\0")
    jet.JetCreateIndex(s, t, "v", 0, ("-" if desc else "+") + "v\0\0")
    jet.JetSetCurrentIndex(s, t, "v")
    return s, t, cid, cv


def _ins(s, t, cid, cv, i: int, v: int | None) -> None:
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, cid, struct.pack("<i", i))
    if v is not None:
        jet.JetSetColumn(s, t, cv, struct.pack("<h", v))
    jet.JetUpdate(s, t)


def _rest(s, t, cid) -> list[int]:
    out = []
    while True:
        out.append(struct.unpack("<i", jet.JetRetrieveColumn(s, t, cid))[0])
        try:
            jet.JetMove(s, t, jet.JET_MoveNext)
        except jet.JetError as e:
            assert e.err == jet.JET_errNoCurrentRecord
            return out


def _model(rows: dict[int, int | None], desc: bool) -> list[int]:
    # NULL sorts first ascending (00 < 7F), last descending; equal keys by primary key
    def k(i: int):
        v = rows[i]
        base = (0, 0) if v is None else (1, v)
        return ((-base[0], -base[1]) if desc else base), i
    return [i for i in sorted(rows, key=k)]


values = st.lists(st.one_of(st.none(), st.integers(-30, 30)), min_size=0, max_size=12)


@SETTINGS
@given(vals=values, desc=st.booleans(), probe=st.integers(-32, 32))
def test_order_seek_ge_and_range(inst: jet.JET_INSTANCE, vals, desc, probe) -> None:
    s, t, cid, cv = _table(inst, desc)
    rows = dict(enumerate(vals))
    for i, v in rows.items():
        _ins(s, t, cid, cv, i, v)
    order = _model(rows, desc)
    if order:
        jet.JetMove(s, t, jet.JET_MoveFirst)
        assert _rest(s, t, cid) == order
    # SeekGE lands on the first entry not less than the probe (in index order)
    def before(i: int) -> bool:
        v = rows[i]
        if v is None:
            return not desc
        return v > probe if desc else v < probe
    expected = [i for i in order if not before(i)]
    jet.JetMakeKey(s, t, struct.pack("<h", probe), jet.JET_bitNewKey)
    try:
        w = jet.JetSeek(s, t, jet.JET_bitSeekGE)
    except jet.JetError as e:
        assert e.err == jet.JET_errRecordNotFound and not expected
    else:
        got = _rest(s, t, cid)
        assert got == expected
        assert (w == 0) == (rows[got[0]] == probe)
    # an inclusive upper range two steps further yields the filtered sorted list
    bound = probe - 2 if desc else probe + 2
    jet.JetMakeKey(s, t, struct.pack("<h", probe), jet.JET_bitNewKey)
    try:
        jet.JetSeek(s, t, jet.JET_bitSeekGE)
        jet.JetMakeKey(s, t, struct.pack("<h", bound), jet.JET_bitNewKey)
        jet.JetSetIndexRange(s, t, jet.JET_bitRangeUpperLimit | jet.JET_bitRangeInclusive)
        got = _rest(s, t, cid)
    except jet.JetError as e:
        assert e.err in (jet.JET_errRecordNotFound, jet.JET_errNoCurrentRecord)
        got = []
    assert got == [i for i in expected if rows[i] is not None
                   and (rows[i] >= bound if desc else rows[i] <= bound)]
    jet.JetEndSession(s, 0)


ops = st.lists(st.tuples(st.sampled_from(["ins", "rep", "del"]), st.integers(0, 9),
                         st.one_of(st.none(), st.integers(-5, 5))), max_size=25)


@SETTINGS
@given(seq=ops)
def test_secondary_index_tracks_table(inst: jet.JET_INSTANCE, seq) -> None:
    s, t, cid, cv = _table(inst, False)
    rows: dict[int, int | None] = {}
    for op, i, v in seq:
        jet.JetSetCurrentIndex(s, t, "pk")
        jet.JetMakeKey(s, t, struct.pack("<i", i), jet.JET_bitNewKey)
        found = True
        try:
            jet.JetSeek(s, t, jet.JET_bitSeekEQ)
        except jet.JetError:
            found = False
        assert found == (i in rows)
        if op == "ins" and not found:
            _ins(s, t, cid, cv, i, v)
            rows[i] = v
        elif op == "rep" and found:
            jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
            jet.JetSetColumn(s, t, cv, None if v is None else struct.pack("<h", v))
            jet.JetUpdate(s, t)
            rows[i] = v
        elif op == "del" and found:
            jet.JetDelete(s, t)
            del rows[i]
    jet.JetSetCurrentIndex(s, t, "v")
    got: list[int] = []
    try:
        jet.JetMove(s, t, jet.JET_MoveFirst)
        got = _rest(s, t, cid)
    except jet.JetError as e:
        assert e.err == jet.JET_errNoCurrentRecord
    assert got == _model(rows, False)
    jet.JetEndSession(s, 0)
