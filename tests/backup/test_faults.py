"""Faults: a backup or restore killed (SIGKILL of a real child process) at any point, a
full destination disk (ENOSPC through the ``storage.faults`` seam). The source stays
intact and running, an atomic backup directory always holds one complete backup, and a
restore killed at any point runs again to the same result."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys

import pytest

import pyese.jet as jet
from pyese.engine.instance import logservice
from pyese.jethdr import constants as C
from pyese.storage.faults import FaultInjector

from .helpers import close_db, create_db, expect, make_instance, open_db

CHILD = os.path.join(os.path.dirname(__file__), "fault_child.py")


def _source(tmp_path, rows: int = 200):
    inst = make_instance(str(tmp_path / "inst"), "src", log_kb=64)
    db = create_db(inst, str(tmp_path / "inst" / "a.db"))
    for n in range(rows):
        db.put(n, os.urandom(500))
    return inst, db


def _run_until_hold(args: list[str]) -> tuple[subprocess.Popen, list[int]]:
    child = subprocess.Popen([sys.executable, CHILD, *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    acked: list[int] = []
    assert child.stdout is not None
    while True:
        line = child.stdout.readline()
        assert line, child.stderr.read() if child.stderr else "child died"
        if line.startswith("ACK"):
            acked.append(int(line.split()[1]))
        elif line.strip() == "HOLD":
            break
        else:
            raise AssertionError(f"child finished before its fault point: {line!r}")
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    if child.stderr:
        child.stderr.close()
    return child, acked


@pytest.mark.parametrize("hits", [2])
def test_backup_killed_leaves_source_and_previous_backup(tmp_path, hits):
    inst, db = _source(tmp_path)
    (tmp_path / "bk").mkdir()
    jet.JetBackupInstance(inst, str(tmp_path / "bk"), C.JET_bitBackupAtomic)
    first = db.rows()
    close_db(db)
    jet.JetTerm(inst)
    _child, acked = _run_until_hold(["backup", str(tmp_path), str(tmp_path / "bk"), str(hits)])
    # the source: recovery gives back every acknowledged commit, healthy files
    src = make_instance(str(tmp_path / "inst"), "again")
    rows = open_db(src, str(tmp_path / "inst" / "a.db")).rows()
    assert all(n in rows for n in acked) and all(rows[k] == v for k, v in first.items())
    jet.JetTerm(src)
    # the atomic directory still holds one complete backup (the first, in new/ or old/)
    shutil.copytree(tmp_path / "bk", tmp_path / "bk_copy")
    r = make_instance(str(tmp_path / "r"), "r", init=False)
    jet.JetRestoreInstance(r, str(tmp_path / "bk_copy"), str(tmp_path / "r"))
    jet.JetInit(r)
    restored = open_db(r, str(tmp_path / "r" / "a.db")).rows()
    assert {k: v for k, v in restored.items() if k < 100_000} == first


@pytest.mark.parametrize("hits", [0, -2])
def test_restore_killed_can_run_again(tmp_path, hits):
    inst, db = _source(tmp_path, rows=300)
    (tmp_path / "bk").mkdir()
    jet.JetBackupInstance(inst, str(tmp_path / "bk"))
    for n in range(300, 400):
        db.put(n, b"later")
    expected = db.rows()
    close_db(db)
    jet.JetTerm(inst)
    os.remove(tmp_path / "inst" / "a.db")
    before = {p: (tmp_path / "bk" / p).read_bytes() for p in os.listdir(tmp_path / "bk")}
    _run_until_hold(["restore", str(tmp_path / "bk"), str(tmp_path / "inst"), str(hits)])
    # the backup set is untouched; a second restore finishes and gives the same result
    assert {p: (tmp_path / "bk" / p).read_bytes() for p in os.listdir(tmp_path / "bk")} == before
    r = make_instance(str(tmp_path / "inst"), "r", init=False)
    jet.JetRestoreInstance(r, str(tmp_path / "bk"), str(tmp_path / "inst"))
    jet.JetInit(r)
    assert open_db(r, str(tmp_path / "inst" / "a.db")).rows() == expected


def test_enospc_on_destination(tmp_path):
    faults = FaultInjector()
    logservice.TEST_FAULTS = faults
    inst, db = _source(tmp_path)
    (tmp_path / "bk").mkdir()
    jet.JetBackupInstance(inst, str(tmp_path / "bk"), C.JET_bitBackupAtomic)
    faults.arm("backup.write", lambda: OSError(errno.ENOSPC, "No space left on device"),
               times=-1)
    with expect(C.JET_errDiskFull):
        jet.JetBackupInstance(inst, str(tmp_path / "bk"), C.JET_bitBackupAtomic)
    # the instance runs on, the backup ended (a new one can start), nothing half-written
    db.put(9999, b"still running")
    assert not (tmp_path / "bk" / "new").exists()
    assert not any(name.endswith(".tmp") for _d, _s, fs in os.walk(tmp_path / "bk")
                   for name in fs)
    faults.disarm()
    jet.JetBackupInstance(inst, str(tmp_path / "bk"), C.JET_bitBackupAtomic)
    assert sorted(os.listdir(tmp_path / "bk")) == ["new"]
    # and ENOSPC while a restore writes: a clear error, the set untouched
    expected = db.rows()
    close_db(db)
    jet.JetTerm(inst)
    faults.arm("backup.write", lambda: OSError(errno.ENOSPC, "No space left on device"),
               times=-1)
    r = make_instance(str(tmp_path / "r"), "r", init=False)
    with expect(C.JET_errDiskFull):
        jet.JetRestoreInstance(r, str(tmp_path / "bk"), str(tmp_path / "r"))
    faults.disarm()
    jet.JetRestoreInstance(r, str(tmp_path / "bk"), str(tmp_path / "r"))
    jet.JetInit(r)
    assert open_db(r, str(tmp_path / "r" / "a.db")).rows() == expected
