"""Crash test (issue 3): SIGKILL a process committing two-database transactions at random
moments; after each kill, JetInit's recovery must give back every acknowledged commit,
nothing partial, and healthy files."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys

from pyese import jet
from pyese.engine.instance.database import database_of
from pyese.engine.instance.instance import SYSTEM

CHILD = os.path.join(os.path.dirname(__file__), "crash_engine_child.py")
OBJ = 9


def recover_and_read(root: str) -> tuple[dict[bytes, bytes], dict[bytes, bytes]]:
    inst = jet.JetCreateInstance("parent")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFileSize, 64, None)
    jet.JetInit(inst)
    sesid = jet.JetBeginSession(inst)
    session = SYSTEM.find_session(sesid)
    vs = session.instance.services.parts["version_store"]
    out = []
    for name in ("a.db", "b.db"):
        path = os.path.join(root, name)
        assert jet.JetAttachDatabase(sesid, path) == 0  # recovery left it clean
        dbid = jet.JetOpenDatabase(sesid, path)
        db = database_of(session, dbid)
        assert db.file.check() == []
        out.append(dict(vs.cursor(session, db, OBJ)))
        jet.JetCloseDatabase(sesid, dbid)
    jet.JetEndSession(sesid)
    jet.JetTerm(inst)
    return out[0], out[1]


def test_sigkill_rounds(tmp_path):
    root = str(tmp_path)
    rng = random.Random(20240603)
    first = 0
    for _round in range(10):
        child = subprocess.Popen([sys.executable, CHILD, root, str(first)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        want = rng.randint(1, 60)
        acked = []
        assert child.stdout is not None
        while len(acked) < want:
            line = child.stdout.readline()
            assert line, child.stderr.read() if child.stderr else "child died"
            acked.append(int(line))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        if child.stderr:
            child.stderr.close()
        a, b = recover_and_read(root)
        numbers = sorted(int(k) for k in a)
        # a prefix of the commit order, containing every acknowledged commit
        assert numbers == list(range(len(numbers)))
        assert numbers[-1] >= acked[-1]
        for n in numbers:  # atomic over both databases
            key = b"%08d" % n
            assert a[key] == b"a" * (n % 50)
            assert (key in b) == bool(n % 3)
        assert all(int(k) in numbers for k in b)
        first = numbers[-1] + 1
