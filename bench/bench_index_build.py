"""Index build speed: JetCreateIndex over N existing rows, against sqlite3 CREATE INDEX
on the same data.

Usage: ``python bench/bench_index_build.py [rows]`` (default 100000). Prints rows/s of
each build and the ratio. The rows (a Long key and a Long value in random order) are
loaded first, and only the index build is timed. The pyese build runs inside one
DDL transaction through the version store, so the instance gets JET_paramMaxVerPages
large enough to hold it.
"""

from __future__ import annotations

import os
import random
import sqlite3
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "src"))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _results import emit  # noqa: E402

import pyese.jet as jet  # noqa: E402


def data(n: int) -> list[tuple[int, int]]:
    rng = random.Random(1)
    values = list(range(n))
    rng.shuffle(values)
    return list(enumerate(values))


def pyese_build(rows: list[tuple[int, int]], workdir: str) -> float:
    os.chdir(workdir)
    inst = jet.JetCreateInstance("bench")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramCircularLog, 1)
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramMaxVerPages, 8192)
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "bench.edb")
    t = jet.JetCreateTable(s, db, "t")
    k = jet.JetAddColumn(s, t, "k", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    v = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+k\0\0")
    jet.JetBeginTransaction(s)
    for i, (key, val) in enumerate(rows):
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, k, struct.pack("<i", key))
        jet.JetSetColumn(s, t, v, struct.pack("<i", val))
        jet.JetUpdate(s, t)
        if i % 10_000 == 9_999:
            jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush)
            jet.JetBeginTransaction(s)
    jet.JetCommitTransaction(s, 0)
    start = time.perf_counter()
    jet.JetCreateIndex(s, t, "byv", 0, "+v\0\0")
    elapsed = time.perf_counter() - start
    jet.JetSetCurrentIndex(s, t, "byv")
    assert jet.JetIndexRecordCount(s, t, 0) == len(rows)
    jet.JetCloseTable(s, t)
    jet.JetEndSession(s)
    jet.JetTerm(inst)
    return elapsed


def sqlite_build(rows: list[tuple[int, int]], workdir: str) -> float:
    con = sqlite3.connect(os.path.join(workdir, "bench.sqlite"))
    con.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER)")
    con.executemany("INSERT INTO t VALUES (?, ?)", rows)
    con.commit()
    start = time.perf_counter()
    con.execute("CREATE INDEX byv ON t (v)")
    con.commit()
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rows = data(n)
    with tempfile.TemporaryDirectory() as d:
        p = pyese_build(rows, d)
        q = sqlite_build(rows, d)
    print(f"index build over {n} rows")
    print(f"pyese JetCreateIndex:  {n / p:12,.0f} rows/s  ({p:.3f} s)")
    print(f"sqlite3 CREATE INDEX:  {n / q:12,.0f} rows/s  ({q:.3f} s)")
    print(f"ratio sqlite3/pyese:   {p / q:12.1f}x")
    emit("index_build_rows", n / p, sqlite3=n / q)


if __name__ == "__main__":
    main()
