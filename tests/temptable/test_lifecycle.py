"""The temporary database (created on first need under JET_paramTempPath, never logged,
deleted at JetTerm) and the life of temporary tables (with their cursor and session)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

import pyese.jet as jet
from pyese.engine.instance.gate import session_call
from pyese.engine.temp import temp_store_of

from .conftest import insert, open_kp, scan


def _store(ses):
    with session_call(ses) as s:
        return temp_store_of(s.instance)


def _instance(name, temp_path, **params):
    i = jet.JetCreateInstance(name)
    jet.JetSetSystemParameter(i, jet.JET_sesidNil, jet.JET_paramTempPath, 0, temp_path)
    for pid, value in params.items():
        if isinstance(value, str):
            jet.JetSetSystemParameter(i, jet.JET_sesidNil, getattr(jet, pid), 0, value)
        else:
            jet.JetSetSystemParameter(i, jet.JET_sesidNil, getattr(jet, pid), value)
    jet.JetInit(i)
    return i


def test_created_on_first_need_in_the_temp_path_and_deleted_at_term(tmp_path):
    # ESE pib.cxx ErrPIBOpenTempDatabase creates it for the first temporary table
    # (INST::ErrINSTCreateTempDatabase); sysinit.cxx deletes it at termination.
    where = tmp_path / "temp"
    inst = _instance("a", str(where) + os.sep)
    s = jet.JetBeginSession(inst)
    assert not (where / "tmp.edb").exists()
    t, ids = open_kp(s, jet.JET_bitTTForceMaterialization)
    insert(s, t, ids, 1)
    assert (where / "tmp.edb").exists()
    jet.JetEndSession(s)
    jet.JetTerm(inst)
    assert not (where / "tmp.edb").exists()


def test_a_temp_path_naming_a_file(tmp_path):
    inst = _instance("b", str(tmp_path / "mytemp.db"))
    s = jet.JetBeginSession(inst)
    open_kp(s, 0)
    assert (tmp_path / "mytemp.db").exists()
    jet.JetTerm(inst)
    assert not (tmp_path / "mytemp.db").exists()


def test_never_logged(tmp_path):
    # sysinit.cxx ErrINSTCreateTempDatabase_: JET_bitDbRecoveryOff -- the log does not grow
    inst = _instance("c", str(tmp_path / "t.edb"))
    s = jet.JetBeginSession(inst)
    logs = {p: p.stat().st_size for p in tmp_path.glob("edb*.log")}
    jet.JetBeginTransaction(s)
    t, ids = open_kp(s, jet.JET_bitTTForceMaterialization)
    for k in range(200):
        insert(s, t, ids, k, b"x" * 100)
    jet.JetCommitTransaction(s)
    assert {p: p.stat().st_size for p in tmp_path.glob("edb*.log")} == logs


def test_a_temp_table_dies_with_its_last_cursor(ses):
    store = _store(ses)
    t, ids = open_kp(ses, jet.JET_bitTTForceMaterialization | jet.JET_bitTTIndexed)
    for k in range(100):
        insert(ses, t, ids, k)
    d = jet.JetDupCursor(ses, t)
    (tt,) = store.tables
    objid = tt.objid
    jet.JetCloseTable(ses, t)
    assert store.tables == {tt}  # the duplicate keeps it
    jet.JetCloseTable(ses, d)
    assert store.tables == set()
    assert store.file is not None
    with store.file.locked():
        assert store.file.raw_cursor(objid).first() is None  # its space is freed


def test_a_temp_table_dies_with_its_session(inst):
    s = jet.JetBeginSession(inst)
    store = _store(s)
    open_kp(s, 0)
    open_kp(s, jet.JET_bitTTForceMaterialization)
    assert len(store.tables) == 2 and store.scb_count == 1
    jet.JetEndSession(s)
    assert store.tables == set() and store.scb_count == 0


def test_temp_tables_are_in_no_catalog(ses, tmp_path):
    dbid = jet.JetCreateDatabase(ses, str(tmp_path / "user.edb"))
    jet.JetCloseTable(ses, jet.JetCreateTable(ses, dbid, "Real"))
    open_kp(ses, jet.JET_bitTTForceMaterialization)
    rows = jet.JetGetObjectInfo(ses, dbid, jet.JET_objtypTable, None, None,
                                jet.JET_ObjInfoList)
    assert [r.objectname for r in rows] == ["Real"]
    with pytest.raises(jet.ObjectNotFoundError):
        jet.JetOpenTable(ses, dbid, "TEMP")


def test_a_second_live_instance_on_the_same_temp_path(tmp_path):
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
    one = _instance("one", str(tmp_path / "shared.edb"),
                    JET_paramSystemPath=str(tmp_path / "one") + os.sep,
                    JET_paramLogFilePath=str(tmp_path / "one") + os.sep)
    two = _instance("two", str(tmp_path / "shared.edb"),
                    JET_paramSystemPath=str(tmp_path / "two") + os.sep,
                    JET_paramLogFilePath=str(tmp_path / "two") + os.sep)
    s1, s2 = jet.JetBeginSession(one), jet.JetBeginSession(two)
    open_kp(s1, 0)
    with pytest.raises(jet.TempPathInUseError):
        open_kp(s2, 0)


def test_records_spilled_to_the_temp_database_when_a_sort_outgrows_memory(ses):
    from pyese.engine.instance.gate import session_call as call
    from pyese.engine.temp import open_temp_table
    from pyese.engine.temp.schema import ColumnRequest

    cols = [ColumnRequest(jet.JET_coltypLong, grbit=jet.JET_bitColumnTTKey),
            ColumnRequest(jet.JET_coltypBinary, cbMax=255)]
    with call(ses) as s:
        cur, ids = open_temp_table(s, cols, 0, memory_most=4096)
    keys = [(k * 7919) % 500 for k in range(500)]
    for k in keys:
        insert(ses, jet.JET_TABLEID(cur.tableid), ids, k, b"r" * 40)
    assert cur.tt.sort.spilled
    got = scan(ses, jet.JET_TABLEID(cur.tableid), ids)
    assert [k for k, _ in got] == sorted(set(keys))


_CHILD = textwrap.dedent("""
    import os, struct, sys, time
    import pyese.jet as jet
    os.chdir(sys.argv[1])
    inst = jet.JetCreateInstance("child")
    jet.JetSetSystemParameter(inst, jet.JET_sesidNil, jet.JET_paramTempPath, 0, "tmp" + os.sep)
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    cols = [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnTTKey),
            jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary, cbMax=255)]
    t, ids = jet.JetOpenTempTable(s, cols, jet.JET_bitTTForceMaterialization)
    for k in range(3000):
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, ids[0], struct.pack("<i", k))
        jet.JetSetColumn(s, t, ids[1], b"y" * 200)
        jet.JetUpdate(s, t)
    print("ready", flush=True)
    time.sleep(60)
""")


def test_a_process_killed_mid_sort_blocks_nothing(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(tmp_path)],
                             stdout=subprocess.PIPE, env=env)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    leftover = tmp_path / "tmp" / "tmp.edb"
    assert leftover.exists() and leftover.stat().st_size > 0
    os.chdir(tmp_path)
    inst = _instance("next", "tmp" + os.sep)  # recovery runs over the child's log
    s = jet.JetBeginSession(inst)
    t, ids = open_kp(s, jet.JET_bitTTForceMaterialization)
    insert(s, t, ids, 1)
    assert scan(s, t, ids) == [(1, b"p")]  # a fresh temporary database
    jet.JetTerm(inst)
    assert not leftover.exists()
