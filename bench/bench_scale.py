"""Scaling: how each workload's per-op cost and peak RSS grow from 10^4 to 10^6 rows.

    python bench/bench_scale.py [--quick] [--max N] [--sizes N,N] [--ops K] [--passes P]
                                [--dir DIR] [--json FILE] [--from FILE]

For each table size N (10^4, 10^5, 10^6; ``--quick``: 10^4 and 10^5; ``--max`` stops
earlier) pyese and sqlite3 each get a table of N rows (``id`` Long primary key, ``name``
Text with a secondary index, ``payload`` 100 bytes of Binary), built and then measured by a
chain of child processes, one per (N, engine, workload), so that each workload's peak RSS is
its own (the child reads its ``VmHWM`` from ``/proc/self/status``; the database stays on
disk between children):

- ``load``: the N rows through the bulk path a user takes for a big load: pyese's
  ``Database.insert_many`` (1,000 rows per durable transaction), sqlite3's ``executemany``
  (1,000 rows per transaction); an op is a row, averaged over the whole load;
- ``seek``: ``--ops`` point seeks by primary key at random keys (fixed seed) reading one
  column, outside a transaction (pyese: ``JetMakeKey`` + ``JetSeek`` + ``JetRetrieveColumn``
  at level 0; sqlite3: a prepared ``SELECT``);
- ``range_rows``: ``--ops`` rows of secondary-index range scans of 100 rows from random
  starts (pyese: ``JetSeek`` + ``JetSetIndexRange`` + ``JetMove`` loop, one column read per
  row; sqlite3: ``SELECT ... WHERE name BETWEEN``); an op is a row;
- ``update``: ``--ops`` // 4 updates of the payload of random rows, 1,000 per durable
  transaction (pyese: ``JetSeek`` + ``JetPrepareUpdate(JET_prepReplace)`` +
  ``JetSetColumn`` + ``JetUpdate``; sqlite3: ``executemany`` of an ``UPDATE``);
- ``insert``: ``--ops`` // 4 further rows through the JET API loop (``JetPrepareUpdate`` +
  ``JetSetColumn`` x3 + ``JetUpdate``, 1,000 rows per durable commit) into the N-row table:
  the cost of one more insert at size N (sqlite3: ``executemany``, 1,000 per transaction).

``seek``, ``range_rows`` and ``update`` run ``--passes`` times in their child (the median
counts); ``load`` and ``insert`` once (they grow the table). Durability as in
bench_records: pyese's commits fsync the log, sqlite3 runs WAL with synchronous=FULL.

The table printed has, per N and workload, µs per op for both engines by the wall clock
and by CPU time (``time.process_time``: what a shared machine's load disturbs least), the
ratio pyese/sqlite3 in ops/s of each, and each child's peak RSS (pyese: also the peak of its
anonymous memory, sampled every 0.1 s; the rest of pyese's RSS is the database file mapped
by LMDB, page cache shared with the kernel). The verdict line gives each workload's growth
factor of pyese's CPU per op from the smallest N to the largest, beside sqlite3's, and
whether pyese's anonymous memory stayed bounded. ``--json`` keeps every child's figures
(also user and system time and page faults per op); ``--from`` prints them again.
``run_all.py --scale --json FILE`` records ``scale_<workload>_<1eK>`` (ops/s, ratio to
sqlite3, peak RSS in MiB).
Not a test: tests/test_bench_scale.py runs it at 2,000 rows only to prove it works.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
sys.path.insert(0, HERE)

from _results import emit, quick  # noqa: E402

SIZES = (10_000, 100_000, 1_000_000)
WORKLOADS = ("load", "seek", "range_rows", "update", "insert")
ENGINES = ("pyese", "sqlite3")
BATCH = 1000          # rows per durable transaction for load, update and insert
SCAN_LEN = 100        # rows per range scan
SEED = 19             # every random choice: the same keys for both engines
FLAT = 1.5            # growth factor of per-op cost up to which the verdict says "flat"
BOUNDED_MIB = 64      # growth of peak anonymous RSS up to which the verdict says "bounded"
_I32 = struct.Struct("<i")


def name_of(i: int, n: int) -> str:
    """Row i's name: a permutation of 0..n-1 (7919 is prime, so coprime with 10^k), so the
    secondary index's order is not the primary key's."""
    return f"n{(i * 7919) % n:08d}"


def payload_of(i: int, salt: int = 0) -> bytes:
    return (i ^ salt).to_bytes(4, "little") * 25


def label(n: int) -> str:
    """10000 -> '1e4'; other sizes as written."""
    k = len(str(n)) - 1
    return f"1e{k}" if n == 10 ** k else str(n)


# -- memory -------------------------------------------------------------------------------


def _status(field: str) -> int:
    """A ``/proc/self/status`` field in KiB (0 where there is no /proc)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_kib() -> int:
    """The process's peak resident set (VmHWM; ru_maxrss where /proc has none)."""
    return _status("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class AnonPeak:
    """Samples ``RssAnon`` (heap, Python objects, LMDB's malloc'd pages: not the mapped file)
    every 0.1 s on a daemon thread; ``peak`` is the highest seen (KiB)."""

    def __init__(self) -> None:
        self.peak = _status("RssAnon")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, _status("RssAnon"))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _status("RssAnon"))
        return self.peak


# -- the work, shared by both engines -------------------------------------------------------


class Work:
    """What a child does on an N-row table: the keys it seeks, scans and updates."""

    def __init__(self, n: int, ops: int) -> None:
        self.n = n
        self.ops = ops
        self.writes = max(1, ops // 4)

    def seek_keys(self) -> list[int]:
        rnd = random.Random(SEED)
        return [rnd.randrange(self.n) for _ in range(self.ops)]

    def scan_starts(self) -> list[int]:
        rnd = random.Random(SEED + 1)
        scans = max(1, self.ops // SCAN_LEN)
        return [rnd.randrange(max(1, self.n - SCAN_LEN)) for _ in range(scans)]

    def range_rows(self) -> int:
        return len(self.scan_starts()) * min(SCAN_LEN, self.n)

    def update_keys(self) -> list[int]:
        rnd = random.Random(SEED + 2)
        return [rnd.randrange(self.n) for _ in range(self.writes)]

    def rows(self, lo: int, hi: int) -> Iterator[tuple[int, str, bytes]]:
        for i in range(lo, hi):
            yield i, name_of(i, self.n) if i < self.n else f"x{i:08d}", payload_of(i)


USAGE: dict[str, float] = {}
"""The timed passes' resource use in this process, summed (user and system seconds, minor
and major page faults): what ``child`` reports per op."""
PROFILE: list[Any] = []
"""A ``cProfile.Profile`` to enable around the timed passes (``--profile``), if any."""


def timed(fn: Callable[[], int], ops: int, what: str) -> tuple[float, float]:
    """Run ``fn`` (which returns the ops it saw); (wall s, CPU s)."""
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    for prof in PROFILE:
        prof.enable()
    t0, c0 = time.perf_counter(), time.process_time()
    got = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    for prof in PROFILE:
        prof.disable()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    for key in ("ru_utime", "ru_stime", "ru_minflt", "ru_majflt"):
        USAGE[key] = USAGE.get(key, 0) + getattr(ru1, key) - getattr(ru0, key)
    if got != ops:
        raise AssertionError(f"{what}: expected {ops} ops, saw {got}")
    return wall, cpu


# -- pyese --------------------------------------------------------------------------------


def pyese_load(root: str, w: Work) -> Callable[[], int]:
    import pyese

    inst = pyese.Instance(root)
    db = inst.open_database("scale.edb")
    db.create_table("t", {"id": pyese.Long, "name": pyese.Column(pyese.Text, cp=1200),
                          "payload": pyese.Binary},
                    {"primary": pyese.Index("+id", primary=True), "byname": "+name"})

    def run() -> int:
        try:
            return db.insert_many("t", ({"id": i, "name": nm, "payload": p}
                                        for i, nm, p in w.rows(0, w.n)), batch=BATCH)
        finally:
            inst.close()
    return run


class PyeseJet:
    """The N-row table reopened through the JET API (a child's instance)."""

    def __init__(self, root: str) -> None:
        from pyese import jet

        self.jet = jet
        self.inst = jet.JetCreateInstance(f"bench_scale_{os.getpid()}")
        for pid in (jet.JET_paramSystemPath, jet.JET_paramLogFilePath, jet.JET_paramTempPath):
            jet.JetSetSystemParameter(self.inst, 0, pid, 0, root + os.sep)
        jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramCircularLog, 1)
        jet.JetInit(self.inst)
        self.s = jet.JetBeginSession(self.inst)
        path = os.path.join(root, "scale.edb")
        jet.JetAttachDatabase(self.s, path)
        self.db = jet.JetOpenDatabase(self.s, path)
        self.t = jet.JetOpenTable(self.s, self.db, "t")
        self.cid, self.cname, self.cpay = (
            jet.JetGetTableColumnInfo(self.s, self.t, c).columnid
            for c in ("id", "name", "payload"))

    def close(self) -> None:
        self.jet.JetTerm2(self.inst, 0)

    def seek(self, w: Work) -> Callable[[], int]:
        jet, s, t, cname = self.jet, self.s, self.t, self.cname
        keys = [_I32.pack(k) for k in w.seek_keys()]

        def run() -> int:
            seen = 0
            for key in keys:
                jet.JetMakeKey(s, t, key, jet.JET_bitNewKey)
                jet.JetSeek(s, t, jet.JET_bitSeekEQ)
                seen += jet.JetRetrieveColumn(s, t, cname) is not None
            return seen
        return run

    def range_rows(self, w: Work) -> Callable[[], int]:
        jet, s, t, cpay = self.jet, self.s, self.t, self.cpay
        jet.JetSetCurrentIndex(s, t, "byname")
        bounds = [(f"n{k:08d}".encode("utf-16-le"),
                   f"n{k + SCAN_LEN - 1:08d}".encode("utf-16-le")) for k in w.scan_starts()]

        def run() -> int:
            rows = 0
            for lo, hi in bounds:
                jet.JetMakeKey(s, t, lo, jet.JET_bitNewKey)
                jet.JetSeek(s, t, jet.JET_bitSeekGE)
                jet.JetMakeKey(s, t, hi, jet.JET_bitNewKey)
                jet.JetSetIndexRange(s, t, jet.JET_bitRangeUpperLimit | jet.JET_bitRangeInclusive)
                while True:
                    rows += jet.JetRetrieveColumn(s, t, cpay) is not None
                    try:
                        jet.JetMove(s, t, jet.JET_MoveNext)
                    except jet.NoCurrentRecordError:
                        break
            return rows
        return run

    def update(self, w: Work, salt: int) -> Callable[[], int]:
        jet, s, t, cpay = self.jet, self.s, self.t, self.cpay
        keys = w.update_keys()

        def run() -> int:
            done = 0
            for lo in range(0, len(keys), BATCH):
                jet.JetBeginTransaction(s)
                for k in keys[lo:lo + BATCH]:
                    jet.JetMakeKey(s, t, _I32.pack(k), jet.JET_bitNewKey)
                    jet.JetSeek(s, t, jet.JET_bitSeekEQ)
                    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
                    jet.JetSetColumn(s, t, cpay, payload_of(k, salt))
                    jet.JetUpdate(s, t)
                    done += 1
                jet.JetCommitTransaction(s)
            return done
        return run

    def insert(self, w: Work) -> Callable[[], int]:
        jet, s, t = self.jet, self.s, self.t
        cid, cname, cpay = self.cid, self.cname, self.cpay
        rows = list(w.rows(w.n, w.n + w.writes))

        def run() -> int:
            for lo in range(0, len(rows), BATCH):
                jet.JetBeginTransaction(s)
                for i, nm, p in rows[lo:lo + BATCH]:
                    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
                    jet.JetSetColumn(s, t, cid, _I32.pack(i))
                    jet.JetSetColumn(s, t, cname, nm.encode("utf-16-le"))
                    jet.JetSetColumn(s, t, cpay, p)
                    jet.JetUpdate(s, t)
                jet.JetCommitTransaction(s)
            return len(rows)
        return run


# -- sqlite3 ------------------------------------------------------------------------------


def sqlite_open(root: str) -> sqlite3.Connection:
    con = sqlite3.connect(os.path.join(root, "scale.sqlite"), isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    return con


def sqlite_write(con: sqlite3.Connection, sql: str, rows: list[Any]) -> int:
    for lo in range(0, len(rows), BATCH):
        con.execute("BEGIN")
        con.executemany(sql, rows[lo:lo + BATCH])
        con.execute("COMMIT")
    return len(rows)


def sqlite_work(con: sqlite3.Connection, workload: str, w: Work, salt: int
                ) -> Callable[[], int]:
    if workload == "load":
        con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, payload BLOB)")
        con.execute("CREATE INDEX t_name ON t(name)")

        def load() -> int:
            done = 0
            rows = w.rows(0, w.n)
            while True:
                chunk = list(itertools.islice(rows, BATCH))
                if not chunk:
                    return done
                con.execute("BEGIN")
                con.executemany("INSERT INTO t VALUES (?, ?, ?)", chunk)
                con.execute("COMMIT")
                done += len(chunk)
        return load
    if workload == "seek":
        keys = w.seek_keys()

        def seek() -> int:
            seen = 0
            for k in keys:
                row = con.execute("SELECT name FROM t WHERE id = ?", (k,)).fetchone()
                seen += row is not None and row[0] is not None
            return seen
        return seek
    if workload == "range_rows":
        bounds = [(f"n{k:08d}", f"n{k + SCAN_LEN - 1:08d}") for k in w.scan_starts()]

        def scan() -> int:
            rows = 0
            for lo, hi in bounds:
                for (p,) in con.execute("SELECT payload FROM t WHERE name >= ? AND name <= ? "
                                        "ORDER BY name", (lo, hi)):
                    rows += p is not None
            return rows
        return scan
    if workload == "update":
        ups = [(payload_of(k, salt), k) for k in w.update_keys()]
        return lambda: sqlite_write(con, "UPDATE t SET payload = ? WHERE id = ?", ups)
    if workload == "insert":
        new = list(w.rows(w.n, w.n + w.writes))
        return lambda: sqlite_write(con, "INSERT INTO t VALUES (?, ?, ?)", new)
    raise ValueError(workload)


# -- one child: one engine, one workload, one N -------------------------------------------


def expected_ops(workload: str, w: Work) -> int:
    return {"load": w.n, "seek": w.ops, "range_rows": w.range_rows(),
            "update": w.writes, "insert": w.writes}[workload]


def child(engine: str, workload: str, n: int, root: str, ops: int, passes: int,
          profile: str | None = None) -> dict[str, Any]:
    """Run one workload in this (fresh) process; its figures and this process's peaks.
    ``profile``: a file for cProfile's statistics of the timed passes, timed in CPU time
    (and the Python function calls per op in the figures)."""
    w = Work(n, ops)
    base_kib = _status("VmRSS")
    anon = AnonPeak()
    if profile:
        import cProfile

        PROFILE.append(cProfile.Profile(time.process_time))  # CPU: the load moves wall
    count = expected_ops(workload, w)
    reps = passes if workload in ("seek", "range_rows", "update") else 1
    walls: list[float] = []
    cpus: list[float] = []
    mode = ""
    if engine == "pyese":
        if workload == "load":
            walls_cpu = [timed(pyese_load(root, w), count, workload)]
            mode = _mode()
        else:
            side = PyeseJet(root)
            mode = _mode()
            try:
                walls_cpu = []
                for rep in range(reps):
                    fn = (side.update(w, rep + 1) if workload == "update"
                          else getattr(side, workload)(w))
                    walls_cpu.append(timed(fn, count, workload))
            finally:
                side.close()
    else:
        con = sqlite_open(root)
        try:
            walls_cpu = [timed(sqlite_work(con, workload, w, rep + 1), count, workload)
                         for rep in range(reps)]
        finally:
            con.close()
    extra: dict[str, float] = {}
    if PROFILE and profile:
        import pstats

        PROFILE[0].dump_stats(profile)
        calls = pstats.Stats(PROFILE[0]).total_calls  # type: ignore[attr-defined]
        extra["calls_per_op"] = calls / (count * len(walls_cpu))
    for wall, cpu in walls_cpu:
        walls.append(wall)
        cpus.append(cpu)
    total = count * len(walls_cpu)
    return {"engine": engine, "workload": workload, "n": n, "ops": count,
            "user_us_per_op": USAGE["ru_utime"] / total * 1e6,
            "sys_us_per_op": USAGE["ru_stime"] / total * 1e6,
            "minflt_per_op": USAGE["ru_minflt"] / total,
            "majflt_per_op": USAGE["ru_majflt"] / total, **extra,
            "us_per_op": statistics.median(walls) / count * 1e6,
            "cpu_us_per_op": statistics.median(cpus) / count * 1e6,
            "peak_rss_kib": peak_rss_kib(), "peak_anon_kib": anon.stop(),
            "base_rss_kib": base_kib, "file_rss_kib": _status("RssFile"), "mode": mode}


def _mode() -> str:
    """Which build of pyese this child runs (compiled or the pure-Python source)."""
    from pyese import _buildmode

    return _buildmode.describe()


# -- the parent: every N, engine and workload in a child; the table and the verdict --------


Figures = dict[tuple[int, str, str], dict[str, Any]]


def run_child(engine: str, workload: str, n: int, root: str, ops: int, passes: int
              ) -> dict[str, Any]:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", engine, workload, str(n),
           root, "--ops", str(ops), "--passes", str(passes)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{engine} {workload} n={n} failed ({out.returncode}):\n"
                           f"{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(sizes: list[int], ops: int, passes: int, base: str | None,
            progress: bool = True) -> Figures:
    figs: Figures = {}
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix=f"bench-scale-{label(n)}-", dir=base) as tmp:
            roots = {e: os.path.join(tmp, e) for e in ENGINES}
            for d in roots.values():
                os.makedirs(d)
            for workload in WORKLOADS:  # pyese then sqlite3, workload by workload
                for engine in ENGINES:
                    t0 = time.perf_counter()
                    fig = run_child(engine, workload, n, roots[engine], ops, passes)
                    figs[(n, workload, engine)] = fig
                    if progress:
                        print(f"  n={n:>9,} {workload:<10} {engine:<7} "
                              f"{fig['us_per_op']:9.1f} us/op (CPU {fig['cpu_us_per_op']:7.1f})"
                              f"  peak RSS {mib(fig['peak_rss_kib']):>5} MiB (anonymous "
                              f"{mib(fig['peak_anon_kib']):>4})  "
                              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    return figs


def mib(kib: float) -> str:
    return f"{kib / 1024:.0f}"


def report(figs: Figures, sizes: list[int]) -> list[str]:
    """Print the table and the verdict; returns the verdict lines.

    The verdict judges CPU time per op (this process's user + system time: on a shared
    machine the wall clock mostly measures the other processes): a workload is "flat" when
    pyese's grows by at most ``FLAT`` times from the smallest N to the largest, and the
    growth is set beside sqlite3's (which pays the same bigger working set: more pages,
    more cache misses). Memory is "bounded" when pyese's peak anonymous RSS grows by at most
    ``BOUNDED_MIB``; the file LMDB maps counts in RSS too, as page cache the kernel can drop.
    """
    modes = sorted({f.get("mode", "") for f in figs.values()} - {""})
    print(f"\n== scaling: {', '.join(f'{n:,}' for n in sizes)} rows, one secondary index; "
          f"pyese mode: {'; '.join(modes) or 'unknown'} ==")
    print(f"{'':21}{'us per op (wall)':^25}{'CPU us per op':^25}{'peak RSS, MiB':^24}")
    print(f"{'N':>9} {'workload':<11}{'pyese':>8}{'sqlite3':>9}{'ratio':>8}"
          f"{'pyese':>8}{'sqlite3':>9}{'ratio':>8}{'pyese':>7}{'(anon)':>8}{'sqlite3':>9}")
    for n in sizes:
        for workload in WORKLOADS:
            p, q = figs[(n, workload, "pyese")], figs[(n, workload, "sqlite3")]
            print(f"{n:>9,} {workload:<11}{p['us_per_op']:>8.1f}{q['us_per_op']:>9.2f}"
                  f"{q['us_per_op'] / p['us_per_op']:>8.3f}"
                  f"{p['cpu_us_per_op']:>8.1f}{q['cpu_us_per_op']:>9.2f}"
                  f"{q['cpu_us_per_op'] / p['cpu_us_per_op']:>8.3f}"
                  f"{mib(p['peak_rss_kib']):>7}{'(' + mib(p['peak_anon_kib']) + ')':>8}"
                  f"{mib(q['peak_rss_kib']):>9}")
    print("ratio = pyese ops/s / sqlite3 ops/s (above 1: pyese faster); anon = pyese's peak "
          "anonymous RSS (the rest is the LMDB-mapped database file)")
    lo, hi = sizes[0], sizes[-1]
    lines: list[str] = []
    if lo == hi:
        return lines
    growth, steep = [], []
    for workload in WORKLOADS:
        g = {e: figs[(hi, workload, e)]["cpu_us_per_op"]
             / figs[(lo, workload, e)]["cpu_us_per_op"] for e in ENGINES}
        wall = (figs[(hi, workload, "pyese")]["us_per_op"]
                / figs[(lo, workload, "pyese")]["us_per_op"])
        growth.append(f"{workload} {g['pyese']:.2f}x (sqlite3 {g['sqlite3']:.2f}x; "
                      f"wall {wall:.2f}x)")
        if g["pyese"] > FLAT:
            steep.append(workload + (" (less than sqlite3's)" if g["pyese"] < g["sqlite3"]
                                     else " (MORE than sqlite3's)"))
    anon_load = {n: figs[(n, "load", "pyese")]["peak_anon_kib"] for n in (lo, hi)}
    anon_q = {n: max(figs[(n, wl, "pyese")]["peak_anon_kib"] for wl in WORKLOADS
                     if wl != "load") for n in (lo, hi)}
    rss = {n: max(figs[(n, wl, "pyese")]["peak_rss_kib"] for wl in WORKLOADS)
           for n in (lo, hi)}
    anon = {n: max(anon_load[n], anon_q[n]) for n in (lo, hi)}
    bounded = anon[hi] - anon[lo] <= BOUNDED_MIB * 1024
    verdict = ("flat" if not steep else
               f"flat except {', '.join(steep)}" if len(steep) < len(WORKLOADS) else "NOT flat")
    lines.append(f"verdict: pyese CPU per op from {lo:,} to {hi:,} rows: "
                 + "; ".join(growth) + f" -> {verdict} (flat: grows <= {FLAT}x)")
    lines.append(f"verdict: pyese peak anonymous RSS {mib(anon_load[lo])} -> "
                 f"{mib(anon_load[hi])} MiB in the load, {mib(anon_q[lo])} -> "
                 f"{mib(anon_q[hi])} MiB in the other workloads; peak RSS with the mapped "
                 f"file {mib(rss[lo])} -> {mib(rss[hi])} "
                 f"MiB -> anonymous memory {'bounded' if bounded else 'GROWS with the table'}"
                 f" (bounded: grows by <= {BOUNDED_MIB} MiB)")
    for line in lines:
        print(line)
    return lines


def emit_all(figs: Figures, sizes: list[int]) -> None:
    for n in sizes:
        for workload in WORKLOADS:
            p, q = figs[(n, workload, "pyese")], figs[(n, workload, "sqlite3")]
            emit(f"scale_{workload}_{label(n)}", 1e6 / p["us_per_op"],
                 sqlite3=1e6 / q["us_per_op"],
                 extra={"pyese_cpu": 1e6 / p["cpu_us_per_op"],
                        "peak_rss_mib": p["peak_rss_kib"] / 1024,
                        "peak_anon_mib": p["peak_anon_kib"] / 1024,
                        "peak_rss_mib_sqlite3": q["peak_rss_kib"] / 1024})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="10^4 and 10^5 rows only (also under run_all.py --quick)")
    ap.add_argument("--max", type=int, default=SIZES[-1], help="the largest N to run")
    ap.add_argument("--sizes", default="", help="comma-separated Ns instead of 10^4..10^6")
    ap.add_argument("--ops", type=int, default=20_000,
                    help="seeks and range rows per pass (updates and inserts: a quarter)")
    ap.add_argument("--passes", type=int, default=3,
                    help="passes of seek, range_rows and update per child (the median)")
    ap.add_argument("--dir", default=None, help="where the databases go (default: $TMPDIR)")
    ap.add_argument("--json", metavar="FILE", help="also write the raw figures here")
    ap.add_argument("--from", dest="load_from", metavar="FILE",
                    help="print the table and verdict of a --json FILE instead of measuring")
    ap.add_argument("--profile", metavar="FILE",
                    help="with --child: cProfile statistics of the timed passes to FILE")
    ap.add_argument("--child", nargs=4, metavar=("ENGINE", "WORKLOAD", "N", "ROOT"),
                    help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        engine, workload, n, root = a.child
        print(json.dumps(child(engine, workload, int(n), root, a.ops, a.passes, a.profile)))
        return 0
    if a.load_from:
        with open(a.load_from) as f:
            figs = {(r["n"], r["workload"], r["engine"]): r for r in json.load(f)}
        report(figs, sorted({n for n, _, _ in figs}))
        return 0
    if a.sizes:
        sizes = [int(x) for x in a.sizes.split(",") if x]
    else:
        top = min(a.max, SIZES[1] if (a.quick or quick()) else SIZES[-1])
        sizes = [n for n in SIZES if n <= top] or [top]
    print(f"bench_scale: N = {', '.join(f'{n:,}' for n in sizes)}; ops {a.ops} per pass "
          f"(updates/inserts {max(1, a.ops // 4)}), {a.passes} passes; a child per workload",
          flush=True)
    figs = measure(sizes, a.ops, a.passes, a.dir)
    report(figs, sizes)
    emit_all(figs, sizes)
    if a.json:
        with open(a.json, "w") as f:
            json.dump([figs[k] for k in sorted(figs)], f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
