"""Child process of the crash campaign (``crash_campaign``): recovers, reports, works until
killed.

    crash_child.py ROOT SEED FIRST

Prints ``recovering`` before JetInit and ``recovered MS`` after it (the parent may kill it
in between), writes ``ROOT/dump.json`` (``dump``: every row of both databases read by
each index, the markers) and prints ``ready``; then runs transactions FIRST, FIRST+1, ...
of ``crash_model.plan`` and prints ``durable N``, ``lazy N`` or ``rollback N`` once each
has returned. It never stops by itself.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import pyese.jet as jet  # noqa: E402
from tests.torture import crash_model as M  # noqa: E402

COLS = ("id", "txn", "tag", "val", "cnt")


def instance(root: str, name: str) -> jet.JET_INSTANCE:
    inst = jet.JetCreateInstance(name)
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFileSize, 128, None)
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramMaxVerPages, 1024)
    return inst


def create(root: str) -> None:
    """Create both databases with their schema (durable once this returns)."""
    inst = instance(root, "create")
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    col = jet.JET_COLUMNDEF
    for name in M.DBS:
        db = jet.JetCreateDatabase(s, os.path.join(root, name))
        t = jet.JetCreateTable(s, db, "T")
        jet.JetAddColumn(s, t, "id", col(coltyp=jet.JET_coltypLong))
        jet.JetAddColumn(s, t, "txn", col(coltyp=jet.JET_coltypLong))
        jet.JetAddColumn(s, t, "tag", col(coltyp=jet.JET_coltypText, cp=1252))
        jet.JetAddColumn(s, t, "val", col(coltyp=jet.JET_coltypLongBinary))
        jet.JetAddColumn(s, t, "cnt", col(coltyp=jet.JET_coltypLong,
                                          grbit=jet.JET_bitColumnEscrowUpdate),
                         struct.pack("<i", 0))
        jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
        jet.JetCreateIndex(s, t, "by_tag", jet.JET_bitIndexUnique, "+tag\0\0")
        jet.JetCreateIndex(s, t, "by_txn_desc", 0, "-txn\0+id\0\0")
        jet.JetCloseTable(s, t)
        m = jet.JetCreateTable(s, db, "M")
        jet.JetAddColumn(s, m, "n", col(coltyp=jet.JET_coltypLong))
        jet.JetCreateIndex(s, m, "primary", jet.JET_bitIndexPrimary, "+n\0\0")
        jet.JetCloseTable(s, m)
        jet.JetCloseDatabase(s, db)
    jet.JetEndSession(s)
    jet.JetTerm(inst)


class Db:
    """One database's tables and column ids, open in one session."""

    def __init__(self, s: jet.JET_SESID, path: str) -> None:
        self.s = s
        jet.JetAttachDatabase(s, path)
        self.dbid = jet.JetOpenDatabase(s, path)
        self.t = jet.JetOpenTable(s, self.dbid, "T")
        self.m = jet.JetOpenTable(s, self.dbid, "M")
        self.c = {n: jet.JetGetTableColumnInfo(s, self.t, n).columnid for n in COLS}
        self.cm = jet.JetGetTableColumnInfo(s, self.m, "n").columnid

    def rows(self, index: str) -> list[list]:
        s, t, c = self.s, self.t, self.c
        jet.JetSetCurrentIndex(s, t, index)
        out: list[list] = []
        try:
            jet.JetMove(s, t, jet.JET_MoveFirst)
        except jet.JetError as exc:
            if exc.err != jet.JET_errNoCurrentRecord:
                raise
            return out
        while True:
            def get(name: str) -> bytes | None:
                return jet.JetRetrieveColumn(s, t, c[name])
            val = get("val") or b""
            out.append([struct.unpack("<i", get("id"))[0], struct.unpack("<i", get("txn"))[0],
                        (get("tag") or b"").decode("ascii"), struct.unpack("<i", get("cnt"))[0],
                        len(val), M.digest(val)])
            try:
                jet.JetMove(s, t, jet.JET_MoveNext)
            except jet.JetError as exc:
                if exc.err != jet.JET_errNoCurrentRecord:
                    raise
                return out

    def markers(self) -> list[int]:
        out = []
        try:
            jet.JetMove(self.s, self.m, jet.JET_MoveFirst)
        except jet.JetError:
            return out
        while True:
            out.append(struct.unpack("<i", jet.JetRetrieveColumn(self.s, self.m, self.cm))[0])
            try:
                jet.JetMove(self.s, self.m, jet.JET_MoveNext)
            except jet.JetError:
                return out

    def seek(self, ident: int) -> None:
        jet.JetSetCurrentIndex(self.s, self.t, "primary")
        jet.JetMakeKey(self.s, self.t, struct.pack("<i", ident), jet.JET_bitNewKey)
        jet.JetSeek(self.s, self.t, jet.JET_bitSeekEQ)


def dump(dbs: list[Db]) -> list[dict]:
    """Each database read through each of its indexes, and its markers."""
    out = []
    for db in dbs:
        rows = db.rows("primary")
        out.append({"rows": rows,
                    "by_tag": [r[0] for r in db.rows("by_tag")],
                    "by_txn_desc": [r[0] for r in db.rows("by_txn_desc")],
                    "markers": db.markers()})
    return out


def state_of(d: list[dict]) -> M.State:
    return tuple({r[0]: M.Row(r[1], r[2], r[4], r[3]) for r in db["rows"]}  # type: ignore[return-value]
                 for db in d)


def run_step(dbs: list[Db], n: int, step: tuple) -> None:
    kind = step[0]
    s = dbs[0].s
    if kind == "begin":
        jet.JetBeginTransaction(s)
        return
    if kind == "commit":
        jet.JetCommitTransaction(s)
        return
    if kind == "rollback":
        jet.JetRollback(s)
        return
    db = dbs[step[1]]
    t, c = db.t, db.c
    if kind == "insert":
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, c["id"], struct.pack("<i", step[2]))
    else:
        db.seek(step[2])
        if kind == "delete":
            jet.JetDelete(s, t)
            return
        if kind == "escrow":
            jet.JetEscrowUpdate(s, t, c["cnt"], struct.pack("<i", step[3]))
            return
        jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    row: M.Row = step[3]
    jet.JetSetColumn(s, t, c["txn"], struct.pack("<i", row.txn))
    jet.JetSetColumn(s, t, c["tag"], row.tag.encode("ascii"))
    data = M.value(row.txn, step[2], row.size)
    jet.JetSetColumn(s, t, c["val"], data, jet.JET_bitSetZeroLength if not data else 0)
    jet.JetUpdate(s, t)


def main() -> None:
    root, seed, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print("recovering", flush=True)
    t0 = time.monotonic()
    inst = instance(root, "child")
    jet.JetInit(inst)
    print(f"recovered {int((time.monotonic() - t0) * 1000)}", flush=True)
    s = jet.JetBeginSession(inst)
    dbs = [Db(s, os.path.join(root, name)) for name in M.DBS]
    d = dump(dbs)
    with open(os.path.join(root, "dump.tmp"), "w") as f:
        json.dump(d, f)
    os.replace(os.path.join(root, "dump.tmp"), os.path.join(root, "dump.json"))
    print("ready", flush=True)
    state = state_of(d)
    n = first
    while True:
        steps, end = M.plan(seed, n, state)
        jet.JetBeginTransaction(s)
        for step in steps:
            run_step(dbs, n, step)
        for db in dbs:
            jet.JetPrepareUpdate(s, db.m, jet.JET_prepInsert)
            jet.JetSetColumn(s, db.m, db.cm, struct.pack("<i", n))
            jet.JetUpdate(s, db.m)
        if end == "rollback":
            jet.JetRollback(s)
        else:
            jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush if end == "lazy" else 0)
            state = M.apply(state, steps)
        print(f"{end} {n}", flush=True)
        n += 1


if __name__ == "__main__":
    main()
