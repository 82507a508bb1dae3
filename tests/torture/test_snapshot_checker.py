"""The snapshot checker, briefly, with a fixed seed (``tools/torture.py snapshot`` runs it
for as long as asked; see tests/torture/snapshot_checker.py for what it checks)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.torture import snapshot_checker as bank

TOOLS = Path(__file__).resolve().parents[2] / "tools"


def test_snapshot_checker_fixed_seed(tmp_path) -> None:
    fig = bank.run(str(tmp_path), seed=12, seconds=4.0)
    assert not fig.anomalies, fig.anomalies
    assert not fig.errors, fig.errors
    # it did check something: snapshots, transfers, and migrations across databases
    assert fig.snapshots >= 20 and fig.transfers >= 20 and fig.migrations >= 1


def test_checker_names_an_anomaly(tmp_path, monkeypatch) -> None:
    """The checker itself: a bank whose total is off by one is reported at once."""
    monkeypatch.setattr(bank, "TOTAL", bank.TOTAL + 1)
    fig = bank.run(str(tmp_path), seed=3, seconds=2.0)
    assert fig.anomalies and "sums to" in fig.anomalies[0]


def test_command_line_runs_a_round(tmp_path, capsys) -> None:
    """``tools/torture.py snapshot`` (loaded in this process): one short round, totals."""
    spec = importlib.util.spec_from_file_location("torture_cli", TOOLS / "torture.py")
    assert spec is not None and spec.loader is not None
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    status = cli.main(["snapshot", "--seed", "5", "--minutes", "0.025", "--dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "TOTAL: 1 rounds" in out and "0 anomalies, 0 other errors" in out
