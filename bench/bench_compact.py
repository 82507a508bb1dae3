"""JetCompact: converting a genuine Windows database, and what compaction gives back.

    .venv/bin/python bench/bench_compact.py [--rounds N] [--dir DIR_WITH_EDB_GZ] [--rows N]

1. **Conversion** of ``SRUDB-win10.dat`` (a Windows 10 SRUM database: 10 user tables,
   7,284 user records of up to 44 columns, 3 indexes per table) into a writable database:

   - ``pyese JetCompact``: the file attached read-only, ``JetCompact`` into a new pyese
     database (schema, then every record through the engine, secondary indexes rebuilt);
   - ``libesedb -> sqlite3``: the peer a user would reach for: every user table read with
     libesedb-python, an sqlite3 table with the same columns and the same secondary
     indexes, every record inserted (``executemany``), one commit;
   - ``dissect -> sqlite3``: the same with dissect.esedb as the reader.

   Records/s in CPU time of this process (``time.process_time``: every converter runs in
   it, single-threaded, so other programs on a shared machine weigh on the ratios as
   little as they can), the median of ``--rounds``, converters interleaved.

2. **Space given back**: ``--rows`` records of about 3 KiB inserted, 90% deleted, then
   the file compacted: pyese ``JetCompact`` beside sqlite3's ``VACUUM INTO`` on the same
   workload. Prints each copy's size as a fraction of its original (issue 17: at most 15%).

Peers not installed are skipped (``pip install -e .[bench]``). With ``run_all.py --json``:
``compact_convert_srudb`` (records/s, ``ratio_libesedb_sqlite3`` / ``ratio_dissect_sqlite3``).
"""

from __future__ import annotations

import argparse
import gzip
import os
import sqlite3
import statistics
import struct
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from _results import emit, quick

DEFAULT_DIR = Path("/work/shared/testdata/edb")
SRUDB = "SRUDB-win10.dat"


def _user_tables(names: list[str]) -> list[str]:
    from pyese.engine.genuine.convert import is_system_table

    return [n for n in names if not is_system_table(n)]


def _pyese_convert(src: Path, out: Path) -> int:
    import pyese.jet as jet

    inst = jet.JetCreateInstance(f"bench{time.monotonic_ns()}")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, str(out.parent))
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, str(out.parent))
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramTempPath, 0, str(out.parent) + os.sep)
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        jet.JetAttachDatabase(s, str(src), jet.JET_bitDbReadOnly)
    done = [0]

    def status(sesid, snp, snt, pv):
        if pv is not None:
            done[0] = pv.cunitDone
        return 0

    jet.JetCompact(s, str(src), str(out), status)
    jet.JetEndSession(s)
    jet.JetTerm(inst)
    return done[0]


def _sqlite_schema(con: sqlite3.Connection, table: str, columns: list[str],
                   indexes: list[tuple[str, list[str]]]) -> str:
    q = '"' + table.replace('"', '""') + '"'
    cols = ", ".join('"' + c + '"' for c in columns)
    con.execute(f"CREATE TABLE {q} ({cols})")
    for name, key in indexes:
        ix = '"' + (table + "_" + name).replace('"', '""') + '"'
        con.execute(f"CREATE INDEX {ix} ON {q} ({', '.join(chr(34) + k + chr(34) for k in key)})")
    return f"INSERT INTO {q} VALUES ({', '.join('?' * len(columns))})"


def _schema(src: Path) -> dict[str, tuple[list[str], list[tuple[str, list[str]]]]]:
    """User table -> (columns, [(index, key columns)]) of the secondary indexes, read with
    dissect.esedb (libesedb-python does not expose index keys)."""
    from dissect.esedb import EseDB

    out = {}
    with src.open("rb") as fh:
        db = EseDB(fh)
        for table in db.tables():
            if _user_tables([table.name]):
                out[table.name] = ([c.name for c in table.columns],
                                   [(ix.name, [c.name for c in ix.columns])
                                    for ix in table.indexes])
    return out


def _libesedb_sqlite(src: Path, out: Path) -> int:
    import pyesedb

    schema = _schema(src)
    f = pyesedb.file()
    f.open(str(src))
    con = sqlite3.connect(out)
    n = 0
    try:
        for i in range(f.number_of_tables):
            table = f.get_table(i)
            if table.name not in schema:
                continue
            columns, indexes = schema[table.name]
            insert = _sqlite_schema(con, table.name, columns, indexes)
            rows = []
            for r in range(table.number_of_records):
                rec = table.get_record(r)
                row: list[object] = []
                for c in range(rec.number_of_values):
                    if rec.is_long_value(c):
                        lv = rec.get_value_data_as_long_value(c)
                        row.append(lv.get_data() if lv is not None else None)
                    else:
                        row.append(rec.get_value_data(c))
                rows.append(row)
            con.executemany(insert, rows)
            n += len(rows)
        con.commit()
    finally:
        con.close()
        f.close()
    return n


def _dissect_sqlite(src: Path, out: Path) -> int:
    from dissect.esedb import EseDB

    con = sqlite3.connect(out)
    n = 0
    with src.open("rb") as fh:
        db = EseDB(fh)
        for table in db.tables():
            if not _user_tables([table.name]):
                continue
            columns = [c.name for c in table.columns]
            indexes = [(ix.name, [c.name for c in ix.columns]) for ix in table.indexes]
            insert = _sqlite_schema(con, table.name, columns, indexes)
            rows = []
            for rec in table.records():
                d = rec.as_dict()
                rows.append([_sql(d.get(c)) for c in columns])
            con.executemany(insert, rows)
            n += len(rows)
    con.commit()
    con.close()
    return n


def _sql(v):
    if v is None or isinstance(v, int | float | str | bytes):
        return v
    if isinstance(v, list):
        return repr(v)
    return str(v)


CONVERTERS: dict[str, Callable[[Path, Path], int]] = {
    "pyese JetCompact": _pyese_convert,
    "libesedb -> sqlite3": _libesedb_sqlite,
    "dissect -> sqlite3": _dissect_sqlite,
}


def _available(name: str) -> bool:
    try:
        if name.startswith("libesedb"):
            import pyesedb  # noqa: F401
        elif name.startswith("dissect"):
            import dissect.esedb  # noqa: F401
    except ImportError:
        return False
    return True


def bench_convert(src: Path, rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    names = [n for n in CONVERTERS if _available(n)]
    for _ in range(rounds):
        for name in names:
            with tempfile.TemporaryDirectory() as d:
                out = Path(d) / "out.db"
                t = time.process_time()
                counts[name] = CONVERTERS[name](src, out)
                times.setdefault(name, []).append(time.process_time() - t)
    print(f"\nConverting {src.name} into a writable database "
          f"(CPU time, median of {rounds}):")
    rates = {}
    for name in names:
        sec = statistics.median(times[name])
        rates[name] = counts[name] / sec
        print(f"  {name:22s} {counts[name]:6d} records  {sec:7.2f} s  "
              f"{rates[name]:8.0f} records/s")
    base = rates["pyese JetCompact"]
    for name in names[1:]:
        print(f"  pyese / {name}: {base / rates[name]:.2f}")
    return rates


def _pyese_deleted(d: Path, rows: int) -> tuple[int, int]:
    import pyese.jet as jet

    inst = jet.JetCreateInstance(f"bench{time.monotonic_ns()}")
    for p in (jet.JET_paramSystemPath, jet.JET_paramLogFilePath):
        jet.JetSetSystemParameter(inst, 0, p, 0, str(d))
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramTempPath, 0, str(d) + os.sep)
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    src, dst = str(d / "big.edb"), str(d / "small.edb")
    db = jet.JetCreateDatabase(s, src)
    tc = jet.JET_TABLECREATE(szTableName="T", rgcolumncreate=[
        jet.JET_COLUMNCREATE(szColumnName="k", coltyp=jet.JET_coltypLong,
                             grbit=jet.JET_bitColumnAutoincrement),
        jet.JET_COLUMNCREATE(szColumnName="g", coltyp=jet.JET_coltypLong),
        jet.JET_COLUMNCREATE(szColumnName="b", coltyp=jet.JET_coltypLongBinary)],
        rgindexcreate=[jet.JET_INDEXCREATE(szIndexName="pk", szKey="+k\0\0",
                                           grbit=jet.JET_bitIndexPrimary),
                       jet.JET_INDEXCREATE(szIndexName="byG", szKey="+g\0\0")])
    jet.JetCreateTableColumnIndex(s, db, tc)
    t = tc.tableid
    g, b = tc.rgcolumncreate[1].columnid, tc.rgcolumncreate[2].columnid
    for start in range(0, rows, 200):
        jet.JetBeginTransaction(s)
        for i in range(start, min(rows, start + 200)):
            jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
            jet.JetSetColumn(s, t, g, struct.pack("<i", i % 7), 0)
            jet.JetSetColumn(s, t, b, bytes([i % 256]) * 3000, 0)
            jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush)
    jet.JetMove(s, t, jet.JET_MoveFirst)
    n = 0
    jet.JetBeginTransaction(s)
    while True:
        if n % 10:
            jet.JetDelete(s, t)
        n += 1
        if n % 200 == 0:
            jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush)
            jet.JetBeginTransaction(s)
        try:
            jet.JetMove(s, t, jet.JET_MoveNext)
        except jet.JetError:
            break
    jet.JetCommitTransaction(s, 0)
    jet.JetCloseTable(s, t)
    jet.JetIdle(s, jet.JET_bitIdleWaitForAsyncActivity)
    jet.JetCloseDatabase(s, db, 0)
    jet.JetCompact(s, src, dst)
    sizes = os.path.getsize(src), os.path.getsize(dst)
    jet.JetEndSession(s)
    jet.JetTerm(inst)
    return sizes


def _sqlite_deleted(d: Path, rows: int) -> tuple[int, int]:
    src, dst = d / "big.db", d / "small.db"
    con = sqlite3.connect(src)
    con.execute("CREATE TABLE T (k INTEGER PRIMARY KEY AUTOINCREMENT, g INTEGER, b BLOB)")
    con.execute("CREATE INDEX byG ON T (g)")
    con.executemany("INSERT INTO T (g, b) VALUES (?, ?)",
                    ((i % 7, bytes([i % 256]) * 3000) for i in range(rows)))
    con.commit()
    con.execute("DELETE FROM T WHERE (k - 1) % 10 != 0")
    con.commit()
    con.execute(f"VACUUM INTO '{dst}'")
    con.close()
    return os.path.getsize(src), os.path.getsize(dst)


def bench_space(rows: int) -> None:
    print(f"\n{rows} records of ~3 KiB, 90% deleted, then compacted (copy / original):")
    for name, fn in (("pyese JetCompact", _pyese_deleted),
                     ("sqlite3 VACUUM INTO", _sqlite_deleted)):
        with tempfile.TemporaryDirectory() as d:
            big, small = fn(Path(d), rows)
        print(f"  {name:22s} {big / 1024:9.0f} KiB -> {small / 1024:7.0f} KiB  "
              f"{small / big:6.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=1 if quick() else 3)
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--rows", type=int, default=500 if quick() else 2000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / SRUDB
        src.write_bytes(gzip.decompress((args.dir / f"{SRUDB}.gz").read_bytes()))
        rates = bench_convert(src, args.rounds)
    emit("compact_convert_srudb", rates["pyese JetCompact"],
         libesedb_sqlite3=rates.get("libesedb -> sqlite3", float("nan")),
         dissect_sqlite3=rates.get("dissect -> sqlite3", float("nan")))
    bench_space(args.rows)


if __name__ == "__main__":
    main()
