"""Run every bench/bench_*.py in turn and print their tables.

    ./run bench [--quick] [--json FILE] [--only NAME[,NAME]] [--pure] [--scale]

``--quick`` asks each bench for a small run (seconds, not minutes); ``--json FILE`` writes
``{"workload": {"pyese": ops/s, "sqlite3": ..., "lmdb": ..., "ratio_sqlite3": ...}}`` merged
from every bench (see ``bench/_results.py``). The benches measure pyese as it is installed:
the modules of ``mypyc-modules.txt`` compiled when ``./run compile`` built them, else the
pure-Python source (docs/compiled.md); the first line printed says which. ``--pure``
measures the source even when a compiled build is present (``PYESE_PURE=1``).
``--scale`` adds ``bench_scale.py`` (10^4 to 10^6 rows, a child process per workload: ten
minutes or more; with ``--quick`` 10^4 and 10^5 rows), which a plain run leaves out; its
JSON entries are ``scale_<workload>_<1eK>``. With ``--json`` and every bench run, a stable
workload name (``STABLE``) that no bench wrote is reported and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

# arguments that make each bench small under --quick (the benches that read PYESE_BENCH_QUICK
# pick their own small sizes; these are the ones with only command-line sizes)
QUICK_ARGS = {
    "bench_backup.py": ["--size-mib", "8", "--rounds", "1", "--baseline-seconds", "1"],
    "bench_index_build.py": ["5000"],
    "bench_sort.py": ["--rows", "20000", "--jet-rows", "5000", "--mem-rows", "20000"],
    "bench_transfer.py": ["--transfers", "500", "--accounts", "200"],
    "bench_edb.py": ["--rounds", "2"],
}

# benches a plain run leaves out (each needs its flag, or its name in --only)
OPT_IN = {"bench_scale.py": "scale"}

# the workload names the README's table and issue 19 read from ``--json``: each must be
# written by some bench of a full run
STABLE = ("insert", "seek", "seek_trx", "range_rows", "long_value", "commit_1", "commit_8",
          "edb_dump", "edb_jet", "py_get", "py_range_rows", "py_insert_many", "pdict_set",
          "pdict_get")


def build_mode() -> str:
    """Which build of pyese the benches run (asked of a child, as the benches are)."""
    probe = ("import warnings; warnings.simplefilter('ignore'); import pyese.jet; "
             "from pyese import _buildmode; print(_buildmode.describe())")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    return out.stdout.strip() or f"unknown ({out.stderr.strip()[-200:]})"


def wanted(name: str, only: set[str], args: argparse.Namespace) -> bool:
    """Whether this run includes the bench file ``name``: those named by ``--only`` if it was
    given, else every bench but the opt-in ones (``OPT_IN``) whose flag is not set."""
    if only:
        return name in only
    flag = OPT_IN.get(name)
    return flag is None or bool(getattr(args, flag))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small run of every bench")
    ap.add_argument("--json", metavar="FILE", help="write every workload's figures as JSON")
    ap.add_argument("--only", default="", help="comma-separated bench names (e.g. records)")
    ap.add_argument("--pure", action="store_true",
                    help="measure the pure-Python source even if a compiled build exists")
    ap.add_argument("--scale", action="store_true",
                    help="also run bench_scale.py (10^4 to 10^6 rows; 10+ minutes)")
    a = ap.parse_args(argv)
    here = os.path.dirname(os.path.abspath(__file__))
    if a.pure:
        os.environ["PYESE_PURE"] = "1"
    print(f"mode: {build_mode()}", flush=True)
    only = {f"bench_{n}.py" if not n.startswith("bench_") else n
            for n in a.only.split(",") if n}
    status = 0
    merged: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="pyese-bench-json-") as tmp:
        for path in sorted(glob.glob(os.path.join(here, "bench_*.py"))):
            name = os.path.basename(path)
            if not wanted(name, only, a):
                continue
            part = os.path.join(tmp, name + ".json")
            env = dict(os.environ, PYESE_BENCH_JSON_PART=part)
            args = []
            if a.quick:
                env["PYESE_BENCH_QUICK"] = "1"
                args = QUICK_ARGS.get(name, [])
            print(f"== {name}", flush=True)
            status |= subprocess.run([sys.executable, path, *args], env=env).returncode
            if os.path.exists(part):
                with open(part) as f:
                    merged.update(json.load(f))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(merged, f, indent=1, sort_keys=True)
        print(f"wrote {len(merged)} workloads to {a.json}")
        missing = [n for n in STABLE if n not in merged]
        if missing and not only:
            print(f"missing from the JSON (a bench failed or renamed them): {missing}")
            status |= 1
    return status


if __name__ == "__main__":
    sys.exit(main())
