"""PyeseRetrieveValues (pyese extension, pyese.jet.batch): PyeseRetrieveRows, typed.

Its rows must be exactly PyeseRetrieveRows' rows with every value put through the
typing's ``convert`` (lists for multi-valued columns, the bookmark last), and it must
leave the cursor where PyeseRetrieveRows leaves it: checked page after page on a second
cursor positioned the same way, on pyese's own tables (primary and secondary index,
ranges, both directions, separated long values, defaults), on a temporary table, and
through a cursor filter (the general path). Its argument checks give ESE's errors, in
PyeseRetrieveRows' order, the typing checked last before the session.
"""

from __future__ import annotations

import types
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyese.jet as jet
from pyese._codec import LAYER_VALUES
from pyese.typedvalues import PYTHON_VALUES

from .helpers import expect
from .test_batch_rows import _I, _position, _where, env

__all__ = ["env"]  # the fixture, shared with test_batch_rows

TYPINGS = {"python": PYTHON_VALUES, "layer": LAYER_VALUES}


def _columns(s: Any, t: Any) -> dict[int, Any]:
    """columnid -> an object with the column's coltyp, cp and grbit (what a typing's
    ``convert`` reads)."""
    return {int(c.columnid): types.SimpleNamespace(coltyp=int(c.coltyp), cp=int(c.Cp),
                                                   grbit=int(c.grbit))
            for c in jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoListSortColumnid)}


def _converted(rows: list[tuple], cids: list[int], cols: dict[int, Any], typing: Any,
               bookmarks: bool) -> list[list]:
    """PyeseRetrieveRows' rows with each value converted by ``typing``, as lists, the
    bookmark (first in PyeseRetrieveRows' rows) last."""
    convs = [typing.convert(cols[c]) for c in cids]
    out = []
    for row in rows:
        vals = []
        for conv, v in zip(convs, row[1:] if bookmarks else row, strict=True):
            if v is None:
                vals.append(None)
            elif isinstance(v, list):
                vals.append([conv(x) for x in v])
            else:
                vals.append(conv(v))
        out.append(vals + [row[0]] if bookmarks else vals)
    return out


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.sampled_from([None, "byname"]), start=st.integers(-1, 62),
       limit=st.one_of(st.none(), st.integers(-1, 62)), backward=st.booleans(),
       n=st.integers(1, 25), bookmarks=st.booleans(), stay=st.booleans(),
       which=st.lists(st.sampled_from(["id", "name", "blob", "tags", "dflt"]), min_size=1,
                      max_size=5), typing=st.sampled_from(sorted(TYPINGS)))
def test_values_are_the_rows_converted(env, index, start, limit, backward, n, bookmarks,
                                       stay, which, typing) -> None:
    s, t, u, cols = env
    if index:  # names take 20 values
        start, limit = start % 21, None if limit is None else limit % 21
    cids = [cols[w] for w in which]
    info = _columns(s, t)
    grbit = ((jet.Pyese_bitRowsBackward if backward else 0)
             | (jet.Pyese_bitRowsBookmark if bookmarks else 0)
             | (jet.Pyese_bitRowsStay if stay else 0))
    ok_t = _position(s, t, index, start, limit, backward)
    ok_u = _position(s, u, index, start, limit, backward)
    assert ok_t == ok_u
    if not ok_t:
        with expect(jet.JET_errNoCurrentRecord):
            jet.PyeseRetrieveValues(s, t, cids, n, TYPINGS[typing], grbit)
        return
    for _ in range(40):  # page after page, to the end of the range
        want = jet.PyeseRetrieveRows(s, u, cids, n, grbit)
        got = jet.PyeseRetrieveValues(s, t, cids, n, TYPINGS[typing], grbit)
        assert got == _converted(want, cids, info, TYPINGS[typing], bookmarks)
        assert _where(s, t) == _where(s, u)
        if stay or _where(s, t) is None:
            break
    if not stay and _where(s, t) is None:
        with expect(jet.JET_errNoCurrentRecord):
            jet.PyeseRetrieveValues(s, t, cids, n, PYTHON_VALUES, grbit)


def test_typed_values_of_a_page(env) -> None:
    s, t, _u, cols = env
    jet.JetSetCurrentIndex(s, t, None)
    jet.JetMove(s, t, jet.JET_MoveFirst)
    got = jet.PyeseRetrieveValues(
        s, t, [cols["id"], cols["name"], cols["blob"], cols["tags"], cols["dflt"]], 3,
        LAYER_VALUES)
    assert got == [
        [0, "n00", b"\xab" * 9000 + b"\x00", [], 0],
        [1, "n07", b"small1", [10], 7],  # dflt: the column's default
        [2, "n14", None, [20, 21], 7],
    ]
    assert jet.JetRetrieveColumn(s, t, cols["id"]) == _I.pack(3)  # the next entry


def test_a_cursor_filter_takes_the_general_path(env) -> None:
    s, t, u, cols = env
    cids = [cols["id"], cols["tags"], cols["blob"]]
    info = _columns(s, t)
    for c in (t, u):
        jet.JetSetCurrentIndex(s, c, None)
        jet.JetMove(s, c, jet.JET_MoveFirst)
        jet.JetSetCursorFilter(s, c, [jet.JET_INDEX_COLUMN(
            columnid=cols["id"], relop=jet.JET_relopBitmaskEqualsZero, pv=_I.pack(1))], 0)
    ids = []
    while _where(s, t) is not None:
        want = jet.PyeseRetrieveRows(s, u, cids, 7, jet.Pyese_bitRowsBookmark)
        got = jet.PyeseRetrieveValues(s, t, cids, 7, PYTHON_VALUES,
                                      jet.Pyese_bitRowsBookmark)
        assert got == _converted(want, cids, info, PYTHON_VALUES, True)
        assert _where(s, t) == _where(s, u)
        ids += [row[0] for row in got]
    assert ids == list(range(0, 60, 2))  # the filter applied


def test_a_temporary_table(env) -> None:
    s = env[0]
    t, (k, v) = jet.JetOpenTempTable(
        s, [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnTTKey),
            jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText, cp=1200)], 0)
    jet.PyeseInsertValues(s, t, [k, v], [[_I.pack(i), f"v{i}".encode("utf-16-le")]
                                         for i in (5, -3, 9, 0)])
    jet.JetMove(s, t, jet.JET_MoveFirst)
    assert jet.PyeseRetrieveValues(s, t, [k, v], 10, LAYER_VALUES) == [
        [-3, "v-3"], [0, "v0"], [5, "v5"], [9, "v9"]]
    jet.JetCloseTable(s, t)


class _NoFixedCode:
    def convert(self, col: Any) -> Any:
        return bytes


def test_errors(env) -> None:
    s, t, _u, cols = env
    jet.JetSetCurrentIndex(s, t, None)
    jet.JetMove(s, t, jet.JET_MoveFirst)
    cid = cols["id"]
    with expect(jet.JET_errInvalidGrbit):  # first, as PyeseRetrieveRows
        jet.PyeseRetrieveValues(s, t, [cid], 0, None, 0x100)
    with expect(jet.JET_errInvalidParameter):
        jet.PyeseRetrieveValues(s, t, cid, 1, PYTHON_VALUES)
    with expect(jet.JET_errInvalidParameter):
        jet.PyeseRetrieveValues(s, t, ["id"], 1, PYTHON_VALUES)
    with expect(jet.JET_errInvalidParameter):
        jet.PyeseRetrieveValues(s, t, [cid], 0, PYTHON_VALUES)
    with expect(jet.JET_errInvalidParameter):  # the typing, before the session
        jet.PyeseRetrieveValues(0x7FFFFFF, t, [cid], 1, None)
    with expect(jet.JET_errInvalidParameter):
        jet.PyeseRetrieveValues(s, t, [cid], 1, _NoFixedCode())
    with expect(jet.JET_errInvalidSesid):
        jet.PyeseRetrieveValues(0x7FFFFFF, t, [cid], 1, PYTHON_VALUES)
    with expect(jet.JET_errInvalidTableId):
        jet.PyeseRetrieveValues(s, 0x7FFFFFF, [cid], 1, PYTHON_VALUES)
    with expect(jet.JET_errColumnNotFound):
        jet.PyeseRetrieveValues(s, t, [0x7777], 1, PYTHON_VALUES)
    assert _where(s, t) is not None  # no check moved the cursor
    jet.JetMove(s, t, jet.JET_MoveLast)
    assert jet.PyeseRetrieveValues(s, t, [cid], 5, PYTHON_VALUES) == [[59]]
    with expect(jet.JET_errNoCurrentRecord):  # parked after the last entry
        jet.PyeseRetrieveValues(s, t, [cid], 5, PYTHON_VALUES)


def test_a_value_that_does_not_convert_raises_its_error(env) -> None:
    s, t, _u, cols = env

    class Failing:
        def convert(self, col: Any) -> Any:
            def fail(_b: bytes) -> Any:
                raise jet.JetError(jet.JET_errInvalidBufferSize, "no")
            return fail

        def fixed_code(self, col: Any) -> None:
            return None

    jet.JetSetCurrentIndex(s, t, None)
    jet.JetMove(s, t, jet.JET_MoveFirst)
    with expect(jet.JET_errInvalidBufferSize):
        jet.PyeseRetrieveValues(s, t, [cols["id"]], 3, Failing())
    assert jet.JetRetrieveColumn(s, t, cols["id"]) == _I.pack(0)


@pytest.mark.parametrize("typing", sorted(TYPINGS))
def test_own_changes_in_a_transaction(env, typing: str) -> None:
    s, t, u, cols = env
    cids = [cols["id"], cols["dflt"]]
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
            jet.PyeseRetrieveValues(s, t, cids, 2, TYPINGS[typing])
        jet.JetMakeKey(s, t, _I.pack(10), jet.JET_bitNewKey)
        jet.JetSeek(s, t, jet.JET_bitSeekEQ)
        assert jet.PyeseRetrieveValues(s, t, cids, 2, TYPINGS[typing]) == [[10, -1], [12, 12]]
    finally:
        jet.JetRollback(s, 0)
