"""Durable single-row commits per second: pyese vs sqlite3 (WAL, synchronous=FULL).

Each thread has its own session (pyese) or connection (sqlite3) and commits one 100-byte row
per transaction, durably, for a fixed time: pyese through the JET API (JetPrepareUpdate,
JetSetColumn x2, JetUpdate into a table with a primary index), sqlite3 through an INSERT
into a table with a primary key. Not a test: run ``python bench/bench_commit.py``.

Besides commits per second it prints, for each engine, the process CPU per commit (every
thread's, pyese's applier included: the figure that moves least with the machine's load)
and, for pyese, the log fsyncs per commit (``LogWriter.fsync_count``: about 1 for one
thread, below 1 when group commit shares them). On a disk whose fsync is slow the rates
measure the disk; where it is fast (or ``BENCH_DIR`` on tmpfs) they measure the CPU.
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
from pyese.engine.instance.gate import session_call  # noqa: E402
from pyese.engine.instance.logservice import storage_of  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "0.5" if quick() else "2"))
VALUE = b"v" * 100


LAST: dict[str, float] = {}
"""Figures of the last ``run_threads``: ``cpu_us`` per op, ``ops``."""


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
    t0, c0 = time.perf_counter(), time.process_time()
    stop.wait(SECONDS)
    stop.set()
    for t in threads:
        t.join()
    ops = sum(counts)
    LAST.update(ops=ops, cpu_us=1e6 * (time.process_time() - c0) / max(ops, 1))
    return ops / (time.perf_counter() - t0)


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

    with session_call(first) as session:
        log = storage_of(session.instance).log
    assert log is not None
    try:
        fsyncs = log.fsync_count
        rate = run_threads(n, work)
        LAST["fsyncs"] = (log.fsync_count - fsyncs) / max(LAST["ops"], 1)
        return rate
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
            p_cpu, fsyncs = LAST["cpu_us"], LAST["fsyncs"]
            s = bench_sqlite(d2, n)
            s_cpu = LAST["cpu_us"]
        name = f"durable 1-row commit, {n} thread{'s' if n > 1 else ''}"
        rows.append((name, p, s, p_cpu, s_cpu, fsyncs))
        emit(f"commit_{n}", p, sqlite3=s)
    print(f"{'benchmark':34} {'pyese/s':>8} {'sqlite3/s':>9} {'ratio':>6} "
          f"{'cpu us/commit':>16} {'log fsyncs':>10}")
    print(f"{'':34} {'':>8} {'':>9} {'':>6} {'pyese':>7} {'sqlite3':>8} {'/commit':>10}")
    for name, p, s, p_cpu, s_cpu, fsyncs in rows:
        print(f"{name:34} {p:8.0f} {s:9.0f} {p / s:6.2f} {p_cpu:7.0f} {s_cpu:8.0f} "
              f"{fsyncs:10.2f}")
    return [(name, p, s) for name, p, s, *_ in rows]


if __name__ == "__main__":
    main()
