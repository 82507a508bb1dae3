"""Real process crashes: SIGKILL a child that makes durable two-database commits, recover,
and check that every acknowledged commit is in both databases and nothing is partial."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys

import pytest
from crash_child import db_items

from pyese.storage.log.recovery import recover

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crash_child.py")


def expected_state(n):
    """Both databases after commits 1..n (see crash_child.main)."""
    a = {b"k%08d" % i: b"%d" % i for i in range(1, n + 1)}
    b = dict(a)
    for i in range(1, n + 1):
        if i % 3 == 0:
            b.pop(b"k%08d" % (i - 2), None)
    return a, b


def committed_count(a):
    n = len(a)
    assert set(a) == {b"k%08d" % i for i in range(1, n + 1)}, "a hole in the commit order"
    return n


@pytest.mark.slow
def test_sigkill_keeps_every_acknowledged_commit(tmp_path):
    rng = random.Random(20240611)
    d = str(tmp_path)
    acked = 0
    for _round in range(10):
        kill_after = rng.randint(1, 120)
        proc = subprocess.Popen(
            [sys.executable, CHILD, d, str(acked + 1), "100000", "0"],
            stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        seen = 0
        for line in proc.stdout:
            seen = int(line.split()[1])
            if seen - acked >= kill_after:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        acked = max(acked, seen)
        r = recover(d, d)
        a = db_items(os.path.join(d, "a.db"))
        b = db_items(os.path.join(d, "b.db"))
        n = committed_count(a)
        # every acknowledged commit survived; at most the commits in flight beyond it
        assert n >= acked
        assert (a, b) == expected_state(n), "a partial or reordered transaction"
        assert {x.dbnum for x in r.attached} == {1, 2}
        acked = n  # the next child continues after what survived
