"""The Pythonic layer side by side: vs the JET path, sqlite3, LMDB, and dict stores.

Three parts, each printed as a table with ratios (not a test; nothing here asserts a time):

1. ``records``: ``bench_records.py``'s workloads (same ``Work``: id Long primary key,
   name Text with a secondary index, payload Binary of 100 bytes) through ``pyese``'s
   layer, next to the same work written directly on ``pyese.jet`` (``bench_jet_same``:
   the same results, every value decoded, a dict per row), sqlite3 (prepared statements,
   WAL, synchronous=FULL) and raw LMDB (``bench_records``), each side ``--rounds`` times
   interleaved, the best of each:

   - ``insert``: ``t.insert(row)`` in transactions of ``--batch`` rows, durable commits;
   - ``insert_many``: ``db.insert_many`` of the same rows (the JET path: as ``insert``);
   - ``get, in trx``: ``t.get(id)`` in random order in one read-only transaction, the
     whole row;
   - ``range, columns=``: ``t.range(index="byname", start=, stop=, columns=["payload"])``,
     an op is a row (the JET path: SeekGE + SetIndexRange + MoveNext reading payload);
   - ``range, full rows``: the same without ``columns=``.

2. ``genuine``: ``range(columns=every column)`` over the largest table of a genuine
   Windows file (SRUDB) vs the CLI's dump reader (``pyese dump``'s ``typed_rows``).

3. ``dict``: ``pyese.PersistentDict`` vs ``sqlitedict``, ``diskcache`` and ``shelve``
   (install the ``bench`` extra), lazy and durable commits, 64-byte values: sequential
   inserts, random inserts, cached lookups, range queries (ManagedEsent's published
   PersistentDictionary figures are printed beside them for reference).

``--many N`` instead runs ``db.insert_many`` of N rows under ``tracemalloc`` and prints
its peak, the peak RSS and the peak anonymous RSS (the 1,000,000-row check of issue 13).

Run: ``python bench/bench_pythonic.py [-n 5000] [--only records,dict,genuine]``.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import resource
import shelve
import struct
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import bench_records as BR  # noqa: E402
from _results import emit, quick  # noqa: E402

import pyese  # noqa: E402

Result = dict[str, float]

MANAGEDESENT = {  # PersistentDictionary's published figures (ops/s), for reference
    "sequential insert": 32_000, "random insert": 17_000, "cached lookup": 137_000,
    "range query": 14_000,
}


CLOCK: Callable[[], float] = time.perf_counter
"""What ``_timed`` reads: wall time, or with ``--clock cpu`` this process's CPU time
(``time.process_time``), which a machine shared with other busy processes disturbs far
less; it leaves out waits for fsync, equally for every side."""


def _timed(res: Result, label: str, ops: int, fn: Callable[[], int | None]) -> None:
    t0 = CLOCK()
    got = fn()
    dt = CLOCK() - t0
    if got is not None and got != ops:
        raise AssertionError(f"{label}: expected {ops}, saw {got}")
    res[label] = ops / dt


# -- 1. records ----------------------------------------------------------------------


def bench_layer(root: str, w: BR.Work) -> Result:
    res: Result = {}
    with pyese.Instance(root, max_ver_pages=16384) as inst:
        db = inst.open_database("bench.edb")
        db.create_table("t", {"id": pyese.Long, "name": pyese.Column(pyese.Text, cp=1200),
                              "payload": pyese.Binary},
                        {"primary": pyese.Index("+id", primary=True), "byname": "+name"})

        def insert() -> None:
            for lo in range(0, w.n, w.batch):
                with inst.transaction() as tx:
                    t = tx.table("t")
                    for i in range(lo, min(lo + w.batch, w.n)):
                        t.insert({"id": i, "name": w.name(i), "payload": w.payload(i)})

        def get() -> int:
            with inst.transaction(read_only=True) as tx:
                t = tx.table("t")
                return sum(1 for i in w.seek_order() if t.get(i) is not None)

        def scan(columns: list[str] | None) -> Callable[[], int]:
            def run() -> int:
                rows = 0
                with inst.transaction(read_only=True) as tx:
                    t = tx.table("t")
                    for k in w.scan_starts():
                        for row in t.range(index="byname", start=f"n{k:08d}",
                                           stop=f"n{k + w.scan_len:08d}", columns=columns):
                            rows += row["payload"] is not None
                return rows
            return run

        db.create_table("m", {"id": pyese.Long, "name": pyese.Column(pyese.Text, cp=1200),
                              "payload": pyese.Binary},
                        {"primary": pyese.Index("+id", primary=True), "byname": "+name"})

        def insert_many() -> int:
            return db.insert_many("m", ({"id": i, "name": w.name(i), "payload": w.payload(i)}
                                        for i in range(w.n)), batch=w.batch)

        _timed(res, "insert", w.n, insert)
        _timed(res, "insert_many", w.n, insert_many)
        _timed(res, "get, in trx", w.n, get)
        _timed(res, "range, columns=", w.scans * w.scan_len, scan(["payload"]))
        _timed(res, "range, full rows", w.scans * w.scan_len, scan(None))
    return res


def bench_jet_same(root: str, w: BR.Work) -> Result:
    """The layer's workloads written directly on ``pyese.jet``, delivering the same
    results: every value decoded to a Python object, one dict per row (the layer's
    ``Row`` holds one). ``get`` reads the whole row with one ``JetRetrieveColumns``;
    ``range`` stops before ``stop`` as the layer's does. The ratio layer/this is the
    layer's own cost."""
    from pyese import jet

    i32 = struct.Struct("<i")
    inst = jet.JetCreateInstance("bench_pythonic_jet")
    for pid, value in ((jet.JET_paramSystemPath, root + "/"),
                       (jet.JET_paramLogFilePath, root + "/")):
        jet.JetSetSystemParameter(inst, 0, pid, 0, value)
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramCircularLog, 1)
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramMaxVerPages, 16384, None)
    jet.JetInit(inst)
    res: Result = {}
    try:
        s = jet.JetBeginSession(inst)
        db = jet.JetCreateDatabase(s, os.path.join(root, "bench.edb"))
        tables = {}
        for name in ("t", "m"):
            t = jet.JetCreateTable(s, db, name)
            cols = (jet.JetAddColumn(s, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong)),
                    jet.JetAddColumn(s, t, "name", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText,
                                                                     cp=1200)),
                    jet.JetAddColumn(s, t, "payload",
                                     jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary)))
            jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
            jet.JetCreateIndex(s, t, "byname", 0, "+name\0\0")
            tables[name] = (t, cols)
        t, (cid, cname, cpay) = tables["t"]

        def load(name: str) -> Callable[[], None]:
            tid, (a, b, c) = tables[name]
            sets = [jet.JET_SETCOLUMN(columnid=x, itagSequence=1) for x in (a, b, c)]

            def run() -> None:
                for lo in range(0, w.n, w.batch):
                    jet.JetBeginTransaction(s)
                    for i in range(lo, min(lo + w.batch, w.n)):
                        sets[0].pvData = i32.pack(i)
                        sets[1].pvData = w.name(i).encode("utf-16-le")
                        sets[2].pvData = w.payload(i)
                        jet.JetPrepareUpdate(s, tid, jet.JET_prepInsert)
                        jet.JetSetColumns(s, tid, sets)
                        jet.JetUpdate(s, tid)
                    jet.JetCommitTransaction(s)
            return run

        full = [jet.JET_RETRIEVECOLUMN(columnid=x, itagSequence=1) for x in (cid, cname, cpay)]

        def row_of(rcs: list[Any]) -> dict[str, Any]:
            a, b, c = (rc.pvData for rc in rcs)
            return {"id": None if a is None else i32.unpack(a)[0],
                    "name": None if b is None else b.decode("utf-16-le"), "payload": c}

        def get() -> int:
            seen = 0
            jet.JetBeginTransaction2(s, jet.JET_bitTransactionReadOnly)
            jet.JetSetCurrentIndex(s, t, "primary")
            for i in w.seek_order():
                jet.JetMakeKey(s, t, i32.pack(i), jet.JET_bitNewKey)
                try:
                    jet.JetSeek(s, t, jet.JET_bitSeekEQ)
                except jet.RecordNotFoundError:
                    continue
                jet.JetRetrieveColumns(s, t, full)
                seen += row_of(full) is not None
            jet.JetCommitTransaction(s)
            return seen

        def scan(columns: bool) -> Callable[[], int]:
            pay = [jet.JET_RETRIEVECOLUMN(columnid=cpay, itagSequence=1)]

            def run() -> int:
                rows = 0
                jet.JetBeginTransaction2(s, jet.JET_bitTransactionReadOnly)
                jet.JetSetCurrentIndex(s, t, "byname")
                for k in w.scan_starts():
                    jet.JetMakeKey(s, t, f"n{k:08d}".encode("utf-16-le"), jet.JET_bitNewKey)
                    jet.JetSeek(s, t, jet.JET_bitSeekGE)
                    jet.JetMakeKey(s, t, f"n{k + w.scan_len:08d}".encode("utf-16-le"),
                                   jet.JET_bitNewKey)
                    jet.JetSetIndexRange(s, t, jet.JET_bitRangeUpperLimit)
                    while True:
                        if columns:
                            jet.JetRetrieveColumns(s, t, pay)
                            row = {"payload": pay[0].pvData}
                        else:
                            jet.JetRetrieveColumns(s, t, full)
                            row = row_of(full)
                        rows += row["payload"] is not None
                        try:
                            jet.JetMove(s, t, jet.JET_MoveNext)
                        except jet.NoCurrentRecordError:
                            break
                jet.JetCommitTransaction(s)
                return rows
            return run

        _timed(res, "insert", w.n, load("t"))
        _timed(res, "insert_many", w.n, load("m"))
        _timed(res, "get, in trx", w.n, get)
        _timed(res, "range, columns=", w.scans * w.scan_len, scan(True))
        _timed(res, "range, full rows", w.scans * w.scan_len, scan(False))
        jet.JetEndSession(s)
    finally:
        jet.JetTerm2(inst, 0)
    return res


PEER_NAMES = {"insert": "insert", "insert_many": "insert", "get, in trx": "seek, in trx",
              "range, columns=": "range scan"}
# the layer's label -> bench_records' label for sqlite3 and LMDB (the same work there)
# the printed label -> the stable name in ``run_all.py --json`` (peers: the same work)
JSON_NAMES = {"insert": "py_insert", "insert_many": "py_insert_many", "get, in trx": "py_get",
              "range, columns=": "py_range_rows", "range, full rows": "py_range_full_rows"}


def records(w: BR.Work, rounds: int) -> None:
    """Each side ``rounds`` times, interleaved (layer, jet, sqlite3, lmdb, layer, ...);
    each side's best figure per workload, so a burst of load from other processes
    during one side's turn does not decide a ratio."""
    sides: dict[str, Result] = {}
    runs = (("layer", bench_layer), ("jet", bench_jet_same), ("sqlite3", BR.bench_sqlite),
            ("lmdb", BR.bench_lmdb))
    for _ in range(rounds):
        for name, fn in runs:
            with tempfile.TemporaryDirectory(prefix=f"bench-pythonic-{name}-") as root:
                got = fn(root, w)
            best = sides.setdefault(name, {})
            for label, value in got.items():
                best[label] = max(best.get(label, 0.0), value)
    print(f"\n== records: n={w.n} batch={w.batch} scans={w.scans}x{w.scan_len}, best of "
          f"{rounds} interleaved rounds ==")
    print(f"{'workload':<18}{'layer':>10}{'jet':>10}{'sqlite3':>10}{'lmdb':>10}"
          f"{'layer/jet':>11}{'layer/sqlite3':>15}{'layer/lmdb':>12}")
    for label in ("insert", "insert_many", "get, in trx", "range, columns=",
                  "range, full rows"):
        lay = sides["layer"][label]
        j = sides["jet"].get(label, float("nan"))
        peer = PEER_NAMES.get(label)
        s, m = ((sides[k].get(peer, float("nan")) if peer else float("nan"))
                for k in ("sqlite3", "lmdb"))
        print(f"{label:<18}{lay:>10.0f}{j:>10.0f}{s:>10.0f}{m:>10.0f}"
              f"{lay / j:>11.2f}{lay / s:>15.3f}{lay / m:>12.3f}")
        emit(JSON_NAMES[label], lay, sqlite3=s, lmdb=m, jet=j)
    clock = "CPU time of this process" if CLOCK is time.process_time else "wall time"
    print("jet = the same work written on pyese.jet (values decoded, a dict per row); "
          f"layer/jet >= 0.85 is the goal; {clock}")


# -- 2. genuine ----------------------------------------------------------------------


def genuine() -> None:
    src = Path("/work/shared/testdata/edb/SRUDB-win10.dat.gz")
    if not src.exists():
        print("\n== genuine: SRUDB sample not available, skipped ==")
        return
    from pyese.cli import _open, typed_rows
    from pyese.engine.cursors.tablescan import TableReader

    with tempfile.TemporaryDirectory(prefix="bench-pythonic-genuine-") as root:
        path = os.path.join(root, "SRUDB.dat")
        Path(path).write_bytes(gzip.decompress(src.read_bytes()))
        edb, snap, catalog = _open(path)
        inst = pyese.Instance(os.path.join(root, "inst"))
        with edb, inst:
            tables = [(catalog.table(n), n) for n in catalog.names()]
            counts = {n: sum(1 for _ in TableReader(snap, t).records()) for t, n in tables}
            name = max(counts, key=lambda n: counts[n])
            table = catalog.table(name)
            cols = table.column_list()
            db = inst.open_database(path, read_only=True)
            names = [c.name for c in db.columns(name)]
            cli = layer = 0.0
            n_cli = 0
            # the best of 5 passes each, alternated, so both see the same machine load
            for _ in range(5):
                t0 = CLOCK()
                n_cli = sum(1 for _ in typed_rows(TableReader(snap, table), cols))
                cli = max(cli, n_cli / (CLOCK() - t0))
                with inst.transaction(read_only=True) as tx:
                    t0 = CLOCK()
                    n_layer = sum(1 for _ in tx.table(name).range(columns=names))
                    layer = max(layer, n_layer / (CLOCK() - t0))
    emit("py_genuine_range_rows", layer, cli_dump=cli)
    print(f"\n== genuine: {name!r} of SRUDB ({n_cli} rows, {len(cols)} columns) ==")
    print(f"layer range(columns=all) {layer:>9.0f} rows/s   CLI dump reader {cli:>9.0f} rows/s"
          f"   layer/CLI {layer / cli:.2f}")


# -- 3. dict stores ------------------------------------------------------------------


class _Store:
    """One dict-like store under test: open(path) -> mapping, close, sync."""

    def __init__(self, name: str, opener: Callable[[str], object],
                 closer: Callable[[object], None], note: str) -> None:
        self.name, self.opener, self.closer, self.note = name, opener, closer, note


def _stores() -> list[_Store]:
    out = [
        _Store("pyese lazy", lambda p: pyese.PersistentDict(p, lazy=True),
               lambda d: d.close(), "JET_bitCommitLazyFlush per mutation"),  # type: ignore[attr-defined]
        _Store("pyese durable", lambda p: pyese.PersistentDict(p),
               lambda d: d.close(), "log fsynced at each mutation's commit"),  # type: ignore[attr-defined]
    ]
    try:
        from sqlitedict import SqliteDict

        out += [
            _Store("sqlitedict lazy", lambda p: SqliteDict(p + ".sqlite", autocommit=False),
                   lambda d: (d.commit(), d.close()), "one commit at the end"),  # type: ignore[attr-defined]
            _Store("sqlitedict durable", lambda p: SqliteDict(p + ".sqlite", autocommit=True),
                   lambda d: d.close(), "autocommit: a commit per write (journal, "  # type: ignore[attr-defined]
                   "synchronous=FULL)"),
        ]
    except ImportError:
        print("sqlitedict not installed (pip install .[bench])")
    try:
        import diskcache

        out += [
            _Store("diskcache lazy", lambda p: diskcache.Cache(p),
                   lambda d: d.close(), "WAL, synchronous=NORMAL (default)"),  # type: ignore[attr-defined]
            _Store("diskcache durable", lambda p: diskcache.Cache(p, sqlite_synchronous=2),
                   lambda d: d.close(), "WAL, synchronous=FULL"),  # type: ignore[attr-defined]
        ]
    except ImportError:
        print("diskcache not installed (pip install .[bench])")
    out.append(_Store("shelve lazy", lambda p: shelve.open(p + ".shelf"),
                      lambda d: d.close(), "dbm, no fsync (no durable mode)"))  # type: ignore[attr-defined]
    return out


def bench_dict(n: int, lookups: int, ranges: int) -> None:
    value = "v" * 64
    keys = [f"{i:08d}" for i in range(n)]
    shuffled = keys[:]
    random.Random(3).shuffle(shuffled)
    rows = []
    for store in _stores():
        res: Result = {}
        with tempfile.TemporaryDirectory(prefix="bench-dict-") as root:
            for label, order in (("sequential insert", keys), ("random insert", shuffled)):
                d = store.opener(os.path.join(root, label.split()[0]))

                def fill(d: object = d, order: list[str] = order) -> None:
                    for k in order:
                        d[k] = value  # type: ignore[index]
                _timed(res, label, n, fill)
                if label == "random insert":
                    probe = [shuffled[i % n] for i in range(lookups)]

                    def look(d: object = d, probe: list[str] = probe) -> int:
                        return sum(1 for k in probe if d[k] == value)  # type: ignore[index]
                    _timed(res, "cached lookup", lookups, look)
                    if isinstance(d, pyese.PersistentDict):
                        starts = [random.Random(4).randrange(n - 10) for _ in range(ranges)]

                        def rq(d: pyese.PersistentDict[str, str] = d,
                               starts: list[int] = starts) -> None:
                            for s in starts:
                                sum(1 for _ in d.range(keys[s], keys[s + 10]))
                        _timed(res, "range query", ranges, rq)
                store.closer(d)
        rows.append((store, res))
    print(f"\n== dict: {n} keys, 64-byte values, {lookups} lookups, ranges of 10 ==")
    labels = ("sequential insert", "random insert", "cached lookup", "range query")
    print(f"{'store':<20}" + "".join(f"{lab:>19}" for lab in labels) + "   durability")
    for store, res in rows:
        print(f"{store.name:<20}" + "".join(f"{res.get(lab, float('nan')):>19.0f}"
                                            for lab in labels) + f"   {store.note}")
    print(f"{'ManagedEsent (pub.)':<20}" + "".join(f"{MANAGEDESENT[lab]:>19}"
                                                for lab in labels) + "   published, C#")
    by = {s.name: r for s, r in rows}
    durable = by.get("pyese durable", {})
    for label, name in (("random insert", "pdict_set"), ("cached lookup", "pdict_get")):
        if label in durable:
            emit(name, durable[label], **{peer: by.get(f"{peer} durable", {}).get(
                label, float("nan")) for peer in ("sqlitedict", "diskcache", "shelve")})
    print("ratios pyese/peer (same durability):")
    for mode in ("lazy", "durable"):
        ours = by.get(f"pyese {mode}", {})
        for peer in ("sqlitedict", "diskcache", "shelve"):
            other = by.get(f"{peer} {mode}")
            if other is None:
                continue
            print(f"  {mode:<8}{peer:<12}" + "".join(
                f"{ours.get(lab, float('nan')) / other.get(lab, float('nan')):>19.2f}"
                for lab in labels[:3]))


# -- insert_many memory --------------------------------------------------------------


class _AnonPeak:
    """The peak of the process's anonymous resident memory (``RssAnon``: the heap, not
    the file pages LMDB maps), sampled every 0.2 s by a thread; 0 where ``/proc`` has no
    such line."""

    def __init__(self, progress: Callable[[], int] | None = None, every: float = 0,
                 trace: bool = False) -> None:
        self.peak = 0
        self._progress = progress
        self._every = every
        self._trace = trace
        self._t0 = time.perf_counter()
        self._last = self._t0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def sample() -> int:
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while True:
            self.peak = max(self.peak, self.sample())
            now = time.perf_counter()
            if self._progress is not None and self._every and now - self._last >= self._every:
                self._last = now
                traced = ""
                if self._trace:
                    cur, peak = tracemalloc.get_traced_memory()
                    traced = f", tracemalloc now {cur / 2**20:.1f} MiB peak {peak / 2**20:.1f}"
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                print(f"  {now - self._t0:6.0f} s: {self._progress()} rows{traced}, peak RSS "
                      f"{rss / 1024:.0f} MiB, anonymous now {self.sample() / 1024:.0f} MiB",
                      flush=True)
            if self._stop.wait(0.2):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.sample())


def many(n: int, trace: bool = True, progress: float = 0) -> None:
    """insert_many of ``n`` rows: the time, the tracemalloc peak (unless ``trace`` is False:
    tracemalloc slows Python allocation several times) and the process's peak RSS."""
    with tempfile.TemporaryDirectory(prefix="bench-many-") as root:
        with pyese.Instance(root) as inst:  # the default (small) version store
            db = inst.open_database("many.edb")
            db.create_table("t", {"id": pyese.Long, "name": pyese.Column(pyese.Text),
                                  "payload": pyese.Binary},
                            {"primary": pyese.Index("+id", primary=True), "byname": "+name"})
            done = [0]

            def make_rows() -> Iterator[dict[str, Any]]:
                for i in range(n):
                    done[0] = i
                    yield {"id": i, "name": f"n{(i * 7919) % n:08d}", "payload": bytes(100)}

            rows = make_rows()
            if trace:
                tracemalloc.start()
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            anon = _AnonPeak(progress=lambda: done[0], every=progress, trace=trace)
            t0 = time.perf_counter()
            c0 = time.process_time()
            got = db.insert_many("t", rows, lazy=True)
            dt = time.perf_counter() - t0
            cpu = time.process_time() - c0
            anon.stop()
            what = ""
            if trace:
                _cur, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                what = f"tracemalloc peak {peak / 2**20:.1f} MiB, "
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            what += (f"peak RSS {rss / 1024:.0f} MiB (before the load {rss0 / 1024:.0f} MiB;"
                     f" of it anonymous memory at most {anon.peak / 1024:.0f} MiB, the rest"
                     f" the database file mapped by LMDB)")
            with inst.transaction(read_only=True) as tx:
                count = len(tx.table("t"))
    emit("py_insert_many_1m" if n >= 1_000_000 else "py_insert_many_big", got / dt)
    print(f"\n== insert_many: {got} rows ({count} counted) in {dt:.0f} s "
          f"({got / dt:.0f} rows/s; CPU time {cpu:.0f} s, {got / cpu:.0f} rows per CPU "
          f"second), {what} ==")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    small = quick()
    ap.add_argument("-n", type=int, default=1000 if small else 5000, help="rows / keys")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--scans", type=int, default=10 if small else 50)
    ap.add_argument("--scan-len", type=int, default=100)
    ap.add_argument("--lookups", type=int, default=1000 if small else 5000)
    ap.add_argument("--ranges", type=int, default=100 if small else 500)
    ap.add_argument("--only", default="records,genuine,dict")
    ap.add_argument("--rounds", type=int, default=1 if small else 3,
                    help="records: interleaved rounds per side (the best counts)")
    ap.add_argument("--many", type=int, default=0, help="run only insert_many of N rows")
    ap.add_argument("--no-trace", action="store_true", help="--many: peak RSS instead of "
                    "tracemalloc (which slows allocation several times)")
    ap.add_argument("--progress", type=float, default=0, help="--many: print the row count "
                    "and memory every this many seconds")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="time with the wall clock, or this process's CPU time (records "
                    "and dict parts; on a shared, busy machine)")
    a = ap.parse_args(argv)
    if a.clock == "cpu":
        global CLOCK
        CLOCK = time.process_time
        BR._timed = _timed  # sqlite3 and LMDB on the same clock
    if a.many:
        many(a.many, trace=not a.no_trace, progress=a.progress)
        return 0
    parts = set(a.only.split(","))
    if "records" in parts:
        records(BR.Work(a.n, a.batch, a.scans, a.scan_len, 1, 1024, 1), a.rounds)
    if "genuine" in parts:
        genuine()
    if "dict" in parts:
        bench_dict(a.n, a.lookups, a.ranges)
    return 0


if __name__ == "__main__":
    sys.exit(main())
