"""bench/bench_scale.py works end to end at a tiny size, and its verdict says what the
figures say. Not a timed test: no figure is compared with a time."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def scale() -> Any:
    sys.path.insert(0, str(BENCH))
    try:
        import bench_scale
        yield bench_scale
    finally:
        sys.path.remove(str(BENCH))


def test_runs_at_2000_rows(tmp_path: Path) -> None:
    """One size, both engines, every workload in its own child; the JSON part has an entry
    per workload with both engines' rates and the peak RSS, and the raw file has one record
    per (engine, workload)."""
    part, raw = tmp_path / "part.json", tmp_path / "raw.json"
    env = dict(os.environ, PYESE_BENCH_JSON_PART=str(part),
               PYTHONPATH=str(BENCH.parent / "src"))
    out = subprocess.run([sys.executable, str(BENCH / "bench_scale.py"), "--sizes", "2000",
                          "--ops", "200", "--passes", "1", "--dir", str(tmp_path),
                          "--json", str(raw)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "== scaling: 2,000 rows" in out.stdout
    got = json.loads(part.read_text())
    names = {f"scale_{w}_2000" for w in ("load", "seek", "range_rows", "update", "insert")}
    assert set(got) == names
    for entry in got.values():
        assert entry["pyese"] > 0 and entry["sqlite3"] > 0
        assert entry["ratio_sqlite3"] == pytest.approx(entry["pyese"] / entry["sqlite3"])
        assert entry["peak_rss_mib"] > 1 and entry["peak_rss_mib_sqlite3"] > 1
    records = json.loads(raw.read_text())
    assert len(records) == 10
    ops = {(r["engine"], r["workload"]): r["ops"] for r in records}
    assert ops[("pyese", "load")] == ops[("sqlite3", "load")] == 2000
    assert ops[("pyese", "range_rows")] == 200  # 2 scans of 100 rows, every row found
    assert not any(p.name.startswith("bench-scale-") for p in tmp_path.iterdir())


def _figs(scale: Any, growth: float, anon_growth_kib: int) -> dict[Any, Any]:
    figs = {}
    for n, k in ((10_000, 0), (1_000_000, 1)):
        for w in scale.WORKLOADS:
            for e in scale.ENGINES:
                us = 10.0 * (growth if k and e == "pyese" else 1.0)
                figs[(n, w, e)] = {"us_per_op": us, "cpu_us_per_op": us,
                                   "peak_rss_kib": 50_000 + k * anon_growth_kib,
                                   "peak_anon_kib": 30_000 + k * anon_growth_kib}
    return figs


def test_verdict_flat_and_bounded(scale: Any, capsys: pytest.CaptureFixture[str]) -> None:
    lines = scale.report(_figs(scale, 1.2, 1024), [10_000, 1_000_000])
    assert "-> flat" in lines[0] and "load 1.20x" in lines[0]
    assert "anonymous memory bounded" in lines[1]


def test_verdict_growing(scale: Any, capsys: pytest.CaptureFixture[str]) -> None:
    lines = scale.report(_figs(scale, 3.0, 200 * 1024), [10_000, 1_000_000])
    assert "NOT flat" in lines[0]
    assert "GROWS with the table" in lines[1]


def test_run_all_leaves_scale_out_unless_asked() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import run_all
    finally:
        sys.path.remove(str(BENCH))
    plain = argparse.Namespace(scale=False)
    assert not run_all.wanted("bench_scale.py", set(), plain)
    assert run_all.wanted("bench_records.py", set(), plain)
    assert run_all.wanted("bench_scale.py", set(), argparse.Namespace(scale=True))
    assert run_all.wanted("bench_scale.py", {"bench_scale.py"}, plain)
    assert not run_all.wanted("bench_records.py", {"bench_scale.py"}, plain)
