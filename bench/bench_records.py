"""Record workloads: pyese (JET API) vs sqlite3 vs raw LMDB, same schema, same work.

Workloads (sizes from the command line; the defaults run in well under a minute):

- ``insert``: N rows (id Long primary key, name Text with a secondary index, payload
  Binary of 100 bytes) in transactions of ``--batch`` rows, each commit durable;
- ``seek, level 0`` / ``seek, in trx``: N point seeks by primary key in random order, each
  reading the name column; outside a transaction (every read sees the latest committed
  state) and inside one read transaction;
- ``range scan``: ``--scans`` scans of ``--scan-len`` entries of the secondary index
  (SeekGE + SetIndexRange + MoveNext), reading the payload of each row; an op is a row;
- ``long value``: ``--lv-count`` values of ``--lv-kib`` KiB in transactions of
  ``--lv-batch`` values; an op is a value.

sqlite3 uses prepared statements (executemany for inserts), WAL and synchronous=FULL; raw
LMDB keeps the secondary index by hand (a second LMDB database keyed name + id) and opens
the environment with sync=True. Not a test: run ``python bench/bench_records.py``.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

import lmdb

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _results import emit, quick  # noqa: E402

from pyese import jet  # noqa: E402

_I32 = struct.Struct("<i")
_BE = struct.Struct(">I")

DURABILITY = {
    "pyese": "JetCommitTransaction(grbit=0): log record fsynced before return "
             "(no JET_bitCommitLazyFlush)",
    "sqlite3": "journal_mode=WAL, synchronous=FULL (WAL fsynced at each COMMIT)",
    "lmdb": "sync=True (data + meta pages fsynced at each write txn commit)",
}


@dataclass(frozen=True)
class Work:
    """The shared work description: every side does exactly this."""

    n: int
    batch: int
    scans: int
    scan_len: int
    lv_count: int
    lv_bytes: int
    lv_batch: int

    def name(self, i: int) -> str:
        """Row i's name: a permutation of 0..n-1, so name order is not id order."""
        return f"n{(i * 7919) % self.n:08d}"

    def payload(self, i: int) -> bytes:
        return i.to_bytes(4, "little") * 25

    def lv(self, i: int) -> bytes:
        return bytes([i & 0xFF]) * self.lv_bytes

    def seek_order(self) -> list[int]:
        ids = list(range(self.n))
        random.Random(1).shuffle(ids)
        return ids

    def scan_starts(self) -> list[int]:
        rnd = random.Random(2)
        return [rnd.randrange(0, self.n - self.scan_len + 1) for _ in range(self.scans)]


Result = dict[str, float]  # workload -> ops/s

# the printed label -> the stable name in ``run_all.py --json``
JSON_NAMES = {"insert": "insert", "seek, level 0": "seek", "seek, in trx": "seek_trx",
              "range scan": "range_rows", "long value": "long_value"}


def _timed(results: Result, label: str, ops: int, fn: Callable[[], int | None]) -> None:
    t0 = time.perf_counter()
    got = fn()
    dt = time.perf_counter() - t0
    if got is not None and got != ops:
        raise AssertionError(f"{label}: expected {ops} rows, saw {got}")
    results[label] = ops / dt


# -- pyese ----------------------------------------------------------------------------------


def bench_pyese(root: str, w: Work) -> Result:
    inst = jet.JetCreateInstance("bench_records")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramCircularLog, 1)
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramMaxVerPages, 16384, None)
    jet.JetInit(inst)
    try:
        return _pyese_work(root, w, jet.JetBeginSession(inst))
    finally:
        jet.JetTerm2(inst, 0)


def _pyese_work(root: str, w: Work, s: object) -> Result:
    db = jet.JetCreateDatabase(s, os.path.join(root, "bench.edb"))
    t = jet.JetCreateTable(s, db, "t")
    cid = jet.JetAddColumn(s, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    cname = jet.JetAddColumn(s, t, "name",
                             jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText, cp=1200))
    cpay = jet.JetAddColumn(s, t, "payload", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary))
    jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
    jet.JetCreateIndex(s, t, "byname", 0, "+name\0\0")
    lt = jet.JetCreateTable(s, db, "lv")
    lcid = jet.JetAddColumn(s, lt, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    ldata = jet.JetAddColumn(s, lt, "data",
                             jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    jet.JetCreateIndex(s, lt, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
    res: Result = {}

    def insert() -> None:
        for lo in range(0, w.n, w.batch):
            jet.JetBeginTransaction(s)
            for i in range(lo, min(lo + w.batch, w.n)):
                jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
                jet.JetSetColumn(s, t, cid, _I32.pack(i))
                jet.JetSetColumn(s, t, cname, w.name(i).encode("utf-16-le"))
                jet.JetSetColumn(s, t, cpay, w.payload(i))
                jet.JetUpdate(s, t)
            jet.JetCommitTransaction(s)

    def seek() -> int:
        seen = 0
        for i in w.seek_order():
            jet.JetMakeKey(s, t, _I32.pack(i), jet.JET_bitNewKey)
            jet.JetSeek(s, t, jet.JET_bitSeekEQ)
            if jet.JetRetrieveColumn(s, t, cname) is not None:
                seen += 1
        return seen

    def seek_trx() -> int:
        jet.JetBeginTransaction2(s, jet.JET_bitTransactionReadOnly)
        try:
            return seek()
        finally:
            jet.JetCommitTransaction(s)

    def scan() -> int:
        rows = 0
        for k in w.scan_starts():
            jet.JetMakeKey(s, t, f"n{k:08d}".encode("utf-16-le"), jet.JET_bitNewKey)
            jet.JetSeek(s, t, jet.JET_bitSeekGE)
            jet.JetMakeKey(s, t, f"n{k + w.scan_len - 1:08d}".encode("utf-16-le"),
                           jet.JET_bitNewKey)
            jet.JetSetIndexRange(s, t, jet.JET_bitRangeUpperLimit | jet.JET_bitRangeInclusive)
            while True:
                if jet.JetRetrieveColumn(s, t, cpay) is not None:
                    rows += 1
                try:
                    jet.JetMove(s, t, jet.JET_MoveNext)
                except jet.JetError:
                    break
        return rows

    def lv_write() -> None:
        for lo in range(0, w.lv_count, w.lv_batch):
            jet.JetBeginTransaction(s)
            for i in range(lo, min(lo + w.lv_batch, w.lv_count)):
                jet.JetPrepareUpdate(s, lt, jet.JET_prepInsert)
                jet.JetSetColumn(s, lt, lcid, _I32.pack(i))
                jet.JetSetColumn(s, lt, ldata, w.lv(i))
                jet.JetUpdate(s, lt)
            jet.JetCommitTransaction(s)

    _timed(res, "insert", w.n, insert)
    _timed(res, "seek, level 0", w.n, seek)
    _timed(res, "seek, in trx", w.n, seek_trx)
    jet.JetSetCurrentIndex(s, t, "byname")
    _timed(res, "range scan", w.scans * w.scan_len, scan)
    _timed(res, "long value", w.lv_count, lv_write)
    return res


# -- sqlite3 --------------------------------------------------------------------------------


def bench_sqlite(root: str, w: Work) -> Result:
    con = sqlite3.connect(os.path.join(root, "bench.sqlite"), isolation_level=None)
    try:
        return _sqlite_work(con, w)
    finally:
        con.close()


def _sqlite_work(con: sqlite3.Connection, w: Work) -> Result:
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, payload BLOB)")
    con.execute("CREATE INDEX t_name ON t(name)")
    con.execute("CREATE TABLE lv (id INTEGER PRIMARY KEY, data BLOB)")
    res: Result = {}

    def insert() -> None:
        for lo in range(0, w.n, w.batch):
            con.execute("BEGIN")
            con.executemany("INSERT INTO t VALUES (?, ?, ?)",
                            [(i, w.name(i), w.payload(i))
                             for i in range(lo, min(lo + w.batch, w.n))])
            con.execute("COMMIT")

    def seek() -> int:
        seen = 0
        for i in w.seek_order():
            row = con.execute("SELECT name FROM t WHERE id = ?", (i,)).fetchone()
            if row is not None and row[0] is not None:
                seen += 1
        return seen

    def seek_trx() -> int:
        con.execute("BEGIN")
        try:
            return seek()
        finally:
            con.execute("COMMIT")

    def scan() -> int:
        rows = 0
        for k in w.scan_starts():
            for (payload,) in con.execute(
                    "SELECT payload FROM t WHERE name >= ? AND name <= ? ORDER BY name",
                    (f"n{k:08d}", f"n{k + w.scan_len - 1:08d}")):
                if payload is not None:
                    rows += 1
        return rows

    def lv_write() -> None:
        for lo in range(0, w.lv_count, w.lv_batch):
            con.execute("BEGIN")
            con.executemany("INSERT INTO lv VALUES (?, ?)",
                            [(i, w.lv(i)) for i in range(lo, min(lo + w.lv_batch, w.lv_count))])
            con.execute("COMMIT")

    _timed(res, "insert", w.n, insert)
    _timed(res, "seek, level 0", w.n, seek)
    _timed(res, "seek, in trx", w.n, seek_trx)
    _timed(res, "range scan", w.scans * w.scan_len, scan)
    _timed(res, "long value", w.lv_count, lv_write)
    return res


# -- raw LMDB -------------------------------------------------------------------------------


def bench_lmdb(root: str, w: Work) -> Result:
    env = lmdb.open(os.path.join(root, "bench.lmdb"), map_size=1 << 32, max_dbs=4,
                    sync=True, metasync=True)
    try:
        return _lmdb_work(env, w)
    finally:
        env.close()


def _lmdb_work(env: lmdb.Environment, w: Work) -> Result:
    rows = env.open_db(b"t")
    byname = env.open_db(b"byname")
    lvs = env.open_db(b"lv")
    res: Result = {}

    def record(i: int) -> bytes:
        name = w.name(i).encode("utf-16-le")
        return struct.pack("<H", len(name)) + name + w.payload(i)

    def insert() -> None:
        for lo in range(0, w.n, w.batch):
            with env.begin(write=True) as txn:
                for i in range(lo, min(lo + w.batch, w.n)):
                    key = _BE.pack(i)
                    txn.put(key, record(i), db=rows)
                    txn.put(w.name(i).encode() + b"\0" + key, key, db=byname)

    def name_of(raw: bytes) -> bytes:
        (ln,) = struct.unpack_from("<H", raw)
        return raw[2:2 + ln]

    def seek() -> int:
        seen = 0
        for i in w.seek_order():
            with env.begin() as txn:
                raw = txn.get(_BE.pack(i), db=rows)
                if raw is not None and name_of(raw):
                    seen += 1
        return seen

    def seek_trx() -> int:
        seen = 0
        with env.begin() as txn:
            for i in w.seek_order():
                raw = txn.get(_BE.pack(i), db=rows)
                if raw is not None and name_of(raw):
                    seen += 1
        return seen

    def scan() -> int:
        n = 0
        for k in w.scan_starts():
            lo = f"n{k:08d}".encode()
            hi = f"n{k + w.scan_len - 1:08d}".encode()
            with env.begin() as txn:
                cur = txn.cursor(db=byname)
                if not cur.set_range(lo):
                    continue
                for ikey, pk in cur:
                    if ikey[:-5] > hi:
                        break
                    raw = txn.get(pk, db=rows)
                    ln = struct.unpack_from("<H", raw)[0]
                    if raw[2 + ln:]:
                        n += 1
        return n

    def lv_write() -> None:
        for lo in range(0, w.lv_count, w.lv_batch):
            with env.begin(write=True) as txn:
                for i in range(lo, min(lo + w.lv_batch, w.lv_count)):
                    txn.put(_BE.pack(i), w.lv(i), db=lvs)

    _timed(res, "insert", w.n, insert)
    _timed(res, "seek, level 0", w.n, seek)
    _timed(res, "seek, in trx", w.n, seek_trx)
    _timed(res, "range scan", w.scans * w.scan_len, scan)
    _timed(res, "long value", w.lv_count, lv_write)
    return res


# -- main -----------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> tuple[Work, bool]:
    small = quick()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=3_000 if small else 20_000,
                   help="rows inserted and point seeks")
    p.add_argument("--batch", type=int, default=1_000, help="rows per insert transaction")
    p.add_argument("--scans", type=int, default=20 if small else 100)
    p.add_argument("--scan-len", type=int, default=200)
    p.add_argument("--lv-count", type=int, default=40 if small else 200)
    p.add_argument("--lv-kib", type=int, default=256)
    p.add_argument("--lv-batch", type=int, default=10, help="long values per transaction")
    p.add_argument("--pyese-only", action="store_true", help="skip sqlite3 and LMDB")
    a = p.parse_args(argv)
    if a.scan_len > a.n:
        p.error("--scan-len must not exceed -n")
    return Work(a.n, a.batch, a.scans, a.scan_len, a.lv_count, a.lv_kib * 1024,
                a.lv_batch), a.pyese_only


def main(argv: list[str] | None = None) -> list[tuple[str, float, float, float]]:
    w, pyese_only = parse(argv)
    base = os.environ.get("BENCH_DIR")
    with tempfile.TemporaryDirectory(dir=base) as d:
        p = bench_pyese(d, w)
    if pyese_only:
        q = m = {k: float("nan") for k in p}
    else:
        with tempfile.TemporaryDirectory(dir=base) as d:
            q = bench_sqlite(d, w)
        with tempfile.TemporaryDirectory(dir=base) as d:
            m = bench_lmdb(d, w)
    print(f"n={w.n} batch={w.batch} scans={w.scans}x{w.scan_len} "
          f"long values={w.lv_count}x{w.lv_bytes // 1024} KiB (batch {w.lv_batch})")
    for side, how in DURABILITY.items():
        print(f"  {side:8} {how}")
    print(f"{'workload':16} {'pyese ops/s':>12} {'sqlite3 ops/s':>14} {'LMDB ops/s':>12} "
          f"{'pyese/sqlite3':>14} {'pyese/LMDB':>11}")
    rows = []
    for label in p:
        pv, sv, lv = p[label], q[label], m[label]
        print(f"{label:16} {pv:12.0f} {sv:14.0f} {lv:12.0f} {pv / sv:14.3f} {pv / lv:11.3f}")
        rows.append((label, pv, sv, lv))
        emit(JSON_NAMES[label], pv, sqlite3=sv, lmdb=lv)
    return rows


if __name__ == "__main__":
    main()
