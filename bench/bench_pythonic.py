"""The Pythonic layer side by side: vs the JET path, sqlite3, LMDB, and dict stores.

Four parts, each printed as a table with ratios (not a test; nothing here asserts a time):

1. ``records``: ``bench_records.py``'s workloads (id Long primary key, name Text with a
   secondary index, payload Binary of 100 bytes) through ``pyese``'s layer, next to the
   same work written directly on ``pyese.jet`` (``JetSide``: the same results, every
   value decoded, a dict per row). Both sides are open in this one process and take
   turns: ``--repeats`` rounds, each round every workload on both sides (which side goes
   first alternates), each timed by the wall clock and by the calling thread's CPU time;
   the median of the rounds' layer/JET ratios is printed for both clocks:

   - ``insert``: ``t.insert(row)`` in transactions of ``--batch`` rows, durable commits;
   - ``insert_many``: ``db.insert_many`` of the same rows (the JET path: as ``insert``);
   - ``get, in trx``: ``t.get(id)`` in random order in one read-only transaction, the
     whole row;
   - ``range, columns=``: ``t.range(index="byname", start=, stop=, columns=["payload"])``,
     an op is a row (the JET path: SeekGE + SetIndexRange + MoveNext reading payload);
   - ``range, full rows``: the same without ``columns=``.

   sqlite3 (prepared statements, WAL, synchronous=FULL) and raw LMDB run
   ``bench_records``' same work once, for scale (``--no-peers`` skips them).

2. ``genuine``: ``range(columns=every column)`` over the largest table of a genuine
   Windows file (SRUDB) vs the CLI's dump reader (``pyese dump``'s ``typed_rows``):
   ``--genuine-rounds`` rounds, both sides in each (alternating which goes first),
   medians of the rates and of the rounds' layer/CLI ratios.

3. ``sort``: ``tx.temp_table`` (rows as dicts in, ``Row`` objects out) against the same
   sort through the public batch calls (``PyeseInsertValues`` / ``PyeseRetrieveRows``)
   and sqlite3's ``CREATE TEMP TABLE`` + ``ORDER BY``, interleaved rounds, medians.

4. ``dict``: ``pyese.PersistentDict`` vs ``sqlitedict``, ``diskcache`` and ``shelve``
   (install the ``bench`` extra), lazy and durable commits, 64-byte values: sequential
   inserts, random inserts, cached lookups, range queries (ManagedEsent's published
   PersistentDictionary figures are printed beside them for reference).

``--many N`` instead runs ``db.insert_many`` of N rows under ``tracemalloc`` and prints
its peak, the peak RSS and the peak anonymous RSS (the 1,000,000-row check of issue 13).

Run: ``python bench/bench_pythonic.py [--records-n 2000] [--repeats 7]
[--only records,genuine,sort,dict]``.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import os
import random
import resource
import shelve
import statistics
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
    """``res[label]``: ops/s by ``CLOCK``; ``res[label + " cpu"]`` by this process's CPU
    time as well (the dict part prints both)."""
    t0, c0 = CLOCK(), time.process_time()
    got = fn()
    dt, cpu = CLOCK() - t0, time.process_time() - c0
    if got is not None and got != ops:
        raise AssertionError(f"{label}: expected {ops}, saw {got}")
    res[label] = ops / dt
    res[label + " cpu"] = ops / cpu if cpu > 0 else float("nan")


# -- 1. records ----------------------------------------------------------------------


class Plan:
    """The records work, cut into ``repeats`` equal rounds done by every side in turn.

    Round ``r`` inserts the ids ``[r * n, (r + 1) * n)`` (the tables grow by ``n`` rows a
    round on every side alike), then reads ``n`` random ids of what is there and
    ``scans`` ranges of ``scan_len`` names. Names are a permutation of every id, so
    name order is not id order and each name is unique."""

    def __init__(self, n: int, batch: int, scans: int, scan_len: int, repeats: int) -> None:
        self.n, self.batch, self.scans, self.scan_len = n, batch, scans, scan_len
        self.repeats = repeats
        self.total = n * repeats
        self.mult = 7919 if self.total % 7919 else 7927  # coprime with total: a permutation

    def name(self, i: int) -> str:
        return f"n{(i * self.mult) % self.total:08d}"

    @staticmethod
    def payload(i: int) -> bytes:
        return i.to_bytes(4, "little") * 25

    def ids(self, r: int) -> range:
        return range(r * self.n, (r + 1) * self.n)

    def seeks(self, r: int) -> list[int]:
        """``n`` ids among those inserted by rounds 0..r."""
        rnd = random.Random(100 + r)
        top = (r + 1) * self.n
        return [rnd.randrange(top) for _ in range(self.n)]

    def scan_starts(self, r: int) -> list[tuple[str, str]]:
        """``scans`` (start, stop) name pairs, each covering exactly ``scan_len`` names
        inserted by rounds 0..r (names are the numbers 0..total-1)."""
        rnd = random.Random(200 + r)
        have = sorted((i * self.mult) % self.total for i in range((r + 1) * self.n))
        out = []
        for _ in range(self.scans):
            k = rnd.randrange(0, len(have) - self.scan_len)
            out.append((f"n{have[k]:08d}", f"n{have[k + self.scan_len]:08d}"))
        return out


class LayerSide:
    """The records work through ``pyese``'s layer."""

    def __init__(self, root: str) -> None:
        self.inst = pyese.Instance(root, max_ver_pages=16384)
        self.inst.__enter__()
        self.db = self.inst.open_database("bench.edb")
        for name in ("t", "m"):
            self.db.create_table(
                name, {"id": pyese.Long, "name": pyese.Column(pyese.Text, cp=1200),
                       "payload": pyese.Binary},
                {"primary": pyese.Index("+id", primary=True), "byname": "+name"})

    def close(self) -> None:
        self.inst.close()

    def insert(self, p: Plan, ids: range) -> int:
        inst = self.inst
        for lo in range(ids.start, ids.stop, p.batch):
            with inst.transaction() as tx:
                t = tx.table("t")
                for i in range(lo, min(lo + p.batch, ids.stop)):
                    t.insert({"id": i, "name": p.name(i), "payload": p.payload(i)})
        return len(ids)

    def insert_many(self, p: Plan, ids: range) -> int:
        return self.db.insert_many("m", ({"id": i, "name": p.name(i),
                                          "payload": p.payload(i)} for i in ids),
                                   batch=p.batch)

    def get(self, seeks: list[int]) -> int:
        with self.inst.transaction(read_only=True) as tx:
            t = tx.table("t")
            return sum(1 for i in seeks if t.get(i) is not None)

    def scan(self, bounds: list[tuple[str, str]], columns: list[str] | None) -> int:
        rows = 0
        with self.inst.transaction(read_only=True) as tx:
            t = tx.table("t")
            for lo, hi in bounds:
                for row in t.range(index="byname", start=lo, stop=hi, columns=columns):
                    rows += row["payload"] is not None
        return rows


class JetSide:
    """The same work written directly on ``pyese.jet``, delivering the same results:
    every value decoded to a Python object, one dict per row (the layer's ``Row`` holds
    one). ``get`` reads the whole row with one ``JetRetrieveColumns``; ``range`` stops
    before ``stop`` as the layer's does. The ratio layer/this is the layer's own cost."""

    def __init__(self, root: str) -> None:
        from pyese import jet

        self.jet = jet
        self.i32 = struct.Struct("<i")
        inst = jet.JetCreateInstance("bench_pythonic_jet")
        for pid, value in ((jet.JET_paramSystemPath, root + "/"),
                           (jet.JET_paramLogFilePath, root + "/")):
            jet.JetSetSystemParameter(inst, 0, pid, 0, value)
        jet.JetSetSystemParameter(inst, 0, jet.JET_paramCircularLog, 1)
        jet.JetSetSystemParameter(inst, 0, jet.JET_paramMaxVerPages, 16384, None)
        jet.JetInit(inst)
        self.instance = inst
        s = self.s = jet.JetBeginSession(inst)
        db = jet.JetCreateDatabase(s, os.path.join(root, "bench.edb"))
        self.tables: dict[str, tuple[Any, tuple[Any, ...]]] = {}
        for name in ("t", "m"):
            t = jet.JetCreateTable(s, db, name)
            cols = (jet.JetAddColumn(s, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong)),
                    jet.JetAddColumn(s, t, "name", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText,
                                                                     cp=1200)),
                    jet.JetAddColumn(s, t, "payload",
                                     jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary)))
            jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
            jet.JetCreateIndex(s, t, "byname", 0, "+name\0\0")
            self.tables[name] = (t, cols)
        t, (cid, cname, cpay) = self.tables["t"]
        self.full = [jet.JET_RETRIEVECOLUMN(columnid=x, itagSequence=1)
                     for x in (cid, cname, cpay)]
        self.pay = [jet.JET_RETRIEVECOLUMN(columnid=cpay, itagSequence=1)]

    def close(self) -> None:
        self.jet.JetEndSession(self.s)
        self.jet.JetTerm2(self.instance, 0)

    def _load(self, table: str, p: Plan, ids: range) -> int:
        jet, s, pack = self.jet, self.s, self.i32.pack
        tid, (a, b, c) = self.tables[table]
        sets = [jet.JET_SETCOLUMN(columnid=x, itagSequence=1) for x in (a, b, c)]
        for lo in range(ids.start, ids.stop, p.batch):
            jet.JetBeginTransaction(s)
            for i in range(lo, min(lo + p.batch, ids.stop)):
                sets[0].pvData = pack(i)
                sets[1].pvData = p.name(i).encode("utf-16-le")
                sets[2].pvData = p.payload(i)
                jet.JetPrepareUpdate(s, tid, jet.JET_prepInsert)
                jet.JetSetColumns(s, tid, sets)
                jet.JetUpdate(s, tid)
            jet.JetCommitTransaction(s)
        return len(ids)

    def insert(self, p: Plan, ids: range) -> int:
        return self._load("t", p, ids)

    def insert_many(self, p: Plan, ids: range) -> int:
        return self._load("m", p, ids)

    def _row_of(self, rcs: list[Any]) -> dict[str, Any]:
        a, b, c = (rc.pvData for rc in rcs)
        return {"id": None if a is None else self.i32.unpack(a)[0],
                "name": None if b is None else b.decode("utf-16-le"), "payload": c}

    def get(self, seeks: list[int]) -> int:
        jet, s, pack, full = self.jet, self.s, self.i32.pack, self.full
        t = self.tables["t"][0]
        seen = 0
        jet.JetBeginTransaction2(s, jet.JET_bitTransactionReadOnly)
        jet.JetSetCurrentIndex(s, t, "primary")
        for i in seeks:
            jet.JetMakeKey(s, t, pack(i), jet.JET_bitNewKey)
            try:
                jet.JetSeek(s, t, jet.JET_bitSeekEQ)
            except jet.RecordNotFoundError:
                continue
            jet.JetRetrieveColumns(s, t, full)
            seen += self._row_of(full) is not None
        jet.JetCommitTransaction(s)
        return seen

    def scan(self, bounds: list[tuple[str, str]], columns: list[str] | None) -> int:
        jet, s, full, pay = self.jet, self.s, self.full, self.pay
        t = self.tables["t"][0]
        rows = 0
        jet.JetBeginTransaction2(s, jet.JET_bitTransactionReadOnly)
        jet.JetSetCurrentIndex(s, t, "byname")
        for lo, hi in bounds:
            jet.JetMakeKey(s, t, lo.encode("utf-16-le"), jet.JET_bitNewKey)
            jet.JetSeek(s, t, jet.JET_bitSeekGE)
            jet.JetMakeKey(s, t, hi.encode("utf-16-le"), jet.JET_bitNewKey)
            jet.JetSetIndexRange(s, t, jet.JET_bitRangeUpperLimit)
            while True:
                if columns:
                    jet.JetRetrieveColumns(s, t, pay)
                    row = {"payload": pay[0].pvData}
                else:
                    jet.JetRetrieveColumns(s, t, full)
                    row = self._row_of(full)
                rows += row["payload"] is not None
                try:
                    jet.JetMove(s, t, jet.JET_MoveNext)
                except jet.NoCurrentRecordError:
                    break
        jet.JetCommitTransaction(s)
        return rows


LABELS = ("insert", "insert_many", "get, in trx", "range, columns=", "range, full rows")
PEER_NAMES = {"insert": "insert", "insert_many": "insert", "get, in trx": "seek, in trx",
              "range, columns=": "range scan"}
# the layer's label -> bench_records' label for sqlite3 and LMDB (the same work there)
# the printed label -> the stable name in ``run_all.py --json`` (peers: the same work)
JSON_NAMES = {"insert": "py_insert", "insert_many": "py_insert_many", "get, in trx": "py_get",
              "range, columns=": "py_range_rows", "range, full rows": "py_range_full_rows"}


def _round(side: LayerSide | JetSide, label: str, p: Plan, r: int) -> tuple[int, float, float]:
    """Run round ``r`` of one workload on one side: (ops, wall seconds, CPU seconds)."""
    if label == "insert":
        job, ops = functools.partial(side.insert, p, p.ids(r)), p.n
    elif label == "insert_many":
        job, ops = functools.partial(side.insert_many, p, p.ids(r)), p.n
    elif label == "get, in trx":
        job, ops = functools.partial(side.get, p.seeks(r)), p.n
    else:
        columns = ["payload"] if label == "range, columns=" else None
        job = functools.partial(side.scan, p.scan_starts(r), columns)
        ops = p.scans * p.scan_len
    w0, c0 = time.perf_counter(), time.thread_time()
    got = job()
    wall, cpu = time.perf_counter() - w0, time.thread_time() - c0
    if got != ops:
        raise AssertionError(f"{label}: expected {ops}, saw {got}")
    return ops, wall, cpu


def records(p: Plan, peers: bool) -> None:
    """The layer and the JET path open side by side in this process; each workload runs
    ``p.repeats`` rounds, and in each round both sides do the same work one after the
    other (which goes first alternates), timed by the wall clock and by the CPU time of
    the calling thread (``time.thread_time``: the engine's background threads, which
    serve both instances of this process, are left out). A round's ratio is layer / JET;
    the median of the rounds is printed, so a burst of load from other processes during
    one side's turn moves one round, not the result. The inserts of round ``r`` come
    before its reads, so every read round finds the same rows on both sides. sqlite3 and
    LMDB run ``bench_records``' same work once, for scale."""
    rates: dict[str, dict[str, list[float]]] = {lab: {k: [] for k in ("lw", "lc", "jw", "jc")}
                                                for lab in LABELS}
    ratios: dict[str, dict[str, list[float]]] = {lab: {"wall": [], "cpu": []}
                                                 for lab in LABELS}
    with tempfile.TemporaryDirectory(prefix="bench-pythonic-") as root:
        os.makedirs(os.path.join(root, "layer"))
        os.makedirs(os.path.join(root, "jet"))
        layer = LayerSide(os.path.join(root, "layer"))
        try:
            jetside = JetSide(os.path.join(root, "jet"))
            try:
                for r in range(p.repeats):
                    for label in LABELS:
                        order = ((("l", layer), ("j", jetside)) if r % 2 == 0
                                 else (("j", jetside), ("l", layer)))
                        got: dict[str, tuple[float, float]] = {}
                        for key, side in order:
                            ops, wall, cpu = _round(side, label, p, r)
                            got[key] = (ops / wall, ops / cpu)
                        rec = rates[label]
                        rec["lw"].append(got["l"][0])
                        rec["lc"].append(got["l"][1])
                        rec["jw"].append(got["j"][0])
                        rec["jc"].append(got["j"][1])
                        ratios[label]["wall"].append(got["l"][0] / got["j"][0])
                        ratios[label]["cpu"].append(got["l"][1] / got["j"][1])
            finally:
                jetside.close()
        finally:
            layer.close()
    peer: dict[str, Result] = {}
    if peers:
        w = BR.Work(p.n, p.batch, p.scans, p.scan_len, 1, 1024, 1)
        for name, fn in (("sqlite3", BR.bench_sqlite), ("lmdb", BR.bench_lmdb)):
            with tempfile.TemporaryDirectory(prefix=f"bench-pythonic-{name}-") as root:
                peer[name] = fn(root, w)
    med = statistics.median
    print(f"\n== records: {p.repeats} rounds of n={p.n} rows (batch {p.batch}), "
          f"{p.scans}x{p.scan_len}-row ranges; the layer and the JET path interleaved "
          f"in one process, medians ==")
    print(f"{'workload':<18}{'layer':>9}{'jet':>9}{'layer/jet':>11}{'(min-max)':>12}"
          f"{'layer CPU':>11}{'jet CPU':>9}{'CPU ratio':>11}{'(min-max)':>12}"
          f"{'/sqlite3':>10}{'/lmdb':>8}")
    for label in LABELS:
        rec, rat = rates[label], ratios[label]
        lw, jw, lc, jc = (med(rec[k]) for k in ("lw", "jw", "lc", "jc"))
        name = PEER_NAMES.get(label)
        s3, lm = ((peer.get(k, {}).get(name, float("nan")) if name else float("nan"))
                  for k in ("sqlite3", "lmdb"))
        print(f"{label:<18}{lw:>9.0f}{jw:>9.0f}{med(rat['wall']):>11.2f}"
              f"{min(rat['wall']):>6.2f}-{max(rat['wall']):<5.2f}"
              f"{lc:>11.0f}{jc:>9.0f}{med(rat['cpu']):>11.2f}"
              f"{min(rat['cpu']):>6.2f}-{max(rat['cpu']):<5.2f}"
              f"{lw / s3:>10.3f}{lw / lm:>8.3f}")
        emit(JSON_NAMES[label], lw, sqlite3=s3, lmdb=lm, jet=jw)
    print("rates in ops/s (wall clock, then CPU time of the calling thread); layer/jet is the "
          "median of the rounds' ratios, >= 0.85 the goal; jet = the same work written on "
          "pyese.jet (values decoded, a dict per row); sqlite3 / LMDB: wall clock, one run")


# -- 2. genuine ----------------------------------------------------------------------


def genuine(rounds: int = 15) -> None:
    """``range(columns=every column)`` on SRUDB's largest table against the CLI's dump
    reader (``typed_rows``), ``rounds`` rounds, each both sides once (which goes first
    alternates), timed by ``CLOCK``; the medians of the rates and of the rounds' ratios
    are printed (a burst of load moves a round, not the median)."""
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

            def via_cli() -> int:
                return sum(1 for _ in typed_rows(TableReader(snap, table), cols))

            def via_layer() -> int:
                with inst.transaction(read_only=True) as tx:
                    return sum(1 for _ in tx.table(name).range(columns=names))

            got: dict[str, list[float]] = {"cli": [], "layer": []}
            n_cli = via_cli()
            if via_layer() != n_cli:  # one pass each first: both sides warm
                raise AssertionError("genuine: the layer and the CLI read different counts")
            sides = [("cli", via_cli), ("layer", via_layer)]
            for r in range(rounds):
                for side, fn in sides[r % 2:] + sides[:r % 2]:
                    t0 = CLOCK()
                    if fn() != n_cli:
                        raise AssertionError(f"genuine: {side} read another row count")
                    got[side].append(n_cli / (CLOCK() - t0))
    med = statistics.median
    cli, layer = med(got["cli"]), med(got["layer"])
    ratios = [a / b for a, b in zip(got["layer"], got["cli"], strict=True)]
    emit("py_genuine_range_rows", layer, cli_dump=cli)
    print(f"\n== genuine: {name!r} of SRUDB ({n_cli} rows, {len(cols)} columns), "
          f"{rounds} rounds alternated, medians ==")
    print(f"layer range(columns=all) {layer:>9.0f} rows/s   CLI dump reader {cli:>9.0f} rows/s"
          f"   layer/CLI {med(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})")


# -- sort: tx.temp_table -------------------------------------------------------------


def bench_sort(n: int, repeats: int) -> None:
    """``tx.temp_table`` (rows as dicts in, ``Row`` objects out) against the same sort
    through the public batch calls on the same session (``PyeseInsertValues`` +
    ``PyeseRetrieveRows``, values packed and unpacked by hand) and sqlite3's
    ``CREATE TEMP TABLE`` + ``ORDER BY`` (tuples in and out): ``repeats`` rounds, the
    three in turn (the order rotates), wall and the calling thread's CPU time, medians
    of the ratios."""
    import sqlite3

    from pyese import jet

    rng = random.Random(5)
    rows = [(rng.randrange(-2**31, 2**31), rng.randbytes(64)) for _ in range(n)]
    i32 = struct.Struct("<i")

    def via_sqlite() -> int:
        con = sqlite3.connect(":memory:")
        con.execute("CREATE TEMP TABLE t (k INTEGER, p BLOB)")
        con.executemany("INSERT INTO t VALUES (?, ?)", rows)
        keys = [k for k, _p in con.execute("SELECT k, p FROM t ORDER BY k")]
        con.close()
        return len(keys)

    def via_layer(tx: pyese.Transaction) -> int:
        t = tx.temp_table({"k": pyese.Long, "p": pyese.Binary}, key="k")
        for i in range(0, n, 10_000):
            t.insert_many([{"k": k, "p": p} for k, p in rows[i:i + 10_000]])
        keys = [row["k"] for row in t]
        t.close()
        return len(keys)

    def via_jet(tx: pyese.Transaction) -> int:
        with tx.entered():
            s = tx.sesid
            cols = [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnTTKey),
                    jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary, cbMax=64)]
            t, (k, p) = jet.JetOpenTempTable(
                s, cols, jet.JET_bitTTForwardOnly | jet.JET_bitTTIntrinsicLVsOnly)
            pack, unpack = i32.pack, i32.unpack
            for i in range(0, n, 10_000):
                jet.PyeseInsertValues(s, t, [k, p], [[pack(key), pay] for key, pay
                                                     in rows[i:i + 10_000]])
            keys: list[int] = []
            jet.JetMove(s, t, jet.JET_MoveFirst)
            while True:
                try:
                    page = jet.PyeseRetrieveRows(s, t, [k, p], 1024)
                except jet.NoCurrentRecordError:
                    break
                keys.extend(unpack(r[0])[0] for r in page)  # type: ignore[arg-type]
            jet.JetCloseTable(s, t)
        return len(keys)

    got: dict[str, dict[str, list[float]]] = {
        k: {"wall": [], "cpu": []} for k in ("layer", "jet", "sqlite3")}
    with tempfile.TemporaryDirectory(prefix="bench-pythonic-sort-") as root:
        with pyese.Instance(root) as inst, inst.transaction() as tx:
            sides: list[tuple[str, Callable[[], int]]] = [
                ("layer", functools.partial(via_layer, tx)),
                ("jet", functools.partial(via_jet, tx)), ("sqlite3", via_sqlite)]
            for r in range(repeats):
                for name, fn in sides[r % 3:] + sides[:r % 3]:
                    w0, c0 = time.perf_counter(), time.thread_time()
                    if fn() != n:
                        raise AssertionError(f"sort {name}: not {n} rows")
                    got[name]["wall"].append(n / (time.perf_counter() - w0))
                    got[name]["cpu"].append(n / (time.thread_time() - c0))
    med = statistics.median

    def ratio(a: str, b: str, clock: str) -> float:
        return med([x / y for x, y in zip(got[a][clock], got[b][clock], strict=True)])

    print(f"\n== sort: {n} rows (int key, 64-byte payload) loaded and read back in key "
          f"order, {repeats} rounds interleaved, medians ==")
    print(f"{'':<34}{'wall rows/s':>12}{'CPU rows/s':>12}")
    for name, label in (("layer", "tx.temp_table (layer)"),
                        ("jet", "PyeseInsertValues/RetrieveRows"),
                        ("sqlite3", "sqlite3 TEMP TABLE + ORDER BY")):
        print(f"{label:<34}{med(got[name]['wall']):>12.0f}{med(got[name]['cpu']):>12.0f}")
    for a, b in (("layer", "sqlite3"), ("layer", "jet")):
        print(f"{a}/{b:<28}{ratio(a, b, 'wall'):>12.2f}{ratio(a, b, 'cpu'):>12.2f}")
    emit("py_temp_table_sort", med(got["layer"]["wall"]),
         sqlite3=med(got["sqlite3"]["wall"]), jet=med(got["jet"]["wall"]))


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
    print("ops/s by the wall clock / by this process's CPU time (which leaves out fsync "
          "waits and other processes' load)")
    print(f"{'store':<20}" + "".join(f"{lab:>19}" for lab in labels) + "   durability")
    nan = float("nan")
    for store, res in rows:
        print(f"{store.name:<20}" + "".join(
            f"{res.get(lab, nan):>10.0f} /{res.get(lab + ' cpu', nan):>7.0f}"
            for lab in labels) + f"   {store.note}")
    print(f"{'ManagedEsent (pub.)':<20}" + "".join(f"{MANAGEDESENT[lab]:>19}"
                                                for lab in labels) + "   published, C#")
    by = {s.name: r for s, r in rows}
    durable = by.get("pyese durable", {})
    for label, name in (("random insert", "pdict_set"), ("cached lookup", "pdict_get")):
        if label in durable:
            emit(name, durable[label], **{peer: by.get(f"{peer} durable", {}).get(
                label, float("nan")) for peer in ("sqlitedict", "diskcache", "shelve")})
    print("ratios pyese/peer (same durability), wall / CPU:")
    for mode in ("lazy", "durable"):
        ours = by.get(f"pyese {mode}", {})
        for peer in ("sqlitedict", "diskcache", "shelve"):
            other = by.get(f"{peer} {mode}")
            if other is None:
                continue
            print(f"  {mode:<8}{peer:<10}" + "".join(
                f"{ours.get(lab, nan) / other.get(lab, nan):>10.2f} /"
                f"{ours.get(lab + ' cpu', nan) / other.get(lab + ' cpu', nan):>7.2f}"
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
    ap.add_argument("--only", default="records,genuine,sort,dict")
    ap.add_argument("--sort-rows", type=int, default=20_000 if small else 100_000,
                    help="sort: rows per round")
    ap.add_argument("--repeats", type=int, default=3 if small else 7,
                    help="records: rounds per workload, the sides interleaved (medians)")
    ap.add_argument("--records-n", type=int, default=500 if small else 2000,
                    help="records: rows inserted (and read) per round")
    ap.add_argument("--no-peers", action="store_true", help="records: skip sqlite3/LMDB")
    ap.add_argument("--genuine-rounds", type=int, default=5 if small else 15,
                    help="genuine: rounds, both sides in each (medians)")
    ap.add_argument("--many", type=int, default=0, help="run only insert_many of N rows")
    ap.add_argument("--no-trace", action="store_true", help="--many: peak RSS instead of "
                    "tracemalloc (which slows allocation several times)")
    ap.add_argument("--progress", type=float, default=0, help="--many: print the row count "
                    "and memory every this many seconds")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="dict and genuine parts: time with the wall clock, or this "
                    "process's CPU time (on a shared, busy machine; records shows both)")
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
        records(Plan(a.records_n, a.batch, a.scans, a.scan_len, a.repeats), not a.no_peers)
    if "genuine" in parts:
        genuine(a.genuine_rounds)
    if "sort" in parts:
        bench_sort(a.sort_rows, a.repeats)
    if "dict" in parts:
        bench_dict(a.n, a.lookups, a.ranges)
    return 0


if __name__ == "__main__":
    sys.exit(main())
