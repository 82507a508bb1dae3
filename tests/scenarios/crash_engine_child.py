"""Child process of test_crash_engine: commits numbered durable transactions until killed.

Usage: crash_engine_child.py ROOT FIRST. Transaction n writes key n to database a, and (unless
n % 3 == 0) to database b as well; it prints n once JetCommitTransaction returned.
"""

from __future__ import annotations

import os
import sys

from pyese import jet
from pyese.engine.instance.database import database_of
from pyese.engine.instance.instance import SYSTEM

OBJ = 9


def main() -> None:
    root, first = sys.argv[1], int(sys.argv[2])
    inst = jet.JetCreateInstance("child")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFileSize, 64, None)
    jet.JetInit(inst)
    sesid = jet.JetBeginSession(inst)
    dbids = []
    for name in ("a.db", "b.db"):
        path = os.path.join(root, name)
        if os.path.exists(path):
            jet.JetAttachDatabase(sesid, path)
            dbids.append(jet.JetOpenDatabase(sesid, path))
        else:
            dbids.append(jet.JetCreateDatabase(sesid, path))
    session = SYSTEM.find_session(sesid)
    vs = session.instance.services.parts["version_store"]
    dba, dbb = (database_of(session, d) for d in dbids)
    n = first
    while True:
        jet.JetBeginTransaction(sesid)
        key = b"%08d" % n
        vs.put(session, dba, OBJ, key, b"a" * (n % 50))
        if n % 3:
            vs.put(session, dbb, OBJ, key, b"b")
        jet.JetCommitTransaction(sesid)
        sys.stdout.write(f"{n}\n")
        sys.stdout.flush()
        n += 1


if __name__ == "__main__":
    main()
