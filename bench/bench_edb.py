"""Read every table of genuine files with pyese (two paths), dissect.esedb and libesedb.

    .venv/bin/python bench/bench_edb.py [--rounds N] [--dir DIR_WITH_EDB_GZ]

Two sets, timed separately: the six 1 MiB samples, and ``SRUDB-win10.dat`` (a Windows 10
SRUM database, 14 tables, 7,807 records of up to 44 columns). Each reader opens the file,
reads the catalog and every record of every table (system tables included):

- ``pyese dump``: the ``dump`` path (``cli_forensic.typed_rows``): every value of every
  column, converted to Python;
- ``pyese JET``: the JET API as a program uses it: ``JetAttachDatabase`` read-only,
  ``JetOpenTable``, ``JetMove``, one ``JetRetrieveColumns`` per record for every column
  (the first value of each: ``itagSequence`` 1), values as bytes;
- ``pyese JET enum``: the same loop with one ``JetEnumerateColumns`` per record (every
  column with a value, values as bytes);
- ``pyese JET rows``: the same through the pyese extension ``PyeseRetrieveRows`` (pages of
  256 records, every value of every column);
- dissect.esedb (``as_dict`` per record) and libesedb-python (every value's bytes).

Readers are interleaved and each set timed best of ``--rounds`` passes, in CPU time of this
process (``time.process_time``: every reader runs in it, single-threaded, files in the
page cache), so that other programs on a shared machine weigh on the ratios as little as
they can. Prints records/s
per reader, ratios to pyese's dump path, and its peak traced memory for the set. Readers
that are not installed are skipped (``pip install -e .[bench]``). With
``run_all.py --json``: ``edb_dump`` / ``edb_jet`` (the six samples) and ``edb_dump_srudb`` /
``edb_jet_srudb`` (and ``edb_jet_enum``, ``edb_jet_rows`` and their ``_srudb``), each with
``ratio_libesedb`` and ``ratio_dissect``; the JET workloads also with ``ratio_dump`` (the
JET path / the dump path).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _results import emit, quick

SAMPLES = ("basic", "binary", "default", "index", "multi", "text")
SETS = {"6 samples": [f"{n}.edb" for n in SAMPLES], "SRUDB-win10.dat": ["SRUDB-win10.dat"]}
DEFAULT_DIR = Path("/work/shared/testdata/edb")


def _pyese(path: Path) -> int:
    from pyese.cli_forensic import typed_rows
    from pyese.engine.cursors.tablescan import TableReader
    from pyese.engine.schema.catalog import Catalog
    from pyese.storage.edb import EdbFile

    n = 0
    with EdbFile.open(path) as edb:
        snap = edb.snapshot()
        catalog = Catalog.load(snap, edb.page_size)
        for table in catalog:
            for _ in typed_rows(TableReader(snap, table), table.column_list()):
                n += 1
    return n


_INSTANCES = itertools.count()


def _pyese_jet(path: Path) -> int:
    return _jet_read(path, rows=False)


def _pyese_jet_rows(path: Path) -> int:
    return _jet_read(path, rows=True)


def _pyese_jet_enum(path: Path) -> int:
    return _jet_read(path, enum=True)


def _jet_read(path: Path, *, rows: bool = False, enum: bool = False) -> int:
    """Every record of every table through the JET API: one ``JetRetrieveColumns`` per
    record, or (``rows``) pages of 256 records through ``PyeseRetrieveRows``, or
    (``enum``) one ``JetEnumerateColumns`` per record."""
    import pyese.jet as jet
    from pyese.jethdr.errors import JetError

    inst = jet.JetCreateInstance(f"bench_edb{next(_INSTANCES)}")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramRecovery, 0, "Off")
    jet.JetInit(inst)
    n = 0
    try:
        s = jet.JetBeginSession(inst)
        jet.JetAttachDatabase(s, str(path), jet.JET_bitDbReadOnly)
        db = jet.JetOpenDatabase(s, str(path))
        tables = jet.JetGetObjectInfo(s, db, jet.JET_objtypTable, None, None,
                                      jet.JET_ObjInfoListNoStats)
        for row in tables:
            t = jet.JetOpenTable(s, db, row.objectname, None, jet.JET_bitTableReadOnly)
            cols = jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoList)
            rcs = [jet.JET_RETRIEVECOLUMN(columnid=c.columnid, itagSequence=1) for c in cols]
            cids = [c.columnid for c in cols]
            try:
                jet.JetMove(s, t, jet.JET_MoveFirst)
                while True:
                    if rows:
                        n += len(jet.PyeseRetrieveRows(s, t, cids, 256))
                        continue
                    if enum:
                        jet.JetEnumerateColumns(s, t)
                    else:
                        jet.JetRetrieveColumns(s, t, rcs)
                    n += 1
                    jet.JetMove(s, t, jet.JET_MoveNext)
            except JetError as err:
                if err.err != jet.JET_errNoCurrentRecord:
                    raise
            jet.JetCloseTable(s, t)
        jet.JetCloseDatabase(s, db)
        jet.JetDetachDatabase(s, str(path))
        jet.JetEndSession(s)
    finally:
        jet.JetTerm(inst)
    return n


def _dissect(path: Path) -> int:
    from dissect.esedb import EseDB

    n = 0
    with path.open("rb") as f:
        db = EseDB(f)
        for table in db.tables():
            for rec in table.records():
                rec.as_dict()
                n += 1
    return n


def _libesedb(path: Path) -> int:
    import pyesedb

    n = 0
    f = pyesedb.file()
    f.open(str(path))
    try:
        for t in range(f.number_of_tables):
            table = f.get_table(t)
            for r in range(table.number_of_records):
                rec = table.get_record(r)
                for i in range(rec.number_of_values):
                    if rec.is_long_value(i):
                        rec.get_value_data_as_long_value(i)
                    else:
                        rec.get_value_data(i)
                n += 1
    finally:
        f.close()
    return n


READERS: dict[str, Callable[[Path], int]] = {
    "pyese dump": _pyese, "pyese JET": _pyese_jet, "pyese JET enum": _pyese_jet_enum,
    "pyese JET rows": _pyese_jet_rows,
    "dissect.esedb": _dissect,
    "libesedb-python": _libesedb,
}


def _peak_memory(fn: Callable[[Path], int], files: list[Path]) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        for p in files:
            fn(p)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run(src: Path, rounds: int = 20) -> dict[str, dict[str, float]]:
    """{set: {reader: records/s}} per available reader, best of ``rounds`` passes (readers
    interleaved, so that load on the machine hits them alike); the key ``pyese peak MiB``
    holds the dump path's peak traced memory for the set."""
    out: dict[str, dict[str, float]] = {}
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # anything a JET instance writes stays in the scratch directory
        try:
            for set_name, names in SETS.items():
                files = []
                for name in names:
                    gz = src / f"{name}.gz"
                    if not gz.is_file():
                        break
                    path = Path(tmp) / name
                    path.write_bytes(gzip.decompress(gz.read_bytes()))
                    files.append(path)
                else:
                    out[set_name] = _time_set(files, rounds if len(files) > 1
                                              else max(1, rounds // 4))
        finally:
            os.chdir(cwd)
    return out


def _time_set(files: list[Path], rounds: int) -> dict[str, float]:
    readers = {}
    for label, fn in READERS.items():
        try:
            fn(files[0])
        except ImportError:
            continue
        readers[label] = fn
    best = dict.fromkeys(readers, float("inf"))
    records = dict.fromkeys(readers, 0)
    for _ in range(rounds):
        for label, fn in readers.items():
            t0 = time.process_time()
            records[label] = sum(fn(p) for p in files)
            best[label] = min(best[label], time.process_time() - t0)
    result = {label: records[label] / best[label] for label in readers}
    result["pyese peak MiB"] = _peak_memory(_pyese, files) / 2**20
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2 if quick() else 20)
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    args = ap.parse_args(argv)
    if not args.dir.is_dir():
        print(f"bench_edb: no samples in {args.dir}; skipped")
        return 0
    results = run(args.dir, args.rounds)
    for set_name, result in results.items():
        peak = result.pop("pyese peak MiB")
        suffix = "" if set_name == "6 samples" else "_srudb"
        nan = float("nan")
        peers = {"libesedb": result.get("libesedb-python", nan),
                 "dissect": result.get("dissect.esedb", nan)}
        dump = result.get("pyese dump")
        if dump is not None:
            emit(f"edb_dump{suffix}", dump, **peers)
        if "pyese JET" in result:
            emit(f"edb_jet{suffix}", result["pyese JET"], dump=dump or nan, **peers)
        if "pyese JET enum" in result:
            emit(f"edb_jet_enum{suffix}", result["pyese JET enum"], dump=dump or nan, **peers)
        if "pyese JET rows" in result:
            emit(f"edb_jet_rows{suffix}", result["pyese JET rows"], dump=dump or nan, **peers)
        print(f"bench_edb: every table of {set_name} (catalog + all values); "
              f"pyese dump peak memory {peak:.1f} MiB")
        for label, rate in result.items():
            ratio = f"{rate / dump:6.2f}x pyese dump" if dump else ""
            print(f"  {label:<16} {rate:>10.0f} records/s  {ratio}")
        lib = result.get("libesedb-python")
        if lib and dump:
            jet_ratio = result.get("pyese JET", nan) / dump
            print(f"  pyese dump / libesedb {dump / lib:.2f}x; "
                  f"pyese JET / pyese dump {jet_ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
