"""The insert path in CPU time per row: pyese (JET API) beside sqlite3, one process.

``bench_records.py``'s insert workload (a Long primary key, a Text column with a secondary
index, a 100-byte Binary payload; ``--batch`` rows per durable commit; per row
JetPrepareUpdate + 3 x JetSetColumn + JetUpdate) timed by the CPU time of the inserting
thread (``time.thread_time``), which moves far less than wall-clock time on a loaded
machine and leaves out the waits for fsync. Each batch is timed on its own; the best and
the median batch over ``--passes`` fresh databases are printed, for pyese and for sqlite3
(prepared ``executemany``, WAL, synchronous=FULL), with the ratio (sqlite3's time /
pyese's: above 1, pyese is faster).

Not a test and not part of ``run_all.py``: ``python bench/insert_cpu.py [-n 10000]``.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from pyese import jet  # noqa: E402
from pyese._buildmode import describe  # noqa: E402

_I32 = struct.Struct("<i")


def _rows(n: int) -> list[tuple[int, bytes, bytes, bytes]]:
    """The rows of bench_records' Work: id, name (a permutation), payload."""
    return [(i, _I32.pack(i), f"n{(i * 7919) % n:08d}".encode("utf-16-le"),
             i.to_bytes(4, "little") * 25) for i in range(n)]


def pyese_batches(root: str, rows: list, batch: int) -> list[float]:
    inst = jet.JetCreateInstance("insert_cpu")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramCircularLog, 1)
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramMaxVerPages, 16384, None)
    jet.JetInit(inst)
    try:
        s = jet.JetBeginSession(inst)
        db = jet.JetCreateDatabase(s, os.path.join(root, "bench.edb"))
        t = jet.JetCreateTable(s, db, "t")
        cid = jet.JetAddColumn(s, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
        cname = jet.JetAddColumn(s, t, "name",
                                 jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText, cp=1200))
        cpay = jet.JetAddColumn(s, t, "payload",
                                jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary))
        jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
        jet.JetCreateIndex(s, t, "byname", 0, "+name\0\0")
        times = []
        for lo in range(0, len(rows), batch):
            part = rows[lo:lo + batch]
            t0 = time.thread_time()
            jet.JetBeginTransaction(s)
            for _i, key, name, payload in part:
                jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
                jet.JetSetColumn(s, t, cid, key)
                jet.JetSetColumn(s, t, cname, name)
                jet.JetSetColumn(s, t, cpay, payload)
                jet.JetUpdate(s, t)
            jet.JetCommitTransaction(s)
            times.append((time.thread_time() - t0) / len(part) * 1e6)
        return times
    finally:
        jet.JetTerm2(inst, 0)


def sqlite_batches(root: str, rows: list, batch: int) -> list[float]:
    con = sqlite3.connect(os.path.join(root, "b.sqlite"), isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, payload BLOB)")
        con.execute("CREATE INDEX byname ON t(name)")
        times = []
        for lo in range(0, len(rows), batch):
            part = [(i, f"n{(i * 7919) % len(rows):08d}", p) for i, _k, _n, p
                    in rows[lo:lo + batch]]
            t0 = time.thread_time()
            con.execute("BEGIN")
            con.executemany("INSERT INTO t VALUES (?, ?, ?)", part)
            con.execute("COMMIT")
            times.append((time.thread_time() - t0) / len(part) * 1e6)
        return times
    finally:
        con.close()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=10_000, help="rows per pass")
    p.add_argument("--batch", type=int, default=1_000, help="rows per durable commit")
    p.add_argument("--passes", type=int, default=3, help="fresh databases per side")
    a = p.parse_args(argv)
    rows = _rows(a.n)
    got: dict[str, list[float]] = {"pyese": [], "sqlite3": []}
    for _ in range(a.passes):
        with tempfile.TemporaryDirectory() as root:
            got["pyese"] += pyese_batches(root, rows, a.batch)
        with tempfile.TemporaryDirectory() as root:
            got["sqlite3"] += sqlite_batches(root, rows, a.batch)
    print(describe())
    print(f"n={a.n} batch={a.batch} passes={a.passes}: CPU µs per inserted row "
          f"(inserting thread)")
    best = {k: min(v) for k, v in got.items()}
    med = {k: statistics.median(v) for k, v in got.items()}
    print(f"{'':10} {'best batch':>11} {'median batch':>13}")
    for k in got:
        print(f"{k:10} {best[k]:11.2f} {med[k]:13.2f}")
    print(f"{'ratio':10} {best['sqlite3'] / best['pyese']:11.3f} "
          f"{med['sqlite3'] / med['pyese']:13.3f}   (sqlite3 / pyese)")


if __name__ == "__main__":
    main()
