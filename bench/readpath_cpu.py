"""The read path in CPU time per operation: pyese (JET API) beside sqlite3, one process.

On a loaded machine wall-clock rates move by several times between runs; the CPU time a
loop takes (``time.process_time``) moves far less. This runs ``bench_records.py``'s read
workloads on its data (``-n`` rows, a Long primary key, a Text secondary index) for pyese
and for sqlite3, takes the best of ``--passes`` passes of each, and prints µs per op and
the ratio (sqlite3's time / pyese's: above 1, pyese is faster):

- ``seek``: MakeKey + SeekEQ + RetrieveColumn, outside a transaction;
- ``seek_trx``: the same inside one read-only transaction;
- ``range_rows``: SeekGE + SetIndexRange + (RetrieveColumn + MoveNext) per row;
- ``range_rows_batch``: the same rows through ``PyeseRetrieveRows`` pages of 256;
- ``gate`` (pyese only): what every session call pays to enter and leave the gate
  (``engine.instance.gate.session_call`` with an empty body), per call.

Not a test and not part of ``run_all.py``: ``python bench/readpath_cpu.py [-n 3000]``.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_records as B  # noqa: E402

from pyese import jet  # noqa: E402
from pyese.engine.instance.gate import session_call  # noqa: E402


def _best(fn: Callable[[], object], ops: int, passes: int) -> float:
    best = float("inf")
    for _ in range(passes):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best / ops * 1e6


def _capture(work: Callable[..., object], *args: object) -> dict[str, Callable[[], object]]:
    """The workload closures ``bench_records`` builds (the insert one is run at once)."""
    fns: dict[str, Callable[[], object]] = {}

    def keep(results: object, label: str, ops: int, fn: Callable[[], object]) -> None:
        fns[label] = fn
        if label == "insert":
            fn()

    timed = B._timed
    B._timed = keep  # type: ignore[assignment]
    try:
        work(*args)
    finally:
        B._timed = timed
    return fns


def pyese_side(w: B.Work, passes: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as root:
        return _pyese_side(root, w, passes)


def _pyese_side(root: str, w: B.Work, passes: int) -> dict[str, float]:
    inst = jet.JetCreateInstance("readpath_cpu")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramCircularLog, 1)
    jet.JetInit(inst)
    try:
        s = jet.JetBeginSession(inst)
        fns = _capture(B._pyese_work, root, w, s)
        scan = fns["range scan"]
        cells = dict(zip(scan.__code__.co_freevars,
                         (c.cell_contents for c in scan.__closure__ or ())))
        t, cpay = cells["t"], cells["cpay"]
        time.sleep(0.5)  # let the applier catch up: the steady state
        out: dict[str, float] = {}
        jet.JetSetCurrentIndex(s, t, None)
        out["seek"] = _best(fns["seek, level 0"], w.n, passes)
        out["seek_trx"] = _best(fns["seek, in trx"], w.n, passes)
        jet.JetSetCurrentIndex(s, t, "byname")
        rows = w.scans * w.scan_len
        out["range_rows"] = _best(scan, rows, passes)

        def batch() -> int:
            n = 0
            for k in w.scan_starts():
                jet.JetMakeKey(s, t, f"n{k:08d}".encode("utf-16-le"), jet.JET_bitNewKey)
                jet.JetSeek(s, t, jet.JET_bitSeekGE)
                jet.JetMakeKey(s, t, f"n{k + w.scan_len - 1:08d}".encode("utf-16-le"),
                               jet.JET_bitNewKey)
                jet.JetSetIndexRange(s, t, jet.JET_bitRangeUpperLimit
                                     | jet.JET_bitRangeInclusive)
                while True:
                    try:
                        got = jet.PyeseRetrieveRows(s, t, [cpay], 256)
                    except jet.NoCurrentRecordError:
                        break
                    n += len(got)
                    if len(got) < 256:
                        break
            return n

        out["range_rows_batch"] = _best(batch, rows, passes)

        def gate() -> None:
            for _ in range(w.n):
                with session_call(s):
                    pass

        out["gate"] = _best(gate, w.n, passes)
        return out
    finally:
        jet.JetTerm2(inst, 0)


def sqlite_side(w: B.Work, passes: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as root:
        return _sqlite_side(root, w, passes)


def _sqlite_side(root: str, w: B.Work, passes: int) -> dict[str, float]:
    con = sqlite3.connect(os.path.join(root, "b.sqlite"), isolation_level=None)
    try:
        fns = _capture(B._sqlite_work, con, w)
        rows = w.scans * w.scan_len
        scan = _best(fns["range scan"], rows, passes)
        return {"seek": _best(fns["seek, level 0"], w.n, passes),
                "seek_trx": _best(fns["seek, in trx"], w.n, passes),
                "range_rows": scan, "range_rows_batch": scan}
    finally:
        con.close()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=3000, help="rows (and point seeks)")
    p.add_argument("--scans", type=int, default=20)
    p.add_argument("--scan-len", type=int, default=200)
    p.add_argument("--passes", type=int, default=5, help="passes per workload (best kept)")
    a = p.parse_args(argv)
    w = B.Work(a.n, 1000, a.scans, a.scan_len, 1, 1024, 1)
    py = pyese_side(w, a.passes)
    sq = sqlite_side(w, a.passes)
    print(f"{'workload':18} {'pyese µs/op':>12} {'sqlite3 µs/op':>14} {'pyese/sqlite3':>14}")
    for name in py:
        if name not in sq:
            print(f"{name:18} {py[name]:12.2f} {'-':>14} {'-':>14}")
            continue
        print(f"{name:18} {py[name]:12.2f} {sq[name]:14.2f} {sq[name] / py[name]:14.3f}")


if __name__ == "__main__":
    main()
