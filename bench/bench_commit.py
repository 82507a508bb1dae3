"""Durable single-row commits per second: pyese vs sqlite3 (WAL, synchronous=FULL).

Each thread has its own session (pyese) or connection (sqlite3) and commits one 100-byte row
per transaction, durably, for a fixed time: pyese through the JET API (JetPrepareUpdate,
JetSetColumn x2, JetUpdate into a table with a primary index), sqlite3 through an INSERT
into a table with a primary key. Not a test: run ``python bench/bench_commit.py``.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _results import emit, quick  # noqa: E402

from pyese import jet  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "0.5" if quick() else "2"))
VALUE = b"v" * 100


def run_threads(n: int, work) -> float:
    stop = threading.Event()
    counts = [0] * n
    barrier = threading.Barrier(n + 1)

    def body(i: int) -> None:
        step = work(i)
        barrier.wait()
        c = 0
        while not stop.is_set():
            step(c)
            c += 1
        counts[i] = c

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    stop.wait(SECONDS)
    stop.set()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - t0)


def bench_pyese(root: str, n: int) -> float:
    inst = jet.JetCreateInstance(f"bench{n}")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramMaxVerPages, 4096, None)
    jet.JetInit(inst)
    first = jet.JetBeginSession(inst)
    path = os.path.join(root, "bench.db")
    db0 = jet.JetCreateDatabase(first, path)
    t0 = jet.JetCreateTable(first, db0, "t")
    jet.JetAddColumn(first, t0, "k", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary))
    jet.JetAddColumn(first, t0, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary))
    jet.JetCreateIndex(first, t0, "primary", jet.JET_bitIndexPrimary, "+k\0\0")
    jet.JetCloseTable(first, t0)

    def work(i: int):
        sesid = jet.JetBeginSession(inst)
        dbid = jet.JetOpenDatabase(sesid, path)
        t = jet.JetOpenTable(sesid, dbid, "t")
        ck = jet.JetGetTableColumnInfo(sesid, t, "k").columnid
        cv = jet.JetGetTableColumnInfo(sesid, t, "v").columnid

        def step(c: int) -> None:
            # the same work as sqlite3's INSERT: a row through the JET API, durable commit
            jet.JetBeginTransaction(sesid)
            jet.JetPrepareUpdate(sesid, t, jet.JET_prepInsert)
            jet.JetSetColumn(sesid, t, ck, b"%02d%09d" % (i, c))
            jet.JetSetColumn(sesid, t, cv, VALUE)
            jet.JetUpdate(sesid, t)
            jet.JetCommitTransaction(sesid)

        return step

    try:
        return run_threads(n, work)
    finally:
        jet.JetTerm2(inst, 0)


def bench_sqlite(root: str, n: int) -> float:
    path = os.path.join(root, "bench.sqlite")
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (k BLOB PRIMARY KEY, v BLOB)")
    con.commit()
    con.close()

    def work(i: int):
        c = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=60)
        c.execute("PRAGMA synchronous=FULL")

        def step(k: int) -> None:
            c.execute("BEGIN IMMEDIATE")
            c.execute("INSERT INTO t VALUES (?, ?)", (b"%02d%09d" % (i, k), VALUE))
            c.execute("COMMIT")

        return step

    return run_threads(n, work)


def main() -> list[tuple[str, float, float]]:
    rows = []
    for n in (1, 8):
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as d1, \
                tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as d2:
            p = bench_pyese(d1, n)
            s = bench_sqlite(d2, n)
        rows.append((f"durable 1-row commit, {n} thread{'s' if n > 1 else ''}", p, s))
        emit(f"commit_{n}", p, sqlite3=s)
    print(f"{'benchmark':40} {'pyese/s':>10} {'sqlite3/s':>10} {'ratio':>7}")
    for name, p, s in rows:
        print(f"{name:40} {p:10.0f} {s:10.0f} {p / s:7.2f}")
    return rows


if __name__ == "__main__":
    main()
