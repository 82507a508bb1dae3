"""What the layer writes is an ordinary ESE database: read back through pyese.jet."""

from __future__ import annotations

import struct
from pathlib import Path

import pyese
import pyese.jet as jet


def test_layer_database_reads_back_through_jet(tmp_path: Path) -> None:
    with pyese.Instance(tmp_path) as inst:
        db = inst.open_database("app.edb")
        db.create_table("people", {"id": pyese.Column(pyese.Long, autoincrement=True),
                                   "name": pyese.Column(str),
                                   "tags": pyese.Column(str, multi_valued=True)},
                        {"pk": pyese.Index("+id", primary=True), "byname": "+name"})
        with inst.transaction() as tx:
            t = tx.table("people")
            for name in ("zoe", "amy"):
                t.insert({"name": name, "tags": [name.upper(), "t"]})
    raw = jet.JetCreateInstance("raw")
    for p in (jet.JET_paramSystemPath, jet.JET_paramLogFilePath):
        jet.JetSetSystemParameter(raw, None, p, 0, str(tmp_path) + "/")
    jet.JetInit(raw)
    try:
        s = jet.JetBeginSession(raw)
        jet.JetAttachDatabase(s, str(tmp_path / "app.edb"))
        dbid = jet.JetOpenDatabase(s, str(tmp_path / "app.edb"))
        t = jet.JetOpenTable(s, dbid, "people")
        cols = {c.columnname: c.columnid for c in
                jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoList)}
        jet.JetSetCurrentIndex(s, t, "byname")
        jet.JetMove(s, t, jet.JET_MoveFirst)
        seen = []
        while True:
            ident = struct.unpack("<i", jet.JetRetrieveColumn(s, t, cols["id"]))[0]
            name = jet.JetRetrieveColumn(s, t, cols["name"]).decode("utf-16-le")
            tag2 = jet.JetRetrieveColumn(s, t, cols["tags"],
                                         pretinfo=jet.JET_RETINFO(itagSequence=2))
            seen.append((ident, name, tag2.decode("utf-16-le")))
            try:
                jet.JetMove(s, t, jet.JET_MoveNext)
            except jet.NoCurrentRecordError:
                break
        assert seen == [(2, "amy", "t"), (1, "zoe", "t")]
        # and jet writes what the layer then reads
        jet.JetBeginTransaction(s)
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, cols["name"], "raw".encode("utf-16-le"))
        jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s)
        jet.JetEndSession(s)
    finally:
        jet.JetTerm(raw)
    with pyese.Instance(tmp_path) as inst:
        inst.open_database("app.edb")
        with inst.transaction() as tx:
            assert [r["name"] for r in tx.table("people").range(index="byname")] == [
                "amy", "raw", "zoe"]
