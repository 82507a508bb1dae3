"""Dump every table of genuine files with pyese, dissect.esedb and libesedb-python.

    .venv/bin/python bench/bench_edb.py [--rounds N] [--dir DIR_WITH_EDB_GZ]

Two sets, timed separately: the six 1 MiB samples, and ``SRUDB-win10.dat`` (a Windows 10
SRUM database, 14 tables, 7,807 records of up to 44 columns). Each reader opens the file,
reads the catalog and every value of every record of every table (system tables included),
converting values to Python (pyese: the ``dump`` path, ``cli_forensic.typed_rows``). Prints
records/s per reader, the ratio to pyese, and pyese's peak traced memory for the set.
Readers that are not installed are skipped (``pip install -e .[bench]``).
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _results import emit

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
    "pyese": _pyese, "dissect.esedb": _dissect, "libesedb-python": _libesedb,
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
    """{set: {reader: records/s}} per available reader, best of ``rounds`` passes; the key
    ``pyese peak MiB`` holds pyese's peak traced memory for the set."""
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
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
                result: dict[str, float] = {}
                for label, fn in READERS.items():
                    try:
                        fn(files[0])
                    except ImportError:
                        continue
                    best = float("inf")
                    records = 0
                    for _ in range(rounds if len(files) > 1 else max(1, rounds // 4)):
                        t0 = time.perf_counter()
                        records = sum(fn(p) for p in files)
                        best = min(best, time.perf_counter() - t0)
                    result[label] = records / best
                result["pyese peak MiB"] = _peak_memory(_pyese, files) / 2**20
                out[set_name] = result
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    args = ap.parse_args(argv)
    if not args.dir.is_dir():
        print(f"bench_edb: no samples in {args.dir}; skipped")
        return 0
    results = run(args.dir, args.rounds)
    for set_name, result in results.items():
        peak = result.pop("pyese peak MiB")
        if "pyese" in result:
            emit("edb_dump" if set_name == "6 samples" else "edb_dump_srudb", result["pyese"],
                 libesedb=result.get("libesedb-python", float("nan")),
                 dissect=result.get("dissect.esedb", float("nan")))
        base = result.get("pyese")
        print(f"bench_edb: dump every table of {set_name} (catalog + all values); "
              f"pyese peak memory {peak:.1f} MiB")
        for label, rate in result.items():
            ratio = f"{rate / base:6.2f}x pyese" if base else ""
            print(f"  {label:<16} {rate:>10.0f} records/s  {ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
