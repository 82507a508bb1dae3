"""Sorting through a temporary table: pyese's in-memory sort and materialized table against
Python's ``sorted`` and sqlite3 (``CREATE TEMP TABLE`` + ``ORDER BY``), and the materialized
table's memory peak.

Usage::

    python bench/bench_sort.py [--rows N] [--jet-rows N] [--mem-rows N] [--seed S]

Rows are (a random 32-bit key, a 64-byte random payload). Each contender loads the rows and
reads them all back in key order; the time covers both. pyese runs:

- ``forward-only, JET calls``: JetOpenTempTable(JET_bitTTForwardOnly), one
  JetPrepareUpdate / JetSetColumn x2 / JetUpdate per row, then JetMove / JetRetrieveColumn
  per row (``--jet-rows`` rows: every call goes through the gate);
- ``forward-only, bulk``: the same table filled by ``engine.temp.insert_rows`` (what the
  Pythonic layer uses) and read with JetMove / JetRetrieveColumns;
- ``materialized, bulk``: JET_bitTTForceMaterialization (a B-tree in the temporary
  database from the start), filled and read the same way.

The memory run (``--mem-rows``, default 1,000,000; the issue's figure is 10,000,000) fills a
materialized table under ``tracemalloc`` and reports the peak of Python allocations, next
to what ``sorted`` needs for the same rows (the list of tuples). Ratios are pyese's rate
over the alternative's (above 1: pyese is faster).
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
import tracemalloc
from collections.abc import Iterable, Iterator

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "src"))

from _results import emit  # noqa: E402

import pyese.jet as jet  # noqa: E402
from pyese.engine.cursors.cursor import cursor_for  # noqa: E402
from pyese.engine.instance.gate import session_call  # noqa: E402
from pyese.engine.temp import insert_rows, read_rows  # noqa: E402

_I = struct.Struct("<i")


def rows_of(n: int, seed: int) -> list[tuple[int, bytes]]:
    rng = random.Random(seed)
    return [(rng.randrange(-2**31, 2**31), rng.randbytes(64)) for _ in range(n)]


def stream(n: int, seed: int) -> Iterator[tuple[bytes, bytes]]:
    """The same kind of rows, generated as they are inserted (nothing kept)."""
    rng = random.Random(seed)
    for _ in range(n):
        yield _I.pack(rng.randrange(-2**31, 2**31)), rng.randbytes(64)


def py_sorted(rows: list[tuple[int, bytes]]) -> float:
    start = time.perf_counter()
    out = sorted(rows)
    assert len(out) == len(rows)
    return time.perf_counter() - start


def sqlite_sort(rows: list[tuple[int, bytes]]) -> float:
    con = sqlite3.connect(":memory:")
    start = time.perf_counter()
    con.execute("CREATE TEMP TABLE t (k INTEGER, p BLOB)")
    con.executemany("INSERT INTO t VALUES (?, ?)", rows)
    keys = [k for k, _p in con.execute("SELECT k, p FROM t ORDER BY k")]
    elapsed = time.perf_counter() - start
    assert len(keys) == len(rows) and all(a <= b for a, b in zip(keys, keys[1:]))
    con.close()
    return elapsed


class Pyese:
    def __init__(self, workdir: str) -> None:
        os.chdir(workdir)
        self.inst = jet.JetCreateInstance("bench")
        jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramRecovery, 0, "off")
        jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramTempPath, 0, workdir + os.sep)
        jet.JetInit(self.inst)
        self.s = jet.JetBeginSession(self.inst)

    def open(self, grbit: int) -> tuple[jet.JET_TABLEID, list[jet.JET_COLUMNID]]:
        cols = [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnTTKey),
                jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary, cbMax=64)]
        return jet.JetOpenTempTable(self.s, cols, grbit)

    def jet_calls(self, rows: list[tuple[int, bytes]]) -> float:
        s = self.s
        start = time.perf_counter()
        t, (k, p) = self.open(jet.JET_bitTTForwardOnly)
        for key, payload in rows:
            jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
            jet.JetSetColumn(s, t, k, _I.pack(key))
            jet.JetSetColumn(s, t, p, payload)
            jet.JetUpdate(s, t)
        n = 0
        jet.JetMove(s, t, jet.JET_MoveFirst)
        while True:
            jet.JetRetrieveColumn(s, t, k)
            jet.JetRetrieveColumn(s, t, p)
            n += 1
            try:
                jet.JetMove(s, t, jet.JET_MoveNext)
            except jet.NoCurrentRecordError:
                break
        elapsed = time.perf_counter() - start
        assert n == len(rows)
        jet.JetCloseTable(s, t)
        return elapsed

    def bulk(self, rows: list[tuple[int, bytes]], grbit: int) -> float:
        start = time.perf_counter()
        t, ids = self.open(grbit)
        with session_call(self.s) as session:
            cur = cursor_for(session, t)
            if grbit & jet.JET_bitTTForceMaterialization:
                self._insert_dups_ok(cur, ((_I.pack(k), p) for k, p in rows), ids)
            else:
                insert_rows(cur, ((_I.pack(k), p) for k, p in rows), ids)
            raw_keys = [k for k, _p in read_rows(cur, ids)]
        elapsed = time.perf_counter() - start
        keys = [_I.unpack(k)[0] for k in raw_keys]  # type: ignore[arg-type]
        assert all(a <= b for a, b in zip(keys, keys[1:]))
        want = len(rows) if grbit & jet.JET_bitTTForwardOnly else len(set(k for k, _ in rows))
        assert len(keys) == want
        jet.JetCloseTable(self.s, t)
        return elapsed

    def materialized_peak(self, n: int, seed: int) -> tuple[float, int, int]:
        """(seconds, tracemalloc peak bytes, temporary database bytes) to fill a
        materialized table with ``n`` generated rows and read them back in order."""
        tracemalloc.start()
        start = time.perf_counter()
        t, ids = self.open(jet.JET_bitTTForceMaterialization)
        with session_call(self.s) as session:
            cur = cursor_for(session, t)
            batch: list[tuple[bytes, bytes]] = []
            for row in stream(n, seed):
                batch.append(row)
                if len(batch) == 10_000:
                    self._insert_dups_ok(cur, batch, ids)
                    batch = []
            self._insert_dups_ok(cur, batch, ids)
            size = cur.tt.file.file_size()
        with session_call(self.s) as session:
            got = sum(1 for _ in read_rows(cursor_for(session, t), ids))
        elapsed = time.perf_counter() - start
        _cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert got > 0
        jet.JetCloseTable(self.s, t)
        return elapsed, peak, size

    @staticmethod
    def _insert_dups_ok(cur: object, batch: Iterable[tuple[bytes, bytes]], ids: list) -> None:
        it = iter(batch)
        while True:
            try:
                insert_rows(cur, it, ids)
                return
            except jet.KeyDuplicateError:
                pass  # a random 32-bit key repeats now and then: the first one stays

    def close(self) -> None:
        jet.JetEndSession(self.s)
        jet.JetTerm(self.inst)


def sorted_peak(n: int, seed: int) -> int:
    tracemalloc.start()
    rows = [(k, p) for k, p in stream(n, seed)]
    rows.sort()
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del rows
    return peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--jet-rows", type=int, default=100_000)
    ap.add_argument("--mem-rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rows = rows_of(args.rows, args.seed)
    jet_rows = rows[:args.jet_rows]
    print(f"sorting {args.rows:,} rows (int key + 64-byte payload), seed {args.seed}")
    t_sorted = py_sorted(rows)
    t_sqlite = sqlite_sort(rows)
    t_sqlite_small = sqlite_sort(jet_rows)
    with tempfile.TemporaryDirectory() as d:
        pe = Pyese(d)
        try:
            t_jet = pe.jet_calls(jet_rows)
            t_fwd = pe.bulk(rows, jet.JET_bitTTForwardOnly)
            t_mat = pe.bulk(rows, jet.JET_bitTTForceMaterialization | jet.JET_bitTTIndexed)
            mem = pe.materialized_peak(args.mem_rows, args.seed + 1)
        finally:
            pe.close()
    n, m = args.rows, len(jet_rows)

    def rate(count: int, secs: float) -> str:
        return f"{count / secs:>12,.0f} rows/s"

    emit("sort_fwd_bulk", n / t_fwd, sqlite3=n / t_sqlite, sorted=n / t_sorted)
    emit("sort_materialized", n / t_mat, sqlite3=n / t_sqlite, sorted=n / t_sorted)
    emit("sort_jet_calls", m / t_jet, sqlite3=m / t_sqlite_small)
    print(f"  Python sorted                    {rate(n, t_sorted)}")
    print(f"  sqlite3 TEMP TABLE + ORDER BY    {rate(n, t_sqlite)}")
    print(f"  pyese forward-only, bulk         {rate(n, t_fwd)}   "
          f"vs sqlite3 {t_sqlite / t_fwd:.2f}  vs sorted {t_sorted / t_fwd:.3f}")
    print(f"  pyese materialized, bulk         {rate(n, t_mat)}   "
          f"vs sqlite3 {t_sqlite / t_mat:.2f}  vs sorted {t_sorted / t_mat:.3f}")
    print(f"  pyese forward-only, JET calls    {rate(m, t_jet)}   "
          f"vs sqlite3 ({m:,} rows) {t_sqlite_small / t_jet:.2f}")
    secs, peak, size = mem
    s_peak = sorted_peak(min(args.mem_rows, 2_000_000), args.seed + 1)
    s_peak = s_peak * args.mem_rows // min(args.mem_rows, 2_000_000)
    print(f"materialized table of {args.mem_rows:,} rows: {rate(args.mem_rows, secs)}, "
          f"tracemalloc peak {peak / 2**20:.1f} MiB "
          f"(limit 64 MiB: {'ok' if peak < 64 * 2**20 else 'OVER'}), "
          f"temporary database {size / 2**20:.0f} MiB on disk; "
          f"sorted() over the same rows needs ~{s_peak / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
