"""Crash safety of DatabaseFile.apply / set_state: a process killed with SIGKILL, at an
arbitrary moment or at a failpoint on each side of the commit, leaves a file that opens,
holds exactly a prefix of the applied batches, and whose applied_lgpos names that prefix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pyese.jethdr import constants as C
from pyese.storage.database.dbfile import DatabaseFile
from pyese.storage.lgpos import LGPOS

SRC = str(Path(__file__).resolve().parents[2] / "src")
LONG = b"L" * 520  # long keys: their bucket is rewritten by every batch

CHILD = r"""
import os, signal, sys
from pyese.storage.database.dbfile import DatabaseFile
from pyese.storage.lgpos import LGPOS
from pyese.storage.ops import OP_DELETE, OP_PUT, Op
path, kill_point, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
LONG = b"L" * 520
state = {"i": 0}
def faults(point):
    if point == kill_point and state["i"] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
db = DatabaseFile.open(path, faults=faults)
for i in range(1, 100000):
    state["i"] = i
    if kill_point.startswith("set_state") and i == kill_at:
        db.set_state(2, log_signature=bytes(16), lgpos=LGPOS(1, i - 1))
    ops = [Op(OP_PUT, 1, b"k%06d" % i, b"v%d" % i * 50), Op(OP_PUT, 2, b"count", b"%d" % i),
           Op(OP_PUT, 1, LONG + b"%06d" % i, b"long%d" % i)]
    if i > 5:
        ops.append(Op(OP_DELETE, 1, b"k%06d" % (i - 5)))
    db.apply(ops, LGPOS(1, i))
    print(i, flush=True)
"""


def expected(n: int) -> tuple[list[tuple[bytes, bytes]], bytes | None]:
    tree1 = [(b"k%06d" % i, b"v%d" % i * 50) for i in range(max(1, n - 4), n + 1)]
    tree1 += [(LONG + b"%06d" % i, b"long%d" % i) for i in range(1, n + 1)]
    return sorted(tree1), (b"%d" % n if n else None)


def run_child(path: Path, kill_point: str, kill_at: int, stop_after: int | None) -> int:
    """Run the writer; SIGKILL it after it acknowledged ``stop_after`` batches (if given).
    Returns the last batch it acknowledged (durable by contract)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), kill_point, str(kill_at)],
        stdout=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=SRC),
        text=True,
    )
    acked = 0
    assert proc.stdout is not None
    for line in proc.stdout:
        acked = int(line)
        if stop_after is not None and acked >= stop_after:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    for line in proc.stdout:  # lines written before the kill
        acked = int(line)
    return acked


def verify(path: Path) -> int:
    with DatabaseFile.open(path) as db:
        n = db.header.applied_lgpos.offset
        assert db.header.applied_lgpos == LGPOS(1 if n else 0, n)
        tree1, count = expected(n)
        with db.snapshot() as snap:
            assert list(snap.iterate(1)) == tree1
            assert snap.get(2, b"count") == count
        assert db.check() == []
        return n


@pytest.mark.parametrize("stop_after", [1, 17, 60])
def test_sigkill_at_an_arbitrary_moment_leaves_a_prefix(tmp_path, stop_after):
    path = tmp_path / "c.db"
    DatabaseFile.create(path).close()
    acked = run_child(path, "none", 0, stop_after)
    n = verify(path)
    assert n >= acked  # every acknowledged (durable) batch survived
    assert n <= acked + 1  # at most the batch in flight


@pytest.mark.parametrize(
    ("point", "survivors"),
    [
        ("apply.before_commit", 6),  # killed inside the transaction: batch 7 is lost
        ("apply.after_commit", 7),  # committed, not yet flushed: a process crash keeps it
        ("apply.after_flush", 7),
    ],
)
def test_sigkill_at_commit_boundaries(tmp_path, point, survivors):
    path = tmp_path / "c.db"
    DatabaseFile.create(path).close()
    run_child(path, point, 7, None)
    assert verify(path) == survivors
    with DatabaseFile.open(path) as db:  # and the file stays writable after the crash
        assert db.apply([], LGPOS(1, survivors + 1))


def test_sigkill_after_set_state_commit_keeps_state(tmp_path):
    path = tmp_path / "c.db"
    DatabaseFile.create(path).close()
    run_child(path, "set_state.after_commit", 4, None)
    with DatabaseFile.open(path) as db:
        assert db.header.state == C.JET_dbstateDirtyShutdown
        assert db.header.log_signature == bytes(16)
    assert verify(path) == 3
