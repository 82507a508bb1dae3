"""JetDefragment, JetDefragment2, JetDefragment3: online defragmentation.

Checks and their order follow ESE ``dev/ese/src/ese/old.cxx``: ErrIsamDefragment (session,
dbid, ErrPIBCheckUpdatable, then the JET_bitDefragmentBTreeBatch / JET_bitDefragmentBTree
roads) and ErrOLDDefragment (JET_paramEnableOnlineDefrag, read-only attach, start / stop
state with JET_wrnDefragAlreadyRunning / JET_wrnDefragNotRunning, the callback with
JET_cbtypOnlineDefragCompleted from OLDDefragDb when the thread ends by itself).
"""

from __future__ import annotations

import random
import struct
import threading

import pytest

import pyese.jet as jet
from pyese.engine.instance import defrag as engine_defrag
from pyese.engine.instance.database import databases_of
from pyese.engine.instance.instance import SYSTEM

from .helpers import WAIT, expect

START = jet.JET_bitDefragmentBatchStart
STOP = jet.JET_bitDefragmentBatchStop


def _db(inst, name="df.edb"):
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, name)
    return s, db


def _fill(s, db, n=2500, keep=0.2, seed=7):
    """A table of n rows of 80-byte values; then every row but ~keep of them deleted."""
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    k = jet.JetAddColumn(s, t, "k", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong,
                                                       grbit=jet.JET_bitColumnFixed))
    v = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary))
    jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+k\0\0", 100)
    jet.JetCommitTransaction(s, 0)
    rnd = random.Random(seed)
    for base in range(0, n, 500):
        jet.JetBeginTransaction(s)
        for i in range(base, min(n, base + 500)):
            jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
            jet.JetSetColumn(s, t, k, struct.pack("<i", i), 0)
            jet.JetSetColumn(s, t, v, bytes([i % 251]) * 80, 0)
            jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s, 0)
    kept = sorted(rnd.sample(range(n), int(n * keep)))
    keep_set = set(kept)
    jet.JetBeginTransaction(s)
    jet.JetSetCurrentIndex(s, t, "pk")
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    while True:
        i = struct.unpack("<i", jet.JetRetrieveColumn(s, t, k, 0))[0]
        if i not in keep_set:
            jet.JetDelete(s, t)
        try:
            jet.JetMove(s, t, jet.JET_MoveNext, 0)
        except jet.JetError:
            break
    jet.JetCommitTransaction(s, 0)
    return t, k, v, kept


def _database(inst, name="df.edb"):
    instance = SYSTEM.find_instance(inst)
    return databases_of(instance).find_attached(name)


def test_start_stop_and_warnings(inst):
    s, db = _db(inst)
    r = jet.JetDefragment(s, db, None, None, None, START)
    assert tuple(r) == (None, None) and r.wrn == 0
    again = jet.JetDefragment(s, db, None, 5, 0, START)
    assert again.wrn == jet.JET_wrnDefragAlreadyRunning
    assert tuple(again) == (5, 0)  # a start leaves the in/out counters as they were
    passes, seconds = stopped = jet.JetDefragment(s, db, None, 123, 456, STOP)
    assert stopped.wrn == 0
    assert passes >= 0 and 0 <= seconds < 60
    not_running = jet.JetDefragment(s, db, None, 9, 9, STOP)
    # old.cxx ErrOLDDefragment: the counters are zeroed first, then the warning
    assert not_running.wrn == jet.JET_wrnDefragNotRunning
    assert tuple(not_running) == (0, 0)


def test_grbit_must_be_exactly_start_or_stop(inst):
    s, db = _db(inst)
    # old.cxx ErrOLDDefragment: "default: err = ErrERRCheck( JET_errInvalidGrbit )"
    for bad in (0, START | STOP, jet.JET_bitDefragmentAvailSpaceTreesOnly, 0x4000):
        with expect(jet.JET_errInvalidGrbit):
            jet.JetDefragment(s, db, None, None, None, bad)
    # the two option bits are taken off before the switch
    r = jet.JetDefragment(s, db, None, None, None,
                          START | jet.JET_bitDefragmentNoPartialMerges)
    assert r.wrn == 0
    status = engine_defrag.status_of(_database(inst))
    assert status.no_partial_merges
    jet.JetDefragment(s, db, None, None, None, STOP)


def test_disabled_by_parameter_is_a_silent_no_op(parker):
    i = jet.JetCreateInstance("nodefrag")
    jet.JetSetSystemParameter(i, 0, jet.JET_paramEnableOnlineDefrag,
                              jet.JET_OnlineDefragDisable, None)
    jet.JetInit(i)
    try:
        s, db = _db(i, "nd.edb")
        # old.cxx: "if ( 0 == fOLDLevel ) return JET_errSuccess", before the grbit check
        assert jet.JetDefragment(s, db, None, 3, 3, START).wrn == 0
        assert not engine_defrag.status_of(_database(i, "nd.edb")).running
        r = jet.JetDefragment(s, db, None, 3, 3, STOP)
        assert r.wrn == 0 and tuple(r) == (0, 0)
        assert jet.JetDefragment(s, db, None, None, None, 0).wrn == 0
    finally:
        jet.JetTerm(i)


def test_space_trees_level_without_databases(parker):
    i = jet.JetCreateInstance("spacetrees")
    jet.JetSetSystemParameter(i, 0, jet.JET_paramEnableOnlineDefrag,
                              jet.JET_OnlineDefragSpaceTrees, None)
    jet.JetInit(i)
    try:
        s, db = _db(i, "st.edb")
        # SpaceTrees without Databases: only the space trees are defragmented
        assert jet.JetDefragment(s, db, None, None, None, START).wrn == 0
        assert engine_defrag.status_of(_database(i, "st.edb")).avail_ext_only
        assert jet.JetDefragment(s, db, None, None, None, STOP).wrn == 0
    finally:
        jet.JetTerm(i)


def test_btree_and_btreebatch_argument_checks(inst):
    s, db = _db(inst)
    BT = jet.JET_bitDefragmentBTree
    BB = jet.JET_bitDefragmentBTreeBatch
    # old.cxx ErrIsamDefragment, JET_bitDefragmentBTreeBatch branch, in order
    with expect(jet.JET_errInvalidParameter):
        jet.JetDefragment(s, db, None, 1, None, BB | START)
    with expect(jet.JET_errInvalidParameter):
        jet.JetDefragment(s, db, None, None, 1, BB | START)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetDefragment(s, db, None, None, None, BB)
    with expect(jet.JET_errInvalidParameter):
        jet.JetDefragment2(s, db, None, None, None, lambda *a: 0, BB | START)
    with expect(jet.JET_errInvalidParameter):
        jet.JetDefragment(s, db, "T", None, None, BB | START)
    assert jet.JetDefragment(s, db, None, None, None, BB | START).wrn == 0
    # JET_bitDefragmentBTree branch: counters zeroed first, then the checks
    with expect(jet.JET_errInvalidGrbit):
        jet.JetDefragment(s, db, "T", None, None, BT | START)
    with expect(jet.JET_errInvalidParameter):
        jet.JetDefragment2(s, db, "T", None, None, lambda *a: 0, BT)
    with expect(jet.JET_errInvalidName):
        jet.JetDefragment(s, db, None, None, None, BT)
    with expect(jet.JET_errObjectNotFound):
        jet.JetDefragment(s, db, "NoSuchTable", None, None, BT)


def test_session_and_transaction_checks(inst):
    s, db = _db(inst)
    with expect(jet.JET_errInvalidDatabaseId):
        jet.JetDefragment(s, 77, None, None, None, START)
    with expect(jet.JET_errInvalidSesid):
        jet.JetDefragment(987654, db, None, None, None, START)
    # ErrPIBCheckUpdatable comes before the grbit is looked at
    jet.JetBeginTransaction2(s, jet.JET_bitTransactionReadOnly)
    with expect(jet.JET_errTransReadOnly):
        jet.JetDefragment(s, db, None, None, None, 0)
    jet.JetRollback(s, 0)
    with expect(jet.JET_errInvalidParameter):
        jet.JetDefragment(s, db, None, -1, None, START)
    with expect(jet.JET_errInvalidParameter):
        jet.JetDefragment2(s, db, None, None, None, "not callable", START)


def test_read_only_attach_is_refused(inst):
    s, db = _db(inst)
    jet.JetCloseDatabase(s, db, 0)
    jet.JetDetachDatabase(s, "df.edb")
    jet.JetAttachDatabase(s, "df.edb", jet.JET_bitDbReadOnly)
    db = jet.JetOpenDatabase(s, "df.edb", None, jet.JET_bitDbReadOnly)
    with expect(jet.JET_errDatabaseFileReadOnly):
        jet.JetDefragment(s, db, None, None, None, START)
    with expect(jet.JET_errDatabaseFileReadOnly):
        jet.JetDefragment(s, db, None, None, None, STOP)


def test_pass_limit_ends_the_thread_and_fires_the_callback(inst):
    s, db = _db(inst)
    done = threading.Event()
    seen = []

    def callback(sesid, dbid, tableid, cbtyp, arg1, arg2, context, unused):
        seen.append((int(dbid), int(tableid), cbtyp, arg1, arg2, context, unused))
        done.set()
        return 0

    r = jet.JetDefragment2(s, db, None, 2, None, callback, START)
    assert r.wrn == 0
    assert done.wait(WAIT)
    assert seen == [(int(db), jet.JET_tableidNil, jet.JET_cbtypOnlineDefragCompleted,
                     None, None, None, 0)]
    st = engine_defrag.status_of(_database(inst))
    for _ in range(200):
        if not st.running:
            break
        threading.Event().wait(0.01)
    # the thread reset the state after its two passes: a stop now finds nothing running
    assert jet.JetDefragment(s, db, None, None, None, STOP).wrn == jet.JET_wrnDefragNotRunning


def test_stop_does_not_fire_the_callback(inst):
    s, db = _db(inst)
    fired = []
    jet.JetDefragment2(s, db, None, 0, 0, lambda *a: fired.append(a), START)
    passes, _ = jet.JetDefragment(s, db, None, 0, 0, STOP)
    assert fired == []
    assert passes >= 0


def test_defragment3_by_name_with_context(inst):
    s, db = _db(inst)
    done = threading.Event()
    got = []

    def callback(sesid, dbid, tableid, cbtyp, arg1, arg2, context, unused):
        got.append(context)
        done.set()

    ctx = object()
    r = jet.JetDefragment3(s, "df.edb", None, 1, None, callback, ctx, START)
    assert r.wrn == 0
    assert done.wait(WAIT)
    assert got == [ctx]
    with expect(jet.JET_errDatabaseNotFound):
        jet.JetDefragment3(s, "other.edb", None, None, None, None, None, START)
    with expect(jet.JET_errInvalidParameter):
        jet.JetDefragment3(s, "", None, None, None, None, None, START)


def test_a_pass_packs_sparse_trees_and_frees_pages(inst):
    s, db = _db(inst)
    t, k, v, kept = _fill(s, db)
    database = _database(inst)
    jet.JetCloseTable(s, t)
    _drain(inst)
    pages_before = database.file.tree_pages()
    avail_before = jet.JetGetDatabaseInfo(s, db, jet.JET_DbInfoSpaceAvailable)
    done = threading.Event()
    jet.JetDefragment2(s, db, None, 1, None, lambda *a: done.set(), START)
    assert done.wait(WAIT * 3)
    pages_after = database.file.tree_pages()
    avail_after = jet.JetGetDatabaseInfo(s, db, jet.JET_DbInfoSpaceAvailable)
    assert pages_after < 0.75 * pages_before, (pages_before, pages_after)
    assert avail_after > avail_before
    # nothing changed but the packing
    t = jet.JetOpenTable(s, db, "T")
    jet.JetSetCurrentIndex(s, t, "pk")
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    seen = []
    while True:
        i = struct.unpack("<i", jet.JetRetrieveColumn(s, t, k, 0))[0]
        assert jet.JetRetrieveColumn(s, t, v, 0) == bytes([i % 251]) * 80
        seen.append(i)
        try:
            jet.JetMove(s, t, jet.JET_MoveNext, 0)
        except jet.JetError:
            break
    assert seen == kept
    assert database.file.check() == []


def test_btree_defragments_one_table(inst):
    s, db = _db(inst)
    t, k, v, kept = _fill(s, db, n=1500)
    jet.JetCloseTable(s, t)
    database = _database(inst)
    _drain(inst)
    before = database.file.tree_pages()
    r = jet.JetDefragment(s, db, "T", 7, 7, jet.JET_bitDefragmentBTree)
    assert tuple(r) == (0, 0)
    engine_defrag.wait_btree_tasks(database)
    assert database.file.tree_pages() < before
    assert jet.JetIndexRecordCount(s, jet.JetOpenTable(s, db, "T"), 0) \
        == len(kept)


def test_detach_stops_a_running_defragmentation(inst):
    # db.cxx ErrIsamDetachDatabase: "Terminate OLD / OLD2 here so that those sessions close
    # the database": OLDTermFmp( ifmp )
    s, db = _db(inst)
    jet.JetDefragment(s, db, None, None, None, START)
    st = engine_defrag.status_of(_database(inst))
    thread = st.thread
    assert thread is not None and thread.is_alive()
    jet.JetCloseDatabase(s, db, 0)
    jet.JetDetachDatabase(s, "df.edb")
    assert not thread.is_alive()


def test_term_stops_a_running_defragmentation(parker):
    i = jet.JetCreateInstance("termdefrag")
    jet.JetInit(i)
    s, db = _db(i, "td.edb")
    jet.JetDefragment(s, db, None, None, None, START)
    thread = engine_defrag.status_of(_database(i, "td.edb")).thread
    jet.JetEndSession(s, 0)
    jet.JetTerm(i)
    assert thread is not None and not thread.is_alive()


def _drain(inst) -> None:
    """Wait until the background applier has written every commit into the file."""
    storage = SYSTEM.find_instance(inst).services.parts["storage"]
    if storage.applier is not None:
        storage.applier.drain()


@pytest.fixture(autouse=True)
def _small_steps(monkeypatch):
    monkeypatch.setattr(engine_defrag, "PASS_INTERVAL", 0.01)


def test_writers_during_a_running_defragmentation(inst):
    s, db = _db(inst)
    t, k, v, kept = _fill(s, db, n=1500)
    jet.JetCloseTable(s, t)  # JetCreateTable's cursor holds the table exclusively
    t = jet.JetOpenTable(s, db, "T")
    database = _database(inst)
    jet.JetDefragment(s, db, None, None, None, START)  # no limit: runs until stopped
    w = jet.JetBeginSession(inst)
    wdb = jet.JetOpenDatabase(w, "df.edb")
    wt = jet.JetOpenTable(w, wdb, "T")
    added = list(range(10_000, 10_300))
    for i in added:  # commits land while passes repack the trees
        jet.JetBeginTransaction(w)
        jet.JetPrepareUpdate(w, wt, jet.JET_prepInsert)
        jet.JetSetColumn(w, wt, k, struct.pack("<i", i), 0)
        jet.JetSetColumn(w, wt, v, bytes([i % 251]) * 80, 0)
        jet.JetUpdate(w, wt)
        jet.JetCommitTransaction(w, 0)
    passes, _ = jet.JetDefragment(s, db, None, 0, 0, STOP)
    assert passes >= 0
    _drain(inst)
    jet.JetSetCurrentIndex(s, t, "pk")
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    seen = []
    while True:
        i = struct.unpack("<i", jet.JetRetrieveColumn(s, t, k, 0))[0]
        assert jet.JetRetrieveColumn(s, t, v, 0) == bytes([i % 251]) * 80
        seen.append(i)
        try:
            jet.JetMove(s, t, jet.JET_MoveNext, 0)
        except jet.JetError:
            break
    assert seen == kept + added
    assert database.file.check() == []
