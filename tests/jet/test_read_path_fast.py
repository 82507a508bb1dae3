"""The read path's shortcuts keep ESE's answers (docs/records.md, "Reading rows fast").

One level-0 read snapshot per JET call, kept for the session's next call while no apply
finished (tests/jet/test_level0_kept_snapshot.py); one tree step per JetMove; the current
record read once per position and read again whenever what it depends on changed: another
session's commit (at level 0), the session's own write or the rollback of a nested level
(inside a transaction).
"""

from __future__ import annotations

import struct
import threading
from pathlib import Path

import pytest

import pyese.jet as jet
from pyese.engine.instance.database import Database
from pyese.engine.instance.instance import SYSTEM
from pyese.storage.database.dbsnapshot import DbSnapshot

_I = struct.Struct("<i")


@pytest.fixture
def env(tmp_path: Path):
    inst = jet.JetCreateInstance("fast")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, str(tmp_path) + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, str(tmp_path) + "/")
    jet.JetInit(inst)
    a = jet.JetBeginSession(inst)
    path = str(tmp_path / "f.edb")
    db = jet.JetCreateDatabase(a, path)
    t = jet.JetCreateTable(a, db, "t")
    cid = jet.JetAddColumn(a, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    cv = jet.JetAddColumn(a, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetCreateIndex(a, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
    jet.JetCreateIndex(a, t, "byv", 0, "+v\0\0")
    jet.JetBeginTransaction(a)
    for i in range(10):
        jet.JetPrepareUpdate(a, t, jet.JET_prepInsert)
        jet.JetSetColumn(a, t, cid, _I.pack(i))
        jet.JetSetColumn(a, t, cv, _I.pack(100 + i))
        jet.JetUpdate(a, t)
    jet.JetCommitTransaction(a)
    jet.JetCloseTable(a, t)  # JetCreateTable's cursor is exclusive
    t = jet.JetOpenTable(a, db, "t")
    b = jet.JetBeginSession(inst)
    tb = jet.JetOpenTable(b, jet.JetOpenDatabase(b, path), "t")
    vs = SYSTEM.find_session(a).instance.services.parts["version_store"]
    yield a, t, b, tb, cid, cv, vs
    jet.JetTerm2(inst, 0)


def _seek(s, t, i: int) -> None:
    jet.JetMakeKey(s, t, _I.pack(i), jet.JET_bitNewKey)
    jet.JetSeek(s, t, jet.JET_bitSeekEQ)


def _set_v(s, t, cv, i: int, v: int) -> None:
    _seek(s, t, i)
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    jet.JetSetColumn(s, t, cv, _I.pack(v))
    jet.JetUpdate(s, t)


def test_one_snapshot_per_level0_call_kept_between_calls(env, monkeypatch) -> None:
    a, t, _b, _tb, _cid, cv, vs = env
    vs.catch_up()  # no apply left to come: nothing releases the kept snapshot
    jet.JetSetCurrentIndex(a, t, "byv")
    jet.JetMove(a, t, jet.JET_MoveFirst)
    # Count the file snapshots this thread opens and closes: the engine's background threads
    # (the applier, cleanup) may open their own at any moment.
    me = threading.get_ident()
    opened: list[int] = []
    closed: list[int] = []

    def counting(real, log):
        def call(*args, **kwargs):
            if threading.get_ident() == me:
                log.append(1)
            return real(*args, **kwargs)
        return call

    # At the file's seams: the version store may be compiled (docs/compiled.md: a native
    # class takes no patched methods), the engine's Database and DbSnapshot are Python
    # classes in both builds.
    monkeypatch.setattr(Database, "snapshot", counting(Database.snapshot, opened))
    monkeypatch.setattr(DbSnapshot, "close", counting(DbSnapshot.close, closed))
    for _ in range(5):
        jet.JetMove(a, t, jet.JET_MoveNext)  # the step and the record: one snapshot
        assert jet.JetRetrieveColumn(a, t, cv) is not None  # the record read by the move
        # the first call's snapshot, parked as it returned, serves every later call
        assert opened == closed == []
    assert list(vs._parked) == [(SYSTEM.find_session(a).id, 1)]


def test_a_move_is_one_step(env) -> None:
    # cPageReferenced counts the tree positionings made for the thread (JetGetThreadStats)
    a, t, _b, _tb, _cid, _cv, _vs = env
    jet.JetMove(a, t, jet.JET_MoveFirst)
    for grbit_index in (None, "byv"):
        jet.JetSetCurrentIndex(a, t, grbit_index)
        jet.JetMove(a, t, jet.JET_MoveFirst)
        before = jet.JetGetThreadStats().cPageReferenced
        jet.JetMove(a, t, jet.JET_MoveNext)
        jet.JetMove(a, t, jet.JET_MoveNext)
        assert jet.JetGetThreadStats().cPageReferenced - before == 2


@pytest.mark.parametrize("caught_up", [False, True])
def test_level0_reads_see_another_sessions_commit(env, caught_up: bool) -> None:
    a, t, b, tb, _cid, cv, vs = env
    if caught_up:
        vs.catch_up()
    _seek(a, t, 3)
    assert jet.JetRetrieveColumn(a, t, cv) == _I.pack(103)
    _set_v(b, tb, cv, 3, -3)  # b commits at level 0
    if caught_up:
        vs.catch_up()  # applied and dropped: nothing pending, only the generation tells
    assert jet.JetRetrieveColumn(a, t, cv) == _I.pack(-3)


def test_a_transaction_keeps_its_snapshot_and_sees_its_own_writes(env) -> None:
    a, t, b, tb, _cid, cv, _vs = env
    jet.JetBeginTransaction(a)
    _seek(a, t, 4)
    assert jet.JetRetrieveColumn(a, t, cv) == _I.pack(104)
    _set_v(b, tb, cv, 4, -4)
    assert jet.JetRetrieveColumn(a, t, cv) == _I.pack(104)  # not in its snapshot
    jet.JetRollback(a, 0)
    _seek(a, t, 5)
    jet.JetBeginTransaction(a)
    _set_v(a, t, cv, 5, 1)
    assert jet.JetRetrieveColumn(a, t, cv) == _I.pack(1)
    jet.JetBeginTransaction(a)
    jet.JetPrepareUpdate(a, t, jet.JET_prepReplace)  # no move: the cursor keeps its place
    jet.JetSetColumn(a, t, cv, _I.pack(2))
    jet.JetUpdate(a, t)
    assert jet.JetRetrieveColumn(a, t, cv) == _I.pack(2)
    jet.JetRollback(a, 0)  # the nested level only
    assert jet.JetRetrieveColumn(a, t, cv) == _I.pack(1)
    jet.JetRollback(a, 0)
    _seek(a, t, 5)
    assert jet.JetRetrieveColumn(a, t, cv) == _I.pack(105)


def test_a_deleted_current_record_is_noticed(env) -> None:
    a, t, b, tb, _cid, cv, _vs = env
    _seek(a, t, 6)
    assert jet.JetRetrieveColumn(a, t, cv) == _I.pack(106)
    _seek(b, tb, 6)
    jet.JetDelete(b, tb)
    with pytest.raises(jet.RecordDeletedError):
        jet.JetRetrieveColumn(a, t, cv)


def test_retrieve_columns_plans_the_column_ids_jet_add_column_returns(env) -> None:
    """``JetAddColumn`` returns ``JET_COLUMNID`` (an int subclass): a list of them is read
    from one decode of the record and kept as a plan, as a list of plain ints is, with the
    same values."""
    from pyese.engine.cursors.cursor import CURSORS

    a, t, _b, _tb, cid, cv, _vs = env
    assert type(cid) is jet.JET_COLUMNID
    _seek(a, t, 3)
    rcs = [jet.JET_RETRIEVECOLUMN(columnid=c, itagSequence=1) for c in (cv, cid)]
    jet.JetRetrieveColumns(a, t, rcs)
    assert [_I.unpack(rc.pvData)[0] for rc in rcs] == [103, 3]
    assert CURSORS[int(t)]._columns_plans  # planned, not read item by item
    jet.JetMove(a, t, jet.JET_MoveNext)
    jet.JetRetrieveColumns(a, t, rcs)  # from the kept plan
    assert [_I.unpack(rc.pvData)[0] for rc in rcs] == [104, 4]

