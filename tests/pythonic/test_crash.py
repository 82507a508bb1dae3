"""A process killed with SIGKILL keeps every durable write it acknowledged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pyese

ROOT = Path(__file__).resolve().parents[2]


def test_sigkill_keeps_acknowledged_durable_writes(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    acked: dict[str, set[int]] = {"t": set(), "d": set()}
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("crash_child.py")),
                             str(tmp_path)], stdout=subprocess.PIPE, env=env, text=True)
    assert proc.stdout is not None
    for n, line in enumerate(proc.stdout):
        kind, i = line.split()
        acked[kind].add(int(i))
        if n >= 30:
            break
    proc.send_signal(signal.SIGKILL)  # in the middle of the next write
    proc.wait()
    # Lines the child printed before the kill but the parent had not read yet are
    # acknowledged writes too: a loaded machine can let the child run ahead of the reader.
    for line in proc.stdout:
        if line.endswith("\n"):  # a line cut by the kill was not acknowledged
            kind, i = line.split()
            acked[kind].add(int(i))
    with pyese.Instance(tmp_path / "inst") as inst:  # crash recovery runs here
        inst.open_database("app.edb")
        with inst.transaction() as tx:
            have = {r["k"]: r["v"] for r in tx.table("t")}
    assert acked["t"] and all(have[i] == f"row {i}" for i in acked["t"])
    assert set(have) <= acked["t"] | {max(acked["t"]) + 1}  # at most the unacknowledged one
    with pyese.PersistentDict(tmp_path / "dict") as d:
        assert acked["d"] and all(d[f"key {i}"] == f"value {i}" for i in acked["d"])
