"""Machine-readable bench results, shared by every ``bench/bench_*.py``.

``bench/run_all.py --json FILE`` runs each bench with ``PYESE_BENCH_JSON_PART`` naming a
scratch file; :func:`emit` merges one workload's figures (ops/s per engine) into it, adding
``ratio_<peer>`` = pyese / peer for every peer measured in the same run. Run alone, a bench
emits nothing. ``PYESE_BENCH_QUICK=1`` (``run_all.py --quick``) asks each bench for a small
run; :func:`quick` reads it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping

PART_ENV = "PYESE_BENCH_JSON_PART"
QUICK_ENV = "PYESE_BENCH_QUICK"


def quick() -> bool:
    """True when ``run_all.py --quick`` asked for a small run."""
    return os.environ.get(QUICK_ENV) == "1"


def emit(workload: str, pyese: float, *, extra: Mapping[str, float] | None = None,
         **peers: float) -> None:
    """Record ``workload``'s ops/s for pyese and each peer (``sqlite3=``, ``lmdb=``,
    ``libesedb=``...) in the part file, if one was asked for. NaN or missing peers are left
    out; a ratio is written only for a peer with a figure. ``extra`` adds figures that are
    not rates (e.g. ``peak_rss_mib``) under their own names, with no ratio."""
    path = os.environ.get(PART_ENV)
    if not path:
        return
    entry: dict[str, float] = {"pyese": pyese}
    for peer, value in peers.items():
        if value is None or math.isnan(value) or value <= 0:
            continue
        entry[peer] = value
        entry[f"ratio_{peer}"] = pyese / value
    for key, figure in (extra or {}).items():
        entry[key] = figure
    data: dict[str, dict[str, float]] = {}
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
    data[workload] = entry
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
