"""Child process of test_faults: runs a backup or a restore and hangs at a chosen point
until the parent kills it (SIGKILL).

Usage:
  fault_child.py backup ROOT DEST HITS   atomic JetBackupInstance of ROOT/inst into DEST,
                                          hanging at the HITS-th write of the copy; while it
                                          hangs a writer keeps committing (prints "ACK n")
  fault_child.py restore SRC TARGET HITS  JetRestoreInstance of SRC into TARGET, hanging at
                                          the HITS-th write (HITS < 0: at restore progress
                                          -HITS, i.e. during the redo)
Prints "HOLD" when it hangs.
"""

from __future__ import annotations

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from pyese import jet  # noqa: E402
from pyese.engine.instance import logservice  # noqa: E402
from pyese.jethdr import constants as C  # noqa: E402
from pyese.storage.faults import FaultInjector  # noqa: E402
from tests.backup.helpers import make_instance, open_db  # noqa: E402


def _say(line: str) -> None:
    os.write(1, (line + "\n").encode())  # one write: lines of two threads never mix


def _hang() -> BaseException:
    _say("HOLD")
    time.sleep(3600)
    return RuntimeError("never")


def backup(root: str, dest: str, hits: int) -> None:
    faults = FaultInjector()
    logservice.TEST_FAULTS = faults
    inst = make_instance(os.path.join(root, "inst"), "child")
    db = open_db(inst, os.path.join(root, "inst", "a.db"))

    def writer() -> None:
        n = 100_000
        while True:
            db.put(n, b"during")
            _say(f"ACK {n}")
            n += 1

    faults.arm("backup.write", _hang, after=hits)
    s2 = jet.JetBeginSession(inst)  # noqa: F841 - the backup runs on the instance
    threading.Thread(target=writer, daemon=True).start()
    time.sleep(0.2)
    jet.JetBackupInstance(inst, dest, C.JET_bitBackupAtomic)
    _say("DONE")
    time.sleep(3600)


def restore(src: str, target: str, hits: int) -> None:
    faults = FaultInjector()
    logservice.TEST_FAULTS = faults
    if hits >= 0:
        faults.arm("backup.write", _hang, after=hits)

    def pfn(_s: object, snp: int, snt: int, pv: object) -> int:
        if hits < 0 and snt == C.JET_sntProgress and getattr(pv, "cunitDone", 0) >= -hits:
            _hang()
        return 0

    r = make_instance(target, "restore", init=False)
    jet.JetRestoreInstance(r, src, target, pfn)
    _say("DONE")


if __name__ == "__main__":
    mode, a, b, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    (backup if mode == "backup" else restore)(a, b, n)
