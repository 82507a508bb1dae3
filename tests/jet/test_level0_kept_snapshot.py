"""A level-0 read snapshot kept between a session's JET calls (docs/records.md, "Reading
rows fast"; ``engine.transactions.snapshots`` invariant 4).

Each level-0 call must see every commit acknowledged before it began. The snapshot a call
read through is parked as it returns, still registered, and the session's next call reads
through it again while no apply finished: the file then holds what a fresh snapshot would
show, and the committed versions it lacks are merged (they are not dropped while it is
registered). An apply releases every parked snapshot. The tree cursor keeps its place in
the kept snapshot, so a JetMove is one step; a commit landing between two moves must still
be seen by the second.
"""

from __future__ import annotations

import struct
import threading
from pathlib import Path

import pytest

import pyese.jet as jet
from pyese.engine.instance.instance import SYSTEM

_I = struct.Struct("<i")


@pytest.fixture
def env(tmp_path: Path):
    inst = jet.JetCreateInstance("kept")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, str(tmp_path) + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, str(tmp_path) + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramCircularLog, 1)
    jet.JetInit(inst)
    a = jet.JetBeginSession(inst)
    path = str(tmp_path / "k.edb")
    db = jet.JetCreateDatabase(a, path)
    t = jet.JetCreateTable(a, db, "t")
    cid = jet.JetAddColumn(a, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    cv = jet.JetAddColumn(a, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetCreateIndex(a, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
    jet.JetCreateIndex(a, t, "byv", 0, "+v\0\0")
    jet.JetBeginTransaction(a)
    for i in range(0, 40, 2):  # even ids; odd ones are free for inserts
        jet.JetPrepareUpdate(a, t, jet.JET_prepInsert)
        jet.JetSetColumn(a, t, cid, _I.pack(i))
        jet.JetSetColumn(a, t, cv, _I.pack(1000 + i))
        jet.JetUpdate(a, t)
    jet.JetCommitTransaction(a)
    jet.JetCloseTable(a, t)
    t = jet.JetOpenTable(a, db, "t")
    b = jet.JetBeginSession(inst)
    tb = jet.JetOpenTable(b, jet.JetOpenDatabase(b, path), "t")
    vs = SYSTEM.find_session(a).instance.services.parts["version_store"]
    yield inst, a, t, b, tb, cid, cv, vs, path
    jet.JetTerm2(inst, 0)


def _insert(s, t, cid, cv, i: int, v: int) -> None:
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, cid, _I.pack(i))
    jet.JetSetColumn(s, t, cv, _I.pack(v))
    jet.JetUpdate(s, t)


def _seek(s, t, i: int) -> None:
    jet.JetMakeKey(s, t, _I.pack(i), jet.JET_bitNewKey)
    jet.JetSeek(s, t, jet.JET_bitSeekEQ)


def _id(s, t, cid) -> int:
    return _I.unpack(jet.JetRetrieveColumn(s, t, cid))[0]


def test_the_kept_snapshot_is_parked_and_an_apply_releases_it(env) -> None:
    _inst, a, t, b, tb, cid, cv, vs, _path = env
    vs.catch_up()
    jet.JetMove(a, t, jet.JET_MoveFirst)
    key = (SYSTEM.find_session(a).id, 1)
    kept = vs._parked[key]
    jet.JetMove(a, t, jet.JET_MoveNext)
    assert vs._parked[key] is kept  # the same LMDB read transaction served the call
    _insert(b, tb, cid, cv, 1, 5)  # b commits at level 0
    vs.catch_up()  # applied: the parked snapshot lacks it and is released
    assert key not in vs._parked
    assert kept._closed
    jet.JetMove(a, t, jet.JET_MoveNext)
    assert vs._parked[key] is not kept


@pytest.mark.parametrize("caught_up", [False, True])
def test_a_commit_between_two_moves_is_seen_by_the_second(env, caught_up: bool) -> None:
    # caught_up False: the commit's versions are pending and merged into the kept
    # snapshot; True: applied, the kept snapshot released and the position re-derived.
    _inst, a, t, b, tb, cid, cv, vs, _path = env
    vs.catch_up()
    jet.JetMove(a, t, jet.JET_MoveFirst)  # id 0
    jet.JetMove(a, t, jet.JET_MoveNext)  # id 2: the tree cursor stays on it
    assert _id(a, t, cid) == 2
    _insert(b, tb, cid, cv, 3, 7)  # just after the current entry
    _seek(b, tb, 4)
    jet.JetDelete(b, tb)  # the entry after it
    if caught_up:
        vs.catch_up()
    jet.JetMove(a, t, jet.JET_MoveNext)
    assert _id(a, t, cid) == 3
    assert jet.JetRetrieveColumn(a, t, cv) == _I.pack(7)
    jet.JetMove(a, t, jet.JET_MoveNext)
    assert _id(a, t, cid) == 6  # 4 is gone
    jet.JetMove(a, t, jet.JET_MovePrevious)
    assert _id(a, t, cid) == 3


def test_a_secondary_index_scan_sees_a_value_moved_into_its_path(env) -> None:
    _inst, a, t, b, tb, cid, cv, vs, _path = env
    vs.catch_up()
    jet.JetSetCurrentIndex(a, t, "byv")
    jet.JetMove(a, t, jet.JET_MoveFirst)  # v 1000 (id 0)
    jet.JetMove(a, t, jet.JET_MoveNext)  # v 1002 (id 2)
    _seek(b, tb, 38)
    jet.JetPrepareUpdate(b, tb, jet.JET_prepReplace)
    jet.JetSetColumn(b, tb, cv, _I.pack(1003))  # id 38 moves right after the current entry
    jet.JetUpdate(b, tb)
    jet.JetMove(a, t, jet.JET_MoveNext)
    assert _id(a, t, cid) == 38
    vs.catch_up()
    jet.JetMove(a, t, jet.JET_MoveNext)
    assert _id(a, t, cid) == 4


def test_a_level0_scan_interleaved_with_commits_sees_each_calls_committed_state(env) -> None:
    """A writer thread commits generations: each commit sets every row's v to g (ids
    stay), and inserts / deletes odd id g % 40 | 1. The reader walks the primary index
    at level 0 with one JetMove per call and reads v: each call must see a generation
    committed before it returned and no older than the last one acknowledged before it
    began; the ids come in ascending order, every even id once per pass."""
    inst, a, t, _b, _tb, cid, cv, vs, path = env
    w = jet.JetBeginSession(inst)
    tw = jet.JetOpenTable(w, jet.JetOpenDatabase(w, path), "t")
    acked = [0]  # the newest generation whose commit returned
    begun = [0]  # the newest generation whose commit began
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            g = 0
            while not stop.is_set() and g < 400:
                g += 1
                jet.JetBeginTransaction(w)
                jet.JetMove(w, tw, jet.JET_MoveFirst)
                while True:
                    jet.JetPrepareUpdate(w, tw, jet.JET_prepReplace)
                    jet.JetSetColumn(w, tw, cv, _I.pack(g))
                    jet.JetUpdate(w, tw)
                    try:
                        jet.JetMove(w, tw, jet.JET_MoveNext)
                    except jet.NoCurrentRecordError:
                        break
                odd = (g * 2 + 1) % 40
                jet.JetMakeKey(w, tw, _I.pack(odd), jet.JET_bitNewKey)
                try:
                    jet.JetSeek(w, tw, jet.JET_bitSeekEQ)
                    jet.JetDelete(w, tw)
                except jet.RecordNotFoundError:
                    _insert(w, tw, cid, cv, odd, g)
                begun[0] = g
                jet.JetCommitTransaction(w, jet.JET_bitCommitLazyFlush)
                acked[0] = g
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    th = threading.Thread(target=writer)
    th.start()
    try:
        passes = 0
        while th.is_alive() and passes < 60:
            passes += 1
            lo = acked[0]
            jet.JetMove(a, t, jet.JET_MoveFirst)
            last = -1
            evens = []
            while True:
                lo = acked[0]
                i = _id(a, t, cid)
                v = _I.unpack(jet.JetRetrieveColumn(a, t, cv))[0]
                hi = begun[0]
                assert i > last, (i, last)
                last = i
                if i % 2 == 0:
                    evens.append(i)
                if v >= 1000:  # the initial value: no generation committed yet
                    assert lo == 0
                else:
                    assert lo <= v <= hi, (lo, v, hi)
                lo = acked[0]
                try:
                    jet.JetMove(a, t, jet.JET_MoveNext)
                except jet.NoCurrentRecordError:
                    break
            assert evens == list(range(0, 40, 2))
    finally:
        stop.set()
        th.join()
    assert not errors, errors



def test_a_parked_snapshot_never_holds_up_a_resize_or_a_detach(env) -> None:
    _inst, a, t, _b, _tb, _cid, _cv, vs, _path = env
    vs.catch_up()
    jet.JetMove(a, t, jet.JET_MoveFirst)
    assert len(vs._parked) == 1
    kept = next(iter(vs._parked.values()))
    file = kept._db
    file.resize_timeout = 0.05
    with file._write_lock:  # as an apply that found the map full
        file._grow(waiting=True)  # JET_errOutOfDatabaseSpace if it waited for it
    assert not vs._parked and kept._closed
    assert all(e[4] is not None for e in vs._snaps.values())  # none left registered
    jet.JetMove(a, t, jet.JET_MoveNext)  # a fresh snapshot, parked again
    assert len(vs._parked) == 1
    (key,) = vs._parked
    vs.release_parked(key[1] + 1)  # a detach of another database keeps it
    assert list(vs._parked) == [key]
    vs.release_parked(key[1])  # its own database's detach (forget_database) closes it
    assert not vs._parked
