"""Hints and idle work: JetSetTableSequential, JetResetTableSequential, JetPrereadKeys,
JetPrereadIndexRanges, JetIdle (every grbit)."""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet
from pyese.engine.cursors import hints as engine_hints
from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.instance.instance import SYSTEM

from .helpers import expect


@pytest.fixture
def s(inst):
    return jet.JetBeginSession(inst)


@pytest.fixture
def t(s):
    db = jet.JetCreateDatabase(s, "h.edb")
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    k = jet.JetAddColumn(s, t, "k", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    g = jet.JetAddColumn(s, t, "g", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    lv = jet.JetAddColumn(s, t, "blob", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+k\0\0")
    jet.JetCreateIndex(s, t, "byG", 0, "+g\0\0")
    for i in range(20):
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, k, struct.pack("<i", i), 0)
        jet.JetSetColumn(s, t, g, struct.pack("<i", i % 5), 0)
        jet.JetSetColumn(s, t, lv, bytes([i]) * 9000, 0)
        jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    t.cols = (k, g, lv)  # type: ignore[attr-defined]
    return t


def _engine_cursor(s, t):
    return cursor_for(SYSTEM.find_session(s), t)


def _key(s, t, value):
    jet.JetMakeKey(s, t, struct.pack("<i", value), jet.JET_bitNewKey)
    return jet.JetRetrieveKey(s, t, jet.JET_bitRetrieveCopy)


# -- JetSetTableSequential / JetResetTableSequential ----------------------------------


def test_sequential_flag_set_and_reset(s, t):
    cur = _engine_cursor(s, t)
    assert engine_hints.sequential(cur) == 0
    jet.JetSetTableSequential(s, t, 0)
    assert engine_hints.sequential(cur) == jet.JET_bitPrereadForward
    jet.JetSetTableSequential(s, t, jet.JET_bitPrereadBackward)
    assert engine_hints.sequential(cur) == jet.JET_bitPrereadBackward
    # a scan still sees every record: the hint changes nothing a call returns
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    n = 1
    while True:
        try:
            jet.JetMove(s, t, jet.JET_MoveNext, 0)
        except jet.JetError:
            break
        n += 1
    assert n == 20
    jet.JetResetTableSequential(s, t, 0)
    assert engine_hints.sequential(cur) == 0
    jet.JetResetTableSequential(s, t, 0)  # not set: fine


def test_sequential_errors(s, t):
    with expect(jet.JET_errInvalidTableId):
        jet.JetSetTableSequential(s, 987654, 0)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetSetTableSequential(
            s, t, jet.JET_bitPrereadForward | jet.JET_bitPrereadBackward)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetSetTableSequential(s, t, 0x100)
    with expect(jet.JET_errInvalidTableId):
        jet.JetResetTableSequential(s, 987654, 0)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetResetTableSequential(s, t, 1)


# -- JetPrereadKeys -------------------------------------------------------------------


def test_preread_keys_reads_every_key(s, t):
    keys = [_key(s, t, i) for i in (2, 5, 9)]
    before = jet.JetGetThreadStats().cPageReferenced
    assert jet.JetPrereadKeys(s, t, keys, jet.JET_bitPrereadForward) == 3
    assert jet.JetGetThreadStats().cPageReferenced >= before + 3
    assert jet.JetPrereadKeys(s, t, keys[::-1], jet.JET_bitPrereadBackward) == 3
    # a bookmark is a primary key too
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    assert jet.JetPrereadKeys(s, t, [jet.JetGetBookmark(s, t)],
                              jet.JET_bitPrereadForward) == 1


def test_preread_keys_errors(s, t):
    # Learn reference, JetPrereadKeys: InvalidGrbit, InvalidBufferSize, InvalidParameter.
    keys = [_key(s, t, i) for i in (1, 2)]
    with expect(jet.JET_errInvalidTableId):
        jet.JetPrereadKeys(s, 55555, keys, jet.JET_bitPrereadForward)
    for bad in (0, jet.JET_bitPrereadForward | jet.JET_bitPrereadBackward,
                jet.JET_bitPrereadFirstPage):
        with expect(jet.JET_errInvalidGrbit):
            jet.JetPrereadKeys(s, t, keys, bad)
    with expect(jet.JET_errInvalidParameter):
        jet.JetPrereadKeys(s, t, None, jet.JET_bitPrereadForward)
    with expect(jet.JET_errInvalidBufferSize):
        jet.JetPrereadKeys(s, t, [b""], jet.JET_bitPrereadForward)
    with expect(jet.JET_errInvalidBufferSize):
        jet.JetPrereadKeys(s, t, [b"\x7f" * 5000], jet.JET_bitPrereadForward)
    with expect(jet.JET_errInvalidParameter):  # not ascending for Forward
        jet.JetPrereadKeys(s, t, keys[::-1], jet.JET_bitPrereadForward)
    with expect(jet.JET_errInvalidParameter):  # not descending for Backward
        jet.JetPrereadKeys(s, t, keys, jet.JET_bitPrereadBackward)


# -- JetPrereadIndexRanges ------------------------------------------------------------


def _col(columnid, value):
    return jet.JET_INDEX_COLUMN(columnid=columnid, pv=struct.pack("<i", value))


def test_preread_index_ranges_on_primary_and_secondary(s, t):
    k, g, lv = t.cols
    rng = jet.JET_INDEX_RANGE(rgStartColumns=[_col(k, 3)], rgEndColumns=[_col(k, 8)])
    before = jet.JetGetThreadStats().cPageReferenced
    assert jet.JetPrereadIndexRanges(s, t, [rng], [lv], jet.JET_bitPrereadForward) == 1
    touched = jet.JetGetThreadStats().cPageReferenced - before
    assert touched >= 6  # records 3..8 at least
    jet.JetSetCurrentIndex(s, t, "byG")
    r1 = jet.JET_INDEX_RANGE(rgStartColumns=[_col(g, 1)], rgEndColumns=[_col(g, 1)])
    r2 = jet.JET_INDEX_RANGE(rgStartColumns=[_col(g, 3)], rgEndColumns=[])
    assert jet.JetPrereadIndexRanges(
        s, t, [r1, r2], None, jet.JET_bitPrereadForward | jet.JET_bitPrereadFirstPage) == 2
    assert jet.JetPrereadIndexRanges(s, t, [r2, r1], None, jet.JET_bitPrereadBackward) == 2


def test_preread_index_ranges_normalized_key(s, t):
    key = _key(s, t, 4)
    rng = jet.JET_INDEX_RANGE(rgStartColumns=[jet.JET_INDEX_COLUMN(pv=key)],
                              rgEndColumns=[jet.JET_INDEX_COLUMN(pv=key)])
    assert jet.JetPrereadIndexRanges(
        s, t, [rng], None, jet.JET_bitPrereadForward | jet.JET_bitPrereadNormalizedKey) == 1


def test_preread_index_ranges_errors(s, t):
    k, g, _lv = t.cols
    rng = jet.JET_INDEX_RANGE(rgStartColumns=[_col(k, 1)])
    with expect(jet.JET_errInvalidTableId):
        jet.JetPrereadIndexRanges(s, 4444, [rng])
    with expect(jet.JET_errInvalidGrbit):
        jet.JetPrereadIndexRanges(s, t, [rng], None, 0x40)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetPrereadIndexRanges(
            s, t, [rng], None, jet.JET_bitPrereadForward | jet.JET_bitPrereadBackward)
    with expect(jet.JET_errInvalidParameter):
        jet.JetPrereadIndexRanges(s, t, None)
    with expect(jet.JET_errInvalidParameter):  # not a long-value column
        jet.JetPrereadIndexRanges(s, t, [rng], [g])
    for bad in (jet.JET_INDEX_RANGE(rgStartColumns=[jet.JET_SIGNATURE()]),
                jet.JET_INDEX_RANGE(rgEndColumns=[b"\x01"]),
                jet.JET_INDEX_RANGE(rgStartColumns=None)):  # type: ignore[arg-type]
        with expect(jet.JET_errInvalidParameter):  # found by the bad-input fuzzer
            jet.JetPrereadIndexRanges(s, t, [bad])
    with expect(jet.JET_errInvalidBufferSize):  # JetMakeKey's check on a fixed column
        jet.JetPrereadIndexRanges(
            s, t, [jet.JET_INDEX_RANGE(rgStartColumns=[
                jet.JET_INDEX_COLUMN(columnid=k, pv=b"\x01\x02")])])


# -- JetIdle --------------------------------------------------------------------------


def test_idle_grbits_as_managed_esent_sees_them(s):
    # ME:JetIdleTests: default and Compact -> JET_wrnNoIdleActivity, GetStatus -> 0.
    assert jet.JetIdle(s, 0) == jet.JET_wrnNoIdleActivity
    assert jet.JetIdle(s, jet.JET_bitIdleCompact) == jet.JET_wrnNoIdleActivity
    assert jet.JetIdle(s, jet.JET_bitIdleCompactAsync) == jet.JET_wrnNoIdleActivity
    assert jet.JetIdle(s, jet.JET_bitIdleStatus) == 0
    assert jet.JetIdle(s, jet.JET_bitIdleAvailBuffersStatus) == 0
    assert jet.JetIdle(s, jet.JET_bitIdleWaitForAsyncActivity) == 0


def test_idle_compact_cleans_versions_a_reader_no_longer_needs(inst, s, t):
    from pyese.engine.instance.logservice import storage_of

    vs = storage_of(SYSTEM.find_session(s).instance).vs
    reader = jet.JetBeginSession(inst)
    jet.JetBeginTransaction(reader)  # holds the versions below
    k = t.cols[0]
    jet.JetBeginTransaction(s)
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    jet.JetSetColumn(s, t, t.cols[1], struct.pack("<i", 99), 0)
    jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    jet.JetIdle(s, jet.JET_bitIdleWaitForAsyncActivity)
    held = vs.nbytes
    assert held > 0
    jet.JetRollback(reader, 0)
    result = jet.JetIdle(s, jet.JET_bitIdleCompact)
    assert vs.nbytes <= held
    assert result in (0, jet.JET_wrnNoIdleActivity)
    assert jet.JetIdle(s, jet.JET_bitIdleCompact) == jet.JET_wrnNoIdleActivity
    del k


def test_idle_status_reports_a_half_full_version_store(inst, s, t):
    from pyese.engine.instance.logservice import storage_of

    vs = storage_of(SYSTEM.find_session(s).instance).vs
    old = vs.max_bytes
    try:
        jet.JetBeginTransaction(s)
        jet.JetMove(s, t, jet.JET_MoveFirst, 0)
        jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
        jet.JetSetColumn(s, t, t.cols[1], struct.pack("<i", 42), 0)
        jet.JetUpdate(s, t)
        vs.max_bytes = max(1, vs.nbytes)  # ESE: more than half of JET_paramMaxVerPages
        assert jet.JetIdle(s, jet.JET_bitIdleStatus) == jet.JET_wrnIdleFull
        jet.JetRollback(s, 0)
    finally:
        vs.max_bytes = old


def test_idle_errors(s):
    with expect(jet.JET_errInvalidGrbit):  # reserved (Learn reference)
        jet.JetIdle(s, jet.JET_bitIdleFlushBuffers)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetIdle(s, jet.JET_bitIdleVersionStoreTest)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetIdle(s, 0x1000)
    with expect(jet.JET_errInvalidSesid):
        jet.JetIdle(777777, 0)


def test_preread_lists_must_be_lists(s, t):
    # found by tests/torture/test_bad_input_fuzz.py: a struct where a list belongs is
    # JET_errInvalidParameter, not a TypeError (C takes an array and its count)
    with expect(jet.JET_errInvalidParameter):
        jet.JetPrereadKeys(s, t, 7, jet.JET_bitPrereadForward)
    with expect(jet.JET_errInvalidParameter):
        jet.JetPrereadIndexRanges(s, t, [], jet.JET_RECSIZE2(), jet.JET_bitPrereadForward)
    # a range side holding something else than JET_INDEX_COLUMN (found by the fuzzer too)
    with expect(jet.JET_errInvalidParameter):
        jet.JetPrereadIndexRanges(s, t, [jet.JET_INDEX_RANGE(
            rgStartColumns=[jet.JET_SIGNATURE()])], None, jet.JET_bitPrereadForward)
    with expect(jet.JET_errInvalidParameter):
        jet.JetPrereadIndexRanges(s, t, [jet.JET_INDEX_RANGE(
            rgEndColumns=[jet.JET_INDEX_COLUMN(columnid=1, pv=7)])])
