"""Crash-test child, and the database opener the log tests share.

As a script: ``crash_child.py <dir> <first> <count> <seed>`` attaches two databases
(``a.db`` as dbnum 1, ``b.db`` as dbnum 2), then makes ``count`` durable commits numbered
from ``first``; commit i puts ``i`` under key ``b"k%08d"`` in both databases (objid 7)
and, every third commit, deletes key i-2 from ``b.db`` only. After ``log.flush`` returns it
prints ``ack <i>``. The parent SIGKILLs it at a moment of its choosing, recovers, and
checks that every acknowledged commit is in both databases and nothing partial.

As a module: ``create_db``/``open_db``/``db_items`` give the log tests real database
files (``pyese.storage.database.dbfile.DatabaseFile``).
"""

from __future__ import annotations

import os
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "src"))

from pyese.storage.database.dbfile import DatabaseFile  # noqa: E402
from pyese.storage.ops import OP_DELETE, OP_PUT, Op  # noqa: E402

OBJID = 7


def create_db(path: str) -> DatabaseFile:
    """A new empty database file at ``path``."""
    return DatabaseFile.create(path)


def open_db(path: str, *, read_only: bool = False, faults: Any = None) -> DatabaseFile:
    return DatabaseFile.open(path, read_only=read_only, faults=faults)


def db_items(path: str, objid: int = OBJID) -> dict[bytes, bytes]:
    """Every key -> value of tree ``objid`` of the database at ``path``."""
    with open_db(path, read_only=True) as db:
        snap = db.snapshot()
        try:
            return dict(snap.iterate(objid))
        finally:
            snap.close()


def main() -> None:
    from pyese.storage.log.applier import Applier
    from pyese.storage.log.checkpoint import checkpoint_path
    from pyese.storage.log.log_writer import LogWriter
    from pyese.storage.log.recovery import recover

    d, first, count, _seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    recover(d, d, open_database=open_db)
    log = LogWriter.open(d, file_size_kb=4)
    applier = Applier(log, checkpoint_path(d, "edb"), checkpoint_bytes=4096)
    dbs = {}
    for dbnum, name in ((1, "a.db"), (2, "b.db")):
        path = os.path.join(d, name)
        db = open_db(path) if os.path.exists(path) else create_db(path)
        applier.attach(dbnum, path, db)
        dbs[dbnum] = db
    print("ready", flush=True)
    for i in range(first, first + count):
        key = b"k%08d" % i
        ops_b = [Op(OP_PUT, OBJID, key, b"%d" % i)]
        if i % 3 == 0:
            ops_b.append(Op(OP_DELETE, OBJID, b"k%08d" % (i - 2)))
        lg = applier.commit(i, {1: [Op(OP_PUT, OBJID, key, b"%d" % i)], 2: ops_b})
        log.flush(lg)
        print(f"ack {i}", flush=True)
    applier.close()
    log.close()
    print("done", flush=True)


if __name__ == "__main__":
    main()
