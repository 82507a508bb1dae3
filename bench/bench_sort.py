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
- ``forward-only, Pyese*Rows``: the same sort through the public batch calls a user (and
  the Pythonic layer) has: ``PyeseInsertValues`` (a sort being filled takes the bulk path)
  and ``PyeseRetrieveRows``;
- ``tx.temp_table (layer)``: the same forward-only sort through the Pythonic layer
  (``tx.temp_table``, rows as dicts in and ``Row`` objects out);
- ``materialized, bulk``: JET_bitTTForceMaterialization (a B-tree in the temporary
  database from the start), filled and read the same way.

The memory runs (``--mem-rows``, default 1,000,000; the issue's figure is 10,000,000; use
``--memory-only`` to run only them) each run in a child process of their own: generated rows
(never all in memory) go into a materialized table (a B-tree in the temporary database)
and into a forward-only sort with a 32 MiB budget (sorted runs on disk, merged when read),
and come back in key order, under ``tracemalloc``; each reports tracemalloc's peak of
Python allocations and the process's peak RSS, next to what ``sorted`` needs for the same
rows (the list of tuples). Ratios are pyese's rate over the alternative's (above 1: pyese
is faster); the ratios that matter are those of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Iterable, Iterator

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "src"))

from _results import emit  # noqa: E402

import pyese.jet as jet  # noqa: E402
from pyese.engine.cursors.cursor import cursor_for  # noqa: E402
from pyese.engine.instance.gate import session_call  # noqa: E402
from pyese.engine.temp import insert_rows, open_temp_table, read_rows  # noqa: E402
from pyese.engine.temp.schema import ColumnRequest  # noqa: E402

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

    def public(self, rows: list[tuple[int, bytes]]) -> float:
        """The forward-only sort through the public batch calls: ``PyeseInsertValues`` in
        batches of 10,000 rows, then ``PyeseRetrieveRows`` a page of 1,000 rows at a time."""
        s = self.s
        start = time.perf_counter()
        t, (k, p) = self.open(jet.JET_bitTTForwardOnly)
        pack = _I.pack
        for i in range(0, len(rows), 10_000):
            jet.PyeseInsertValues(s, t, [k, p], [(pack(key), payload)
                                                  for key, payload in rows[i:i + 10_000]])
        raw_keys: list[bytes] = []
        jet.JetMove(s, t, jet.JET_MoveFirst)
        while True:
            try:
                page = jet.PyeseRetrieveRows(s, t, [k, p], 1000)
            except jet.NoCurrentRecordError:
                break
            raw_keys.extend(row[0] for row in page)  # type: ignore[misc]
        elapsed = time.perf_counter() - start
        keys = [_I.unpack(x)[0] for x in raw_keys]
        assert len(keys) == len(rows) and all(a <= b for a, b in zip(keys, keys[1:]))
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

    def memory_run(self, kind: str, n: int, seed: int) -> dict[str, float]:
        """Fill a temporary table with ``n`` generated rows (never all in memory at once)
        and read them back in key order, under ``tracemalloc``. ``kind``: "materialized"
        (JET_bitTTForceMaterialization | Indexed: a B-tree in the temporary database) or
        "spilled" (a forward-only sort with a 32 MiB budget: sorted runs on disk, merged
        when read)."""
        anon = _AnonPeak()
        tracemalloc.start()
        start = time.perf_counter()
        if kind == "materialized":
            t, ids = self.open(jet.JET_bitTTForceMaterialization | jet.JET_bitTTIndexed)
        else:
            cols = [ColumnRequest(jet.JET_coltypLong, grbit=jet.JET_bitColumnTTKey),
                    ColumnRequest(jet.JET_coltypBinary, cbMax=64)]
            with session_call(self.s) as session:
                cur0, raw_ids = open_temp_table(session, cols, jet.JET_bitTTForwardOnly,
                                                memory_most=32 << 20)
            t, ids = jet.JET_TABLEID(cur0.tableid), [jet.JET_COLUMNID(i) for i in raw_ids]
        with session_call(self.s) as session:
            cur = cursor_for(session, t)
            if kind == "materialized":
                self._insert_dups_ok(cur, stream(n, seed), ids)
            else:
                insert_rows(cur, stream(n, seed), ids)
        loaded = time.perf_counter() - start
        got = 0
        last = -(2 ** 31)
        with session_call(self.s) as session:
            cur = cursor_for(session, t)
            for raw_k, _p in read_rows(cur, ids):
                k = _I.unpack(raw_k)[0]  # type: ignore[arg-type]
                assert k >= last
                last = k
                got += 1
            tt = cursor_for(session, t).tt  # type: ignore[attr-defined]
            disk = tt.file.file_size() if tt.file is not None else 0
            runs = sum(r.size for r in tt.sort.runs) if tt.sort is not None else 0
        elapsed = time.perf_counter() - start
        _cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        anon.stop()
        jet.JetCloseTable(self.s, t)
        return {"rows": got, "anon_peak": anon.peak, "seconds": elapsed, "load_seconds": loaded,
                "tracemalloc_peak": peak, "tempdb_bytes": disk, "run_bytes": runs,
                "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}

    @staticmethod
    def _insert_dups_ok(cur: object, rows: Iterable[tuple[bytes, bytes]], ids: list) -> None:
        it = iter(rows)
        while True:
            try:
                insert_rows(cur, it, ids)
                return
            except jet.KeyDuplicateError:
                pass  # a random 32-bit key repeats now and then: the first one stays

    def close(self) -> None:
        jet.JetEndSession(self.s)
        jet.JetTerm(self.inst)


def layer_sort(rows: list[tuple[int, bytes]], workdir: str) -> float:
    """The same sort through the Pythonic layer: ``tx.temp_table`` with a Long key and a
    Binary payload, rows given as dicts (``insert_many`` in batches of 10,000) and read back
    as ``Row`` objects in key order."""
    import pyese

    with pyese.Instance(os.path.join(workdir, "layer")) as inst:
        with inst.transaction() as tx:
            start = time.perf_counter()
            t = tx.temp_table({"k": pyese.Long, "p": pyese.Binary}, key="k")
            for i in range(0, len(rows), 10_000):
                t.insert_many([{"k": k, "p": p} for k, p in rows[i:i + 10_000]])
            keys = [row["k"] for row in t]
            elapsed = time.perf_counter() - start
            t.close()
    assert len(keys) == len(rows) and all(a <= b for a, b in zip(keys, keys[1:]))
    return elapsed


class _AnonPeak:
    """The process's peak anonymous RSS (its heap: RSS less the temporary database's
    mapped file pages, which the page cache may drop), sampled every 0.2 s (Linux)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        self.peak = max(self.peak, int(line.split()[1]) * 1024)
        except OSError:
            pass

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def stop(self) -> None:
        self._sample()
        self._stop.set()
        self._thread.join()


def sorted_peak(n: int, seed: int) -> int:
    tracemalloc.start()
    rows = [(k, p) for k, p in stream(n, seed)]
    rows.sort()
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del rows
    return peak


def memory_child(kind: str, n: int, seed: int) -> None:
    """One memory run in this (fresh) process; prints its figures as JSON."""
    with tempfile.TemporaryDirectory() as d:
        pe = Pyese(d)
        try:
            out = pe.memory_run(kind, n, seed)
        finally:
            pe.close()
    print(json.dumps(out))


def memory_report(n: int, seed: int) -> None:
    """The memory runs, each in a child process of its own (so that its peak RSS is its
    own), beside what ``sorted`` needs for the same rows."""
    for kind in ("materialized", "spilled"):
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--mem-child", kind,
                               "--mem-rows", str(n), "--seed", str(seed)],
                              capture_output=True, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        mib = 2 ** 20
        print(f"{kind} temporary table of {n:,} rows: {r['rows']:,} rows back in order, "
              f"{n / r['seconds']:,.0f} rows/s (under tracemalloc), tracemalloc peak "
              f"{r['tracemalloc_peak'] / mib:.1f} MiB (limit 64 MiB: "
              f"{'ok' if r['tracemalloc_peak'] < 64 * mib else 'OVER'}), peak RSS "
              f"{r['maxrss'] / mib:.0f} MiB (anonymous {r['anon_peak'] / mib:.0f} MiB; the rest "
              f"is the temporary database's mapped pages), "
              f"temporary database {r['tempdb_bytes'] / mib:.0f} MiB, "
              f"sorted runs {r['run_bytes'] / mib:.0f} MiB")
    m = min(n, 2_000_000)
    s_peak = sorted_peak(m, seed) * n // m
    print(f"sorted() over the same {n:,} rows needs ~{s_peak / 2**20:.0f} MiB"
          + (f" (extrapolated from {m:,})" if m < n else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--jet-rows", type=int, default=100_000)
    ap.add_argument("--mem-rows", type=int, default=1_000_000,
                    help="rows of the memory runs (the issue's figure: 10,000,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--memory-only", action="store_true", help="only the memory runs")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    ap.add_argument("--mem-child", choices=("materialized", "spilled"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.mem_child:
        memory_child(args.mem_child, args.mem_rows, args.seed)
        return
    if not args.memory_only:
        speed(args)
    if not args.no_memory:
        memory_report(args.mem_rows, args.seed + 1)


def speed(args: argparse.Namespace) -> None:
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
            t_pub = pe.public(rows)
            t_layer = layer_sort(rows, d)
            t_mat = pe.bulk(rows, jet.JET_bitTTForceMaterialization | jet.JET_bitTTIndexed)
        finally:
            pe.close()
    n, m = args.rows, len(jet_rows)

    def rate(count: int, secs: float) -> str:
        return f"{count / secs:>12,.0f} rows/s"

    emit("sort_fwd_bulk", n / t_fwd, sqlite3=n / t_sqlite, sorted=n / t_sorted)
    emit("sort_fwd_public", n / t_pub, sqlite3=n / t_sqlite, sorted=n / t_sorted)
    emit("sort_layer_temp_table", n / t_layer, sqlite3=n / t_sqlite, sorted=n / t_sorted)
    emit("sort_materialized", n / t_mat, sqlite3=n / t_sqlite, sorted=n / t_sorted)
    emit("sort_jet_calls", m / t_jet, sqlite3=m / t_sqlite_small)
    print(f"  Python sorted                    {rate(n, t_sorted)}")
    print(f"  sqlite3 TEMP TABLE + ORDER BY    {rate(n, t_sqlite)}")
    print(f"  pyese forward-only, bulk         {rate(n, t_fwd)}   "
          f"vs sqlite3 {t_sqlite / t_fwd:.2f}  vs sorted {t_sorted / t_fwd:.3f}")
    print(f"  pyese forward-only, Pyese*Rows   {rate(n, t_pub)}   "
          f"vs sqlite3 {t_sqlite / t_pub:.2f}  vs sorted {t_sorted / t_pub:.3f}")
    print(f"  pyese tx.temp_table (layer)      {rate(n, t_layer)}   "
          f"vs sqlite3 {t_sqlite / t_layer:.2f}  vs sorted {t_sorted / t_layer:.3f}")
    print(f"  pyese materialized, bulk         {rate(n, t_mat)}   "
          f"vs sqlite3 {t_sqlite / t_mat:.2f}  vs sorted {t_sorted / t_mat:.3f}")
    print(f"  pyese forward-only, JET calls    {rate(m, t_jet)}   "
          f"vs sqlite3 ({m:,} rows) {t_sqlite_small / t_jet:.2f}")


if __name__ == "__main__":
    main()
