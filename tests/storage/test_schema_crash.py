"""The catalog survives a crash: a child process creates a schema (committed durably),
starts DDL it never commits, and is killed with SIGKILL; recovery in this process finds
the committed schema intact and no trace of the uncommitted DDL."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import textwrap

import pyese.jet as jet

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))), "src")

CHILD = textwrap.dedent("""
    import struct, sys
    sys.path.insert(0, sys.argv[1])
    import pyese.jet as jet
    inst = jet.JetCreateInstance("crash")
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "schema.edb")
    jet.JetBeginTransaction(s)
    tc = jet.JET_TABLECREATE(szTableName="People", rgcolumncreate=[
        jet.JET_COLUMNCREATE(szColumnName="id", coltyp=jet.JET_coltypLong,
                             grbit=jet.JET_bitColumnNotNULL),
        jet.JET_COLUMNCREATE(szColumnName="name", coltyp=jet.JET_coltypText, cp=1200),
        jet.JET_COLUMNCREATE(szColumnName="notes", coltyp=jet.JET_coltypLongText,
                             pvDefault=b"none")],
        rgindexcreate=[jet.JET_INDEXCREATE(szIndexName="pk", szKey="+id\\0\\0",
                                           grbit=jet.JET_bitIndexPrimary)])
    jet.JetCreateTableColumnIndex(s, db, tc)
    t = tc.tableid
    for i, n in ((2, "bob"), (1, "alice")):
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, tc.rgcolumncreate[0].columnid, struct.pack("<i", i))
        jet.JetSetColumn(s, t, tc.rgcolumncreate[1].columnid, n.encode("utf-16-le"))
        jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    jet.JetCreateIndex(s, t, "byname", 0, "-name\\0\\0")
    jet.JetAddColumn(s, t, "extra", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypGUID))
    jet.JetRenameColumn(s, t, "extra", "guid")
    jet.JetCloseTable(s, t)
    jet.JetCloseTable(s, jet.JetCreateTable(s, db, "Doomed"))
    jet.JetDeleteTable(s, db, "Doomed")
    jet.JetBeginTransaction(s)
    jet.JetCommitTransaction(s, 0)  # everything before is durable
    print("committed", flush=True)
    jet.JetBeginTransaction(s)
    t2 = jet.JetCreateTable(s, db, "Uncommitted")
    jet.JetAddColumn(s, t2, "x", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    t = jet.JetOpenTable(s, db, "People")
    jet.JetAddColumn(s, t, "late", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetDeleteIndex(s, t, "byname")
    print("inflight", flush=True)
    sys.stdin.read()
""")


def run_child(workdir):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, SRC], cwd=workdir,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line.strip())
            if line.strip() == "inflight":
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert lines == ["committed", "inflight"]
    assert proc.returncode == -signal.SIGKILL


def test_schema_survives_sigkill_and_uncommitted_ddl_is_gone(tmp_path):
    run_child(tmp_path)
    inst = jet.JetCreateInstance("crash")
    jet.JetInit(inst)  # recovery
    s = jet.JetBeginSession(inst)
    jet.JetAttachDatabase(s, "schema.edb")
    db = jet.JetOpenDatabase(s, "schema.edb")
    names = [r.objectname for r in jet.JetGetObjectInfo(
        s, db, jet.JET_objtypTable, None, None, jet.JET_ObjInfoList)]
    assert names == ["People"]
    cols = jet.JetGetColumnInfo(s, db, "People", None, jet.JET_ColInfoListSortColumnid)
    assert [(c.columnname, c.columnid, c.coltyp) for c in cols] == [
        ("id", 1, jet.JET_coltypLong), ("guid", 2, jet.JET_coltypGUID),
        ("name", 128, jet.JET_coltypText), ("notes", 256, jet.JET_coltypLongText)]
    assert cols[0].grbit & jet.JET_bitColumnNotNULL
    assert cols[2].Cp == 1200 and cols[3].Default == b"none"
    idx = jet.JetGetIndexInfo(s, db, "People", None, jet.JET_IdxInfoList)
    assert [(r.indexname, r.columnname, r.grbitColumn) for r in idx] == [
        ("byname", "name", jet.JET_bitKeyDescending), ("pk", "id", jet.JET_bitKeyAscending)]
    t = jet.JetOpenTable(s, db, "People")
    jet.JetSetCurrentIndex(s, t, "byname")
    jet.JetMove(s, t, jet.JET_MoveFirst)
    got = []
    while True:
        got.append((struct.unpack("<i", jet.JetRetrieveColumn(s, t, 1))[0],
                    jet.JetRetrieveColumn(s, t, 128).decode("utf-16-le")))
        try:
            jet.JetMove(s, t, jet.JET_MoveNext)
        except jet.JetError:
            break
    assert got == [(2, "bob"), (1, "alice")]
    # the schema is usable after recovery: new DDL and ids continue past the old ones
    assert int(jet.JetAddColumn(s, t, "more", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypLong))) == 3
    jet.JetCloseTable(s, t)
    jet.JetTerm(inst)
